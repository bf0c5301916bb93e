"""Reliability, round five: the wall-clock interval between interruptions and repeat offenders, derived by hand.

Tolerance: 1e-9 relative for closed forms, 1e-3 for figures rounded in the comments.
"""

import math
from dataclasses import replace

import pytest

from mlsysim import InputError, ureg
from mlsysim import measurements
from mlsysim.physics import formulas, kernels
from mlsysim.solvers import ReliabilityModel

GPU_H = 16384 * 1296 / 268  # Llama 3 accelerator class, GPU-hours per interruption (Dubey et al. 2024, Table 5)
NODE_H = 2048 * 1296 / 88  # node class, node-hours per interruption


def test_calendar_interval_adds_the_downtime():
    # alternating renewal: up 100 h, down 4 h -> one interruption every 104 h of wall clock
    assert kernels.calendar_interruption_interval(100.0, 4.0) == 104.0
    assert kernels.calendar_interruption_interval(7.5, 0.0) == 7.5
    q = formulas.calc_calendar_interruption_interval(ureg.Quantity(100, "hour"), ureg.Quantity(30, "minute"))
    assert q.m_as("hour") == pytest.approx(100.5, rel=1e-9)
    with pytest.raises(InputError, match="downtime"):
        formulas.calc_calendar_interruption_interval(ureg.Quantity(100, "hour"), ureg.Quantity(-1, "hour"))
    with pytest.raises(InputError, match="running_mtbf"):
        formulas.calc_calendar_interruption_interval(ureg.Quantity(0, "hour"), ureg.Quantity(1, "hour"))


def test_solver_interval_is_mtbf_plus_restart():
    # 16,384 H100 at the all-cause default: 1,296 / 419 = 3.0931 h; a 10-minute restart -> 3.2597 h
    r = ReliabilityModel().solve("h100", ureg.Quantity(30, "day"), count=16384, checkpoint_time=ureg.Quantity(0, "s"),
                                 restart_time=ureg.Quantity(10, "minute"))
    assert r.interruption_interval.m_as("hour") == pytest.approx(1296 / 419 + 10 / 60, rel=1e-9)
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(1296 / 419, rel=1e-9)  # unchanged


def test_glm130b_case_counts_its_downtime():
    # 96 DGX-A100 at the mean RSC A100 hardware rate (round seven, rule 2): 5,429.86 / 96 = 56.561 h running,
    # + 4.15 h mean downtime from the log = 60.71 h between interruptions on the wall clock
    case = next(c for c in measurements.load_cases()[1] if c.id == "glm130b-hardware-interruptions")
    p = measurements.predict(case)
    assert p.value == pytest.approx(5429.86 / 96 + 4.15, rel=1e-6)
    assert p.value == pytest.approx(60.71, rel=1e-3)
    # with Llama 3's classes (rule 3, rounds five and six): 1 / (768 / 79,230.09 + 96 / 30,161.45)
    # = 1 / (0.0096933 + 0.0031828) = 77.663 h running, + 4.15 = 81.81 h
    old = replace(case, config={**case.config, "classes": ["accelerator", "node"]},
                  profile={"accelerator_mtbf_hours": 79230.09, "node_mtbf_hours": 30161.45})
    assert measurements.predict(old).value == pytest.approx(1 / (768 / GPU_H + 96 / NODE_H) + 4.15, rel=1e-6)
    # without the downtime the same case is the running MTBF alone
    assert measurements.predict(replace(case, config={k: v for k, v in case.config.items() if k != "downtime"})).value == \
        pytest.approx(5429.86 / 96, rel=1e-6)


def test_b200_cases_by_hand():
    cases = {c.id: c for c in measurements.load_cases()[1]}
    # GPU failures only: 79,230.09 / 504 = 157.20 h
    assert measurements.predict(cases["b200-gpu-xid-failures"]).value == pytest.approx(GPU_H / 504, rel=1e-6)
    # hardware: 1 / (504 / 79,230.09 + 63 / 30,161.45) = 1 / (0.0063612 + 0.0020887) = 118.34 h
    assert measurements.predict(cases["b200-hardware-failures"]).value == pytest.approx(118.34, rel=1e-3)


def test_bad_downtime_is_named(tmp_path):
    text = ('category = "r"\n[profiles.p]\naccelerator_mtbf_hours = 100.0\nsource = "s"\n[sources.s]\ntitle = "t"\n'
            '[[cases]]\nid = "a"\nsource = "s"\nwhere = "w"\nkind = "job_mtti"\nfleet = "selene_a100"\ngpus = 8\n'
            'classes = ["accelerator"]\nprofile = "p"\nmetric = "m"\nmeasured = {{ value = 1, unit = "hour" }}\ndowntime = {d}\n')
    for bad in ('{ value = -1, unit = "hour" }', '{ value = 1, unit = "metre" }', '"4 h"', '{ value = true, unit = "hour" }',
                '{ value = nan, unit = "hour" }', '{ value = inf, unit = "hour" }'):
        (tmp_path / "r.toml").write_text(text.format(d=bad))
        _, cases = measurements.load_cases(tmp_path)
        with pytest.raises(InputError, match="a.downtime"):
            measurements.predict(cases[0])
    (tmp_path / "r.toml").write_text(text.format(d='{ value = 30, unit = "minute" }'))
    _, cases = measurements.load_cases(tmp_path)
    assert measurements.predict(cases[0]).value == pytest.approx(100 / 8 + 0.5, rel=1e-9)  # 12.5 h + 0.5 h


def test_expected_distinct_units_by_hand():
    # one event hits exactly one unit; two events on two units: 2 (1 - 1/4) = 1.5
    assert kernels.expected_distinct_units(10, 1) == pytest.approx(1.0, rel=1e-12)
    assert kernels.expected_distinct_units(2, 2) == pytest.approx(1.5, rel=1e-12)
    # SKT HAEIN: 17 failures over 63 nodes -> 63 (1 - (62/63)^17); ln(62/63) = -0.0160004, x 17 = -0.272007,
    # e^-0.272007 = 0.761847 -> 63 x 0.238153 = 15.004 distinct nodes expected (13 were hit)
    assert kernels.expected_distinct_units(63, 17) == pytest.approx(15.004, rel=1e-3)
    assert formulas.calc_expected_distinct_units(63, 17).m == pytest.approx(15.004, rel=1e-3)
    assert kernels.expected_distinct_units(63, 0) == 0.0
    # never more distinct units than events or units
    assert kernels.expected_distinct_units(5, 1000) == pytest.approx(5.0, rel=1e-9)
    with pytest.raises(InputError, match="units"):
        formulas.calc_expected_distinct_units(0, 3)
    assert math.isfinite(kernels.expected_distinct_units(1e6, 3))
