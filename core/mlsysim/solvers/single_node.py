"""The roofline ("iron law") on one accelerator: latency, throughput, bottleneck, memory.

    device  = max(ops / (peak x efficiency), GEMM bytes / bandwidth) + elementwise bytes / bandwidth
    latency = max(device, kernels x launch cost) + dispatch tax

(Williams, Waterman & Patterson 2009, per kernel class). A CNN whose entry lists its layers
(``layer_shapes``) takes the first term layer by layer, sum_i max(flops_i / rate, bytes_i / bandwidth)
(``kernels.layer_roofline_time``: each conv reads its input and weights and writes its output once), and
in fp32 on NVIDIA CUDA cores its 3x3 stride-1 convolutions run Winograd (``winograd_reduction``); in fp16, bf16 and tf32
each layer's shorter side (math or traffic) hides only in part (``kernels.partial_overlap_time``,
DEFAULT_TENSOR_CORE_NON_OVERLAP), and a training step charges the layers 1 + the measured backward-over-forward
convolution time (``conv_backward_ratio``) instead of the flops' 3 passes. GEMM bytes are the weights read
plus the activations each GEMM-class layer writes and the next reads (for a CNN, every
conv output once each way); elementwise bytes are those of the separate batch-norm,
activation, add and pooling kernels an eager framework runs between them, which cannot
hide behind the convolutions (``kernels.sequential_kernels_time``). The host launches
each kernel asynchronously, so launches bind only when they outlast the device
(``kernels.host_bound_time``); ``execution`` (eager / fused / graph) sets the kernel
count, whether the elementwise kernels exist and the cost per launch. Training runs
forward + backward = 3x the forward operations, traffic and launches (Kaplan et al.
2020) and keeps weights, gradients, optimizer state and every layer's activations resident; inference
keeps the weights and, for a CNN whose layers are listed, only the peak live activations (the largest
layer's input + output + what a residual add keeps, ``kernels.inference_peak_live_values``): with no
autograd graph each tensor is freed after its last use.

Efficiency: when the caller passes none, the Software wall's size-dependent tables
(``efficiency.efficiency_for``: Calculon's GEMM table at the flops of one GEMM-class
kernel, its HBM table at the bytes of one kernel, for the GEMM-class traffic and for the
separate memory-bound kernels alike; where a part has its own HBM table it is capped at
the part's measured sustained bandwidth, e.g. 750 of 900 GB/s on a V100) give the fraction
of peak; the result's ``assumptions`` say which default applied. A passed efficiency wins.

On-chip tier: where the registry lists ``memory.sram_capacity`` and ``sram_bandwidth``
(Gaudi 3, Myriad X) and an inference working set (weights read + activations of
the batch) fits in the SRAM, the bytes move at SRAM bandwidth (``on_chip=False``
charges main memory as before); the result's ``assumptions`` say which applied.

The contract: ``SingleNodeModel.solve`` checks its arguments, builds a
``RooflinePlan`` (``workload_plan`` + ``_device.device_rates``), calls
``evaluate(plan, batch)`` and ``memory_plan`` and views the floats as a
``PerformanceProfile``. ``mlsysim.sweep`` runs ``roofline_columns``, the same
arithmetic over lists of batch sizes.

Why one module of ~800 lines: the workload plan, the float evaluation, the sweep's columns and
the notes ``solve`` writes into ``assumptions`` all read the same plan fields (kernel counts,
GEMM and elementwise bytes, the weight update, the tables' efficiencies); kept together, a new
term of the roofline is added in one file and the sweep cannot drift from the solve.
"""

from __future__ import annotations

import math

from ..core.checks import MAX_INT
from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, lazy_notes, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from ..workloads.types import CNNWorkload, TransformerWorkload
from . import _inputs
from ._device import DeviceRates, device_rates, fallback_note, sram_tier_capacity
from .contract import floats, plan
from .defaults import (ATTENTION_GEMMS_PER_TRANSFORMER_LAYER, DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY, DEFAULT_EXECUTION,
                       DEFAULT_MEMORY_FORMAT, DEFAULT_MIXED_PRECISION, DROPOUT_KERNELS_PER_TRANSFORMER_LAYER, EXECUTION_LAUNCH,
                       MIXED_PRECISIONS,
                       GEMMS_PER_TRANSFORMER_LAYER, MEMORY_FORMATS, MEMORY_KERNELS_PER_TRANSFORMER_LAYER, TENSOR_CORE_PRECISIONS,
                       DEFAULT_WINOGRAD_TILE, DEFAULT_CONV_BACKWARD_RATIO_CUDA_CORE, DEFAULT_CONV_BACKWARD_RATIO_TENSOR_CORE,
                       DEFAULT_TENSOR_CORE_NON_OVERLAP, NON_OVERLAP_PRECISIONS)
from .efficiency import efficiency_for_key, efficiency_table_name, launch_overhead_entry

EXECUTIONS = tuple(EXECUTION_LAUNCH)
GPU_TIERS = ("cloud", "workstation")  # the parts the Software wall's GPU tables and PyTorch eager describe

COMPUTE_BOUND = Wall.COMPUTE.phrase  # "Compute Bound"
MEMORY_BOUND = Wall.MEMORY.phrase  # "Memory Bound"
SOFTWARE_BOUND = Wall.SOFTWARE.phrase  # "Software Bound": the host's kernel launches outlast the device
UNSUPPORTED = "Unsupported Precision"
FP32_BYTES = bytes_per_value("fp32")  # optimizer state and master weights are kept in fp32 (Micikevicius et al. 2018)


class PerformanceProfile(Result):
    """What one roofline solve found, and which wall binds (``bound``: compute, memory, or capacity)."""

    _plain_names = ("model", "hardware", "precision", "compute_precision", "batch_size", "is_training", "bottleneck", "bound",
                    "feasible", "reason", "mfu", "hfu", "assumptions", "efficiency", "bandwidth_efficiency", "execution",
                    "kernels")

    latency = quantity("time", "ms", "time for one batch")
    compute_time = quantity("time", "ms", "ops / effective FLOP/s")
    memory_time = quantity("time", "ms", "bytes / effective bandwidth")
    dispatch_tax = quantity("time", "ms", "fixed per-invocation overhead")
    launch_time = quantity("time", "ms", "kernels x launch cost: the host's side, overlapped with the device")
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

    assumptions = lazy_notes()


@plan
class WorkloadPlan:
    """The model's side of a roofline solve (flop, byte per sample; pass factors)."""

    fwd: float  # forward operations per sample
    weights_read: float  # weight bytes one pass reads
    act: float  # activation bytes per sample (traffic of the GEMM-class layers and what stays resident)
    work: float  # model passes: 1 inference, 3 training
    hw_work: float  # passes the hardware runs: + 1 forward with full recomputation
    resident_weights: float  # all weight bytes (all experts)
    elementwise: float = 0.0  # bytes per sample of one STEP (training: fwd + bwd) of separate memory-bound kernels
    kernels: float = 0.0  # kernel launches of one forward pass (0: unknown, launches not charged)
    gemm_kernels: float = 1.0  # GEMM-class kernels the forward work is spread over (the efficiency table's size)
    gemm_io: float = 0.0  # activation bytes per sample per pass the GEMMs move beyond ``act`` (a Transformer's projections)
    memory_kernels: float = 0.0  # memory-bound kernels of one forward pass (sizes the HBM table's look-up)
    update_bytes: float = 0.0  # weight-side bytes per micro-batch: the update (training) and autocast's weight casts
    # The GEMM-class layers one by one (a CNN whose entry lists layer_shapes; empty otherwise): tuples of floats,
    # one entry per group of identical layers, so that evaluate applies the roofline per kernel
    # (kernels.layer_roofline_time). Flops are those the hardware executes per sample in one forward pass
    # (Winograd's reduction applied), weights in bytes, activations in bytes per sample per pass.
    layer_flops: tuple = ()
    layer_weights: tuple = ()
    layer_io: tuple = ()
    layer_flops_total: float = 0.0  # sum(layer_flops)
    layer_bytes_fixed: float = 0.0  # sum(layer_weights)
    layer_bytes_per_sample: float = 0.0  # sum(layer_io)
    # Training: forward-pass times the listed layers take per step beyond the flops' count (hw_work, work): the
    # measured backward convolutions' time over 2 x the forward's (conv_backward_ratio); 0 in inference.
    layer_backward_extra: float = 0.0
    # The share of each listed layer's shorter side (math or traffic) that does not overlap the longer
    # (kernels.partial_overlap_time): DEFAULT_TENSOR_CORE_NON_OVERLAP in the tensor-core precisions, 0 (the roofline) else
    layer_non_overlap: float = 0.0
    # Activation bytes per sample an inference pass keeps resident at its peak (memory_plan): for a CNN whose entry
    # lists layer_shapes, the largest live set of one layer (CNNWorkload.peak_live_activation_values); else, and in
    # training (which keeps every layer's activations and does not read this field), ``act``
    resident_act: float = 0.0


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
    launch_time: float = 0.0  # kernels x launch cost (the host's side)
    device_time: float = 0.0  # the device's side: max(compute, GEMM traffic) + elementwise traffic


@floats
class MemoryFloats:
    """Resident bytes of one solve."""

    weight_memory: float
    gradient_memory: float
    optimizer_memory: float
    activation_memory: float
    memory_footprint: float


def kernel_counts(model, execution: str, is_training: bool = False,
                  autocast: bool = False) -> tuple[float, float, float]:
    """(kernel launches of one forward pass, GEMM-class kernels among them, memory-bound kernels among them).

    ``autocast`` (eager only): torch.autocast casts each fp32 weight of an autocast-listed op (conv,
    linear, matmul) to 16 bits, one ``aten::_to_copy`` operator per weight per autocast region, kept in
    the region's weight cache (PyTorch docs, "Automatic Mixed Precision package - torch.amp": the
    float16 op list and ``cache_enabled``); a pass run in one region adds one eager operator per
    GEMM-class kernel (``kernels.autocast_cast_launches``). Their traffic is ``kernels.autocast_cast_bytes``.

    CNNs: the registry's layer-by-layer counts (``kernels`` eager, ``fused_kernels`` otherwise,
    ``conv_layers``; the eager kernels that are not convs or fc layers are the memory-bound ones);
    Transformers whose entry lists ``layer_ops``: per layer the 6 weight GEMMs, the 2 attention batched
    GEMMs and the memory-bound kernels of the execution mode (``solvers.defaults``: 15 eager + 3 dropouts
    in training, 7 fused), and in eager a BERT entry's operators outside the layers (embeddings, mask, pooler,
    task head and loss: ``kernels.bert_outer_operators``, launches only); without ``layer_ops``: (0, layers x 6, 0), launches not charged;
    other workloads: (0, 1, 0): no kernel count, launches not charged.
    """
    eager = execution == "eager"
    if isinstance(model, CNNWorkload):
        n = float((model.kernels if eager else model.fused_kernels) or 0)
        gemms = float(model.conv_layers or 1)
        casts = kernels.autocast_cast_launches(gemms, eager and autocast and n > 0.0)
        return n + casts, gemms, (n - gemms if eager and n > gemms else 0.0)
    if isinstance(model, TransformerWorkload) and model.layer_ops is None:  # operators unknown: launches not charged
        return 0.0, float(model.layers * GEMMS_PER_TRANSFORMER_LAYER), 0.0
    if isinstance(model, TransformerWorkload):
        memory = MEMORY_KERNELS_PER_TRANSFORMER_LAYER[execution] + (DROPOUT_KERNELS_PER_TRANSFORMER_LAYER if eager and is_training else 0)
        per_layer = GEMMS_PER_TRANSFORMER_LAYER + ATTENTION_GEMMS_PER_TRANSFORMER_LAYER + memory
        gemms = float(model.layers * GEMMS_PER_TRANSFORMER_LAYER)
        casts = kernels.autocast_cast_launches(gemms, eager and autocast)
        outer = kernels.bert_outer_operators(model.output_head, is_training) if eager and model.layer_ops == "bert_encoder" else 0.0
        return float(model.layers * per_layer) + casts + outer, gemms, float(model.layers * memory)
    return 0.0, 1.0, 0.0


def workload_plan(model, precision: str, is_training: bool, seq_len: int | None, recompute: bool = False,
                  execution: str = DEFAULT_EXECUTION, transposes: bool = False, accumulation_steps: int = 1,
                  mixed_precision: str = DEFAULT_MIXED_PRECISION, winograd: float = 1.0) -> WorkloadPlan:
    """The model's side of a roofline solve, as floats.

    ``transposes``: an eager CNN's convolutions run on tensor cores from NCHW tensors, so each conv's input
    and output pass through an NCHW <-> NHWC transpose (``kernels.layout_transpose_values``): separate
    memory-bound kernels, two per conv per pass, launched inside the conv call (no framework dispatch of their own).
    ``accumulation_steps`` (training): micro-batches per optimizer step (1: a step per batch); the weight
    update's traffic (``kernels.weight_update_bytes``: fused Adam in fp32, with fp32 master weights below
    4 bytes per value) is charged per micro-batch as one more memory-bound pass. ``mixed_precision`` (below 4
    bytes per value): "master" (a 16-bit model, fp32 master weights in training) or "autocast" (an fp32 model
    cast per forward, ``kernels.autocast_cast_bytes``, with an fp32 update; inference pays the casts too).
    A CNN whose entry lists ``layer_shapes`` carries its layers one by one (``CNNWorkload.layer_table_si``) for
    the roofline per kernel; ``winograd``: the multiply reduction its 3x3 stride-1 convolutions run with (1: none).
    """
    fwd = model.forward_ops_per_sample_si(seq_len)
    work = kernels.training_passes() if is_training else 1.0
    hw_work = kernels.training_passes(recompute) if is_training else 1.0
    act = model.activation_bytes_per_sample_si(precision, seq_len)
    gemm_io = elementwise = 0.0
    if isinstance(model, TransformerWorkload):
        s = seq_len or model.seq_len
        if model.layer_ops is not None:  # QK^T and AV over the whole window (dense kernels), with the layer's operators
            fwd += model.attention_flops_per_token_si(s) * s
        weights_read = model.expected_weight_bytes_read_si(precision, s)
        gemm_io = model.gemm_io_bytes_per_sample_si(precision, s)
        elementwise = model.memory_bound_bytes_per_sample_si(precision, s, fused=execution != "eager", training=is_training)
    else:
        weights_read = model.weight_bytes_si(precision)
        if execution == "eager" and isinstance(model, CNNWorkload):
            elementwise = model.elementwise_bytes_per_sample_si(precision) * work
    value, params, a = bytes_per_value(precision), model._si["parameters"], float(accumulation_steps)
    autocast = mixed_precision == "autocast" and value < FP32_BYTES
    n_kernels, gemm_kernels, memory_kernels = kernel_counts(model, execution, is_training, autocast)
    if transposes and execution == "eager" and isinstance(model, CNNWorkload):
        moved = model.layout_transpose_bytes_per_sample_si(precision)
        if moved > 0.0:
            elementwise += moved * work
            memory_kernels += 2.0 * (gemm_kernels - 1.0)  # an input and an output transpose per conv (not the fc layer)
    update = 0.0
    if autocast:
        update = kernels.autocast_cast_bytes(params, a, FP32_BYTES, value, is_training)
    if is_training:
        update += kernels.weight_update_bytes(params, a, FP32_BYTES, FP32_BYTES if autocast else value)
    layers = model.layer_table_si(precision, winograd) if isinstance(model, CNNWorkload) else ((), (), ())
    extra = 0.0
    if is_training and layers[0]:  # the backward convolutions' measured time, beyond the 2 forward passes their flops count
        extra = kernels.conv_training_time_passes(conv_backward_ratio(precision)) - kernels.training_passes()
    return WorkloadPlan(fwd, weights_read, act, work, hw_work, model.weight_bytes_si(precision), elementwise, n_kernels,
                        gemm_kernels, gemm_io, memory_kernels, update, *layers, sum(layers[0]), sum(layers[1]), sum(layers[2]),
                        extra, DEFAULT_TENSOR_CORE_NON_OVERLAP if layers[0] and precision in NON_OVERLAP_PRECISIONS else 0.0,
                        resident_act=act if is_training else inference_resident_activation_bytes(model, precision, execution, act, seq_len))


def inference_resident_activation_bytes(model, precision: str, execution: str, act: float, seq_len: int | None = None) -> float:
    """Activation bytes per sample an inference pass keeps resident: for a CNN whose entry lists ``layer_shapes``,
    its peak live set (``CNNWorkload.peak_live_activation_values``; eager execution runs batch norm as its own
    kernel, which writes a copy of each conv's output); for a Transformer whose entry lists its layer operators
    (``layer_ops``), one layer's activations and scores for a ``seq_len`` sequence
    (``kernels.transformer_inference_resident_bytes``); otherwise ``act``, the entry's activation figure (for a
    CNN without its layers, the sum over layers, an upper bound; for another Transformer, the registry's
    activation_bytes, none listed today)."""
    if isinstance(model, CNNWorkload) and model.layer_shapes:
        return kernels.activation_traffic_bytes(model.peak_live_activation_values(execution == "eager"), bytes_per_value(precision), 1.0)
    if isinstance(model, TransformerWorkload) and model.layer_ops is not None:
        return kernels.transformer_inference_resident_bytes(seq_len or model.seq_len, model.hidden_dim, model.heads,
                                                            bytes_per_value(precision))
    return act


def inference_memory_note(model, w: WorkloadPlan, execution: str) -> str:
    """The assumption ``solve`` states for what an inference pass keeps resident."""
    if isinstance(model, CNNWorkload) and model.layer_shapes:
        return (f"inference memory: weights + the peak live activations ({w.resident_act / 1e6:.4g} MB per sample: the largest "
                "layer's input + output" + (" + the block input its residual add keeps" if model.residual else "")
                + (" + eager batch norm's copy of the output" if execution == "eager" else "")
                + ", kernels.inference_peak_live_values), not their sum over layers: no autograd graph, so each tensor is "
                "freed after its last use; the allocator's reserve and cuDNN's workspace are not counted")
    if isinstance(model, TransformerWorkload) and model.layer_ops is not None:
        return (f"inference memory: weights + one layer's activations and attention scores ({w.resident_act / 1e6:.4g} MB per "
                "sequence), not every layer's: what training saves of one layer (Korthikanti et al. 2022, "
                "kernels.transformer_inference_resident_bytes), an upper bound on what is alive at once")
    if w.resident_act > 0.0:
        return (f"inference memory: weights + {w.resident_act / 1e6:.4g} MB of activations per sample, the sum over layers "
                f"(an upper bound: {model.name} lists no layers, so its peak live set is unknown)")
    return f"inference memory: weights only ({model.name} lists no per-layer activation figure, so none is counted)"


def conv_backward_ratio(precision: str) -> float:
    """The time of a convolution's backward (data + weight gradient) over its forward, as cuDNN runs them:
    ``DEFAULT_CONV_BACKWARD_RATIO_TENSOR_CORE`` for the precisions NVIDIA tensor cores compute
    (``TENSOR_CORE_PRECISIONS``), ``DEFAULT_CONV_BACKWARD_RATIO_CUDA_CORE`` otherwise (DeepBench's V100 sheets,
    ``solvers.defaults``)."""
    return DEFAULT_CONV_BACKWARD_RATIO_TENSOR_CORE if precision in TENSOR_CORE_PRECISIONS else DEFAULT_CONV_BACKWARD_RATIO_CUDA_CORE


def roofline_plan(model, hw, precision: str, efficiency: float, bandwidth_efficiency: float, is_training: bool,
                  seq_len: int | None, recompute: bool = False, workload: WorkloadPlan | None = None,
                  on_chip: bool = False, launch: float = 0.0, kernel_bandwidth_efficiency: float | None = None,
                  update_bandwidth_efficiency: float | None = None) -> RooflinePlan:
    """The batch-independent part of a solve; ``workload`` when the caller already has it.

    ``on_chip`` (inference only: training's gradients and optimizer state are not in the
    working set below) gives the device its SRAM tier, where the registry lists one.
    ``launch``: seconds per kernel launch (0, the default, charges none: what sweeps and the
    other solvers that build plans get unless they ask). ``kernel_bandwidth_efficiency``: what the
    separate memory-bound kernels reach (None: ``bandwidth_efficiency``); ``update_bandwidth_efficiency``:
    what the weight update reaches (None: as the memory-bound kernels).
    """
    return RooflinePlan(workload or workload_plan(model, precision, is_training, seq_len, recompute),
                        device_rates(hw, precision, efficiency, bandwidth_efficiency, on_chip and not is_training, launch,
                                     kernel_bandwidth_efficiency, update_bandwidth_efficiency))


def default_execution(hw) -> str:
    """The execution mode a solve assumes when given none: ``DEFAULT_EXECUTION`` (PyTorch eager) on a
    cloud or workstation part; "fused" on edge, mobile and tiny parts, whose deployment runtimes
    (TensorRT, TensorFlow Lite and TFLite Micro converters) fold batch norm into the convolution
    and fuse the activation."""
    return DEFAULT_EXECUTION if hw.tier in GPU_TIERS else "fused"


def winograd_reduction(model, hw, precision: str) -> float:
    """The multiply reduction a CNN's 3x3 stride-1 convolutions run with on this part in this precision:
    ``kernels.winograd_multiply_reduction`` at ``DEFAULT_WINOGRAD_TILE`` where cuDNN's Winograd algorithms apply
    (an NVIDIA cloud or workstation GPU computing in fp32 on its CUDA cores, e.g. a V100 or T4; the entry
    lists its layers), else 1 (tensor-core convolutions run implicit GEMM: ``solvers.defaults``)."""
    if not (isinstance(model, CNNWorkload) and model.layer_shapes and hw.vendor == "NVIDIA" and hw.tier in GPU_TIERS):
        return 1.0
    if hw.peak_flops_si(precision)[1] != "fp32":  # tensor-core (and lower-precision) convolutions: implicit GEMM
        return 1.0
    return kernels.winograd_multiply_reduction(DEFAULT_WINOGRAD_TILE, 3.0)


def launch_cost(execution: str) -> tuple[float, str]:
    """(seconds per kernel launch, the registry entry's name) for an execution mode (``launch_overhead_entry``)."""
    entry = launch_overhead_entry(EXECUTION_LAUNCH[execution])
    return entry._si["launch_time"], entry.name


def default_efficiency(w: WorkloadPlan, hw_key: str, batch: int, precision: str | None = None) -> float:
    """The compute efficiency the Software wall's GEMM table gives one batch of this work.

    The table is read at the flops of one GEMM-class kernel: the batch's forward flops spread
    over the pass's GEMM-class kernels (a CNN's conv and fc layers; a Transformer's 6 weight
    GEMMs per layer; the whole pass as one kernel for other workloads). Bandwidth keeps the
    datasheet figure (``DEFAULT_BANDWIDTH_EFFICIENCY``, the roofline convention the labs teach).
    """
    return efficiency_for_key("gemm", w.fwd * batch / w.gemm_kernels, hw_key, precision)


def memory_kernel_bytes(w: WorkloadPlan, batch: int) -> float:
    """The average bytes one memory-bound kernel moves: the step's element-wise bytes over its launches
    (forward kernels x passes); 0 when the pass has none."""
    if w.memory_kernels <= 0.0 or w.elementwise <= 0.0:
        return 0.0
    return w.elementwise * batch / (w.memory_kernels * w.work)


def default_kernel_bandwidth_efficiency(w: WorkloadPlan, hw_key: str, batch: int) -> float:
    """The fraction of the datasheet bandwidth the separate memory-bound kernels reach: the Software wall's
    HBM table at the bytes of one such kernel (``memory_kernel_bytes``)."""
    return efficiency_for_key("memory", memory_kernel_bytes(w, batch), hw_key)


def gemm_kernel_bytes(w: WorkloadPlan, batch: int) -> float:
    """The average bytes one GEMM-class kernel moves: the pass's weights read and GEMM activations over its
    GEMM-class kernels."""
    return (w.weights_read + (w.act + w.gemm_io) * batch) / w.gemm_kernels


def default_gemm_bandwidth_efficiency(w: WorkloadPlan, hw_key: str, batch: int) -> float:
    """The fraction of the datasheet bandwidth the GEMM-class kernels' traffic reaches: the Software wall's
    memory table at the bytes of one such kernel (``gemm_kernel_bytes``), capped, where the table is the
    part's own, at its measured sustained bandwidth."""
    return efficiency_for_key("memory", gemm_kernel_bytes(w, batch), hw_key)


def fits_in(w: WorkloadPlan, sram_capacity: float, batch: int) -> bool:
    """Weights read + activations of the batch fit in ``sram_capacity`` bytes of on-chip SRAM (never, with 0: no tier)."""
    return sram_capacity > 0.0 and w.weights_read + w.act * batch <= sram_capacity


def working_set_fits_on_chip(w: WorkloadPlan, d: DeviceRates, batch: int) -> bool:
    """Weights read + activations of the batch fit in the device's on-chip SRAM tier (``fits_in``)."""
    return fits_in(w, d.sram_capacity, batch)


def gemm_side(w: WorkloadPlan, rate: float, bw: float, batch: float) -> tuple[float, float, float]:
    """(compute, GEMM traffic, GEMM-class time) of one batch, in seconds. With the layers listed (a CNN's
    ``layer_shapes``): their sums and the roofline per layer (``kernels.layer_roofline_time``, >= the max of
    the sums); otherwise the pass as one kernel: fwd x b x hw_work / rate, (weights read + act x b) x work / bw
    and their max."""
    if w.layer_flops:
        compute = w.layer_flops_total * w.hw_work / rate * batch
        memory = (w.layer_bytes_fixed + w.layer_bytes_per_sample * batch) * w.work / bw
        c_passes, m_passes = layer_passes(w)
        return compute, memory, kernels.layer_overlap_time(w.layer_flops, w.layer_weights, w.layer_io, c_passes * batch / rate,
                                                           m_passes / bw, m_passes * batch / bw, w.layer_non_overlap)
    compute = w.fwd * w.hw_work / rate * batch
    memory = w.weights_read * w.work / bw + (w.act + w.gemm_io) * w.work / bw * batch
    return compute, memory, compute if compute > memory else memory


def layer_passes(w: WorkloadPlan) -> tuple[float, float]:
    """(compute, traffic) forward-pass times a step charges the listed layers: the flops' and the bytes' pass
    counts plus the measured backward convolutions' extra time (``WorkloadPlan.layer_backward_extra``)."""
    return w.hw_work + w.layer_backward_extra, w.work + w.layer_backward_extra


def gemm_byte_terms(w: WorkloadPlan) -> tuple[float, float]:
    """(fixed, per sample) bytes one pass of the GEMM-class kernels moves: the listed layers' weights and
    inputs + outputs, or the weights read and the GEMMs' activations (see ``gemm_side``)."""
    if w.layer_flops:
        return w.layer_bytes_fixed, w.layer_bytes_per_sample
    return w.weights_read, w.act + w.gemm_io


def gemm_bytes(w: WorkloadPlan, batch: float) -> float:
    """Bytes the GEMM-class kernels move for one batch (``gemm_byte_terms``, every pass)."""
    fixed, per_sample = gemm_byte_terms(w)
    return (fixed + per_sample * batch) * w.work


def evaluate(p: RooflinePlan, batch: int) -> RooflineFloats:
    """The iron law for batch b, per kernel class: the GEMM-class kernels (``gemm_side``: max(compute, traffic),
    layer by layer where the layers are listed), then elementwise = elementwise x b x work / bandwidth,
    device = GEMM time + elementwise (``kernels.sequential_kernels_time``), launches = kernels x hw_work x launch
    cost, and latency = max(device, launches) + dispatch tax (``kernels.host_bound_time``).
    ``memory_time`` reports all bytes / bandwidth (GEMM traffic + elementwise)."""
    w, d = p.workload, p.device
    on_chip = working_set_fits_on_chip(w, d, batch)
    bw = d.sram_bandwidth if on_chip else d.bandwidth
    kernel_bw = bw if on_chip or not d.kernel_bandwidth else d.kernel_bandwidth
    compute, memory, gemm = gemm_side(w, d.rate, bw, batch)
    elementwise = w.elementwise / kernel_bw * batch + w.update_bytes / (d.update_bandwidth or kernel_bw)
    device = kernels.sequential_kernels_time(gemm, elementwise)
    launches = w.kernels * w.hw_work
    latency = kernels.host_bound_time(device, launches, d.launch) + d.tax
    return RooflineFloats(latency, compute, memory + elementwise, w.fwd * w.work * batch,
                          gemm_bytes(w, batch) + w.elementwise * batch + w.update_bytes, launches * d.launch, device)


def roofline_columns(w: WorkloadPlan, d: DeviceRates, batches: list[int]) -> RooflineFloats:
    """``evaluate`` of ``RooflinePlan(w, d)`` over a list of batch sizes: each field is a list (same arithmetic:
    ``gemm_side``'s, with ``kernels.layer_roofline_times`` for listed layers). Takes the plan's two halves, so a
    sweep builds each once per model or accelerator."""
    if d.sram_capacity > 0.0:  # an on-chip tier: each batch size's working set decides its bandwidth
        compute, memory, gemm, elementwise = [], [], [], []
        for b in batches:
            on_chip = working_set_fits_on_chip(w, d, b)
            bw = d.sram_bandwidth if on_chip else d.bandwidth
            kernel_bw = bw if on_chip or not d.kernel_bandwidth else d.kernel_bandwidth
            c, m, g = gemm_side(w, d.rate, bw, b)
            compute.append(c)
            memory.append(m)
            gemm.append(g)
            elementwise.append(w.elementwise / kernel_bw * b + w.update_bytes / (d.update_bandwidth or kernel_bw))
    else:
        bw = d.bandwidth
        per_sample_compute = (w.layer_flops_total if w.layer_flops else w.fwd) * w.hw_work / d.rate
        fixed_bytes, per_sample_bytes = gemm_byte_terms(w)
        fixed_memory, per_sample_memory = fixed_bytes * w.work / bw, per_sample_bytes * w.work / bw
        compute = [per_sample_compute * b for b in batches]
        memory = [fixed_memory + per_sample_memory * b for b in batches]
        if w.layer_flops:
            c_passes, m_passes = layer_passes(w)
            gemm = kernels.layer_overlap_times(w.layer_flops, w.layer_weights, w.layer_io, batches, c_passes / d.rate,
                                               m_passes / bw, m_passes / bw, w.layer_non_overlap)
        else:
            gemm = [c if c > m else m for c, m in zip(compute, memory)]
        per_sample_elementwise = w.elementwise / (d.kernel_bandwidth or bw)
        fixed_elementwise = w.update_bytes / (d.update_bandwidth or d.kernel_bandwidth or bw)
        elementwise = [fixed_elementwise + per_sample_elementwise * b for b in batches]
    tax = d.tax
    host = w.kernels * w.hw_work * d.launch
    device = [g + e for g, e in zip(gemm, elementwise)]
    latency = [(t if t > host else host) + tax for t in device]
    ops_per_sample = w.fwd * w.work  # evaluate's w.fwd * w.work * batch, in the same order
    ops = [ops_per_sample * b for b in batches]
    # gemm_bytes(w, b) + elementwise x b + update bytes, the same operations in the same order without a call per batch
    fixed, per_sample = gemm_byte_terms(w)
    work, elementwise_bytes, update = w.work, w.elementwise, w.update_bytes
    nbytes = [(fixed + per_sample * b) * work + elementwise_bytes * b + update for b in batches]
    return RooflineFloats(latency, compute, [m + e for m, e in zip(memory, elementwise)], ops, nbytes,
                          [host] * len(batches), device)


def memory_plan(model, precision: str, batch: int, seq_len: int | None, is_training: bool, recompute: bool,
                workload: WorkloadPlan | None = None) -> MemoryFloats:
    """Resident bytes: inference keeps weights + the peak live activations (``WorkloadPlan.resident_act``: for a CNN
    whose layers are listed, the largest live set of one layer, not the sum over layers, since nothing is saved for
    backward); training (mixed-precision Adam) adds gradients and 12 B/param and keeps every layer's activations.

    ``workload`` (the same model, precision and seq_len) saves re-deriving the inference figures.
    """
    if not is_training:
        if workload is None:
            workload = workload_plan(model, precision, False, seq_len)
        weights, acts = workload.resident_weights, workload.resident_act * batch
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
    """The largest batch whose inference footprint (weights + act x b) passes ``memory_verdict``; ``act``: the
    activation bytes per sample inference keeps resident (``WorkloadPlan.resident_act``).

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
            bandwidth_efficiency: float, is_training: bool, notes: list[str] | None = None,
            execution: str | None = None) -> PerformanceProfile:
    """Evaluate a checked plan and view it as a ``PerformanceProfile`` (the audit calls this too).

    ``notes``: the caller's assumptions (which efficiency default applied, the execution mode), a list or a
    function that writes them, listed first; without them the efficiencies are stated as given. The
    ``assumptions`` are written when first read (``results.lazy_notes``): a solve whose notes nobody reads does not
    format them."""
    d = p.device

    def assumptions() -> list[str]:
        listed = notes() if callable(notes) else notes
        out = list(listed) if listed else [f"efficiency={efficiency:g} of dense peak; bandwidth_efficiency={bandwidth_efficiency:g}"]
        out.append("training: forward + backward = 3x forward ops, traffic and kernel launches" if is_training
                   else "inference: one forward pass")
        note = fallback_note(hw.name, precision, d)
        if note:
            out.append(note)
        if is_training:
            out.append("memory: weights + gradients + 12 B/param Adam state (ZeRO, Sec. 3.1) + activations")
        if d.sram_capacity > 0.0:
            ws = p.workload.weights_read + p.workload.act * batch
            if working_set_fits_on_chip(p.workload, d, batch):
                out.append(f"on-chip tier: weights read + activations ({ws / 1e6:.4g} MB) fit in {hw.name}'s "
                           f"{d.sram_capacity / 1e6:.4g} MB SRAM, so memory traffic runs at its {d.sram_bandwidth / 1e9:.4g} GB/s")
            else:
                out.append(f"on-chip tier not used: weights read + activations ({ws / 1e6:.4g} MB) exceed {hw.name}'s "
                           f"{d.sram_capacity / 1e6:.4g} MB SRAM; memory traffic at main-memory bandwidth")
        return out

    reason = memory_verdict(hw, mem.weight_memory, mem.memory_footprint, mem.activation_memory, is_training)
    common = dict(model=model.name, hardware=hw.name, precision=precision, compute_precision=d.compute_precision,
                  batch_size=batch, is_training=is_training, _assumptions=assumptions, efficiency=efficiency,
                  bandwidth_efficiency=bandwidth_efficiency, execution=execution, kernels=p.workload.kernels * p.workload.hw_work,
                  _dispatch_tax=d.tax, _bandwidth=d.peak_bandwidth, _peak_flops=d.peak)
    if d.compute_precision is None:  # no arithmetic in that precision: it never runs
        return PerformanceProfile.view(
            _UNSUPPORTED, mem, d, **common, roofline_wall=None, bound=Wall.CAPACITY, feasible=False,
            reason=f"{hw.name} has no {precision} compute (it lists {', '.join(hw.compute.precision_flops)})",
            mfu=0.0, hfu=0.0, _throughput=0.0, _arithmetic_intensity=None, _ridge_point=None, _energy=None,
        )
    out = evaluate(p, batch)
    if out.launch_time > out.device_time:
        wall = Wall.SOFTWARE  # the host's launches outlast the device's work: the framework tax binds
    else:
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
        efficiency: float | None = None,
        is_training: bool = False,
        seq_len: int | None = None,
        bandwidth_efficiency: float | None = None,
        activation_recompute: bool = False,
        on_chip: bool = True,
        execution: str | None = None,
        memory_format: str | None = None,
        accumulation_steps: int = 1,
        mixed_precision: str | None = None,
        framework_factor: float | None = None,
    ) -> PerformanceProfile:
        """``efficiency`` / ``bandwidth_efficiency`` None: the Software wall's size-dependent tables for this
        work (``default_efficiencies``); a number wins. ``execution``: "eager" (PyTorch eager: every
        operator its own kernel and launch), "fused" (conv + BN + activation fused, launched on a stream)
        or "graph" (the fused kernels in a CUDA graph). ``on_chip=True``: inference whose weights read +
        activations fit in the accelerator's on-chip SRAM (registry ``memory.sram_capacity`` and
        ``sram_bandwidth``) moves them at SRAM bandwidth. ``accumulation_steps`` (training): micro-batches
        (of ``batch_size`` each) per optimizer step; the weight update's traffic is charged per micro-batch.
        ``mixed_precision`` (16-bit work): "master" (a 16-bit model with fp32 master weights, apex amp O2) or
        "autocast" (PyTorch's torch.cuda.amp: fp32 weights cast on every forward); None: "master".
        ``framework_factor`` (with ``efficiency`` None, on a part the tables describe): the compute efficiency is
        that factor times the GEMM table's value (``kernels.framework_scaled_efficiency``), and the memory side
        keeps its tables (what a calibration across batch and precision fits, ``calibrate.py``)."""
        model = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        batch = _inputs.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        if efficiency is not None:
            efficiency = _inputs.fraction(efficiency, "efficiency")
        if bandwidth_efficiency is not None:
            bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        if framework_factor is not None:
            if efficiency is not None:
                raise InputError("framework_factor", framework_factor, "None when efficiency is given (the factor scales the GEMM table)")
            if hw.tier not in GPU_TIERS:
                raise InputError("framework_factor", framework_factor, f"None on a {hw.tier}-tier part (the GEMM tables describe {', '.join(GPU_TIERS)} GPUs)")
            framework_factor = _inputs.fraction(framework_factor, "framework_factor")
        seq_len = _inputs.optional_int(seq_len, "seq_len")
        is_training = _inputs.boolean(is_training, "is_training")
        recompute = _inputs.boolean(activation_recompute, "activation_recompute")
        on_chip = _inputs.boolean(on_chip, "on_chip")
        accumulation = _inputs.positive_int(accumulation_steps, "accumulation_steps")
        amp_note = ""
        if mixed_precision is None:
            mixed_precision, amp_note = DEFAULT_MIXED_PRECISION, " (none given)"
        elif mixed_precision not in MIXED_PRECISIONS:
            mixed_precision = _inputs.choice(mixed_precision, "mixed_precision", MIXED_PRECISIONS)
        execution_note = ""
        if execution is None:
            execution = default_execution(hw)
            execution_note = f" (none given: the default for a {hw.tier}-tier part)"
        elif execution not in EXECUTIONS:
            execution = _inputs.choice(execution, "execution", EXECUTIONS)
        layout_note = ""
        if memory_format is None:
            memory_format = DEFAULT_MEMORY_FORMAT
            layout_note = " (none given)"
        elif memory_format not in MEMORY_FORMATS:
            memory_format = _inputs.choice(memory_format, "memory_format", MEMORY_FORMATS)
        transposes = (memory_format == "nchw" and execution == "eager" and isinstance(model, CNNWorkload) and hw.vendor == "NVIDIA"
                      and hw.peak_flops_si(precision)[1] in TENSOR_CORE_PRECISIONS and model.conv_input_values is not None)
        winograd = winograd_reduction(model, hw, precision)
        w = workload_plan(model, precision, is_training, seq_len, recompute, execution, transposes, accumulation, mixed_precision,
                          winograd)
        tables = efficiency is None and bandwidth_efficiency is None  # the Software wall's tables for both sides
        efficiency_given, bandwidth_given, table, gemm_bw_table = efficiency is not None, bandwidth_efficiency is not None, None, False
        if efficiency is None and hw.tier not in GPU_TIERS:
            efficiency = DEFAULT_EFFICIENCY
        elif efficiency is None:
            table = default_efficiency(w, hw.key, batch, precision)
            efficiency = table if framework_factor is None else kernels.framework_scaled_efficiency(framework_factor, table)
        kernel_bw_eff = None
        if bandwidth_efficiency is None:
            gemm_bw_table = tables and hw.tier in GPU_TIERS and not (on_chip and not is_training and fits_in(w, sram_tier_capacity(hw), batch))
            bandwidth_efficiency = default_gemm_bandwidth_efficiency(w, hw.key, batch) if gemm_bw_table else DEFAULT_BANDWIDTH_EFFICIENCY
            if tables and w.elementwise > 0.0 and hw.tier in GPU_TIERS:
                kernel_bw_eff = default_kernel_bandwidth_efficiency(w, hw.key, batch)
        launch, launch_name = launch_cost(execution)
        update_bw_eff = None
        if w.update_bytes > 0.0 and tables and hw.tier in GPU_TIERS:  # one fused multi-tensor stream: the HBM table at its bytes
            update_bw_eff = efficiency_for_key("memory", w.update_bytes, hw.key)

        def applied() -> list[str]:
            """The defaults this solve applied, in words: written when ``assumptions`` is first read (``results.lazy_notes``),
            from the values above, all fixed by then."""
            lines = []
            if efficiency_given:
                lines.append(f"efficiency={efficiency:g} of dense peak (given)")
            elif table is None:
                lines.append(f"efficiency={efficiency:g} of dense peak: none given; the Software wall's tables are GPU (A100/H100) "
                             f"tables, so a {hw.tier}-tier part gets the one-number default (solvers/defaults.py)")
            else:
                scaled = "" if framework_factor is None else f"{framework_factor:.4g} x "
                lines.append(f"efficiency={efficiency:g} of dense peak: none given, so {scaled}the Software wall's GEMM table "
                             f"({efficiency_table_name('gemm', hw.key, precision)}, {table:g}) at {w.fwd * batch / w.gemm_kernels / 1e9:.3g} GFLOP "
                             "per GEMM-class kernel" + ("" if framework_factor is None else " (framework_factor given)"))
            if bandwidth_given:
                lines.append(f"bandwidth_efficiency={bandwidth_efficiency:g} (given)")
            else:
                if gemm_bw_table:
                    lines.append(f"bandwidth_efficiency={bandwidth_efficiency:g}: none given, so the Software wall's memory table "
                                 f"({efficiency_table_name('memory', hw.key)}) at {gemm_kernel_bytes(w, batch) / 1e6:.3g} MB per GEMM-class kernel "
                                 "for the weights and the GEMMs' activations")
                else:
                    lines.append(f"bandwidth_efficiency={bandwidth_efficiency:g}: none given, so the datasheet bandwidth (the roofline convention) "
                                 "for the weights and the GEMMs' activations")
                if kernel_bw_eff is not None:
                    lines.append(f"memory-bound kernels at {kernel_bw_eff:g} of the datasheet bandwidth: the Software wall's HBM table "
                                 f"({efficiency_table_name('memory', hw.key)}) at {memory_kernel_bytes(w, batch) / 1e6:.3g} MB per kernel")
            if w.kernels > 0:
                lines.append(f"execution={execution}{execution_note}: {w.kernels:g} kernels per forward pass, {launch * 1e6:.3g} us per launch "
                             f"({launch_name}), launched asynchronously: the host's launches and the device's work overlap")
            else:
                lines.append(f"execution={execution}{execution_note}: {model.name} has no kernel count in the registry, so no launch cost is charged")
            if w.update_bytes > 0.0:
                half = bytes_per_value(precision) < FP32_BYTES
                master = half and mixed_precision == "master"
                autocast = half and mixed_precision == "autocast"
                if update_bw_eff is not None:
                    rate = (f"at {update_bw_eff:g} of the datasheet bandwidth (the Software wall's HBM table "
                            f"({efficiency_table_name('memory', hw.key)}) at its bytes)")
                else:
                    rate = "at the memory-bound kernels' bandwidth"
                casts = (f"mixed_precision=autocast{amp_note}: fp32 weights cast to {precision} on every forward"
                         + (", the gradients cast back and unscaled" if is_training else "") + "; ") if autocast else ""
                if is_training:
                    update = (f"{casts}weight update: fused Adam in fp32"
                              f"{f' with fp32 master weights (mixed_precision=master{amp_note})' if master else ''}, "
                              f"one optimizer step per {accumulation} micro-batch{'es' if accumulation > 1 else ''}")
                else:
                    update = casts.rstrip("; ")
                lines.append(f"{update}: {w.update_bytes / 1e9:.3g} GB per micro-batch {rate} "
                             "(kernels.weight_update_bytes, kernels.autocast_cast_bytes)")
            return lines + model_notes()  # the model's own notes (below) follow the defaults'

        def model_notes() -> list[str]:
            """What the model's entry and the plan's layer terms say (after ``applied``'s defaults), also written when
            first read."""
            notes = []
            if isinstance(model, TransformerWorkload) and model.layer_ops is None:
                notes.append(f"activations: {model.name} has no layer operator list (layer_ops) in the registry, so its memory term is "
                             "the weights only and no attention flops or kernel launches are counted")
            elif isinstance(model, TransformerWorkload):
                fusion = ("eager: every bias, scale, mask, softmax, dropout, GELU, residual add and layernorm its own kernel, "
                          "the attention scores (heads x seq per token) written and read by each" if execution == "eager" else
                          "fused (apex / Megatron-LM style): bias + GELU, scale + mask + softmax + dropout and bias + dropout + residual "
                          "one kernel each; the scores still pass through memory once (no FlashAttention)")
                notes.append(f"activations: the projections' inputs and outputs once each way; memory-bound kernels {fusion}"
                             + ("; backward moves 1.5x their forward traffic" if is_training else ""))
            if isinstance(model, CNNWorkload) and model.layer_shapes:
                notes.append(f"GEMM-class layers one by one ({len(model.layer_shapes)} groups of the registry's layer_shapes): "
                             "max(compute, traffic) per layer, summed (kernels.layer_roofline_time)"
                             + (f"; 3x3 stride-1 convolutions with Winograd F({DEFAULT_WINOGRAD_TILE}x{DEFAULT_WINOGRAD_TILE}, 3x3), "
                                f"{winograd:.3g}x fewer multiplies (cuDNN's choice off the tensor cores)" if winograd > 1.0 else "")
                             + (f"; backward convolutions at {conv_backward_ratio(precision):g}x the forward's time (DeepBench, V100)" if is_training else "")
                             + (f"; on the tensor cores {w.layer_non_overlap:g} of each layer's shorter side (math or traffic) "
                                "does not overlap the longer (kernels.partial_overlap_time)" if w.layer_non_overlap else ""))
            if isinstance(model, CNNWorkload) and model.activation_values is not None:
                notes.append("activations: each conv output written once and read once by the next layer"
                             + ("; eager batch norm, activation, add and pooling kernels read and write their tensors again"
                                if execution == "eager" else " (conv + BN + activation + add fused)"))
                if execution == "eager":
                    notes.append(f"memory_format={memory_format}{layout_note}: " + (
                        "NCHW tensors on tensor cores, so each conv's input and output pass through an NCHW <-> NHWC transpose"
                        if transposes else "no layout transposes (channels-last tensors, or convolutions off the tensor cores)"))
            elif isinstance(model, CNNWorkload):
                notes.append(f"activations: {model.name} has no per-layer shapes in the registry, so its memory term is the weights only")
            if not is_training:
                notes.append(inference_memory_note(model, w, execution))
            return notes

        p = roofline_plan(model, hw, precision, efficiency, bandwidth_efficiency, is_training, seq_len, recompute,
                          workload=w, on_chip=on_chip, launch=launch, kernel_bandwidth_efficiency=kernel_bw_eff,
                          update_bandwidth_efficiency=update_bw_eff)
        mem = memory_plan(model, precision, batch, seq_len, is_training, recompute, p.workload)
        return profile(model, hw, p, mem, batch, precision, efficiency, bandwidth_efficiency, is_training, applied, execution)


class Engine:
    """The textbook's entry point: ``Engine.solve(model=..., hardware=..., batch_size=..., precision=...)``."""

    @staticmethod
    def solve(model, hardware, batch_size: int = 1, precision: str = "fp16", efficiency: float | None = None, **kwargs) -> PerformanceProfile:
        return SingleNodeModel().solve(model, hardware, batch_size=batch_size, precision=precision, efficiency=efficiency, **kwargs)
