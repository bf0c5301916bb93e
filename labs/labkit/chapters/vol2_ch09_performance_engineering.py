"""Questions, tornado and chart of the performance-engineering lab (Volume II, chapter 9).

Every number is the engine's: ``sensitivity.single_node_problem`` builds the roofline's float
function of the knobs (peak FLOP/s, memory bandwidth, compute and bandwidth efficiency, batch) for a
workload on an accelerator; ``SensitivitySolver`` gives each knob's elasticity (d ln throughput /
d ln knob, central differences at +/-1 %), and the same float function, evaluated with one knob
multiplied (or divided) by the upgrade factor, gives what a finite upgrade really buys. Amdahl's law
(``kernels.amdahl_speedup``) turns an elasticity into the speed-up it promises: a rate knob whose
latency elasticity is -f governs a share f of the step time (T = (1 - f) T + f T, the second part
proportional to 1 / knob). The two disagree exactly when the upgrade moves the step onto another
wall. The tornado's template is written here (the kit's ``mlsysim.viz`` has none).
"""

from __future__ import annotations

from mlsysim import Hardware, viz
from mlsysim.physics import kernels
from mlsysim.solvers.sensitivity import SensitivitySolver, single_node_problem
from mlsysim.solvers.single_node import SingleNodeModel
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

# workload value -> (label, model, training?, seq_len, what one unit of throughput is):
# one LLM token at a time, a long prompt, vision, training
WORKLOADS = {
    "llama_decode": ("Llama 3 8B, generating one token per step", "llama3_8b", False, 1, "tokens/s"),
    "llama_prefill": ("Llama 3 8B, reading a 2,048-token prompt", "llama3_8b", False, 2048, "prompts/s"),
    "bert": ("BERT-Base inference", "bert_base", False, None, "sequences/s"),
    "resnet": ("ResNet-50 inference", "resnet50", False, None, "images/s"),
    "resnet_train": ("ResNet-50 training step", "resnet50", True, None, "images/s"),
    "mobilenet": ("MobileNetV2 inference", "mobilenetv2", False, None, "images/s"),
}
ACCELERATORS = ("h100", "h200", "b200", "a100_80gb", "mi300x", "l4")
MAX_BATCH = 1024

# the knobs, in the adapter's names, with what a student calls them
KNOBS = {"peak_flops": "peak FLOP/s", "bandwidth": "memory bandwidth", "efficiency": "compute efficiency",
         "bandwidth_efficiency": "bandwidth efficiency", "batch_size": "batch size",
         "launch_rate": "launches per second"}  # kernel launches the host issues  # the last where the engine charges launches (CNNs)
RATE_KNOBS = ("peak_flops", "bandwidth", "efficiency", "bandwidth_efficiency", "launch_rate")  # each divides a part of the time
BOTH = "FLOP/s + bandwidth"

_SOLVER = SensitivitySolver()


def problem(workload: str, hw: str, batch: int):
    """The roofline's float function of the knobs for this workload (the engine's sensitivity adapter)."""
    _, model, training, seq, _ = WORKLOADS[workload]
    return single_node_problem(model, hw, batch_size=int(batch), is_training=training, seq_len=seq)


def fits(workload: str, hw: str, batch: int):
    """The engine's roofline result at the base knobs (its ``feasible`` says whether the batch fits in memory)."""
    _, model, training, seq, _ = WORKLOADS[workload]
    return SingleNodeModel().solve(model, hw, batch_size=int(batch), is_training=training, seq_len=seq)


GOALS = {"throughput (samples or tokens per second)": "throughput", "latency (time per step)": "latency"}


def gain(goal: str, outputs: dict, base: dict) -> float:
    """Times better than ``base`` for ``goal``: throughput ratio, or how many times shorter the step is."""
    return outputs["throughput"] / base["throughput"] if goal == "throughput" else base["latency"] / outputs["latency"]


def analyse(workload: str, hw: str, batch: int, factor: float, goal: str = "throughput") -> dict:
    """The solver's elasticities and, per knob, how many times better ``goal`` gets with the knob raised and
    lowered by ``factor`` (raised no further than its bound: an efficiency stops at 100 %)."""
    p = problem(workload, hw, batch)
    sens = _SOLVER.solve(p, outputs=["throughput", "latency"])
    base = p.function(dict(p.knobs))
    rows = []
    for knob, label in KNOBS.items():
        if knob not in p.knobs:  # a workload whose kernel launches the engine does not count
            continue
        x = p.knobs[knob]
        lo, hi = p.bounds.get(knob, (0.0, float("inf")))
        up, down = min(x * factor, hi), max(x / factor, lo)
        if knob in p.integer_knobs:
            up, down = float(round(up)), float(max(1, round(down)))
        rows.append(_row(p, goal, base, knob, label, {knob: up}, {knob: down}, sens, up / x, capped=x * factor > hi))
    pair = ("peak_flops", "bandwidth")
    rows.append(_row(p, goal, base, "both", BOTH, {k: p.knobs[k] * factor for k in pair},
                     {k: p.knobs[k] / factor for k in pair}, None, factor))
    ranked = [k for k, _ in sens.ranking[goal]]
    rows.sort(key=lambda r: ranked.index(r["knob"]) if r["knob"] in ranked else len(ranked))
    best = max(rows[:-1], key=lambda r: r["speedup"])
    return {"rows": rows, "base": base, "sensitivity": sens, "problem": p, "best": best, "goal": goal}


def _row(p, goal, base, knob, label, raised, lowered, sens, factor, capped=False) -> dict:
    """One knob's bars: how many times better ``goal`` gets with ``raised`` and with ``lowered`` knobs; and
    Amdahl's speed-up for a rate knob's time share raised by ``factor`` (what it was really raised by)."""
    hi = gain(goal, p.function({**p.knobs, **raised}), base)
    lo = gain(goal, p.function({**p.knobs, **lowered}), base)
    e = sens.elasticities[goal].get(knob) if sens is not None else None
    amdahl = None
    if knob in RATE_KNOBS and e is not None:
        amdahl = kernels.amdahl_speedup(time_share(sens, knob), factor)
    return {"knob": knob, "label": label, "speedup": hi, "slowdown": lo, "raise": 100.0 * (hi - 1.0),
            "lower": 100.0 * (lo - 1.0), "elasticity": e, "amdahl": amdahl, "capped": capped}


def time_share(sens, knob: str) -> float:
    """The share of the step time a rate knob governs: minus its latency elasticity, within [0, 1]."""
    return min(1.0, max(0.0, -sens.elasticities["latency"][knob]))


def jumps_wall(row: dict) -> bool:
    """The upgrade bought less than its elasticity promised (by more than 2 %): it moved the step onto another wall."""
    return row["amdahl"] is not None and row["speedup"] < 0.98 * row["amdahl"]


def speedup(workload: str, hw: str, batch: int, knob: str, factor: float, goal: str = "throughput") -> float:
    """Times better ``goal`` gets with ``knob`` multiplied by ``factor``: the engine's float function."""
    rows = analyse(workload, hw, batch, factor, goal)["rows"]
    return next(r for r in rows if r["knob"] == knob)["speedup"]


# The tornado: per knob, the throughput change (%) when it is raised (right) and lowered (left) by the
# factor, ranked by the solver's elasticity; a tick where Amdahl's law puts the raise from the elasticity.
AMDAHL = "Amdahl (from elasticity)"
_COLOURS = {"domain": ["knob raised", "knob lowered", AMDAHL], "range": [PALETTE["blue"], PALETTE["orange"], PALETTE["black"]]}
TEMPLATE = {
    **lab_frame(260, axis={"labelLimit": 140}, legend={"columns": 1, "labelLimit": 320}),
    "layer": [
        {"data": {"name": "bars"}, "mark": {"type": "bar"},
         "encoding": {"y": {"field": "label", "type": "nominal", "sort": None, "title": None},
                      "x": {"field": "change", "type": "quantitative", "title": "Change (%)"},
                      "color": {"field": "direction", "type": "nominal", "title": None, "scale": _COLOURS},
                      "tooltip": [{"field": "label", "type": "nominal"}, {"field": "change", "type": "quantitative", "format": ".1f"}]}},
        {"data": {"name": "amdahl"}, "mark": {"type": "tick", "thickness": 3},
         "encoding": {"y": {"field": "label", "type": "nominal", "sort": None}, "x": {"field": "change", "type": "quantitative"},
                      "color": {"field": "direction", "type": "nominal", "title": None, "scale": _COLOURS}}},
        {"data": {"name": "zero"}, "mark": {"type": "rule", "color": PALETTE["grey"]},
         "encoding": {"x": {"field": "change", "type": "quantitative"}}},
    ],
}


def chart(analysis: dict, factor: float, title: str | dict) -> viz.Chart:
    rows = analysis["rows"]
    bars = [{"label": r["label"], "direction": "knob raised", "change": r["raise"]} for r in rows]
    bars += [{"label": r["label"], "direction": "knob lowered", "change": r["lower"]} for r in rows]
    ticks = [{"label": r["label"], "direction": AMDAHL, "change": 100.0 * (r["amdahl"] - 1.0)}
             for r in rows if r["amdahl"] is not None]
    datasets = {"bars": bars, "amdahl": ticks, "zero": [{"change": 0.0}]}
    best = analysis["best"]
    summary = (f"Change in {analysis['goal']} when each knob is multiplied or divided by {fmt(factor)}: the biggest gain is from "
               f"{best['label']}, {best['raise']:+.1f} %; " + ", ".join(f"{r['label']} {r['raise']:+.1f} %" for r in rows) + ".")
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


def table(rows: list[dict]) -> str:
    """The knobs' rows as Markdown table lines: elasticity, the engine's gain either way, Amdahl's promise."""
    def x(v):
        return "—" if v is None else f"{v:.3g}×"
    return "\n".join(f"| {r['label']} | {'—' if r['elasticity'] is None else format(r['elasticity'], '+.3g')} | "
                     f"**{x(r['speedup'])}** | {x(r['amdahl'])} | {x(r['slowdown'])} |" for r in rows)


def hw_name(hw: str) -> str:
    return Hardware.get(hw).name


# --- check yourself ---------------------------------------------------------------------------
def _speedup_math(workload, hw, batch, knob, factor) -> str:
    a = analyse(workload, hw, batch, factor)
    r = next(r for r in a["rows"] if r["knob"] == knob)
    return (f"Throughput {fmt(a['base']['throughput'])}/s at the base; with {factor}× the {KNOBS[knob]}, the engine's "
            f"roofline gives {fmt(a['base']['throughput'] * r['speedup'])}/s: **{r['speedup']:.4g}×**. Its elasticity, "
            f"{r['elasticity']:.3g}, promised {r['amdahl']:.3g}× (Amdahl); "
            + ("the upgrade moved the step onto another wall." if jumps_wall(r) else "the step stayed on the same wall."))


def _share_math(workload, hw, batch, knob) -> str:
    a = analyse(workload, hw, batch, 2.0)
    e = a["sensitivity"].elasticities["latency"][knob]
    return (f"Elasticity of the step time with respect to {KNOBS[knob]}: d ln T / d ln x = **{e:.4g}**, so that part is "
            f"**{100 * time_share(a['sensitivity'], knob):.4g} %** of the time (central differences at ±1 %).")


def _amdahl_math(pct, factor) -> str:
    f = pct / 100
    return (f"Amdahl (1967): S = 1 ÷ ((1 − f) + f ÷ s) = 1 ÷ ({1 - f:.3g} + {f:g} ÷ {factor}) = "
            f"**{kernels.amdahl_speedup(f, factor):.4g}×**.")


QUESTIONS = [
    Question(
        id="speedup",
        prompt=("**{what}** on the **{hw_name}**, batch **{batch}**. How many times faster (×) does it run with "
                "**{factor}× the {knob_name}**, everything else the same?"),
        variants={"workload": ["resnet", "bert", "mobilenet", "llama_decode"], "hw": ["h100", "a100_80gb", "l4"],
                  "batch": [1, 8, 64], "knob": ["peak_flops", "bandwidth"], "factor": [1.5, 2.0, 3.0]},
        answer=speedup,
        describe=lambda workload, hw, knob, **_: {"what": WORKLOADS[workload][0], "hw_name": hw_name(hw),
                                                  "knob_name": KNOBS[knob]},
        tolerance=0.02, unit="×",
        hint="Set the workload, accelerator, batch and upgrade factor; the tornado's table gives the speed-up.",
        math=_speedup_math,
    ),
    Question(
        id="share",
        prompt=("**{what}** on the **{hw_name}**, batch **{batch}**. What share (%) of the step time responds to "
                "**{knob_name}** (minus the step time's elasticity with respect to it)?"),
        variants={"workload": ["resnet", "bert", "resnet_train"], "hw": ["h100", "a100_80gb"], "batch": [256, 512, 1024],
                  "knob": ["peak_flops"]},  # eager ResNet-50 on an H100 is launch bound up to batch ~160 (174 x 48 us)
        answer=lambda workload, hw, batch, knob: 100.0 * time_share(analyse(workload, hw, batch, 2.0)["sensitivity"], knob),
        describe=lambda workload, hw, knob, **_: {"what": WORKLOADS[workload][0], "hw_name": hw_name(hw),
                                                  "knob_name": KNOBS[knob]},
        tolerance=0.03, unit="%",
        hint="The table's elasticity column: a rate knob's elasticity of throughput is the share it governs.",
        math=_share_math,
    ),
    Question(
        id="amdahl",
        prompt=("A step spends **{pct}%** of its time in work that a new accelerator runs **{factor}× faster**; the rest "
                "it does not speed up at all. How many times faster (×) is the whole step?"),
        variants={"pct": [40, 60, 75, 90, 95], "factor": [2, 4, 10]},
        answer=lambda pct, factor: kernels.amdahl_speedup(pct / 100, factor),
        tolerance=0.02, unit="×",
        hint="Amdahl: the part you do not speed up still takes its time; S = 1 ÷ ((1 − f) + f ÷ s).",
        math=_amdahl_math,
    ),
]

PREDICTION_SETUP = {"workload": "resnet", "hw": "h100", "batch": 1, "knob": "peak_flops", "factor": 2.0}

PREDICTIONS = [
    Prediction(
        id="double_flops",
        prompt=("ResNet-50 serves one image at a time on an H100. A new accelerator doubles the peak FLOP/s and changes "
                "nothing else. How many times faster (×) is each image served?"),
        truth=lambda: speedup(**PREDICTION_SETUP),
        unit="×",
    ),
]
