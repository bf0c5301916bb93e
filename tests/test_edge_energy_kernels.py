"""The edge-energy kernels (battery life, sustained rate, offload energy) against hand arithmetic,
and the registry data they read (batteries, device idle/sustained power, radios) against its sources."""
from __future__ import annotations

import math

import pytest

from mlsysim import Hardware, InputError, Networks
from mlsysim.edge_registry import Batteries, DevicePowers, Radios
from mlsysim.physics import formulas, kernels


def test_energy_above_idle_by_hand():
    # 8 W for 2 ms = 16 mJ; the idle 0.3 W would have used 0.6 mJ anyway: 15.4 mJ added
    assert kernels.energy_above_idle(0.016, 0.3, 0.002) == pytest.approx(0.0154)
    # never negative (a device whose "active" energy is below its idle draw adds nothing)
    assert kernels.energy_above_idle(0.001, 1.0, 0.01) == 0.0
    assert formulas.calc_energy_above_idle("16 mJ", "0.3 W", "2 ms").to("mJ").magnitude == pytest.approx(15.4)


def test_average_power_and_battery_life_by_hand():
    # 0.3 W idle + 15.4 mJ x 10 /s = 0.3 + 0.154 = 0.454 W
    assert kernels.average_power(0.3, 0.0154, 10) == pytest.approx(0.454)
    # a 17.8 Wh battery = 64,080 J; at 0.454 W: 64,080 / 0.454 = 141,145 s = 39.21 h
    assert kernels.battery_life(17.8 * 3600, 0.454) == pytest.approx(141_145, rel=1e-4)
    assert formulas.calc_battery_life("17.8 Wh", "0.454 W").to("hour").magnitude == pytest.approx(39.207, rel=1e-4)
    # a CR2032 (0.675 Wh) at 9 uW idle: 2,430 J / 9e-6 W = 2.7e8 s = 75,000 h (8.6 years)
    assert formulas.calc_battery_life("0.675 Wh", "9 uW").to("hour").magnitude == pytest.approx(75_000)


def test_radio_connected_fraction_saturates():
    # one request every 100 s, each keeping LTE connected 11.7 s: 11.7 % of the time
    assert kernels.radio_connected_fraction(0.01, 11.7) == pytest.approx(0.117)
    # one every 5 s: the tails overlap, the radio never sleeps
    assert kernels.radio_connected_fraction(0.2, 11.7) == 1.0


def test_transmit_energy_by_hand():
    # 100 kB = 800,000 bit at 0.438 uJ/bit = 0.3504 J (Huang et al. 2012: 438.39 mW per Mbit/s)
    assert kernels.transmit_energy(100e3, 0.438e-6 * 8) == pytest.approx(0.3504)
    assert formulas.calc_transmit_energy("100 kB", "0.438 uJ/bit").to("J").magnitude == pytest.approx(0.3504)


def test_thermal_sustained_rate_by_hand():
    # a phone sheds 4 W for good, idles at 0.3 W; an inference adds 0.1 J: (4 - 0.3) / 0.1 = 37 /s
    assert kernels.thermal_sustained_rate(4.0, 0.3, 0.1) == pytest.approx(37.0)
    # and that rate's average power is exactly the sustained power
    assert kernels.average_power(0.3, 0.1, 37.0) == pytest.approx(4.0)
    assert kernels.thermal_sustained_rate(0.2, 0.3, 0.1) == 0.0
    assert kernels.thermal_sustained_rate(4.0, 0.3, 0.0) == math.inf
    assert formulas.calc_thermal_sustained_rate("4 W", "0.3 W", "100 mJ").magnitude == pytest.approx(37.0)


def test_offload_break_even_rate_by_hand():
    # device 0.1 J per inference; LTE connected 1.06 W for 11.7 s per request (E_off = 12.402 + 0.0035 J)
    # and 3.5 mJ to send: the device wins at low rates; the powers meet at 1.06 / (0.1 - 0.0035) = 10.98 /s
    r = kernels.offload_energy_break_even_rate(0.1, 1.06, 11.7, 0.0035)
    assert r == pytest.approx(10.984, rel=1e-3)
    # check it against the two power curves themselves (radio saturated there: 10.98 x 11.7 > 1)
    on_device = kernels.average_power(0.3, 0.1, r)
    offload = kernels.average_power(0.3 + 1.06 * kernels.radio_connected_fraction(r, 11.7), 0.0035, r)
    assert on_device == pytest.approx(offload)
    # just below it the device uses less; just above, offloading does
    for f, device_wins in ((0.9, True), (1.1, False)):
        dev = kernels.average_power(0.3, 0.1, f * r)
        off = kernels.average_power(0.3 + 1.06 * kernels.radio_connected_fraction(f * r, 11.7), 0.0035, f * r)
        assert (dev < off) is device_wins
    # a device inference dearer than a whole isolated offload (20 J > 12.4 J): offloading wins at every rate
    assert kernels.offload_energy_break_even_rate(20.0, 1.06, 11.7, 0.0035) == 0.0
    # an inference cheaper than sending the request: the device wins at every rate
    assert kernels.offload_energy_break_even_rate(0.002, 1.06, 11.7, 0.0035) == math.inf
    assert formulas.calc_offload_energy_break_even_rate("2 mJ", "1.06 W", "11.7 s", "3.5 mJ") is None
    assert formulas.calc_offload_energy_break_even_rate("0.1 J", "1.06 W", "11.7 s", "3.5 mJ").magnitude == \
        pytest.approx(10.984, rel=1e-3)


@pytest.mark.parametrize("call,field", [
    (lambda: formulas.calc_battery_life("17.8 Wh", "0 W"), "power"),
    (lambda: formulas.calc_battery_life("-1 Wh", "1 W"), "capacity"),
    (lambda: formulas.calc_battery_life("17.8 kg", "1 W"), "capacity"),
    (lambda: formulas.calc_average_power("0.3 W", "1 J", "-1 1/s"), "rate"),
    (lambda: formulas.calc_thermal_sustained_rate("4 W", "0.3 W", "0 J"), "energy_per_event"),
    (lambda: formulas.calc_transmit_energy("1 kB", "1 W"), "energy_per_byte"),
    (lambda: formulas.calc_offload_energy_break_even_rate("-1 J", "1 W", "1 s", "1 mJ"), "device_energy"),
])
def test_bad_input_names_the_argument(call, field):
    with pytest.raises(InputError) as e:
        call()
    assert field in str(e.value)


# --- the registry's edge-energy data, against the sources (hand-copied here, not from the TOML) ---

def test_battery_capacities_from_their_cells():
    # mAh x nominal volts: Pixel 8 4.575 Ah x 3.89 V = 17.8 Wh; CR2032 0.225 Ah x 3.0 V = 0.675 Wh;
    # four NCR18650B 4 x 3.35 Ah x 3.6 V = 48.24 Wh; Galaxy S24 Ultra 5.0 Ah x 3.88 V = 19.4 Wh
    for key, wh in (("pixel8_battery", 4.575 * 3.89), ("cr2032", 0.225 * 3.0), ("li18650_4s", 4 * 3.35 * 3.6),
                    ("galaxy_s24_ultra_battery", 5.0 * 3.88), ("iphone15pro_battery", 12.70)):
        assert Batteries.get(key).capacity.to("Wh").magnitude == pytest.approx(wh, rel=0.005), key


def test_radios_from_huang_2012():
    # LTE: alpha_u 438.39 mW per Mbit/s = 0.438 uJ/bit; tail 11.576 s at 1,060 mW (Huang et al. 2012)
    lte = Radios.get("lte")
    assert lte.transmit_energy.to("uJ/bit").magnitude == pytest.approx(0.43839, rel=0.002)
    assert lte.tail_time.to("s").magnitude == pytest.approx(11.576)
    assert lte.connected_power.to("W").magnitude == pytest.approx(1.06)
    # Wi-Fi: alpha_u 283.17 mW per Mbit/s, base 132.86 mW
    wifi = Radios.get("broadband")
    assert wifi.transmit_energy.to("uJ/bit").magnitude == pytest.approx(0.28317, rel=0.002)
    assert wifi.connected_power.to("mW").magnitude == pytest.approx(132.86, rel=0.002)


def test_every_edge_entry_names_a_real_device_or_network_and_has_provenance():
    hw = {h.key for h in Hardware.list()}
    nets = {n.key for n in Networks.list()}
    for d in DevicePowers.list():
        assert d.key in hw, d.key
        h = Hardware.get(d.key)
        assert h.tier in ("mobile", "edge", "tiny")
        # idle < sustained <= burst (TDP): a case cannot shed more for good than the chip can draw
        assert d.idle_power < d.sustained_power <= h.tdp
        for field in ("idle_power", "sustained_power"):
            assert d.provenance(field).kind in ("datasheet", "paper", "measured", "estimate", "derived")
    for r in Radios.list():
        assert r.key in nets, r.key
    assert {r.key for r in Radios.list()} == nets  # every network the labs offer has a radio


def test_offload_energy_per_request_by_hand():
    # LTE: 0.15 s round trip + 11.576 s tail = 11.726 s connected per request
    assert kernels.radio_connected_time(0.15, 11.576) == pytest.approx(11.726)
    # one request every 100 s: a whole tail each, 1.06 W x 11.726 s + 3.5 mJ = 12.4296 + 0.0035 = 12.4331 J
    assert kernels.offload_energy_per_request(0.01, 1.06, 11.726, 0.0035) == pytest.approx(12.4331, rel=1e-4)
    assert kernels.offload_energy_per_request(0.0, 1.06, 11.726, 0.0035) == pytest.approx(12.4331, rel=1e-4)
    # ten a second: the radio never sleeps, 1.06 W shared by 10 requests = 0.106 J, + 3.5 mJ = 0.1095 J
    assert kernels.offload_energy_per_request(10.0, 1.06, 11.726, 0.0035) == pytest.approx(0.1095)
