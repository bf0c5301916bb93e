"""The roofline ("iron law") on one accelerator: latency, throughput, bottleneck, memory.

latency = max(ops / (peak x efficiency), bytes / (bandwidth x bw_efficiency)) + dispatch tax
(Williams, Waterman & Patterson 2009). Training runs forward + backward = 3x the
forward operations (Kaplan et al. 2020) and keeps weights, gradients, optimizer
state and activations resident.

On-chip tier: where the registry lists ``memory.sram_capacity`` and ``sram_bandwidth``
(Gaudi 3, Myriad X) and an inference working set (weights read + activations of
the batch) fits in the SRAM, the bytes move at SRAM bandwidth (``on_chip=False``
charges main memory as before); the result's ``assumptions`` say which applied.

The contract: ``SingleNodeModel.solve`` checks its arguments, builds a
``RooflinePlan`` (``workload_plan`` + ``_device.device_rates``), calls
``evaluate(plan, batch)`` and ``memory_plan`` and views the floats as a
``PerformanceProfile``. ``mlsysim.sweep`` runs ``roofline_columns``, the same
arithmetic over lists of batch sizes.
"""

from __future__ import annotations

import math

from ..core.checks import MAX_INT
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from ..workloads.types import TransformerWorkload
from . import _inputs
from ._device import DeviceRates, device_rates, fallback_note
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY

COMPUTE_BOUND = Wall.COMPUTE.phrase  # "Compute Bound"
MEMORY_BOUND = Wall.MEMORY.phrase  # "Memory Bound"
UNSUPPORTED = "Unsupported Precision"


class PerformanceProfile(Result):
    """What one roofline solve found, and which wall binds (``bound``: compute, memory, or capacity)."""

    _plain_names = ("model", "hardware", "precision", "compute_precision", "batch_size", "is_training", "bottleneck", "bound",
                    "feasible", "reason", "mfu", "hfu", "assumptions")

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
    def bottleneck(self) -> str:
        """The roofline side that sets the latency, as a phrase: 'Compute Bound' or 'Memory Bound'."""
        return UNSUPPORTED if self.roofline_wall is None else self.roofline_wall.phrase


@plan
class WorkloadPlan:
    """The model's side of a roofline solve (flop, byte per sample; pass factors)."""

    fwd: float  # forward operations per sample
    weights_read: float  # weight bytes one pass reads
    act: float  # activation bytes per sample
    work: float  # model passes: 1 inference, 3 training
    hw_work: float  # passes the hardware runs: + 1 forward with full recomputation
    resident_weights: float  # all weight bytes (all experts)


@plan
class RooflinePlan:
    """Everything of a solve that does not depend on batch size."""

    workload: WorkloadPlan
    device: DeviceRates


@floats
class RooflineFloats:
    """One batch on the roofline (s, flop, byte)."""

    latency: float
    compute_time: float
    memory_time: float
    ops: float  # model operations of the batch
    bytes_moved: float


@floats
class MemoryFloats:
    """Resident bytes of one solve."""

    weight_memory: float
    gradient_memory: float
    optimizer_memory: float
    activation_memory: float
    memory_footprint: float


def workload_plan(model, precision: str, is_training: bool, seq_len: int | None, recompute: bool = False) -> WorkloadPlan:
    """The model's side of a roofline solve, as floats."""
    fwd = model.forward_ops_per_sample_si(seq_len)
    if isinstance(model, TransformerWorkload):
        weights_read = model.expected_weight_bytes_read_si(precision, seq_len or model.seq_len)
    else:
        weights_read = model.weight_bytes_si(precision)
    act = model.activation_bytes_per_sample_si(precision, seq_len)
    work = kernels.training_passes() if is_training else 1.0
    hw_work = kernels.training_passes(recompute) if is_training else 1.0
    return WorkloadPlan(fwd, weights_read, act, work, hw_work, model.weight_bytes_si(precision))


def roofline_plan(model, hw, precision: str, efficiency: float, bandwidth_efficiency: float, is_training: bool,
                  seq_len: int | None, recompute: bool = False, workload: WorkloadPlan | None = None,
                  on_chip: bool = False) -> RooflinePlan:
    """The batch-independent part of a solve; ``workload`` when the caller already has it.

    ``on_chip`` (inference only: training's gradients and optimizer state are not in the
    working set below) gives the device its SRAM tier, where the registry lists one.
    """
    return RooflinePlan(workload or workload_plan(model, precision, is_training, seq_len, recompute),
                        device_rates(hw, precision, efficiency, bandwidth_efficiency, on_chip and not is_training))


def working_set_fits_on_chip(w: WorkloadPlan, d: DeviceRates, batch: int) -> bool:
    """Weights read + activations of the batch fit in the on-chip SRAM (never, without an SRAM tier)."""
    return d.sram_capacity > 0.0 and w.weights_read + w.act * batch <= d.sram_capacity


def evaluate(p: RooflinePlan, batch: int) -> RooflineFloats:
    """The iron law for batch b: compute = fwd x b x hw_work / rate, memory = (weights read + act x b) x work / bandwidth,
    latency = max(compute, memory) + dispatch tax (``kernels.roofline_parts`` with the pass factors)."""
    w, d = p.workload, p.device
    bw = d.sram_bandwidth if working_set_fits_on_chip(w, d, batch) else d.bandwidth
    compute = w.fwd * w.hw_work / d.rate * batch
    memory = w.weights_read * w.work / bw + w.act * w.work / bw * batch
    latency = (compute if compute > memory else memory) + d.tax
    return RooflineFloats(latency, compute, memory, w.fwd * w.work * batch, (w.weights_read + w.act * batch) * w.work)


def roofline_columns(w: WorkloadPlan, d: DeviceRates, batches: list[int]) -> RooflineFloats:
    """``evaluate`` of ``RooflinePlan(w, d)`` over a list of batch sizes: each field is a list (same arithmetic,
    operation for operation). Takes the plan's two halves, so a sweep builds each once per model or accelerator."""
    per_sample_compute = w.fwd * w.hw_work / d.rate
    compute = [per_sample_compute * b for b in batches]
    if d.sram_capacity > 0.0:  # an on-chip tier: each batch size's working set decides its bandwidth
        memory = []
        for b in batches:
            bw = d.sram_bandwidth if working_set_fits_on_chip(w, d, b) else d.bandwidth
            memory.append(w.weights_read * w.work / bw + w.act * w.work / bw * b)
    else:
        fixed_memory = w.weights_read * w.work / d.bandwidth
        per_sample_memory = w.act * w.work / d.bandwidth
        memory = [fixed_memory + per_sample_memory * b for b in batches]
    tax = d.tax
    latency = [(c if c > m else m) + tax for c, m in zip(compute, memory)]
    ops = [w.fwd * w.work * b for b in batches]
    nbytes = [(w.weights_read + w.act * b) * w.work for b in batches]
    return RooflineFloats(latency, compute, memory, ops, nbytes)


def memory_plan(model, precision: str, batch: int, seq_len: int | None, is_training: bool, recompute: bool,
                workload: WorkloadPlan | None = None) -> MemoryFloats:
    """Resident bytes: inference keeps weights + activations; training (mixed-precision Adam) adds gradients and 12 B/param.

    ``workload`` (the same model, precision and seq_len) saves re-deriving the inference figures.
    """
    if not is_training:
        if workload is None:
            workload = workload_plan(model, precision, False, seq_len)
        weights, acts = workload.resident_weights, workload.act * batch
        return MemoryFloats(weights, 0.0, 0.0, acts, weights + 0.0 + 0.0 + acts)
    b = bytes_per_value(precision)
    params = model._si["parameters"]
    weights = kernels.weight_bytes(params, b)
    grads = kernels.weight_bytes(params, b)
    optimizer = params * kernels.adam_state_bytes_per_parameter()
    if isinstance(model, TransformerWorkload):
        acts = kernels.activation_memory_bytes(seq_len or model.seq_len, batch, model.hidden_dim, model.heads, model.layers,
                                               recompute="full" if recompute else "none")
    else:
        acts = model.activation_bytes_per_sample_si(precision) * batch
    return MemoryFloats(weights, grads, optimizer, acts, weights + grads + optimizer + acts)


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


_UNSUPPORTED = RooflineFloats(math.inf, math.inf, None, None, None)  # a solve with no arithmetic: it takes forever

# The closed form lands within a step or two of the boundary; the nudges below are bounded anyway.
_MAX_NUDGES = 64


def largest_inference_batch(hw, weights: float, act: float) -> float:
    """The largest batch whose inference footprint (weights + act x b) passes ``memory_verdict``.

    0 when even the weights do not fit, inf when activations cost nothing (or so
    little that every accepted batch size, up to ``checks.MAX_INT``, fits).
    Solved in closed form, then checked (and nudged at the boundary) with
    ``memory_verdict`` itself, so both always agree.
    """
    if memory_verdict(hw, weights, weights, 0.0, False):
        return 0
    if act <= 0:
        return math.inf
    capacity = hw.memory._si["capacity"]
    room = capacity if hw.memory._si.get("flash_capacity") is not None else capacity - weights
    if room / act > MAX_INT:
        return math.inf
    b = max(int(room // act), 0)
    for _ in range(_MAX_NUDGES):
        if b <= 0 or not memory_verdict(hw, weights, weights + act * b, act * b, False):
            break
        b -= 1
    for _ in range(_MAX_NUDGES):
        if memory_verdict(hw, weights, weights + act * (b + 1), act * (b + 1), False):
            break
        b += 1
    return b


def profile(model, hw, p: RooflinePlan, mem: MemoryFloats, batch: int, precision: str, efficiency: float,
            bandwidth_efficiency: float, is_training: bool) -> PerformanceProfile:
    """Evaluate a checked plan and view it as a ``PerformanceProfile`` (the audit calls this too)."""
    d = p.device
    assumptions = [
        f"efficiency={efficiency:g} of dense peak; bandwidth_efficiency={bandwidth_efficiency:g}",
        "training: forward + backward = 3x forward ops and traffic" if is_training else "inference: one forward pass",
    ]
    note = fallback_note(hw.name, precision, d)
    if note:
        assumptions.append(note)
    if is_training:
        assumptions.append("memory: weights + gradients + 12 B/param Adam state (ZeRO, Sec. 3.1) + activations")
    if d.sram_capacity > 0.0:
        ws = p.workload.weights_read + p.workload.act * batch
        if working_set_fits_on_chip(p.workload, d, batch):
            assumptions.append(f"on-chip tier: weights read + activations ({ws / 1e6:.4g} MB) fit in {hw.name}'s "
                               f"{d.sram_capacity / 1e6:.4g} MB SRAM, so memory traffic runs at its {d.sram_bandwidth / 1e9:.4g} GB/s")
        else:
            assumptions.append(f"on-chip tier not used: weights read + activations ({ws / 1e6:.4g} MB) exceed {hw.name}'s "
                               f"{d.sram_capacity / 1e6:.4g} MB SRAM; memory traffic at main-memory bandwidth")
    reason = memory_verdict(hw, mem.weight_memory, mem.memory_footprint, mem.activation_memory, is_training)
    common = dict(model=model.name, hardware=hw.name, precision=precision, compute_precision=d.compute_precision,
                  batch_size=batch, is_training=is_training, assumptions=assumptions,
                  _dispatch_tax=d.tax, _bandwidth=d.peak_bandwidth, _peak_flops=d.peak)
    if d.compute_precision is None:  # no arithmetic in that precision: it never runs
        return PerformanceProfile.view(
            _UNSUPPORTED, mem, d, **common, roofline_wall=None, bound=Wall.CAPACITY, feasible=False,
            reason=f"{hw.name} has no {precision} compute (it lists {', '.join(hw.compute.precision_flops)})",
            mfu=0.0, hfu=0.0, _throughput=0.0, _arithmetic_intensity=None, _ridge_point=None, _energy=None,
        )
    out = evaluate(p, batch)
    wall = Wall.COMPUTE if out.compute_time >= out.memory_time else Wall.MEMORY
    hw_ops = out.ops * p.workload.hw_work / p.workload.work
    tdp = hw._si.get("tdp")
    return PerformanceProfile.view(
        out, mem, d, **common, roofline_wall=wall, bound=wall if not reason else Wall.CAPACITY, feasible=not reason,
        reason=reason, mfu=kernels.model_flops_utilization(out.ops, out.latency, d.peak),
        hfu=kernels.model_flops_utilization(hw_ops, out.latency, d.peak),
        _throughput=batch / out.latency, _arithmetic_intensity=kernels.arithmetic_intensity(out.ops, out.bytes_moved),
        _ridge_point=kernels.ridge_point(d.peak, d.peak_bandwidth),
        _energy=kernels.energy(tdp, out.latency) if tdp is not None else None,
    )


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
        on_chip: bool = True,
    ) -> PerformanceProfile:
        """``on_chip=True``: inference whose weights read + activations fit in the accelerator's on-chip
        SRAM (registry ``memory.sram_capacity`` and ``sram_bandwidth``) moves them at SRAM bandwidth."""
        model = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        batch = _inputs.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        efficiency = _inputs.fraction(efficiency, "efficiency")
        bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        seq_len = _inputs.optional_int(seq_len, "seq_len")
        is_training = _inputs.boolean(is_training, "is_training")
        recompute = _inputs.boolean(activation_recompute, "activation_recompute")
        on_chip = _inputs.boolean(on_chip, "on_chip")
        p = roofline_plan(model, hw, precision, efficiency, bandwidth_efficiency, is_training, seq_len, recompute, on_chip=on_chip)
        mem = memory_plan(model, precision, batch, seq_len, is_training, recompute, p.workload)
        return profile(model, hw, p, mem, batch, precision, efficiency, bandwidth_efficiency, is_training)


class Engine:
    """The textbook's entry point: ``Engine.solve(model=..., hardware=..., batch_size=..., precision=...)``."""

    @staticmethod
    def solve(model, hardware, batch_size: int = 1, precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY, **kwargs) -> PerformanceProfile:
        return SingleNodeModel().solve(model, hardware, batch_size=batch_size, precision=precision, efficiency=efficiency, **kwargs)
