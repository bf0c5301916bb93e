"""Data, tensor, pipeline and expert parallel training on a fleet: step time, memory, feasibility.

One training step of a global batch of B sequences on N = tp x pp x ep x dp
accelerators (Megatron-LM's 3-D parallelism, Narayanan et al. 2021):

  compute   = 6 P_active B s / (N x peak x efficiency)            (Kaplan et al. 2020)
  TP        = M x 4 all-reduces of b s h per layer of a stage       (Shoeybi et al. 2019)
  EP        = M x 4 all-to-alls of the routed tokens per layer      (Lepikhin et al. 2021)
  PP        = 2 V M point-to-point sends of a micro-batch          (Narayanan et al. 2021)
  bubble    = (compute + TP + EP) x f / (1 - f), f = (P-1)/(V M + P-1)
  DP        = hierarchical all-reduce of the gradients, in node then across nodes
  step      = compute + TP + EP + PP + bubble + exposed DP

Memory per accelerator: weights, gradients and Adam state sharded by TP and PP
(and ZeRO stage 0-3 over DP, Rajbhandari et al. 2020) plus the first pipeline
stage's activations (Korthikanti et al. 2022).

The float function ``evaluate`` is shared with ``ParallelismOptimizer``: the
solver validates its inputs, builds a ``TrainingPlan`` of floats once, calls
``evaluate`` once and views the ``StepFloats`` as a ``DistributedResult``; the
optimizer calls ``evaluate`` for every candidate. ``bound`` is ``Wall.COMPUTE``
while compute is at least the overheads, else ``Wall.COMMUNICATION``
(``limiter`` says which: 'network' or 'pipeline'), ``Wall.CAPACITY`` when it
does not fit.
"""

from __future__ import annotations

import math
import warnings

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs
from ._device import device_rates
from .contract import floats, plan
from .defaults import DEFAULT_EFFICIENCY, DEFAULT_OVERLAP_EFFICIENCY, DEFAULT_RECOMPUTE, DEFAULT_SEQUENCE_PARALLEL

RECOMPUTE_MODES = ("none", "selective", "full")


@plan
class TrainingPlan:
    """Everything of a distributed solve that does not depend on the parallel layout, as floats."""

    model: object  # the TransformerWorkload (for names in messages)
    fleet: object  # the Fleet
    precision: str
    compute_precision: str | None
    batch: int
    seq: int
    params: float
    active: float
    shared_params: float
    expert_params: float
    layers: int
    hidden: int
    heads: int
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
    overlap: bool
    overlap_efficiency: float
    recompute: str
    sequence_parallel: bool
    model_flops: float  # 6 x active parameters x tokens of one step (Kaplan et al. 2020)
    adam: float  # optimizer bytes per parameter (ZeRO's K = 12)


def training_plan(model, fleet, batch: int, precision: str, efficiency: float, seq_len: int | None,
                  overlap: bool, overlap_efficiency: float, recompute: str, sequence_parallel: bool) -> TrainingPlan:
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
    shared, per_expert = model.moe_split_si
    expert_params = model.experts * per_expert if model.is_moe else 0.0
    return TrainingPlan(
        model, fleet, precision, device.compute_precision, batch, seq_len or model.seq_len, params, model.active_parameters_si,
        params - expert_params, expert_params, model.layers, model.hidden_dim, model.heads, model.experts,
        model.experts_per_token, bytes_per_value(precision), device.peak, device.rate, device.memory_capacity,
        fleet.node.accelerators_per_node, fleet.count, fleet.total_accelerators, fleet.node._si["intra_node_bw"],
        fleet.node._si["intra_node_latency"], fleet.fabric.effective_bandwidth_si, fleet.fabric._si["latency"],
        overlap, overlap_efficiency, recompute, sequence_parallel,
        kernels.transformer_training_flops(model.active_parameters_si, batch * (seq_len or model.seq_len)),
        kernels.adam_state_bytes_per_parameter(),
    )


@floats
class StepFloats:
    """One training step of one layout (s, byte)."""

    step_time: float
    compute_time: float
    tp_comm_time: float
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


def evaluate(plan: TrainingPlan, tp: int, pp: int, ep: int, dp: int, microbatches: int, virtual_stages: int, zero_stage: int) -> StepFloats:
    """One layout, floats in and out (seconds, bytes).

    Ranks are laid out TP innermost, then EP, DP, PP (Megatron's order), so TP
    and EP groups use the node's link while they fit in a node.
    """
    g = plan.per_node
    m = microbatches
    mb_tokens = plan.batch // dp // m * plan.seq  # sequences per micro-batch x sequence length
    stage_layers = -(-plan.layers // pp)  # the heaviest stage sets the pace
    # compute: the whole step's model FLOPs spread over N devices, paced by the heaviest stage
    compute = plan.model_flops / (plan.total * plan.rate) * (stage_layers * pp / plan.layers)
    if plan.recompute == "full":
        compute *= kernels.training_passes(True) / kernels.training_passes(False)  # one more forward pass
    # tensor parallel: node link while the group fits in a node
    if tp <= g:
        tp_comm = m * kernels.tensor_parallel_comm_time(stage_layers, mb_tokens, plan.hidden, plan.bpv, tp, plan.intra_bw, plan.intra_lat)
    else:
        tp_comm = m * kernels.tensor_parallel_comm_time(stage_layers, mb_tokens, plan.hidden, plan.bpv, tp, plan.inter_bw, plan.inter_lat)
    # expert parallel all-to-all (each TP rank dispatches its sequence shard under SP)
    ep_comm = 0.0
    if ep > 1:
        shard = mb_tokens / tp if plan.sequence_parallel else mb_tokens
        bw, lat = (plan.intra_bw, plan.intra_lat) if tp * ep <= g else (plan.inter_bw, plan.inter_lat)
        ep_comm = m * kernels.expert_parallel_comm_time(stage_layers, shard, plan.hidden, plan.bpv, plan.experts_per_token, ep, bw, lat)
    # pipeline point-to-point (scatter/gather: each TP rank sends 1/tp, Narayanan et al. 2021, Sec. 4.1)
    pp_comm = 0.0
    bubble_fraction = 0.0
    bubble = 0.0
    if pp > 1:
        bw, lat = (plan.intra_bw, plan.intra_lat) if tp * ep * dp * pp <= g else (plan.inter_bw, plan.inter_lat)
        pp_comm = kernels.pipeline_p2p_time(m, virtual_stages, mb_tokens * plan.hidden * plan.bpv / tp, bw, lat)
        bubble_fraction = kernels.pipeline_bubble_fraction(pp, m, virtual_stages)
        bubble = kernels.pipeline_bubble_time(compute + tp_comm + ep_comm, bubble_fraction)
    # data parallel gradient all-reduce: shared weights are replicated on the dp x ep ranks of a
    # (tp, pp) coordinate, each expert's on the dp ranks of its expert group
    shared = plan.shared_params / (tp * pp)
    expert = plan.expert_params / (tp * pp * ep)
    factor = kernels.zero_communication_factor(zero_stage)
    dp_comm = 0.0
    if dp * ep > 1:
        dp_comm += factor * _grouped_allreduce(plan, shared * plan.bpv, dp * ep, tp)
    if dp > 1 and expert > 0:
        dp_comm += factor * _grouped_allreduce(plan, expert * plan.bpv, dp, tp * ep)
    if plan.overlap:
        dp_exposed = kernels.exposed_communication(dp_comm, compute * 2.0 / 3.0, plan.overlap_efficiency)  # backward = 2/3
    else:
        dp_exposed = dp_comm
    step = compute + tp_comm + ep_comm + pp_comm + bubble + dp_exposed
    # memory of the first (fullest) pipeline stage
    adam = plan.adam
    weights, grads, optimizer = kernels.zero_memory_bytes(shared, plan.bpv, plan.bpv, adam, dp * ep, zero_stage)
    if expert > 0:
        ew, eg, eo = kernels.zero_memory_bytes(expert, plan.bpv, plan.bpv, adam, dp, zero_stage)
        weights, grads, optimizer = weights + ew, grads + eg, optimizer + eo
    acts = kernels.activation_memory_bytes(plan.seq, mb_tokens / plan.seq, plan.hidden, plan.heads, stage_layers, tp,
                                           plan.sequence_parallel, plan.recompute)
    acts *= kernels.pipeline_activation_factor(pp, m, virtual_stages) * plan.bpv / 2.0  # the kernel counts 16-bit values
    memory = weights + grads + optimizer + acts
    return StepFloats(step, compute, tp_comm, ep_comm, pp_comm, bubble, dp_comm, dp_exposed, weights, grads, optimizer, acts,
                      memory, bubble_fraction)


def _grouped_allreduce(plan: TrainingPlan, message: float, group: int, stride: int) -> float:
    """Hierarchical all-reduce over ``group`` ranks spaced ``stride`` apart: those in one node first, then across nodes."""
    if group <= 1:
        return 0.0
    g = plan.per_node
    local = 1 if stride >= g else min(group, g // stride)
    return kernels.hierarchical_allreduce_time(message, local, -(-group // local), plan.intra_bw, plan.intra_lat, plan.inter_bw, plan.inter_lat)


class DistributedResult(Result):
    """One training step of a parallel layout on a fleet: time breakdown, memory, feasibility, binding wall."""

    _plain_names = (
        "model", "fleet", "precision", "total_accelerators", "tp_size", "pp_size", "ep_size", "dp_size",
        "microbatch_count", "microbatch_size", "virtual_stages", "zero_stage", "global_batch", "seq_len",
        "bubble_fraction", "scaling_efficiency", "mfu", "feasible", "reason", "bound", "limiter", "assumptions",
    )

    step_time = quantity("time", "ms", "one optimizer step of the global batch")
    compute_time = quantity("time", "ms", "model FLOPs / (N x peak x efficiency), paced by the heaviest stage")
    tp_comm_time = quantity("time", "ms", "tensor-parallel all-reduces (exposed)")
    ep_comm_time = quantity("time", "ms", "expert-parallel all-to-alls (exposed)")
    pp_comm_time = quantity("time", "ms", "pipeline point-to-point sends (exposed)")
    bubble_time = quantity("time", "ms", "pipeline fill and drain")
    dp_comm_time = quantity("time", "ms", "data-parallel gradient all-reduce (hierarchical), total")
    dp_exposed_time = quantity("time", "ms", "the part of the DP all-reduce not hidden behind the backward pass")
    communication_time = quantity("time", "ms", "TP + EP + PP + exposed DP")
    throughput = quantity("rate", None, "samples (sequences) per second")
    token_throughput = quantity("rate", None, "tokens per second")
    model_flops = quantity("ops", "PFLOP", "6 x active parameters x tokens of one step")
    memory_per_accelerator = quantity("bytes", "GB", "weights + gradients + optimizer + activations")
    memory_capacity = quantity("bytes", "GB")
    weight_memory = quantity("bytes", "GB")
    gradient_memory = quantity("bytes", "GB")
    optimizer_memory = quantity("bytes", "GB")
    activation_memory = quantity("bytes", "GB")

    @property
    def config(self) -> dict:
        """The layout as a plain dict (the form ``ParallelismOptimizer`` returns)."""
        return {"tp": self.tp_size, "pp": self.pp_size, "dp": self.dp_size, "ep": self.ep_size,
                "microbatches": self.microbatch_count, "zero_stage": self.zero_stage}

    @property
    def breakdown(self) -> dict:
        """Step time by component, as Quantities in ms."""
        names = ("compute_time", "tp_comm_time", "ep_comm_time", "pp_comm_time", "bubble_time", "dp_exposed_time")
        return {n.removesuffix("_time"): getattr(self, n) for n in names}


def _limiter(compute: float, comm: float, bubble: float) -> str:
    """What sets the step: 'compute' while compute is at least the overheads, else the larger one: 'network' or 'pipeline'."""
    if compute >= comm + bubble:
        return "compute"
    return "network" if comm >= bubble else "pipeline"


# the wall each limiter belongs to: the pipeline bubble is idle time the parallel layout's
# communication pattern (fill and drain of the stages) imposes, so it is the communication wall's
LIMITER_WALL = {"compute": Wall.COMPUTE, "network": Wall.COMMUNICATION, "pipeline": Wall.COMMUNICATION}


def check_layout(plan: TrainingPlan, tp: int, pp: int, ep: int, microbatch_count, virtual_stages: int) -> tuple[int, int]:
    """(dp, microbatches) for a requested layout, or an InputError naming the sizes that do not fit."""
    n = plan.total
    inner = tp * pp * ep
    if n % inner:
        raise InputError(
            "tp_size*pp_size*ep_size", f"{tp}*{pp}*{ep}={inner}",
            f"a divisor of the fleet's {n} accelerators so that dp = {n}/(tp*pp*ep) is an integer",
        )
    dp = n // inner
    if plan.heads % tp:
        raise InputError("tp_size", tp, f"a divisor of the model's {plan.heads} attention heads (Megatron splits attention by heads)")
    if ep > 1 and plan.experts % ep:
        raise InputError("ep_size", ep, f"a divisor of the model's {plan.experts} experts" if plan.experts > 1 else "1 for a dense (non-MoE) model")
    if pp * virtual_stages > plan.layers:
        raise InputError("pp_size", pp, f"at most layers / virtual_stages = {plan.layers}/{virtual_stages} (each stage needs a layer)")
    if plan.batch % dp:
        raise InputError("batch_size", plan.batch, f"a multiple of dp_size={dp} (= {n} accelerators / (tp*pp*ep = {inner})): each replica needs whole sequences")
    local = plan.batch // dp
    if microbatch_count is None:
        m = local  # micro-batches of one sequence: the least activation memory, the smallest bubble
    else:
        m = _inputs.positive_int(microbatch_count, "microbatch_count")
        if local % m:
            raise InputError("microbatch_count", m, f"a divisor of the per-replica batch {local} (= batch_size {plan.batch} / dp_size {dp})")
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


def check_training_inputs(model, fleet, batch_size, precision, efficiency, seq_len, overlap_comm, overlap_efficiency,
                          recompute, sequence_parallel) -> TrainingInputs:
    """Every argument common to the training solvers, checked once (errors name the argument)."""
    return TrainingInputs(
        _inputs.transformer(model), _inputs.fleet(fleet), _inputs.positive_int(batch_size, "batch_size"),
        _inputs.check_precision(precision), _inputs.fraction(efficiency, "efficiency"), _inputs.optional_int(seq_len, "seq_len"),
        _inputs.boolean(overlap_comm, "overlap_comm"), _inputs.fraction(overlap_efficiency, "overlap_efficiency"),
        _inputs.choice(recompute, "recompute", RECOMPUTE_MODES), _inputs.boolean(sequence_parallel, "sequence_parallel"),
    )


def plan_of(inputs: TrainingInputs) -> TrainingPlan:
    return training_plan(inputs.model, inputs.fleet, inputs.batch, inputs.precision, inputs.efficiency, inputs.seq_len,
                         inputs.overlap, inputs.overlap_efficiency, inputs.recompute, inputs.sequence_parallel)


class DistributedModel:
    """3-D (+ expert) parallel training step on a fleet."""

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
        virtual_stages: int = 1,
        overlap_comm: bool = False,
        overlap_efficiency: float = DEFAULT_OVERLAP_EFFICIENCY,
        zero_stage: int = 0,
        seq_len: int | None = None,
        recompute: str = DEFAULT_RECOMPUTE,
        sequence_parallel: bool = DEFAULT_SEQUENCE_PARALLEL,
    ) -> DistributedResult:
        inputs = check_training_inputs(model, fleet, batch_size, precision, efficiency, seq_len, overlap_comm,
                                       overlap_efficiency, recompute, sequence_parallel)
        zero = _inputs.zero_stage(zero_stage)
        tp = _inputs.positive_int(tp_size, "tp_size")
        pp = _inputs.positive_int(pp_size, "pp_size")
        ep = _inputs.positive_int(ep_size, "ep_size")
        v = _inputs.positive_int(virtual_stages, "virtual_stages")
        plan = plan_of(inputs)
        dp, m = check_layout(plan, tp, pp, ep, microbatch_count, v)
        return build_result(plan, tp, pp, ep, dp, m, v, zero, inputs.efficiency)


def build_result(plan: TrainingPlan, tp: int, pp: int, ep: int, dp: int, m: int, v: int, zero_stage: int, efficiency: float) -> DistributedResult:
    """Evaluate one layout and wrap it, with its assumptions, feasibility and binding wall."""
    hw = plan.fleet.node.accelerator
    g = plan.per_node
    assumptions = [
        f"efficiency={efficiency:g} of dense {plan.compute_precision or plan.precision} peak; model FLOPs = 6 x active parameters x tokens (Kaplan et al. 2020)",
        f"ranks laid out TP innermost, then EP, DP, PP; {g} accelerators per node share a {plan.intra_bw / 1e9:.4g} GB/s link, "
        f"the fabric gives {plan.inter_bw / 1e9:.4g} GB/s per accelerator after oversubscription",
        f"micro-batches: {m} of {plan.batch // dp // m} sequence(s) per replica, 1F1B schedule"
        + (f" with {v} virtual stages" if v > 1 else ""),
        "DP gradients all-reduced in the training precision, in node then across nodes (hierarchical ring)"
        + ("; MoE: shared weights over dp x ep ranks, experts over dp" if plan.expert_params else "")
        + (f"; ZeRO-{zero_stage} traffic x{kernels.zero_communication_factor(zero_stage):g}" if zero_stage else ""),
        f"DP all-reduce {'overlaps the backward pass (overlap_efficiency=' + format(plan.overlap_efficiency, 'g') + ')' if plan.overlap else 'not overlapped with compute'}; TP, EP and PP traffic on the critical path",
        f"memory: mixed-precision Adam (12 B/param state), ZeRO stage {zero_stage}; activations of the first stage "
        f"(Korthikanti et al. 2022, recompute={plan.recompute!r}, sequence_parallel={plan.sequence_parallel}); embeddings' activations left out",
    ]
    if tp > g:
        msg = f"tensor parallelism tp_size={tp} spans more than one node ({g} accelerators per node): its all-reduces cross the fabric"
        warnings.warn(msg, stacklevel=3)
        assumptions.append(msg)
    if plan.layers % pp:
        assumptions.append(f"{plan.layers} layers do not split evenly over {pp} stages: the heaviest stage has {-(-plan.layers // pp)} and sets the pace")
    if plan.compute_precision is not None and plan.compute_precision != plan.precision:
        assumptions.append(f"{hw.name} lists no {plan.precision} peak; compute runs at its {plan.compute_precision} peak")

    model_flops = kernels.transformer_training_flops(plan.active, plan.batch * plan.seq)
    common = dict(
        model=plan.model.name, fleet=plan.fleet.name, precision=plan.precision, total_accelerators=plan.total,
        tp_size=tp, pp_size=pp, ep_size=ep, dp_size=dp, microbatch_count=m, microbatch_size=plan.batch // dp // m,
        virtual_stages=v, zero_stage=zero_stage, global_batch=plan.batch, seq_len=plan.seq, assumptions=assumptions,
        _memory_capacity=plan.capacity, _model_flops=model_flops,
    )
    if plan.compute_precision is None:
        inf = math.inf
        never = StepFloats(inf, inf, *(None,) * 12)  # no arithmetic in that precision: the step never ends
        return DistributedResult.view(
            never, **common, bubble_fraction=0.0, scaling_efficiency=0.0, mfu=0.0, feasible=False, bound=Wall.CAPACITY,
            limiter=None, reason=f"{hw.name} has no {plan.precision} compute", _communication_time=None,
            _throughput=0.0, _token_throughput=0.0,
        )
    out = evaluate(plan, tp, pp, ep, dp, m, v, zero_stage)
    feasible = out.memory_per_accelerator <= plan.capacity
    reason = "" if feasible else (
        f"needs {out.memory_per_accelerator / 1e9:.4g} GB per accelerator (weights {out.weight_memory / 1e9:.3g} + gradients "
        f"{out.gradient_memory / 1e9:.3g} + optimizer {out.optimizer_memory / 1e9:.3g} + activations {out.activation_memory / 1e9:.3g}) "
        f"but {hw.name} has {plan.capacity / 1e9:.4g} GB"
    )
    comm = out.tp_comm_time + out.ep_comm_time + out.pp_comm_time + out.dp_exposed_time
    limiter = _limiter(out.compute_time, comm, out.bubble_time)
    step = out.step_time
    return DistributedResult.view(
        out, **common, bubble_fraction=out.bubble_fraction, scaling_efficiency=out.compute_time / step,
        mfu=kernels.model_flops_utilization(model_flops, step, plan.peak * plan.total),
        feasible=feasible, reason=reason, limiter=limiter, bound=LIMITER_WALL[limiter] if feasible else Wall.CAPACITY,
        _communication_time=comm, _throughput=plan.batch / step, _token_throughput=plan.batch * plan.seq / step,
    )
