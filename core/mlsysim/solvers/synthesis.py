"""The Synthesis wall: from a target to the hardware that meets it (the iron law solved for its inputs).

For one batch of the workload (ops and bytes as ``Workload.lower`` gives them) and a latency
target T:

  FLOP/s    >= ops / (T x efficiency)                 (one accelerator meets T)
  bandwidth >= bytes / (T x bandwidth_efficiency)
  memory    >= weights + activations of the batch

Then for every part in the Hardware catalogue (or the ones given): the accelerators one model
instance needs, group = max(ceil(memory / capacity), ceil(max(compute, memory time) / T'))
with the work split evenly over the group (T' = T - dispatch tax; communication between them
left out, so the group is a lower bound); replicas = ceil(throughput x group latency / batch)
for a throughput target; count = group x replicas; cost = count x unit price. A part qualifies
when it meets every target given and the budget.
"""

from __future__ import annotations

import math
from typing import get_args

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from ..hardware.types import Tier
from ..physics import kernels
from ..registries import Hardware
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY


@plan
class SynthesisPlan:
    ops: float
    nbytes: float
    memory: float
    batch: int
    target_time: float  # s, inf when no latency target
    target_rate: float  # samples/s, 0 when none
    budget: float  # USD, inf when none
    efficiency: float
    bandwidth_efficiency: float


@plan
class PartPlan:
    peak: float  # 0 when the part cannot compute in the precision
    bandwidth: float
    capacity: float
    tax: float
    unit_cost: float  # nan when unknown


@floats
class RequirementFloats:
    required_flops: float  # 0 when no latency target
    required_bandwidth: float
    required_memory: float


@floats
class CandidateFloats:
    group: int
    replicas: int
    count: int
    latency: float
    cost: float  # nan when the part has no price


def requirements(p: SynthesisPlan) -> RequirementFloats:
    """What one accelerator would need to meet the latency target alone."""
    if math.isinf(p.target_time):
        return RequirementFloats(0.0, 0.0, p.memory)
    return RequirementFloats(kernels.required_flops(p.ops, p.target_time, p.efficiency),
                             kernels.required_bandwidth(p.nbytes, p.target_time, p.bandwidth_efficiency), p.memory)


def evaluate(p: SynthesisPlan, part: PartPlan) -> CandidateFloats:
    """The float function for one part: group size, replicas, count, latency and cost."""
    rate = kernels.effective_flops(part.peak, p.efficiency)
    bw = part.bandwidth * p.bandwidth_efficiency
    group = kernels.units_needed(p.memory, part.capacity)
    single = kernels.roofline_time(p.ops, p.nbytes, rate, bw)
    if not math.isinf(p.target_time) and p.target_time > part.tax:
        need = kernels.units_needed(single, p.target_time - part.tax)
        group = need if need > group else group
    latency = single / group + part.tax  # the work split evenly: both sides of the roofline scale by 1 / group
    replicas = kernels.units_needed(p.target_rate * latency, p.batch) if p.target_rate > 0 else 1
    count = group * replicas
    return CandidateFloats(group, replicas, count, latency, count * part.unit_cost)


class Candidate(Result):
    """One registry part sized to the target."""

    _plain_names = ("hardware", "key", "group", "replicas", "count", "qualifies", "why_not")

    latency = quantity("time", "ms", "one batch on one group (work split evenly, communication left out)")
    cost = quantity("money", "USD", "count x unit price (None when the part has no price)")


class SynthesisResult(Result):
    """The minimum specs that meet a target, and the parts that qualify (cheapest, then fewest, first)."""

    _plain_names = ("model", "precision", "batch_size", "qualifying", "candidates", "bound", "feasible", "reason", "assumptions")

    required_flops = quantity("flops", "TFLOP/s", "dense peak one accelerator needs for the latency target (None without one)")
    required_bandwidth = quantity("bandwidth", "TB/s", "bandwidth one accelerator needs for the latency target")
    required_memory = quantity("bytes", "GB", "weights + activations of one batch")
    target_latency = quantity("time", "ms")
    target_throughput = quantity("rate", None, "samples per second")
    budget = quantity("money", "USD")


_PART_PLANS: dict[tuple[int, str], tuple[object, PartPlan]] = {}


def _part_plan(hw, precision: str) -> PartPlan:
    """A part's floats for ``precision``; cached per (entry, precision), since entries are frozen."""
    hit = _PART_PLANS.get((id(hw), precision))
    if hit is not None and hit[0] is hw:
        return hit[1]
    peak, got = hw.peak_flops_si(precision)
    part = PartPlan(peak if got else 0.0, hw.memory._si["bandwidth"], hw.memory._si["capacity"], hw._si["dispatch_tax"],
                    hw._si.get("unit_cost", math.nan))
    if len(_PART_PLANS) < 4096:  # bounded: user-built parts must not grow it without limit
        _PART_PLANS[(id(hw), precision)] = (hw, part)
    return part


def _candidate(hw, group, replicas, count, qualifies: bool, why_not: str, latency, cost) -> Candidate:
    c = Candidate.__new__(Candidate)
    c.__dict__.update(hardware=hw.name, key=hw.key, group=group, replicas=replicas, count=count, qualifies=qualifies,
                      why_not=why_not, _latency=latency, _cost=cost)
    return c


class SynthesisSolver:
    """Inverse roofline: targets in, minimum specs and qualifying parts out."""

    def solve(self, model, target_latency=None, target_throughput=None, budget=None, memory_need=None, batch_size: int = 1,
              precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY,
              bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY, seq_len: int | None = None,
              hardware=None, tier: str | None = None, max_count: int = 100_000) -> SynthesisResult:
        """``hardware``: a list of parts (instances or names) to size; default the whole catalogue,
        or its ``tier`` ("cloud", "workstation", "mobile", "edge", "tiny").
        A part needing more than ``max_count`` accelerators does not qualify."""
        m = _inputs.workload(model)
        if target_latency is None and target_throughput is None and budget is None and memory_need is None:
            raise InputError("target_latency", None, "at least one target: target_latency, target_throughput, budget or memory_need")
        t = math.inf if target_latency is None else checks.quantity(target_latency, "target_latency", "time")
        rate = 0.0 if target_throughput is None else checks.quantity(target_throughput, "target_throughput", "rate")
        money = math.inf if budget is None else checks.quantity(budget, "budget", "money")
        batch = checks.positive_int(batch_size, "batch_size")
        precision = _inputs.check_precision(precision)
        eff = checks.fraction(efficiency, "efficiency")
        bw_eff = checks.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        seq = None if seq_len is None else checks.positive_int(seq_len, "seq_len")
        cap = checks.positive_int(max_count, "max_count")
        if hardware is None:
            parts = list(Hardware) if tier is None else Hardware.list(tier=checks.choice(tier, "tier", get_args(Tier)))
        else:
            parts = [_inputs.hardware(h, f"hardware[{i}]") for i, h in enumerate(checks.sequence(hardware, "hardware", "parts"))]
        graph = m.lower(precision, batch, seq)
        footprint = graph._weight_bytes + batch * m.activation_bytes_per_sample_si(precision, seq)
        if memory_need is not None:
            footprint = checks.quantity(memory_need, "memory_need", "bytes")
        p = SynthesisPlan(graph._ops, graph._bytes_moved, footprint, batch, t, rate, money, eff, bw_eff)
        req = requirements(p)
        candidates = []
        for hw in parts:
            part = _part_plan(hw, precision)
            if part.peak == 0.0:
                candidates.append(_candidate(hw, None, None, None, False, f"no {precision} compute", None, None))
                continue
            out = evaluate(p, part)
            why = []
            if out.latency > t:
                why.append(f"latency {out.latency * 1e3:.3g} ms > target (the dispatch tax alone is {part.tax * 1e6:.3g} us)")
            if out.count > cap:
                why.append(f"needs {out.count} accelerators (> max_count {cap})")
            if not math.isinf(money):
                if math.isnan(out.cost):
                    why.append("no unit price in the registry to check the budget")
                elif out.cost > money:
                    why.append(f"costs {out.cost:,.0f} USD > budget")
            candidates.append(_candidate(hw, out.group, out.replicas, out.count, not why, "; ".join(why), out.latency,
                                         None if math.isnan(out.cost) else out.cost))
        candidates.sort(key=lambda c: (not c.qualifies, math.inf if c._cost is None else c._cost, c.count or math.inf, c.key))
        qualifying = [c.key for c in candidates if c.qualifies]
        assumptions = [
            f"one batch of {batch} as Workload.lower gives it ({graph._ops / 1e9:.4g} GFLOP, {graph._bytes_moved / 1e9:.4g} GB moved)",
            f"efficiency={eff:g}, bandwidth_efficiency={bw_eff:g}; the dispatch tax is added per batch",
            "a group shares one model instance with the work split evenly and no communication: a lower bound on the count",
        ]
        result = SynthesisResult.view(
            req, model=m.name, precision=precision, batch_size=batch, qualifying=qualifying, candidates=candidates,
            bound=Wall.SYNTHESIS, feasible=bool(qualifying),
            reason="" if qualifying else "no part in the list meets every target", assumptions=assumptions,
            _target_latency=None if math.isinf(t) else t, _target_throughput=rate or None,
            _budget=None if math.isinf(money) else money,
        )
        if math.isinf(t):
            result._required_flops = result._required_bandwidth = None
        return result


def audit_row(ctx) -> dict | None:
    """The Synthesis line: applies when the knobs give a target; does this part meet it, and what would?"""
    knobs = getattr(ctx, "knobs", None) or {}
    if "target_latency" not in knobs and "target_throughput" not in knobs:
        return None
    args = {k: knobs[k] for k in ("target_latency", "target_throughput", "budget") if k in knobs}
    r = SynthesisSolver().solve(ctx.model, batch_size=ctx.batch_size, precision=ctx.precision, seq_len=ctx.seq_len,
                                hardware=[ctx.hardware], **args)
    c = r.candidates[0]
    peak, _ = ctx.hardware.peak_flops_si(r.precision)
    figure = r.required_flops if r.required_flops is not None else r.required_memory
    limit = make(peak, "flops") if r.required_flops is not None else make(ctx.hardware.memory._si["capacity"], "bytes")
    return {"wall": Wall.SYNTHESIS, "figure": figure, "limit": limit, "binds": not c.qualifies,
            "note": (f"{c.count} x {c.hardware} meet the target" if c.qualifies else f"{c.hardware}: {c.why_not}")}
