"""The security-and-privacy lab under plain Python: its words agree with its charts and with the
engine (epsilon, the steps a budget allows, the compute and memory price), and the download grades
offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Models  # noqa: E402
from mlsysim.physics import kernels  # noqa: E402
from mlsysim.solvers.responsible import ResponsibleEngineeringModel  # noqa: E402

LAB = "vol2_ch13_security_privacy"
chapter = chapter_module(LAB)


def test_per_example_memory_by_hand():
    # ResNet-50 has 25.557 M parameters (registry); batch 64 x 25.557e6 x 4 B = 6.5426 GB
    params = Models.get("resnet50").parameters.magnitude
    assert params == pytest.approx(25.557e6, rel=1e-3)
    assert chapter.QUESTIONS[1].expected({"model": "resnet50", "batch": 64}) == pytest.approx(64 * params * 4 / 1e9)
    assert chapter.QUESTIONS[1].expected({"model": "resnet50", "batch": 64}) == pytest.approx(6.5426, rel=1e-3)


def test_epsilon_against_a_published_value():
    # tensorflow/privacy, tutorials/README.md, "Select Parameters" (MNIST, 60,000 examples, batch 256, delta 1e-5,
    # RDP accountant): sigma 1.1 for 60 epochs -> eps 3.01; sigma 1.3 for 15 epochs -> eps 1.19.
    # 60 epochs = 60 x 60,000 / 256 = 14,062 steps; 15 epochs = 3,515 steps. Their orders include fractional ones,
    # ours are integers (a slightly coarser minimum): agreement to 0.05.
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(3.01, abs=0.05)
    assert chapter.solve("resnet50", "h100", 1.3, 256, 60000, 3515).epsilon == pytest.approx(1.19, abs=0.05)


def test_more_noise_less_epsilon_more_steps_more_epsilon():
    a = chapter.solve("resnet50", "h100", 1.0, 256, 60000, 10000)
    b = chapter.solve("resnet50", "h100", 2.0, 256, 60000, 10000)
    c = chapter.solve("resnet50", "h100", 1.0, 256, 60000, 20000)
    assert b.epsilon < a.epsilon < c.epsilon


CONFIGS = [
    # (model, hw, noise, batch, dataset, steps, budget): default, over budget, does not fit, q = 1, huge budget
    ("resnet50", "h100", 1.1, 256, 60000, 14062, 8.0),
    ("resnet50", "h100", 0.7, 512, 50000, 50000, 2.0),
    ("bert_base", "l4", 1.0, 1024, 100000, 20000, 8.0),
    ("mobilenetv2", "a100_80gb", 0.5, 8192, 1000, 100, 0.5),
    ("mobilenetv2", "h100", 5.0, 16, 1000000, 1000, 16.0),
]


@pytest.mark.parametrize("model,hw,noise,batch,dataset,steps,budget", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_charts(model, hw, noise, batch, dataset, steps, budget):
    controls = {"model": model, "hw": hw, "noise": noise, "batch": batch, "dataset": dataset, "steps": steps,
                "budget": budget}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    b = min(batch, dataset)
    r = ResponsibleEngineeringModel().solve(model, hw, batch_size=b, precision="fp32", noise_multiplier=noise,
                                            dataset_size=dataset, steps=steps)
    explanation = d["explanation"]
    # the epsilon said is the engine's, and the chart's point is on the chart's curve (the same accountant)
    assert f"**ε = {r.epsilon:.3g}**" in explanation
    you = d["eps_chart"].datasets["you"][0]
    curve = {row["steps"]: row["epsilon"] for row in d["eps_chart"].datasets["curve"]}
    assert you["steps"] == steps and curve[steps] == pytest.approx(r.epsilon) == pytest.approx(you["epsilon"])
    eps = [curve[k] for k in sorted(curve)]
    assert eps == sorted(eps), "epsilon grows with the steps"
    # over or within the budget, said the right way round, and the steps the budget allows bracket it
    assert ("**over** your budget" in explanation) == (r.epsilon > budget)
    most = d["most_steps"]
    if 0 < most < chapter.MAX_STEPS:
        q, s, delta = r.sample_rate, r.noise_multiplier, r.delta
        assert kernels.dp_sgd_epsilon(q, s, most, delta)[0] <= budget < kernels.dp_sgd_epsilon(q, s, most + 1, delta)[0]
        assert f"**{most:,} steps**" in explanation
    elif most == 0:
        assert "not a single step" in explanation
    # the price: the step time factor and the per-example memory are the engine's
    assert f"(**{r.compute_factor:.3g}×**" in explanation
    assert f"add **{r.per_example_gradient_memory.to('GB').magnitude:.4g} GB**" in explanation
    assert ("**Does not fit:**" in explanation) == (r.memory_footprint > r.memory_capacity)
    # the memory chart's DP curve is the plain curve plus batch x parameters x 4 bytes at every batch
    mem = d["mem_chart"].datasets["memory"]
    params = Models.get(model).parameters.magnitude
    for dp_row in (m for m in mem if m["series"].startswith("DP")):
        plain_row = next(m for m in mem if m["series"] == "plain SGD" and m["batch"] == dp_row["batch"])
        assert dp_row["memory"] - plain_row["memory"] == pytest.approx(dp_row["batch"] * params * 4 / 1e9, rel=1e-6)
    assert math.isfinite(d["update_ms"])


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in (chapter.QUESTIONS[0], chapter.QUESTIONS[2]):
        for n in q.variants["noise"]:
            assert d["noise"].start <= n <= d["noise"].stop
        for b in q.variants["batch"]:
            assert d["batch"].start <= b <= d["batch"].stop
        for n in q.variants["dataset"]:
            assert d["dataset"].start <= n <= d["dataset"].stop
    for s in chapter.QUESTIONS[0].variants["steps"]:
        assert d["steps"].start <= s <= d["steps"].stop
    for b in chapter.QUESTIONS[2].variants["budget"]:
        assert d["budget"].start <= b <= d["budget"].stop
    assert set(chapter.QUESTIONS[1].variants["model"]) <= set(chapter.MODELS)
    # the steps question's answers are inside the steps control's range (so the lab can show them)
    q3 = chapter.QUESTIONS[2]
    for n in q3.variants["noise"]:
        for b in q3.variants["batch"]:
            for budget in q3.variants["budget"]:
                for n_data in q3.variants["dataset"]:
                    v = {"noise": n, "batch": b, "dataset": n_data, "budget": budget}
                    assert 0 < q3.expected(v) < chapter.MAX_STEPS, v


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
