"""The unit-checked wrappers of the fleet-scale kernels, against hand arithmetic."""

import math

import pytest

from mlsysim.core.errors import InputError, UnitError
from mlsysim.core.units import Q_
from mlsysim.physics import formulas


def test_hierarchical_allreduce():
    # 8 per node, 4 nodes, 1 GB: 2 x 7 x 1 us + 2 x 7/8 x 1 GB / 450 GB/s + 2 x 3 x 5 us + 2 x 3/4 x 125 MB / 50 GB/s
    t = formulas.calc_hierarchical_allreduce_time(Q_("1 GB"), 8, 4, Q_("450 GB/s"), Q_("1 us"), Q_("50 GB/s"), Q_("5 us"))
    assert t.m_as("s") == pytest.approx(14e-6 + 1.75 * 1e9 / 450e9 + 30e-6 + 1.5 * 125e6 / 50e9, rel=1e-12)
    # one node only: a plain ring on the node link
    t1 = formulas.calc_hierarchical_allreduce_time(Q_("1 GB"), 8, 1, Q_("450 GB/s"), Q_("1 us"), Q_("50 GB/s"), Q_("5 us"))
    assert t1.m_as("s") == pytest.approx(formulas.calc_ring_allreduce_time(Q_("1 GB"), 8, Q_("450 GB/s"), Q_("1 us")).m_as("s"), rel=1e-12)


def test_tensor_parallel_comm():
    # 4 x 32 layers x ring(2048 x 4096 x 2 B over 8 at 450 GB/s, 1 us)
    ring = 2 * 7 * 1e-6 + 2 * 7 / 8 * 2048 * 4096 * 2 / 450e9
    t = formulas.calc_tensor_parallel_comm_time(32, 2048, 4096, 8, Q_("450 GB/s"), Q_("1 us"))
    assert t.m_as("s") == pytest.approx(4 * 32 * ring, rel=1e-12)
    assert formulas.calc_tensor_parallel_comm_time(32, 2048, 4096, 1, Q_("450 GB/s"), Q_("1 us")).m_as("s") == 0


def test_zero_memory_stage_2():
    w, g, o = formulas.calc_zero_memory(7.5e9, dp=64, stage=2)
    # Rajbhandari et al. 2020, Fig. 1 example: Psi = 7.5B, N_d = 64, stage 2 = 2 Psi + 14 Psi / 64 = 16.6 GB
    assert (w + g + o).m_as("GB") == pytest.approx(2 * 7.5 + 14 * 7.5 / 64, rel=1e-12)
    assert (w + g + o).m_as("GB") == pytest.approx(16.6, abs=0.05)
    with pytest.raises(InputError) as exc:
        formulas.calc_zero_memory(7.5e9, dp=64, stage=4)
    assert exc.value.field == "stage"


def test_power_energy_money():
    assert formulas.calc_utilization_power(Q_("700 W"), 0.0, 0.15).m_as("W") == pytest.approx(105)
    assert formulas.calc_facility_energy(Q_("100 kWh"), 1.2).m_as("kWh") == pytest.approx(120)
    assert formulas.calc_energy_cost(Q_("120 kWh"), Q_("0.1 USD/kWh")).m_as("USD") == pytest.approx(12)
    assert formulas.calc_amortized_capex(Q_("30000 USD"), Q_("4 year"), Q_("1 year")).m_as("USD") == pytest.approx(7500)
    with pytest.raises(UnitError):
        formulas.calc_energy_cost(Q_("120 kWh"), Q_("0.1 USD"))
    with pytest.raises(InputError) as exc:
        formulas.calc_facility_energy(Q_("100 kWh"), 0.9)
    assert exc.value.field == "pue"


def test_checkpoint_waste_and_chinchilla_loss():
    tau = math.sqrt(2 * 60 * 10_800)
    assert formulas.calc_checkpoint_waste_fraction(Q_(f"{tau} s"), Q_("60 s"), Q_("3 hour")) == pytest.approx(2 * 60 / tau, rel=1e-12)
    # Chinchilla 70B on 1.4T tokens: 1.69 + 406.4 / 70e9^0.34 + 410.7 / 1.4e12^0.28
    assert formulas.calc_chinchilla_loss(70e9, 1.4e12) == pytest.approx(1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28, rel=1e-12)
