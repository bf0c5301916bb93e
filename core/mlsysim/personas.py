"""Deployment archetypes: the audit of one unit, and its cost, energy and carbon at the archetype's scale.

    >>> from mlsysim import EdgeGuardian
    >>> r = EdgeGuardian.evaluate()
    >>> r.audit.binding, r.facility_energy, r.total_carbon, r.cost, r.within_budget

Four archetypes (data in ``registry/personas.toml``, every number with its source, the
illustrative fleet sizes and duty cycles marked as estimates):

- ``CloudTitan``: a frontier training fleet (1,024 servers of 8 H100s) training a 70B model;
- ``EdgeGuardian``: 10,000 vehicles, each with a Jetson running a detector on a 30 frames/s camera;
- ``MobileNomad``: 100 million phones running a vision model half an hour a day;
- ``TinyPioneer``: 10 million microcontrollers listening for a keyword, always on.

``evaluate()`` runs ``mlsysim.audit`` on one unit's configuration (the fleet for CloudTitan),
with the archetype's SLA as the tail-latency knobs, then the engine's ledgers for one unit over
the period: ``SustainabilityModel`` and ``EconomicsModel`` with the duty cycle as the
utilisation and no idle draw (a unit computes a ``duty_cycle`` fraction of the time and is
otherwise off), and multiplies by the scale. Nothing here re-derives an energy or a carbon figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import model_validator

from .audit import Audit, audit
from .core.catalog import Catalog
from .core.errors import InputError
from .core.types import Model, Money, QuantityOf, Time
from .core.units import Quantity
from .registries import Fleets
from .solvers import _inputs, _system
from .solvers.economics import EconomicsModel, EconomicsResult
from .solvers.sustainability import SustainabilityModel, SustainabilityResult
from .systems.types import Fleet

Rate = QuantityOf("rate")


class Persona(Model):
    """One deployment archetype: a unit, how many, how much of the time it computes, what it runs."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    unit: str  # what one unit is: a server, a vehicle, a phone, a microcontroller
    system: str  # a hardware or fleet registry name
    model: str
    workload: str = "inference"
    batch_size: int = 1
    precision: str = "fp16"
    seq_len: int | None = None
    grid: str | None = None  # None: the fleet's own grid
    scale: int  # how many units
    accelerators_per_unit: int = 1
    duty_cycle: float  # fraction of the period each unit computes
    period: Time
    arrival_rate: Rate | None = None  # queries/s one unit serves (with sla: the tail-latency line)
    sla: Time | None = None
    unit_cost: Money | None = None  # per accelerator, where the hardware entry lists none
    pue: float | None = None  # None: the grid's or fleet's
    budget: Money | None = None  # for the whole deployment over the period

    @model_validator(mode="after")
    def _check(self):
        if self.scale < 1:
            raise InputError("scale", self.scale, "an integer >= 1 (units deployed)")
        if self.accelerators_per_unit < 1:
            raise InputError("accelerators_per_unit", self.accelerators_per_unit, "an integer >= 1")
        if not 0 < self.duty_cycle <= 1:
            raise InputError("duty_cycle", self.duty_cycle, "a fraction in (0, 1]")
        if self._si["period"] <= 0:
            raise InputError("period", f"{self.period:~P}", "a positive time")
        return self

    def evaluate(self) -> "PersonaResult":
        """The audit of one unit, and cost, energy and carbon of one unit and of all ``scale`` units."""
        return evaluate(self)


@dataclass(frozen=True)
class PersonaResult:
    """A persona's audit and its ledgers, per unit and at scale (per unit x scale)."""

    persona: Persona
    audit: Audit
    per_unit_sustainability: SustainabilityResult
    per_unit_economics: EconomicsResult
    scale: int
    facility_energy: Quantity  # all units over the period
    total_carbon: Quantity
    cost: Quantity  # TCO of all units over the period
    budget: Quantity | None
    within_budget: bool | None
    assumptions: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """The audit is feasible and the deployment's cost is within its budget (when it has one)."""
        return self.audit.feasible and self.within_budget is not False

    def table(self) -> str:
        p = self.persona
        lines = [self.audit.table(), "",
                 f"at scale: {self.scale:,} {p.unit}s over {p.period:~P}, duty cycle {p.duty_cycle:g}",
                 f"  facility energy {self.facility_energy.to('MWh'):.4g~P}",
                 f"  carbon          {self.total_carbon.to('tCO2e'):.4g~P}",
                 f"  cost (TCO)      {self.cost.to('USD'):.4g~P}"
                 + ("" if self.budget is None else f" against a budget of {self.budget:.4g~P}"
                    + ("" if self.within_budget else ": OVER BUDGET"))]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _hardware_of(p: Persona):
    """(system for the audit, the accelerator, its grid, PUE): a fleet's node accelerator, or the hardware itself."""
    fleet = Fleets.find(p.system)
    if isinstance(fleet, Fleet):
        own = _system.resolve(fleet, None)
        return fleet, fleet.node.accelerator, (p.grid or own.grid), (p.pue if p.pue is not None else own.pue)
    hw = _inputs.hardware(p.system, "system")
    return hw, hw, p.grid, p.pue


def evaluate(p: Persona) -> PersonaResult:
    """Audit one unit; ledgers of one unit over the period (utilisation = duty cycle, no idle draw) x scale."""
    system, hw, grid, pue = _hardware_of(p)
    knobs = {"utilization": p.duty_cycle}
    if p.arrival_rate is not None:
        knobs["arrival_rate"] = p.arrival_rate
        if p.sla is not None:
            knobs["sla"] = p.sla
    if p.unit_cost is not None:
        knobs["unit_cost"] = p.unit_cost
    a = audit(p.model, system, p.workload, batch_size=p.batch_size, precision=p.precision, seq_len=p.seq_len,
              grid=grid, duration=p.period, **knobs)
    ledger = dict(count=p.accelerators_per_unit, utilization=p.duty_cycle, idle_fraction=0.0, pue=pue)
    sus = SustainabilityModel().solve(hw, p.period, grid=grid, **ledger)
    econ = EconomicsModel().solve(hw, p.period, grid=grid, unit_cost=p.unit_cost, **ledger)
    n = p.scale
    cost = econ.tco * n
    budget = None if p.budget is None else p.budget.to("USD")
    assumptions = [
        f"one {p.unit} = {p.accelerators_per_unit} x {hw.name}; {n:,} {p.unit}s; each computes {p.duty_cycle:g} of the period "
        f"and draws nothing otherwise (utilisation {p.duty_cycle:g}, idle fraction 0)",
        "at scale = one unit's facility energy, carbon and TCO x the number of units",
        "the audit's own ledgers use the duty cycle as utilisation with the default idle draw; the at-scale figures assume none",
        *sus.assumptions, *econ.assumptions,
    ]
    return PersonaResult(
        persona=p, audit=a, per_unit_sustainability=sus, per_unit_economics=econ, scale=n,
        facility_energy=(sus.facility_energy * n).to("MWh"), total_carbon=(sus.total_carbon * n).to("tCO2e"),
        cost=cost.to("USD"), budget=budget,
        within_budget=None if budget is None else bool(cost.m_as("USD") <= budget.m_as("USD")), assumptions=assumptions,
    )


Personas = Catalog("Personas", "personas", lambda v: Persona(**v))


def _persona(attr: str) -> Persona:
    return Personas.get(attr)


def __getattr__(name: str):
    # CloudTitan, EdgeGuardian, MobileNomad, TinyPioneer: read from the registry on first use
    if name in ("CloudTitan", "EdgeGuardian", "MobileNomad", "TinyPioneer"):
        return _persona(name)
    raise AttributeError(f"module 'mlsysim.personas' has no attribute {name!r}")


__all__ = ["Persona", "PersonaResult", "Personas", "evaluate", "CloudTitan", "EdgeGuardian", "MobileNomad", "TinyPioneer"]
