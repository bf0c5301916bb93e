"""Weight streams of a serving step: weight-only quantised kernels and size-dependent streams.

- ``check_weight_kernel``: how int8 / int4 weights are multiplied: by default the weight-only
  kernel of ``registry/walls/weight_only.toml`` (dequantised on the fly to 16 bits, its group
  scales read with the weights, the weights streaming at its measured fraction of the 16-bit
  kernel's bandwidth), or ``'native'`` integer arithmetic.
- ``stream_size_factor``: the fraction of a large stream's bandwidth the weight matrices of a
  decode step reach, by each matrix's bytes (the Software wall's HBM table).
- ``PassTables``: with ``efficiency="table"``, the fractions of peak and of bandwidth one
  pass's kernels reach by their sizes: each weight GEMM at the Software wall's GEMM table
  for its flop and precision (``registry/walls/efficiency*.toml``), the attention at the
  16-bit table (it computes in the activations' precision), the weight and KV streams at
  the HBM table for their bytes per kernel.

Used by ``ServingModel`` and ``ContinuousBatchingModel``.
"""

from __future__ import annotations

import math

from ..core.errors import InputError
from ..physics import kernels
from ..wall_registry import WeightOnlyKernel, WeightOnlyKernels
from ..workloads.precision import bytes_per_value
from .contract import floats
from .efficiency import efficiency_for_key


def matrix_parameters(model) -> tuple[list[float], float]:
    """(parameters of each weight matrix one layer multiplies by, in kernel order; the output head's).

    Fused QKV (d x (heads + 2 kv_heads) head_dim), the output projection, then the FFN
    matrices: as many d x ffn_dim matrices as the per-layer parameter count holds (3 for a
    gated MLP, 2 otherwise), or the 8 d^2 of a 4d FFN in two when ``ffn_dim`` is not given.
    MoE models: one expert's FFN (what a token's matrix kernels read at a time).
    """
    d, width = float(model.hidden_dim), float(model.heads * model.head_dim)
    qkv, out = d * float((model.heads + 2 * model.kv_heads) * model.head_dim), width * d
    head = float(model.vocab_size or 0) * d
    if model.ffn_dim:
        shared, per_expert = model.moe_split_si
        ffn_total = (model._si["parameters"] - 2.0 * head) / model.layers - qkv - out if not model.is_moe else per_expert / model.layers
        count = max(1, round(ffn_total / (d * model.ffn_dim)))
        ffn = [d * float(model.ffn_dim)] * count
    else:
        ffn = [4.0 * d * d] * 2
    return [qkv, out, *ffn], head


def stream_size_factor(matrix_bytes: list[float], repeats: float, head_bytes: float) -> float:
    """Mean fraction of the large-transfer bandwidth the weight kernels reach, by each kernel's bytes.

    Each matrix is one memory-bound kernel in decode; its efficiency relative to a large
    stream is the Software wall's HBM table at its size over the table's largest-size value
    (``kernels.size_scaled_efficiency`` with a declared efficiency of 1); the mean is the
    bytes-weighted harmonic one (time adds): total bytes / sum(bytes_i / factor_i).
    """
    top = efficiency_for_key("memory", math.inf, None)  # what a STREAM-sized transfer reaches
    sizes = [(b, repeats) for b in matrix_bytes] + ([(head_bytes, 1.0)] if head_bytes > 0 else [])
    total = sum(b * n for b, n in sizes)
    if total <= 0:
        return 1.0
    slow = sum(b * n / kernels.size_scaled_efficiency(1.0, efficiency_for_key("memory", b, None), top) for b, n in sizes)
    return total / slow


WEIGHT_ONLY_ARITHMETIC = "fp16"  # weight-only kernels dequantise to the 16-bit activations' format and multiply there
NATIVE_KERNEL = "native"


def check_weight_kernel(weight_kernel, precision: str) -> WeightOnlyKernel | None:
    """The weight-only kernel of a solve: None for native arithmetic (every precision but int8/int4 by default)."""
    choices = _kernels_for(precision)
    if weight_kernel is None:
        return choices[0] if choices else None
    if weight_kernel == NATIVE_KERNEL:
        return None
    for k in choices:
        if k.key == weight_kernel:
            return k
    raise InputError("weight_kernel", weight_kernel, f"'{NATIVE_KERNEL}' or a weight-only kernel for {precision} weights "
                     f"({', '.join(k.key for k in choices) or 'none in registry/walls/weight_only.toml'})")


def arithmetic_precision(kernel: WeightOnlyKernel | None, precision: str) -> str:
    """The precision a solve computes in: the weights' own, or the 16-bit activations' under a weight-only kernel."""
    return precision if kernel is None else WEIGHT_ONLY_ARITHMETIC


def stored_bytes_factor(kernel: WeightOnlyKernel | None, precision: str, group_size: int | None = None) -> float:
    """Bytes stored (and streamed) per weight over the bare precision's: 1 without a weight-only kernel, else
    (bytes per value + its group's scale bytes per weight) / bytes per value (``group_size``: the kernel's if None)."""
    if kernel is None:
        return 1.0
    g = kernel.group_size if group_size is None else group_size
    per_value = bytes_per_value(precision)
    return kernels.group_quantized_weight_bytes(1.0, per_value, kernels.group_scale_bytes_per_weight(g, kernel.scale_bytes)) / per_value


_KERNELS_CACHE: dict = {}


def _kernels_for(precision: str) -> list:
    """The registry's weight-only kernels for a precision, memoised per loaded catalogue (a solve reads them every time)."""
    key = (precision, id(WeightOnlyKernels._loaded))
    found = _KERNELS_CACHE.get(key)
    if found is None:
        found = _KERNELS_CACHE[key] = [k for k in WeightOnlyKernels if k.precision == precision]
    return found


def weight_note(kernel: WeightOnlyKernel | None, group_size: int | None) -> str | None:
    """The assumption a weight-only kernel adds (None without one)."""
    if kernel is None:
        return None
    key = (kernel.key, kernel.bandwidth_fraction, kernel.group_size, kernel.scale_bytes, group_size)
    if key not in _NOTES_CACHE:
        _NOTES_CACHE[key] = _weight_note(kernel, group_size)
    return _NOTES_CACHE[key]


_NOTES_CACHE: dict = {}


def _weight_note(kernel: WeightOnlyKernel, group_size: int | None) -> str:
    g = kernel.group_size if group_size is None else group_size
    scales = (f"one {kernel.scale_bytes:g}-byte scale and zero point per {g} weights read with them" if g else
              "per-channel scales (negligible bytes)")
    return (f"{kernel.precision} weight-only kernel '{kernel.key}' (default for {kernel.precision} weights; weight_kernel='native' "
            f"for integer arithmetic): dequantised to 16 bits and multiplied at the 16-bit peak; {scales}; the weights stream at "
            f"{kernel.bandwidth_fraction:g} of the 16-bit kernel's bandwidth ({kernel.provenance('bandwidth_fraction').kind}, "
            "registry/walls/weight_only.toml)")


ATTENTION_ARITHMETIC = "fp16"  # attention computes QK^T and AV in the 16-bit activations' precision (FP8 weights quantise GEMM inputs only)


@floats
class PassTables:
    """Fractions one pass's kernels reach by their sizes (``efficiency="table"``): of the device rate and bandwidth."""

    gemm: float  # weight GEMMs together, of the weights' precision peak (framework factor included)
    attention: float  # attention, of the weights' precision peak (the 16-bit peak over it, times the 16-bit table)
    weights: float  # weight streams together, of the bandwidth (HBM table by each matrix's bytes)
    kv: float  # KV-cache traffic of one layer's attention, of the bandwidth (HBM table by its bytes)
    elementwise: float = 1.0  # the norms, residual adds, rotary and activation kernels, of the bandwidth (HBM table by their bytes)


ELEMENTWISE_KERNELS = 6  # per layer: two RMSNorms, two residual adds, rotary, the FFN activation (decoder_elementwise_values)


def is_gated(matrices: list[float]) -> bool:
    """Whether the FFN is gated (three d x f matrices per layer, SwiGLU as in Llama): ``matrix_parameters``'s list."""
    return len(matrices) - 2 >= 3


def pass_tables(model, shapes: tuple[list[float], float], hw, precision: str, tokens: float, attention_flops: float,
                kv_bytes: float, tp: int, per_value_bytes: float, factor: float, elementwise_bytes: float = 0.0) -> PassTables:
    """The Software wall's tables read for one pass of ``tokens`` tokens per accelerator group (checked inputs).

    ``shapes``: the model's ``matrix_parameters`` (computed once per plan for both passes).
    ``attention_flops``, ``kv_bytes`` and ``elementwise_bytes``: the pass's totals over all layers (the group's);
    each accelerator of ``tp`` runs 1/tp of every kernel. ``factor``: a framework's declared
    fraction of the table's kernels (1: the tables as measured).
    """
    key, layers = hw.key, float(model.layers)
    matrices, head = shapes
    counts: dict = {}  # matrix parameters -> how many such kernels one pass runs (a gated FFN's equal matrices once)
    for m in matrices:
        counts[m] = counts.get(m, 0.0) + layers
    if head > 0:
        counts[head] = counts.get(head, 0.0) + 1.0
    shapes = list(counts.items())
    gemm = kernels.time_weighted_efficiency([2.0 * tokens * m / tp * n for m, n in shapes],
                                            [efficiency_for_key("gemm", 2.0 * tokens * m / tp, key, precision) for m, _ in shapes])
    peak, _ = hw.peak_flops_si(precision)
    peak16, _ = hw.peak_flops_si(ATTENTION_ARITHMETIC)
    per_layer = attention_flops / layers / tp
    attention = efficiency_for_key("gemm", per_layer, key, ATTENTION_ARITHMETIC) * (peak16 / peak if peak > 0 else 1.0)
    weights = kernels.time_weighted_efficiency([m * per_value_bytes / tp * n for m, n in shapes],
                                               [efficiency_for_key("memory", m * per_value_bytes / tp, key) for m, _ in shapes])
    kv = efficiency_for_key("memory", kv_bytes / layers / tp, key)
    elementwise = efficiency_for_key("memory", elementwise_bytes / layers / tp / ELEMENTWISE_KERNELS, key)
    return PassTables(gemm * factor, attention * factor, weights, kv, elementwise)
