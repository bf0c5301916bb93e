"""Questions, solves and chart of the compression lab (Volume I, chapter 10, Model Compression).

Every number comes from ``CompressionModel`` (the Fidelity wall, ``mlsysim.solvers.compression``):
the weights' size after quantisation, 2:4 pruning or distillation; one step's time on the roofline
before and after (a decode step of one token per sequence for a Transformer, one forward pass of the
batch otherwise); and the quality change, only where ``registry/walls/compression.toml`` holds a
published before/after figure for that method, model and bit width (never an invented curve).

A *recipe* is one (method, bits, sparsity); the chart puts every recipe of the menu, plus the
student's own, at its step time (x) and its published quality kept (y). A recipe without a
published figure has no y: the student's is then drawn as a vertical line (somewhere on it), and
the others are named in the text, not placed.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlsysim import Hardware, Models, viz
from mlsysim.core.errors import InputError
from mlsysim.solvers.compression import CompressionModel
from mlsysim.viz import data as viz_data
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame
from mlsysim.wall_registry import CompressionResults

from ..questions import Prediction, Question

MODELS = ["llama1_7b", "llama2_7b", "bert_base", "resnet50"]
# a phone, an edge box, a datacenter GPU: two or three of each tier
DEVICES = {"phone": ["iphone15pro", "snapdragon_8_gen3"], "edge": ["jetson_orin_nx_16gb", "edge_server_a2"],
           "datacenter": ["h100", "a100_80gb", "l4"]}
HARDWARE = [h for tier in DEVICES.values() for h in tier]
METHODS = {"none": "none (fp16 weights)", "rtn": "RTN: round to nearest", "gptq": "GPTQ",
           "llm_int8": "LLM.int8()", "distillation": "distillation"}
BITS = [2, 3, 4, 8]  # the weight-only methods' (RTN, GPTQ) bit widths
SPARSITY = {"none": "none (dense)", "2:4": "2:4 structured", "unstructured": "unstructured"}
MAX_BATCH = 4096
PRECISION = "fp16"  # the uncompressed baseline

METRICS = {"wikitext2_perplexity": "WikiText-2 perplexity (lower is better)",
           "glue_dev_macro_score": "GLUE dev score (higher is better)",
           "quality_retained": "quality kept (the paper's claim)"}

_MODEL = CompressionModel()


@dataclass(frozen=True, slots=True)
class Recipe:
    """One way to compress: a method, its weight bits (RTN/GPTQ only) and a sparsity pattern."""

    method: str
    bits: int | None = None
    sparsity: str = "none"

    @property
    def label(self) -> str:
        name = {"none": "fp16", "rtn": f"RTN {self.bits}-bit", "gptq": f"GPTQ {self.bits}-bit",
                "llm_int8": "LLM.int8()", "distillation": "distilled"}[self.method]
        if self.sparsity != "none":
            name = ("fp16 " if self.method == "none" else name + " + ") + self.sparsity + " sparse"
        return name


def recipe(method: str, bits: int | str | None, sparsity: str) -> Recipe:
    """The student's recipe from the controls (bits count only for RTN and GPTQ)."""
    return Recipe(method, int(bits) if method in ("rtn", "gptq") else None, sparsity)


def solve(model: str, hw: str, r: Recipe, batch: int):
    """The engine's result for one recipe (raises InputError for a distillation with no published student)."""
    return _MODEL.solve(model, hw, method=r.method, bits=r.bits, sparsity=r.sparsity, batch_size=batch,
                        precision=PRECISION)


def floats(result) -> dict:
    """The result as plain values (seconds, bytes): one call, no Quantity per field."""
    return result.as_dict(floats=True)


def has_student(model: str) -> bool:
    m = Models.get(model)
    names = {m.key, m.name}
    return any(row.method == "distillation" and row.for_model in names for row in CompressionResults)


def menu(model: str, bits: int) -> list[Recipe]:
    """The recipes the chart compares: none, LLM.int8(), RTN and GPTQ at the chosen bits, fp16 2:4, the student."""
    out = [Recipe("none"), Recipe("llm_int8"), Recipe("rtn", bits), Recipe("gptq", bits), Recipe("none", None, "2:4")]
    if has_student(model):
        out.append(Recipe("distillation"))
    return out


def compare(model: str, hw: str, chosen: Recipe, batch: int, bits: int) -> tuple[list[dict], dict | None, str]:
    """(every recipe's floats, each with ``recipe`` and ``label``; the chosen one's, or None; why not).

    The menu's RTN and GPTQ use ``bits`` (the control's, whatever the chosen method); the chosen recipe is
    the menu's entry when it is one of them, else solved on its own."""
    rows = []
    for r in menu(model, bits):
        rows.append(dict(floats(solve(model, hw, r, batch)), recipe=r, label=r.label))
    mine = next((row for row in rows if row["recipe"] == chosen), None)
    why = ""
    if mine is None:
        try:
            mine = dict(floats(solve(model, hw, chosen, batch)), recipe=chosen, label=chosen.label)
        except InputError as e:
            why = e.accepted
    return rows, mine, why


def step_bound(row: dict) -> str:
    """'memory' or 'compute': the engine's ``step_bound``; for a recipe that does not fit (no bound given),
    the same rule on its times (compute bound when the compute time is at least the memory time)."""
    if row["step_bound"] is not None:
        return row["step_bound"].value
    return "compute" if row["compute_time"] >= row["memory_time"] else "memory"


def kept(row: dict) -> float | None:
    """Published quality kept, in %, or None when the registry has no figure (100 % for the uncompressed
    baseline by definition)."""
    if row["recipe"] == Recipe("none"):
        return 100.0
    return None if row["quality_retained"] is None else 100.0 * row["quality_retained"]


def kind(row: dict) -> str:
    if row["recipe"] == Recipe("none"):
        return "fp16"
    return "claim" if row["metric"] == "quality_retained" else "measured"


# the frontier: step time against published quality kept, the chosen recipe ringed
_X = {"field": "time", "type": "quantitative", "title": "Time per step (ms)", "scale": {"zero": True}}
_Y = {"field": "kept", "type": "quantitative", "title": "Published quality kept (%)", "scale": {"zero": False}}
_KINDS = {"domain": ["measured", "claim", "fp16"], "range": [PALETTE["blue"], PALETTE["orange"], PALETTE["black"]]}
FRONTIER_TEMPLATE = {
    **lab_frame(300, legend={"labelFontSize": 11, "titleFontSize": 11}),
    "layer": [
        {"data": {"name": "unplaced"}, "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 2,
                                                "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "time", "type": "quantitative"}}},
        # the dashed line's words, on its left when it stands in the right half (so they stay inside the chart)
        *({"data": {"name": "unplaced"}, "transform": [{"filter": f"{'' if left else '!'}datum.right"}],
           "mark": {"type": "text", "align": "right" if left else "left", "dx": -4 if left else 4, "dy": -22,
                    "baseline": "bottom", "y": {"expr": "height"}, "color": PALETTE["vermillion"], "fontWeight": "bold"},
           "encoding": {"x": {"field": "time", "type": "quantitative"}, "text": {"field": "label", "type": "nominal"}}}
          for left in (True, False)),
        {"data": {"name": "points"}, "mark": {"type": "point", "filled": True, "size": 110, "opacity": 1},
         "encoding": {"x": _X, "y": _Y,
                      "color": {"field": "kind", "type": "nominal", "title": None, "scale": _KINDS},
                      "shape": {"field": "fits", "type": "nominal", "legend": None,
                                "scale": {"domain": ["fit", "do not fit"], "range": ["circle", "cross"]}},
                      "tooltip": [{"field": "label"}, {"field": "time", "format": ".3g"}, {"field": "kept", "format": ".3g"},
                                  {"field": "size_gb", "format": ".3g"}]}},
        {"data": {"name": "points"}, "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 9,
                                              "fontSize": 11},
         "encoding": {"x": {"field": "time", "type": "quantitative"}, "y": {"field": "kept", "type": "quantitative"},
                      "text": {"field": "tag", "type": "nominal"}}},
        {"data": {"name": "chosen"}, "mark": {"type": "point", "filled": False, "size": 420, "strokeWidth": 3,
                                              "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "time", "type": "quantitative"}, "y": {"field": "kept", "type": "quantitative"}}},
    ],
}


def frontier_chart(rows: list[dict], mine: dict | None, title: str | dict) -> viz.Chart:
    """Every recipe with a published quality figure as a point; the chosen one ringed, or, without a
    figure, a dashed vertical line at its step time."""
    everything = rows + ([mine] if mine is not None and mine not in rows else [])
    scale, unit = viz_data.pick_unit(max(r["compressed_time"] for r in everything), viz_data.TIME_UNITS)

    def point(r):
        return {"label": r["label"], "tag": r["label"] if r["feasible"] else r["label"] + " (too big)",
                "time": r["compressed_time"] / scale, "kept": kept(r), "kind": kind(r),
                "fits": "fit" if r["feasible"] else "do not fit", "size_gb": r["compressed_size"] / 1e9}

    top = max(r["compressed_time"] for r in everything) / scale
    points = [point(r) for r in everything if kept(r) is not None]
    chosen = [point(mine)] if mine is not None and kept(mine) is not None else []
    unplaced = ([{"label": [f"{mine['label']}:", "no published quality"], "time": mine["compressed_time"] / scale,
                  "right": mine["compressed_time"] / scale > 0.5 * 1.45 * top}]
                if mine is not None and kept(mine) is None else [])
    low = min(p["kept"] for p in points)
    floor = max(0.0, 10.0 * int((low - 6.0) // 10.0))
    datasets = {"points": points, "chosen": chosen, "unplaced": unplaced}
    missing = [r["label"] for r in everything if kept(r) is None]
    summary = (" ".join(f"{p['label']}: {fmt(p['time'])} {unit}, {fmt(p['kept'])} % kept"
                        f"{'' if p['fits'] == 'fit' else ' (does not fit)'}." for p in points)
               + (f" No published quality, so not placed: {', '.join(missing)}." if missing else ""))
    spec = viz.fill(FRONTIER_TEMPLATE, datasets, title=title,
                    settings={"layer.3.encoding.x.title": f"Time per step ({unit})",
                              "layer.3.encoding.x.scale.domain": [0, 1.45 * top],
                              "layer.3.encoding.y.scale.domain": [floor, 105]})
    return viz.Chart(spec, datasets, summary)


def estimates(hw: str, r: Recipe) -> list[str]:
    """The device's registry values this recipe's step uses that are estimates or derived, not datasheet figures."""
    h = Hardware.get(hw)
    paths = {"memory.bandwidth": "memory bandwidth", "memory.capacity": "memory capacity",
             f"compute.precision_flops.{PRECISION}": f"{PRECISION} peak"}
    if r.method == "llm_int8":
        paths["compute.precision_flops.int8"] = "int8 peak"
    if r.sparsity == "2:4":
        paths[f"compute.sparse_flops.{'int8' if r.method == 'llm_int8' else PRECISION}"] = "2:4 sparse peak"
    out = []
    for path, name in paths.items():
        try:
            k = h.provenance(path).kind
        except KeyError:
            continue
        if k in ("estimate", "derived"):
            out.append(f"{name} ({k})")
    return out


def cite(source) -> str:
    """A source's short name: its title up to the quoted paper title or the first parenthesis."""
    return source.title.split(", '")[0].split(" (")[0]


def published_row(key: str | None):
    return CompressionResults.get(key) if key else None


def duration(seconds: float) -> str:
    scale, unit = viz_data.pick_unit(seconds, viz_data.TIME_UNITS)
    return f"{fmt(seconds / scale)} {unit}"


def prepare() -> None:
    """Pay at the lab's start what the first redraw would otherwise pay (catalogues, first solves; the
    chart's template is this module's, so mlsysim.viz's stored ones are not loaded)."""
    rows, mine, _ = compare("llama1_7b", "jetson_orin_nx_16gb", Recipe("gptq", 4), 1, 4)
    frontier_chart(rows, mine, "warm-up")


# --- check yourself -----------------------------------------------------------------------------
def speedup(model: str, hw: str, batch: int, bits: int) -> float:
    """How many times faster one step is with GPTQ ``bits``-bit weights than with fp16 weights."""
    return solve(model, hw, Recipe("gptq", bits), batch).speedup


def compressed_gb(model: str, bits: int, sparsity: str) -> float:
    """The weights' size in GB after GPTQ at ``bits`` (and the sparsity): the device does not matter."""
    return solve(model, "h100", Recipe("gptq", bits, sparsity), 1).compressed_size.m_as("GB")


def _compute_bound(hw: str, bits: int, batch: int) -> bool:
    return solve("llama1_7b", hw, Recipe("gptq", bits), batch).step_bound.value == "compute"


def first_compute_bound_batch(hw: str, bits: int) -> int:
    """The smallest batch whose GPTQ decode step of LLaMA-7B the engine calls compute bound (bisection: the
    step's bound flips once, from memory to compute, as the batch grows)."""
    lo, hi = 1, MAX_BATCH
    if not _compute_bound(hw, bits, hi):
        raise ValueError(f"{hw} at {bits} bits stays memory bound up to batch {MAX_BATCH}")
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _compute_bound(hw, bits, mid) else (mid + 1, hi)
    return lo


def _names(hw: str | None = None, model: str | None = None, sparsity: str | None = None, **_) -> dict:
    out = {"sparsity_text": "dense weights (no sparsity)" if sparsity == "none" else f"{sparsity} sparsity"}
    if hw:
        out["hw_name"] = Hardware.get(hw).name
    if model:
        out["model_name"] = Models.get(model).name
    return out


def _speedup_math(model, hw, batch, bits) -> str:
    r = floats(solve(model, hw, Recipe("gptq", bits), batch))
    return (f"fp16 step = max(compute, weights ÷ bandwidth) = **{duration(r['baseline_time'])}**; {bits}-bit step = "
            f"max(compute {duration(r['compute_time'])}, memory {duration(r['memory_time'])}) = "
            f"**{duration(r['compressed_time'])}** ({r['step_bound'].value} bound); speed-up = "
            f"{duration(r['baseline_time'])} ÷ {duration(r['compressed_time'])} = **{r['speedup']:.3g}×**.")


def _size_math(model, bits, sparsity) -> str:
    m = Models.get(model)
    p = m._si["parameters"]
    rule = (f"{fmt(p)} parameters × {bits} bits ÷ 8" if sparsity == "none" else
            f"{fmt(p)} ÷ 2 kept parameters × ({bits} bits + 2 bits of position metadata) ÷ 8")
    return f"size = {rule} = **{compressed_gb(model, bits, sparsity):.4g} GB**."


def _crossover_math(hw, bits) -> str:
    b = first_compute_bound_batch(hw, bits)
    r = floats(solve("llama1_7b", hw, Recipe("gptq", bits), b))
    return (f"at batch {b} the {bits}-bit step's compute time, {duration(r['compute_time'])}, first reaches its "
            f"memory time, {duration(r['memory_time'])} (the weights are read once for the whole batch; the "
            f"arithmetic grows with it). From there on, fewer weight bytes stop buying time: **batch {b}**.")


QUESTIONS = [
    Question(
        id="speedup",
        prompt=("**{model_name}** decoding on the **{hw_name}** at **batch {batch}**: GPTQ **{bits}-bit** weights "
                "make one step **how many times faster** than fp16 weights?"),
        variants={"model": ["llama1_7b", "llama2_7b"], "hw": ["jetson_orin_nx_16gb", "edge_server_a2", "h100",
                                                               "a100_80gb", "l4"],
                  "batch": [1, 16, 32, 64, 128], "bits": [3, 4]},
        answer=speedup, tolerance=0.05, unit="×", describe=_names,
        hint="Each step reads the weights once; set the controls and compare the fp16 and GPTQ steps. Is the "
             "compressed step still memory bound?",
        math=_speedup_math,
    ),
    Question(
        id="crossover",
        prompt=("LLaMA-7B with GPTQ **{bits}-bit** weights on the **{hw_name}**: from which **batch size** on is "
                "the decode step **compute bound**, so that smaller weights no longer make it faster?"),
        variants={"hw": ["iphone15pro", "snapdragon_8_gen3", "jetson_orin_nx_16gb", "edge_server_a2", "h100", "l4"],
                  "bits": [3, 4, 8]},
        answer=first_compute_bound_batch, tolerance=0.05, unit="sequences", describe=_names,
        hint="Raise the batch until the explanation says the compressed step is compute bound.",
        math=_crossover_math,
    ),
    Question(
        id="size",
        prompt=("How many **GB** do **{model_name}**'s weights take with GPTQ **{bits}-bit** and "
                "**{sparsity_text}**?"),
        variants={"model": ["llama1_7b", "llama2_7b"], "bits": [3, 4, 8], "sparsity": ["none", "2:4"]},
        answer=compressed_gb, tolerance=0.02, unit="GB", describe=_names,
        hint="Parameters × bits ÷ 8; 2:4 keeps half the weights but stores 2 bits of position with each.",
        math=_size_math,
    ),
]

PREDICTION_SETUP = dict(model="llama1_7b", hw="jetson_orin_nx_16gb", batch=128, bits=4)
_OPTIONS = ["about 4× faster, as at batch 1", "faster, but by less than 3×", "no faster (less than 5 % gained)"]


def _big_batch_truth() -> str:
    s = speedup(**PREDICTION_SETUP)
    return _OPTIONS[0] if s >= 3.0 else _OPTIONS[1] if s >= 1.05 else _OPTIONS[2]


PREDICTIONS = [
    Prediction(
        id="big_batch",
        prompt=(f"On an {Hardware.get(PREDICTION_SETUP['hw']).name}, GPTQ 4-bit weights make LLaMA-7B answer one "
                f"user (batch 1) {speedup(PREDICTION_SETUP['model'], PREDICTION_SETUP['hw'], 1, 4):.3g}× faster than "
                f"fp16 weights: each step reads a quarter of the bytes. Serving {PREDICTION_SETUP['batch']} users at "
                "once (batch 128) on the same device, the 4-bit weights make each step:"),
        options=_OPTIONS,
        truth=_big_batch_truth,
    ),
]
