"""Units at the edges: one registry, dimensions checked, clear errors."""

import pytest

from mlsysim import Q_, InputError, UnitError
from mlsysim.core.units import make, to_float


def test_flops_and_bandwidth_are_different_dimensions():
    # mixing FLOP/s with GB/s is an error, never a silent number
    with pytest.raises(UnitError, match="peak"):
        to_float(Q_("3.35 TB/s"), "peak", "flops")
    with pytest.raises(Exception):
        Q_("1 TFLOP/s") + Q_("1 TB/s")


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("3.35 TB/s", "bandwidth", 3.35e12),  # decimal prefixes, byte/s
        ("400 Gbit/s", "bandwidth", 50e9),  # 400 / 8 = 50 GB/s
        ("80 GiB", "bytes", 80 * 2**30),  # binary prefix
        ("989.4 TFLOP/s", "flops", 989.4e12),
        ("1978.9 TOP/s", "flops", 1978.9e12),  # integer ops counted as ops
        ("1 kWh", "energy", 3.6e6),  # 1000 W x 3600 s
        ("429 gCO2e/kWh", "carbon_intensity", 429 / 3.6e6),
        ("54 day", "time", 54 * 86400),
        ("10 us", "time", 1e-5),
    ],
)
def test_conversions_to_canonical_floats(text, kind, expected):
    assert to_float(text, "x", kind) == pytest.approx(expected, rel=1e-12)


def test_error_names_field_value_and_accepted():
    with pytest.raises(UnitError) as info:
        to_float("fast", "memory.bandwidth", "bandwidth")
    msg = str(info.value)
    assert "memory.bandwidth" in msg and "'fast'" in msg and "TB/s" in msg


def test_plain_number_needs_a_unit_except_counts():
    with pytest.raises(UnitError, match="plain number has no unit"):
        to_float(3.35, "bandwidth", "bandwidth")
    assert to_float(8e9, "parameters", "count") == 8e9
    with pytest.raises(InputError):
        to_float(True, "parameters", "count")


def test_non_finite_rejected():
    with pytest.raises(InputError, match="finite"):
        to_float(Q_(float("nan"), "s"), "t", "time")


def test_make_round_trip():
    q = make(2.5e-3, "time")
    assert q.m_as("ms") == pytest.approx(2.5)
