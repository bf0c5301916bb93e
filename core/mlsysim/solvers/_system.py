"""What a fleet-scale solver runs on: a Fleet, or ``count`` copies of one accelerator; plus shared checks."""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError, UnknownEntryError
from ..core.units import unit_of
from ..hardware.types import HardwareNode
from ..infrastructure.types import Datacenter, GridProfile
from ..registries import Fleets, Grids
from ..systems.types import Fleet
from . import _inputs


class System:
    """The accelerators a macro solver accounts for, as plain values."""

    __slots__ = ("name", "hardware", "count", "per_node", "fleet", "grid", "pue")

    def __init__(self, name, hardware, count, per_node, fleet, grid, pue):
        self.name, self.hardware, self.count, self.per_node = name, hardware, count, per_node
        self.fleet, self.grid, self.pue = fleet, grid, pue


def resolve(system, count=None, field: str = "system") -> System:
    """A Fleet (or fleet name), or a HardwareNode (or hardware name) with ``count`` accelerators."""
    if isinstance(system, str):
        try:
            system = Fleets.get(system)
        except UnknownEntryError:
            system = _inputs.hardware(system, field)
    if isinstance(system, Fleet):
        if count is not None:
            raise InputError("count", count, f"None when a Fleet is given (the fleet has {system.total_accelerators} accelerators)")
        return System(system.name, system.node.accelerator, system.total_accelerators, system.node.accelerators_per_node,
                      system, system.effective_grid, system.effective_pue)
    if isinstance(system, HardwareNode):
        n = 1 if count is None else _inputs.positive_int(count, "count")
        return System(f"{n} x {system.name}", system, n, n, None, None, None)
    raise InputError(field, system, "a Fleet (e.g. Fleets.Research256) or a HardwareNode with count=N")


def grid(value, fallback=None, field: str = "grid"):
    """A GridProfile, a registry name, or None (then ``fallback``)."""
    if value is None:
        return fallback
    if isinstance(value, Datacenter):
        return value.grid
    return _inputs.entry(value, field, GridProfile, Grids, "a GridProfile (e.g. Grids.Quebec) or a registry name such as 'quebec'")


# The largest magnitude a fleet-scale argument may have in its canonical unit (s, USD, byte/s, ...):
# 1e30 is beyond any real duration (3e22 years), price or rate, and small enough that the products
# of a ledger (power x time x accelerators x price) stay finite in a float (< 1e308).
MAX_QUANTITY = 1e30


def _bounded(v: float, value, field: str, kind: str) -> float:
    if v > MAX_QUANTITY:
        raise InputError(field, value if isinstance(value, str) else f"{value}",
                         f"a quantity of at most {MAX_QUANTITY:g} {unit_of(kind)} (larger is beyond any real system)")
    return v


def duration(value, field: str = "duration") -> float:
    """A positive time in seconds, finite after conversion and at most ``MAX_QUANTITY``."""
    return _bounded(checks.quantity(value, field, "time"), value, field, "time")


def nonneg(value, field: str, kind: str) -> float:
    """A quantity >= 0 in the canonical unit of ``kind``, finite after conversion and at most ``MAX_QUANTITY``."""
    return _bounded(checks.quantity(value, field, kind, minimum=0.0, low_open=False), value, field, kind)


def positive(value, field: str, kind: str) -> float:
    """A quantity > 0 in the canonical unit of ``kind``, finite after conversion and at most ``MAX_QUANTITY``."""
    return _bounded(checks.quantity(value, field, kind), value, field, kind)


def pue(value, system: System, grid_profile, default: float) -> tuple[float, str]:
    """(PUE, where it came from): explicit > the fleet's datacenter/grid > the grid's > default."""
    if value is not None:
        return checks.pue(value), "given"
    if system.pue is not None and (grid_profile is None or grid_profile is system.grid):
        return system.pue, f"{system.name}'s datacenter"
    if grid_profile is not None:
        return grid_profile.pue, f"typical of {grid_profile.name}"
    return default, "default (Google 2023 fleet PUE)"
