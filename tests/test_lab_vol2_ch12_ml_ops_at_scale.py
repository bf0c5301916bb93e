"""The silent-fleet lab under plain Python: its words agree with the registry's published counts and
the kernels, the chart marks the student's job on its source's line, the best interval named is the
minimum of the loss, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402

LAB = "vol2_ch12_ml_ops_at_scale"
chapter = chapter_module(LAB)
LLAMA_RATE = 6 / (16384 * 54)  # Dubey et al. 2024, Table 5: 6 SDC interruptions, 16,384 GPUs, 54 days


def test_default_numbers_by_hand():
    # 4,096 GPUs x 30 days at 6 / (16,384 x 54) per GPU-day: mu = 6 x (4,096 / 16,384) x (30 / 54) = 0.83333
    # P(>= 1) = 1 - e^-0.83333 = 0.56540: "about a half"
    _, d, _ = run_lab(LAB)
    assert d["job"].expected == pytest.approx(0.83333, rel=1e-4)
    assert d["job"].at_least_one == pytest.approx(0.56540, rel=1e-4)
    assert chapter.PREDICTIONS[0].truth() == "about a half"
    # 2-minute checks every 12 h over 30 days: 120 / 43,200 = 0.2778 % checking, 0.83333 x 12 / 720 = 1.389 % rework
    assert d["checks"].overhead == pytest.approx(120 / 43200)
    assert d["checks"].rework == pytest.approx(0.83333 * 12 / 720, rel=1e-4)
    # tau* = sqrt(120 s x 2,592,000 s / 0.83333) = 19,320 s = 5.367 h
    assert d["checks"].best_interval_h == pytest.approx(5.3666, rel=1e-4)
    # one expected corruption in 30 days at 1 / (6.7817e-6 x 30) = 4,915 GPUs
    assert d["one_at"] == pytest.approx(1 / (LLAMA_RATE * 30), rel=1e-9)


CONFIGS = [
    # (source, gpus, days, check_min, interval_h): each side of the best interval, both sources, the edges
    ("llama3_405b", 4096, 30, 2.0, 12.0),    # longer than the best (5.4 h)
    ("llama3_405b", 4096, 30, 2.0, 1.0),     # shorter
    ("meta_fleet", 16384, 60, 5.0, 6.0),     # the preset: a prevalence, 2,048 machines
    ("meta_fleet", 100, 7, 1.0, 24.0),       # a part server counts as a machine: 13
    ("llama3_405b", 131072, 90, 2.0, 72.0),  # 80 expected: far outside the first-order model
    ("llama3_405b", 8, 1, 0.5, 0.5),         # a tiny job
]


@pytest.mark.parametrize("source,gpus,days,check_min,interval_h", CONFIGS)
def test_explanation_agrees_with_the_registry_and_the_chart(source, gpus, days, check_min, interval_h):
    controls = {"source": source, "gpus": gpus, "days": days, "check_min": check_min, "interval_h": interval_h}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    explanation = d["explanation"]
    # the expected count, by hand from the published numbers
    if source == "llama3_405b":
        mu = LLAMA_RATE * gpus * days
        p = 1 - math.exp(-mu)
        assert f"**{mu:.3g} silent corruptions**" in explanation
    else:
        n = -(-gpus // 8)
        mu = n / 1000
        p = 1 - 0.999**n
        assert f"{n:,} machines" in explanation and f"**{mu:.3g} defective machines**" in explanation
        assert "however long it runs" in explanation
    assert d["job"].expected == pytest.approx(mu, rel=1e-9)
    assert d["job"].at_least_one == pytest.approx(p, rel=1e-9)
    assert chapter.chance_text(p) in explanation
    # the chart marks the student's job on its source's line, at the same count
    (mark,) = d["chart"].datasets["yours"]
    assert mark["gpus"] == gpus and mark["expected"] == pytest.approx(mu)
    line = [r for r in d["chart"].datasets["curves"] if r["source"] == chapter.SHORT[source]]
    assert [r["expected"] for r in line] == sorted(r["expected"] for r in line)  # grows with the fleet
    # the loss by hand, and the best interval named is the minimum of it
    c, tau, dur = check_min * 60, interval_h * 3600, days * 86400
    assert d["checks"].total == pytest.approx(c / tau + mu * tau / dur, rel=1e-9)
    best = math.sqrt(c * dur / mu) / 3600
    assert d["checks"].best_interval_h == pytest.approx(best, rel=1e-9)
    assert f"**{best:.3g} h**" in explanation
    loss = lambda h: c / (h * 3600) + mu * h * 3600 / dur  # noqa: E731
    assert all(loss(best * x) > loss(best) for x in (0.8, 1.25))
    side = "shorter than" if interval_h < best * 0.999 else "longer than" if interval_h > best * 1.001 else "at"
    assert f"Your interval is {side} the one that loses least" in explanation
    assert ("Outside the model's range" in explanation) == (mu * tau / dur > 0.5)


def test_a_longer_job_redraws_the_chart_with_proportionally_more_failures():
    # the redraw's time is measured by benchmarks/labs_redraw.py. Expected failures are rate x GPUs x days:
    # 30 -> 45 days multiplies the marked job and every point of the rate's curve by 45 / 30 = 1.5 (the
    # fleet prevalence's curve counts machines, not days, and stays put)
    base = dict(zip(("source", "gpus", "days", "check_min", "interval_h"), CONFIGS[0]))
    _, before, _ = run_lab(LAB, base)
    _, d, _ = run_lab(LAB, base | {"days": 45})
    assert d["controls"]["days"] == 45
    (mine_before,), (mine,) = before["chart"].datasets["yours"], d["chart"].datasets["yours"]
    assert mine["expected"] == pytest.approx(1.5 * mine_before["expected"])
    curve_before = {(r["source"], r["gpus"]): r["expected"] for r in before["chart"].datasets["curves"]}
    curve = {(r["source"], r["gpus"]): r["expected"] for r in d["chart"].datasets["curves"]}
    assert curve.keys() == curve_before.keys() and any(src.endswith("rate") for src, _ in curve)
    for (src, gpus), e in curve_before.items():
        assert curve[src, gpus] == pytest.approx(1.5 * e if src.endswith("rate") else e), (src, gpus)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        for g in q.variants["gpus"]:
            assert d["gpus"].start <= g <= d["gpus"].stop and g % chapter.PER_SERVER == 0
        for days in q.variants["days"]:
            assert d["days"].start <= days <= d["days"].stop
        for c in q.variants.get("check_min", []):
            assert d["check_min"].start <= c <= d["check_min"].stop


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # 8,192 GPUs x 60 days: 6 x (8,192 / 16,384) x (60 / 54) = 3.3333; P = 1 - e^-3.3333 = 96.433 %
    assert q1.expected({"gpus": 8192, "days": 60}) == pytest.approx(3.3333, rel=1e-4)
    assert q2.expected({"gpus": 8192, "days": 60}) == pytest.approx(96.433, rel=1e-4)
    # tau* = sqrt(c / (lambda N)) (D cancels): c = 5 min = 5 / 1,440 d; lambda N = 6.7817e-6 x 8,192 = 0.055556 / d
    # sqrt(0.0034722 / 0.055556) = sqrt(0.0625) = 0.25 d = 6 h, for any job length
    for days in (10, 90):
        assert q3.expected({"gpus": 8192, "days": days, "check_min": 5}) == pytest.approx(6.0, rel=1e-4)


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (1.5 if i == 2 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["yes", "yes", "no"]
