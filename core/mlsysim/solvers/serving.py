"""LLM serving on one accelerator: prefill (TTFT), decode (ITL) and the KV-cache memory wall.

Prefill processes the whole prompt at once and is usually compute-bound:
TTFT = max(2 P_active x seq x batch / (peak x eff), weight bytes / bandwidth) + overhead.
Each decode step produces one token per sequence and must stream the weights
and the whole KV cache from memory, so it is usually memory-bound:
ITL = max(2 P_active x batch / (peak x eff), (weights read + KV cache) / bandwidth) + overhead
(Pope et al. 2022, "Efficiently Scaling Transformer Inference", Sec. 2-3).
"""

from __future__ import annotations

from ..physics import kernels
from ..results import Result, quantity
from ..workloads.precision import bytes_per_value
from . import _inputs
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from .single_node import COMPUTE_BOUND, MEMORY_BOUND


class ServingResult(Result):
    """Prefill and decode latencies, KV cache, memory footprint and feasibility."""

    _plain_names = ("model", "hardware", "precision", "kv_precision", "seq_len", "batch_size", "prefill_bottleneck", "decode_bottleneck", "feasible", "reason", "assumptions")

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
    def bound(self) -> str:
        if not self.feasible:
            return "capacity"
        return "memory" if self.decode_bottleneck == MEMORY_BOUND else "compute"


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

        peak, compute_precision = hw.peak_flops_si(precision)
        rate = kernels.effective_flops(peak, efficiency)
        bw = hw.memory._si["bandwidth"] * bandwidth_efficiency
        tax = hw._si["dispatch_tax"]
        active = model.active_parameters_si

        kv = kernels.kv_cache_bytes(model.layers, model.kv_heads, model.head_dim, seq, batch, bytes_per_value(kv_precision))
        weights = model.weight_bytes_si(precision)
        capacity = hw.memory._si["capacity"]
        footprint = weights + kv
        feasible = footprint <= capacity and compute_precision is not None
        if compute_precision is None:
            reason = f"{hw.name} has no {precision} compute"
        elif not feasible:
            reason = (
                f"weights {weights / 1e9:.4g} GB + KV cache {kv / 1e9:.4g} GB = {footprint / 1e9:.4g} GB "
                f"exceed {hw.name}'s {capacity / 1e9:.4g} GB"
            )
        else:
            reason = ""

        # prefill: every prompt token of every sequence in one pass
        prefill_ops = kernels.inference_flops_per_token(active) * seq * batch
        prefill_bytes = model.expected_weight_bytes_read_si(precision, seq * batch)
        p_time, p_compute, p_memory = kernels.roofline_parts(prefill_ops, prefill_bytes, rate, bw)
        # decode: one token per sequence; weights (experts touched) + the whole KV cache
        decode_ops = kernels.inference_flops_per_token(active) * batch
        decode_bytes = model.expected_weight_bytes_read_si(precision, batch) + kv
        d_time, d_compute, d_memory = kernels.roofline_parts(decode_ops, decode_bytes, rate, bw)
        ttft = p_time + tax
        itl = d_time + tax

        assumptions = [
            f"efficiency={efficiency:g} of dense peak for prefill; bandwidth_efficiency={bandwidth_efficiency:g}",
            "decode reads all resident KV cache at seq_len every step (worst case: the last token)",
            "forward compute 2 x active parameters per token (attention's s^2 term left out)",
        ]
        if model.is_moe:
            assumptions.append("MoE: decode reads the experts the batch's tokens are routed to (uniform routing); all experts resident")
        if compute_precision is not None and compute_precision != precision:
            assumptions.append(f"{hw.name} lists no {precision} peak; compute runs at its {compute_precision} peak")
        return ServingResult(
            model=model.name, hardware=hw.name, precision=precision, kv_precision=kv_precision, seq_len=seq, batch_size=batch,
            prefill_bottleneck=COMPUTE_BOUND if p_compute >= p_memory else MEMORY_BOUND,
            decode_bottleneck=COMPUTE_BOUND if d_compute >= d_memory else MEMORY_BOUND,
            feasible=feasible, reason=reason, assumptions=assumptions,
            _ttft=ttft, _itl=itl, _kv_cache_size=kv, _weight_memory=weights, _memory_footprint=footprint,
            _memory_capacity=capacity, _decode_throughput=batch / itl, _prefill_compute_time=p_compute,
            _prefill_memory_time=p_memory, _decode_compute_time=d_compute, _decode_memory_time=d_memory,
            _decode_bytes=decode_bytes,
        )
