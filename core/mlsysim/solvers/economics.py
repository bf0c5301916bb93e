"""Total cost of ownership of accelerators for a while, against renting them.

  CapEx share   = unit cost x N x duration / lifetime          (straight-line)
  energy OpEx   = facility energy x electricity price          (energy from the sustainability chain)
  maintenance   = unit cost x N x fraction per year x duration / year
  TCO           = CapEx share + energy + maintenance
  cloud rental  = hourly rate x N x duration

Costs per unit of work (a training run, a million tokens, a query) divide the
TCO of the time the work takes by the work done in it. Facility CapEx
(building, power and cooling plant), networking, staff and software are not
counted: the TCO is that of the accelerators only, a lower bound.
"""

from __future__ import annotations

from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs, _system
from .defaults import (
    DEFAULT_ELECTRICITY_PRICE_USD_PER_KWH,
    DEFAULT_IDLE_POWER_FRACTION,
    DEFAULT_LIFETIME_YEARS,
    DEFAULT_MAINTENANCE_FRACTION,
    DEFAULT_PUE,
    DEFAULT_UTILIZATION,
    YEAR_S,
)
from .sustainability import check_power_inputs, footprint

KWH_J = 3.6e6


class EconomicsResult(Result):
    """TCO of N accelerators over a duration, its parts, and unit costs."""

    _plain_names = ("system", "accelerators", "pue", "cheaper", "bound", "dominant", "feasible", "reason", "assumptions")

    duration = quantity("time", "day")
    capex = quantity("money", "USD", "purchase price of all accelerators")
    capex_share = quantity("money", "USD", "straight-line depreciation over this duration")
    energy_cost = quantity("money", "USD", "facility energy x electricity price")
    maintenance_cost = quantity("money", "USD")
    tco = quantity("money", "USD", "capex share + energy + maintenance")
    facility_energy = quantity("energy", "MWh")
    electricity_price = quantity("energy_price", "USD/kWh")
    cost_per_accelerator_hour = quantity("money_rate", "USD/hour", "owned: TCO / (N x hours)")
    cloud_cost = quantity("money", "USD", "rental at the given hourly rate (None without a rate)")
    cost_per_million_tokens = quantity("money", "USD", "TCO / tokens x 1e6 (None without tokens)")
    cost_per_query = quantity("money", "USD", "TCO / queries (None without queries)")


class EconomicsModel:
    """TCO = amortised CapEx + energy + maintenance, and the cloud alternative."""

    def solve(
        self,
        system,
        duration,
        count: int | None = None,
        grid=None,
        unit_cost=None,
        electricity_price=None,
        lifetime=None,
        maintenance_fraction: float = DEFAULT_MAINTENANCE_FRACTION,
        utilization: float = DEFAULT_UTILIZATION,
        idle_fraction: float = DEFAULT_IDLE_POWER_FRACTION,
        pue: float | None = None,
        cloud_hourly_rate=None,
        tokens=None,
        queries=None,
    ) -> EconomicsResult:
        """``system``: a Fleet, or a HardwareNode with ``count``. ``unit_cost`` overrides the hardware's.

        ``cloud_hourly_rate`` is per accelerator (e.g. '2.5 USD/hour');
        ``tokens`` and ``queries`` are the work done in ``duration``.
        """
        sys_ = _system.resolve(system, count)
        t = _system.duration(duration)
        g = _system.grid(grid, sys_.grid)
        hw = sys_.hardware
        if unit_cost is not None:
            price_each = _system.nonneg(unit_cost, "unit_cost", "money")
        elif hw._si.get("unit_cost") is not None:
            price_each = hw._si["unit_cost"]
        else:
            raise InputError("unit_cost", None, f"a price per accelerator such as '30000 USD' ({hw.name} lists none)")
        maintenance_fraction = _inputs.checks.fraction(maintenance_fraction, "maintenance_fraction", low_open=False)
        u, idle, _, life = check_power_inputs(utilization, idle_fraction, None, lifetime)
        if electricity_price is not None:
            price, price_source = _system.nonneg(electricity_price, "electricity_price", "energy_price"), "given"
        elif g is not None and g._si.get("electricity_price") is not None:
            price, price_source = g._si["electricity_price"], f"{g.name}"
        else:
            price, price_source = DEFAULT_ELECTRICITY_PRICE_USD_PER_KWH / KWH_J, "default (EIA 2023 U.S. industrial average)"
        pue_value, pue_source = _system.pue(pue, sys_, g, DEFAULT_PUE)
        facility = footprint(sys_, t, None, u, idle, pue_value, 0.0, life).facility_energy

        capex = price_each * sys_.count
        capex_share = kernels.straight_line_amortization(capex, life, t)
        energy = kernels.energy_cost(facility, price)
        maintenance = kernels.annual_fraction_cost(capex, maintenance_fraction, t, YEAR_S)
        tco = capex_share + energy + maintenance
        cloud = None
        if cloud_hourly_rate is not None:
            cloud = kernels.rental_cost(_system.nonneg(cloud_hourly_rate, "cloud_hourly_rate", "money_rate"), sys_.count, t)
        per_mtok = per_query = None
        if tokens is not None:
            per_mtok = tco / _system.positive(tokens, "tokens", "count") * 1e6
        if queries is not None:
            per_query = tco / _system.positive(queries, "queries", "count")
        parts = {"capex": capex_share, "energy": energy, "maintenance": maintenance}
        assumptions = [
            f"{sys_.count} accelerators at {price_each:,.0f} USD, straight-line over {life / YEAR_S:g} years",
            f"maintenance {maintenance_fraction:g} of CapEx per year (Barroso et al. 2018)",
            f"electricity {price * KWH_J:.4g} USD/kWh ({price_source}); PUE {pue_value:g} ({pue_source}); "
            f"power = TDP x ({idle:g} + {1 - idle:g} x utilization {u:g})",
            "accelerators only: facility CapEx, network, staff and software not counted",
        ]
        return EconomicsResult(
            system=sys_.name, accelerators=sys_.count, pue=pue_value,
            cheaper=None if cloud is None else ("owned" if tco <= cloud else "cloud"),
            bound=Wall.CAPITAL, dominant=max(parts, key=parts.get), feasible=True, reason="", assumptions=assumptions,
            _duration=t, _capex=capex, _capex_share=capex_share, _energy_cost=energy, _maintenance_cost=maintenance,
            _tco=tco, _facility_energy=facility, _electricity_price=price,
            _cost_per_accelerator_hour=tco / (sys_.count * t), _cloud_cost=cloud,
            _cost_per_million_tokens=per_mtok, _cost_per_query=per_query,
        )
