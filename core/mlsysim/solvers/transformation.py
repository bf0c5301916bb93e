"""Transformation: what preprocessing costs in CPU cores, machines and power beside the trainers (Wall 9).

  cores    = demand (samples/s) x core-seconds per sample          (Little's law)
  hosts    = ceil(cores / cores per host)
  power    = hosts x host power, against accelerators x TDP of the trainers
  energy   = core-seconds x host power / cores per host, per sample

Offloaded to the accelerators instead, every sample also costs accelerator time:
throughput = N / (t_train + t_preprocess). Zhao et al. 2022 ("Understanding
Data Storage and Ingestion for Large-Scale Deep Recommendation Model
Training", ISCA) describe Meta's disaggregated preprocessing service, which
scales to hundreds of nodes per job because online preprocessing needs more
compute, memory and network than the trainers themselves have.
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..physics import kernels
from ..pipeline_registry import CpuHost, CpuHosts, Preprocessing, PreprocessingProfile
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs
from .contract import floats, plan
from .single_node import PerformanceProfile, SingleNodeModel

@plan
class TransformationPlan:
    demand: float  # samples/s the trainers consume
    core_seconds_per_sample: float
    cores_per_host: float
    host_power: float
    accelerators: int
    trainer_power: float  # per accelerator (0 = unknown)
    accelerator_seconds_per_sample: float  # preprocessing on an accelerator (0 = not offloaded)


@floats
class TransformationFloats:
    cores_needed: float
    hosts_needed: int
    preprocessing_power: float
    trainers_power: float | None  # None when no trainer power is known
    power_ratio: float | None
    energy_per_sample: float
    offloaded_throughput: float | None
    offload_slowdown: float | None  # offloaded throughput / demand


def evaluate(p: TransformationPlan) -> TransformationFloats:
    cores = kernels.cores_needed(p.demand, p.core_seconds_per_sample)
    hosts = kernels.hosts_needed(cores, p.cores_per_host)
    power = hosts * p.host_power
    trainers = p.accelerators * p.trainer_power
    off = slow = None
    if p.accelerator_seconds_per_sample > 0.0:
        off = kernels.offloaded_throughput(p.accelerators, p.accelerators / p.demand, p.accelerator_seconds_per_sample)
        slow = off / p.demand
    return TransformationFloats(cores, hosts, power, trainers if trainers > 0 else None, power / trainers if trainers > 0 else None,
                                kernels.preprocessing_energy_per_sample(p.core_seconds_per_sample, p.host_power, p.cores_per_host),
                                off, slow)


class TransformationResult(Result):
    """Cores, machines and power the preprocessing needs, against the trainers; the offloaded alternative."""

    _plain_names = ("preprocessing", "host", "cores_needed", "hosts_needed", "power_ratio", "offload_slowdown",
                    "feasible", "reason", "bound", "assumptions")

    demand = quantity("rate", None, "samples/s the trainers consume")
    cpu_time_per_sample = quantity("time", "ms", "core-seconds per sample")
    preprocessing_power = quantity("power", "kW", "hosts x host power")
    trainers_power = quantity("power", "kW", "accelerators x TDP (None when unknown)")
    energy_per_sample = quantity("energy", "J", "preprocessing energy per sample on a busy host")
    offloaded_throughput = quantity("rate", None, "samples/s if the accelerators preprocess too (None unless given a per-sample accelerator time)")


class TransformationModel:
    """Preprocessing on CPU hosts beside the trainers, or offloaded to the accelerators."""

    def solve(self, demand, preprocessing=None, cpu_time_per_sample=None, host="epyc9654_2s", accelerators: int = 1,
              hardware=None, trainer_power=None, accelerator_time_per_sample=None) -> TransformationResult:
        """``demand``: samples/s the trainers consume in total, or a ``SingleNodeModel`` result (its throughput
        x ``accelerators``). The per-sample cost is a ``PreprocessingProfile`` (or name), or ``cpu_time_per_sample``
        in core-seconds. ``host``: a ``CpuHost`` or registry name. Trainer power: ``trainer_power`` per accelerator,
        else the ``hardware``'s (or the result's accelerator's) TDP. ``accelerator_time_per_sample`` prices the
        offloaded alternative."""
        n = checks.positive_int(accelerators, "accelerators")
        hw = None
        if isinstance(demand, PerformanceProfile):
            if not demand._throughput or demand._throughput <= 0:
                raise InputError("demand", demand.hardware, f"a result with a positive throughput ({demand.reason})")
            rate, src = demand._throughput * n, f"{n} x {demand.hardware} ({demand.model})"
            if hardware is None:
                hardware = demand.hardware
        else:
            rate, src = checks.quantity(demand, "demand", "rate"), "given"
        if hardware is not None:
            hw = _inputs.hardware(hardware)
        profile = None
        if preprocessing is not None:
            profile = _inputs.entry(preprocessing, "preprocessing", PreprocessingProfile, Preprocessing,
                                    "a PreprocessingProfile (e.g. Preprocessing.ImageNetJPEG) or a registry name")
        if cpu_time_per_sample is not None:
            t = checks.quantity(cpu_time_per_sample, "cpu_time_per_sample", "time")
        elif profile is not None:
            t = profile._si["cpu_time_per_sample"]
        else:
            raise InputError("cpu_time_per_sample", None, "the CPU core-seconds per sample (e.g. '5 ms'), or a preprocessing profile")
        machine = _inputs.entry(host, "host", CpuHost, CpuHosts, "a CpuHost (e.g. CpuHosts.EPYC9654x2) or a registry name such as 'epyc9654_2s'")
        if trainer_power is not None:
            p_acc = checks.quantity(trainer_power, "trainer_power", "power")
        elif hw is not None and hw._si.get("tdp"):
            p_acc = hw._si["tdp"]
        else:
            p_acc = 0.0
        t_acc = 0.0 if accelerator_time_per_sample is None else checks.quantity(accelerator_time_per_sample, "accelerator_time_per_sample", "time")

        # each is finite, their product need not be: 1e300 samples/s x 1e300 s is no number of cores
        checks.finite_result(kernels.cores_needed(rate, t), "cores needed (demand x cpu_time_per_sample)",
                             "demand, cpu_time_per_sample", (demand, cpu_time_per_sample))
        out = checks.finite_floats(
            evaluate(TransformationPlan(rate, t, float(machine.cores), machine._si["power"], n, p_acc, t_acc)),
            "cores, power and throughput", "demand, cpu_time_per_sample, accelerators, trainer_power, accelerator_time_per_sample",
            (demand, cpu_time_per_sample, accelerators, trainer_power, accelerator_time_per_sample))
        assumptions = [
            f"demand {rate:.6g} samples/s ({src}); {t * 1e3:.4g} ms of one core per sample"
            + (f" ({profile.name})" if profile is not None else ""),
            f"hosts: {machine.name}, {machine.cores} cores at {machine._si['power']:.4g} W, fully busy; cores scale linearly",
            "power: the hosts' CPU power against the accelerators' TDP (memory, storage, network and PUE not included)",
        ]
        if p_acc == 0.0:
            assumptions.append("no trainer power known (pass hardware= or trainer_power=): power_ratio is None")
        if t_acc > 0.0:
            assumptions.append(f"offloaded: {t_acc * 1e3:.4g} ms of accelerator time per sample, not overlapped with training")
        heavy = out.power_ratio is not None and out.power_ratio >= 1.0
        slow = out.offload_slowdown is not None and out.offload_slowdown < 0.5
        if heavy or slow or not isinstance(demand, PerformanceProfile):
            bound = Wall.TRANSFORMATION
        else:
            bound = Wall(demand.bound)
        reason = ""
        if heavy:
            reason = f"preprocessing needs {out.preprocessing_power / 1e3:.4g} kW, {out.power_ratio:.3g}x the trainers' {out.trainers_power / 1e3:.4g} kW"
        return TransformationResult.view(
            out, preprocessing=profile.name if profile is not None else None, host=machine.name,
            cores_needed=out.cores_needed, hosts_needed=out.hosts_needed, power_ratio=out.power_ratio, offload_slowdown=out.offload_slowdown,
            feasible=True, reason=reason, bound=bound, assumptions=assumptions, _demand=rate, _cpu_time_per_sample=t,
        )


def audit_row(ctx) -> dict | None:
    """The audit's transformation line, for training with ``knobs['preprocessing']``: preprocessing power vs the trainers'."""
    knobs = ctx.knobs or {}
    if ctx.workload != "training" or "preprocessing" not in knobs:
        return None
    prof = SingleNodeModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, is_training=True)
    r = TransformationModel().solve(prof, preprocessing=knobs["preprocessing"], host=knobs.get("host", "epyc9654_2s"),
                                    accelerators=ctx.count or 1, hardware=ctx.hardware)
    return {"wall": Wall.TRANSFORMATION, "figure": r.preprocessing_power, "limit": r.trainers_power,
            "binds": r.bound is Wall.TRANSFORMATION,
            "note": f"{r.cores_needed:.4g} cores on {r.hosts_needed} hosts"}
