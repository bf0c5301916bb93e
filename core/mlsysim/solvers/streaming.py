"""Streaming: weights streamed layer by layer from an outer memory (Wall 6).

When the weights live off the accelerator -- host DRAM over PCIe, NVMe (ZeRO-
Infinity, Rajbhandari et al. 2021) or a wafer-scale system's external weight
store (Cerebras MemoryX) -- each layer's weights must cross a link before the
layer can run:

  per layer  load    = layer weight bytes / (links x link bandwidth)
             compute = roofline of the layer's operations on the device
  prefetch   total   = load + (L - 1) max(compute, load) + compute    (double buffering)
  none       total   = L (compute + load)

Training streams the weights twice per step (forward, then backward at twice
the forward's compute); gradients leave on the link's other direction. The
batch at which compute hides the link is W rate / (B ops per sample).
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..physics import kernels
from ..pipeline_registry import Links, StreamLink
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.types import TransformerWorkload
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY


@plan
class StreamingPlan:
    layers: int
    layer_weight_bytes: float
    forward_ops_per_layer: float  # for the whole batch
    ops_per_sample_per_layer: float
    rate: float  # effective flop/s
    device_bandwidth: float  # HBM, for the layer's own roofline
    link_bandwidth: float  # all links together
    prefetch: bool
    training: bool
    batch: int


@floats
class StreamingFloats:
    load_per_layer: float
    compute_per_layer: float  # forward
    step_time: float
    compute_time: float  # the same step with the weights resident
    efficiency: float  # compute_time / step_time
    break_even_batch: float
    throughput: float  # samples/s


def evaluate(p: StreamingPlan) -> StreamingFloats:
    load = p.layer_weight_bytes / p.link_bandwidth
    fwd = kernels.roofline_time(p.forward_ops_per_layer, p.layer_weight_bytes, p.rate, p.device_bandwidth)
    step = kernels.streamed_layers_time(p.layers, fwd, load, p.prefetch)
    resident = p.layers * fwd
    if p.training:  # backward: the weights again, twice the forward's operations
        bwd = kernels.roofline_time(2.0 * p.forward_ops_per_layer, p.layer_weight_bytes, p.rate, p.device_bandwidth)
        step += kernels.streamed_layers_time(p.layers, bwd, load, p.prefetch)
        resident += p.layers * bwd
    b_star = kernels.streaming_break_even_batch(p.layer_weight_bytes, p.link_bandwidth, p.ops_per_sample_per_layer, p.rate)
    return StreamingFloats(load, fwd, step, resident, resident / step, b_star, p.batch / step)


class WeightStreamingResult(Result):
    """Per-layer load and compute times, the step with streamed weights, and when the link binds."""

    _plain_names = ("model", "hardware", "link", "layers", "prefetch", "is_training", "batch_size", "efficiency", "break_even_batch",
                    "weights_fit_on_device", "feasible", "reason", "bound", "assumptions")

    link_bandwidth = quantity("bandwidth", "GB/s", "all links together, one direction")
    layer_weight_memory = quantity("bytes", "MB", "one layer's weights")
    load_per_layer = quantity("time", "ms", "layer weights / link bandwidth")
    compute_per_layer = quantity("time", "ms", "the layer's forward roofline on the device")
    step_time = quantity("time", "ms", "one batch with the weights streamed")
    compute_time = quantity("time", "ms", "the same batch with the weights resident")
    throughput = quantity("rate", None, "samples per second")


def _link(link) -> tuple[float, str]:
    if isinstance(link, StreamLink):
        return link._si["bandwidth"], link.name
    if isinstance(link, str):
        try:
            entry = Links.get(link)
            return entry._si["bandwidth"], entry.name
        except KeyError:
            pass
    try:
        return checks.quantity(link, "link", "bandwidth"), f"{link} link"
    except InputError:
        names = ", ".join(repr(x.key) for x in Links)
        raise InputError("link", link, f"a StreamLink, a registry name ({names}) or a bandwidth such as '64 GB/s'") from None


class WeightStreamingModel:
    """Weights streamed layer by layer over a link into one accelerator."""

    def solve(self, model, hardware, link="pcie_gen5_x16", links: int = 1, batch_size: int = 1, seq_len: int | None = None,
              precision: str = "fp16", is_training: bool = False, prefetch: bool = True, layers: int | None = None,
              efficiency: float = DEFAULT_EFFICIENCY, bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY) -> WeightStreamingResult:
        """``link``: a ``StreamLink``, a registry name ('pcie_gen4_x16', 'pcie_gen5_x16', 'nvme_gen4',
        'cerebras_memoryx') or a bandwidth; ``links`` of them in parallel. ``layers`` is required for models
        without a layer count (non-Transformers). ``seq_len`` sets the tokens per sample of a Transformer."""
        m = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        bw_link, link_name = _link(link)
        n_links = checks.positive_int(links, "links")
        batch = checks.positive_int(batch_size, "batch_size")
        seq = None if seq_len is None else checks.positive_int(seq_len, "seq_len")
        precision = _inputs.check_precision(precision)
        training = checks.boolean(is_training, "is_training")
        overlap = checks.boolean(prefetch, "prefetch")
        eff = checks.fraction(efficiency, "efficiency")
        bw_eff = checks.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        if layers is not None:
            n_layers = checks.positive_int(layers, "layers")
        elif isinstance(m, TransformerWorkload):
            n_layers = m.layers
        else:
            raise InputError("layers", None, f"the number of layers to stream {m.name}'s weights in (it gives none)")

        peak, compute_precision = hw.peak_flops_si(precision)
        rate = kernels.effective_flops(peak, eff)
        weights = m.weight_bytes_si(precision)
        per_layer = weights / n_layers
        ops_sample = m.forward_ops_per_sample_si(seq) / n_layers
        p = StreamingPlan(n_layers, per_layer, ops_sample * batch, ops_sample, rate, hw.memory._si["bandwidth"] * bw_eff,
                          bw_link * n_links, overlap, training, batch)
        capacity = hw.memory._si["capacity"]
        buffers = (2.0 if overlap else 1.0) * per_layer
        assumptions = [
            f"{n_layers} equal layers of {per_layer / 1e6:.4g} MB; {n_links} x {link_name} at {bw_link / 1e9:.4g} GB/s",
            "prefetch: the next layer loads while this one computes (double buffering)" if overlap else "no prefetch: each layer loads, then computes",
            f"efficiency={eff:g} of dense peak; each layer's compute is its roofline on the device (weights read once from device memory)",
        ]
        if training:
            assumptions.append("training: weights streamed for the forward and again for the backward pass (2x its compute); gradients leave on the other direction")
        fits = weights <= capacity
        if fits:
            assumptions.append(f"the weights ({weights / 1e9:.4g} GB) fit in {hw.name}'s {capacity / 1e9:.4g} GB: streaming is a choice, not a necessity")
        reason = ""
        if compute_precision is None:
            reason = f"{hw.name} has no {precision} compute"
        elif buffers > capacity:
            reason = f"{'two layer buffers' if overlap else 'one layer'} of {buffers / 1e9:.4g} GB exceed {hw.name}'s {capacity / 1e9:.4g} GB"
        if reason:
            filled = {f"_{q}": None for q in WeightStreamingResult._quantity_names} | {
                "_link_bandwidth": bw_link * n_links, "_layer_weight_memory": per_layer}
            return WeightStreamingResult.view(
                None, model=m.name, hardware=hw.name, link=link_name, layers=n_layers, prefetch=overlap, is_training=training,
                batch_size=batch, efficiency=None, break_even_batch=None, weights_fit_on_device=fits, feasible=False, reason=reason,
                bound=Wall.CAPACITY, assumptions=assumptions, **filled)
        out = evaluate(p)
        if out.load_per_layer > out.compute_per_layer:
            bound = Wall.STREAMING
        else:
            _, c, mem = kernels.roofline_parts(p.forward_ops_per_layer, per_layer, rate, p.device_bandwidth)
            bound = Wall.COMPUTE if c >= mem else Wall.MEMORY
        return WeightStreamingResult.view(
            out, model=m.name, hardware=hw.name, link=link_name, layers=n_layers, prefetch=overlap, is_training=training, batch_size=batch,
            efficiency=out.efficiency, break_even_batch=out.break_even_batch, weights_fit_on_device=fits, feasible=True, reason="",
            bound=bound, assumptions=assumptions, _link_bandwidth=bw_link * n_links, _layer_weight_memory=per_layer)


def audit_row(ctx) -> dict | None:
    """The audit's streaming line, when ``knobs['stream_link']`` names a link the weights are streamed over."""
    knobs = ctx.knobs or {}
    if "stream_link" not in knobs:
        return None
    r = WeightStreamingModel().solve(ctx.model, ctx.hardware, link=knobs["stream_link"], batch_size=ctx.batch_size, precision=ctx.precision,
                                     is_training=ctx.workload == "training", seq_len=ctx.seq_len, layers=knobs.get("layers"))
    if not r.feasible:
        return {"wall": Wall.STREAMING, "figure": r.layer_weight_memory, "limit": None, "binds": True, "note": r.reason}
    return {"wall": Wall.STREAMING, "figure": r.load_per_layer, "limit": r.compute_per_layer, "binds": r.bound is Wall.STREAMING,
            "note": f"{r.efficiency:.1%} of resident speed; break-even batch {r.break_even_batch:.3g}"}
