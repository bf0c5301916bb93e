"""Latency per image and images per second of a diffusion model on one accelerator.

Each part is one roofline (Williams et al. 2009), ops over the effective rate vs weight bytes
over bandwidth, plus the accelerator's dispatch tax per invocation:

  text encoder   once per batch: ops = passes x batch x text flops, bytes = text weights
  denoising step x steps:        ops = passes x batch x backbone flops, bytes = backbone weights
  VAE decoder    once per batch: ops = batch x VAE flops, bytes = VAE weights
  latency = text + steps x step + VAE;  images/s = batch / latency

passes = 2 with classifier-free guidance (Ho & Salimans 2022). Activation traffic is left out
(the backbone's latent activations are large but, at the batch sizes served, the step is
compute bound; the ``assumptions`` say so).
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.diffusion import DiffusionModels, DiffusionWorkload
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY


@plan
class DiffusionPlan:
    batch: int
    steps: int
    passes: float
    backbone_flops: float
    text_flops: float
    vae_flops: float
    backbone_bytes: float
    text_bytes: float
    vae_bytes: float
    rate: float  # effective flop/s
    bandwidth: float  # effective byte/s
    tax: float  # s per invocation


@floats
class DiffusionFloats:
    step_time: float
    step_compute_time: float
    step_memory_time: float
    text_encoder_time: float
    vae_decoder_time: float
    denoising_time: float
    latency: float
    images_per_second: float
    flops_per_image: float


def evaluate(p: DiffusionPlan) -> DiffusionFloats:
    """The float function: every part's roofline, summed per batch."""
    n = p.batch
    text = 0.0
    if p.text_flops > 0:
        text = kernels.roofline_time(p.passes * n * p.text_flops, p.text_bytes, p.rate, p.bandwidth) + p.tax
    step, c, m = kernels.roofline_parts(p.passes * n * p.backbone_flops, p.backbone_bytes, p.rate, p.bandwidth)
    step += p.tax
    vae = kernels.roofline_time(n * p.vae_flops, p.vae_bytes, p.rate, p.bandwidth) + p.tax
    denoise = p.steps * step
    latency = text + denoise + vae
    return DiffusionFloats(step, c, m, text, vae, denoise, latency, n / latency,
                           kernels.diffusion_image_flops(p.steps, p.backbone_flops, p.passes, p.text_flops, p.vae_flops))


class DiffusionResult(Result):
    """Per-image latency, throughput and the parts of a diffusion pipeline."""

    _plain_names = ("model", "hardware", "precision", "batch_size", "steps", "guidance", "step_bound",
                    "bound", "feasible", "reason", "assumptions")

    latency = quantity("time", "s", "one batch, prompt to decoded images")
    images_per_second = quantity("rate", None, "images per second")
    step_time = quantity("time", "ms", "one denoising step of the batch")
    step_compute_time = quantity("time", "ms")
    step_memory_time = quantity("time", "ms")
    denoising_time = quantity("time", "s", "steps x step_time")
    text_encoder_time = quantity("time", "ms")
    vae_decoder_time = quantity("time", "ms")
    flops_per_image = quantity("ops", "TFLOP", "compute per image")
    memory_footprint = quantity("bytes", "GB", "weights of backbone, text encoder and VAE decoder")
    memory_capacity = quantity("bytes", "GB")


def _diffusion_model(value) -> DiffusionWorkload:
    if isinstance(value, DiffusionWorkload):
        return value
    if isinstance(value, str):
        return DiffusionModels.get(value)
    raise InputError("model", value, "a DiffusionWorkload or a diffusion registry name such as 'sd15', 'sdxl' or 'dit_xl_2'")


class DiffusionModel:
    """Roofline latency of a text-to-image (or class-to-image) diffusion pipeline."""

    def solve(self, model, hardware, batch_size: int = 1, steps: int | None = None, guidance: bool = True,
              precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY,
              bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY) -> DiffusionResult:
        m = _diffusion_model(model)
        hw = _inputs.hardware(hardware)
        batch = checks.positive_int(batch_size, "batch_size")
        n_steps = m.default_steps if steps is None else checks.positive_int(steps, "steps", maximum=100_000)
        guidance = checks.boolean(guidance, "guidance")
        precision = _inputs.check_precision(precision)
        eff = checks.fraction(efficiency, "efficiency")
        bw_eff = checks.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        peak, got = hw.peak_flops_si(precision)
        wb, tb, vb = m.component_weight_bytes_si(precision)
        capacity = hw.memory._si["capacity"]
        footprint = wb + tb + vb
        si = m._si
        p = DiffusionPlan(batch, n_steps, kernels.guidance_passes(guidance), si["inference_flops"], si["text_encoder_flops"],
                          si["vae_decoder_flops"], wb, tb, vb, kernels.effective_flops(peak, eff) if got else 1.0,
                          hw.memory._si["bandwidth"] * bw_eff, hw._si["dispatch_tax"])
        out = evaluate(p)
        reason = ""
        if got is None:
            reason = f"{hw.name} has no {precision} compute"
        elif footprint > capacity:
            reason = f"weights {footprint / 1e9:.4g} GB exceed {hw.name}'s {capacity / 1e9:.4g} GB"
        ok = not reason
        assumptions = [
            f"efficiency={eff:g} of dense {got or precision} peak; bandwidth_efficiency={bw_eff:g}",
            f"{n_steps} steps, {'classifier-free guidance: 2 backbone passes per step' if guidance else 'no guidance: 1 pass per step'}",
            "weights read once per step for the whole batch; activation traffic and the scheduler's own arithmetic left out",
            f"dispatch tax {p.tax * 1e6:.3g} us per invocation (text encoder, each step, VAE)",
        ]
        if got is not None and got != precision:
            assumptions.append(f"{hw.name} lists no {precision} peak; compute runs at its {got} peak")
        step_bound = Wall.COMPUTE if out.step_compute_time >= out.step_memory_time else Wall.MEMORY
        result = DiffusionResult.view(
            out, model=m.name, hardware=hw.name, precision=precision, batch_size=batch, steps=n_steps, guidance=guidance,
            step_bound=step_bound if got else None, bound=step_bound if ok else Wall.CAPACITY, feasible=ok, reason=reason,
            assumptions=assumptions, _memory_footprint=footprint, _memory_capacity=capacity,
        )
        if got is None:  # no arithmetic in this precision: no times, rather than times at a made-up rate
            for name in ("latency", "images_per_second", "step_time", "step_compute_time", "step_memory_time",
                         "denoising_time", "text_encoder_time", "vae_decoder_time"):
                setattr(result, "_" + name, None)
        return result


def audit_row(ctx) -> dict | None:
    """A diffusion line for the audit: applies when the model is a diffusion workload."""
    if not isinstance(getattr(ctx, "model", None), DiffusionWorkload):
        return None
    knobs = getattr(ctx, "knobs", None) or {}
    args = {k: knobs[k] for k in ("steps", "guidance") if k in knobs}
    r = DiffusionModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, **args)
    sla = knobs.get("latency_sla")
    limit = None
    if sla is not None:
        limit = checks.quantity(sla, "latency_sla", "time")
    binds = (not r.feasible) or (limit is not None and r._latency > limit)
    return {"wall": r.bound, "figure": r.latency, "limit": make(limit, "time") if limit is not None else None,
            "binds": binds, "note": f"{r.steps} steps x {2 if r.guidance else 1} passes, {r.images_per_second.m:.3g} images/s"}
