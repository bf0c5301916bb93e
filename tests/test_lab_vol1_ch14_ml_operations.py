"""The retraining-interval lab under plain Python: its words agree with its chart and the engine,
the marked optimum is the curve's lowest point, its claims hold, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402

LAB = "vol1_ch14_ml_operations"
chapter = chapter_module(LAB)


def test_default_numbers_by_hand():
    # Llama 3 8B (8.03e9 parameters) on 1e10 tokens: 6 x 8.03e9 x 1e10 = 4.818e20 FLOP; 8 H100s at 0.5 x 989.4
    # TFLOP/s (bf16 dense) = 3.958e15 FLOP/s: 1.2173e5 s = 33.81 h; 8 x 33.81 h x 3 USD = 811.5 USD; + 1,000 USD
    # fixed = 1,811.5 USD. d = 1 point/week = 1/7 per day, v = 500 USD/day:
    # T* = sqrt(2 x 1,811.5 / (500 / 7)) = sqrt(50.72) = 7.122 days; rate there 2 x 1,811.5 / 7.122 = 508.7 USD/day;
    # at 30 days: 1,811.5 / 30 + 500 / 7 x 30 / 2 = 60.38 + 1,071.4 = 1,131.8 USD/day
    _, d, _ = run_lab(LAB)
    p = d["plan"]
    assert p.compute_hours == pytest.approx(33.81, rel=2e-3)
    assert p.retrain_cost == pytest.approx(1811.5, rel=2e-3)
    assert p.best_days == pytest.approx(7.122, rel=2e-3)
    assert p.best_rate == pytest.approx(508.7, rel=2e-3)
    assert p.rate == pytest.approx(1131.8, rel=2e-3)
    # the prediction: T* = sqrt(2 x 2,000 / (500 / 7)) = sqrt(56) = 7.483 days
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(math.sqrt(56))


CONFIGS = [{}, {"interval_days": 3}, {"interval_days": 7}, {"drift": 5.0, "interval_days": 365},
           {"model": "bert_base", "tokens": "1e8", "fixed_cost": 0, "interval_days": 1},
           {"model": "llama3_8b", "tokens": "1e11", "gpus": "64", "fixed_cost": 50000, "value": 100}]
BASE = {"model": "llama3_8b", "tokens": "1e10", "gpus": "8", "hourly_rate": 3.0, "fixed_cost": 1000, "drift": 1.0,
        "value": 500, "interval_days": 30}


@pytest.mark.parametrize("change", CONFIGS)
def test_explanation_agrees_with_the_chart_and_the_engine(change):
    controls = {**BASE, **change}
    text, d, _ = run_lab(LAB, controls)
    p = d["plan"]
    rows = d["chart"].datasets["curve"]
    low = min(rows, key=lambda r: r["cost"])
    marks = {m["which"]: m for m in d["chart"].datasets["marks"]}
    # the marked optimum is the curve's lowest point, and the two parts are equal there
    assert low["days"] == pytest.approx(p.best_days) and marks["optimum"]["cost"] == pytest.approx(low["cost"])
    assert low["retraining"] == pytest.approx(low["cost"] / 2)
    # the student's point is on the same equation
    assert marks["yours"]["cost"] == pytest.approx(p.rate)
    e = d["explanation"]
    assert f"**{p.best_days:.3g} days**" in e and f"**{chapter.money(p.rate)}/day**" in e
    mine = controls["interval_days"]
    if mine < p.best_days * 0.98:
        assert "shorter than the optimum" in e and p.retrain_share > 0.5
    elif mine > p.best_days * 1.02:
        assert "longer than the optimum" in e and p.retrain_share < 0.5
    else:
        assert "at the optimum" in e
    assert "Traceback" not in text


def test_claim_square_root():
    a = chapter.solve("llama3_8b", 1e10, 8, 3.0, 1000, 1.0, 500, 30)
    four = chapter.solve("llama3_8b", 1e10, 8, 3.0, 4 * a.retrain_cost - a.compute_cost, 1.0, 500, 30)
    quarter = chapter.solve("llama3_8b", 1e10, 8, 3.0, 1000, 0.25, 500, 30)
    assert four.best_days == pytest.approx(2 * a.best_days) and quarter.best_days == pytest.approx(2 * a.best_days)


def test_claim_fixed_cost_dominates_a_small_model():
    p = chapter.solve("bert_base", 1e9, 8, 3.0, 1000, 1.0, 500, 30)
    assert p.compute_cost < 0.05 * p.retrain_cost


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # T* = sqrt(2 x 2,000 / (500 x 2 / 7)) = sqrt(28) = 5.292 days; rate = 2 x 2,000 / 5.292 = 755.9 USD/day
    assert q1.expected({"cost": 2000, "points_per_week": 2, "value": 500}) == pytest.approx(math.sqrt(28))
    assert q2.expected({"cost": 2000, "points_per_week": 2, "value": 500}) == pytest.approx(4000 / math.sqrt(28))
    # GPT-2 (1.5e9 per the registry?) is read from the registry; Llama 3 8B on 1e9 tokens over 64 H100s:
    # 6 x 8.03e9 x 1e9 / (64 x 494.7e12) = 1,521.8 s = 0.4227 h
    assert q3.expected({"model": "llama3_8b", "tokens": "1e9", "gpus": 64}) == pytest.approx(0.4227, rel=2e-3)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    q = chapter.QUESTIONS[2]
    assert set(q.variants["model"]) <= set(chapter.MODELS) and set(q.variants["tokens"]) <= set(chapter.TOKENS.values())
    assert set(q.variants["gpus"]) <= set(chapter.GPUS)
    for pw in chapter.QUESTIONS[0].variants["points_per_week"]:
        assert d["drift"].start <= pw <= d["drift"].stop
    for v in chapter.QUESTIONS[0].variants["value"]:
        assert d["value"].start <= v <= d["value"].stop


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
