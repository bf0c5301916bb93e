"""Questions, layouts and chart of the parallelism lab (Volume II, chapter 5).

Every number is the engine's: ``DistributedModel`` for the student's TP x PP x DP layout (step-time
parts, bubble fraction, memory per GPU, the binding wall) and ``ParallelismOptimizer`` for the
fastest layout that fits. The chart is the kit's step-time template (``mlsysim.viz``) with two
rows, the student's layout and the optimizer's best, on one time axis (the kit's ``step_time_spec``
draws one row, so the rows are built here with viz's own unit picker and filled into its template).
"""

from __future__ import annotations

from mlsysim import Fleets, InputError, Models, viz
from mlsysim.solvers import DistributedModel, ParallelismOptimizer
from mlsysim.viz.data import TIME_UNITS, fmt, pick_unit

from ..questions import Prediction, Question

BATCH = 1024  # global batch, sequences per optimizer step (Llama 3 trained at batches of this order)
MODELS = {"Llama-3-8B": "llama3_8b", "Llama-3-70B": "llama3_70b"}
# the registry fleets whose size divides the global batch into whole sequences per replica
FLEETS = {Fleets.get(k).name: k for k in ("research256", "frontier8k", "meta_llama3_h100")}
TP_OPTIONS = [1, 2, 4, 8]
PP_OPTIONS = [1, 2, 4, 8, 16]
MICROBATCH_OPTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
RECOMPUTE = {"none (keep every activation)": "none", "selective (attention only)": "selective",
             "full (recompute each layer)": "full"}

# the step's parts as the engine names them -> the kit's chart parts
PARTS = {"compute": "compute", "tp_comm": "TP communication", "pp_comm": "PP communication",
         "ep_comm": "EP communication", "dp_exposed": "DP communication", "bubble": "pipeline bubble"}

_DIST, _OPT = DistributedModel(), ParallelismOptimizer()
_BEST: dict = {}


def model_of(key: str):
    return Models.get(key)


def layout(model: str, fleet: str, tp: int, pp: int, microbatches: int, zero: int, recompute: str):
    """The engine's result for this layout, or the ``InputError`` saying why it is not a layout."""
    try:
        return _DIST.solve(model_of(model), Fleets.get(fleet), batch_size=BATCH, tp_size=int(tp), pp_size=int(pp),
                           microbatch_count=int(microbatches), zero_stage=int(zero), recompute=recompute)
    except InputError as err:
        return err


def best(model: str, fleet: str, recompute: str):
    """The optimizer's search (every TP x PP x DP x ZeRO layout that fits), cached per input."""
    key = (model, fleet, recompute)
    if key not in _BEST:
        # plain 1F1B (no interleaving), the schedule the student's layout runs, so the two rows compare like with like
        _BEST[key] = _OPT.solve(model_of(model), Fleets.get(fleet), batch_size=BATCH, recompute=recompute, interleave=False)
    return _BEST[key]


def parts_s(result) -> dict[str, float]:
    """The step's parts in seconds, named as the chart names them."""
    return {PARTS[k]: v.to("s").magnitude for k, v in result.breakdown.items()}


def describe(result) -> str:
    """'TP 8 x PP 4 x DP 8, 128 micro-batches, ZeRO-1' for a result."""
    return (f"TP {result.tp_size} × PP {result.pp_size} × DP {result.dp_size}, "
            f"{result.microbatch_count} micro-batches, ZeRO-{result.zero_stage}")


def chart(mine, top, title: str) -> viz.Chart:
    """The step-time breakdown of the student's layout (when it is one) and the optimizer's best."""
    rows_in = []
    if top is not None:
        rows_in.append(("optimizer's best", parts_s(top)))
    if mine is not None and not isinstance(mine, InputError):
        rows_in.insert(0, ("your layout" + ("" if mine.feasible else " (does not fit)"), parts_s(mine)))
    total = max((sum(p.values()) for _, p in rows_in), default=1.0)
    scale, unit = pick_unit(total, TIME_UNITS)
    rows = [{"part": name, "value": v / scale, "order": i, "row": row}
            for row, parts in rows_in for i, (name, v) in enumerate(parts.items())]
    datasets = {"parts": rows, "limit": []}
    summary = "; ".join(f"{row}: step {fmt(sum(p.values()) / scale)} {unit} ("
                        + ", ".join(f"{n} {fmt(v / scale)} {unit}" for n, v in p.items() if v > 0) + ")"
                        for row, p in rows_in) + "."
    spec = viz.fill("step_time", datasets, title=title,
                    settings={"layer.0.encoding.x.title": f"Step time ({unit})", "height": 150})
    if not rows_in:  # no layout fits and the student's is not one: say so on the chart, not an empty frame
        summary = NOTHING_TO_DRAW + "."
        datasets = {**datasets, "note": [{"text": NOTHING_TO_DRAW}]}
        spec = dict(spec, datasets=datasets, layer=[*spec["layer"], NOTE_LAYER])
    return viz.Chart(spec, datasets, summary)


NOTHING_TO_DRAW = "No step to draw: no layout fits, and yours is not one"
NOTE_LAYER = {"data": {"name": "note"},
              "mark": {"type": "text", "align": "left", "baseline": "top", "fontSize": 12, "fontWeight": "bold"},
              "encoding": {"x": {"value": 4}, "y": {"value": 8}, "text": {"field": "text"}}}


def best_label(model: str, fleet: str, recompute: str) -> str:
    """Which kind of layout the optimizer ranks first (the prediction's options)."""
    c = best(model, fleet, recompute).best_config
    if c["tp"] == 1 and c["pp"] == 1:
        return PREDICT_OPTIONS[2]
    return PREDICT_OPTIONS[1] if c["pp"] > 1 else PREDICT_OPTIONS[0]


PREDICT_OPTIONS = [
    "tensor parallel inside each node, no pipeline (TP > 1, PP = 1)",
    "a pipeline across nodes (PP > 1)",
    "pure data parallel, sharded with ZeRO (TP = PP = 1)",
]


# --- check yourself ---------------------------------------------------------------------------
_BUBBLE = {"pp": [2, 4, 8], "microbatches": [2, 4, 8, 16, 32]}


def _bubble(pp, microbatches):
    return 100.0 * layout("llama3_70b", "research256", 8, pp, microbatches, 1, "selective").bubble_fraction


def _one_each(tp, pp):
    """Micro-batches of one sequence: the per-replica batch, 1,024 / DP."""
    return BATCH * tp * pp // Fleets.get("research256").total_accelerators


def _memory(tp, pp, zero):
    r = layout("llama3_70b", "research256", tp, pp, _one_each(tp, pp), zero, "selective")
    return r.memory_per_accelerator.to("GB").magnitude


def _best_step(model, fleet):
    return best(model, fleet, "selective").step_time.to("s").magnitude


def _bubble_math(pp, microbatches):
    return (f"bubble = (P − 1)/(M + P − 1) = ({pp} − 1)/({microbatches} + {pp} − 1) = "
            f"**{_bubble(pp, microbatches):.4g} %** of the pipeline's time (Narayanan et al. 2021, 1F1B).")


def _memory_math(tp, pp, zero):
    r = layout("llama3_70b", "research256", tp, pp, _one_each(tp, pp), zero, "selective")
    return (f"weights {r.weight_memory.to('GB').magnitude:.3g} + gradients {r.gradient_memory.to('GB').magnitude:.3g} "
            f"+ optimizer {r.optimizer_memory.to('GB').magnitude:.3g} + activations "
            f"{r.activation_memory.to('GB').magnitude:.3g} = **{r.memory_per_accelerator.to('GB').magnitude:.4g} GB** "
            f"(parameters split over TP × PP = {tp * pp}; ZeRO-{zero} also shards over DP = {r.dp_size}).")


def _best_math(model, fleet):
    o = best(model, fleet, "selective")
    return (f"The optimizer searched {o.total_searched} layouts, {o.feasible_count} fit; the fastest is "
            f"{describe(o.best)}: **{o.step_time.to('s').magnitude:.4g} s** per step.")


QUESTIONS = [
    Question(
        id="bubble",
        prompt=("Llama-3-70B on the 256-GPU research cluster, TP 8 × **PP {pp}**, each replica's batch split "
                "into **{microbatches} micro-batches** (1F1B). What **percentage** of the pipeline's time is bubble?"),
        variants=_BUBBLE, answer=_bubble, tolerance=0.02, unit="%",
        hint="Fill and drain idle P − 1 of the M + P − 1 slots: (P − 1)/(M + P − 1).", math=_bubble_math),
    Question(
        id="memory",
        prompt=("Llama-3-70B on the 256-GPU research cluster, **TP {tp} × PP {pp}**, {m} micro-batches "
                "of one sequence each, "
                "**ZeRO-{zero}**, selective recompute. How many **GB** does each GPU hold?"),
        variants={"tp": [2, 4, 8], "pp": [1, 2, 4, 8], "zero": [0, 1, 3]}, answer=_memory, tolerance=0.03, unit="GB",
        describe=lambda tp, pp, **_: {"m": _one_each(tp, pp)},
        hint="Set the controls to this layout and read the memory per GPU.", math=_memory_math),
    Question(
        id="best_step",
        prompt=("Let the optimizer search every layout of **{model_name}** on the **{fleet_name}** (global batch "
                "1,024 sequences, selective recompute). What is the **step time (s)** of the layout it ranks first?"),
        variants={"model": ["llama3_8b", "llama3_70b"], "fleet": list(FLEETS.values())},
        answer=_best_step, tolerance=0.03, unit="s",
        describe=lambda model, fleet: {"model_name": model_of(model).name, "fleet_name": Fleets.get(fleet).name},
        hint="Choose the model and the fleet; the optimizer's best row and its step time are in the table.",
        math=_best_math),
]

PREDICTIONS = [
    Prediction(
        id="best_kind",
        prompt=("Llama-3-70B on 256 H100s (32 nodes of 8, NVLink inside a node, InfiniBand between): which kind of "
                "layout will the optimizer find fastest?"),
        options=PREDICT_OPTIONS,
        truth=lambda: best_label("llama3_70b", "research256", "selective"),
    ),
]
