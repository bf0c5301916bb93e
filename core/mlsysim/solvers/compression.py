"""The Fidelity wall: what fewer bits and fewer weights buy in size and speed, and cost in quality.

  size        = parameters x bits / 8                          (weight-only quantisation)
  2:4 sparse  = parameters / 2 x (bits + 2) / 8                (NVIDIA A100 whitepaper, 2:4 sparsity)
  step time   = max(ops / (peak x eff), weight bytes / bandwidth) for one forward step
                (a decode step of one token per sequence for Transformers; one batch otherwise)
  speed       = 2:4 runs at the part's ``sparse_flops`` peak when it lists one, else at the dense
                peak; unstructured sparsity runs dense (no hardware uses it); weight-only formats
                (GPTQ, RTN) dequantise and multiply in ``precision``; LLM.int8() multiplies in int8
  quality     = a PUBLISHED before/after value for (method, model, bits) from
                ``registry/walls/compression.toml``; no row, no number (never an invented curve)
  distillation: the published student's parameter fraction scales ops and bytes.
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..core.types import normalise
from ..physics import kernels
from ..results import Result, quantity
from ..wall_registry import CompressionResults
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from ..workloads.types import TransformerWorkload
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_EFFICIENCY

METHODS = ("none", "rtn", "gptq", "llm_int8", "distillation")
SPARSITY = ("none", "2:4", "unstructured")


@plan
class CompressionPlan:
    parameters: float
    base_bits: float
    bits: float
    ops: float  # one step, uncompressed
    other_bytes: float  # activations and KV cache read in the step (not compressed)
    base_rate: float  # flop/s, dense, baseline precision
    rate: float  # flop/s the compressed step runs at
    bandwidth: float
    capacity: float
    structured: bool  # 2:4
    scale: float  # parameter fraction kept (distillation), 1 otherwise


@floats
class CompressionFloats:
    original_size: float
    compressed_size: float
    baseline_time: float
    compressed_time: float
    compute_time: float
    memory_time: float


def evaluate(p: CompressionPlan) -> CompressionFloats:
    original = kernels.quantized_weight_bytes(p.parameters, p.base_bits)
    kept = p.parameters * p.scale
    size = kernels.two_four_sparse_weight_bytes(kept, p.bits) if p.structured else kernels.quantized_weight_bytes(kept, p.bits)
    base, _, _ = kernels.roofline_parts(p.ops, original + p.other_bytes, p.base_rate, p.bandwidth)
    t, c, m = kernels.roofline_parts(p.ops * p.scale, size + p.other_bytes, p.rate, p.bandwidth)
    return CompressionFloats(original, size, base, t, c, m)


class CompressionResult(Result):
    """Size, speed and the published quality change of one compression recipe."""

    _plain_names = ("model", "hardware", "method", "bits", "sparsity", "compression_ratio", "speedup", "step_bound",
                    "published", "metric", "baseline_quality", "compressed_quality", "quality_change", "quality_retained",
                    "published_speedup", "bound", "feasible", "reason", "assumptions")

    original_size = quantity("bytes", "GB", "weights at the baseline precision")
    compressed_size = quantity("bytes", "GB")
    baseline_time = quantity("time", "ms", "one uncompressed step")
    compressed_time = quantity("time", "ms", "one compressed step")
    compute_time = quantity("time", "ms")
    memory_time = quantity("time", "ms")
    memory_capacity = quantity("bytes", "GB")


def find_published(method: str, model, bits: float):
    """The registry's published row for (method, model, bits), or None."""
    names = {model.key, normalise(model.name), *(normalise(a) for a in model.aliases)}
    for row in CompressionResults:
        if row.method != method or abs(row.bits - bits) > 1e-9 and method != "distillation":
            continue
        if row.for_model == "any" or normalise(row.for_model) in names or row.for_model in names:
            return row
    return None


class CompressionModel:
    """Quantisation, 2:4 / unstructured pruning and distillation on one accelerator."""

    def solve(self, model, hardware, method: str = "gptq", bits: float | None = None, sparsity: str = "none", batch_size: int = 1,
              precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY, published: str | None = None) -> CompressionResult:
        """``bits`` defaults to 4 for GPTQ/RTN, 8 for LLM.int8(), the baseline for none/distillation.
        ``published`` names a row of ``CompressionResults`` to report instead of the automatic match."""
        m = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        method = checks.choice(method, "method", METHODS)
        sparsity = checks.choice(sparsity, "sparsity", SPARSITY)
        batch = checks.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        eff = checks.fraction(efficiency, "efficiency")
        base_bits = 8.0 * bytes_per_value(precision)
        if method in ("none", "distillation"):
            if bits is not None:
                checks.number(bits, "bits", base_bits, base_bits, accepted=f"None or {base_bits:g} ({method} keeps {precision} weights)")
            b = base_bits
        elif method == "llm_int8":
            b = 8.0 if bits is None else checks.number(bits, "bits", 8.0, 8.0, accepted="8 (LLM.int8() is an 8-bit method)")
        else:
            b = 4.0 if bits is None else checks.number(bits, "bits", 1.0, base_bits, accepted=f"a bit width from 1 to {base_bits:g} (the baseline {precision})")
        row = None
        if published is not None:
            row = CompressionResults.get(checks.choice(published, "published", [r.key for r in CompressionResults]))
        else:
            row = find_published(method, m, b)
        scale = 1.0
        if method == "distillation":
            if row is None:
                raise InputError("method", method, f"a method with a published student for {m.name} (distillation needs one; rows: "
                                 + ", ".join(r.key for r in CompressionResults if r.method == "distillation") + ")")
            scale = row.parameter_fraction
        # every published row measured dense weights: none says what pruning on top of it costs
        dense_only = row if row is not None and published is None and sparsity != "none" else None
        if dense_only is not None:
            row = None

        params = m._si["parameters"]
        if isinstance(m, TransformerWorkload):
            ops = kernels.inference_flops_per_token(m.active_parameters_si) * batch  # one decode step
            other = 0.0
            step = f"one decode step of {batch} token(s), KV cache left out"
        else:
            ops = m.forward_ops_per_sample_si() * batch
            other = m.activation_bytes_per_sample_si(precision) * batch
            step = f"one forward pass of batch {batch}"
        base_peak, base_prec = hw.peak_flops_si(precision)
        compute_prec = "int8" if method == "llm_int8" else precision
        peak, got = hw.peak_flops_si(compute_prec)
        assumptions = [f"{step}; efficiency={eff:g}", f"baseline: dense {precision} weights ({base_bits:g} bits)"]
        if sparsity == "2:4":
            sparse = hw.compute._si.get(f"sparse_flops.{got}") if got else None
            if sparse is not None:
                peak = sparse
                assumptions.append(f"2:4 sparsity at {hw.name}'s sparse {got} peak ({sparse / 1e12:.4g} TFLOP/s)")
            else:
                assumptions.append(f"{hw.name} lists no 2:4 sparse {got} peak: compute runs at the dense rate, only the weights shrink")
        elif sparsity == "unstructured":
            assumptions.append("unstructured sparsity: stored and multiplied dense (no hardware here skips scattered zeros)")
        if method in ("rtn", "gptq"):
            assumptions.append(f"weight-only {b:g}-bit: weights dequantised and multiplied in {precision}; scales left out")
        if method == "llm_int8":
            assumptions.append("LLM.int8(): int8 matrix multiplies at the int8 peak (its fp16 outlier decomposition's cost left out)")
        if got is None or base_prec is None:
            reason = f"{hw.name} has no {compute_prec if got is None else precision} compute"
            p = CompressionPlan(params, base_bits, b, ops, other, 1.0, 1.0, hw.memory._si["bandwidth"], hw.memory._si["capacity"], sparsity == "2:4", scale)
        else:
            reason = ""
            p = CompressionPlan(params, base_bits, b, ops, other, kernels.effective_flops(base_peak, eff),
                                kernels.effective_flops(peak, eff), hw.memory._si["bandwidth"], hw.memory._si["capacity"],
                                sparsity == "2:4", scale)
        out = evaluate(p)
        if not reason and out.compressed_size + other > p.capacity:
            reason = f"compressed weights {out.compressed_size / 1e9:.4g} GB exceed {hw.name}'s {p.capacity / 1e9:.4g} GB"
        if dense_only is not None:
            assumptions.append(f"no published quality for {method} at {b:g} bits with {sparsity} sparsity on {m.name}: the row "
                               f"{dense_only.key!r} measured dense weights, so none is given")
        elif row is None:
            assumptions.append(f"no published quality for {method} at {b:g} bits on {m.name} in the registry: none is given")
        else:
            assumptions.append(f"quality from the published row {row.key!r} ({row.provenance('compressed_value').title[:80]}...)")
            names = {m.key, normalise(m.name), *(normalise(a) for a in m.aliases)}
            if row.for_model != "any" and normalise(row.for_model) not in names and row.for_model not in names:
                assumptions.append(f"the published row is for {row.for_model}, not {m.name}: a proxy, not a measurement of this model")
        ok = not reason
        result = CompressionResult.view(
            out, model=m.name, hardware=hw.name, method=method, bits=b, sparsity=sparsity,
            compression_ratio=out.original_size / out.compressed_size,
            speedup=out.baseline_time / out.compressed_time if ok else None,
            step_bound=(Wall.COMPUTE if out.compute_time >= out.memory_time else Wall.MEMORY) if ok else None,
            published=row.key if row else None, metric=row.metric if row else None,
            baseline_quality=row.baseline_value if row else None, compressed_quality=row.compressed_value if row else None,
            quality_change=row.change if row else None, quality_retained=row.retained if row else None,
            published_speedup=row.speedup if row else None,
            bound=Wall.FIDELITY if ok else Wall.CAPACITY, feasible=ok, reason=reason, assumptions=assumptions,
            _memory_capacity=p.capacity,
        )
        if got is None or base_prec is None:  # no arithmetic in that precision: no times at a made-up rate
            for name in ("baseline_time", "compressed_time", "compute_time", "memory_time"):
                setattr(result, "_" + name, None)
        return result


def audit_row(ctx) -> dict | None:
    """The Fidelity line: applies when the knobs name a compression ``method`` or ``bits``."""
    knobs = getattr(ctx, "knobs", None) or {}
    if "method" not in knobs and "bits" not in knobs and "sparsity" not in knobs:
        return None
    args = {k: knobs[k] for k in ("method", "bits", "sparsity", "published") if k in knobs}
    r = CompressionModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, **args)
    note = f"{r.method} {r.bits:g}-bit, x{r.compression_ratio:.3g} smaller"
    if r.speedup:
        note += f", x{r.speedup:.3g} faster"
    note += f"; {r.metric} {r.baseline_quality} -> {r.compressed_quality} (published)" if r.published else "; no published quality change"
    return {"wall": Wall.FIDELITY, "figure": r.compressed_size, "limit": r.memory_capacity,
            "binds": not r.feasible or (r.quality_retained is not None and r.quality_retained < 0.99), "note": note}
