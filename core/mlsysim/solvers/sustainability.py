"""Energy, carbon and water of running accelerators for a while.

  accelerator power = TDP x (f_idle + (1 - f_idle) u)        (Fan, Weber & Barroso 2007)
  IT energy         = N x accelerator power x time
  facility energy   = IT energy x PUE                         (The Green Grid 2007)
  operational CO2e  = facility energy x grid carbon intensity
  water             = IT energy x WUE                         (The Green Grid 2011: WUE per IT kWh)
  embodied CO2e     = N x embodied per accelerator x time / lifetime (straight-line share)

Only the accelerators' power is counted: host CPUs, memory, network and
storage add to it (a whole 8-GPU server draws ~1.5-2x its GPUs' TDP), so the
numbers are a lower bound unless TDP is replaced by a measured per-accelerator
system power (as Patterson et al. 2021 do).
"""

from __future__ import annotations

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs, _system
from .contract import floats
from .defaults import (
    DEFAULT_EMBODIED_CARBON_KG,
    DEFAULT_IDLE_POWER_FRACTION,
    DEFAULT_LIFETIME_YEARS,
    DEFAULT_PUE,
    DEFAULT_UTILIZATION,
    YEAR_S,
)


class SustainabilityResult(Result):
    """Energy, carbon and water of N accelerators over a duration; which term dominates."""

    _plain_names = ("system", "grid", "accelerators", "utilization", "pue", "pue_source", "bound", "dominant", "feasible", "reason", "assumptions")

    duration = quantity("time", "day")
    accelerator_power = quantity("power", "W", "one accelerator at the given utilisation")
    it_power = quantity("power", "kW")
    facility_power = quantity("power", "kW")
    it_energy = quantity("energy", "MWh")
    facility_energy = quantity("energy", "MWh")
    carbon_intensity = quantity("carbon_intensity", "gCO2e/kWh")
    operational_carbon = quantity("mass", "tCO2e", "facility energy x grid carbon intensity")
    embodied_carbon = quantity("mass", "tCO2e", "this duration's straight-line share of manufacturing emissions")
    total_carbon = quantity("mass", "tCO2e")
    water = quantity("volume", "L", "IT energy x WUE (None when the grid lists no WUE)")


@floats
class FootprintFloats:
    """Power, energy, carbon and water of N accelerators for a duration (W, J, gCO2e, L)."""

    accelerator_power: float
    it_power: float
    it_energy: float
    facility_energy: float
    operational_carbon: float | None  # None without a grid
    embodied_carbon: float
    water: float | None  # None when the grid lists no WUE


def footprint(system: _system.System, duration: float, grid_profile, utilization: float, idle_fraction: float,
              pue: float, embodied_per_accelerator: float, lifetime: float) -> FootprintFloats:
    """The sustainability chain on floats (checked inputs)."""
    hw = system.hardware
    tdp = hw._si.get("tdp")
    if tdp is None:
        raise InputError(f"{hw.name}.tdp", None, "a TDP in the hardware entry (power is TDP-based)")
    p_acc = kernels.utilization_power(tdp, utilization, idle_fraction)
    it_power = p_acc * system.count
    it_energy = kernels.energy(it_power, duration)
    facility = kernels.facility_energy(it_energy, pue)
    operational = kernels.carbon(facility, grid_profile._si["carbon_intensity"]) if grid_profile is not None else None
    embodied = kernels.straight_line_amortization(embodied_per_accelerator * system.count, lifetime, duration)
    wue = grid_profile._si.get("wue") if grid_profile is not None else None
    water = kernels.water(it_energy, wue) if wue is not None else None
    return FootprintFloats(p_acc, it_power, it_energy, facility, operational, embodied, water)


def check_power_inputs(utilization, idle_fraction, embodied_carbon, lifetime, hardware=None):
    """(utilization, idle fraction, embodied gCO2e per accelerator, lifetime s), validated.

    The default embodied carbon is a data-centre GPU's; other tiers get 0 unless given.
    """
    u = _inputs.fraction(utilization, "utilization")
    idle_fraction = _inputs.checks.fraction(idle_fraction, "idle_fraction", low_open=False)
    if embodied_carbon is not None:
        embodied = _system.nonneg(embodied_carbon, "embodied_carbon", "mass")
    elif hardware is None or hardware.tier == "cloud":
        embodied = DEFAULT_EMBODIED_CARBON_KG * 1e3
    else:
        embodied = 0.0
    life = DEFAULT_LIFETIME_YEARS * YEAR_S if lifetime is None else _system.duration(lifetime, "lifetime")
    return u, float(idle_fraction), embodied, life


class SustainabilityModel:
    """Energy, carbon and water of a fleet (or N accelerators) running for ``duration``."""

    def solve(
        self,
        system,
        duration,
        grid=None,
        count: int | None = None,
        utilization: float = DEFAULT_UTILIZATION,
        idle_fraction: float = DEFAULT_IDLE_POWER_FRACTION,
        pue: float | None = None,
        embodied_carbon=None,
        lifetime=None,
    ) -> SustainabilityResult:
        """``system``: a Fleet, or a HardwareNode with ``count``. ``grid`` overrides the fleet's.

        ``embodied_carbon`` is per accelerator (default 150 kgCO2e, Luccioni et
        al. 2023); ``lifetime`` spreads it (default 4 years, see defaults.py).
        """
        sys_ = _system.resolve(system, count)
        t = _system.duration(duration)
        g = _system.grid(grid, sys_.grid)
        if g is None:
            raise InputError("grid", None, f"a GridProfile or registry name (e.g. 'quebec'): {sys_.name} has no grid of its own")
        u, idle, embodied_per, life = check_power_inputs(utilization, idle_fraction, embodied_carbon, lifetime, sys_.hardware)
        pue_value, pue_source = _system.pue(pue, sys_, g, DEFAULT_PUE)
        f = footprint(sys_, t, g, u, idle, pue_value, embodied_per, life)
        assumptions = [
            f"accelerator power = TDP x ({idle:g} + {1 - idle:g} x utilization {u:g}) (Fan et al. 2007); hosts, network and storage not counted",
            f"PUE {pue_value:g} ({pue_source}); water = IT energy x WUE",
            f"embodied {embodied_per / 1e3:g} kgCO2e per accelerator over {life / YEAR_S:g} years, straight-line",
        ]
        if embodied_carbon is None and sys_.hardware.tier != "cloud":
            assumptions.append(f"no sourced embodied-carbon estimate for {sys_.hardware.tier}-tier hardware: embodied carbon 0 (pass embodied_carbon=...)")
        if f.water is None:
            assumptions.append(f"{g.name} lists no WUE: water not computed")
        return SustainabilityResult.view(
            f, system=sys_.name, grid=g.name, accelerators=sys_.count, utilization=u, pue=pue_value, pue_source=pue_source,
            bound=Wall.SUSTAINABILITY, dominant="operational" if f.operational_carbon >= f.embodied_carbon else "embodied",
            feasible=True, reason="", assumptions=assumptions, _duration=t, _facility_power=f.it_power * pue_value,
            _carbon_intensity=g._si["carbon_intensity"], _total_carbon=f.operational_carbon + f.embodied_carbon,
        )

    def compare(self, system, duration, grids, **kwargs) -> dict[str, SustainabilityResult]:
        """The same run on several grids, e.g. ``compare(fleet, '30 day', ['quebec', 'poland'])``: {grid name: result}."""
        out = {}
        for g in _inputs.sequence(grids, "grids", "grids, e.g. ['quebec', 'poland']"):
            r = self.solve(system, duration, grid=g, **kwargs)
            out[r.grid] = r
        return out
