"""The introduction lab under plain Python: its words and both charts agree with the registry's
training compute and the engine's C / (N x peak x efficiency), and the download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402

LAB = "vol1_ch01_introduction"
chapter = chapter_module(LAB)


def test_landmarks_are_the_registry_models_with_published_compute():
    keys = [m.key for m in chapter.LANDMARKS]
    assert keys == ["alexnet", "gpt3", "gpt4", "llama3_405b"]  # oldest first
    # AlexNet: 0.0058 pfs-days x 1e15 x 86,400 = 5.01e17 (Amodei & Hernandez 2018); GPT-3 Table D.1 3.14e23
    assert chapter.compute_flop("alexnet") == pytest.approx(5.0e17)
    assert chapter.compute_flop("gpt3") == pytest.approx(3.14e23)


def test_default_numbers_by_hand():
    # Llama 3.1 405B, 3.8e25 FLOP on 16,384 H100s (989.4 TFLOP/s) at 50 %:
    # 3.8e25 / (16384 x 989.4e12 x 0.5) = 3.8e25 / 8.1052e18 = 4.6884e6 s = 54.26 days
    # (Meta reports ~54 days for the run at 38-43 % MFU on 16K H100s: the right order)
    _, d, _ = run_lab(LAB)
    assert d["mine"]["days"] == pytest.approx(54.26, rel=1e-3)
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(54.26, rel=1e-3)
    assert "**54.3 days**" in d["explanation"]
    # growth AlexNet -> Llama 3.1: 3.8e25 / 5e17 = 7.6e7
    assert "**7.6e+07×**" in d["explanation"]


CONFIGS = [
    {},
    {"model": "gpt3", "hw": "v100", "gpus": 1024, "efficiency": 0.3},
    {"model": "alexnet", "hw": "b200", "gpus": 1, "efficiency": 0.1},
    {"model": "gpt4", "hw": "a100_80gb", "gpus": 25000, "efficiency": 0.35},
]


@pytest.mark.parametrize("controls", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_charts(controls):
    text, d, _ = run_lab(LAB, controls)
    assert "Traceback" not in text
    c = d["controls"]
    compute_rows = d["compute_chart"].datasets["landmarks"]
    days_rows = d["days_chart"].datasets["landmarks"]
    for r in days_rows:
        # days = C / (N x peak x eff) / 86,400, by hand from the registry's peak
        peak = chapter.peak(c["hw"]).to("flop/s").magnitude
        assert r["days"] == pytest.approx(r["flop"] / (c["gpus"] * peak * c["efficiency"]) / 86400)
    # the chosen model is the one highlighted in both charts and named in the text
    chosen = [r for r in compute_rows if r["which"] == "chosen"]
    assert len(chosen) == 1 and chosen[0]["model_key"] == c["model"]
    assert f"**{chosen[0]['model']}**" in d["explanation"] and f"**{chosen[0]['days_label']}**" in d["explanation"]
    # compute rises with the year in the registry's landmarks
    assert [r["year"] for r in compute_rows] == sorted(r["year"] for r in compute_rows)


def test_duration_text_picks_the_unit():
    # 730.5 days = 2 Julian years; 0.5 day = 12 h; 1/86,400 day = 1 s
    for d, value, unit in ((730.5, 2.0, "years"), (2.0, 2.0, "days"), (0.5, 12.0, "hours"), (1 / 86400, 1.0, "s")):
        number, name = chapter.duration_text(d).split(" ")
        assert (float(number), name) == (pytest.approx(value), unit)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    models, hws = set(d["model"].options.values()), set(d["hw"].options.values())
    for q in chapter.QUESTIONS:
        assert set(q.variants["model"]) <= models and set(q.variants["hw"]) <= hws
        for e in q.variants["efficiency"]:
            assert d["efficiency"].start <= e <= d["efficiency"].stop
        for g in q.variants.get("gpus", []):
            assert d["gpus"].start <= g <= d["gpus"].stop
    worst = max(chapter.QUESTIONS[2].expected(dict(model=m, hw=h, target_days=t, efficiency=e))
                for m in chapter.QUESTIONS[2].variants["model"] for h in chapter.QUESTIONS[2].variants["hw"]
                for t in chapter.QUESTIONS[2].variants["target_days"] for e in chapter.QUESTIONS[2].variants["efficiency"])
    assert worst <= d["gpus"].stop


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # GPT-3 on 1,024 A100s (312 TFLOP/s) at 50 %: 3.14e23 / (1024 x 312e12 x 0.5) / 86,400 = 22.75 days
    assert q1.expected({"model": "gpt3", "hw": "a100_80gb", "gpus": 1024, "efficiency": 0.5}) == pytest.approx(22.75, rel=1e-3)
    # AlexNet on one V100 (125 TFLOP/s) at 40 %: 5e17 / 5e13 = 1e4 s = 0.11574 days
    assert q2.expected({"model": "alexnet", "hw": "v100", "efficiency": 0.4}) == pytest.approx(0.115741, rel=1e-4)
    # GPT-4 estimate in 90 days on H100s at 40 %: 2.15e25 / (90 x 86,400 x 989.4e12 x 0.4) = 6,986
    assert q3.expected({"model": "gpt4", "hw": "h100", "target_days": 90, "efficiency": 0.4}) == pytest.approx(6986, rel=1e-3)


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
