"""The own-or-rent lab under plain Python: its break-even agrees with the chart's crossing and
with hand arithmetic, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402

LAB = "vol2_ch02_compute_infrastructure"
chapter = chapter_module(LAB)


def test_default_numbers_by_hand():
    # purchase 256 x 30,000 USD (registry estimate) = 7.68 M USD
    # power per GPU 700 W x (0.15 + 0.85 x 0.5) = 402.5 W; x 256 x PUE 1.3 = 133.95 kW at the meter
    # a month = 8,766 h / 12 = 730.5 h: 133.95 kW x 730.5 h = 97,852 kWh x 0.08 USD = 7,828 USD
    # maintenance 5 % of 7.68 M a year / 12 = 32,000 USD; owning runs 39,828 USD a month
    # rent 2.5 USD x 256 x 730.5 h x 0.5 = 233,760 USD a month
    # break-even 7.68 M / (233,760 - 39,828) = 7.68e6 / 193,932 = 39.60 months -> cheaper from month 40
    _, d, _ = run_lab(LAB)
    c = d["costs"]
    assert c.upfront == pytest.approx(7.68e6)
    assert c.power.facility_power.to("kW").magnitude == pytest.approx(133.95, rel=1e-4)
    assert c.energy_per_month == pytest.approx(7_828, rel=1e-3)
    assert c.maintenance_per_month == pytest.approx(32_000, rel=1e-4)
    assert c.rent_per_month == pytest.approx(233_760, rel=1e-6)
    assert c.break_even_months == pytest.approx(39.60, rel=1e-3)
    assert d["crossing"] == 40
    assert chapter.PREDICTIONS[0].truth() == "after more than three years, or never"


CONFIGS = [
    {"gpus": 256, "utilization": 0.5, "price": 0.08, "pue": 1.3, "years": 4, "rate": 2.5},   # month 40
    {"gpus": 1024, "utilization": 1.0, "price": 0.12, "pue": 1.5, "years": 3, "rate": 2.0},  # under two years
    {"gpus": 256, "utilization": 0.2, "price": 0.08, "pue": 1.3, "years": 8, "rate": 2.5},   # past the GPU's life
    {"gpus": 8, "utilization": 0.5, "price": 0.08, "pue": 1.3, "years": 2, "rate": 2.5},     # beyond the horizon
    {"gpus": 64, "utilization": 0.05, "price": 0.4, "pue": 2.0, "years": 4, "rate": 0.5},    # never
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: f"u{c['utilization']}-r{c['rate']}-y{c['years']}")
def test_explanation_agrees_with_the_chart(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    c, chart, explanation = d["costs"], d["chart"], d["explanation"]
    t = c.break_even_months
    own = {r["month"]: r["cost"] for r in chart.datasets["cost"] if r["option"] == "own"}
    rent = {r["month"]: r["cost"] for r in chart.datasets["cost"] if r["option"] == "rent"}
    assert max(own) == 12 * controls["years"]
    if math.isinf(t):
        assert "owning never catches up" in explanation and d["crossing"] is None
        assert all(own[m] > rent[m] for m in own)
        return
    # owning is cheaper from the first month at or after the break-even, on the chart and in the text
    first = next((m for m in sorted(own) if own[m] <= rent[m]), None)
    assert d["crossing"] == first
    if first is None:
        assert t > 12 * controls["years"] and "renting is cheaper" in explanation
    else:
        assert first - 1 < t <= first and f"**month {first}**" in explanation
    assert f"**{t:.3g} months**" in explanation
    # the lines' slopes are the monthly costs the text gives
    assert own[1] - own[0] == pytest.approx(c.own_per_month) and rent[1] == pytest.approx(c.rent_per_month)
    assert own[0] == pytest.approx(c.upfront)
    assert ("past the 4-year life" in explanation) == (t > 48)
    assert "Traceback" not in text


def test_fleet_size_does_not_move_the_break_even():
    # every term scales with N: same months for 8 and 4,096 GPUs
    assert chapter.break_even(0.7, 3.0, gpus=8) == pytest.approx(chapter.break_even(0.7, 3.0, gpus=4096))


def test_answers_by_hand():
    q1, q2 = chapter.QUESTIONS
    # u = 1, 2 USD/h: rent 2 x 256 x 730.5 = 374,016; power 700 W x 256 x 1.3 = 232.96 kW x 730.5 h = 170,177 kWh
    # x 0.08 = 13,614 USD + 32,000 = 45,614 USD; t* = 7.68e6 / (374,016 - 45,614) = 7.68e6 / 328,402 = 23.39 months
    assert q1.expected({"utilization": 1.0, "rate": 2.0}) == pytest.approx(23.386, rel=1e-3)
    # 64 GPUs, 2 years, u = 1: purchase 1.92 M + 24 x (64 x 0.91 kW x 730.5 h x 0.08 USD + 1.92 M x 0.05 / 12)
    # = 1.92 M + 24 x (3,403.5 + 8,000) = 1.92 M + 273,685 = 2.1937 M USD
    assert q2.expected({"gpus": 64, "years": 2, "utilization": 1.0}) == pytest.approx(2.1937, rel=1e-3)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        for name, control in (("utilization", "utilization"), ("rate", "rate"), ("years", "years"), ("gpus", "gpus")):
            for v in q.variants.get(name, []):
                assert d[control].start <= v <= d[control].stop


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (1.0 if i == 0 else 2.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["yes", "no"]
