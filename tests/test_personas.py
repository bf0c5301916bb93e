"""The four deployment archetypes: one unit's audit, and cost, energy and carbon at scale, derived by hand.

Power of one accelerator with no idle draw: TDP x (0 + 1 x duty cycle) (the engine's
utilization_power with idle fraction 0). Facility energy = power x period x PUE. Carbon =
facility energy x grid intensity + embodied (cloud tier: 150 kgCO2e per accelerator over 4
Julian years, straight-line; other tiers 0). TCO = capex x period / 4 years + 5% of capex per
year x period + facility energy x price. At scale: per unit x units.
"""

import pytest

import mlsysim
from mlsysim.core.errors import InputError
from mlsysim.personas import Persona, Personas
from mlsysim.walls import Wall

YEAR_D = 365.25


def rel(x, want, tol=1e-6):
    return x == pytest.approx(want, rel=tol)


def test_cloud_titan_at_scale():
    r = mlsysim.CloudTitan.evaluate()
    # one server: 8 H100 x 700 W x 0.9 = 5,040 W; 54 days = 4,665,600 s -> 6,531.84 kWh IT
    # x PUE 1.15 (the frontier8k datacenter) = 7,511.616 kWh; 1,024 servers -> 7,691.89 MWh
    assert rel(r.facility_energy.m_as("MWh"), 7511.616 * 1024 / 1000)
    # carbon per server: 7,511.616 kWh x 300 g/kWh (us-east Virginia) = 2,253.485 kg
    # + embodied 8 x 150 kg x 54 / (4 x 365.25) = 44.353 kg -> 2,297.838 kg; x 1,024
    per_server_kg = 7511.616 * 0.300 + 8 * 150 * 54 / (4 * YEAR_D)
    assert rel(r.total_carbon.m_as("t"), per_server_kg * 1024 / 1000)
    # TCO per server: 240,000 x 54 / 1461 = 8,870.64 + 0.05 x 240,000 x 54 / 365.25 = 1,774.13
    # + 7,511.616 kWh x 0.085 USD/kWh = 638.49 -> 11,283.25 USD; x 1,024 = 11.554 M USD, within 20 M
    per_server_usd = 240000 * 54 / (4 * YEAR_D) + 0.05 * 240000 * 54 / YEAR_D + 7511.616 * 0.085
    assert rel(r.cost.m_as("USD"), per_server_usd * 1024)
    assert r.within_budget is True
    assert r.audit.context.fleet is not None and r.audit.row(Wall.FRAGILITY) is not None


def test_edge_guardian_at_scale():
    r = mlsysim.EdgeGuardian.evaluate()
    # one vehicle: Jetson Orin NX 25 W x 0.0417 = 1.0425 W; 365 days = 31,536,000 s -> 32.876 MJ = 9.1323 kWh (PUE 1)
    kwh = 25 * 0.0417 * 365 * 86400 / 3.6e6
    assert kwh == pytest.approx(9.1323, rel=1e-4)
    assert rel(r.facility_energy.m_as("MWh"), kwh * 10000 / 1000)     # 91.32 MWh
    assert rel(r.total_carbon.m_as("t"), kwh * 369 * 10000 / 1e6)     # 369 g/kWh, edge tier: no embodied -> 33.70 t
    # TCO per vehicle: 600 x 365 / 1461 = 149.90 + 0.05 x 600 x 365 / 365.25 = 29.98 + 9.1323 x 0.0804 = 0.734
    usd = 600 * 365 / (4 * YEAR_D) + 0.05 * 600 * 365 / YEAR_D + kwh * 0.0804
    assert rel(r.cost.m_as("USD"), usd * 10000)
    # the 30 frames/s camera against a 33 ms p99: the tail-latency line is in the audit
    assert r.audit.row(Wall.TAIL_LATENCY).limit.m_as("ms") == pytest.approx(33)


def test_mobile_nomad_at_scale():
    r = mlsysim.MobileNomad.evaluate()
    # one phone: 8 W x 0.0208 x 31,536,000 s / 3.6e6 = 1.45766 kWh; 100 M phones -> 145,766 MWh
    kwh = 8 * 0.0208 * 365 * 86400 / 3.6e6
    assert rel(r.facility_energy.m_as("MWh"), kwh * 1e8 / 1000)
    assert rel(r.total_carbon.m_as("t"), kwh * 369 * 1e8 / 1e6)
    usd = 999 * 365 / (4 * YEAR_D) + 0.05 * 999 * 365 / YEAR_D + kwh * 0.0804
    assert rel(r.cost.m_as("USD"), usd * 1e8)


def test_tiny_pioneer_at_scale():
    r = mlsysim.TinyPioneer.evaluate()
    # one MCU: 15 mW, always on: 0.015 x 31,536,000 / 3.6e6 = 0.1314 kWh a year; 10 M -> 1,314 MWh, 484.9 t
    assert rel(r.facility_energy.m_as("MWh"), 1314.0)
    assert rel(r.total_carbon.m_as("t"), 0.1314 * 369 * 1e7 / 1e6)
    usd = 3 * 365 / (4 * YEAR_D) + 0.05 * 3 * 365 / YEAR_D + 0.1314 * 0.0804
    assert rel(r.cost.m_as("USD"), usd * 1e7)
    assert r.audit.row(Wall.TAIL_LATENCY) is not None and r.audit.binding is Wall.COMPUTE


def test_at_scale_is_per_unit_times_scale():
    for p in Personas:
        r = p.evaluate()
        assert rel(r.facility_energy.m_as("J"), r.per_unit_sustainability.facility_energy.m_as("J") * p.scale)
        assert rel(r.cost.m_as("USD"), r.per_unit_economics.tco.m_as("USD") * p.scale)


def test_every_archetype_number_has_a_source():
    for p in Personas:
        for name in ("scale", "duty_cycle", "period"):
            src = p.provenance(name)
            assert src is not None and src.kind in ("measured", "estimate", "derived", "datasheet")
    assert mlsysim.EdgeGuardian.provenance("duty_cycle").kind == "estimate"   # marked, not passed off as measured


def test_lazy_exports():
    assert {"CloudTitan", "EdgeGuardian", "MobileNomad", "TinyPioneer"} <= set(mlsysim.__all__)
    assert mlsysim.TinyPioneer.scale == 10_000_000


def test_over_budget_is_a_result():
    p = mlsysim.TinyPioneer.model_copy(update={"budget": mlsysim.Q_(1000, "USD")})
    r = p.evaluate()
    assert r.within_budget is False and r.feasible is False
    assert "OVER BUDGET" in r.table()


@pytest.mark.parametrize("field,value", [("duty_cycle", 0.0), ("duty_cycle", 1.5), ("scale", 0)])
def test_bad_archetype_is_named(field, value):
    base = dict(name="x", unit="phone", system="iphone15pro", model="mobilenetv2", scale=10, duty_cycle=0.5, period="1 day")
    base[field] = value
    with pytest.raises((InputError, ValueError), match=field):
        Persona(**base)
