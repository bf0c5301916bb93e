"""EconomicsModel: TCO = amortised CapEx + energy + maintenance, against hand arithmetic."""

import pytest

from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.infrastructure.types import GridProfile
from mlsysim.solvers import EconomicsModel
from mlsysim.walls import Wall

GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"),
    tdp="700 W", unit_cost="30000 USD",
)
GRID = GridProfile(name="Test grid", carbon_intensity="400 gCO2e/kWh", pue=1.1, electricity_price="0.10 USD/kWh")
HOURS_PER_YEAR = 365.25 * 24  # 8,766 h


def test_one_year_tco_of_eight_accelerators():
    r = EconomicsModel().solve(GPU, "1 year", count=8, grid=GRID, cloud_hourly_rate="2.5 USD/hour", tokens=1e9, queries=1e6)
    # CapEx 8 x 30,000 = 240,000 USD; a quarter of a 4-year life = 60,000
    assert r.capex.m_as("USD") == pytest.approx(240_000)
    assert r.capex_share.m_as("USD") == pytest.approx(60_000)
    # maintenance 5% of CapEx per year = 12,000
    assert r.maintenance_cost.m_as("USD") == pytest.approx(12_000)
    # energy: 8 x 700 W x 8,766 h = 49,089.6 kWh; x PUE 1.1 = 53,998.56 kWh; x 0.10 USD = 5,399.856
    assert r.facility_energy.m_as("kWh") == pytest.approx(8 * 0.7 * HOURS_PER_YEAR * 1.1)
    assert r.energy_cost.m_as("USD") == pytest.approx(5_399.856)
    assert r.tco.m_as("USD") == pytest.approx(60_000 + 12_000 + 5_399.856)
    assert r.bound == Wall.CAPITAL and r.dominant == "capex"
    # renting: 2.5 USD x 8 x 8,766 h = 175,320 USD -> owning is cheaper at full use
    assert r.cloud_cost.m_as("USD") == pytest.approx(175_320)
    assert r.cheaper == "owned"
    assert r.cost_per_accelerator_hour.m_as("USD/hour") == pytest.approx(77_399.856 / (8 * HOURS_PER_YEAR))
    # unit costs: 77,399.856 USD / 1e9 tokens x 1e6 = 77.40 USD per million tokens; / 1e6 queries
    assert r.cost_per_million_tokens.m_as("USD") == pytest.approx(77.399856)
    assert r.cost_per_query.m_as("USD") == pytest.approx(0.077399856)


def test_price_and_lifetime_overrides():
    r = EconomicsModel().solve(GPU, "1 year", count=8, grid=GRID, electricity_price="0.20 USD/kWh", lifetime="3 year",
                               maintenance_fraction=0.0, unit_cost="24000 USD")
    assert r.capex_share.m_as("USD") == pytest.approx(8 * 24_000 / 3)
    assert r.energy_cost.m_as("USD") == pytest.approx(2 * 5_399.856)
    assert r.maintenance_cost.m_as("USD") == 0


def test_default_price_when_the_grid_lists_none():
    bare = GridProfile(name="No price", carbon_intensity="400 gCO2e/kWh", pue=1.1)
    r = EconomicsModel().solve(GPU, "1 year", count=8, grid=bare)
    assert r.electricity_price.m_as("USD/kWh") == pytest.approx(0.08)  # EIA 2023 U.S. industrial average
    assert any("EIA" in a for a in r.assumptions)


@pytest.mark.parametrize("kwargs, field", [
    ({"duration": "-1 day"}, "duration"),
    ({"duration": "1 day", "unit_cost": "-5 USD"}, "unit_cost"),
    ({"duration": "1 day", "cloud_hourly_rate": "2 USD"}, "cloud_hourly_rate"),  # a price, not a rate
    ({"duration": "1 day", "maintenance_fraction": 2}, "maintenance_fraction"),
    ({"duration": "1 day", "count": 0}, "count"),
])
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        EconomicsModel().solve(GPU, grid=GRID, **{"count": 8, **kwargs})
    assert exc.value.field == field


def test_missing_unit_cost_is_asked_for():
    no_price = HardwareNode(name="Unpriced GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"),
                            memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W")
    with pytest.raises(InputError) as exc:
        EconomicsModel().solve(no_price, "1 day", count=1, grid=GRID)
    assert exc.value.field == "unit_cost"
