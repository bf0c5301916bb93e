"""Named end-to-end scenarios: one model on one system with a latency target, judged on three levels.

    >>> Scenarios.SmartDoorbell.evaluate(batch_size=1, precision="int8").scorecard()

Each evaluation answers, top to bottom:
  1. feasibility  - does it fit in memory?                       (the capacity wall)
  2. performance  - does it meet its latency target (SLA)?       (compute, memory or network wall)
  3. macro impact - what it costs, emits, and how often it fails (the economic, carbon, reliability ledgers)
and each line names the wall that binds, read from ``mlsysim.audit`` (the
evaluation keeps the audit in ``.audit``). Scenarios refer to registry entries
by name and resolve them only when evaluated, so importing costs nothing.
"""

from __future__ import annotations

from .. import registries
from ..audit import audit
from ..core.errors import InputError
from ..core.units import make, to_float
from . import _inputs, _system
from .defaults import DEFAULT_EFFICIENCY
from .scaling import ScalingModel

MODES = ("inference", "fine-tuning", "training")


class Check:
    """One line of a scorecard."""

    __slots__ = ("level", "name", "value", "passed", "wall")

    def __init__(self, level: str, name: str, value: str, passed: bool | None, wall: str):
        self.level, self.name, self.value, self.passed, self.wall = level, name, value, passed, wall

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else ("PASS" if self.passed else "FAIL")

    def __repr__(self) -> str:
        return f"Check({self.level}: {self.name} = {self.value} [{self.verdict}] {self.wall})"


class SystemEvaluation:
    """The three-level verdict of a scenario; ``scorecard()`` is the table, ``results`` the solver outputs."""

    def __init__(self, scenario: str, checks: list[Check], results: dict, assumptions: list[str], audit=None):
        self.scenario, self.checks, self.results, self.assumptions = scenario, checks, results, assumptions
        self.audit = audit  # the mlsysim.audit table the checks are read from

    def _level(self, level: str) -> bool:
        return all(c.passed is not False for c in self.checks if c.level == level)

    @property
    def feasible(self) -> bool:
        return self._level("feasibility")

    @property
    def sla_met(self) -> bool:
        return self.feasible and self._level("performance")

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks)

    def scorecard(self) -> str:
        """One table: level, check, value, verdict, the wall that binds."""
        header = ("level", "check", "value", "verdict", "binding wall")
        rows = [header] + [(c.level, c.name, c.value, c.verdict, c.wall) for c in self.checks]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        line = lambda r: "| " + " | ".join(r[i].ljust(widths[i]) for i in range(len(r))) + " |"  # noqa: E731
        sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        verdict = "PASS" if self.passed else ("FAIL (infeasible)" if not self.feasible else "FAIL")
        return "\n".join([f"{self.scenario}: {verdict}", line(rows[0]), sep, *map(line, rows[1:])])

    def __str__(self) -> str:
        return self.scorecard()

    def __repr__(self) -> str:
        return f"SystemEvaluation({self.scenario!r}, feasible={self.feasible}, sla_met={self.sla_met})"


def _lookup(catalog_name: str, name):
    """The registry entry called ``name`` (resolved on use), or ``name`` itself when it already is an entry."""
    if not isinstance(name, str):
        return name
    return getattr(registries, catalog_name).get(name)


def _fmt(q, unit: str, digits: str = ",.4g") -> str:
    return f"{q.to(unit).magnitude:{digits}} {unit}"


_LADDERS = {
    "mass": ("tCO2e", "kgCO2e", "gCO2e", "mgCO2e", "ugCO2e"),
    "energy": ("MWh", "kWh", "Wh", "mWh", "uWh"),
    "time": ("day", "hour", "s", "ms", "us"),
}


def _auto(q, kind: str) -> str:
    """The value in the largest unit of its ladder where it reads >= 1 (e.g. 0.0507 gCO2e -> '50.7 mgCO2e')."""
    ladder = _LADDERS[kind]
    for unit in ladder:
        if abs(q.to(unit).magnitude) >= 1:
            break
    return f"{q.to(unit).magnitude:,.4g} {unit.replace('u', 'µ', 1) if unit.startswith('u') else unit}"


class Scenario:
    """A model, a system, a mode and a latency target (SLA), with defaults for batch, precision and grid."""

    def __init__(self, name: str, question: str, model, system, sla, mode: str = "inference", batch_size: int = 1,
                 precision: str = "fp16", grid="us_average", unit_cost=None):
        if mode not in MODES:
            raise InputError("mode", mode, "'inference', 'fine-tuning' or 'training'")
        self.name, self.question, self.mode = name, question, mode
        self._model, self._system, self._grid = model, system, grid
        self.sla = make(_system.duration(sla, "sla"), "time")
        self.batch_size, self.precision, self.unit_cost = batch_size, precision, unit_cost

    @property
    def model(self):
        return _lookup("Models", self._model)

    @property
    def system(self):
        return _lookup("Fleets" if self.mode == "training" else "Hardware", self._system)

    def _grid_entry(self, grid):
        return _system.grid(grid if grid is not None else self._grid)

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.mode}, model={self._model!r}, system={self._system!r}, sla={self.sla:~P})"

    def evaluate(self, batch_size: int | None = None, precision: str | None = None, efficiency: float = DEFAULT_EFFICIENCY,
                 grid=None, unit_cost=None) -> SystemEvaluation:
        batch = _inputs.positive_int(self.batch_size if batch_size is None else batch_size, "batch_size")
        precision = _inputs.check_precision(self.precision if precision is None else precision)
        g = self._grid_entry(grid)
        cost_each = unit_cost if unit_cost is not None else self.unit_cost
        if self.mode == "training":
            return self._training(batch, precision, efficiency, g, cost_each)
        return self._single(batch, precision, efficiency, g, cost_each)

    # -- one device: inference or fine-tuning ---------------------------------------
    def _single(self, batch, precision, efficiency, g, cost_each) -> SystemEvaluation:
        model, hw = self.model, self.system
        training = self.mode == "fine-tuning"
        a = audit(model, hw, "training" if training else "inference", batch_size=batch, precision=precision, grid=g,
                  efficiency=efficiency, unit_cost=cost_each)
        pr, sus, econ = a.context.performance, a.context.sustainability, a.context.economics
        checks = []
        flash = hw.memory._si.get("flash_capacity")
        if flash is not None and not training:  # MCU: weights in flash, activations in SRAM
            used = f"weights {_fmt(pr.weight_memory, 'MB')} of flash {flash / 1e6:.3g} MB, activations {_fmt(pr.activation_memory, 'kB')} of SRAM {_fmt(pr.memory_capacity, 'kB')}"
            share = max(pr._weight_memory / flash, pr._activation_memory / pr._memory_capacity)
        else:
            used = f"{_fmt(pr.memory_footprint, 'GB')} of {_fmt(pr.memory_capacity, 'GB')}"
            share = pr._memory_footprint / pr._memory_capacity
        fits = not a.row("capacity").binds
        checks.append(Check("feasibility", "memory", used, fits,
                            f"capacity: {pr.reason}" if not fits else f"capacity not binding ({share:.0%} used)"))
        what = "training step" if training else "batch latency"
        met = pr.feasible and pr.latency <= self.sla
        wall = {"compute": "compute", "memory": "memory bandwidth", "capacity": "capacity (does not fit)"}[pr.bound]
        checks.append(Check("performance", f"{what} vs SLA {_auto(self.sla, 'time')}", _auto(pr.latency, "time"), met,
                            (f"{wall} ({pr.bottleneck}, MFU {pr.mfu:.0%})" if pr.feasible else "capacity (does not fit)") if pr.compute_precision else pr.reason))
        results = {"performance": pr}
        per = "step" if training else "sample"
        if sus is not None:
            results["sustainability"] = sus
            carbon = sus.total_carbon / (1 if training else batch)
            checks.append(Check("macro", f"carbon per {per} ({g.name})", _auto(carbon, "mass"), None,
                                f"{sus.bound} carbon dominates; {_auto(sus.facility_energy / (1 if training else batch), 'energy')} per {per}"))
        else:
            checks.append(Check("macro", f"carbon per {per}", "not computed", None, "no grid or no TDP for this hardware"))
        if econ is not None:
            results["economics"] = econ
            checks.append(Check("macro", f"cost per {per}", f"{to_float(econ.cost_per_query, 'cost', 'money'):.3g} USD", None,
                                f"{econ.bound} dominates the TCO"))
        else:
            checks.append(Check("macro", f"cost per {per}", "not computed", None, "no unit cost (pass unit_cost=...) or no TDP"))
        checks.append(Check("macro", "reliability", "one device", None, "fleet-scale failures do not bind a single device"))
        return SystemEvaluation(self.name, checks, results, pr.assumptions, a)

    # -- a fleet: pre-training ------------------------------------------------------------
    def _training(self, batch, precision, efficiency, g, cost_each) -> SystemEvaluation:
        model, fleet = self.model, self.system
        a = audit(model, fleet, "training", batch_size=batch, precision=precision, grid=g, efficiency=efficiency)
        opt = a.context.optimizer
        checks = []
        results = {"optimizer": opt}
        if opt.best is None:
            checks.append(Check("feasibility", "memory (best layout)", "no layout fits", False, f"capacity: {opt.reason}"))
            checks.append(Check("performance", f"step time vs SLA {_auto(self.sla, 'time')}", "n/a", False, "capacity (does not fit)"))
            return SystemEvaluation(self.name, checks, results, opt.assumptions, a)
        best = opt.best
        results["distributed"] = best
        layout = ", ".join(f"{k}={v}" for k, v in best.config.items())
        checks.append(Check("feasibility", f"memory per accelerator ({layout})",
                            f"{_fmt(best.memory_per_accelerator, 'GB')} of {_fmt(best.memory_capacity, 'GB')}", True,
                            f"capacity not binding for the best of {opt.feasible_count} feasible layouts ({opt.rejected['memory']} rejected for memory)"))
        checks.append(Check("performance", f"step time vs SLA {_auto(self.sla, 'time')}", _auto(best.step_time, "time"),
                            best.step_time <= self.sla,
                            f"{best.limiter} (scaling efficiency {best.scaling_efficiency:.0%}, MFU {best.mfu:.0%})"))
        run = ScalingModel().training_run(model, fleet, batch_size=batch, precision=precision, efficiency=efficiency,
                                          parallelism=_as_kwargs(best), grid=g, unit_cost=cost_each)
        results["training_run"] = run
        checks.append(Check("macro", f"training time ({run.tokens.magnitude:.3g} tokens)", _fmt(run.duration, "day"), None,
                            f"{best.limiter} wall sets the step; goodput {run.goodput:.1%}"))
        checks.append(Check("macro", "cost of the run", f"{run.cost.magnitude:,.0f} USD" if run.cost is not None else "not computed", None,
                            f"{run.economics.bound} dominates the TCO" if run.economics is not None else "no unit cost (pass unit_cost=...)"))
        checks.append(Check("macro", "carbon of the run", _auto(run.carbon, "mass") if run.carbon is not None else "not computed", None,
                            f"{run.sustainability.grid}: {run.sustainability.bound} carbon dominates" if run.sustainability is not None else "no grid"))
        rel = run.reliability
        checks.append(Check("macro", "reliability", f"fleet MTBF {_fmt(rel.fleet_mtbf, 'hour')}, goodput {rel.goodput:.1%}", None,
                            f"{rel.bound} dominate the lost time (checkpoint every {_fmt(rel.checkpoint_interval, 'minute')})"))
        return SystemEvaluation(self.name, checks, results, best.assumptions + run.assumptions, a)


def _as_kwargs(best) -> dict:
    return {"tp_size": best.tp_size, "pp_size": best.pp_size, "ep_size": best.ep_size,
            "microbatch_count": best.microbatch_count, "zero_stage": best.zero_stage}


class _Scenarios:
    """The built-in scenarios, one per scale of the book: a tiny device, an edge device, a laptop, a fleet."""

    SmartDoorbell = Scenario(
        "Smart doorbell", "Can a microcontroller detect a person at the door within 200 ms?",
        model="wake_vision", system="esp32_s3", sla="200 ms",
        mode="inference", batch_size=1, precision="int8",
    )
    AutonomousVehicle = Scenario(
        "Autonomous vehicle perception", "Can an embedded GPU classify a camera frame within 10 ms?",
        model="resnet50", system="jetson_orin_nx_16gb", sla="10 ms",
        mode="inference", batch_size=1, precision="int8",
    )
    LocalFineTuning = Scenario(
        "Local fine-tuning", "Can a laptop fine-tune an 8B model with 100 ms steps?",
        model="llama3_8b", system="macbook_m3_max", sla="100 ms",
        mode="fine-tuning", batch_size=1, precision="bf16",
    )
    FrontierTraining = Scenario(
        "Frontier training", "Can 8,192 H100s train Llama-3-70B with 500 ms steps, and at what cost?",
        model="llama3_70b", system="frontier8k", sla="500 ms",
        mode="training", batch_size=1024, precision="bf16", grid=None,  # the fleet's own datacenter grid
    )

    def __iter__(self):
        return iter((self.SmartDoorbell, self.AutonomousVehicle, self.LocalFineTuning, self.FrontierTraining))

    def __repr__(self) -> str:
        return "<Scenarios: SmartDoorbell, AutonomousVehicle, LocalFineTuning, FrontierTraining>"


Scenarios = _Scenarios()
