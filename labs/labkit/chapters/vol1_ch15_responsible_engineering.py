"""Questions, curve and chart of the subgroup-evaluation lab (Volume I, chapter 15).

Every number is the engine's: ``formulas.calc_subgroup_sample_size`` (Fleiss, Levin & Paik 2003,
eq. 4.14, with Bonferroni's correction over the comparisons) for the test samples each subgroup
needs; ``SingleNodeModel`` for the throughput of the evaluation (one forward pass per sample, batch
``BATCH``); ``formulas.calc_evaluation_duration`` for how long it runs; ``EconomicsModel`` for what
that time on one owned accelerator costs (its TCO over the evaluation, utilisation 1). The chart's
template is written here (``mlsysim.viz`` has no sample-size chart) and filled by ``viz.fill``.
"""

from __future__ import annotations

from mlsysim import EconomicsModel, SingleNodeModel, viz
from mlsysim.physics import formulas
from mlsysim.registries import Hardware, Models
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

BATCH = 64                     # test samples per forward pass
GAPS = [0.5 * i for i in range(1, 21)]  # accuracy gaps drawn, in points (0.5 to 10)
CONFIDENCES = {"90 %": "0.9", "95 %": "0.95", "99 %": "0.99"}
POWERS = {"80 %": "0.8", "90 %": "0.9", "95 %": "0.95"}
TOKENS = [128, 512, 2048]      # tokens per test sample (language models only)
MAX_GROUPS = 20
MODELS = ["bert_base", "llama3_8b", "llama2_7b", "resnet50", "mobilenetv2"]
ACCELERATORS = ["h100", "a100_80gb", "l4", "t4", "b200"]
LANGUAGE = {"bert_base", "llama3_8b", "llama2_7b"}

_NODE, _ECON = SingleNodeModel(), EconomicsModel()


def model_options() -> dict[str, str]:
    return {Models.get(k).name: k for k in MODELS}


def accelerator_options() -> dict[str, str]:
    return {Hardware.get(k).name: k for k in ACCELERATORS}


def per_group(accuracy_pct: float, gap_pts: float, confidence: float, power: float, groups: int) -> int:
    """Test samples each subgroup needs to detect ``gap_pts`` points below ``accuracy_pct`` %. With
    ``groups`` subgroups each is compared with a reference group: groups - 1 comparisons (Bonferroni)."""
    return int(formulas.calc_subgroup_sample_size(accuracy_pct / 100.0, gap_pts / 100.0, confidence, power,
                                                  max(groups - 1, 1)).magnitude)


def total(accuracy_pct: float, gap_pts: float, confidence: float, power: float, groups: int) -> int:
    """Test samples over every subgroup (each needs its own)."""
    return groups * per_group(accuracy_pct, gap_pts, confidence, power, groups)


def profile(model: str, accelerator: str, tokens: int):
    """The engine's forward pass over one batch of test samples (``tokens`` each for a language model)."""
    return _NODE.solve(model, accelerator, batch_size=BATCH, seq_len=int(tokens) if model in LANGUAGE else None)


def cost(samples: int, prof, accelerator: str):
    """(evaluation time, its TCO on one owned accelerator) for ``samples`` at ``prof``'s throughput."""
    duration = formulas.calc_evaluation_duration(samples, prof.throughput)
    return duration, _ECON.solve(accelerator, duration, count=1, utilization=1.0, queries=samples)


def evaluate(accuracy_pct, gap_pts, confidence, power, groups, model, accelerator, tokens) -> dict:
    """Everything the page shows for one setting of the controls."""
    n = per_group(accuracy_pct, gap_pts, confidence, power, groups)
    prof = profile(model, accelerator, tokens)
    out = {"per_group": n, "total": groups * n, "comparisons": max(groups - 1, 1), "profile": prof,
           "fits": prof.feasible, "seconds": None, "usd": None, "economics": None}
    if prof.feasible:
        duration, econ = cost(groups * n, prof, accelerator)
        out.update(seconds=duration.to("s").magnitude, usd=econ.tco.to("USD").magnitude, economics=econ)
    return out


def curve(accuracy_pct, confidence, power, groups, d: dict) -> list[dict]:
    """Samples (all groups) and evaluation cost against the gap to detect, 0.5 to 10 points. The cost
    of each point is the engine's cost per sample at the student's setting (``cost_per_query``) times
    the samples: the TCO grows in proportion to the time, so one solve prices every point (the fast
    test re-solves each point to hold this)."""
    per_sample = d["economics"].cost_per_query.to("USD").magnitude if d["fits"] else None
    rows = []
    for g in GAPS:
        if g >= accuracy_pct:
            continue
        n = total(accuracy_pct, g, confidence, power, groups)
        rows.append({"gap": g, "samples": n, "usd": None if per_sample is None else per_sample * n})
    return rows


TEMPLATE = {
    **lab_frame(300),
    "resolve": {"scale": {"y": "independent"}},
    "layer": [
        {"layer": [
            {"data": {"name": "curve"}, "mark": {"type": "line", "color": PALETTE["blue"], "strokeWidth": 2},
             "encoding": {"x": {"field": "gap", "type": "quantitative", "title": "Accuracy gap to detect (points)"},
                          "y": {"field": "samples", "type": "quantitative", "title": "Test samples, all groups (log)",
                                "scale": {"type": "log"}, "axis": {"format": "~s", "titleColor": PALETTE["blue"]}}}},
            {"data": {"name": "yours"}, "mark": {"type": "point", "filled": True, "size": 120, "color": PALETTE["vermillion"]},
             "encoding": {"x": {"field": "gap", "type": "quantitative"},
                          "y": {"field": "samples", "type": "quantitative", "scale": {"type": "log"}}}},
            {"data": {"name": "yours"}, "mark": {"type": "text", "align": "left", "dx": 8, "dy": -8,
                                                 "fontWeight": "bold", "color": PALETTE["vermillion"]},
             "encoding": {"x": {"field": "gap", "type": "quantitative"},
                          "y": {"field": "samples", "type": "quantitative", "scale": {"type": "log"}},
                          "text": {"field": "label", "type": "nominal"}}},
        ]},
        {"data": {"name": "cost"}, "mark": {"type": "line", "color": PALETTE["orange"], "strokeDash": [5, 3]},
         "encoding": {"x": {"field": "gap", "type": "quantitative"},
                      "y": {"field": "usd", "type": "quantitative", "title": "Evaluation cost, USD (log, dashed)",
                            "scale": {"type": "log"},
                            "axis": {"orient": "right", "format": "~g", "titleColor": PALETTE["orange"]}}}},
    ],
}


def chart(d: dict, rows: list[dict], gap_pts: float, title: str) -> viz.Chart:
    yours = [{"gap": gap_pts, "samples": d["total"], "label": f"yours: {d['total']:,}"}]
    datasets = {"curve": [{"gap": r["gap"], "samples": r["samples"]} for r in rows], "yours": yours,
                "cost": [{"gap": r["gap"], "usd": r["usd"]} for r in rows if r["usd"] is not None]}
    settings = {}
    if datasets["cost"]:  # both axes span the same range of samples, so the two lines coincide: cost is samples x a price
        lo, hi = min(r["samples"] for r in rows), max(r["samples"] for r in rows)
        usd = [r["usd"] for r in rows]
        settings = {"layer.0.layer.0.encoding.y.scale.domain": [lo, hi], "layer.0.layer.0.encoding.y.scale.nice": False,
                    "layer.1.encoding.y.scale.domain": [min(usd), max(usd)], "layer.1.encoding.y.scale.nice": False}
    summary = (f"Test samples needed over all groups against the gap to detect: {rows[0]['samples']:,} at "
               f"{rows[0]['gap']:g} points, {rows[-1]['samples']:,} at {rows[-1]['gap']:g} points; yours, "
               f"{gap_pts:g} points, needs {d['total']:,}"
               + (f", costing {d['usd']:.3g} USD to evaluate (the dashed cost line lies on the samples line: "
                  f"cost is samples times one price per sample)." if d["fits"] else "; the model does not fit, so no cost."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title, settings=settings), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------


def _n_math(accuracy, gap, confidence, power, groups=2) -> str:
    n = per_group(accuracy, gap, confidence, power, groups)
    m = max(groups - 1, 1)
    return (f"n = [z(1 − α/2m) √(2 p̄ q̄) + z(power) √(p₁q₁ + p₂q₂)]² ÷ (p₁ − p₂)² (Fleiss et al. 2003, eq. 4.14) "
            f"with p₁ = {accuracy / 100:.3g}, p₂ = {(accuracy - gap) / 100:.4g}, α = {1 - confidence:.2g}, m = {m} "
            f"comparison(s), power {power:.0%} → **{n:,} per group**"
            + (f", × {groups} groups = **{groups * n:,}**." if groups > 2 else "."))


def _cost_math(model, accelerator, groups) -> str:
    d = evaluate(90, 2, 0.95, 0.8, groups, model, accelerator, 512)
    return (f"{groups} groups × {d['per_group']:,} = {d['total']:,} samples; at "
            f"{d['profile'].throughput.magnitude:,.4g} samples/s (batch {BATCH}) that is {d['seconds']:,.4g} s; "
            f"{d['economics'].assumptions[0]}, with energy and maintenance, for that long: **{d['usd']:.4g} USD**.")


QUESTIONS = [
    Question(
        id="per_group",
        prompt=("A model is **{accuracy} %** accurate on one subgroup. How many test samples does each of two "
                "subgroups need to detect that the other is **{gap} points** worse, at **{confidence:.0%}** "
                "confidence and **{power:.0%}** power?"),
        variants={"accuracy": [80, 85, 90, 95], "gap": [1, 2, 3, 5], "confidence": [0.9, 0.95, 0.99],
                  "power": [0.8, 0.9]},
        answer=lambda accuracy, gap, confidence, power: per_group(accuracy, gap, confidence, power, 2),
        tolerance=0.01, unit="samples per group",
        hint="Set baseline accuracy, gap, confidence and power, with 2 groups; read the samples per group.",
        math=_n_math,
    ),
    Question(
        id="all_groups",
        prompt=("Now **{groups}** subgroups, each compared with a reference group (Bonferroni over the "
                "comparisons), at 90 % accuracy, a **{gap}-point** gap, 95 % confidence and 80 % power: how many "
                "test samples in all?"),
        variants={"groups": [3, 4, 6, 8, 12, 16], "gap": [1, 2, 4]},
        answer=lambda groups, gap: total(90, gap, 0.95, 0.8, groups),
        tolerance=0.01, unit="samples",
        hint="Set the number of groups: the total is groups × per group, and each group needs more than with two.",
        math=lambda groups, gap: _n_math(90, gap, 0.95, 0.8, groups),
    ),
    Question(
        id="eval_cost",
        prompt=("Evaluate **{groups}** subgroups (90 % accuracy, 2-point gap, 95 % confidence, 80 % power) with "
                "**{model_name}** on one **{accelerator_name}** (512 tokens per sample for a language model): what "
                "does the evaluation cost, in **USD**?"),
        variants={"model": ["bert_base", "llama3_8b", "llama2_7b"], "accelerator": ["h100", "a100_80gb", "b200"],
                  "groups": [4, 8, 12]},
        answer=lambda model, accelerator, groups: evaluate(90, 2, 0.95, 0.8, groups, model, accelerator, 512)["usd"],
        tolerance=0.03, unit="USD",
        describe=lambda model, accelerator, **_: {"model_name": Models.get(model).name,
                                                  "accelerator_name": Hardware.get(accelerator).name},
        hint="Set the model, accelerator and groups; the cost is in the table under the chart.",
        math=_cost_math,
    ),
]

_OPTIONS = {"about 100": 100, "about 400": 400, "about 4,000": 4000, "about 40,000": 40000}


def _nearest_option(n: float) -> str:
    return min(_OPTIONS, key=lambda k: max(n, _OPTIONS[k]) / min(n, _OPTIONS[k]))


PREDICTIONS = [
    Prediction(
        id="samples",
        prompt=("A classifier is 90 % accurate on one subgroup. To show, at 95 % confidence and 80 % power, that "
                "another subgroup gets 2 points less (88 %), how many test samples does **each** group need?"),
        options=list(_OPTIONS),
        truth=lambda: _nearest_option(per_group(90, 2, 0.95, 0.8, 2)),
    ),
]
