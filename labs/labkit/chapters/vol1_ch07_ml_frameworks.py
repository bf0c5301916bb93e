"""Questions, solves and charts of the frameworks lab (Volume I, chapter 7, ML Frameworks).

One decode step of a Transformer (one new token per sequence in the batch): the model lowers to its
FLOPs and bytes (``Workload.lower``), and ``EfficiencyModel`` (the Software wall) splits the step's
time into the kernels' compute and memory time, at the size-dependent efficiencies of the registry's
tables, and the launch overhead of its kernels (kernels x launch cost, ``registry/walls/efficiency.toml``).
Eager execution launches ``kernels per layer`` x layers kernels; fusion does the same work in fewer,
larger ones. Only EfficiencyModel's public ``solve`` is called, so its physics can improve underneath.
"""

from __future__ import annotations

from mlsysim import Hardware, Models, viz
from mlsysim.solvers.efficiency import EfficiencyModel
from mlsysim.viz import data as viz_data
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE
from mlsysim.wall_registry import LaunchOverheads

from ..questions import Prediction, Question

MODELS = ["gpt2", "llama2_7b", "llama3_8b"]  # all fit each accelerator below at fp16 (the wall checks no capacity)
HARDWARE = ["h100", "h200", "b200", "a100_80gb", "mi300x", "l4"]
KERNELS_PER_LAYER = [4, 8, 12, 16, 20, 24, 32, 48]
FUSED_PER_LAYER = [1, 2, 3, 4, 6, 8, 12]
LAUNCHES = [e.key for e in LaunchOverheads]
MAX_BATCH = 4096
PRECISION = "fp16"

_MODEL = EfficiencyModel()


def step(model: str, hw: str, batch: int, kernels_per_layer: int, launch: str, fused_per_layer: int | None = None):
    """The Software wall's result for one decode step (``fused_per_layer`` also gives ``fused_time``)."""
    m = Models.get(model)
    graph = m.lower(PRECISION, batch, 1)
    fused = None if fused_per_layer is None else min(fused_per_layer, kernels_per_layer) * m.layers
    return _MODEL.solve(hw, flops=graph.total_ops, nbytes=graph.bytes_moved, precision=PRECISION,
                        kernels_per_step=kernels_per_layer * m.layers, fused_kernels=fused, launch=launch)


def bound(result) -> str:
    b = result["bound"] if isinstance(result, dict) else result.bound
    return str(getattr(b, "value", b))


def floats(result) -> dict:
    """The result's fields with its times as floats in seconds (``as_dict(floats=True)``: one call, no
    Quantity made per field, which is what keeps a redraw fast)."""
    return result.as_dict(floats=True)


def us(q) -> float:
    return q.to("us").magnitude


def duration(seconds: float) -> str:
    """A time in the unit that reads best (s, ms, µs), for the lab's text."""
    scale, unit = viz_data.pick_unit(seconds, viz_data.TIME_UNITS)
    return f"{fmt(seconds / scale)} {unit}"


def overhead_share(model: str, hw: str, batch: int, kernels_per_layer: int, launch: str = "pytorch_eager") -> float:
    """Launch overhead as a percentage of the eager step."""
    r = step(model, hw, batch, kernels_per_layer, launch)
    return 100.0 * us(r.launch_overhead) / us(r.time)


def fusion_speedup(model: str, hw: str, batch: int, kernels_per_layer: int, fused_per_layer: int,
                   launch: str = "pytorch_eager") -> float:
    """Eager step time over the fused step's (the same work in fewer launches)."""
    r = step(model, hw, batch, kernels_per_layer, launch, fused_per_layer)
    return us(r.time) / us(r.fused_time)


def parts(f: dict) -> dict[str, float]:
    """A step's time in seconds (from ``floats``): the kernels' (under the wall that sets them) and the launches'."""
    memory_sets = f["memory_time"] >= f["compute_time"]
    return {"compute": 0.0 if memory_sets else f["kernel_time"], "memory": f["kernel_time"] if memory_sets else 0.0,
            "launch overhead": f["launch_overhead"]}


def split_chart(rows: dict, title: str | list[str]) -> viz.Chart:
    """Stacked bars (one per execution mode) on the kit's step-time template, in one time unit."""
    scale, unit = viz_data.pick_unit(max(sum(p.values()) for p in rows.values()), viz_data.TIME_UNITS)
    data = [{"part": n, "value": v / scale, "order": i, "row": label}
            for label, p in rows.items() for i, (n, v) in enumerate(p.items()) if v > 0]
    summary = " ".join(f"{label}: " + ", ".join(f"{n} {fmt(v / scale)} {unit}" for n, v in p.items() if v > 0)
                       + f" (total {fmt(sum(p.values()) / scale)} {unit})." for label, p in rows.items())
    spec = viz.fill("step_time", {"parts": data, "limit": []}, title={"text": title},
                    settings={"layer.0.encoding.x.title": f"Time per decode step ({unit})",
                              "layer.0.encoding.color.scale.domain": ["compute", "memory", "launch overhead"],
                              "layer.0.encoding.color.scale.range": [PALETTE["blue"], PALETTE["orange"],
                                                                     PALETTE["vermillion"]],
                              # two legend columns: "launch overhead" ran past a 390 px phone's edge in one row
                              "layer.0.encoding.color.legend": {"columns": 2},
                              # the fit autosize gives the title's lines and the legend's rows room out of the height
                              "height": 40 * len(rows) + 70})
    return viz.Chart(spec, {"parts": data}, summary)


def prepare() -> None:
    """Pay at the lab's start what the first redraw would otherwise pay (templates, tables, first solves)."""
    viz.load_templates()
    r = step("gpt2", "h100", 1, 20, "pytorch_eager", 4)
    split_chart({"eager": parts(floats(r))}, "warm-up")


# --- check yourself -----------------------------------------------------------------------------
def _names(model: str, hw: str, **_) -> dict:
    return {"model_name": Models.get(model).name, "hw_name": Hardware.get(hw).name}


def _share_math(model, hw, batch, kernels_per_layer) -> str:
    r = step(model, hw, batch, kernels_per_layer, "pytorch_eager")
    return (f"launch overhead = kernels × launch cost = {r.kernels:,} × {us(r.launch_overhead) / r.kernels:.3g} µs = "
            f"{us(r.launch_overhead):,.4g} µs; kernel time = max(compute {us(r.compute_time):,.4g}, memory "
            f"{us(r.memory_time):,.4g}) = {us(r.kernel_time):,.4g} µs; share = {us(r.launch_overhead):,.4g} ÷ "
            f"{us(r.time):,.4g} = **{overhead_share(model, hw, batch, kernels_per_layer):.3g} %**.")


def _speedup_math(model, hw, batch, kernels_per_layer, fused_per_layer) -> str:
    r = step(model, hw, batch, kernels_per_layer, "pytorch_eager", fused_per_layer)
    return (f"eager {us(r.time):,.4g} µs ({r.kernels:,} kernels) ÷ fused {us(r.fused_time):,.4g} µs "
            f"({r.fused_kernels:,} kernels) = **{fusion_speedup(model, hw, batch, kernels_per_layer, fused_per_layer):.3g}×**.")


QUESTIONS = [
    Question(
        id="overhead_share",
        prompt=("**{model_name}** decoding on the **{hw_name}** at **batch {batch}**, PyTorch eager with **{kernels_per_layer} "
                "kernels per layer**: what **percentage** of the step is launch overhead?"),
        variants={"model": ["gpt2", "llama3_8b"], "hw": ["h100", "a100_80gb", "l4"], "batch": [1, 16, 256],
                  "kernels_per_layer": [8, 16, 24]},
        answer=overhead_share, tolerance=0.05, unit="%", describe=_names,
        hint="Overhead = kernels launched × cost per launch; divide by the whole step (kernels + overhead).",
        math=_share_math,
    ),
    Question(
        id="fusion_speedup",
        prompt=("**{model_name}** on the **{hw_name}**, batch **{batch}**, PyTorch eager: fusing **{kernels_per_layer}** "
                "kernels per layer into **{fused_per_layer}** makes the step **how many times faster**?"),
        variants={"model": ["gpt2", "llama2_7b", "llama3_8b"], "hw": ["h100", "h200", "a100_80gb"],
                  "batch": [1, 8, 64], "kernels_per_layer": [16, 24, 32], "fused_per_layer": [2, 4]},
        answer=fusion_speedup, tolerance=0.05, unit="×", describe=_names,
        hint="Same FLOPs and bytes, fewer launches: eager time ÷ fused time, both in the chart.",
        math=_speedup_math,
    ),
]

_OPTIONS = {"memory": "memory bandwidth (reading the weights)", "compute": "arithmetic (FLOP/s)",
            "software": "launching the kernels (framework overhead)"}
PREDICTION_SETUP = dict(model="gpt2", hw="h100", batch=1, kernels_per_layer=20, launch="pytorch_eager")

PREDICTIONS = [
    Prediction(
        id="small_batch_wall",
        prompt=(f"{Models.get(PREDICTION_SETUP['model']).name} "
                "generates "
                f"one token for one user (batch {PREDICTION_SETUP['batch']}) on an "
                f"{Hardware.get(PREDICTION_SETUP['hw']).name}, in PyTorch eager mode with about "
                f"{PREDICTION_SETUP['kernels_per_layer']} kernels per layer. What takes most of the time per token?"),
        options=list(_OPTIONS.values()),
        truth=lambda: _OPTIONS[bound(step(**PREDICTION_SETUP))],
    ),
]
