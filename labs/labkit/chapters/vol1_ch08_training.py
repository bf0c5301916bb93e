"""Questions and engine calls of the training-memory lab (Volume I, chapter 8, Model Training).

One accelerator: ``SingleNodeModel`` with ``is_training=True`` (weights, gradients, Adam state and
activations; full recompute keeps only each layer's input, Korthikanti et al. 2022). Several
data-parallel accelerators with ZeRO: ``DistributedModel``'s memory per accelerator
(Rajbhandari et al. 2020). Every expected answer below is one of those solves.
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import DistributedModel, Fleet, Fleets, Hardware, Models, Node, SingleNodeModel, viz
from mlsysim.viz import data as viz_data

from ..questions import Prediction, Question

MAX_BATCH = 4096  # the lab's batch control reaches every batch up to this
DP_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
SEQ_LENS = [512, 1024, 2048, 4096, 8192, 16384, 32768]
PRECISIONS = ["bf16", "fp16", "fp8"]  # mixed precision: the Adam state stays fp32 (12 B/param) in all three
# the registry cluster whose node link and fabric the data-parallel fleets borrow (only the memory is
# shown, which does not depend on either)
REFERENCE_FLEET = "research256"


def prepare() -> None:
    """Load once, at the lab's start, what the first redraw would otherwise pay for: the chart
    templates, the reference cluster and the distributed solver's first call."""
    viz.load_templates()
    sharded("gpt2", "h100", "bf16", 1, 1024, "none", 1, 2)


def one_accelerator(model: str, hw: str, precision: str, batch: int, seq: int, recompute: str):
    """One training step on one accelerator (the engine's result)."""
    return SingleNodeModel().solve(model, hw, batch_size=batch, precision=precision, is_training=True,
                                   seq_len=seq, activation_recompute=recompute == "full")


@lru_cache(maxsize=64)
def data_parallel_fleet(hw: str, dp: int) -> Fleet:
    """``dp`` of accelerator ``hw``, up to 8 to a node, on the reference cluster's node link and fabric."""
    ref = Fleets.get(REFERENCE_FLEET)
    per_node = min(dp, ref.node.accelerators_per_node)
    device = Hardware.get(hw)
    node = Node(name=f"{per_node} x {device.name}", accelerator=device, accelerators_per_node=per_node,
                intra_node_bw=ref.node.intra_node_bw)
    return Fleet(name=f"{dp} x {device.name}", node=node, count=dp // per_node, fabric=ref.fabric)


def sharded(model: str, hw: str, precision: str, batch: int, seq: int, recompute: str, zero: int, dp: int):
    """Data parallel over ``dp`` accelerators with ZeRO stage ``zero``; ``batch`` sequences on each, held
    at once (one micro-batch). The result's memory is per accelerator."""
    return DistributedModel().solve(model, data_parallel_fleet(hw, dp), batch * dp, precision=precision,
                                    seq_len=seq, recompute=recompute, zero_stage=zero, microbatch_count=1)


def parts(result) -> dict[str, float]:
    """The resident bytes by kind, as the memory chart names them."""
    return {"weights": result.weight_memory.to("byte").magnitude,
            "gradients": result.gradient_memory.to("byte").magnitude,
            "optimizer state": result.optimizer_memory.to("byte").magnitude,
            "activations": result.activation_memory.to("byte").magnitude}


def memory_chart(bars: dict[str, dict[str, float]], capacity: float, title: str) -> viz.Chart:
    """The kit's memory-against-capacity chart with one bar per configuration (``bars``: label -> parts
    in bytes), all in one unit. ``viz.memory_breakdown_spec`` draws one bar; its template takes several."""
    scale, unit = viz_data.pick_unit(max([capacity] + [sum(p.values()) for p in bars.values()]), viz_data.BYTES_UNITS)
    rows, sentences = [], []
    for label, p in bars.items():
        datasets, _, summary = viz_data.breakdown_data(p, viz_data.BYTES_UNITS, capacity, "capacity", label)
        rows += [dict(r, value=v / scale) for r, v in zip(datasets["parts"], p.values())]
        sentences.append(f"{label}: {summary}")
    limit = [{"value": capacity / scale, "label": f"capacity {viz_data.fmt(capacity / scale)} {unit}"}]
    spec = viz.fill("memory_breakdown", {"parts": rows, "limit": limit}, title=title,
                    settings={"layer.0.encoding.x.title": f"Memory per accelerator ({unit})"})
    return viz.Chart(spec, {"parts": rows, "limit": limit}, " ".join(sentences))


def largest_batch(model: str, hw: str, seq: int, recompute: str, precision: str = "bf16") -> int:
    """The largest batch whose training step fits one accelerator (0 if none does): bisection on the
    engine's ``feasible``, which flips once as the batch grows."""
    fits = lambda b: one_accelerator(model, hw, precision, b, seq, recompute).feasible  # noqa: E731
    if not fits(1):
        return 0
    lo, hi = 1, MAX_BATCH
    if fits(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def smallest_dp(model: str, hw: str, zero: int, seq: int = 2048, recompute: str = "full", batch: int = 1,
                precision: str = "bf16") -> int:
    """The smallest data-parallel size (of the lab's choices) at which ZeRO stage ``zero`` fits."""
    for dp in DP_SIZES:
        if sharded(model, hw, precision, batch, seq, recompute, zero, dp).feasible:
            return dp
    raise ValueError(f"{model} does not fit {hw} with ZeRO-{zero} up to {DP_SIZES[-1]} accelerators")


def _names(hw: str, model: str = "gpt2", **_) -> dict:
    return {"hw_name": Hardware.get(hw).name, "model_name": Models.get(model).name}


def _gb(result, name: str) -> float:
    return getattr(result, name).to("GB").magnitude


def _batch_math(model: str, hw: str, seq: int, recompute: str) -> str:
    b = largest_batch(model, hw, seq, recompute)
    r1 = one_accelerator(model, hw, "bf16", 1, seq, recompute)
    at = one_accelerator(model, hw, "bf16", max(b, 1), seq, recompute)
    over = one_accelerator(model, hw, "bf16", b + 1, seq, recompute)
    fixed = _gb(r1, "weight_memory") + _gb(r1, "gradient_memory") + _gb(r1, "optimizer_memory")
    return (f"weights + gradients + Adam state = **{fixed:.4g} GB** whatever the batch; activations are "
            f"**{_gb(r1, 'activation_memory'):.4g} GB per sequence** of {seq} tokens (recompute {recompute}). "
            f"At batch {b} the total is {_gb(at, 'memory_footprint'):.4g} GB, at batch {b + 1} it is "
            f"{_gb(over, 'memory_footprint'):.4g} GB, against {_gb(at, 'memory_capacity'):.4g} GB: "
            f"the largest batch that fits is **{b}**.")


def _dp_math(model: str, hw: str, zero: int) -> str:
    n = smallest_dp(model, hw, zero)
    rows = []
    for dp in DP_SIZES[:DP_SIZES.index(n) + 1]:
        r = sharded(model, hw, "bf16", 1, 2048, "full", zero, dp)
        rows.append(f"{dp}: {_gb(r, 'memory_per_accelerator'):.4g} GB")
    cap = _gb(sharded(model, hw, "bf16", 1, 2048, "full", zero, n), "memory_capacity")
    return (f"ZeRO-{zero} divides the optimizer state{', the gradients' if zero >= 2 else ''}"
            f"{' and the weights' if zero >= 3 else ''} by the data-parallel size N. Memory per accelerator "
            f"by N: {'; '.join(rows)}, against {cap:.4g} GB: the smallest N that fits is **{n}**.")


QUESTIONS = [
    Question(
        id="largest_batch",
        prompt=("Training **{model_name}** at bf16 with Adam on one **{hw_name}**, sequences of **{seq} tokens**, "
                "recompute **{recompute}**: what is the **largest batch** (sequences) that fits (0 if even one sequence does not)?"),
        variants={"model": ["gpt2"], "hw": ["h100", "a100_40gb", "a100_80gb", "v100", "mi300x"],
                  "seq": [1024, 2048], "recompute": ["none", "full"]},
        answer=largest_batch,
        tolerance=0.0,
        unit="sequences",
        describe=_names,
        hint="Everything but the activations is fixed; the activations grow with the batch. The room left by "
             "weights, gradients and Adam state, divided by one sequence's activations, is the batch.",
        math=_batch_math,
    ),
    Question(
        id="smallest_dp",
        prompt=("**{model_name}** at bf16, one sequence of 2048 tokens per accelerator, full recompute, on "
                "**{hw_name}** accelerators with **ZeRO stage {zero}**: what is the **smallest data-parallel "
                "size** (1, 2, 4, 8, ...) at which a training step fits?"),
        variants={"model": ["llama3_8b", "llama2_7b"], "hw": ["h100", "a100_40gb", "a100_80gb"],
                  "zero": [1, 2, 3]},
        answer=smallest_dp,
        tolerance=0.0,
        unit="accelerators",
        describe=_names,
        hint="Stage 1 shards only the Adam state, stage 2 also the gradients, stage 3 also the weights: "
             "what is not sharded must fit by itself.",
        math=_dp_math,
    ),
]

PREDICTION_SETUP = dict(model="llama3_8b", hw="h100", precision="bf16", batch=1, seq=2048, recompute="none")

_WEIGHTS_GB = one_accelerator(**PREDICTION_SETUP).weight_memory.to("GB").magnitude
_PARAMS_B = Models.get(PREDICTION_SETUP["model"]).parameters.magnitude / 1e9

PREDICTIONS = [
    Prediction(
        id="footprint",
        prompt=(f"Llama-3-8B has {_PARAMS_B:.3g} billion parameters: {_WEIGHTS_GB:.3g} GB of bf16 weights. How many "
                "**GB** does **training** it with Adam need on one accelerator, for a batch of one 2048-token sequence?"),
        truth=lambda: one_accelerator(**PREDICTION_SETUP).memory_footprint.to("GB").magnitude,
        unit="GB",
    ),
]
