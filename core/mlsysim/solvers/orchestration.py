"""Multi-tenant: how long a job waits in a shared, busy GPU cluster (Wall 16).

Training jobs arrive at rate lam, each needing k GPUs for a mean duration D.
Each is gang-scheduled -- all k GPUs at once -- and kept inside one node when it
fits there (whole nodes when it does not), or placed on MIG partitions of a GPU.
That fixes how many such jobs run at once (the *slots*) and how much of the
cluster no job can use (fragmentation). The queue of waiting jobs is then taken
as M/M/c with c = slots and mu = 1 / D (Erlang C, the kernels of Wall 7):

  slots        k <= g: N floor(g / k);   k > g: floor(N / ceil(k / g));   MIG: GPUs x floor(7 / s)
  utilisation  rho = lam D / slots;      GPU utilisation = lam D k / (N g)
  wait         P(wait) = C(slots, lam D); E[W] = C / (slots / D - lam); W_q = ln(C / (1 - q)) / (slots / D - lam)

This is an explicit approximation: one job size at a time, exponential
durations, first come first served. Real traces are heavier-tailed, mix sizes
and show head-of-line blocking of large gang jobs (Jeon et al. 2019, Philly;
Weng et al. 2022, "MLaaS in the Wild", NSDI, Alibaba PAI), so the waits here
are a lower bound for a mixed workload.
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..registries import Fleets
from ..results import Result, quantity
from ..systems.types import Fleet
from ..walls import Wall
from .contract import floats, plan

MIG_SLICES_PER_GPU = 7  # NVIDIA MIG User Guide: A100 / H100 split into up to seven GPU instances
MAX_SLOTS = 10**6  # Erlang B's recursion is one step per slot


@plan
class OrchestrationPlan:
    arrival_rate: float  # jobs/s
    duration: float  # s, mean
    slots: int
    gpus_per_job: float  # a MIG job counts its fraction of a GPU
    total_gpus: int


@floats
class OrchestrationFloats:
    stable: bool
    utilization: float
    gpu_utilization: float
    fragmentation: float
    wait_probability: float
    mean_wait: float | None
    p50_wait: float | None
    p95_wait: float | None
    p99_wait: float | None
    mean_turnaround: float | None


def evaluate(p: OrchestrationPlan) -> OrchestrationFloats:
    mu = 1.0 / p.duration
    a = p.arrival_rate * p.duration
    rho = a / p.slots
    gpu_util = a * p.gpus_per_job / p.total_gpus
    frag = kernels.allocation_fragmentation(p.slots, p.gpus_per_job, p.total_gpus)
    if rho >= 1.0:
        return OrchestrationFloats(False, rho, gpu_util, frag, 1.0, None, None, None, None, None)
    c_wait = kernels.erlang_c(p.slots, a)
    wait = kernels.mmc_mean_wait(p.slots, p.arrival_rate, mu, c_wait)

    def pct(q: float) -> float:
        return kernels.mmc_wait_percentile(q, c_wait, p.slots, p.arrival_rate, mu)

    return OrchestrationFloats(True, rho, gpu_util, frag, c_wait, wait, pct(0.5), pct(0.95), pct(0.99), wait + p.duration)


class OrchestrationResult(Result):
    """Slots, fragmentation, utilisation and the queueing delay of gang-scheduled jobs on a shared cluster."""

    _plain_names = ("cluster", "total_gpus", "gpus_per_job", "placement", "slots", "fragmentation", "utilization", "gpu_utilization",
                    "stable", "wait_probability", "feasible", "reason", "bound", "assumptions")

    arrival_rate = quantity("rate", None, "jobs per second")
    job_duration = quantity("time", "hour", "mean run time of one job")
    mean_wait = quantity("time", "hour", "mean time a job queues before it starts (None when unstable)")
    p50_wait = quantity("time", "hour")
    p95_wait = quantity("time", "hour")
    p99_wait = quantity("time", "hour")
    mean_turnaround = quantity("time", "hour", "mean wait + duration")


class OrchestrationModel:
    """Queueing delay vs utilisation on a shared GPU cluster, with gang scheduling, fragmentation and MIG."""

    def solve(self, arrival_rate, job_duration, gpus_per_job: int = 1, system=None, nodes: int | None = None,
              gpus_per_node: int | None = None, mig_slices: int | None = None,
              slices_per_gpu: int = MIG_SLICES_PER_GPU) -> OrchestrationResult:
        """``arrival_rate``: jobs per unit time ('12 1/hour'); ``job_duration``: their mean run time ('4 hour').
        The cluster is a ``Fleet`` (or name) as ``system``, or ``nodes`` x ``gpus_per_node`` (default 8).
        ``mig_slices``: a job takes that many of a GPU's ``slices_per_gpu`` MIG partitions instead of whole GPUs."""
        lam = checks.quantity(arrival_rate, "arrival_rate", "rate", minimum=0.0, low_open=False)
        d = checks.quantity(job_duration, "job_duration", "time")
        if system is not None:
            fleet = system if isinstance(system, Fleet) else (Fleets.get(system) if isinstance(system, str) else None)
            if fleet is None:
                raise InputError("system", system, "a Fleet (e.g. Fleets.Research256) or a fleet name")
            if nodes is not None or gpus_per_node is not None:
                raise InputError("nodes", nodes, "None when a system is given (the fleet fixes its nodes)")
            n_nodes, per_node, name = fleet.count, fleet.node.accelerators_per_node, fleet.name
        else:
            if nodes is None:
                raise InputError("nodes", None, "the number of nodes (an integer >= 1), or a system")
            n_nodes = checks.positive_int(nodes, "nodes")
            per_node = 8 if gpus_per_node is None else checks.positive_int(gpus_per_node, "gpus_per_node")
            name = f"{n_nodes} x {per_node} GPUs"
        total = n_nodes * per_node
        assumptions = ["Poisson job arrivals, exponential durations, first come first served; one job size (M/M/c on job slots)"]
        if mig_slices is not None:
            slices = checks.positive_int(slices_per_gpu, "slices_per_gpu")
            s = checks.integer(mig_slices, "mig_slices", 1, slices)
            slots = kernels.partition_slots(total, slices, s)
            per_job = s / slices
            placement = f"MIG: {s} of {slices} slices of one GPU"
            if slices_per_gpu == MIG_SLICES_PER_GPU:
                assumptions.append("MIG: up to 7 GPU instances per GPU (NVIDIA MIG User Guide)")
        else:
            k = checks.positive_int(gpus_per_job, "gpus_per_job")
            slots = kernels.gang_job_slots(n_nodes, per_node, k)
            per_job = float(k)
            placement = (f"{per_node // k} job(s) of {k} GPUs per node" if k <= per_node
                         else f"{-(-k // per_node)} whole nodes per {k}-GPU job")
            assumptions.append("gang scheduling: a job starts only with all its GPUs, inside one node when it fits there")
        if slots > MAX_SLOTS:
            # the arguments that set the cluster's size: the fleet, or nodes x gpus_per_node (x MIG slices per GPU)
            size = "system" if system is not None else "nodes, gpus_per_node" + (", slices_per_gpu, mig_slices" if mig_slices is not None else "")
            given = system.name if isinstance(system, Fleet) else system if system is not None else (nodes, gpus_per_node)
            raise InputError(size, given, f"a cluster of at most {MAX_SLOTS:,} concurrent job slots (this one has {slots:,})")
        if slots == 0:
            filled = {f"_{q}": None for q in OrchestrationResult._quantity_names} | {"_arrival_rate": lam, "_job_duration": d}
            return OrchestrationResult.view(
                None, cluster=name, total_gpus=total, gpus_per_job=per_job, placement=placement, slots=0, fragmentation=1.0,
                utilization=None, gpu_utilization=None, stable=False, wait_probability=None, feasible=False,
                reason=f"a {per_job:g}-GPU job does not fit in {name}", bound=Wall.CAPACITY, assumptions=assumptions, **filled)
        out = evaluate(OrchestrationPlan(lam, d, slots, per_job, total))
        reason = ""
        if not out.stable:
            reason = (f"jobs offer {lam * d:.4g} slot-loads to {slots} slots (utilisation {out.utilization:.3g} >= 1): "
                      "the queue grows without bound")
        if out.fragmentation > 0.0:
            assumptions.append(f"{out.fragmentation:.1%} of the GPUs can never hold a job of this size")
        return OrchestrationResult.view(
            out, cluster=name, total_gpus=total, gpus_per_job=per_job, placement=placement, slots=slots, fragmentation=out.fragmentation,
            utilization=out.utilization, gpu_utilization=out.gpu_utilization, stable=out.stable, wait_probability=out.wait_probability,
            feasible=out.stable, reason=reason, bound=Wall.MULTI_TENANT, assumptions=assumptions, _arrival_rate=lam, _job_duration=d)


def audit_row(ctx) -> dict | None:
    """The audit's multi-tenant line, when ``knobs`` has ``job_arrival_rate`` and ``job_duration`` (cluster: ``ctx.fleet``)."""
    knobs = ctx.knobs or {}
    if ctx.fleet is None or "job_arrival_rate" not in knobs or "job_duration" not in knobs:
        return None
    r = OrchestrationModel().solve(knobs["job_arrival_rate"], knobs["job_duration"], gpus_per_job=knobs.get("gpus_per_job", 1), system=ctx.fleet)
    if not r.stable:
        return {"wall": Wall.MULTI_TENANT, "figure": make(r.utilization or 0.0, "ratio"), "limit": make(1.0, "ratio"), "binds": True,
                "note": r.reason}
    return {"wall": Wall.MULTI_TENANT, "figure": r.mean_wait, "limit": r.job_duration, "binds": r.mean_wait.m_as("s") > r.job_duration.m_as("s"),
            "note": f"utilisation {r.utilization:.2f}, P(wait) {r.wait_probability:.2f}, fragmentation {r.fragmentation:.0%}"}
