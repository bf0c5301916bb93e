"""Fleet synthesis (Volume II, chapter 17): from targets to the fleet that meets them.

Every number is the engine's: ``SynthesisSolver`` sizes every cloud part in the registry to the
latency and throughput targets (the accelerators one model instance needs, the replicas the
traffic needs, the price of the lot) and says which parts meet the budget; ``SustainabilityModel``
gives each sized fleet's carbon for a month on the chosen grid, which the carbon cap is checked
against. The chart's template is written here (``mlsysim.viz`` has no design-space chart).
"""

from __future__ import annotations

import math

from mlsysim import Q_, viz
from mlsysim.registries import Grids, Models
from mlsysim.solvers.sustainability import SustainabilityModel
from mlsysim.solvers.synthesis import SynthesisSolver
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

MONTH = "30 day"
TIER = "cloud"
SEQ_LEN = 2048
MODELS = ["llama3_8b", "llama3_70b", "mixtral_8x7b", "llama3_405b"]
PRECISIONS = {"16-bit (fp16)": "fp16", "8-bit (fp8)": "fp8"}
MAX_LATENCY_MS = 60_000
MAX_RATE = 10_000

_SYNTH, _CARBON = SynthesisSolver(), SustainabilityModel()


def model_options() -> dict[str, str]:
    return {Models.get(k).name: k for k in MODELS}


def grid_options() -> dict[str, str]:
    return {Grids.get(k).name: k for k in Grids.keys()}


def solve(model: str, latency_ms: float, rate: float, budget_usd: float = 0.0, precision: str = "fp16",
          batch: int = 4):
    """The engine's sizing of every cloud part for one batch of ``batch`` prompts of 2,048 tokens
    within ``latency_ms``, at ``rate`` requests/s; a budget of 0 means none."""
    return _SYNTH.solve(model, target_latency=Q_(latency_ms, "ms"), target_throughput=Q_(rate, "1/s"),
                        budget=Q_(budget_usd, "USD") if budget_usd > 0 else None, precision=precision,
                        batch_size=int(batch), seq_len=SEQ_LEN, tier=TIER)


def month_carbon_t(candidate, grid: str) -> float:
    """A month of the candidate's whole fleet on ``grid``, in t CO2e (operational + embodied)."""
    return _CARBON.solve(candidate.key, MONTH, grid, count=candidate.count).total_carbon.to("tCO2e").magnitude


def design_space(result, grid: str, carbon_cap_t: float = 0.0) -> list[dict]:
    """Every sized part with a price: its fleet, cost, month's carbon and whether it meets every
    target (the solver's latency, throughput and budget; the carbon cap when one is set)."""
    rows = []
    for c in result.candidates:
        if c.cost is None:
            continue
        carbon = month_carbon_t(c, grid)
        over_cap = carbon_cap_t > 0 and carbon > carbon_cap_t
        why = "; ".join(w for w in (c.why_not, "over the carbon cap" if over_cap else "") if w)
        rows.append({"part": c.hardware, "key": c.key, "count": c.count, "group": c.group,
                     "replicas": c.replicas, "cost": c.cost.to("USD").magnitude, "carbon": carbon,
                     "latency_ms": c.latency.to("ms").magnitude, "meets": c.qualifies and not over_cap,
                     "why_not": why})
    return rows


def chosen(rows: list[dict]) -> dict | None:
    """The cheapest fleet that meets every target (fewer accelerators breaking a tie), as the
    solver ranks its qualifying parts."""
    ok = [r for r in rows if r["meets"]]
    return min(ok, key=lambda r: (r["cost"], r["count"])) if ok else None


TEMPLATE = {
    **lab_frame(320),
    "layer": [
        {"data": {"name": "fleets"}, "mark": {"type": "point", "filled": True, "size": 110},
         "encoding": {"x": {"field": "cost", "type": "quantitative", "title": "Price of the fleet (USD, log)",
                            "scale": {"type": "log", "nice": False, "padding": 14}, "axis": {"format": "~s"}},
                      "y": {"field": "carbon", "type": "quantitative", "title": "Carbon per month (t CO2e, log)",
                            "scale": {"type": "log", "nice": False, "padding": 14}, "axis": {"format": "~g"}},
                      "shape": {"field": "state", "type": "nominal", "title": None,
                                "scale": {"domain": ["meets every target", "misses a target", "chosen"],
                                          "range": ["circle", "cross", "diamond"]}},
                      "color": {"field": "state", "type": "nominal", "title": None,
                                "scale": {"domain": ["meets every target", "misses a target", "chosen"],
                                          "range": [PALETTE["blue"], "#999999", PALETTE["vermillion"]]}},
                      "tooltip": [{"field": "part"}, {"field": "count"}, {"field": "cost", "format": ",.0f"},
                                  {"field": "carbon", "format": ".3g"}]}},
        {"data": {"name": "fleets"}, "transform": [{"filter": "datum.label && datum.align == 'left'"}],
         "mark": {"type": "text", "align": "left", "dx": 8, "fontSize": 11, "fontWeight": "bold"},
         "encoding": {"x": {"field": "cost", "type": "quantitative"}, "y": {"field": "carbon", "type": "quantitative"},
                      "text": {"field": "label"}}},
        {"data": {"name": "fleets"}, "transform": [{"filter": "datum.label && datum.align == 'right'"}],
         "mark": {"type": "text", "align": "right", "dx": -8, "fontSize": 11, "fontWeight": "bold"},
         "encoding": {"x": {"field": "cost", "type": "quantitative"}, "y": {"field": "carbon", "type": "quantitative"},
                      "text": {"field": "label"}}},
        {"data": {"name": "limits"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
         "encoding": {"x": {"field": "cost", "type": "quantitative"}}},
        {"data": {"name": "caps"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["green"]},
         "encoding": {"y": {"field": "carbon", "type": "quantitative"}}},
    ],
}


def chart(rows: list[dict], budget_usd: float, carbon_cap_t: float, title: str) -> viz.Chart:
    best = chosen(rows)
    # only the chosen fleet is labelled (a dozen labels overlap on a phone; the others name
    # themselves in their tooltips), on the side of the point away from the nearer edge
    costs = [r["cost"] for r in rows if r["cost"] > 0]
    middle = math.sqrt(min(costs) * max(costs)) if costs else 0.0
    fleets = [{**r, "state": "chosen" if r is best else ("meets every target" if r["meets"] else "misses a target"),
               "label": f"{r['count']} x {r['key']}" if r is best else "",
               "align": "right" if r["cost"] > middle else "left"} for r in rows]
    datasets = {"fleets": fleets, "limits": [{"cost": budget_usd}] if budget_usd > 0 else [],
                "caps": [{"carbon": carbon_cap_t}] if carbon_cap_t > 0 else []}
    summary = (f"{sum(r['meets'] for r in rows)} of {len(rows)} priced fleets meet every target; "
               + (f"the cheapest is {best['count']} x {best['part']} at {best['cost']:,.0f} USD." if best
                  else "none does."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------


def _best(model, latency_ms, rate):
    return chosen(design_space(solve(model, latency_ms, rate), "us_average"))


def _count_math(model, latency_ms, rate) -> str:
    r = solve(model, latency_ms, rate)
    h100 = next(c for c in r.candidates if c.key == "h100")
    return (f"Group = accelerators one instance needs (memory, then the latency target with the work split "
            f"evenly) = **{h100.group}**; replicas = ⌈{rate} requests/s × {h100.latency.to('ms').magnitude:.4g} ms "
            f"÷ 4 per batch⌉ = **{h100.replicas}**; fleet = {h100.group} × {h100.replicas} = **{h100.count}** H100s.")


def _cost_math(model, latency_ms, rate) -> str:
    b = _best(model, latency_ms, rate)
    return (f"Of the priced parts that meet both targets, the cheapest fleet is **{b['count']} × {b['part']}** at "
            f"**{b['cost']:,.0f} USD** (count × the registry's unit price, an estimate).")


QUESTIONS = [
    Question(
        id="h100_count",
        prompt=("Serve **{model_name}** (fp16, batches of 4 prompts of 2,048 tokens) with each batch done in "
                "**{latency_ms:,} ms** at **{rate} requests/s**. How many **H100s** does the fleet need?"),
        variants={"model": ["llama3_8b", "llama3_70b"], "latency_ms": [500, 1000, 2000], "rate": [5, 20, 50]},
        answer=lambda model, latency_ms, rate: next(c for c in solve(model, latency_ms, rate).candidates
                                                    if c.key == "h100").count,
        tolerance=0.0, unit="H100s",
        describe=lambda model, **_: {"model_name": Models.get(model).name},
        hint="Accelerators per instance (does it fit, is it fast enough) × instances for the traffic.",
        math=_count_math,
    ),
    Question(
        id="cheapest_cost",
        prompt=("Same service: **{model_name}**, **{latency_ms:,} ms** per batch, **{rate} requests/s**, no budget "
                "or carbon cap. What does the cheapest fleet that meets both targets cost, in **USD**?"),
        variants={"model": ["llama3_8b", "llama3_70b"], "latency_ms": [500, 1000, 2000], "rate": [5, 20, 50]},
        answer=lambda model, latency_ms, rate: _best(model, latency_ms, rate)["cost"],
        tolerance=0.01, unit="USD",
        describe=lambda model, **_: {"model_name": Models.get(model).name},
        hint="The chosen (red diamond) point with no budget and no cap.",
        math=_cost_math,
    ),
]

PREDICTIONS = [
    Prediction(
        id="cheapest_part",
        prompt=("Serving Llama 3 70B with each batch of 4 prompts in 1 s at 10 requests/s: which family of parts "
                "gives the cheapest fleet at list price?"),
        options=["NVIDIA (H100, H200, B200, A100, L4, T4, V100)", "AMD (MI300X)", "Intel (Gaudi 2, Gaudi 3)"],
        truth=lambda: {"gaudi2": "Intel (Gaudi 2, Gaudi 3)", "gaudi3": "Intel (Gaudi 2, Gaudi 3)",
                       "mi300x": "AMD (MI300X)"}.get(_best("llama3_70b", 1000, 10)["key"],
                                                     "NVIDIA (H100, H200, B200, A100, L4, T4, V100)"),
    ),
]
