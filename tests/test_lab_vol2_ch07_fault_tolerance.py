"""The fault-tolerance lab under plain Python: its words agree with its chart and with the engine,
the marked optimum is the curve's highest point, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402

LAB = "vol2_ch07_fault_tolerance"
chapter = chapter_module(LAB)


def test_default_numbers_by_hand():
    # 5.8 years x 8,766 h/year = 50,842.8 h; / 16,384 GPUs = 3.1032 h = 11,171.5 s (fleet MTBF)
    # tau* = sqrt(2 x 60 s x 11,171.5 s) = sqrt(1,340,580) = 1,157.8 s = 19.30 min
    # goodput(tau*) = 1 - 60/1157.8 - (578.9 + 600)/11171.5 = 1 - 0.05182 - 0.10553 = 0.84265
    # goodput(60 min) = 1 - 60/3600 - (1800 + 600)/11171.5 = 1 - 0.01667 - 0.21483 = 0.76850
    _, d, _ = run_lab(LAB)
    assert d["mtbf_h"] == pytest.approx(3.1032, rel=1e-3)
    assert d["best_min"] == pytest.approx(19.30, rel=1e-3)
    assert d["goodput_best"] == pytest.approx(84.265, rel=1e-3)
    assert d["goodput_mine"] == pytest.approx(76.850, rel=1e-3)
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(3.1032, rel=1e-3)


CONFIGS = [
    # (gpus, mtbf_years, checkpoint_s, interval_min): each side of the optimum, a small fleet, a huge one
    (16384, 5.8, 60, 60),     # longer than the optimum (19 min)
    (16384, 5.8, 60, 5),      # shorter
    (16384, 5.8, 60, 19),     # about at it
    (64, 5.8, 60, 60),        # small fleet: optimum ~5 h, far right
    (16384, 5.8, 60, 200),    # an interval longer than the fleet MTBF (186 min): outside the model's range
    (131072, 1.0, 600, 30),   # failures every 4 min, shorter than a checkpoint: no useful work at all
]


@pytest.mark.parametrize("gpus,mtbf,ckpt,interval", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(gpus, mtbf, ckpt, interval):
    controls = {"gpus": gpus, "mtbf_years": mtbf, "checkpoint_s": ckpt, "interval_min": interval}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    r = chapter.solve(gpus, mtbf, ckpt)
    assert d["result"].fleet_mtbf.to("hour").magnitude == pytest.approx(r.fleet_mtbf.to("hour").magnitude)
    best = r.checkpoint_interval.to("minute").magnitude
    # the optimum the text names is the engine's Young-Daly interval, and the chart marks it
    explanation = d["explanation"]
    assert f"**{best:.3g} min**" in explanation
    if r.goodput <= 0:
        assert "no useful work at all" in explanation and "at any interval" in explanation
        return
    rows = d["chart"].datasets["curve"]
    top = max(rows, key=lambda row: row["goodput"])
    marks = {m["which"]: m for m in d["chart"].datasets["marks"]}
    assert marks["optimum"]["interval"] == pytest.approx(best)
    assert top["interval"] == pytest.approx(best) and top["goodput"] == pytest.approx(marks["optimum"]["goodput"])
    assert marks["optimum"]["goodput"] == pytest.approx(100 * r.goodput)
    # the student's point is on the same kernel, and the text's number is the chart's
    assert marks["yours"]["interval"] == interval
    assert f"goodput **{marks['yours']['goodput']:.1f} %**" in explanation
    # which side of the optimum, said the right way round
    if interval < best * 0.999:
        assert "shorter than the optimum" in explanation
    elif interval > best * 1.001:
        assert "longer than the optimum" in explanation
    # out of the first-order model's range, said so
    fleet_s = r.fleet_mtbf.to("s").magnitude
    assert ("Outside the model's range" in explanation) == (max(interval * 60, best * 60) >= fleet_s)
    assert "Traceback" not in text and math.isfinite(d["goodput_mine"]) and d["goodput_mine"] >= 0


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        assert set(q.variants["gpus"]) <= set(range(d["gpus"].start, d["gpus"].stop + 1))
        for y in q.variants["mtbf_years"]:
            assert d["mtbf_years"].start <= y <= d["mtbf_years"].stop
        for c in q.variants.get("checkpoint_s", []):
            assert d["checkpoint_s"].start <= c <= d["checkpoint_s"].stop
        # the answer to the interval question can be tried on the slider
    yd = chapter.QUESTIONS[1]
    worst = max(yd.expected(dict(gpus=g, mtbf_years=y, checkpoint_s=c)) for g in yd.variants["gpus"]
                for y in yd.variants["mtbf_years"] for c in yd.variants["checkpoint_s"])
    assert worst <= d["interval_min"].stop


def test_answers_by_hand():
    # 2,048 GPUs at 3 years: 3 x 8,766 / 2,048 = 12.841 h
    q1, q2, q3 = chapter.QUESTIONS
    assert q1.expected({"gpus": 2048, "mtbf_years": 3}) == pytest.approx(12.841, rel=1e-3)
    # tau* = sqrt(2 x 120 s x 12.841 h x 3600 s/h) = sqrt(2 x 120 x 46,227) = sqrt(11,094,600) = 3,330.9 s = 55.51 min
    assert q2.expected({"gpus": 2048, "mtbf_years": 3, "checkpoint_s": 120}) == pytest.approx(55.51, rel=1e-3)
    # goodput = 1 - 120/3330.9 - (1665.4 + 600)/46227 = 1 - 0.036026 - 0.049006 = 0.91497
    assert q3.expected({"gpus": 2048, "mtbf_years": 3, "checkpoint_s": 120}) == pytest.approx(91.497, rel=1e-3)


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
