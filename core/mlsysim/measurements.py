"""Public measurements as data, and how each is predicted with the engine's public API.

The cases live in ``validation/*.toml`` (shipped in the wheel as
``mlsysim/_validation``; see ``validation/README.md`` for the format). Each
names its configuration as published, the measured value with its unit and a
*profile*: the efficiencies the prediction uses, declared per category before
looking at the cases. ``predict(case)`` turns one case into the engine's
prediction of the same metric, in the same unit, with the wall the engine says
binds. ``mlsysim.validation`` scores them; ``mlsysim.calibrate`` fits a
profile to one of them.

Predictions use solver results' public attributes only (``throughput``,
``latency``, ``ttft``, ``itl``, ``step_time``, ``mfu``, ``facility_energy``,
``operational_carbon``, ``fleet_mtbf``, ``bound``), so they keep working while
the solvers are restructured behind them.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .core.errors import InputError, MlsysimError
from .core.units import Q_
from .infrastructure.types import GridProfile
from .pipeline_registry import CpuHosts
from .registries import Fleets
from .solvers import DataModel, DistributedModel, Engine, ReliabilityModel, ServingModel, SustainabilityModel
from .systems.types import Fleet

KINDS = ("single_node", "serving_ttft", "serving_throughput", "serving_request_latency", "distributed", "distributed_scaling", "energy",
         "carbon", "fleet_mtbf", "job_mtti")
PROFILE_FIELDS = ("efficiency", "bandwidth_efficiency", "utilization", "framework_factor")
# a profile's named modelling choices: streams = "size-dependent" (serving: each weight matrix at the HBM
# table's fraction for its size, ServingModel(size_dependent_streams=True)) or "flat" (the default);
# compute = "table" (serving: every kernel at the Software wall's table for its size and precision,
# ServingModel(efficiency="table"), times framework_factor) or "flat" (one declared efficiency)
CHOICE_FIELDS = {"streams": ("flat", "size-dependent"), "compute": ("flat", "table"),
                 "launch": ("cuda_stream", "cuda_graph", "pytorch_eager"),
                 # serving: how the decode attention reads a grouped-query model's KV heads (ServingModel(kv_per_query_head=...))
                 "kv_reads": ("per-kv-head", "per-query-head")}
# serving: kernels one Transformer layer launches per pass (each at the profile's launch cost)
COUNT_FIELDS = ("kernels_per_layer",)
# component-class reliability profiles (kind job_mtti): hours between interruptions of one unit of each class
RATE_FIELDS = ("accelerator_mtbf_hours", "node_mtbf_hours", "job_mtbf_hours")
COMPONENT_CLASSES = {"accelerator": "accelerator_mtbf_hours", "node": "node_mtbf_hours", "job": "job_mtbf_hours"}
# what a distributed case's TFLOP/s or utilisation counts: model FLOPs (Chowdhery et al. 2022, App. B), model
# FLOPs with causal attention (s/2 keys per query, "model_causal"), or hardware FLOPs with the recompute pass
# (Narayanan et al. 2021, Eq. 3)
FLOP_CONVENTIONS = ("model", "model_causal", "hardware")


def validation_dir() -> Path:
    """Where the case files are: inside the installed wheel, or the repository's ``validation/``.

    Found the same way as the registry (``core.registry.registry_dir``).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_validation", here.parent.parent / "validation"):
        if candidate.is_dir():
            return candidate
    raise MlsysimError(f"validation data not found next to {here} (looked for _validation/ and ../../validation/)")


@dataclass(frozen=True)
class Case:
    """One published measurement: where it comes from, the configuration, the value and the declared profile."""

    id: str
    category: str
    kind: str
    source: dict
    where: str
    metric: str
    measured: float
    unit: str
    config: dict
    profile: dict
    profile_name: str
    source_bound: str | None = None
    pending: str | None = None
    excluded: str | None = None
    note: str = ""

    @property
    def scored(self) -> bool:
        """Whether the case counts in the error statistics (not pending new physics, not circular)."""
        return self.pending is None and self.excluded is None

    def with_profile(self, **values) -> "Case":
        """The same case predicted with other efficiencies (what calibration transfers)."""
        return replace(self, profile={**self.profile, **values})


@dataclass(frozen=True)
class Prediction:
    """The engine's value of a case's metric, in the case's unit, and the wall it says binds."""

    value: float
    bound: str
    feasible: bool = True
    reason: str = ""
    assumptions: tuple[str, ...] = field(default_factory=tuple)


def _case(raw: dict, category: str, sources: dict, profiles: dict, path: Path) -> Case:
    """One ``[[cases]]`` table checked and split into a Case (a clear error names the file, case and field)."""
    cid = raw.get("id", "?")

    def need(name):
        if name not in raw:
            raise InputError(f"{path.name}:{cid}.{name}", None, f"a '{name}' field in every case")
        return raw[name]

    kind = need("kind")
    if kind not in KINDS:
        raise InputError(f"{path.name}:{cid}.kind", kind, f"one of {', '.join(KINDS)}")
    sid = need("source")
    if sid not in sources:
        raise InputError(f"{path.name}:{cid}.source", sid, f"a source id defined in the file ({', '.join(sources)})")
    pname = need("profile")
    if pname not in profiles:
        raise InputError(f"{path.name}:{cid}.profile", pname, f"a profile defined in the file ({', '.join(profiles)})")
    measured = need("measured")
    if not isinstance(measured, dict) or "value" not in measured or "unit" not in measured:
        raise InputError(f"{path.name}:{cid}.measured", measured, "a table { value = <number>, unit = '<pint unit>' }")
    value = measured["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{path.name}:{cid}.measured.value", value, "a positive finite number")
    try:
        Q_(1.0, str(measured["unit"]))
    except Exception:  # pint raises several error types for an unknown unit
        raise InputError(f"{path.name}:{cid}.measured.unit", measured["unit"], "a unit pint knows, e.g. '1/s', 'ms', 'TFLOP/s', 'MWh'") from None
    for name, v in profiles[pname].items():
        if name in PROFILE_FIELDS and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < v <= 1.0):
            raise InputError(f"{path.name}:profiles.{pname}.{name}", v, "a fraction in (0, 1]")
        if name in CHOICE_FIELDS and v not in CHOICE_FIELDS[name]:
            raise InputError(f"{path.name}:profiles.{pname}.{name}", v, f"one of {', '.join(CHOICE_FIELDS[name])}")
        if name in RATE_FIELDS and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0):
            raise InputError(f"{path.name}:profiles.{pname}.{name}", v, "a positive finite number of hours")
        if name in COUNT_FIELDS and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
            raise InputError(f"{path.name}:profiles.{pname}.{name}", v, "a positive whole number")
    reserved = {"id", "kind", "source", "where", "metric", "measured", "profile", "source_bound", "pending", "excluded", "note"}
    config = {k: v for k, v in raw.items() if k not in reserved}
    return Case(
        id=cid, category=category, kind=kind, source={"id": sid, **sources[sid]}, where=need("where"), metric=need("metric"),
        measured=float(measured["value"]), unit=str(measured["unit"]), config=config,
        profile={k: v for k, v in profiles[pname].items() if k in PROFILE_FIELDS or k in RATE_FIELDS or k in CHOICE_FIELDS
                 or k in COUNT_FIELDS},
        profile_name=pname,
        source_bound=raw.get("source_bound"), pending=raw.get("pending"), excluded=raw.get("excluded"), note=raw.get("note", ""),
    )


def make_case(raw: dict, category: str = "user") -> Case:
    """A Case from a plain dict in the validation-file format (for one's own measurement).

    ``source`` (a title) and ``profile`` (a dict of efficiencies) are optional:
    ``{"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256,
    "precision": "fp16", "training": True, "measured": {"value": 2470, "unit": "1/s"}}``.
    """
    if not isinstance(raw, dict):
        raise InputError("measurement", raw, "a Case or a dict in the validation-file format (kind, configuration, measured)")
    profile = raw.get("profile", {})
    if not isinstance(profile, dict):
        raise InputError("profile", profile, "a dict of efficiencies, e.g. {'efficiency': 0.5}")
    raw = {"id": "measurement", "where": "given", "metric": "given", "source": "given", **raw, "profile": "given"}
    title = raw["source"] if isinstance(raw["source"], str) else "given"
    return _case({**raw, "source": "given"}, category, {"given": {"title": title}}, {"given": profile}, Path("<measurement>"))


def load_file(path: Path) -> tuple[dict, list[Case]]:
    """(the file's header: category, title, profiles, sources; its cases)."""
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    category = doc.get("category", path.stem)
    sources, profiles = doc.get("sources", {}), doc.get("profiles", {})
    cases = [_case(raw, category, sources, profiles, path) for raw in doc.get("cases", [])]
    header = {"category": category, "title": doc.get("title", ""), "profiles": profiles, "sources": sources, "file": path.name,
              "ceiling": _ceiling(doc.get("ceiling"), path)}
    return header, cases


def _ceiling(raw, path: Path) -> dict | None:
    """A category's committed error ceilings ``[ceiling] median = .., p90 = ..`` (fractions), or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"median", "p90", "note"} or not {"median", "p90"} & set(raw):
        raise InputError(f"{path.name}:ceiling", raw, "a table { median = <fraction>, p90 = <fraction> } (either or both)")
    for name in ("median", "p90"):
        v = raw.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0):
            raise InputError(f"{path.name}:ceiling.{name}", v, "a positive finite fraction (0.15 = 15%)")
    return {k: float(v) for k, v in raw.items() if k in ("median", "p90")}


def load_cases(path=None) -> tuple[list[dict], list[Case]]:
    """Every category header and case under ``path`` (default: ``validation_dir()``), files in name order."""
    root = Path(path) if path is not None else validation_dir()
    if not root.is_dir():
        raise InputError("path", str(root), "a folder of validation TOML files")
    headers, cases = [], []
    for file in sorted(root.glob("*.toml")):
        header, found = load_file(file)
        headers.append(header)
        cases.extend(found)
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError("case id", dup[0], "ids unique across all validation files")
    return headers, cases


def find(case_id: str, cases: list[Case]) -> Case:
    """The case with this id (an InputError listing close ids otherwise)."""
    for c in cases:
        if c.id == case_id:
            return c
    raise InputError("case_id", case_id, f"one of the {len(cases)} case ids (e.g. {', '.join(c.id for c in cases[:3])})")


# ---------------------------------------------------------------------------
# Predictors: one per kind, the public API only
# ---------------------------------------------------------------------------


def _in_unit(quantity, unit: str) -> float:
    return float(quantity.to(unit).magnitude)


def _declared(profile: dict, name: str, default: float) -> float:
    """A profile's value for ``name``; ``default`` when it declares none (absent, or None: left to the engine)."""
    v = profile.get(name)
    return default if v is None else v


def single_node_result(case: Case):
    """The engine's ``PerformanceProfile`` of a single-node case, configured as published (what ``predict``
    reads, and what calibration reads the engine's own defaults from)."""
    c, p = case.config, case.profile
    # a profile that declares no efficiency gets the engine's own defaults (the Software wall's tables)
    return Engine.solve(
        model=c["model"], hardware=c["hardware"], batch_size=c["batch"], precision=c["precision"],
        efficiency=p.get("efficiency"), bandwidth_efficiency=p.get("bandwidth_efficiency"),
        is_training=bool(c.get("training", False)), seq_len=c.get("seq_len"), execution=c.get("execution", "eager"),
        memory_format=c.get("memory_format"),
        accumulation_steps=c.get("accumulation_steps", 1),
        mixed_precision=c.get("mixed_precision"), framework_factor=p.get("framework_factor"),
    )


def pipeline_cores(case: Case) -> int:
    """CPU cores a single-node case's input pipeline runs on: its DataLoader workers, at most the host's cores.

    Each PyTorch DataLoader worker is one process whose PIL decode and resize run on its own thread, so it
    keeps at most one core busy; the host runs no more workers at once than it has cores.
    """
    c = case.config
    workers = c.get("data_workers")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers <= 0:
        raise InputError(f"{case.id}.data_workers", workers, "a positive whole number of DataLoader worker processes per accelerator")
    name = c.get("cpu_host")
    try:
        host = CpuHosts.get(name)
    except (KeyError, TypeError):
        names = ", ".join(repr(h.key) for h in CpuHosts)
        raise InputError(f"{case.id}.cpu_host", name, f"a CPU host of the registry ({names})") from None
    return min(workers, host.cores)


def input_pipeline(case: Case, accelerator):
    """The published input pipeline against the accelerator's demand (``DataModel``, the Ingestion wall), or None
    when the case declares none (``preprocessing`` absent: synthetic data, or decoding off the CPU).

    A case declares ``preprocessing`` (a registry profile: the core-seconds and bytes per sample),
    ``data_workers`` (worker processes per accelerator) and ``cpu_host``; the pipeline supplies
    ``pipeline_cores(case) / cpu_time_per_sample`` samples/s, and the case runs at the slower of it and the
    accelerator (Mohan et al. 2021, PVLDB 14(5): the stages overlap, the slowest sets the rate).
    """
    if "preprocessing" not in case.config:
        return None
    return DataModel().solve(accelerator, preprocessing=case.config["preprocessing"], cpu_cores=pipeline_cores(case))


def _single_node(case: Case) -> Prediction:
    r = single_node_result(case)
    target = Q_(1.0, case.unit)
    if target.check("[time]"):
        if "preprocessing" in case.config:
            raise InputError(f"{case.id}.preprocessing", case.config["preprocessing"], "an input pipeline on a throughput case (a latency case has none)")
        return Prediction(_in_unit(r.latency, case.unit), str(r.bound), r.feasible, r.reason, tuple(r.assumptions))
    feed = input_pipeline(case, r) if r.feasible else None
    if feed is None:
        return Prediction(_in_unit(r.throughput, case.unit), str(r.bound), r.feasible, r.reason, tuple(r.assumptions))
    return Prediction(_in_unit(feed.delivered, case.unit), str(feed.bound), r.feasible, feed.reason or r.reason,
                      tuple(r.assumptions) + tuple(feed.assumptions))


def _serve(case: Case, output_tokens: int | None):
    """The case's configuration through ``ServingModel``: prompt, output, KV precision and tensor parallelism as published."""
    c, p = case.config, case.profile
    # the tables, unless a calibration fitted one efficiency to replace them (calibrate.py sets "efficiency")
    tabled = p.get("compute") == "table" and p.get("efficiency") is None
    return ServingModel().solve(
        c["model"], c["hardware"], input_tokens=c["input_len"], output_tokens=output_tokens, batch_size=c["batch"],
        precision=c["precision"], efficiency="table" if tabled else _declared(p, "efficiency", 0.5), kv_precision=c.get("kv_precision"),
        bandwidth_efficiency=_declared(p, "bandwidth_efficiency", 1.0), tp=c.get("tp", 1), weight_kernel=c.get("weight_kernel"),
        group_size=c.get("group_size"), size_dependent_streams=p.get("streams") == "size-dependent",
        framework_factor=p.get("framework_factor") if tabled else None, kernels_per_layer=p.get("kernels_per_layer"),
        launch=p.get("launch", "cuda_stream"), kv_per_query_head=p.get("kv_reads") == "per-query-head",
    )


def _serving_ttft(case: Case) -> Prediction:
    r = _serve(case, None)
    bound = "capacity" if not r.feasible else str(r.prefill_wall)
    return Prediction(_in_unit(r.ttft, case.unit), bound, r.feasible, r.reason, tuple(r.assumptions))


def request_time(ttft: float, output_len: int, mean_itl: float) -> float:
    """Seconds for one static batch of requests: prefill, then ``output_len`` decode steps at the mean ITL.

    T = TTFT + output_len x ITL (``kernels.request_latency``); ``ServingModel`` with
    ``output_tokens`` reports the whole request itself (its prefill emits the first token).
    """
    return ttft + output_len * mean_itl


def _serving_throughput(case: Case) -> Prediction:
    c = case.config
    r = _serve(case, c["output_len"])
    per_gpu = "per GPU" in case.metric
    value = r.output_tokens_per_second.m_as("1/s") / (c.get("tp", 1) if per_gpu else 1)
    bound = "capacity" if not r.feasible else str(r.bound)
    return Prediction(_in_unit(Q_(value, "1/s"), case.unit), bound, r.feasible, r.reason, tuple(r.assumptions))


def _serving_request_latency(case: Case) -> Prediction:
    r = _serve(case, case.config["output_len"])
    return Prediction(_in_unit(r.request_latency, case.unit), "capacity" if not r.feasible else str(r.bound), r.feasible, r.reason,
                      tuple(r.assumptions))


def fleet_of(name: str, gpus: int) -> Fleet:
    """A registry fleet's node and fabric with as many nodes as the measurement used."""
    base = Fleets.get(name)
    per_node = base.node.accelerators_per_node
    if gpus % per_node:
        raise InputError("gpus", gpus, f"a multiple of {base.name}'s {per_node} accelerators per node")
    return Fleet(name=f"{base.name}, {gpus} accelerators", node=base.node, count=gpus // per_node, fabric=base.fabric,
                 datacenter=base.datacenter, grid=base.grid)


def _distributed(case: Case) -> Prediction:
    c, p = case.config, case.profile
    fleet = fleet_of(c["fleet"], c["gpus"])
    r = DistributedModel().solve(
        c["model"], fleet, batch_size=c["batch"], precision=c["precision"], efficiency=_declared(p, "efficiency", 0.5),
        tp_size=c.get("tp", 1), pp_size=c.get("pp", 1), microbatch_count=c.get("microbatch_count"),
        zero_stage=c.get("zero_stage", 0), seq_len=c.get("seq_len"), recompute=c.get("recompute", "selective"),
        cp_size=c.get("cp", 1), virtual_stages=c.get("virtual_stages", 1), attention=c.get("attention", "causal"),
        overlap_comm=bool(c.get("overlap_comm", False)), overlap_p2p=bool(c.get("overlap_p2p", False)),
    )
    convention = c.get("flop_convention", "model")
    if convention not in FLOP_CONVENTIONS:
        raise InputError(f"{case.id}.flop_convention", convention,
                         "'model' (6PD + full-window attention, PaLM App. B), 'model_causal' (6PD + causal attention) or 'hardware' "
                         "(with recompute, Megatron Eq. 3)")
    if "flops_per_step" in c:  # the source's own FLOP count over the predicted step: its convention by construction
        flops = float(c["flops_per_step"]["value"])
        value = _in_unit(Q_(flops / _in_unit(r.step_time, "s") / c["gpus"], "flop/s"), case.unit)
    else:
        if Q_(1.0, case.unit).dimensionless:
            value = float({"model": r.mfu, "model_causal": r.causal_mfu, "hardware": r.hfu}[convention])
        else:
            flops = {"model": r.model_flops, "model_causal": r.causal_model_flops, "hardware": r.hardware_flops}[convention]
            value = _in_unit(flops / r.step_time / c["gpus"], case.unit)
    return Prediction(value, str(r.bound), r.feasible, r.reason, tuple(r.assumptions))


def _distributed_scaling(case: Case) -> Prediction:
    """N-GPU over 1-GPU throughput at a fixed per-GPU batch (what a "strong scaling" column of weak-scaling runs shows).

    One GPU runs the same per-GPU batch with no gradient exchange, so its step is the
    N-GPU step's compute: speedup = N x compute / step = N x scaling efficiency.
    """
    c, p = case.config, case.profile
    fleet = fleet_of(c["fleet"], c["gpus"])
    r = DistributedModel().solve(
        c["model"], fleet, batch_size=c["batch_per_gpu"] * c["gpus"], precision=c["precision"], efficiency=_declared(p, "efficiency", 0.5),
        microbatch_count=1, overlap_comm=bool(c.get("overlap_comm", False)),
    )
    return Prediction(c["gpus"] * float(r.scaling_efficiency), str(r.bound), r.feasible, r.reason, tuple(r.assumptions))


def _footprint(case: Case):
    c, p = case.config, case.profile
    d = c["duration"]
    grid = c.get("grid")
    if "carbon_intensity" in c:  # the source's own datacenter intensity, as published
        ci = c["carbon_intensity"]
        grid = GridProfile(name=f"{case.id} datacenter", carbon_intensity=Q_(ci["value"], ci["unit"]), pue=c.get("pue", 1.1))
    return SustainabilityModel().solve(
        c["hardware"], Q_(d["value"], d["unit"]), grid=grid, count=c.get("count", 1),
        utilization=_declared(p, "utilization", 1.0), pue=c.get("pue"),
    )


def _energy(case: Case) -> Prediction:
    r = _footprint(case)
    q = r.facility_energy if case.config.get("energy", "facility") == "facility" else r.it_energy
    return Prediction(_in_unit(q, case.unit), str(r.bound), True, "", tuple(r.assumptions))


def _carbon(case: Case) -> Prediction:
    r = _footprint(case)
    return Prediction(_in_unit(r.operational_carbon, case.unit), str(r.bound), True, "", tuple(r.assumptions))


def _fleet_mtbf(case: Case) -> Prediction:
    c = case.config
    # the fleet MTBF does not depend on the job length or checkpointing; 30 days and no checkpoint cost are placeholders
    r = ReliabilityModel().solve(c["hardware"], Q_(30, "day"), count=c["count"], checkpoint_time=Q_(0, "s"))
    return Prediction(_in_unit(r.fleet_mtbf, case.unit), str(r.bound), True, "", tuple(r.assumptions))


def _job_mtti(case: Case) -> Prediction:
    """Job interruptions from component classes, each at the rate the profile declares (per unit)."""
    c, p = case.config, case.profile
    classes = c.get("classes", list(COMPONENT_CLASSES))
    if not isinstance(classes, list) or not classes or set(classes) - set(COMPONENT_CLASSES):
        raise InputError(f"{case.id}.classes", classes, f"a non-empty list of {', '.join(COMPONENT_CLASSES)}")
    hours = {name: (Q_(p[COMPONENT_CLASSES[name]], "hour") if name in classes else None) for name in COMPONENT_CLASSES}
    if hours["accelerator"] is None:  # the solver needs an accelerator MTBF: a class left out is an infinite one
        hours["accelerator"] = Q_(1e30, "s")
    downtime = _downtime(case)
    r = ReliabilityModel().solve(fleet_of(c["fleet"], c["gpus"]), Q_(30, "day"), checkpoint_time=Q_(0, "s"),
                                 accelerator_mtbf=hours["accelerator"], node_mtbf=hours["node"], job_mtbf=hours["job"],
                                 restart_time=downtime)
    # a log that counts interruptions over a calendar window, with the time each took to restart, sees
    # one every MTBF + downtime (kernels.calendar_interruption_interval); otherwise the running MTBF
    interval = r.fleet_mtbf if downtime is None else r.interruption_interval
    return Prediction(_in_unit(interval, case.unit), str(r.bound), True, "", tuple(r.assumptions))


def _downtime(case: Case):
    """A job_mtti case's published mean downtime per interruption (``downtime = { value, unit }``), or None."""
    d = case.config.get("downtime")
    if d is None:
        return None
    v = d.get("value") if isinstance(d, dict) else None
    if (not isinstance(d, dict) or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0
            or "unit" not in d):  # as the measured value's check: no true/false, nan or inf for a number
        raise InputError(f"{case.id}.downtime", d, "a table { value = <hours, >= 0>, unit = \"hour\" }: the mean time "
                         "from an interruption to the restarted run, as the source logs it")
    try:
        q = Q_(d["value"], d["unit"])
        q.to("s")
    except Exception as exc:  # pint's undefined-unit and dimensionality errors
        raise InputError(f"{case.id}.downtime", d, "a time, e.g. { value = 4.1, unit = \"hour\" }") from exc
    return q


PREDICTORS = {
    "single_node": _single_node, "serving_ttft": _serving_ttft, "serving_throughput": _serving_throughput,
    "serving_request_latency": _serving_request_latency, "distributed": _distributed,
    "distributed_scaling": _distributed_scaling, "energy": _energy,
    "carbon": _carbon, "fleet_mtbf": _fleet_mtbf, "job_mtti": _job_mtti,
}


def predict(case: Case) -> Prediction:
    """The engine's prediction of ``case``'s metric with the case's declared profile."""
    value = PREDICTORS[case.kind](case)
    if not math.isfinite(value.value):
        return replace(value, feasible=False, reason=value.reason or "the engine returned no finite value")
    return value


def signed_error(predicted: float, measured: float) -> float:
    """(predicted - measured) / measured: +0.25 means 25% too high."""
    return (predicted - measured) / measured
