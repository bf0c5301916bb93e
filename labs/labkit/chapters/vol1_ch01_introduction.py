"""Questions, landmarks and charts of the introduction lab (Volume I, chapter 1).

The landmarks are the registry models that carry a published total training compute
(``training_ops``: AlexNet from Amodei & Hernandez 2018, GPT-3 from its paper, GPT-4 an outside
estimate, Llama 3.1 405B from its paper); the time to train each on a fleet is
``formulas.calc_training_duration`` (C / (N x peak x efficiency)). The two charts' templates are
written here (the kit's ``mlsysim.viz`` has neither): Vega-Lite dicts filled by ``viz.fill``.
"""

from __future__ import annotations

from mlsysim import Q_, Hardware, Models, viz
from mlsysim.physics import formulas, kernels
from mlsysim.solvers.defaults import DEFAULT_EFFICIENCY  # noqa: F401  (the notebook's default efficiency)
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, decades

from ..questions import Prediction, Question

# every registry model with a published training compute, oldest first
LANDMARKS = sorted((m for m in Models.list() if m.training_ops is not None),
                   key=lambda m: (m.release_year, m.training_ops.to("flop").magnitude))
MODELS = {f"{m.name} ({m.release_year})": m.key for m in LANDMARKS}
# yesterday's and today's accelerators (dense fp16/bf16 peaks from their datasheets)
ACCELERATORS = {f"{Hardware.get(k).name} ({Hardware.get(k).release_year})": k
                for k in ("v100", "a100_80gb", "tpu_v4", "h100", "mi300x", "b200")}
ESTIMATES = [m.name for m in LANDMARKS if "estimate" in m.name.lower() or m.key == "alexnet"]
MAX_GPUS = 1_000_000


def compute_flop(model: str) -> float:
    return Models.get(model).training_ops.to("flop").magnitude


def peak(hw: str):
    return Hardware.get(hw).compute.peak_flops


def days(model: str, hw: str, gpus: int, efficiency: float) -> float:
    """Days to train ``model`` on ``gpus`` accelerators ``hw`` at ``efficiency`` of peak."""
    return formulas.calc_training_duration(Models.get(model).training_ops, gpus, peak(hw), efficiency).magnitude


def gpus_for(model: str, hw: str, target_days: float, efficiency: float) -> float:
    """Accelerators needed to train ``model`` within ``target_days``."""
    return formulas.calc_accelerators_for_duration(Models.get(model).training_ops, f"{target_days} day",
                                                   peak(hw), efficiency).magnitude


def fleet_flops(hw: str, gpus: int, efficiency: float) -> float:
    """The fleet's sustained rate, N x peak x efficiency, in FLOP/s (``kernels.effective_flops``)."""
    return gpus * kernels.effective_flops(peak(hw).to("flop/s").magnitude, efficiency)


def growth(newer: str, older: str) -> float:
    """How many times ``older``'s training compute ``newer`` used (both from the registry)."""
    return compute_flop(newer) / compute_flop(older)


def duration_text(d: float) -> str:
    """Days as the largest unit (years, days, hours, minutes, seconds) that keeps the number >= 1."""
    for unit, name in (("year", "years"), ("day", "days"), ("hour", "hours"), ("minute", "minutes")):
        v = Q_(d, "day").to(unit).magnitude
        if v >= 1:
            return f"{fmt(v)} {name}"
    return f"{fmt(Q_(d, 'day').to('s').magnitude)} s"


def rows(hw: str, gpus: int, efficiency: float, chosen: str) -> list[dict]:
    """One row per landmark: its year, compute, and days on the chosen fleet."""
    out = []
    for m in LANDMARKS:
        d = days(m.key, hw, gpus, efficiency)
        out.append({"model": m.name, "model_key": m.key, "year": m.release_year, "flop": compute_flop(m.key), "days": d,
                    "which": "chosen" if m.key == chosen else "other",
                    "label": f"{m.name.split(' (')[0]} {fmt(compute_flop(m.key))}", "days_label": duration_text(d)})
    return out


def _base(height: int) -> dict:
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
            "autosize": {"contains": "padding", "type": "fit"},
            "config": {"axis": {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12}},
            "height": height, "width": "container",
            "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}}}


_COLOUR = {"field": "which", "type": "nominal", "legend": None,
           "scale": {"domain": ["chosen", "other"], "range": [PALETTE["vermillion"], PALETTE["blue"]]}}

COMPUTE_TEMPLATE = _base(260) | {"layer": [
    {"data": {"name": "landmarks"}, "mark": {"type": "line", "color": "#999999", "strokeDash": [4, 3]},
     "encoding": {"x": {"field": "year", "type": "quantitative", "title": "Year", "axis": {"format": "d"},
                        "scale": {"zero": False, "nice": False, "domain": [2011, 2029]}},
                  "y": {"field": "flop", "type": "quantitative", "title": "Training compute (FLOP, log scale)",
                        "scale": {"type": "log"}, "axis": {"format": ".0e"}}}},
    {"data": {"name": "landmarks"}, "mark": {"type": "point", "filled": True, "size": 110},
     "encoding": {"x": {"field": "year", "type": "quantitative"}, "y": {"field": "flop", "type": "quantitative"},
                  "color": _COLOUR}},
    {"data": {"name": "landmarks"}, "mark": {"type": "text", "align": "left", "dx": 10, "dy": 12},
     "encoding": {"x": {"field": "year", "type": "quantitative"}, "y": {"field": "flop", "type": "quantitative"},
                  "text": {"field": "label", "type": "nominal"}, "color": _COLOUR}},
]}

DAYS_TEMPLATE = _base(200) | {"layer": [
    {"data": {"name": "landmarks"}, "mark": {"type": "bar"},
     "encoding": {"y": {"field": "model", "type": "nominal", "sort": None, "title": None},
                  "x": {"field": "base", "type": "quantitative", "title": "Days to train (log scale)",
                        "scale": {"type": "log"}, "axis": {"format": "~g"}},
                  "x2": {"field": "days"}, "color": _COLOUR}},
    {"data": {"name": "landmarks"}, "mark": {"type": "text", "align": "left", "dx": 4},
     "encoding": {"y": {"field": "model", "type": "nominal", "sort": None}, "x": {"field": "days", "type": "quantitative"},
                  "text": {"field": "days_label", "type": "nominal"}}},
]}


def charts(data: list[dict], fleet_name: str) -> tuple[viz.Chart, viz.Chart]:
    """(training compute by year, days to train each landmark on the chosen fleet)."""
    flops, spans = [r["flop"] for r in data], [r["days"] for r in data]
    day_ticks = decades(min(spans), max(spans))
    ds = {"landmarks": [r | {"base": day_ticks[0]} for r in data]}
    first, last = data[0], data[-1]
    s1 = ("Training compute by year, log scale: " + "; ".join(f"{r['model']} ({r['year']}) {fmt(r['flop'])} FLOP"
                                                              for r in data) + ".")
    s2 = (f"Days to train on {fleet_name}: " + "; ".join(f"{r['model']} {r['days_label']}" for r in data)
          + f" (from {first['days_label']} to {last['days_label']}).")
    c1 = viz.fill(COMPUTE_TEMPLATE, ds, title="Training compute of landmark models",
                  settings={"layer.0.encoding.y.axis.values": decades(min(flops), max(flops))[::2]})
    c2 = viz.fill(DAYS_TEMPLATE, ds, title=f"Days to train on {fleet_name}",
                  settings={"layer.0.encoding.x.axis.values": day_ticks[::2] if len(day_ticks) > 8 else day_ticks,
                            "layer.0.encoding.x.scale.domain": [day_ticks[0], day_ticks[-1] * 10]})
    return viz.Chart(c1, ds, s1), viz.Chart(c2, ds, s2)


# --- check yourself ---------------------------------------------------------------------------
_BIG = ["gpt3", "gpt4", "llama3_405b"]
_HW = ["v100", "a100_80gb", "h100", "b200"]
_names = lambda model, hw, **_: {"model_name": Models.get(model).name, "hw_name": Hardware.get(hw).name}


def _flop_text(model):
    return f"{compute_flop(model):.3g} FLOP"


QUESTIONS = [
    Question(
        id="days",
        prompt=("**{model_name}** needed about its published training compute. On **{gpus:,} {hw_name}** at "
                "**{efficiency:.0%}** of peak, how many **days** would it train?"),
        variants={"model": _BIG, "hw": _HW, "gpus": [1024, 4096, 16384], "efficiency": [0.3, 0.4, 0.5]},
        answer=days, tolerance=0.03, unit="days", describe=_names,
        hint="days = compute ÷ (GPUs × peak FLOP/s × efficiency) ÷ 86,400 s.",
        math=lambda model, hw, gpus, efficiency: (
            f"{_flop_text(model)} ÷ ({gpus:,} × {fmt(peak(hw).to('flop/s').magnitude)} FLOP/s × {efficiency}) = "
            f"**{days(model, hw, gpus, efficiency):.4g} days**")),
    Question(
        id="gpu_days",
        prompt=("How many **days** would **{model_name}** take on a **single {hw_name}** at **{efficiency:.0%}** of peak?"),
        variants={"model": [m.key for m in LANDMARKS], "hw": _HW, "efficiency": [0.3, 0.4, 0.5]},
        answer=lambda model, hw, efficiency: days(model, hw, 1, efficiency), tolerance=0.03, unit="days",
        describe=_names, hint="Set the GPU count to 1: that number of days is also the run's GPU-days.",
        math=lambda model, hw, efficiency: (
            f"{_flop_text(model)} ÷ (1 × {fmt(peak(hw).to('flop/s').magnitude)} FLOP/s × {efficiency}) = "
            f"**{days(model, hw, 1, efficiency):.4g} days**")),
    Question(
        id="gpus_needed",
        prompt=("To train **{model_name}** in **{target_days} days** on **{hw_name}** at **{efficiency:.0%}** of peak, "
                "how many accelerators do you need?"),
        variants={"model": _BIG, "hw": _HW, "target_days": [30, 60, 90], "efficiency": [0.3, 0.4, 0.5]},
        answer=gpus_for, tolerance=0.03, unit="accelerators", describe=_names,
        hint="Solve days = C ÷ (N × peak × efficiency) for N; try your answer in the GPU-count box.",
        math=lambda model, hw, target_days, efficiency: (
            f"N = {_flop_text(model)} ÷ ({target_days} × 86,400 s × {fmt(peak(hw).to('flop/s').magnitude)} FLOP/s × "
            f"{efficiency}) = **{gpus_for(model, hw, target_days, efficiency):,.0f}**")),
]

PREDICTIONS = [
    Prediction(
        id="llama_days",
        prompt=("Llama 3.1 405B took about 3.8 × 10²⁵ FLOP to train. On **16,384 H100s** running at "
                f"**{DEFAULT_EFFICIENCY:.0%}** of their peak, how many **days** would that take?"),
        truth=lambda: days("llama3_405b", "h100", 16384, DEFAULT_EFFICIENCY),
        unit="days",
    ),
]
