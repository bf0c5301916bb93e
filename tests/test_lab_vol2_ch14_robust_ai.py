"""The robust-AI lab under plain Python: its words are the engine's numbers, the chart's points are
the published robust accuracies at the engine's costs, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import EconomicsModel, ResponsibleEngineeringModel  # noqa: E402

LAB = "vol2_ch14_robust_ai"
chapter = chapter_module(LAB)


def test_costs_by_hand():
    # PGD-k: the step costs k + 1 plain steps (Madry et al. 2018), so GPU-hours scale by k + 1 and the
    # replicas multiply on top: 7 steps, triple redundancy = 8 x 3 = 24 x the plain run's GPU-hours
    plain = chapter.gpu_hours("resnet50", 0, 1024, "none")
    assert chapter.gpu_hours("resnet50", 7, 1024, "triple") == pytest.approx(24 * plain, rel=1e-9)
    # the plain run: STEPS steps of the engine's plain step time, on 1,024 GPUs
    step = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=256, precision="bf16", dp=False)
    assert plain == pytest.approx(chapter.STEPS * step.baseline_step_time.to("hour").magnitude * 1024, rel=1e-6)
    # dollars: the engine's TCO of 2,048 GPUs (dual) for the PGD-7 run's wall time
    t = chapter.run("resnet50", 7).training_time.to("hour").magnitude
    tco = EconomicsModel().solve("h100", f"{t} hour", count=2048).tco.to("USD").magnitude
    assert chapter.dollars("resnet50", 7, 1024, "dual") == pytest.approx(tco, rel=1e-6)
    # Llama 3's 6 corruptions in 54 days on 16,384 GPUs: 6 / (16,384 x 1,296 h) = 2.8257e-7 per GPU-hour
    assert chapter.SDC_RATE * 3600 == pytest.approx(2.8257e-7, rel=1e-4)
    p = chapter.corruption_probability("resnet50", 7, 1024)
    assert p == pytest.approx(1 - math.exp(-2.8257e-7 * t * 1024), rel=1e-3)
    assert chapter.silent_error_probability("resnet50", 7, 1024, "triple") == pytest.approx(3 * p**2 - 2 * p**3)
    assert chapter.rerun_probability("resnet50", 7, 1024, "dual") == pytest.approx(1 - (1 - p) ** 2)


CONFIGS = [
    # (pgd_steps, model, scheme, gpus)
    (7, "resnet50", "none", 1024),      # the default: a published point
    (0, "resnet50", "dual", 256),       # standard training, a compared pair
    (10, "mobilenetv2", "triple", 4096),  # no published figure for k = 10
    (20, "alexnet", "none", 16384),
]


@pytest.mark.parametrize("k,model,scheme,gpus", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(k, model, scheme, gpus):
    controls = {"pgd_steps": k, "model": model, "scheme": scheme, "gpus": gpus}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    e = d["explanation"]
    factor = chapter.run(model, k).compute_factor
    assert factor == k + 1
    assert f"cost **{factor:g} ×** a plain one" in e
    cost = chapter.dollars(model, k, gpus, scheme)
    assert f"costs **USD {cost:,.0f}**" in e
    assert f"**{chapter.gpu_hours(model, k, gpus, scheme):,.0f} GPU-hours**" in e
    assert f"**{chapter.cost_multiple(model, k, gpus, scheme):.3g} ×**" in e
    # the robust accuracy is named only where published, and is the registry's
    pub = chapter.published(k)
    if pub is None:
        assert "does not interpolate" in e
    else:
        assert f"**{pub.robust_accuracy:g} %** robust" in e
    # the chart: one point per published k and scheme, at the engine's cost; the dashed line is the student's
    pts = d["chart"].datasets["points"]
    assert len(pts) == len(chapter.PUBLISHED) * len(chapter.SCHEMES)
    for pt in pts:
        key = next(s for s, name in chapter.SCHEME_NAMES.items() if name == pt["scheme"])
        assert pt["cost"] == pytest.approx(chapter.dollars(model, pt["k"], gpus, key))
        assert pt["robust"] == chapter.published(pt["k"]).robust_accuracy
    assert d["chart"].datasets["yours"][0]["cost"] == pytest.approx(cost)
    # what the scheme buys, in the words
    p_silent = chapter.silent_error_probability(model, k, gpus, scheme)
    if scheme == "none":
        assert f"**{100 * p_silent:.3g} %**" in e
    elif scheme == "dual":
        assert p_silent == 0 and "none goes through silently" in e
    else:
        assert f"**{100 * p_silent:.2g} %**" in e


def test_prediction_and_variants():
    assert chapter.PREDICTIONS[0].truth() == 8.0  # 7 PGD steps + the weight update's pass (Madry et al. 2018)
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        for v in q.variants.get("pgd_steps", []):
            assert d["pgd_steps"].start <= v <= d["pgd_steps"].stop
        for v in q.variants.get("gpus", []):
            assert d["gpus"].start <= v <= d["gpus"].stop
        assert set(q.variants.get("model", [])) <= set(chapter.MODELS)
        assert set(q.variants.get("scheme", [])) <= set(chapter.SCHEMES)


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    t = chapter.run("resnet50", 5).training_time.to("hour").magnitude  # the engine's wall time at k = 5
    # GPU-hours = t x 256
    assert q1.expected({"model": "resnet50", "pgd_steps": 5, "gpus": 256}) == pytest.approx(t * 256)
    # p = 1 - exp(-2.8257e-7 x t x 4096)
    t0 = chapter.run("resnet50", 0).training_time.to("hour").magnitude
    assert q2.expected({"pgd_steps": 0, "gpus": 4096}) == pytest.approx(100 * (1 - math.exp(-2.8257e-7 * t0 * 4096)), rel=1e-3)
    tco = EconomicsModel().solve("h100", f"{t} hour", count=3 * 1024).tco.to("USD").magnitude
    assert q3.expected({"pgd_steps": 5, "gpus": 1024, "scheme": "triple"}) == pytest.approx(tco, rel=1e-6)


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
