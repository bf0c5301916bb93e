"""Data, tensor, context, pipeline and expert parallel training on a fleet: step time, memory, feasibility.

One training step of a global batch of B sequences on N = tp x cp x pp x ep x dp
accelerators (Megatron-LM's 3-D parallelism, Narayanan et al. 2021, with
context parallelism as in Llama 3, Dubey et al. 2024, Sec. 3.3.2):

  compute   = hardware FLOPs / (N x peak x efficiency)
              hardware FLOPs = (3 + r_d) 2 P_active B s + (3 + r_a) A B s, A = 4 l c d_attn
              (r_d, r_a: recomputed passes; c = s keys, s/2 for causal kernels)
  TP        = M x 4 all-reduces of b s h / cp per layer of a stage  (Shoeybi et al. 2019)
  CP        = M x 2 all-gathers of a micro-batch's K and V per layer (Llama 3, Sec. 3.3.2)
  EP        = M x 4 all-to-alls of the routed tokens per layer      (Lepikhin et al. 2021)
  PP        = 2 V M point-to-point sends of a micro-batch          (Narayanan et al. 2021)
              (exposed part only when asynchronous: overlap_p2p, Llama 3, Sec. 3.3.2)
  bubble    = (compute + TP + CP + EP) x f / (1 - f), f = (P-1)/(V M + P-1)
  DP        = hierarchical all-reduce of the gradients over the dp x cp ranks, in node,
              across nodes, and across pods on the slower tier when the group spans pods
  step      = compute + TP + CP + EP + PP + bubble + exposed DP

Three FLOP conventions are reported: ``mfu`` counts *model FLOPs*, 6 P D plus
3 passes of the full-window attention (Chowdhery et al. 2022, PaLM, App. B);
``causal_mfu`` the same with causal attention (s/2 keys per query, the work a
causal mask leaves: Dao 2023, FlashAttention-2, Sec. 3.1.1); ``hfu`` the
*hardware FLOPs* the step executes, with the recompute pass (Narayanan et al.
2021, Eq. 3). Megatron-LM's TFLOP/s per GPU are hardware
FLOPs; PaLM's MFU counts model FLOPs, Llama 3's (Dubey et al. 2024, Table 4)
agree across its 8K and 131K rows only with causal attention counted.

A CNN (any non-Transformer workload with a forward FLOP count) trains by data
parallelism only: compute = 3 x forward FLOPs x B / (N x rate), the gradients
of all weights all-reduced (hierarchically) and overlapped with the backward
pass per ``overlap_comm``.

Memory per accelerator: weights, gradients and Adam state sharded by TP and PP
(and ZeRO stage 0-3 over DP x CP, Rajbhandari et al. 2020) plus the first
pipeline stage's activations of s / cp tokens per sequence (Korthikanti et al.
2022); when the layers do not split evenly that stage holds one layer fewer,
its slot taken by the embedding (``kernels.first_stage_layers``, Llama 3).

The float function ``evaluate`` is shared with ``ParallelismOptimizer``: the
solver validates its inputs, builds a ``TrainingPlan`` of floats once, calls
``evaluate`` once and views the ``StepFloats`` as a ``DistributedResult``; the
optimizer calls ``evaluate`` for every candidate. ``bound`` is ``Wall.COMPUTE``
while compute is at least the overheads, else ``Wall.COMMUNICATION``
(``limiter`` says which: 'network' or 'pipeline'), ``Wall.CAPACITY`` when it
does not fit. Over 500 lines because plan, float function, result and layout
checks of one solver read best together (the optimizer imports them).
"""

from __future__ import annotations

import math
import warnings

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from ..workloads.types import TransformerWorkload
from . import _inputs
from ._device import device_rates
from .contract import floats, plan
from .defaults import DEFAULT_ATTENTION_KERNEL, DEFAULT_EFFICIENCY, DEFAULT_OVERLAP_EFFICIENCY, DEFAULT_RECOMPUTE, DEFAULT_SEQUENCE_PARALLEL

RECOMPUTE_MODES = ("none", "selective", "full")
ATTENTION_KERNELS = ("causal", "full")


@plan
class TrainingPlan:
    """Everything of a distributed solve that does not depend on the parallel layout, as floats."""

    model: object  # the workload (for names in messages)
    fleet: object  # the Fleet
    precision: str
    compute_precision: str | None
    batch: int
    seq: int  # tokens per sequence (1 sample for a CNN)
    params: float
    active: float
    shared_params: float
    expert_params: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    experts: int
    experts_per_token: int
    bpv: float
    peak: float
    rate: float
    capacity: float
    per_node: int
    nodes: int
    total: int
    intra_bw: float
    intra_lat: float
    inter_bw: float
    inter_lat: float
    pod_size: int  # accelerators per pod of the fabric (0: one tier)
    pod_bw: float  # per-accelerator bandwidth above the pod (after its oversubscription)
    overlap: bool
    overlap_efficiency: float
    recompute: str
    sequence_parallel: bool
    attention: str  # 'causal' (masked blocks skipped) or 'full' (dense masked scores)
    model_flops: float  # of one step: 6 P D + 3 full-window attention passes (Chowdhery et al. 2022, App. B)
    causal_model_flops: float  # the same with the s/2 keys a causal mask leaves (what causal kernels must compute)
    hardware_flops: float  # of one step as executed: recompute passes, causal or full attention
    adam: float  # optimizer bytes per parameter (ZeRO's K = 12)
    is_transformer: bool
    sample_activation_bytes: float  # CNN: activation bytes of one sample at the training precision (0: not in the registry)
    overlap_p2p: bool = False  # pipeline sends asynchronous, hidden behind the next chunk's compute (Llama 3, Sec. 3.3.2)


def training_plan(model, fleet, batch: int, precision: str, efficiency: float, seq_len: int | None,
                  overlap: bool, overlap_efficiency: float, recompute: str, sequence_parallel: bool,
                  attention: str = DEFAULT_ATTENTION_KERNEL, overlap_p2p: bool = False) -> TrainingPlan:
    """The layout-independent floats of a training solve (checked inputs).

    The fleet's own numbers are checked here too, so a fabric built with an
    infinite oversubscription (zero bandwidth) is an error naming that field,
    not a division by zero in the step.
    """
    _inputs.number(fleet.fabric.oversubscription_ratio, "fleet.fabric.oversubscription_ratio", 1.0,
                   accepted="a finite ratio >= 1 (1 = non-blocking)")
    for name, value in (("fleet.node.intra_node_bw", fleet.node._si["intra_node_bw"]), ("fleet.fabric.bandwidth", fleet.fabric._si["bandwidth"])):
        _inputs.number(value, name, 0.0, low_open=True, accepted="a finite data rate > 0")
    device = device_rates(fleet.node.accelerator, precision, efficiency)
    params = model._si["parameters"]
    fabric = fleet.fabric
    pod = fabric.pod_size or 0
    pod_bw = fabric.effective_bandwidth_si / fabric.pod_oversubscription
    bpv = bytes_per_value(precision)
    if isinstance(model, TransformerWorkload):
        seq = seq_len or model.seq_len
        shared, per_expert = model.moe_split_si
        expert_params = model.experts * per_expert if model.is_moe else 0.0
        tokens = batch * seq
        model_flops = model.training_flops_per_token_si(seq) * tokens
        causal_model_flops = model.training_flops_per_token_si(seq, "none", True) * tokens
        hardware_flops = model.training_flops_per_token_si(seq, recompute, attention == "causal") * tokens
        shape = (model.active_parameters_si, params - expert_params, expert_params, model.layers, model.hidden_dim, model.heads,
                 model.kv_heads, model.head_dim, model.experts, model.experts_per_token)
        acts = 0.0
    else:  # data parallel only: 3 x forward (4 x with full recompute) per sample (Kaplan et al. 2020's 1 + 2 passes)
        seq = 1
        forward = model.forward_ops_per_sample_si()
        model_flops = kernels.training_passes() * forward * batch
        causal_model_flops = model_flops
        hardware_flops = kernels.training_passes(recompute == "full") * forward * batch
        shape = (params, params, 0.0, 1, 0, 1, 1, 0, 1, 1)
        acts = model.activation_bytes_per_sample_si(precision)
    active, shared_params, expert_params, layers, hidden, heads, kv_heads, head_dim, experts, k = shape
    return TrainingPlan(
        model, fleet, precision, device.compute_precision, batch, seq, params, active, shared_params, expert_params, layers, hidden,
        heads, kv_heads, head_dim, experts, k, bpv, device.peak, device.rate, device.memory_capacity,
        fleet.node.accelerators_per_node, fleet.count, fleet.total_accelerators, fleet.node._si["intra_node_bw"],
        fleet.node._si["intra_node_latency"], fabric.effective_bandwidth_si, fabric._si["latency"], pod, pod_bw,
        overlap, overlap_efficiency, recompute, sequence_parallel, attention, model_flops, causal_model_flops, hardware_flops,
        kernels.adam_state_bytes_per_parameter(), isinstance(model, TransformerWorkload), acts, overlap_p2p,
    )


@floats
class StepFloats:
    """One training step of one layout (s, byte)."""

    step_time: float
    compute_time: float
    tp_comm_time: float
    cp_comm_time: float
    ep_comm_time: float
    pp_comm_time: float
    bubble_time: float
    dp_comm_time: float
    dp_exposed_time: float
    weight_memory: float
    gradient_memory: float
    optimizer_memory: float
    activation_memory: float
    memory_per_accelerator: float
    bubble_fraction: float


def evaluate(plan: TrainingPlan, tp: int, pp: int, ep: int, dp: int, microbatches: int, virtual_stages: int, zero_stage: int,
             cp: int = 1) -> StepFloats:
    """One layout, floats in and out (seconds, bytes).

    Ranks are laid out TP innermost, then CP, EP, DP, PP (Megatron's order,
    with CP next to TP as in Llama 3), so TP, CP and EP groups use the node's
    link while they fit in a node.
    """
    g = plan.per_node
    m = microbatches
    mb_seqs = plan.batch // dp // m  # sequences per micro-batch
    mb_tokens = mb_seqs * plan.seq / cp  # tokens of a micro-batch on one CP rank
    stage_layers = -(-plan.layers // pp)  # the heaviest stage sets the pace
    # compute: the whole step's executed FLOPs spread over N devices, paced by the heaviest stage
    compute = plan.hardware_flops / (plan.total * plan.rate) * (stage_layers * pp / plan.layers)
    # tensor parallel: node link while the group fits in a node
    if tp <= g:
        tp_comm = m * kernels.tensor_parallel_comm_time(stage_layers, mb_tokens, plan.hidden, plan.bpv, tp, plan.intra_bw, plan.intra_lat)
    else:
        tp_comm = m * kernels.tensor_parallel_comm_time(stage_layers, mb_tokens, plan.hidden, plan.bpv, tp, plan.inter_bw, plan.inter_lat)
    # context parallel: K and V of the whole micro-batch's sequences, this TP rank's KV heads
    cp_comm = 0.0
    if cp > 1:
        kv_heads = plan.kv_heads / tp if plan.kv_heads > tp else 1.0  # fewer KV heads than TP ranks: each rank keeps a copy of one
        kv_bytes = 2.0 * mb_seqs * plan.seq * kv_heads * plan.head_dim * plan.bpv
        bw, lat = (plan.intra_bw, plan.intra_lat) if tp * cp <= g else (plan.inter_bw, plan.inter_lat)
        cp_comm = m * kernels.context_parallel_comm_time(stage_layers, kv_bytes, cp, bw, lat)
    # expert parallel all-to-all (each TP rank dispatches its sequence shard under SP)
    ep_comm = 0.0
    if ep > 1:
        shard = mb_tokens / tp if plan.sequence_parallel else mb_tokens
        bw, lat = (plan.intra_bw, plan.intra_lat) if tp * cp * ep <= g else (plan.inter_bw, plan.inter_lat)
        ep_comm = m * kernels.expert_parallel_comm_time(stage_layers, shard, plan.hidden, plan.bpv, plan.experts_per_token, ep, bw, lat)
    # pipeline point-to-point (scatter/gather: each TP rank sends 1/tp, Narayanan et al. 2021, Sec. 4.1)
    pp_comm = 0.0
    bubble_fraction = 0.0
    bubble = 0.0
    if pp > 1:
        bw, lat = (plan.intra_bw, plan.intra_lat) if tp * cp * ep * dp * pp <= g else (plan.inter_bw, plan.inter_lat)
        pp_comm = kernels.pipeline_p2p_time(m, virtual_stages, mb_tokens * plan.hidden * plan.bpv / tp, bw, lat)
        if plan.overlap_p2p:  # asynchronous sends run under the compute of the next chunk
            pp_comm = kernels.exposed_communication(pp_comm, compute, plan.overlap_efficiency)
        bubble_fraction = kernels.pipeline_bubble_fraction(pp, m, virtual_stages)
        bubble = kernels.pipeline_bubble_time(compute + tp_comm + cp_comm + ep_comm, bubble_fraction)
    # data parallel gradient all-reduce: shared weights are replicated on the dp x cp x ep ranks of a
    # (tp, pp) coordinate, each expert's on the dp x cp ranks of its expert group
    shared = plan.shared_params / (tp * pp)
    expert = plan.expert_params / (tp * pp * ep)
    factor = kernels.zero_communication_factor(zero_stage)
    replicas = dp * cp
    dp_comm = 0.0
    if replicas * ep > 1:
        dp_comm += factor * _grouped_allreduce(plan, shared * plan.bpv, replicas * ep, tp)
    if replicas > 1 and expert > 0:
        dp_comm += factor * _grouped_allreduce(plan, expert * plan.bpv, replicas, tp * ep)
    if plan.overlap:
        dp_exposed = kernels.exposed_communication(dp_comm, compute * 2.0 / 3.0, plan.overlap_efficiency)  # backward = 2/3
    else:
        dp_exposed = dp_comm
    step = compute + tp_comm + cp_comm + ep_comm + pp_comm + bubble + dp_exposed
    # memory of the first (fullest) pipeline stage
    adam = plan.adam
    weights, grads, optimizer = kernels.zero_memory_bytes(shared, plan.bpv, plan.bpv, adam, replicas * ep, zero_stage)
    if expert > 0:
        ew, eg, eo = kernels.zero_memory_bytes(expert, plan.bpv, plan.bpv, adam, replicas, zero_stage)
        weights, grads, optimizer = weights + ew, grads + eg, optimizer + eo
    if plan.is_transformer:  # the first stage's layers (one fewer when they do not split evenly: it also holds the embedding)
        acts = kernels.activation_memory_bytes(plan.seq / cp, mb_seqs, plan.hidden, plan.heads, kernels.first_stage_layers(plan.layers, pp), tp,
                                               plan.sequence_parallel, plan.recompute)
        acts *= kernels.pipeline_activation_factor(pp, m, virtual_stages) * plan.bpv / 2.0  # the kernel counts 16-bit values
    else:
        acts = plan.sample_activation_bytes * mb_seqs  # one micro-batch's activations kept for its backward pass
    memory = weights + grads + optimizer + acts
    return StepFloats(step, compute, tp_comm, cp_comm, ep_comm, pp_comm, bubble, dp_comm, dp_exposed, weights, grads, optimizer,
                      acts, memory, bubble_fraction)


def _grouped_allreduce(plan: TrainingPlan, message: float, group: int, stride: int) -> float:
    """Hierarchical all-reduce over ``group`` ranks spaced ``stride`` apart: in node, across nodes, across pods.

    The group's ranks span group x stride consecutive accelerators; when that
    is more than one pod of the fabric, the cross-node part runs in two tiers,
    the last at the bandwidth above the pods (``kernels.multi_tier_allreduce_time``).
    """
    if group <= 1:
        return 0.0
    g = plan.per_node
    local = 1 if stride >= g else min(group, g // stride)
    nodes = -(-group // local)
    span = group * stride
    if plan.pod_size and span > plan.pod_size and nodes > 1:
        pods = -(-span // plan.pod_size)
        return kernels.multi_tier_allreduce_time(message, local, -(-nodes // pods), pods, plan.intra_bw, plan.intra_lat,
                                                 plan.inter_bw, plan.inter_lat, plan.pod_bw)
    return kernels.hierarchical_allreduce_time(message, local, nodes, plan.intra_bw, plan.intra_lat, plan.inter_bw, plan.inter_lat)


class DistributedResult(Result):
    """One training step of a parallel layout on a fleet: time breakdown, memory, feasibility, binding wall."""

    _plain_names = (
        "model", "fleet", "precision", "total_accelerators", "tp_size", "cp_size", "pp_size", "ep_size", "dp_size",
        "microbatch_count", "microbatch_size", "virtual_stages", "zero_stage", "global_batch", "seq_len",
        "bubble_fraction", "scaling_efficiency", "mfu", "causal_mfu", "hfu", "flop_convention", "feasible", "reason", "bound", "limiter", "assumptions",
    )

    step_time = quantity("time", "ms", "one optimizer step of the global batch")
    compute_time = quantity("time", "ms", "hardware FLOPs / (N x peak x efficiency), paced by the heaviest stage")
    tp_comm_time = quantity("time", "ms", "tensor-parallel all-reduces (exposed)")
    cp_comm_time = quantity("time", "ms", "context-parallel K/V all-gathers and gradient reduce-scatters (exposed)")
    ep_comm_time = quantity("time", "ms", "expert-parallel all-to-alls (exposed)")
    pp_comm_time = quantity("time", "ms", "pipeline point-to-point sends (exposed)")
    bubble_time = quantity("time", "ms", "pipeline fill and drain")
    dp_comm_time = quantity("time", "ms", "data-parallel gradient all-reduce (hierarchical), total")
    dp_exposed_time = quantity("time", "ms", "the part of the DP all-reduce not hidden behind the backward pass")
    communication_time = quantity("time", "ms", "TP + CP + EP + PP + exposed DP")
    throughput = quantity("rate", None, "samples (sequences) per second")
    token_throughput = quantity("rate", None, "tokens per second")
    model_flops = quantity("ops", "PFLOP", "model FLOPs of one step: 6 P D + 3 passes of full-window attention (PaLM, App. B)")
    causal_model_flops = quantity("ops", "PFLOP", "model FLOPs of one step with causal attention: 6 P D + 3 passes over the s/2 keys a causal mask leaves")
    hardware_flops = quantity("ops", "PFLOP", "FLOPs one step executes: with the recompute pass, causal or full attention")
    memory_per_accelerator = quantity("bytes", "GB", "weights + gradients + optimizer + activations")
    memory_capacity = quantity("bytes", "GB")
    weight_memory = quantity("bytes", "GB")
    gradient_memory = quantity("bytes", "GB")
    optimizer_memory = quantity("bytes", "GB")
    activation_memory = quantity("bytes", "GB")

    @property
    def config(self) -> dict:
        """The layout as a plain dict (the form ``ParallelismOptimizer`` returns)."""
        return {"tp": self.tp_size, "cp": self.cp_size, "pp": self.pp_size, "dp": self.dp_size, "ep": self.ep_size,
                "microbatches": self.microbatch_count, "virtual_stages": self.virtual_stages, "zero_stage": self.zero_stage}

    @property
    def breakdown(self) -> dict:
        """Step time by component, as Quantities in ms ('cp_comm' only with context parallelism, cp_size > 1)."""
        names = ("compute_time", "tp_comm_time", "cp_comm_time", "ep_comm_time", "pp_comm_time", "bubble_time", "dp_exposed_time")
        return {n.removesuffix("_time"): getattr(self, n) for n in names if n != "cp_comm_time" or self.cp_size > 1}


def _limiter(compute: float, comm: float, bubble: float) -> str:
    """What sets the step: 'compute' while compute is at least the overheads, else the larger one: 'network' or 'pipeline'."""
    if compute >= comm + bubble:
        return "compute"
    return "network" if comm >= bubble else "pipeline"


# the wall each limiter belongs to: the pipeline bubble is idle time the parallel layout's
# communication pattern (fill and drain of the stages) imposes, so it is the communication wall's
LIMITER_WALL = {"compute": Wall.COMPUTE, "network": Wall.COMMUNICATION, "pipeline": Wall.COMMUNICATION}


def check_layout(plan: TrainingPlan, tp: int, pp: int, ep: int, microbatch_count, virtual_stages: int, cp: int = 1) -> tuple[int, int]:
    """(dp, microbatches) for a requested layout, or an InputError naming the sizes that do not fit."""
    n = plan.total
    if not plan.is_transformer:
        for name, value in (("tp_size", tp), ("cp_size", cp), ("pp_size", pp), ("ep_size", ep), ("virtual_stages", virtual_stages)):
            if value != 1:
                raise InputError(name, value, f"1 for {plan.model.name} (a {plan.model.architecture} model trains by data parallelism only)")
    inner = tp * cp * pp * ep
    if n % inner:
        if cp > 1:
            raise InputError("tp_size*cp_size*pp_size*ep_size", f"{tp}*{cp}*{pp}*{ep}={inner}",
                             f"a divisor of the fleet's {n} accelerators so that dp = {n}/(tp*cp*pp*ep) is an integer")
        raise InputError(
            "tp_size*pp_size*ep_size", f"{tp}*{pp}*{ep}={inner}",
            f"a divisor of the fleet's {n} accelerators so that dp = {n}/(tp*pp*ep) is an integer",
        )
    dp = n // inner
    if plan.heads % tp:
        raise InputError("tp_size", tp, f"a divisor of the model's {plan.heads} attention heads (Megatron splits attention by heads)")
    if plan.seq % cp:
        raise InputError("cp_size", cp, f"a divisor of the sequence length {plan.seq} (each CP rank holds seq_len / cp_size tokens)")
    if ep > 1 and plan.experts % ep:
        raise InputError("ep_size", ep, f"a divisor of the model's {plan.experts} experts" if plan.experts > 1 else "1 for a dense (non-MoE) model")
    if pp > plan.layers:
        raise InputError("pp_size", pp, f"at most the model's {plan.layers} layers (each stage needs a layer)")
    if virtual_stages > -(-plan.layers // pp):
        # the heaviest stage holds ceil(layers / pp) layers; stages with one fewer hold the embedding or the output
        # head in its slot (kernels.first_stage_layers), so each of its v chunks has a layer
        raise InputError("virtual_stages", virtual_stages,
                         f"at most ceil(layers / pp_size) = ceil({plan.layers}/{pp}) = {-(-plan.layers // pp)} (each model chunk needs a layer)")
    if plan.batch % dp:
        raise InputError("batch_size", plan.batch, f"a multiple of dp_size={dp} (= {n} accelerators / (tp*cp*pp*ep = {inner})): each replica needs whole sequences")
    local = plan.batch // dp
    if microbatch_count is None:
        # micro-batches of one sequence: the least activation memory, the smallest bubble; a CNN's
        # replica (no pipeline) runs its whole batch at once
        m = local if plan.is_transformer else 1
    else:
        m = _inputs.positive_int(microbatch_count, "microbatch_count")
        if local % m:
            raise InputError("microbatch_count", m, f"a divisor of the per-replica batch {local} (= batch_size {plan.batch} / dp_size {dp})")
    if virtual_stages > 1 and m % pp:
        raise InputError("microbatch_count", m,
                         f"a multiple of pp_size={pp} for the interleaved schedule (virtual_stages={virtual_stages}): it runs whole "
                         "rounds of pp micro-batches (Narayanan et al. 2021, Sec. 2.2.2)")
    return dp, m


@plan
class TrainingInputs:
    """The checked arguments shared by ``DistributedModel`` and ``ParallelismOptimizer``."""

    model: object
    fleet: object
    batch: int
    precision: str
    efficiency: float
    seq_len: int | None
    overlap: bool
    overlap_efficiency: float
    recompute: str
    sequence_parallel: bool
    attention: str = DEFAULT_ATTENTION_KERNEL
    overlap_p2p: bool = False


def _trainable(value):
    """A Transformer, or another workload with a forward FLOP count (trained by data parallelism)."""
    model = _inputs.workload(value)
    if not isinstance(model, TransformerWorkload):
        if model._si.get("inference_flops") is None:
            raise InputError("model", model.name, "a TransformerWorkload, or a workload with inference_flops (its forward compute per sample)")
    return model


def check_training_inputs(model, fleet, batch_size, precision, efficiency, seq_len, overlap_comm, overlap_efficiency,
                          recompute, sequence_parallel, attention=DEFAULT_ATTENTION_KERNEL, overlap_p2p=False) -> TrainingInputs:
    """Every argument common to the training solvers, checked once (errors name the argument)."""
    return TrainingInputs(
        _trainable(model), _inputs.fleet(fleet), _inputs.positive_int(batch_size, "batch_size"),
        _inputs.check_precision(precision), _inputs.fraction(efficiency, "efficiency"), _inputs.optional_int(seq_len, "seq_len"),
        _inputs.boolean(overlap_comm, "overlap_comm"), _inputs.fraction(overlap_efficiency, "overlap_efficiency"),
        _inputs.choice(recompute, "recompute", RECOMPUTE_MODES), _inputs.boolean(sequence_parallel, "sequence_parallel"),
        _inputs.choice(attention, "attention", ATTENTION_KERNELS), _inputs.boolean(overlap_p2p, "overlap_p2p"),
    )


def plan_of(inputs: TrainingInputs) -> TrainingPlan:
    return training_plan(inputs.model, inputs.fleet, inputs.batch, inputs.precision, inputs.efficiency, inputs.seq_len,
                         inputs.overlap, inputs.overlap_efficiency, inputs.recompute, inputs.sequence_parallel, inputs.attention,
                         inputs.overlap_p2p)


class DistributedModel:
    """3-D (+ context, + expert) parallel training step on a fleet; data-parallel training of CNNs."""

    def solve(
        self,
        model,
        fleet,
        batch_size: int,
        precision: str = "bf16",
        efficiency: float = DEFAULT_EFFICIENCY,
        tp_size: int = 1,
        pp_size: int = 1,
        ep_size: int = 1,
        microbatch_count: int | None = None,
        virtual_stages: int | str = 1,
        overlap_comm: bool = False,
        overlap_efficiency: float = DEFAULT_OVERLAP_EFFICIENCY,
        zero_stage: int = 0,
        seq_len: int | None = None,
        recompute: str = DEFAULT_RECOMPUTE,
        sequence_parallel: bool = DEFAULT_SEQUENCE_PARALLEL,
        cp_size: int = 1,
        attention: str = DEFAULT_ATTENTION_KERNEL,
        overlap_p2p: bool = False,
    ) -> DistributedResult:
        """``cp_size``: context parallelism, each sequence split over that many ranks. ``attention``: 'causal'
        (kernels skip the masked half, FlashAttention) or 'full' (dense masked s x s scores, as Megatron-LM 2021).
        ``virtual_stages``: chunks per pipeline rank of the interleaved schedule, or 'auto' for the fastest that fits.
        ``overlap_p2p``: pipeline sends asynchronous, hidden behind compute up to ``overlap_efficiency`` of it (Llama 3
        "adopt[s] asynchronous point-to-point communication in PP", Dubey et al. 2024, Sec. 3.3.2); False: blocking
        sends on the critical path, as Megatron-LM 2021."""
        inputs = check_training_inputs(model, fleet, batch_size, precision, efficiency, seq_len, overlap_comm,
                                       overlap_efficiency, recompute, sequence_parallel, attention, overlap_p2p)
        zero = _inputs.zero_stage(zero_stage)
        tp = _inputs.positive_int(tp_size, "tp_size")
        pp = _inputs.positive_int(pp_size, "pp_size")
        ep = _inputs.positive_int(ep_size, "ep_size")
        cp = _inputs.positive_int(cp_size, "cp_size")
        auto = isinstance(virtual_stages, str)
        if auto and virtual_stages != "auto":
            raise InputError("virtual_stages", virtual_stages, "an integer >= 1 (model chunks per pipeline rank) or 'auto'")
        v = 1 if auto else _inputs.positive_int(virtual_stages, "virtual_stages")
        plan = plan_of(inputs)
        dp, m = check_layout(plan, tp, pp, ep, microbatch_count, v, cp)
        if auto:
            v = fastest_virtual_stages(plan, tp, pp, ep, dp, m, zero, cp)
        return build_result(plan, tp, pp, ep, dp, m, v, zero, inputs.efficiency, cp, auto)


def virtual_stage_options(layers: int, pp: int) -> list[int]:
    """Virtual stages an interleaved schedule can use: v dividing the layers of a stage (whole layers per chunk).

    Megatron-LM assigns each of a rank's v model chunks the same number of
    layers (Narayanan et al. 2021, Sec. 2.2.2: ``--num-layers-per-virtual-pipeline-stage``);
    with layers not divisible by pp the heaviest stage's ceil(layers / pp) counts.
    [1] without pipeline parallelism.
    """
    if pp <= 1:
        return [1]
    per_stage = -(-layers // pp)
    return [d for d in range(1, per_stage + 1) if per_stage % d == 0]


def fastest_virtual_stages(plan: TrainingPlan, tp: int, pp: int, ep: int, dp: int, m: int, zero_stage: int, cp: int = 1) -> int:
    """The v of ``virtual_stage_options`` with the shortest step that fits in memory (1 when none does, or when
    the micro-batches are not whole rounds of pp, which Megatron-LM's interleaved schedule needs)."""
    best, best_step = 1, math.inf
    if plan.compute_precision is None or m % pp:  # no arithmetic in that precision, or no whole rounds to interleave
        return best
    for v in virtual_stage_options(plan.layers, pp):
        out = evaluate(plan, tp, pp, ep, dp, m, v, zero_stage, cp)
        if out.memory_per_accelerator <= plan.capacity and out.step_time < best_step:
            best, best_step = v, out.step_time
    return best


FLOP_CONVENTION = ("mfu: model FLOPs = 6 P D + 3 passes of full-window attention 4 l s d_attn per token (Chowdhery et al. 2022, App. B); "
                   "causal_mfu: the same with causal attention, s/2 keys per query (the work a causal mask leaves, Dao 2023, Sec. 3.1.1); "
                   "hfu: hardware FLOPs as executed, with the recompute pass (Narayanan et al. 2021, Eq. 3)")


def _assumptions(plan: TrainingPlan, tp: int, pp: int, dp: int, m: int, v: int, zero_stage: int, efficiency: float, cp: int,
                 auto_v: bool = False) -> list[str]:
    g = plan.per_node
    hw = plan.fleet.node.accelerator
    if plan.is_transformer:
        extra = kernels.recompute_extra_passes(plan.recompute)
        work = (f"executed FLOPs = {3 + extra[0]:g} x 2 P_active + {3 + extra[1]:g} x attention per token "
                f"(recompute={plan.recompute!r}, {'causal kernels: s/2 keys' if plan.attention == 'causal' else 'dense masked scores: s keys'})")
    else:
        work = (f"executed FLOPs = {kernels.training_passes(plan.recompute == 'full'):g} x forward FLOPs per sample, model FLOPs "
                f"{kernels.training_passes():g} x (data parallelism only)")
    out = [
        f"efficiency={efficiency:g} of dense {plan.compute_precision or plan.precision} peak; {work}"
        + (f"; {FLOP_CONVENTION}" if plan.is_transformer else ""),
        f"ranks laid out TP innermost, then CP, EP, DP, PP; {g} accelerators per node share a {plan.intra_bw / 1e9:.4g} GB/s link, "
        f"the fabric gives {plan.inter_bw / 1e9:.4g} GB/s per accelerator after oversubscription"
        + (f", {plan.pod_bw / 1e9:.4g} GB/s between pods of {plan.pod_size}" if plan.pod_size else ""),
        f"micro-batches: {m} of {plan.batch // dp // m} {'sequence(s)' if plan.is_transformer else 'sample(s)'} per replica"
        + (", 1F1B schedule" if pp > 1 else "")
        + (f" interleaved over {v} virtual stages (bubble (p-1)/(v m), Narayanan et al. 2021, Sec. 2.2.2)" if v > 1 else "")
        + (f"; virtual_stages='auto': the fastest of {virtual_stage_options(plan.layers, pp)} that fits" if auto_v else ""),
        "DP gradients all-reduced in the training precision, in node then across nodes (hierarchical ring)"
        + (" over the dp x cp ranks (CP ranks hold the same weights)" if cp > 1 else "")
        + ("; MoE: shared weights over dp x ep ranks, experts over dp" if plan.expert_params else "")
        + (f"; ZeRO-{zero_stage} traffic x{kernels.zero_communication_factor(zero_stage):g}" if zero_stage else ""),
        f"DP all-reduce {'overlaps the backward pass (overlap_efficiency=' + format(plan.overlap_efficiency, 'g') + ')' if plan.overlap else 'not overlapped with compute'}; "
        + ("TP, CP and EP traffic on the critical path, PP sends asynchronous (hidden behind compute, overlap_efficiency="
           + format(plan.overlap_efficiency, 'g') + ")" if plan.overlap_p2p else "TP, CP, EP and PP traffic on the critical path"),
    ]
    if plan.is_transformer:
        out.append(f"memory: mixed-precision Adam (12 B/param state), ZeRO stage {zero_stage}; activations of the first stage "
                   f"(Korthikanti et al. 2022, recompute={plan.recompute!r}, sequence_parallel={plan.sequence_parallel}); embeddings' activations left out")
    else:
        out.append(f"memory: mixed-precision Adam (12 B/param state), ZeRO stage {zero_stage}; activations: "
                   + ("the registry's activation bytes per sample x micro-batch" if plan.sample_activation_bytes else
                      f"none listed for {plan.model.name} (left out)"))
    if cp > 1:
        out.append(f"context parallelism over {cp} ranks: {plan.seq // cp} tokens of each sequence per rank; K and V all-gathered "
                   "per layer forward, their gradients reduce-scattered backward, not overlapped (Llama 3, Sec. 3.3.2)")
    if tp > g:
        msg = f"tensor parallelism tp_size={tp} spans more than one node ({g} accelerators per node): its all-reduces cross the fabric"
        warnings.warn(msg, stacklevel=4)
        out.append(msg)
    if plan.layers % pp:
        out.append(f"{plan.layers} layers do not split evenly over {pp} stages: the heaviest stage has {-(-plan.layers // pp)} and sets the pace; "
                   f"the first holds {kernels.first_stage_layers(plan.layers, pp)}, the embedding in the slot left over (Llama 3, Sec. 3.3.2), "
                   "and its activations count")
    if plan.compute_precision is not None and plan.compute_precision != plan.precision:
        out.append(f"{hw.name} lists no {plan.precision} peak; compute runs at its {plan.compute_precision} peak")
    return out


def build_result(plan: TrainingPlan, tp: int, pp: int, ep: int, dp: int, m: int, v: int, zero_stage: int, efficiency: float,
                 cp: int = 1, auto_v: bool = False) -> DistributedResult:
    """Evaluate one layout and wrap it, with its assumptions, feasibility and binding wall."""
    hw = plan.fleet.node.accelerator
    assumptions = _assumptions(plan, tp, pp, dp, m, v, zero_stage, efficiency, cp, auto_v)
    common = dict(
        model=plan.model.name, fleet=plan.fleet.name, precision=plan.precision, total_accelerators=plan.total,
        tp_size=tp, cp_size=cp, pp_size=pp, ep_size=ep, dp_size=dp, microbatch_count=m, microbatch_size=plan.batch // dp // m,
        virtual_stages=v, zero_stage=zero_stage, global_batch=plan.batch, seq_len=plan.seq, assumptions=assumptions,
        flop_convention=FLOP_CONVENTION, _memory_capacity=plan.capacity, _model_flops=plan.model_flops, _causal_model_flops=plan.causal_model_flops,
        _hardware_flops=plan.hardware_flops,
    )
    if plan.compute_precision is None:
        inf = math.inf
        never = StepFloats(inf, inf, *(None,) * 13)  # no arithmetic in that precision: the step never ends
        return DistributedResult.view(
            never, **common, bubble_fraction=0.0, scaling_efficiency=0.0, mfu=0.0, causal_mfu=0.0, hfu=0.0, feasible=False, bound=Wall.CAPACITY,
            limiter=None, reason=f"{hw.name} has no {plan.precision} compute", _communication_time=None,
            _throughput=0.0, _token_throughput=0.0,
        )
    out = evaluate(plan, tp, pp, ep, dp, m, v, zero_stage, cp)
    feasible = out.memory_per_accelerator <= plan.capacity
    reason = "" if feasible else (
        f"needs {out.memory_per_accelerator / 1e9:.4g} GB per accelerator (weights {out.weight_memory / 1e9:.3g} + gradients "
        f"{out.gradient_memory / 1e9:.3g} + optimizer {out.optimizer_memory / 1e9:.3g} + activations {out.activation_memory / 1e9:.3g}) "
        f"but {hw.name} has {plan.capacity / 1e9:.4g} GB"
    )
    comm = out.tp_comm_time + out.cp_comm_time + out.ep_comm_time + out.pp_comm_time + out.dp_exposed_time
    limiter = _limiter(out.compute_time, comm, out.bubble_time)
    step = out.step_time
    peak = plan.peak * plan.total
    return DistributedResult.view(
        out, **common, bubble_fraction=out.bubble_fraction, scaling_efficiency=out.compute_time / step,
        mfu=kernels.model_flops_utilization(plan.model_flops, step, peak),
        causal_mfu=kernels.model_flops_utilization(plan.causal_model_flops, step, peak),
        hfu=kernels.model_flops_utilization(plan.hardware_flops, step, peak),
        feasible=feasible, reason=reason, limiter=limiter, bound=LIMITER_WALL[limiter] if feasible else Wall.CAPACITY,
        _communication_time=comm, _throughput=plan.batch / step, _token_throughput=plan.batch * plan.seq / step,
    )
