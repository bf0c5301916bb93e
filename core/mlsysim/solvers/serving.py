"""LLM serving on one accelerator: prefill (TTFT), decode (ITL) and the KV-cache memory wall.

Prefill processes the whole prompt at once and is usually compute-bound:
TTFT = max(2 P_active x seq x batch / (peak x eff), weight bytes / bandwidth) + overhead.
Each decode step produces one token per sequence and must stream the weights
and the whole KV cache from memory, so it is usually memory-bound:
ITL = max(2 P_active x batch / (peak x eff), (weights read + KV cache) / bandwidth) + overhead
(Pope et al. 2022, "Efficiently Scaling Transformer Inference", Sec. 2-3).

The contract: ``ServingModel.solve`` checks its arguments into a
``ServingPlan``, ``evaluate(plan)`` returns ``ServingFloats`` and the result is
their view; the audit and ``SystemLedger`` call ``evaluate`` with a plan of
their own (a tensor-parallel group is a plan with the group's ceilings).
"""

from __future__ import annotations

from ..hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs
from ._device import DeviceRates, device_rates, fallback_note
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY


class ServingResult(Result):
    """Prefill and decode latencies, KV cache, memory footprint and feasibility."""

    _plain_names = ("model", "hardware", "precision", "kv_precision", "seq_len", "batch_size", "prefill_bottleneck",
                    "decode_bottleneck", "bound", "feasible", "reason", "assumptions")

    ttft = quantity("time", "ms", "time to first token (prefill of the whole prompt)")
    itl = quantity("time", "ms", "inter-token latency (one decode step)")
    kv_cache_size = quantity("bytes", "GB", "KV cache at seq_len for the whole batch")
    weight_memory = quantity("bytes", "GB", "all weights (all experts) resident")
    memory_footprint = quantity("bytes", "GB", "weights + KV cache")
    memory_capacity = quantity("bytes", "GB")
    decode_throughput = quantity("rate", None, "tokens per second across the batch")
    prefill_compute_time = quantity("time", "ms")
    prefill_memory_time = quantity("time", "ms")
    decode_compute_time = quantity("time", "ms")
    decode_memory_time = quantity("time", "ms")
    decode_bytes = quantity("bytes", "GB", "bytes read per decode step")

    @property
    def prefill_bottleneck(self) -> str:
        return self.prefill_wall.phrase

    @property
    def decode_bottleneck(self) -> str:
        return self.decode_wall.phrase


@plan
class ServingPlan:
    """A checked serving solve: the model's floats and the device's ceilings."""

    active: float  # active parameters
    weight_memory: float  # resident weight bytes (all experts)
    prefill_weight_bytes: float  # weight bytes the prefill pass reads (experts touched by seq x batch tokens)
    decode_weight_bytes: float  # weight bytes one decode step reads (experts touched by batch tokens)
    kv_cache_size: float  # KV cache bytes at seq_len for the batch
    seq: int
    batch: int
    device: DeviceRates


@floats
class ServingFloats:
    ttft: float
    itl: float
    memory_footprint: float
    decode_throughput: float
    prefill_compute_time: float
    prefill_memory_time: float
    decode_compute_time: float
    decode_memory_time: float
    decode_bytes: float


def serving_plan(model, device: DeviceRates, seq: int, batch: int, precision: str, kv_precision: str) -> ServingPlan:
    kv = kernels.kv_cache_bytes(model.layers, model.kv_heads, model.head_dim, seq, batch, bytes_per_value(kv_precision))
    return ServingPlan(model.active_parameters_si, model.weight_bytes_si(precision),
                       model.expected_weight_bytes_read_si(precision, seq * batch),
                       model.expected_weight_bytes_read_si(precision, batch), kv, seq, batch, device)


def evaluate(p: ServingPlan) -> ServingFloats:
    """Prefill of every prompt token in one pass; each decode step reads the weights touched + the whole KV cache."""
    d = p.device
    prefill_ops = kernels.inference_flops_per_token(p.active) * p.seq * p.batch
    p_time, p_compute, p_memory = kernels.roofline_parts(prefill_ops, p.prefill_weight_bytes, d.rate, d.bandwidth)
    decode_ops = kernels.inference_flops_per_token(p.active) * p.batch
    decode_bytes = p.decode_weight_bytes + p.kv_cache_size
    d_time, d_compute, d_memory = kernels.roofline_parts(decode_ops, decode_bytes, d.rate, d.bandwidth)
    itl = d_time + d.tax
    return ServingFloats(p_time + d.tax, itl, p.weight_memory + p.kv_cache_size, p.batch / itl,
                         p_compute, p_memory, d_compute, d_memory, decode_bytes)


def verdict(hw_name: str, precision: str, p: ServingPlan) -> str:
    """Why the configuration cannot be served ('' when it can)."""
    d = p.device
    if d.compute_precision is None:
        return f"{hw_name} has no {precision} compute"
    footprint = p.weight_memory + p.kv_cache_size
    if footprint > d.memory_capacity:
        return (f"weights {p.weight_memory / 1e9:.4g} GB + KV cache {p.kv_cache_size / 1e9:.4g} GB = {footprint / 1e9:.4g} GB "
                f"exceed {hw_name}'s {d.memory_capacity / 1e9:.4g} GB")
    return ""


def result(model, hw_name: str, p: ServingPlan, precision: str, kv_precision: str, efficiency: float,
           bandwidth_efficiency: float) -> ServingResult:
    """Evaluate a plan and view it as a ``ServingResult``."""
    out = evaluate(p)
    reason = verdict(hw_name, precision, p)
    assumptions = [
        f"efficiency={efficiency:g} of dense peak for prefill; bandwidth_efficiency={bandwidth_efficiency:g}",
        "decode reads all resident KV cache at seq_len every step (worst case: the last token)",
        "forward compute 2 x active parameters per token (attention's s^2 term left out)",
    ]
    if model.is_moe:
        assumptions.append("MoE: decode reads the experts the batch's tokens are routed to (uniform routing); all experts resident")
    note = fallback_note(hw_name, precision, p.device)
    if note:
        assumptions.append(note)
    prefill_wall = Wall.COMPUTE if out.prefill_compute_time >= out.prefill_memory_time else Wall.MEMORY
    decode_wall = Wall.COMPUTE if out.decode_compute_time >= out.decode_memory_time else Wall.MEMORY
    return ServingResult.view(
        out, p, p.device, model=model.name, hardware=hw_name, precision=precision, kv_precision=kv_precision, seq_len=p.seq,
        batch_size=p.batch, prefill_wall=prefill_wall, decode_wall=decode_wall,
        bound=Wall.CAPACITY if reason else decode_wall, feasible=not reason, reason=reason, assumptions=assumptions,
    )


class ServingModel:
    """Prefill/decode roofline for a Transformer on one accelerator."""

    def solve(
        self,
        model,
        hardware,
        seq_len: int = 2048,
        batch_size: int = 1,
        precision: str = "fp16",
        efficiency: float = DEFAULT_EFFICIENCY,
        kv_precision: str | None = None,
        bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
    ) -> ServingResult:
        model = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        seq = _inputs.positive_int(seq_len, "seq_len")
        batch = _inputs.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        kv_precision = _inputs.check_precision(kv_precision, "kv_precision") if kv_precision is not None else precision
        efficiency = _inputs.fraction(efficiency, "efficiency")
        bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        p = serving_plan(model, device_rates(hw, precision, efficiency, bandwidth_efficiency), seq, batch, precision, kv_precision)
        return result(model, hw.name, p, precision, kv_precision, efficiency, bandwidth_efficiency)


def tensor_parallel_group(hw, count: int):
    """A virtual accelerator for ``count`` copies of ``hw`` in one tensor-parallel group (peaks and memory add)."""
    if count == 1:
        return hw
    c, mem = hw.compute, hw.memory
    compute = ComputeCore(
        peak_flops=c.peak_flops * count,
        precision_flops={k: v * count for k, v in c.precision_flops.items()},
        sparse_flops={k: v * count for k, v in c.sparse_flops.items()},
    )
    memory = MemoryHierarchy(capacity=mem.capacity * count, bandwidth=mem.bandwidth * count)
    return HardwareNode(
        name=f"{count} x {hw.name}", tier=hw.tier, compute=compute, memory=memory,
        tdp=hw.tdp * count if hw.tdp is not None else None, dispatch_tax=hw.dispatch_tax,
    )


@floats
class GroupFloats:
    """Serving on a tensor-parallel group of N accelerators: the group's passes plus its all-reduces (s, byte)."""

    ttft: float  # prefill + its all-reduces
    itl: float  # decode step + its all-reduces
    itl_core: float  # decode step without communication
    request_latency: float  # ttft + output tokens x itl
    tp_comm_per_token: float  # all-reduces of one decode step
    memory_footprint: float  # weights + KV cache of the whole group


def serve_group(model, hw, n: int, seq: int, batch: int, precision: str, efficiency: float,
                link_bandwidth: float, link_latency: float, output_tokens: int) -> tuple[ServingResult, GroupFloats]:
    """One model served by ``n`` copies of ``hw`` as one Megatron tensor-parallel group (checked inputs).

    Peaks, memory and bandwidth add (``tensor_parallel_group``); each pass adds 2
    all-reduces per layer on the scale-up link (``kernels.tensor_parallel_inference_comm_time``).
    """
    group = tensor_parallel_group(hw, n)
    p = serving_plan(model, device_rates(group, precision, efficiency), seq, batch, precision, precision)
    sr = result(model, group.name, p, precision, precision, efficiency, DEFAULT_BANDWIDTH_EFFICIENCY)
    out = sr._outs[0]
    b = bytes_per_value(precision)
    prefill_comm = kernels.tensor_parallel_inference_comm_time(model.layers, batch * seq, model.hidden_dim, b, n, link_bandwidth, link_latency)
    decode_comm = kernels.tensor_parallel_inference_comm_time(model.layers, batch, model.hidden_dim, b, n, link_bandwidth, link_latency)
    ttft = out.ttft + prefill_comm
    itl = out.itl + decode_comm
    return sr, GroupFloats(ttft, itl, out.itl, kernels.request_latency(ttft, itl, output_tokens), decode_comm, out.memory_footprint)
