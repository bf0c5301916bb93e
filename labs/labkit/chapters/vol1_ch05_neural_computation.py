"""Questions, layer costs and charts of the neural-computation lab (Volume I, chapter 5).

One layer of width d on a batch of b inputs of s positions (tokens, or the pixels of a square
feature map), three kinds, each lowered to its products with the engine's kernels:

- dense d -> d: one GEMM, ``kernels.gemm_flops`` / ``gemm_bytes`` (m = b s, n = k = d);
- attention's core, S = Q K^T, softmax, O = P V with heads of 64: ``kernels.attention_flops_per_token``
  (4 s d per token), ``attention_core_bytes`` (unfused, the s x s scores through memory);
- 3x3 convolution, d channels in and out on a sqrt(s) x sqrt(s) map: ``kernels.conv2d_flops`` /
  ``conv2d_bytes`` (the implicit GEMM of cuDNN).

Memory of a network of L such layers: inference keeps every layer's weights and only the layer being
computed (its inputs, outputs and scores); training with mixed-precision Adam keeps weights, gradients,
12 B of optimizer state per parameter and, for every layer, what its backward pass needs
(``kernels.linear_saved_values``, ``attention_saved_values``; Korthikanti et al. 2022, Sec. 4.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlsysim import viz
from mlsysim.physics import kernels
from mlsysim.viz import data as viz_data
from mlsysim.workloads.precision import bytes_per_value

from ..questions import Prediction, Question

KINDS = {"dense": "dense layer (d → d)", "attention": "attention core (QKᵀ, softmax, ·V)",
         "conv": "3×3 convolution (d → d channels)"}
SHORT = {"dense": "dense layer", "attention": "attention core", "conv": "convolution"}
WIDTHS = [256, 512, 1024, 2048, 4096, 8192]
SEQ_LENS = [64, 256, 1024, 4096, 16384]  # all squares: the convolution's map is sqrt(s) x sqrt(s)
LAYER_COUNTS = [1, 2, 4, 8, 12, 24, 32, 48, 64, 96]
PRECISIONS = ["fp32", "bf16", "fp16", "fp8"]
MAX_BATCH = 1024
HEAD_DIM = 64  # the width of one attention head in GPT-2 and BERT (d / 64 heads)
CONV_KERNEL = 3
PARTS = ["weights", "activations", "attention scores"]
COLORS = ["#0072B2", "#D55E00", "#CC79A7"]  # Okabe-Ito, as mlsysim.viz


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One layer's forward pass: its work, the bytes it moves by kind, and its memory."""

    kind: str
    flops: float
    weight_bytes: float  # weights read
    activation_bytes: float  # inputs read and outputs written
    score_bytes: float  # attention's s x s scores written and read back (0 for the others)
    parameters: float
    saved_bytes: float  # what the backward pass needs kept, per layer

    @property
    def bytes_moved(self) -> float:
        return self.weight_bytes + self.activation_bytes + self.score_bytes

    @property
    def intensity(self) -> float:
        return kernels.arithmetic_intensity(self.flops, self.bytes_moved)

    def parts(self) -> dict[str, float]:
        return dict(zip(PARTS, (self.weight_bytes, self.activation_bytes, self.score_bytes)))


def size(nbytes: float) -> str:
    """Bytes in the unit that reads best (kB, MB, GB, ...), for the lab's text."""
    if nbytes <= 0:
        return "0 B"
    scale, unit = viz_data.pick_unit(nbytes, viz_data.BYTES_UNITS)
    return f"{viz_data.fmt(nbytes / scale)} {unit}"


def adam_bytes() -> float:
    return kernels.adam_state_bytes_per_parameter()


def heads(width: int) -> int:
    return max(1, width // HEAD_DIM)


def layer(kind: str, width: int, batch: int, seq: int, precision: str) -> LayerCost:
    """The engine's kernels for one layer of ``kind`` (see the module docstring)."""
    bpv, tokens = bytes_per_value(precision), batch * seq
    if kind == "dense":
        params = kernels.dense_parameters(width, width)
        weights = kernels.weight_bytes(params, bpv)
        total = kernels.gemm_bytes(tokens, width, width, bpv)
        return LayerCost(kind, kernels.gemm_flops(tokens, width, width), weights, total - weights, 0.0, params,
                         kernels.linear_saved_values(tokens, width) * bpv)
    if kind == "attention":
        a = heads(width)
        dh = width // a
        total = kernels.attention_core_bytes(batch, a, seq, dh, bpv)
        scores = kernels.attention_score_bytes(batch, a, seq, bpv)
        return LayerCost(kind, kernels.attention_flops_per_token(1, seq, a * dh) * tokens, 0.0, total - scores, scores,
                         0.0, kernels.attention_saved_values(batch, a, seq, dh) * bpv)
    if kind == "conv":
        side = math.isqrt(seq)
        params = kernels.conv2d_parameters(width, width, CONV_KERNEL, CONV_KERNEL)
        weights = kernels.weight_bytes(params, bpv)
        total = kernels.conv2d_bytes(batch, side, side, width, side, side, width, CONV_KERNEL, CONV_KERNEL, bpv)
        return LayerCost(kind, kernels.conv2d_flops(batch, side, side, width, width, CONV_KERNEL, CONV_KERNEL),
                         weights, total - weights, 0.0, params,
                         kernels.linear_saved_values(batch * side * side, width) * bpv)
    raise ValueError(f"layer kind {kind!r}: one of {', '.join(KINDS)}")


def all_layers(width: int, batch: int, seq: int, precision: str) -> dict[str, LayerCost]:
    return {k: layer(k, width, batch, seq, precision) for k in KINDS}


def memory(cost: LayerCost, layers: int, training: bool) -> dict[str, float]:
    """Resident bytes of ``layers`` such layers, by kind (the memory chart's parts)."""
    weights = layers * cost.weight_bytes
    if not training:  # each layer's activations are freed once the next layer has its input
        return {"weights": weights, "gradients": 0.0, "optimizer state": 0.0,
                "activations": cost.activation_bytes + cost.score_bytes}
    return {"weights": weights, "gradients": weights,
            "optimizer state": layers * cost.parameters * kernels.adam_state_bytes_per_parameter(),
            "activations": layers * cost.saved_bytes}


def training_ratio(kind: str, width: int, batch: int, seq: int, precision: str, layers: int) -> float:
    c = layer(kind, width, batch, seq, precision)
    return sum(memory(c, layers, True).values()) / sum(memory(c, layers, False).values())


def _bars(rows_by_label: dict[str, dict[str, float]], domain: list[str], colors: list[str], title: str,
          axis: str) -> viz.Chart:
    """Stacked horizontal bars, one per label, in one byte unit: the kit's memory-breakdown template
    with this lab's parts as its colour domain and no capacity line."""
    scale, unit = viz_data.pick_unit(max(sum(p.values()) for p in rows_by_label.values()), viz_data.BYTES_UNITS)
    rows = [{"part": name, "value": v / scale, "order": i, "row": label}
            for label, parts in rows_by_label.items() for i, (name, v) in enumerate(parts.items()) if v > 0]
    summary = " ".join(f"{label}: " + ", ".join(f"{n} {viz_data.fmt(v / scale)} {unit}" for n, v in p.items() if v > 0)
                       + f" (total {viz_data.fmt(sum(p.values()) / scale)} {unit})." for label, p in rows_by_label.items())
    spec = viz.fill("memory_breakdown", {"parts": rows, "limit": []}, title=title,
                    settings={"layer.0.encoding.x.title": f"{axis} ({unit})",
                              "layer.0.encoding.color.scale.domain": domain,
                              "layer.0.encoding.color.scale.range": colors,
                              "height": 40 * len(rows_by_label) + 30})
    return viz.Chart(spec, {"parts": rows}, summary)


def row_label(cost: LayerCost) -> str:
    return f"{cost.kind}: {viz_data.fmt(cost.flops / 1e9)} GFLOP, {viz_data.fmt(cost.intensity)} flop/B"


def bytes_chart(costs: dict[str, LayerCost], title: str) -> viz.Chart:
    return _bars({row_label(c): c.parts() for c in costs.values()}, PARTS, COLORS, title, "Bytes moved, one forward pass")


def memory_chart(inference: dict[str, float], training: dict[str, float], title: str) -> viz.Chart:
    return _bars({"inference": inference, "training": training},
                 ["weights", "gradients", "optimizer state", "activations"],
                 ["#0072B2", "#E69F00", "#009E73", "#D55E00"], title, "Resident memory")


# --- check yourself -----------------------------------------------------------------------------
def _kind_name(kind: str, **_) -> dict:
    return {"kind_name": KINDS[kind]}


def _intensity_math(kind: str, width: int, batch: int, seq: int) -> str:
    c = layer(kind, width, batch, seq, "fp16")
    return (f"FLOPs = **{c.flops / 1e9:.4g} GFLOP**; bytes = weights {c.weight_bytes / 1e6:.4g} MB + activations "
            f"{c.activation_bytes / 1e6:.4g} MB + scores {c.score_bytes / 1e6:.4g} MB = {c.bytes_moved / 1e6:.4g} MB; "
            f"intensity = FLOPs ÷ bytes = **{c.intensity:.4g} flop/byte**.")


def _training_math(kind: str, width: int, layers: int, batch: int, seq: int) -> str:
    c = layer(kind, width, batch, seq, "bf16")
    parts = memory(c, layers, True)
    return ("Training keeps, for all " f"{layers} layers: " + ", ".join(f"{k} {v / 1e9:.4g} GB" for k, v in parts.items())
            + f" = **{sum(parts.values()) / 1e9:.4g} GB**.")


QUESTIONS = [
    Question(
        id="intensity",
        prompt=("One **{kind_name}** of width **d = {width}**, batch **{batch}** × **{seq}** positions, fp16: what is "
                "its **arithmetic intensity** (FLOPs per byte moved) in one forward pass?"),
        variants={"kind": list(KINDS), "width": [1024, 2048, 4096], "batch": [1, 4, 16], "seq": [256, 1024, 4096]},
        answer=lambda kind, width, batch, seq: layer(kind, width, batch, seq, "fp16").intensity,
        tolerance=0.05, unit="flop/byte", describe=_kind_name,
        hint="Intensity = FLOPs ÷ (weights + activations + scores). Set the controls to the question's numbers; "
             "the chart's row label and the table give both.",
        math=_intensity_math,
    ),
    Question(
        id="training_gb",
        prompt=("A network of **{layers}** layers, each a **{kind_name}** of width **d = {width}**, trained at bf16 "
                "with Adam on batch **{batch}** × **{seq}** positions: how many **GB** does training keep in memory?"),
        variants={"kind": list(KINDS), "width": [1024, 2048, 4096], "layers": [12, 24, 48], "batch": [1, 4, 16],
                  "seq": [256, 1024]},
        answer=lambda kind, width, layers, batch, seq: sum(memory(layer(kind, width, batch, seq, "bf16"), layers,
                                                                  True).values()) / 1e9,
        tolerance=0.05, unit="GB", describe=_kind_name,
        hint="Weights and gradients at 2 B per parameter, Adam state 12 B per parameter, and every layer's saved "
             "activations: all of them multiplied by the number of layers.",
        math=_training_math,
    ),
]

PREDICTION_SETUP = dict(kind="dense", width=4096, batch=8, seq=1024, precision="bf16", layers=32)
_PARAMS = PREDICTION_SETUP["layers"] * layer(**{k: v for k, v in PREDICTION_SETUP.items() if k != "layers"}).parameters

PREDICTIONS = [
    Prediction(
        id="train_vs_infer",
        prompt=(f"A network of {PREDICTION_SETUP['layers']} dense layers of width {PREDICTION_SETUP['width']} "
                f"({_PARAMS / 1e6:.0f} million parameters, bf16) runs a batch of {PREDICTION_SETUP['batch']} × "
                f"{PREDICTION_SETUP['seq']} tokens. **How many times** the memory of inference does **training** it "
                "with Adam need?"),
        truth=lambda: training_ratio(**PREDICTION_SETUP),
        unit="× inference",
    ),
]
