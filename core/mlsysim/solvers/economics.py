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
from .contract import floats, plan
from .defaults import (
    DEFAULT_ELECTRICITY_PRICE_USD_PER_KWH,
    DEFAULT_IDLE_POWER_FRACTION,
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


@plan
class CostPlan:
    """A checked TCO solve (counts, s, USD, J, USD/J, USD/s)."""

    accelerators: int
    duration: float
    unit_cost: float
    lifetime: float
    maintenance_fraction: float
    facility_energy: float
    electricity_price: float
    cloud_hourly_rate: float | None
    tokens: float | None
    queries: float | None


@floats
class CostFloats:
    duration: float
    capex: float
    capex_share: float
    energy_cost: float
    maintenance_cost: float
    tco: float
    facility_energy: float
    electricity_price: float
    cost_per_accelerator_hour: float
    cloud_cost: float | None
    cost_per_million_tokens: float | None
    cost_per_query: float | None


def evaluate(p: CostPlan) -> CostFloats:
    """TCO = straight-line CapEx share + energy x price + maintenance; rental; costs per unit of work."""
    capex = p.unit_cost * p.accelerators
    capex_share = kernels.straight_line_amortization(capex, p.lifetime, p.duration)
    energy = kernels.energy_cost(p.facility_energy, p.electricity_price)
    maintenance = kernels.annual_fraction_cost(capex, p.maintenance_fraction, p.duration, YEAR_S)
    tco = capex_share + energy + maintenance
    cloud = None if p.cloud_hourly_rate is None else kernels.rental_cost(p.cloud_hourly_rate, p.accelerators, p.duration)
    return CostFloats(
        p.duration, capex, capex_share, energy, maintenance, tco, p.facility_energy, p.electricity_price,
        tco / (p.accelerators * p.duration), cloud,
        None if p.tokens is None else tco / p.tokens * 1e6, None if p.queries is None else tco / p.queries,
    )


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
        rate = None if cloud_hourly_rate is None else _system.nonneg(cloud_hourly_rate, "cloud_hourly_rate", "money_rate")
        n_tokens = None if tokens is None else _system.positive(tokens, "tokens", "count")
        n_queries = None if queries is None else _system.positive(queries, "queries", "count")
        facility = footprint(sys_, t, None, u, idle, pue_value, 0.0, life).facility_energy
        out = evaluate(CostPlan(sys_.count, t, price_each, life, maintenance_fraction, facility, price, rate, n_tokens, n_queries))
        capex_share, energy, maintenance = out.capex_share, out.energy_cost, out.maintenance_cost
        parts = {"capex": capex_share, "energy": energy, "maintenance": maintenance}
        assumptions = [
            f"{sys_.count} accelerators at {price_each:,.0f} USD, straight-line over {life / YEAR_S:g} years",
            f"maintenance {maintenance_fraction:g} of CapEx per year (Barroso et al. 2018)",
            f"electricity {price * KWH_J:.4g} USD/kWh ({price_source}); PUE {pue_value:g} ({pue_source}); "
            f"power = TDP x ({idle:g} + {1 - idle:g} x utilization {u:g})",
            "accelerators only: facility CapEx, network, staff and software not counted",
        ]
        return EconomicsResult.view(
            out, system=sys_.name, accelerators=sys_.count, pue=pue_value,
            cheaper=None if out.cloud_cost is None else ("owned" if out.tco <= out.cloud_cost else "cloud"),
            bound=Wall.CAPITAL, dominant=max(parts, key=parts.get), feasible=True, reason="", assumptions=assumptions,
        )
