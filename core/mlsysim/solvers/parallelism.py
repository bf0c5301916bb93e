"""Search of parallel layouts: every TP x PP x EP x DP factorisation of a fleet, ranked by step time.

Candidates are all divisor factorisations N = tp x pp x ep x dp with tp inside
a node (unless ``allow_cross_node_tp``), pp dividing the layers, ep dividing
the experts (1 for dense models), dp dividing the global batch, a few
micro-batch sizes and, for pp > 1, every interleaved schedule's number of
virtual stages v that gives whole layers per chunk (bubble (p-1)/(v m),
Narayanan et al. 2021, Sec. 2.2.2). Each candidate costs one call of the float function
``distributed.evaluate`` that ``DistributedModel`` also uses, so the optimizer
and the solver always agree; candidates that do not fit in memory are rejected.
"""

from __future__ import annotations

import time

from ..core.errors import InputError
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs
from .defaults import DEFAULT_EFFICIENCY, DEFAULT_OVERLAP_EFFICIENCY, DEFAULT_RECOMPUTE, DEFAULT_SEQUENCE_PARALLEL
from .distributed import DistributedResult, build_result, check_training_inputs, evaluate, plan_of, virtual_stage_options

DEFAULT_MICROBATCH_SIZES = (1, 2, 4, 8)

# The largest fleet the exhaustive search enumerates: divisors() is O(sqrt(N)), so 2^40
# accelerators (a million times any fleet built) costs ~1e6 steps; beyond it the search says so.
MAX_SEARCH_ACCELERATORS = 2**40


def divisors(n: int) -> list[int]:
    """All positive divisors of n, ascending (n <= MAX_SEARCH_ACCELERATORS; the caller checks)."""
    small, large = [], []
    i = 1
    while i * i <= n:
        if n % i == 0:
            small.append(i)
            if i * i != n:
                large.append(n // i)
        i += 1
    return small + large[::-1]


class OptimizerResult(Result):
    """The best layout, every feasible layout ranked by step time, and what the search covered."""

    _plain_names = ("bound", "best_config", "ranked", "total_searched", "feasible_count", "rejected", "search_seconds", "feasible", "reason", "assumptions")

    step_time = quantity("time", "ms", "step time of the best layout")

    def __init__(self, best: DistributedResult | None, **values):
        super().__init__(**values)
        self.best = best

    def __repr__(self) -> str:
        step = f"{self.step_time:.4g~P}" if self.step_time is not None else None
        return (f"OptimizerResult(best_config={self.best_config}, step_time={step}, feasible_count={self.feasible_count}, "
                f"total_searched={self.total_searched}, rejected={self.rejected}, search_seconds={self.search_seconds:.4f})")

    @property
    def bound(self) -> Wall:
        """The best layout's wall; ``Wall.CAPACITY`` when no layout fits."""
        return self.best.bound if self.best is not None else Wall.CAPACITY


class ParallelismOptimizer:
    """Exhaustive search over parallel layouts, floats inside (fast enough for 8,192 accelerators in milliseconds)."""

    def solve(
        self,
        model,
        fleet,
        batch_size: int,
        precision: str = "bf16",
        efficiency: float = DEFAULT_EFFICIENCY,
        seq_len: int | None = None,
        zero_stages=(0, 1, 2, 3),
        microbatch_sizes=DEFAULT_MICROBATCH_SIZES,
        overlap_comm: bool = False,
        overlap_efficiency: float = DEFAULT_OVERLAP_EFFICIENCY,
        recompute: str = DEFAULT_RECOMPUTE,
        sequence_parallel: bool = DEFAULT_SEQUENCE_PARALLEL,
        allow_cross_node_tp: bool = False,
        top_k: int | None = None,
        interleave: bool = True,
        overlap_p2p: bool = False,
    ) -> OptimizerResult:
        """``interleave``: also search the interleaved schedule's virtual stages (False: plain 1F1B, v = 1).
        ``overlap_p2p``: asynchronous pipeline sends, as ``DistributedModel`` (False: blocking)."""
        t0 = time.perf_counter()
        inputs = check_training_inputs(model, fleet, batch_size, precision, efficiency, seq_len, overlap_comm,
                                       overlap_efficiency, recompute, sequence_parallel, overlap_p2p=overlap_p2p)
        if isinstance(zero_stages, int) and not isinstance(zero_stages, bool):
            zero_stages = (zero_stages,)  # one stage given bare, as before
        stages = [_inputs.zero_stage(z, f"zero_stages[{i}]") for i, z in enumerate(_inputs.sequence(zero_stages, "zero_stages", "ZeRO stages, e.g. (0, 1)"))]
        zero_stages = tuple(dict.fromkeys(stages))
        mbs_options = tuple(dict.fromkeys(_inputs.int_list(microbatch_sizes, "microbatch_sizes")))
        allow_cross_node_tp = _inputs.boolean(allow_cross_node_tp, "allow_cross_node_tp")
        interleave = _inputs.boolean(interleave, "interleave")
        top_k = _inputs.optional_int(top_k, "top_k")
        model, fleet, batch, efficiency = inputs.model, inputs.fleet, inputs.batch, inputs.efficiency
        if fleet.total_accelerators > MAX_SEARCH_ACCELERATORS:
            raise InputError("fleet", f"{fleet.name} ({fleet.total_accelerators:.4g} accelerators)",
                             f"a fleet of at most {MAX_SEARCH_ACCELERATORS:,} accelerators for an exhaustive search "
                             "(solve a given layout with DistributedModel instead)")
        plan = plan_of(inputs)
        if plan.compute_precision is None:
            raise InputError("precision", precision, f"a precision {fleet.node.accelerator.name} computes in")

        n, g, layers, experts = plan.total, plan.per_node, plan.layers, plan.experts
        capacity = plan.capacity
        tp_options = [t for t in (divisors(n) if allow_cross_node_tp else divisors(g)) if n % t == 0 and plan.heads % t == 0]
        rejected = {"batch": 0, "layers": 0, "memory": 0}
        searched = 0
        n_zero = len(zero_stages)
        feasible = []  # (step, tp, pp, ep, dp, m, mbs, zero, v, compute, memory)
        for tp in tp_options:
            rest_tp = n // tp
            for pp in divisors(rest_tp):
                rest_pp = rest_tp // pp
                ep_options = [e for e in divisors(rest_pp) if experts % e == 0] if experts > 1 else (1,)
                per_ep = len(mbs_options) * n_zero  # candidates of one (tp, pp, ep) and v
                # more stages than layers leave a stage empty; an uneven split is a candidate: its heaviest stage
                # (ceil(layers / pp)) sets the pace and the first holds one layer fewer (kernels.first_stage_layers)
                if pp > layers:  # every candidate of this pp is rejected: count them at once
                    searched += len(ep_options) * per_ep
                    rejected["layers"] += len(ep_options) * per_ep
                    continue
                v_options = virtual_stage_options(layers, pp) if interleave else (1,)
                per_v = len(v_options) * n_zero  # candidates of one micro-batch size
                for ep in ep_options:
                    dp = rest_pp // ep
                    searched += per_ep * len(v_options)
                    for mbs in mbs_options:
                        if batch % (dp * mbs):
                            rejected["batch"] += per_v
                            continue
                        m = batch // dp // mbs
                        # interleaving needs whole rounds of pp micro-batches (Megatron-LM's schedule, Narayanan et al. 2021)
                        vs = v_options if m % pp == 0 else (1,)
                        rejected["batch"] += (len(v_options) - len(vs)) * n_zero
                        for zero in zero_stages:
                            for v in vs:
                                out = evaluate(plan, tp, pp, ep, dp, m, v, zero)
                                if out.memory_per_accelerator > capacity:
                                    # v > 1 keeps more activations than v = 1 (x (1 + (p-1)/(p v)), Korthikanti et al.
                                    # 2022, Sec. 4.2.3): when v = 1 does not fit, no v does
                                    skipped = len(vs) if v == 1 else 1
                                    rejected["memory"] += skipped
                                    if v == 1:
                                        break
                                    continue
                                feasible.append((out.step_time, tp, pp, ep, dp, m, mbs, zero, v, out.compute_time, out.memory_per_accelerator))
        feasible.sort()
        keep = feasible if top_k is None else feasible[:top_k]
        ranked = [
            {"tp": tp, "pp": pp, "dp": dp, "ep": ep, "microbatches": m, "microbatch_size": mbs, "zero_stage": zero,
             "virtual_stages": v, "step_time_s": step, "scaling_efficiency": compute / step, "memory_gb": mem / 1e9}
            for step, tp, pp, ep, dp, m, mbs, zero, v, compute, mem in keep
        ]
        assumptions = [
            f"searched tp in {tp_options} (dividing {plan.heads} heads), every pp up to {layers} layers (uneven splits paced by "
            "the heaviest stage, the first stage one layer fewer, as Llama 3's 126 layers on 16 stages), "
            + (f"ep dividing {experts} experts, " if experts > 1 else "")
            + f"micro-batch sizes {mbs_options}, ZeRO stages {zero_stages}; "
            + ("virtual stages: every v giving whole layers per chunk when pp > 1 and pp divides the micro-batches (interleaved 1F1B)"
               if interleave else "virtual_stages=1"),
            "TP kept inside a node" if not allow_cross_node_tp else "TP allowed across nodes",
            "ranked by step time at the fixed global batch (= by throughput)",
        ]
        if not feasible:
            return OptimizerResult(
                None, best_config=None, ranked=[], total_searched=searched, feasible_count=0, rejected=rejected,
                search_seconds=time.perf_counter() - t0, feasible=False,
                reason=f"no layout of {n} accelerators fits {model.name} at batch {batch} ({rejected['memory']} rejected for memory, "
                       f"{rejected['batch']} for batch divisibility, {rejected['layers']} for more stages than layers)",
                assumptions=assumptions, _step_time=None,
            )
        step, tp, pp, ep, dp, m, mbs, zero, v = feasible[0][:9]
        best = build_result(plan, tp, pp, ep, dp, m, v, zero, efficiency)
        return OptimizerResult(
            best, best_config={"tp": tp, "pp": pp, "dp": dp, "ep": ep, "microbatches": m, "microbatch_size": mbs, "zero_stage": zero,
                               "virtual_stages": v},
            ranked=ranked, total_searched=searched, feasible_count=len(feasible), rejected=rejected,
            search_seconds=time.perf_counter() - t0, feasible=True, reason="", assumptions=assumptions, _step_time=step,
        )
