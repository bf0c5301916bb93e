"""Failures of a synchronous job on many accelerators, and the checkpoint interval that minimises their cost.

  node MTBF   = accelerator MTBF / accelerators per node     (failure rates add)
  fleet MTBF  = accelerator MTBF / N                         (any failure stops the job)
  P(failure)  = 1 - exp(-T / MTBF_fleet)
  delta       = checkpoint size / storage bandwidth          (size = P x (weight + 12 Adam) bytes)
  tau*        = sqrt(2 delta MTBF_fleet)                     (Young 1974; Daly 2006)
  waste       = delta / tau + (tau / 2 + R) / MTBF_fleet     (Daly 2006, first order)
  goodput     = 1 - waste

The default accelerator MTBF is the Llama 3 405B run's: 419 unexpected
interruptions in 54 days on 16,384 H100s (Dubey et al. 2024, Sec. 3.3.4), i.e.
a fleet MTBF of 3.1 h and 5.8 years per GPU, all causes included.
"""

from __future__ import annotations

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs, _system
from .defaults import DEFAULT_ACCELERATOR_MTBF_HOURS, DEFAULT_RESTART_TIME_S, DEFAULT_STORAGE_BANDWIDTH_BPS


class ReliabilityResult(Result):
    """MTBFs, failure odds, the Young-Daly interval, expected goodput and the time lost."""

    _plain_names = ("system", "accelerators", "failure_probability", "expected_failures", "waste_fraction", "goodput", "bound",
                    "dominant", "feasible", "reason", "assumptions")

    job_duration = quantity("time", "day")
    accelerator_mtbf = quantity("time", "year")
    node_mtbf = quantity("time", "hour")
    fleet_mtbf = quantity("time", "hour")
    checkpoint_size = quantity("bytes", "TB", "None when the checkpoint time was given directly")
    checkpoint_time = quantity("time", "s", "time to write one checkpoint")
    restart_time = quantity("time", "minute")
    checkpoint_interval = quantity("time", "minute", "Young-Daly optimum sqrt(2 delta MTBF)")
    wasted_time = quantity("time", "hour", "job duration x waste fraction (wall clock)")
    wasted_accelerator_hours = quantity("time", "hour", "wasted time x accelerators")


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
    ) -> ReliabilityResult:
        """The checkpoint write time comes from ``checkpoint_time``, else from ``checkpoint_size`` (or the
        ``model``'s weights + Adam state) over ``storage_bandwidth`` (default 2 TB/s, Llama 3's storage)."""
        sys_ = _system.resolve(system, count)
        t = _system.duration(job_duration, "job_duration")
        mtbf_acc = DEFAULT_ACCELERATOR_MTBF_HOURS * 3600.0 if accelerator_mtbf is None else _system.positive(accelerator_mtbf, "accelerator_mtbf", "time")
        restart = DEFAULT_RESTART_TIME_S if restart_time is None else _system.nonneg(restart_time, "restart_time", "time")
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

        node_mtbf = kernels.fleet_mtbf(mtbf_acc, sys_.per_node)
        fleet_mtbf = kernels.fleet_mtbf(mtbf_acc, sys_.count)
        interval = kernels.young_daly_interval(delta, fleet_mtbf) if delta > 0 else t
        waste = kernels.checkpoint_waste_fraction(interval, delta, fleet_mtbf, restart)
        failures = kernels.failure_loss_fraction(interval, fleet_mtbf, restart)
        writes = kernels.checkpoint_overhead_fraction(delta, interval) if interval > 0 else 0.0
        dominant = "failures" if failures >= writes else "checkpoints"
        feasible = waste < 1.0
        reason = "" if feasible else (
            f"the fleet fails every {fleet_mtbf / 3600:.3g} h on average, too often to make progress: checkpoint writes "
            f"({delta:.3g} s) and restarts ({restart:.3g} s) take all the time (goodput 0)")
        assumptions = [
            f"accelerator MTBF {mtbf_acc / 3600 / 8766:.3g} years, exponential and independent failures; any failure stops the job",
            f"checkpoint write {delta:.4g} s ({source}); restart {restart / 60:.3g} min after each failure",
            "waste to first order (Daly 2006): valid while the checkpoint interval is well below the fleet MTBF",
        ]
        if interval > fleet_mtbf:
            assumptions.append("the Young-Daly interval exceeds the fleet MTBF: the first-order model is outside its range")
        return ReliabilityResult(
            system=sys_.name, accelerators=sys_.count, failure_probability=kernels.failure_probability(t, fleet_mtbf),
            expected_failures=kernels.expected_failures(t, fleet_mtbf), waste_fraction=waste, goodput=1.0 - waste,
            bound=Wall.FRAGILITY if dominant == "failures" else Wall.CHECKPOINT, dominant=dominant, feasible=feasible,
            reason=reason, assumptions=assumptions,
            _job_duration=t, _accelerator_mtbf=mtbf_acc, _node_mtbf=node_mtbf, _fleet_mtbf=fleet_mtbf,
            _checkpoint_size=size, _checkpoint_time=delta, _restart_time=restart, _checkpoint_interval=interval,
            _wasted_time=waste * t, _wasted_accelerator_hours=waste * t * sys_.count,
        )
