"""Ingestion: can storage, network and CPU preprocessing feed the accelerators? (Wall 8)

Each stage of the input pipeline supplies samples per second:

  storage  = devices x read bandwidth / bytes per sample
  network  = link bandwidth / bytes per sample            (when data crosses one)
  CPU      = cores / core-seconds per sample               (decode, augment, tokenise)

The accelerators consume ``demand`` samples/s (a number, or a ``SingleNodeModel``
result's throughput x accelerators). The pipeline runs at its slowest stage;
when that is below demand the accelerators stall for 1 - supply / demand of the
time (Mohan et al. 2021, "Analyzing and Mitigating Data Stalls in DNN Training",
PVLDB 14(5)). Storage tiers and per-sample costs come from
``mlsysim.pipeline_registry`` (sourced data) or are given.
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..physics import kernels
from ..pipeline_registry import Preprocessing, PreprocessingProfile, Storage, StorageTier
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs
from .contract import floats, plan
from .single_node import PerformanceProfile, SingleNodeModel

STAGES = ("storage", "network", "cpu")


@plan
class DataPlan:
    demand: float  # samples/s the accelerators consume
    storage_bandwidth: float  # all devices together
    network_bandwidth: float  # 0 = no network stage
    cores: float  # 0 = no CPU stage
    core_seconds_per_sample: float
    bytes_per_sample: float


@floats
class DataFloats:
    storage_supply: float
    network_supply: float | None
    cpu_supply: float | None
    supply: float
    delivered: float
    stall_fraction: float
    cores_needed: float | None
    bandwidth_needed: float
    binding_stage: str


def evaluate(p: DataPlan) -> DataFloats:
    """Each stage's supply, the slowest, and the stall it causes."""
    supplies = {"storage": kernels.stage_sample_rate(p.storage_bandwidth, p.bytes_per_sample)}
    if p.network_bandwidth > 0.0:
        supplies["network"] = kernels.stage_sample_rate(p.network_bandwidth, p.bytes_per_sample)
    if p.cores > 0.0:
        supplies["cpu"] = kernels.cpu_sample_rate(p.cores, p.core_seconds_per_sample)
    stage = min(supplies, key=supplies.get)
    supply = supplies[stage]
    stall = kernels.data_stall_fraction(supply, p.demand)
    return DataFloats(
        supplies["storage"], supplies.get("network"), supplies.get("cpu"), supply, min(supply, p.demand), stall,
        kernels.cores_needed(p.demand, p.core_seconds_per_sample) if p.core_seconds_per_sample > 0.0 else None,
        p.demand * p.bytes_per_sample, stage if stall > 0.0 else "accelerator",
    )


class DataResult(Result):
    """Samples/s each stage supplies against what the accelerators consume; the stall and the binding stage."""

    _plain_names = ("storage", "preprocessing", "binding_stage", "stall_fraction", "cores_needed", "feasible", "reason", "bound", "assumptions")

    demand = quantity("rate", None, "samples per second the accelerators consume")
    storage_supply = quantity("rate", None, "samples/s storage can read")
    network_supply = quantity("rate", None, "samples/s the network link carries (None without one)")
    cpu_supply = quantity("rate", None, "samples/s the CPU cores preprocess (None without a CPU stage)")
    supply = quantity("rate", None, "the slowest stage")
    delivered = quantity("rate", None, "samples/s training actually runs at: min(supply, demand)")
    bandwidth_needed = quantity("bandwidth", "GB/s", "demand x bytes per sample")
    sample_size = quantity("bytes", "kB", "bytes read per sample")


def _demand(demand, accelerators: int) -> tuple[float, str, Wall | None]:
    if isinstance(demand, PerformanceProfile):
        t = demand._throughput
        if not t or t <= 0:
            raise InputError("demand", demand.hardware, f"a result with a positive throughput ({demand.reason})")
        return t * accelerators, f"{accelerators} x {demand.hardware} at {t:.4g} samples/s ({demand.model})", Wall(demand.bound)
    return checks.quantity(demand, "demand", "rate") * accelerators, "given", None


def _storage(storage) -> tuple[float, str]:
    if isinstance(storage, StorageTier):
        return storage._si["read_bandwidth"], storage.name
    if isinstance(storage, str):
        try:
            tier = Storage.get(storage)
            return tier._si["read_bandwidth"], tier.name
        except KeyError:
            pass
    try:
        return checks.quantity(storage, "storage", "bandwidth"), f"{storage} read bandwidth"
    except InputError:
        names = ", ".join(repr(t.key) for t in Storage)
        raise InputError("storage", storage, f"a StorageTier, a registry name ({names}) or a positive read bandwidth such as '7 GB/s'") from None


class DataModel:
    """Input-pipeline supply (storage, network, CPU) against accelerator demand."""

    def solve(self, demand, storage="local_nvme", preprocessing=None, cpu_cores: int | None = None,
              cpu_time_per_sample=None, sample_size=None, network_bandwidth=None, accelerators: int = 1,
              storage_devices: int = 1) -> DataResult:
        """``demand``: samples/s ('5000 1/s') or a ``SingleNodeModel`` result (its throughput per accelerator),
        times ``accelerators``. ``storage``: a ``StorageTier``, a registry name ('local_nvme', 'nfs', 's3') or a
        bandwidth, times ``storage_devices``. ``preprocessing``: a ``PreprocessingProfile`` or name supplying the
        per-sample CPU core-seconds and bytes; ``cpu_time_per_sample`` and ``sample_size`` override it.
        ``cpu_cores`` adds the CPU stage; ``network_bandwidth`` a network stage."""
        n_acc = checks.positive_int(accelerators, "accelerators")
        rate, demand_src, demand_wall = _demand(demand, n_acc)
        n_dev = checks.positive_int(storage_devices, "storage_devices")
        bw, storage_name = _storage(storage)
        profile = None
        if preprocessing is not None:
            profile = _inputs.entry(preprocessing, "preprocessing", PreprocessingProfile, Preprocessing,
                                    "a PreprocessingProfile (e.g. Preprocessing.ImageNetJPEG) or a registry name such as 'imagenet_jpeg_augment'")
        t_cpu = profile._si["cpu_time_per_sample"] if profile is not None else 0.0
        if cpu_time_per_sample is not None:
            t_cpu = checks.quantity(cpu_time_per_sample, "cpu_time_per_sample", "time")
        if sample_size is not None:
            size = checks.quantity(sample_size, "sample_size", "bytes")
        elif profile is not None:
            size = profile._si["sample_bytes"]
        else:
            raise InputError("sample_size", None, "the bytes read per sample (e.g. '110 kB'), or a preprocessing profile that gives it")
        cores = 0.0 if cpu_cores is None else float(checks.positive_int(cpu_cores, "cpu_cores"))
        if cores > 0.0 and t_cpu <= 0.0:
            raise InputError("cpu_time_per_sample", None, "the CPU core-seconds per sample (e.g. '5 ms'), or a preprocessing profile, when cpu_cores is given")
        net = 0.0 if network_bandwidth is None else checks.quantity(network_bandwidth, "network_bandwidth", "bandwidth")

        # each input is finite, a product need not be (1e300 samples/s x 1e300 s per sample)
        out = checks.finite_floats(evaluate(DataPlan(rate, bw * n_dev, net, cores, t_cpu, size)), "supplies and cores needed",
                                   "demand, cpu_time_per_sample, sample_size, storage_devices, cpu_cores",
                                   (demand, cpu_time_per_sample, sample_size, storage_devices, cpu_cores))
        assumptions = [
            f"demand {rate:.6g} samples/s ({demand_src})",
            f"storage: {n_dev} x {storage_name}, {bw / 1e9:.4g} GB/s each, sequential reads of {size / 1e3:.4g} kB per sample",
            "stages overlap perfectly (prefetching); the slowest sets the rate (Mohan et al. 2021)",
        ]
        if cores > 0.0:
            assumptions.append(f"CPU: {cores:g} cores at {t_cpu * 1e3:.4g} ms per sample each, scaling linearly")
        elif t_cpu > 0.0:
            assumptions.append("no cpu_cores given: the CPU stage is left out (cores_needed says how many it would take)")
        else:
            assumptions.append("no CPU preprocessing stage")
        if out.stall_fraction > 0.0:
            bound = Wall.INGESTION
            reason = f"the {out.binding_stage} stage supplies {out.supply:.4g} of {rate:.4g} samples/s: the accelerators stall {out.stall_fraction:.1%} of the time"
        else:
            bound, reason = (demand_wall or Wall.COMPUTE), ""
        return DataResult.view(
            out, storage=storage_name, preprocessing=profile.name if profile is not None else None, binding_stage=out.binding_stage,
            stall_fraction=out.stall_fraction, cores_needed=out.cores_needed, feasible=True, reason=reason, bound=bound,
            assumptions=assumptions, _demand=rate, _sample_size=size,
        )


def audit_row(ctx) -> dict | None:
    """The audit's ingestion line, for training with ``knobs['preprocessing']`` (and optionally ``storage``, ``cpu_cores``)."""
    knobs = ctx.knobs or {}
    if ctx.workload != "training" or "preprocessing" not in knobs:
        return None
    prof = SingleNodeModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, is_training=True)
    r = DataModel().solve(prof, storage=knobs.get("storage", "local_nvme"), preprocessing=knobs["preprocessing"],
                          cpu_cores=knobs.get("cpu_cores"), accelerators=ctx.count or 1)
    return {"wall": Wall.INGESTION, "figure": r.supply, "limit": r.demand, "binds": r.bound is Wall.INGESTION,
            "note": f"binding stage {r.binding_stage}; stall {r.stall_fraction:.1%}"
                    + (f"; {r.cores_needed:.3g} cores needed" if r.cores_needed is not None else "")}
