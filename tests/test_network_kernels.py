"""The network round-trip kernels of the ML-systems lab, against hand arithmetic."""
from __future__ import annotations

import pytest

from mlsysim import InputError, Networks
from mlsysim.physics import formulas, kernels


def test_signal_speed_in_fibre():
    # c / n = 299,792,458 / 1.4682 = 204,190,477 m/s (Corning SMF-28 Ultra, 1550 nm)
    assert kernels.signal_speed(299_792_458.0, 1.4682) == pytest.approx(204_190_477, rel=1e-6)


def test_round_trip_by_hand():
    # 1,000 km over 5G: propagation 2 x 1e6 m / 204,190,477 m/s = 9.7947 ms; hops 2 x 12 x 0.1 ms = 2.4 ms;
    # access 15 ms; upload 100 kB x 8 / 15 Mbit/s = 800,000 / 15e6 s = 53.333 ms. Total 80.528 ms.
    t = formulas.calc_network_round_trip("1000 km", 1.4682, 12, "0.1 ms", "15 ms", "100 kB", "15 Mbit/s")
    assert t.to("ms").magnitude == pytest.approx(80.528, rel=1e-4)
    # the same from the registry entry
    g = Networks.get("5g")
    t2 = formulas.calc_network_round_trip("1000 km", g.group_index, 12, g.hop_delay, g.access_round_trip,
                                          "100 kB", g.uplink_bandwidth)
    assert t2.to("ms").magnitude == pytest.approx(80.528, rel=1e-4)
    # distance zero, no payload: the access round trip plus the hops only: 15 + 2.4 = 17.4 ms
    t0 = formulas.calc_network_round_trip("0 km", 1.4682, 12, "0.1 ms", "15 ms", "0 B", "15 Mbit/s")
    assert t0.to("ms").magnitude == pytest.approx(17.4)


def test_break_even_distance_by_hand():
    # (181 - 3.2 - 60) ms = 117.8 ms of slack; x v / 2 = 0.1178 s x 204,190,749 / 2 = 12,026.8 km
    d = formulas.calc_offload_break_even_distance("181 ms", "3.2 ms", "60 ms", 1.4682)
    assert d.to("km").magnitude == pytest.approx(12_026.8, rel=1e-4)
    # slower than the device before any distance: the kernel is negative, the wrapper says 0 km (never)
    assert formulas.calc_offload_break_even_distance("1 ms", "0.1 ms", "20 ms", 1.4682).magnitude == 0
    assert kernels.offload_break_even_distance(0.001, 0.0001, 0.020, 2e8) < 0
    # and it is the distance at which the round trip closes the gap exactly
    v = kernels.signal_speed(299_792_458.0, 1.4682)
    dist = kernels.offload_break_even_distance(0.181, 0.0032, 0.060, v)
    assert 0.0032 + 0.060 + 2 * dist / v == pytest.approx(0.181)


@pytest.mark.parametrize("field,args", [
    ("distance", ("12 kg", 1.4682, 12, "0.1 ms", "15 ms", "1 kB", "1 Mbit/s")),
    ("distance", ("-1 km", 1.4682, 12, "0.1 ms", "15 ms", "1 kB", "1 Mbit/s")),
    ("group_index", ("1 km", 0.9, 12, "0.1 ms", "15 ms", "1 kB", "1 Mbit/s")),
    ("hops", ("1 km", 1.4682, -1, "0.1 ms", "15 ms", "1 kB", "1 Mbit/s")),
    ("uplink_bandwidth", ("1 km", 1.4682, 12, "0.1 ms", "15 ms", "1 kB", "0 Mbit/s")),
    ("access_round_trip", ("1 km", 1.4682, 12, "0.1 ms", "-15 ms", "1 kB", "1 Mbit/s")),
])
def test_bad_input_names_the_argument(field, args):
    with pytest.raises(InputError) as e:
        formulas.calc_network_round_trip(*args)
    assert field in str(e.value)


def test_registry_networks_have_provenance():
    for n in Networks.list():
        assert n.group_index >= 1 and n.uplink_bandwidth.to("bit/s").magnitude > 0
