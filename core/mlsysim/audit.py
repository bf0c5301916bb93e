"""The composed audit: every wall whose solver applies to one configuration, in one table.

    >>> a = mlsysim.audit("llama3_8b", "h100", "serving", batch_size=32, seq_len=2048)
    >>> a.binding, a.feasible
    (<Wall.MEMORY: 'memory'>, True)
    >>> print(a.table())

``audit(model, system, workload, ...)`` resolves the configuration once into an
``AuditContext`` whose solver results (the step, then the ledgers of energy,
money and failures) are computed on first use and shared by every line. Each
wall contributes a line through a function registered with
``register_line(wall)``; a new wall's solver adds its line the same way,
without touching this module's core.

Each ``AuditRow`` gives the wall's *figure* (what the configuration asks of
it), its *limit* (what the system allows, or the step time it competes for),
whether it *binds* and a note. Two kinds of wall:

- **constraints** (capacity, the KV cache, failures, a money or carbon budget):
  a binding constraint makes the configuration infeasible;
- **speed walls** (compute, memory, communication): exactly one sets the step.

``Audit.binding`` is the first binding constraint, else the speed wall that
sets the step; ``Audit.feasible`` is False when a constraint binds, and
``Audit.reason`` says why.

The lines of the walls solved in their own modules are registered by
``audit_lines`` (this module holds the first walls' lines and the machinery, ~500 lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .core.errors import InputError, UnknownEntryError
from .core.units import Quantity, make
from .hardware.types import HardwareNode
from .registries import Fleets
from .solvers import _inputs, _system
from .solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY, DEFAULT_LINK_LATENCY_S, DEFAULT_UTILIZATION
from .solvers.distributed import DistributedModel
from .solvers.economics import EconomicsModel
from .solvers.parallelism import ParallelismOptimizer
from .solvers.reliability import ReliabilityModel
from .solvers.serving import serve_group
from .solvers.single_node import SingleNodeModel
from .solvers.sustainability import SustainabilityModel
from .systems.types import Fleet
from .walls import Wall

WORKLOADS = ("inference", "training", "serving")

# A binding constraint makes the configuration infeasible; the speed walls only say which one sets the step.
# Tail latency and Synthesis bind only when a target the user set (a p99 SLA, a synthesis target) is missed.
CONSTRAINTS = frozenset({Wall.CAPACITY, Wall.SERVING, Wall.FRAGILITY, Wall.CAPITAL, Wall.SUSTAINABILITY,
                         Wall.TAIL_LATENCY, Wall.SYNTHESIS})

_LAYOUT_KNOBS = ("tp_size", "pp_size", "ep_size", "microbatch_count", "virtual_stages", "zero_stage")
_TRAINING_KNOBS = _LAYOUT_KNOBS + ("overlap_comm", "overlap_efficiency", "recompute", "sequence_parallel")
_RELIABILITY_KNOBS = ("accelerator_mtbf", "checkpoint_time", "storage_bandwidth", "restart_time")
_COMMON_KNOBS = ("efficiency", "unit_cost", "cloud_hourly_rate", "utilization", "budget", "carbon_budget") + _RELIABILITY_KNOBS
KNOBS = {
    "inference": _COMMON_KNOBS + ("bandwidth_efficiency",),
    "training": _COMMON_KNOBS + ("bandwidth_efficiency", "activation_recompute") + _TRAINING_KNOBS,
    "serving": _COMMON_KNOBS + ("output_tokens", "link_bandwidth", "link_latency", "kv_precision"),
}


@dataclass(frozen=True)
class AuditRow:
    """One wall's line: its figure, its limit, whether it binds, and a note."""

    wall: Wall
    figure: Quantity | None
    limit: Quantity | None
    binds: bool
    note: str

    @property
    def share(self) -> float | None:
        """How much of its limit the wall uses: figure / limit, when both are given in the same
        dimension (a share of the memory, of the step time, of a budget); None otherwise. For
        Fragility and Checkpoint the figure is a time between events, not a load, so read their notes."""
        if self.figure is None or self.limit is None or self.figure.dimensionality != self.limit.dimensionality:
            return None
        limit = self.limit.to(self.figure.units).magnitude
        return None if limit == 0 else float(self.figure.magnitude / limit)

    def as_dict(self) -> dict:
        """JSON-ready: strings, floats and a boolean."""
        def part(q):
            return (None, None) if q is None else (float(q.magnitude), f"{q.units:~P}")

        figure, figure_unit = part(self.figure)
        limit, limit_unit = part(self.limit)
        return {"wall": self.wall.value, "number": self.wall.number, "title": self.wall.title, "figure": figure,
                "figure_unit": figure_unit, "limit": limit, "limit_unit": limit_unit, "binds": self.binds, "note": self.note}


# -- the registry of lines -------------------------------------------------------------

LINES: list = []  # (wall, fn(ctx) -> AuditRow | None), in the order the table shows them


def register_line(wall: Wall):
    """Decorator: ``fn(ctx) -> AuditRow | None`` becomes the audit's line for ``wall`` (None: does not apply)."""
    wall = Wall(wall)

    def add(fn):
        LINES.append((wall, fn))
        return fn

    return add


# -- the configuration, resolved once -------------------------------------------------


class AuditContext:
    """One configuration, checked, with each solver's result computed on first use and shared by every line."""

    def __init__(self, model, system, workload: str, batch_size, precision, seq_len, count, grid, duration, knobs: dict):
        self.workload = _inputs.choice(workload, "workload", WORKLOADS)
        allowed = KNOBS[self.workload]
        for name in knobs:
            if name not in allowed:
                raise InputError(name, knobs[name], f"a setting of a {self.workload} audit: one of {', '.join(allowed)}")
        self.knobs = knobs
        self.model = _inputs.transformer(model) if self.workload == "serving" else _inputs.workload(model)
        self.fleet, self.hardware = _resolve_system(system)
        if self.fleet is not None and count is not None:
            raise InputError("count", count, f"None when a Fleet is given (the fleet has {self.fleet.total_accelerators} accelerators)")
        self.count = (self.fleet.total_accelerators if self.fleet is not None else 1) if count is None else _inputs.positive_int(count, "count")
        self.batch = _inputs.positive_int(batch_size, "batch_size")
        self.batch_size = self.batch  # the name the walls' audit lines read
        self.precision = _inputs.check_precision(precision)
        self.seq_len = _inputs.optional_int(seq_len, "seq_len")
        self.grid = _system.grid(grid, self.fleet.effective_grid if self.fleet is not None else None)
        self.duration = None if duration is None else _system.duration(duration)
        self.efficiency = _inputs.fraction(knobs.get("efficiency", DEFAULT_EFFICIENCY), "efficiency")
        self.utilization = _inputs.fraction(knobs.get("utilization", DEFAULT_UTILIZATION), "utilization")
        self.unit_cost = None if knobs.get("unit_cost") is None else _system.nonneg(knobs["unit_cost"], "unit_cost", "money")
        self.budget = None if knobs.get("budget") is None else _system.nonneg(knobs["budget"], "budget", "money")
        self.carbon_budget = None if knobs.get("carbon_budget") is None else _system.nonneg(knobs["carbon_budget"], "carbon_budget", "mass")
        if self.workload == "training" and self.fleet is None and self.count > 1:
            raise InputError("system", self.hardware.name, f"a Fleet for training on {self.count} accelerators (or count=1)")
        if self.workload == "serving" and self.fleet is not None:
            self.count = self.fleet.node.accelerators_per_node  # one server's accelerators as one tensor-parallel group

    @property
    def on_fleet(self) -> bool:
        """Training on a fleet: the step comes from the parallel layout search (or a given layout)."""
        return self.workload == "training" and self.fleet is not None

    @cached_property
    def performance(self):
        """The step's result: a PerformanceProfile, a DistributedResult, or (serving) the group's ServingResult."""
        k = self.knobs
        if self.workload == "serving":
            return self.serving[0]
        if self.on_fleet:
            common = {n: k[n] for n in _TRAINING_KNOBS if n in k and n not in _LAYOUT_KNOBS}
            if any(n in k for n in _LAYOUT_KNOBS):
                layout = {n: k[n] for n in _LAYOUT_KNOBS if n in k}
                return DistributedModel().solve(self.model, self.fleet, self.batch, precision=self.precision,
                                                efficiency=self.efficiency, seq_len=self.seq_len, **layout, **common)
            return self.optimizer.best if self.optimizer.best is not None else self.optimizer
        return SingleNodeModel().solve(
            self.model, self.hardware, batch_size=self.batch, precision=self.precision, efficiency=self.efficiency,
            is_training=self.workload == "training", seq_len=self.seq_len,
            bandwidth_efficiency=k.get("bandwidth_efficiency", DEFAULT_BANDWIDTH_EFFICIENCY),
            activation_recompute=k.get("activation_recompute", False),
        )

    @cached_property
    def optimizer(self):
        """The layout search (training on a fleet without a given layout)."""
        k = self.knobs
        common = {n: k[n] for n in _TRAINING_KNOBS if n in k and n not in _LAYOUT_KNOBS}
        return ParallelismOptimizer().solve(self.model, self.fleet, self.batch, precision=self.precision,
                                            efficiency=self.efficiency, seq_len=self.seq_len, **common)

    @cached_property
    def serving(self):
        """(ServingResult of the group, GroupFloats) for a serving audit."""
        k, hw, n = self.knobs, self.hardware, self.count
        if n > 1:
            if k.get("link_bandwidth") is not None:
                bw = _system.positive(k["link_bandwidth"], "link_bandwidth", "bandwidth")
            elif self.fleet is not None:
                bw = self.fleet.node._si["intra_node_bw"]
            elif hw._si.get("interconnect_bandwidth") is not None:
                bw = hw._si["interconnect_bandwidth"]
            else:
                raise InputError("link_bandwidth", None, f"the scale-up link bandwidth per accelerator ({hw.name} lists none)")
            lat = DEFAULT_LINK_LATENCY_S if k.get("link_latency") is None else _system.nonneg(k["link_latency"], "link_latency", "time")
        else:
            bw, lat = 1.0, 0.0  # one accelerator: no all-reduces (the kernels return 0 for n = 1)
        self.link = (bw, lat)
        seq = self.seq_len or self.model.seq_len
        out_tokens = _inputs.positive_int(k.get("output_tokens", 256), "output_tokens")
        return serve_group(self.model, hw, n, seq, self.batch, self.precision, self.efficiency, bw, lat, out_tokens, k.get("kv_precision"))

    @property
    def feasible_step(self) -> bool:
        return bool(getattr(self.performance, "feasible", False))

    @cached_property
    def ledger_duration(self) -> float | None:
        """The time the ledgers cover: ``duration`` if given, else one unit of work (a batch, a request, a step)."""
        if self.duration is not None:
            return self.duration
        if self.workload == "serving":
            return self.serving[1].request_latency
        perf = self.performance
        if self.on_fleet and perf is self.optimizer:
            return None
        t = perf._step_time if self.on_fleet else perf._latency
        return t if t < float("inf") else None  # no arithmetic in that precision: no step to account for

    @property
    def ledger_accelerators(self) -> int:
        return self.fleet.total_accelerators if self.on_fleet else self.count

    @cached_property
    def sustainability(self):
        """Energy and carbon over the ledger duration (None without a grid, a TDP or a duration)."""
        t = self.ledger_duration
        if t is None or self.grid is None or self.hardware.tdp is None:
            return None
        return SustainabilityModel().solve(self.hardware, make(t, "time"), grid=self.grid, count=self.ledger_accelerators,
                                           utilization=self.utilization)

    @cached_property
    def economics(self):
        """TCO over the ledger duration (None without a unit cost, a TDP or a duration)."""
        t = self.ledger_duration
        hw = self.hardware
        if t is None or hw.tdp is None or (self.unit_cost is None and hw._si.get("unit_cost") is None):
            return None
        queries = None if self.on_fleet else (1 if self.workload == "training" else self.batch)
        return EconomicsModel().solve(hw, make(t, "time"), count=self.ledger_accelerators, grid=self.grid,
                                      unit_cost=self.knobs.get("unit_cost"), utilization=self.utilization,
                                      cloud_hourly_rate=self.knobs.get("cloud_hourly_rate"), queries=queries)

    @cached_property
    def reliability(self):
        """Failures and checkpoints of a job of ``duration`` on more than one accelerator (else None)."""
        if self.duration is None or self.ledger_accelerators <= 1:
            return None
        k = {n: self.knobs[n] for n in _RELIABILITY_KNOBS if n in self.knobs}
        if "checkpoint_time" not in k:
            k["model"] = self.model
        system = self.fleet if self.fleet is not None else self.hardware
        count = None if self.fleet is not None else self.ledger_accelerators
        return ReliabilityModel().solve(system, make(self.duration, "time"), count=count, precision=self.precision, **k)


def _resolve_system(system):
    """(fleet or None, accelerator) from a Fleet, a HardwareNode or a registry name of either."""
    if isinstance(system, str):
        try:
            system = Fleets.get(system)
        except UnknownEntryError:
            system = _inputs.hardware(system, "system")
    if isinstance(system, Fleet):
        return system, system.node.accelerator
    if isinstance(system, HardwareNode):
        return None, system
    raise InputError("system", system, "a HardwareNode or a Fleet (or a registry name of one, e.g. 'h100')")


# -- the audit ------------------------------------------------------------------------


class Audit:
    """The table of walls for one configuration; ``binding`` names the one that binds first."""

    def __init__(self, rows: list[AuditRow], context: AuditContext):
        self.rows, self.context = rows, context

    @property
    def binding(self) -> Wall | None:
        """The first binding constraint, else the speed wall that sets the step."""
        for row in self.rows:
            if row.binds and row.wall in CONSTRAINTS:
                return row.wall
        for row in self.rows:
            if row.binds:
                return row.wall
        return None

    @property
    def feasible(self) -> bool:
        return not any(row.binds and row.wall in CONSTRAINTS for row in self.rows)

    @property
    def reason(self) -> str:
        """Why it is infeasible ('' when feasible): the binding constraint's note."""
        for row in self.rows:
            if row.binds and row.wall in CONSTRAINTS:
                return row.note
        return ""

    def row(self, wall) -> AuditRow | None:
        """The line of one wall (None when it does not apply)."""
        wall = Wall(wall)
        return next((r for r in self.rows if r.wall is wall), None)

    def as_dict(self) -> dict:
        c = self.context
        binding = self.binding
        return {"model": c.model.name, "system": c.fleet.name if c.fleet is not None else c.hardware.name,
                "workload": c.workload, "accelerators": c.ledger_accelerators, "feasible": self.feasible,
                "reason": self.reason, "binding": None if binding is None else binding.value,
                "rows": [r.as_dict() for r in self.rows]}

    def table(self) -> str:
        """A plain-text table: number, wall, figure, limit, binds, note."""
        def fmt(q):
            return "-" if q is None else f"{q:.4g~P}"

        head = ("#", "wall", "figure", "limit", "binds", "note")
        body = [(str(r.wall.number), r.wall.title, fmt(r.figure), fmt(r.limit), "BINDS" if r.binds else "", r.note) for r in self.rows]
        widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        c = self.context
        binding = self.binding
        title = (f"{c.model.name} on {c.fleet.name if c.fleet is not None else c.hardware.name} ({c.workload}): "
                 + ("feasible" if self.feasible else f"INFEASIBLE ({self.reason})")
                 + (f"; binding wall: {binding.title}" if binding is not None else ""))
        return "\n".join([title, line(head), line(["-" * w for w in widths]), *map(line, body)])

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"Audit({self.context.model.name!r}, {self.context.workload}, binding={self.binding}, feasible={self.feasible})"


def audit(model, system, workload: str = "inference", *, batch_size=1, precision="fp16", seq_len=None, count=None,
          grid=None, duration=None, **knobs) -> Audit:
    """Every wall whose solver applies to ``model`` on ``system``, in one table.

    ``system``: a HardwareNode or a Fleet (or a registry name of one); ``workload``:
    'inference', 'training' or 'serving'; ``count`` accelerators of a HardwareNode
    (replicas for inference, one tensor-parallel group for serving); ``duration``:
    the time the energy, money and failure ledgers cover (default: one batch,
    request or step). ``knobs`` are the solvers' own settings (efficiency,
    unit_cost, tp_size, output_tokens, ...; a ``budget`` in money or a
    ``carbon_budget`` in mass makes those walls constraints that can bind).
    """
    ctx = AuditContext(model, system, workload, batch_size, precision, seq_len, count, grid, duration, knobs)
    rows = [row for _, line in LINES if (row := line(ctx)) is not None]
    return Audit(sorted(rows, key=lambda r: r.wall.number), ctx)


# -- the built-in lines, one per wall a solver resolves ----------------------------------


def _finite(q):
    """The Quantity, or None when it is infinite (no arithmetic in that precision)."""
    return None if q is None or q.magnitude == float("inf") else q


def _speed_rows_apply(ctx) -> bool:
    return not (ctx.on_fleet and ctx.performance is ctx.optimizer)  # no layout fits: no step to split


@register_line(Wall.CAPACITY)
def capacity_line(ctx) -> AuditRow:
    """Does it fit: resident bytes (per accelerator) against memory capacity."""
    perf = ctx.performance
    if ctx.on_fleet and perf is ctx.optimizer:  # the search found no layout that fits
        cap = make(ctx.hardware.memory._si["capacity"], "bytes").to("GB")
        return AuditRow(Wall.CAPACITY, None, cap, True, perf.reason)
    if ctx.on_fleet:
        figure, limit, where = perf.memory_per_accelerator, perf.memory_capacity, "per accelerator"
    else:
        figure, limit = perf.memory_footprint, perf.memory_capacity
        where = f"of {ctx.count} x {ctx.hardware.name}" if ctx.workload == "serving" and ctx.count > 1 else f"of {ctx.hardware.name}"
    share = figure.m_as("byte") / limit.m_as("byte")
    note = perf.reason if not perf.feasible else f"{share:.0%} of memory used {where}"
    return AuditRow(Wall.CAPACITY, figure, limit, not perf.feasible, note)


def _step_limit(ctx):
    """The time the speed walls compete for: the batch latency, the decode step (ITL) or the training step."""
    if ctx.workload == "serving":
        return make(ctx.serving[1].itl, "time").to("ms"), "decode step"
    if ctx.on_fleet:
        return ctx.performance.step_time, "training step"
    return _finite(ctx.performance.latency), "training step" if ctx.workload == "training" else "batch latency"


def _speed_wall(ctx) -> Wall | None:
    """The speed wall that sets the step (None when it does not fit)."""
    if not ctx.feasible_step:
        return None
    if ctx.workload == "serving":
        sr, g = ctx.serving
        return Wall.COMMUNICATION if g.tp_comm_per_token > g.itl_core else sr.decode_wall
    return ctx.performance.bound


@register_line(Wall.COMPUTE)
def compute_line(ctx) -> AuditRow | None:
    """Arithmetic: compute time (ops / (peak x efficiency)) against the step."""
    if not _speed_rows_apply(ctx):
        return None
    perf = ctx.performance
    figure = perf.decode_compute_time if ctx.workload == "serving" else _finite(perf.compute_time)
    limit, what = _step_limit(ctx)
    note = f"compute of the {what}" + (f"; MFU {perf.mfu:.1%}" if getattr(perf, "mfu", 0) else "")
    if getattr(perf, "compute_precision", "") is None:
        note = perf.reason
    return AuditRow(Wall.COMPUTE, figure, limit, _speed_wall(ctx) is Wall.COMPUTE, note)


@register_line(Wall.MEMORY)
def memory_line(ctx) -> AuditRow | None:
    """Bandwidth: bytes moved / (bandwidth x efficiency) against the step (one device: the roofline's other side)."""
    if ctx.on_fleet:
        return None
    perf = ctx.performance
    if ctx.workload == "serving":
        figure, note = perf.decode_memory_time, f"weights read + KV cache ({perf.decode_bytes:.4g~P}) per decode step"
    else:
        figure, note = perf.memory_time, f"{perf.bytes_moved:.4g~P} moved per batch" if perf.bytes_moved is not None else perf.reason
    limit, _ = _step_limit(ctx)
    return AuditRow(Wall.MEMORY, figure, limit, _speed_wall(ctx) is Wall.MEMORY, note)


@register_line(Wall.SERVING)
def serving_line(ctx) -> AuditRow | None:
    """The KV-cache wall: the cache at seq_len against the memory the weights leave free."""
    if ctx.workload != "serving":
        return None
    sr = ctx.performance
    room = max(sr._memory_capacity - sr._weight_memory, 0.0)
    kv = sr.kv_cache_size
    binds = kv.m_as("byte") > room
    note = (f"KV cache of {sr.batch_size} x {sr.seq_len} tokens in {sr.kv_precision}; ITL {make(ctx.serving[1].itl, 'time').to('ms'):.4g~P}, "
            f"request {make(ctx.serving[1].request_latency, 'time').to('s'):.4g~P}")
    if binds:
        note = f"the KV cache needs {kv:.4g~P} but the weights leave {make(room, 'bytes').to('GB'):.4g~P}"
    return AuditRow(Wall.SERVING, kv, make(room, "bytes").to("GB"), binds, note)


@register_line(Wall.COMMUNICATION)
def communication_line(ctx) -> AuditRow | None:
    """Collectives: the step's exposed communication (and pipeline bubble) against the step."""
    if ctx.workload == "serving" and ctx.count > 1:
        g = ctx.serving[1]
        bw, _ = ctx.link
        return AuditRow(Wall.COMMUNICATION, make(g.tp_comm_per_token, "time").to("ms"), _step_limit(ctx)[0],
                        _speed_wall(ctx) is Wall.COMMUNICATION,
                        f"2 all-reduces per layer per decode step over {ctx.count} accelerators at {bw / 1e9:.4g} GB/s")
    if not ctx.on_fleet or not _speed_rows_apply(ctx):
        return None
    perf = ctx.performance
    figure = make(perf._communication_time + perf._bubble_time, "time").to("ms")
    layout = ", ".join(f"{k}={v}" for k, v in perf.config.items())
    return AuditRow(Wall.COMMUNICATION, figure, perf.step_time, perf.feasible and perf.bound is Wall.COMMUNICATION,
                    f"TP + EP + PP + exposed DP + bubble ({layout}); largest: {perf.limiter}")


@register_line(Wall.FRAGILITY)
def fragility_line(ctx) -> AuditRow | None:
    """Failures: the fleet's MTBF against the job's duration; binds when the job cannot make progress."""
    rel = ctx.reliability
    if rel is None:
        return None
    note = rel.reason or f"{rel.expected_failures:.3g} failures expected in the job; goodput {rel.goodput:.1%}"
    return AuditRow(Wall.FRAGILITY, rel.fleet_mtbf, rel.job_duration.to("hour"), not rel.feasible, note)


@register_line(Wall.CHECKPOINT)
def checkpoint_line(ctx) -> AuditRow | None:
    """Checkpoints: the Young-Daly interval against the fleet MTBF, and the time they cost."""
    rel = ctx.reliability
    if rel is None:
        return None
    return AuditRow(Wall.CHECKPOINT, rel.checkpoint_interval, rel.fleet_mtbf.to("minute"), False,
                    f"write {rel.checkpoint_time:.3g~P} per checkpoint; {rel.waste_fraction:.1%} of the time lost to "
                    f"checkpoints and failures ({rel.dominant} dominate)")


@register_line(Wall.CAPITAL)
def capital_line(ctx) -> AuditRow | None:
    """Money: the TCO of the ledger duration against a ``budget`` (binds only when one is given and exceeded)."""
    econ = ctx.economics
    if econ is None:
        return None
    limit = None if ctx.budget is None else make(ctx.budget, "money")
    binds = ctx.budget is not None and econ._tco > ctx.budget
    note = f"TCO of {ctx.ledger_accelerators} accelerators over {econ.duration.to('s'):.4g~P} ({econ.dominant} dominates)"
    if binds:
        note = f"TCO {econ.tco:.4g~P} exceeds the budget {limit:.4g~P}"
    return AuditRow(Wall.CAPITAL, econ.tco, limit, binds, note)


@register_line(Wall.SUSTAINABILITY)
def sustainability_line(ctx) -> AuditRow | None:
    """Carbon: operational + embodied emissions of the ledger duration against a ``carbon_budget``."""
    sus = ctx.sustainability
    if sus is None:
        return None
    limit = None if ctx.carbon_budget is None else make(ctx.carbon_budget, "mass").to("gCO2e")
    binds = ctx.carbon_budget is not None and sus._total_carbon > ctx.carbon_budget
    note = f"{sus.grid}, {sus.facility_energy.to('Wh'):.4g~P} of facility energy ({sus.dominant} dominates)"
    if binds:
        note = f"{sus.total_carbon.to('gCO2e'):.4g~P} exceeds the carbon budget {limit:.4g~P}"
    return AuditRow(Wall.SUSTAINABILITY, sus.total_carbon.to("gCO2e"), limit, binds, note)
