"""Failures of a synchronous job on many accelerators, and the checkpoint interval that minimises their cost.

  node MTBF   = accelerator MTBF / accelerators per node     (failure rates add)
  fleet MTBF  = accelerator MTBF / N                         (any failure stops the job)
  job MTBF    = 1 / (N / MTBF_acc + nodes / MTBF_node + 1 / MTBF_job)   (with component classes)
  interval    = MTBF_fleet + R                             (wall clock between interruptions; alternating renewal)
  P(failure)  = 1 - exp(-T / MTBF_fleet)
  delta       = checkpoint size / storage bandwidth          (size = P x (weight + 12 Adam) bytes)
  tau*        = sqrt(2 delta MTBF_fleet)                     (Young 1974; Daly 2006)
  waste       = delta / tau + (tau / 2 + R) / MTBF_fleet     (Daly 2006, first order)
  goodput     = 1 - waste

The default accelerator MTBF is the Llama 3 405B run's: 419 unexpected
interruptions in 54 days on 16,384 H100s (Dubey et al. 2024, Sec. 3.3.4), i.e.
a fleet MTBF of 3.1 h and 5.8 years per GPU, all causes included.

With ``node_mtbf`` and/or ``job_mtbf`` the interruptions come from component
classes instead: ``accelerator_mtbf`` is then the accelerator class alone (GPU,
HBM, SRAM, NVLink), ``node_mtbf`` one node's host and network share, and
``job_mtbf`` what does not scale with the hardware (software bugs,
dependencies, unexplained timeouts), so a small job on a mature cluster and a
large one on a young cluster are no longer the same per-GPU rate.
"""

from __future__ import annotations

import math

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs, _system
from .contract import floats, plan
from .defaults import DEFAULT_ACCELERATOR_MTBF_HOURS, DEFAULT_RESTART_TIME_S, DEFAULT_STORAGE_BANDWIDTH_BPS


class ReliabilityResult(Result):
    """MTBFs, failure odds, the Young-Daly interval, expected goodput and the time lost."""

    _plain_names = ("system", "accelerators", "failure_probability", "expected_failures", "waste_fraction", "goodput", "bound",
                    "dominant", "feasible", "reason", "assumptions")

    job_duration = quantity("time", "day")
    accelerator_mtbf = quantity("time", "year")
    node_mtbf = quantity("time", "hour")
    fleet_mtbf = quantity("time", "hour")
    interruption_interval = quantity("time", "hour", "fleet MTBF + restart time: mean wall-clock time between interruptions, "
                                     "what a log counting them over a calendar window sees")
    checkpoint_size = quantity("bytes", "TB", "None when the checkpoint time was given directly")
    checkpoint_time = quantity("time", "s", "time to write one checkpoint")
    restart_time = quantity("time", "minute")
    checkpoint_interval = quantity("time", "minute", "Young-Daly optimum sqrt(2 delta MTBF)")
    wasted_time = quantity("time", "hour", "job duration x waste fraction (wall clock)")
    wasted_accelerator_hours = quantity("time", "hour", "wasted time x accelerators")


@plan
class FailurePlan:
    """A checked reliability solve (s, counts, byte)."""

    job_duration: float
    accelerator_mtbf: float
    per_node: int
    accelerators: int
    nodes: int
    node_mtbf: float  # inf: the node class is folded into the accelerator MTBF
    job_mtbf: float  # inf: no scale-independent class
    checkpoint_size: float | None  # None when the write time was given directly
    checkpoint_time: float
    restart_time: float


@floats
class FailureFloats:
    job_duration: float
    accelerator_mtbf: float
    node_mtbf: float
    fleet_mtbf: float
    checkpoint_size: float | None
    checkpoint_time: float
    restart_time: float
    checkpoint_interval: float
    checkpoint_overhead: float  # fraction of time writing checkpoints
    failure_loss: float  # fraction of time lost to failures
    waste_fraction: float  # their sum, capped at 1
    failure_probability: float
    expected_failures: float
    wasted_time: float
    wasted_accelerator_hours: float
    interruption_interval: float  # running MTBF + restart time (wall clock)


def evaluate(p: FailurePlan) -> FailureFloats:
    """MTBFs, the Young-Daly interval, and the first-order waste (Young 1974; Daly 2006)."""
    t, delta, restart = p.job_duration, p.checkpoint_time, p.restart_time
    if p.node_mtbf == math.inf and p.job_mtbf == math.inf:
        fleet_mtbf = kernels.fleet_mtbf(p.accelerator_mtbf, p.accelerators)
    else:
        fleet_mtbf = kernels.job_interruption_mtbf(p.accelerators, p.nodes, p.accelerator_mtbf, p.node_mtbf, p.job_mtbf)
    interval = kernels.young_daly_interval(delta, fleet_mtbf) if delta > 0 else t
    waste = kernels.checkpoint_waste_fraction(interval, delta, fleet_mtbf, restart)
    node_mtbf = kernels.job_interruption_mtbf(p.per_node, 1.0, p.accelerator_mtbf, p.node_mtbf, math.inf)
    return FailureFloats(
        t, p.accelerator_mtbf, node_mtbf, fleet_mtbf, p.checkpoint_size, delta,
        restart, interval, kernels.checkpoint_overhead_fraction(delta, interval),
        kernels.failure_loss_fraction(interval, fleet_mtbf, restart), waste, kernels.failure_probability(t, fleet_mtbf),
        kernels.expected_failures(t, fleet_mtbf), waste * t, waste * t * p.accelerators,
        kernels.calendar_interruption_interval(fleet_mtbf, restart),
    )


class ReliabilityModel:
    """Failures and checkpointing of one job spanning a fleet (or N accelerators)."""

    def solve(
        self,
        system,
        job_duration,
        count: int | None = None,
        model=None,
        checkpoint_size=None,
        checkpoint_time=None,
        storage_bandwidth=None,
        accelerator_mtbf=None,
        restart_time=None,
        precision: str = "bf16",
        node_mtbf=None,
        job_mtbf=None,
    ) -> ReliabilityResult:
        """The checkpoint write time comes from ``checkpoint_time``, else from ``checkpoint_size`` (or the
        ``model``'s weights + Adam state) over ``storage_bandwidth`` (default 2 TB/s, Llama 3's storage).

        ``node_mtbf`` (one node's host + network) and ``job_mtbf`` (software and other causes that do not
        scale with the hardware) turn on the component-class model; ``accelerator_mtbf`` is then the
        accelerator class alone and must be given with them (an InputError otherwise: the all-cause default
        already contains the node and job shares)."""
        sys_ = _system.resolve(system, count)
        t = _system.duration(job_duration, "job_duration")
        restart = DEFAULT_RESTART_TIME_S if restart_time is None else _system.nonneg(restart_time, "restart_time", "time")
        mtbf_node = math.inf if node_mtbf is None else _system.positive(node_mtbf, "node_mtbf", "time")
        mtbf_job = math.inf if job_mtbf is None else _system.positive(job_mtbf, "job_mtbf", "time")
        if accelerator_mtbf is None and (node_mtbf is not None or job_mtbf is not None):
            raise InputError("accelerator_mtbf", None, "the accelerator class's own MTBF when node_mtbf or job_mtbf is given: the "
                             "all-cause default already holds the node and job shares, so adding classes to it would count them twice")
        mtbf_acc = DEFAULT_ACCELERATOR_MTBF_HOURS * 3600.0 if accelerator_mtbf is None else _system.positive(accelerator_mtbf, "accelerator_mtbf", "time")
        nodes = -(-sys_.count // sys_.per_node)
        size = None
        if checkpoint_time is not None:
            delta = _system.nonneg(checkpoint_time, "checkpoint_time", "time")
            source = "given"
        else:
            bw = DEFAULT_STORAGE_BANDWIDTH_BPS if storage_bandwidth is None else _system.positive(storage_bandwidth, "storage_bandwidth", "bandwidth")
            if checkpoint_size is not None:
                size = _system.positive(checkpoint_size, "checkpoint_size", "bytes")
            elif model is not None:
                m = _inputs.workload(model)
                size = kernels.checkpoint_bytes(m._si["parameters"], bytes_per_value(_inputs.check_precision(precision)), kernels.adam_state_bytes_per_parameter())
            else:
                raise InputError("checkpoint_time", None, "a checkpoint write time, or a checkpoint_size or model to derive it from")
            delta = kernels.checkpoint_write_time(size, bw)
            source = f"{size / 1e12:.4g} TB at {bw / 1e12:.4g} TB/s"

        out = evaluate(FailurePlan(t, mtbf_acc, sys_.per_node, sys_.count, nodes, mtbf_node, mtbf_job, size, delta, restart))
        fleet_mtbf, interval = out.fleet_mtbf, out.checkpoint_interval
        dominant = "failures" if out.failure_loss >= out.checkpoint_overhead else "checkpoints"
        feasible = out.waste_fraction < 1.0
        reason = "" if feasible else (
            f"the fleet fails every {fleet_mtbf / 3600:.3g} h on average, too often to make progress: checkpoint writes "
            f"({delta:.3g} s) and restarts ({restart:.3g} s) take all the time (goodput 0)")
        classes = mtbf_node != math.inf or mtbf_job != math.inf
        accelerator_line = (
            f"component classes: accelerator MTBF {mtbf_acc / 3600:.4g} h each, node (host + network) MTBF {mtbf_node / 3600:.4g} h "
            f"each over {nodes} nodes, job (software and other) MTBF {mtbf_job / 3600:.4g} h; exponential, independent; any failure stops the job"
            if classes else
            f"accelerator MTBF {mtbf_acc / 3600 / 8766:.3g} years, all causes folded in (default: Llama 3's 419 interruptions in 54 days "
            "on 16,384 H100, Dubey et al. 2024 Sec. 3.3.4); exponential and independent failures; any failure stops the job")
        assumptions = [
            accelerator_line,
            f"checkpoint write {delta:.4g} s ({source}); restart {restart / 60:.3g} min after each failure",
            "waste to first order (Daly 2006): valid while the checkpoint interval is well below the fleet MTBF",
        ]
        if interval > fleet_mtbf:
            assumptions.append("the Young-Daly interval exceeds the fleet MTBF: the first-order model is outside its range")
        return ReliabilityResult.view(
            out, system=sys_.name, accelerators=sys_.count, failure_probability=out.failure_probability,
            expected_failures=out.expected_failures, waste_fraction=out.waste_fraction, goodput=1.0 - out.waste_fraction,
            bound=Wall.FRAGILITY if dominant == "failures" else Wall.CHECKPOINT, dominant=dominant, feasible=feasible,
            reason=reason, assumptions=assumptions,
        )
