"""SustainabilityModel: energy, carbon and water against published numbers and hand arithmetic."""

import pytest

from mlsysim import Grids
from mlsysim.core.errors import InputError
from mlsysim.core.units import Q_
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.infrastructure.types import GridProfile
from mlsysim.physics import formulas
from mlsysim.solvers import SustainabilityModel
from mlsysim.walls import Wall

# Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", Table 4, GPT-3:
# 10,000 V100s for 14.8 days, 330 W average system power per processor (measured, so used
# here in place of TDP), PUE 1.1, 429 gCO2e/kWh -> 1,287 MWh and 552 tCO2e.
V100_AT_330W = HardwareNode(
    name="V100 (Patterson et al. system power)", compute=ComputeCore(peak_flops="125 TFLOP/s"),
    memory=MemoryHierarchy(capacity="32 GB", bandwidth="900 GB/s"), tdp="330 W",
)
GPT3_GRID = GridProfile(name="GPT-3 training grid (Patterson et al. 2021)", carbon_intensity="429 gCO2e/kWh", pue=1.1)

GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"),
    tdp="700 W",
)
GRID = GridProfile(name="Test grid", carbon_intensity="400 gCO2e/kWh", pue=1.2, wue="1.8 L/kWh")


def test_gpt3_energy_and_carbon_match_patterson_2021():
    r = SustainabilityModel().solve(V100_AT_330W, "14.8 day", grid=GPT3_GRID, count=10_000, embodied_carbon="0 kg")
    # 10,000 x 330 W x 14.8 d x 24 h = 1,172.16 MWh of IT energy; x 1.1 = 1,289.38 MWh
    assert r.it_energy.m_as("MWh") == pytest.approx(10_000 * 330 * 14.8 * 24 / 1e6, rel=1e-12)
    assert r.facility_energy.m_as("MWh") == pytest.approx(1289.376, rel=1e-9)
    assert r.facility_energy.m_as("MWh") == pytest.approx(1287, rel=0.005)  # published
    # 1,289.376 MWh x 429 gCO2e/kWh = 553.14 tCO2e; published 552
    assert r.operational_carbon.m_as("tCO2e") == pytest.approx(1289.376 * 0.429, rel=1e-9)
    assert r.operational_carbon.m_as("tCO2e") == pytest.approx(552, rel=0.005)
    assert r.total_carbon.m_as("tCO2e") == pytest.approx(r.operational_carbon.m_as("tCO2e"))


def test_published_energy_times_intensity_gives_552_t():
    # the paper's own product: 1,287 MWh x 429 gCO2e/kWh = 552.1 tCO2e
    assert formulas.calc_carbon(Q_("1287 MWh"), Q_("429 gCO2e/kWh")).m_as("tCO2e") == pytest.approx(552.123, rel=1e-9)


def test_utilization_aware_power_water_and_embodied_share():
    r = SustainabilityModel().solve(GPU, "10 hour", grid=GRID, count=8, utilization=0.5, idle_fraction=0.15)
    # P(u) = 700 W x (0.15 + 0.85 x 0.5) = 402.5 W per accelerator (Fan et al. 2007)
    assert r.accelerator_power.m_as("W") == pytest.approx(402.5)
    # IT: 8 x 402.5 W x 10 h = 32.2 kWh; facility x 1.2 = 38.64 kWh; carbon x 0.4 kg/kWh = 15.456 kg
    assert r.it_energy.m_as("kWh") == pytest.approx(32.2)
    assert r.facility_energy.m_as("kWh") == pytest.approx(38.64)
    assert r.operational_carbon.m_as("kgCO2e") == pytest.approx(15.456)
    # water per IT kWh (The Green Grid WUE): 32.2 kWh x 1.8 L/kWh = 57.96 L
    assert r.water.m_as("L") == pytest.approx(57.96)
    # embodied: 8 x 150 kg x 10 h / (4 x 8766 h)
    assert r.embodied_carbon.m_as("kgCO2e") == pytest.approx(8 * 150 * 10 / (4 * 8766))
    assert r.bound == Wall.SUSTAINABILITY and r.dominant == "operational"


def test_embodied_carbon_over_a_year_is_a_quarter_of_a_four_year_life():
    r = SustainabilityModel().solve(GPU, "1 year", grid=GRID, count=8)
    assert r.embodied_carbon.m_as("kgCO2e") == pytest.approx(8 * 150 / 4)  # 300 kg


def test_no_sourced_embodied_default_for_tiny_devices():
    mcu = HardwareNode(name="MCU", tier="tiny", compute=ComputeCore(peak_flops="1 GFLOP/s"),
                       memory=MemoryHierarchy(capacity="512 kB", bandwidth="1 GB/s"), tdp="0.5 W")
    r = SustainabilityModel().solve(mcu, "1 year", grid=GRID)
    assert r.embodied_carbon.m_as("g") == 0
    assert any("embodied carbon 0" in a for a in r.assumptions)


def test_quebec_against_poland_from_the_registry():
    rs = SustainabilityModel().compare(GPU, "30 day", ["quebec", "poland"], count=8)
    q, p = (rs[Grids.get(k).name] for k in ("quebec", "poland"))
    # same IT energy; carbon scales with PUE x intensity of each grid
    assert q.it_energy.m_as("J") == pytest.approx(p.it_energy.m_as("J"))
    ratio = (p.pue * p.carbon_intensity.m_as("gCO2e/kWh")) / (q.pue * q.carbon_intensity.m_as("gCO2e/kWh"))
    assert p.operational_carbon.m_as("g") / q.operational_carbon.m_as("g") == pytest.approx(ratio)
    assert p.operational_carbon > 50 * q.operational_carbon  # coal against hydro


@pytest.mark.parametrize("kwargs, field", [
    ({"duration": "-5 hour", "grid": GRID}, "duration"),
    ({"duration": "5 hour"}, "grid"),  # a bare accelerator has no grid of its own
    ({"duration": "5 hour", "grid": GRID, "utilization": 1.5}, "utilization"),
    ({"duration": "5 kg", "grid": GRID}, "duration"),
])
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        SustainabilityModel().solve(GPU, **kwargs)
    assert exc.value.field == field
