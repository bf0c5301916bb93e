"""The roofline ("iron law") on one accelerator: latency, throughput, bottleneck, memory.

latency = max(ops / (peak x efficiency), bytes / (bandwidth x bw_efficiency)) + dispatch tax
(Williams, Waterman & Patterson 2009). Training runs forward + backward = 3x the
forward operations (Kaplan et al. 2020) and keeps weights, gradients, optimizer
state and activations resident.
"""

from __future__ import annotations

import math

from ..physics import kernels
from ..results import Result, quantity
from ..workloads.precision import bytes_per_value
from ..workloads.types import TransformerWorkload
from . import _inputs
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY

COMPUTE_BOUND = "Compute Bound"
MEMORY_BOUND = "Memory Bound"
UNSUPPORTED = "Unsupported Precision"


class PerformanceProfile(Result):
    """What one roofline solve found, and which wall binds."""

    _plain_names = ("model", "hardware", "precision", "compute_precision", "batch_size", "is_training", "bottleneck", "feasible", "reason", "mfu", "hfu", "assumptions")

    latency = quantity("time", "ms", "time for one batch")
    compute_time = quantity("time", "ms", "ops / effective FLOP/s")
    memory_time = quantity("time", "ms", "bytes / effective bandwidth")
    dispatch_tax = quantity("time", "ms", "fixed per-invocation overhead")
    throughput = quantity("rate", None, "samples per second")
    arithmetic_intensity = quantity("intensity", None, "operations per byte moved")
    ridge_point = quantity("intensity", None, "the hardware's peak / bandwidth")
    ops = quantity("ops", "GFLOP", "operations of the batch (model FLOPs)")
    bytes_moved = quantity("bytes", "MB", "bytes moved to and from main memory")
    peak_flops = quantity("flops", "TFLOP/s", "dense peak in the compute precision")
    bandwidth = quantity("bandwidth", "GB/s", "memory bandwidth")
    energy = quantity("energy", "J", "TDP x latency (an upper bound)")
    memory_footprint = quantity("bytes", "GB", "resident bytes")
    memory_capacity = quantity("bytes", "GB", "the accelerator's main memory")
    weight_memory = quantity("bytes", "GB")
    gradient_memory = quantity("bytes", "GB")
    optimizer_memory = quantity("bytes", "GB")
    activation_memory = quantity("bytes", "GB")

    @property
    def bound(self) -> str:
        """The binding wall in one word: 'compute', 'memory' or 'capacity'."""
        if not self.feasible:
            return "capacity"
        return "compute" if self.bottleneck == COMPUTE_BOUND else "memory"


def workload_plan(model, precision: str, is_training: bool, seq_len: int | None, recompute: bool = False):
    """The model's side of a roofline solve, as floats: (fwd_ops_per_sample, weight_bytes_read,
    act_bytes_per_sample, work_factor, hw_factor, resident_weight_bytes)."""
    fwd = model.forward_ops_per_sample_si(seq_len)
    if isinstance(model, TransformerWorkload):
        weights_read = model.expected_weight_bytes_read_si(precision, seq_len or model.seq_len)
    else:
        weights_read = model.weight_bytes_si(precision)
    act = model.activation_bytes_per_sample_si(precision, seq_len)
    # forward + backward = 3x forward work and traffic; recompute adds one more forward (Korthikanti et al. 2022)
    work = 3.0 if is_training else 1.0
    hw_work = 4.0 if (is_training and recompute) else work
    return fwd, weights_read, act, work, hw_work, model.weight_bytes_si(precision)


def roofline_plan(model, hw, precision: str, efficiency: float, bandwidth_efficiency: float, is_training: bool, seq_len: int | None, recompute: bool = False, workload=None):
    """Everything of a solve that does not depend on batch size, as floats.

    Returns (fwd_ops_per_sample, weight_bytes_read, act_bytes_per_sample,
    work_factor, hw_factor, rate, bandwidth, tax, peak, compute_precision).
    Called once per (model, hardware, precision); ``roofline_columns`` then costs
    a few float operations per batch size. ``SingleNodeModel`` and ``sweep``
    share both, so the Quantity path and the fast path are one computation.
    ``workload`` is ``workload_plan(...)`` when the caller already has it.
    """
    fwd, weights_read, act, work, hw_work, _ = workload or workload_plan(model, precision, is_training, seq_len, recompute)
    peak, compute_precision = hw.peak_flops_si(precision)
    rate = kernels.effective_flops(peak, efficiency)
    bw = hw.memory._si["bandwidth"] * bandwidth_efficiency
    return fwd, weights_read, act, work, hw_work, rate, bw, hw._si["dispatch_tax"], peak, compute_precision


def roofline_columns(plan, batches: list[int]):
    """Latency, compute time, memory time, model ops and bytes moved for each batch size (lists of floats).

    The iron law per batch b: compute = fwd x b x hw_work / rate,
    memory = (weights read + activations x b) x work / bandwidth,
    latency = max(compute, memory) + dispatch tax. This is ``kernels.roofline_parts``
    written over lists, so a sweep of thousands of batch sizes is a handful of
    comprehensions instead of a call per configuration; tests/test_fast_path.py
    checks both against an independent pint derivation.
    """
    fwd, weights_read, act, work, hw_work, rate, bw, tax = plan[:8]
    per_sample_compute = fwd * hw_work / rate
    fixed_memory = weights_read * work / bw
    per_sample_memory = act * work / bw
    compute = [per_sample_compute * b for b in batches]
    memory = [fixed_memory + per_sample_memory * b for b in batches]
    latency = [(c if c > m else m) + tax for c, m in zip(compute, memory)]
    ops = [fwd * work * b for b in batches]
    nbytes = [(weights_read + act * b) * work for b in batches]
    return latency, compute, memory, ops, nbytes


def training_memory(model, precision: str, batch: int, seq_len: int | None, recompute: bool):
    """(weights, gradients, optimizer, activations) in bytes for mixed-precision Adam training."""
    b = bytes_per_value(precision)
    params = model._si["parameters"]
    weights = kernels.weight_bytes(params, b)
    grads = kernels.weight_bytes(params, b)
    optimizer = params * kernels.adam_state_bytes_per_parameter()
    if isinstance(model, TransformerWorkload):
        acts = kernels.activation_memory_bytes(seq_len or model.seq_len, batch, model.hidden_dim, model.heads, model.layers, recompute="full" if recompute else "none")
    else:
        acts = model.activation_bytes_per_sample_si(precision) * batch
    return weights, grads, optimizer, acts


def memory_verdict(hw, weights: float, footprint: float, acts: float, is_training: bool) -> str:
    """Why the resident bytes do not fit (empty string when they do).

    On an MCU with a separate flash tier (``memory.flash_capacity``), inference
    weights stay in flash and only activations must fit in SRAM.
    """
    capacity = hw.memory._si["capacity"]
    flash = hw.memory._si.get("flash_capacity")
    if flash is not None and not is_training:
        if weights > flash:
            return f"weights {weights / 1e6:.4g} MB exceed {hw.name}'s flash {flash / 1e6:.4g} MB"
        if acts > capacity:
            return f"activations {acts / 1e3:.4g} kB exceed {hw.name}'s SRAM {capacity / 1e3:.4g} kB"
        return ""
    if footprint > capacity:
        return f"needs {footprint / 1e9:.4g} GB but {hw.name} has {capacity / 1e9:.4g} GB"
    return ""


def largest_inference_batch(hw, weights: float, act: float) -> float:
    """The largest batch whose inference footprint (weights + act x b) passes ``memory_verdict``.

    0 when even the weights do not fit, inf when activations cost nothing.
    Solved in closed form, then checked (and nudged at the boundary) with
    ``memory_verdict`` itself, so both always agree.
    """
    if memory_verdict(hw, weights, weights, 0.0, False):
        return 0
    if act <= 0:
        return math.inf
    capacity = hw.memory._si["capacity"]
    room = capacity if hw.memory._si.get("flash_capacity") is not None else capacity - weights
    b = max(int(room // act), 0)
    while b > 0 and memory_verdict(hw, weights, weights + act * b, act * b, False):
        b -= 1
    while not memory_verdict(hw, weights, weights + act * (b + 1), act * (b + 1), False):
        b += 1
    return b


class SingleNodeModel:
    """Roofline solver for one accelerator."""

    def solve(
        self,
        model,
        hardware,
        batch_size: int = 1,
        precision: str = "fp16",
        efficiency: float = DEFAULT_EFFICIENCY,
        is_training: bool = False,
        seq_len: int | None = None,
        bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
        activation_recompute: bool = False,
    ) -> PerformanceProfile:
        model = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        batch = _inputs.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        efficiency = _inputs.fraction(efficiency, "efficiency")
        bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        if seq_len is not None:
            seq_len = _inputs.positive_int(seq_len, "seq_len")
        is_training = bool(is_training)

        plan = roofline_plan(model, hw, precision, efficiency, bandwidth_efficiency, is_training, seq_len, activation_recompute)
        peak, compute_precision = plan[8], plan[9]
        assumptions = [
            f"efficiency={efficiency:g} of dense peak; bandwidth_efficiency={bandwidth_efficiency:g}",
            "training: forward + backward = 3x forward ops and traffic" if is_training else "inference: one forward pass",
        ]
        if compute_precision is not None and compute_precision != precision:
            assumptions.append(f"{hw.name} lists no {precision} peak; compute runs at its {compute_precision} peak")

        capacity = hw.memory._si["capacity"]
        if is_training:
            weights, grads, optimizer, acts = training_memory(model, precision, batch, seq_len, activation_recompute)
            assumptions.append("memory: weights + gradients + 12 B/param Adam state (ZeRO, Sec. 3.1) + activations")
        else:
            weights, grads, optimizer = model.weight_bytes_si(precision), 0.0, 0.0
            acts = model.activation_bytes_per_sample_si(precision, seq_len) * batch
        footprint = weights + grads + optimizer + acts
        reason = memory_verdict(hw, weights, footprint, acts, is_training)
        feasible = not reason

        if compute_precision is None:
            return PerformanceProfile(
                model=model.name, hardware=hw.name, precision=precision, compute_precision=None, batch_size=batch,
                is_training=is_training, bottleneck=UNSUPPORTED, feasible=False,
                reason=f"{hw.name} has no {precision} compute (it lists {', '.join(hw.compute.precision_flops)})",
                mfu=0.0, hfu=0.0, assumptions=assumptions, _latency=math.inf, _compute_time=math.inf,
                _memory_time=None, _dispatch_tax=plan[7], _throughput=0.0, _arithmetic_intensity=None, _ridge_point=None,
                _ops=None, _bytes_moved=None, _peak_flops=0.0, _bandwidth=plan[6], _energy=None, _memory_footprint=footprint,
                _memory_capacity=capacity, _weight_memory=weights, _gradient_memory=grads, _optimizer_memory=optimizer,
                _activation_memory=acts,
            )

        (latency,), (compute,), (memory,), (ops,), (nbytes,) = roofline_columns(plan, [batch])
        hw_ops = ops * plan[4] / plan[3]
        tdp = hw._si.get("tdp")
        return PerformanceProfile(
            model=model.name, hardware=hw.name, precision=precision, compute_precision=compute_precision, batch_size=batch,
            is_training=is_training, bottleneck=COMPUTE_BOUND if compute >= memory else MEMORY_BOUND,
            feasible=feasible, reason=reason,
            mfu=ops / latency / peak, hfu=hw_ops / latency / peak, assumptions=assumptions,
            _latency=latency, _compute_time=compute, _memory_time=memory, _dispatch_tax=plan[7],
            _throughput=batch / latency, _arithmetic_intensity=kernels.arithmetic_intensity(ops, nbytes),
            _ridge_point=kernels.ridge_point(peak, hw.memory._si["bandwidth"]), _ops=ops, _bytes_moved=nbytes,
            _peak_flops=peak, _bandwidth=hw.memory._si["bandwidth"],
            _energy=kernels.energy(tdp, latency) if tdp is not None else None,
            _memory_footprint=footprint, _memory_capacity=capacity, _weight_memory=weights, _gradient_memory=grads,
            _optimizer_memory=optimizer, _activation_memory=acts,
        )


class Engine:
    """The textbook's entry point: ``Engine.solve(model=..., hardware=..., batch_size=..., precision=...)``."""

    @staticmethod
    def solve(model, hardware, batch_size: int = 1, precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY, **kwargs) -> PerformanceProfile:
        return SingleNodeModel().solve(model, hardware, batch_size=batch_size, precision=precision, efficiency=efficiency, **kwargs)
