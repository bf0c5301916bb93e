"""The fairness-budget lab under plain Python: its text and chart agree with the engine (the
Volume I chapter 15 sample-size functions, ServingModel, the replicas formula, EconomicsModel),
its claims hold, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import EconomicsModel, ServingModel  # noqa: E402
from mlsysim.physics import formulas  # noqa: E402

LAB = "vol2_ch16_responsible_ai"
chapter = chapter_module(LAB)
BASE = {"groups": 8, "gap": 2, "traffic": 1000, "model": "llama3_8b", "filter": "llama3_8b", "hw": "h100"}


def _month(hw, n):
    return EconomicsModel().solve(hw, "30 day", count=n, utilization=1.0).tco.to("USD").magnitude


def test_the_evaluation_is_lab_one_s_not_a_copy():
    one = chapter_module("vol1_ch15_responsible_engineering")
    assert chapter.evaluation is one


def test_replicas_by_hand_from_the_engine_s_rates():
    # served model: ceil(1000 req/s x 256 tokens / decode tokens/s); filter: ceil(1000 / (16 / prefill time))
    _, d, _ = run_lab(LAB)
    b = d["b"]
    serve = ServingModel().solve("llama3_8b", "h100", seq_len=768, batch_size=16)
    screen = ServingModel().solve("llama3_8b", "h100", seq_len=512, batch_size=16)
    assert b["main"] == math.ceil(1000 * 256 / serve.decode_throughput.to("1/s").magnitude)
    assert b["guard"] == math.ceil(1000 / (16 / screen.ttft.to("s").magnitude))
    # a month of H100s: 30,000 USD / 4 Julian years x 30 days + 5 %/year maintenance + 700 W x 1.1 x 720 h x 0.08 USD/kWh
    one = 30000 * 30 / (4 * 365.25) + 1500 * 30 / 365.25 + 0.7 * 1.1 * 720 * 0.08
    assert b["guard_usd"] == pytest.approx(b["guard"] * one, rel=1e-3)


CONFIGS = [
    {},
    {"filter": "bert_base"},
    {"filter": "llama2_7b", "hw": "a100_80gb", "traffic": 50},
    {"model": "mixtral_8x7b", "hw": "h200", "groups": 20, "gap": 0.5},
    {"model": "mixtral_8x7b", "hw": "h100"},          # does not fit on one H100
    {"model": "llama2_7b", "hw": "l4", "traffic": 1, "groups": 2, "gap": 10},
]


@pytest.mark.parametrize("change", CONFIGS)
def test_text_and_chart_agree_with_the_engine(change):
    c = {**BASE, **change}
    text, d, _ = run_lab(LAB, c)
    assert "Traceback" not in text
    b, ev = d["b"], d["b"]["evaluation"]
    n = formulas.calc_subgroup_sample_size(0.9, c["gap"] / 100, 0.95, 0.8, c["groups"] - 1).magnitude
    assert ev["per_group"] == n and ev["total"] == c["groups"] * n
    assert f"**{int(n):,}** labelled samples per group" in d["evaluation_md"]
    serve = ServingModel().solve(c["model"], c["hw"], seq_len=768, batch_size=16)
    screen = ServingModel().solve(c["filter"], c["hw"], seq_len=512, batch_size=16)
    assert b["fits"] == (serve.feasible and screen.feasible)
    if not b["fits"]:
        assert "does **not** run" in d["serving_md"] and not d["chart"].datasets["curve"]
        return
    main = formulas.calc_replicas_for_load(f"{c['traffic']} 1/s", serve.decode_throughput, 256).magnitude
    guard = formulas.calc_replicas_for_load(f"{c['traffic']} 1/s", formulas.calc_batch_throughput(16, screen.ttft)).magnitude
    assert (b["main"], b["guard"]) == (main, guard)
    assert f"**{int(main)}** replicas" in d["serving_md"] and f"**{int(guard)}** more" in d["serving_md"]
    assert f"**{_month(c['hw'], int(guard)):,.0f} USD** a month" in d["serving_md"]
    if ev["fits"]:
        assert f"**{ev['usd']:.3g} USD**" in d["evaluation_md"]
    # every few points of the chart: replicas from the formula, cost a full EconomicsModel solve
    for r in d["chart"].datasets["curve"][::4]:
        if r["what"] == "one subgroup evaluation":
            assert r["usd"] == ev["usd"]
            continue
        m = r["replicas"]
        expect = (formulas.calc_replicas_for_load(f"{r['traffic']} 1/s", serve.decode_throughput, 256) if r["what"] == "serving the model"
                  else formulas.calc_replicas_for_load(f"{r['traffic']} 1/s", formulas.calc_batch_throughput(16, screen.ttft)))
        assert m == expect.magnitude
        assert r["usd"] == pytest.approx(_month(c["hw"], m), rel=1e-6)


def test_claim_a_two_point_check_costs_little_compute():
    for groups in (2, 8, 20):
        for m in chapter.MODELS:
            for hw in chapter.ACCELERATORS:
                ev = chapter.evaluation.evaluate(90, 2, 0.95, 0.8, groups, m, hw, chapter.PROMPT)
                if ev["fits"]:
                    assert ev["usd"] < 100 and ev["usd"] < _month(hw, 1), (groups, m, hw)


def test_claim_a_filter_as_large_as_the_model_needs_fewer_replicas():
    for m in chapter.MODELS:
        for hw in chapter.ACCELERATORS:
            if set(chapter.FILTERS) & {m}:
                b = chapter.budget(8, 2, 1000, m, m, hw)
                if b["fits"]:
                    assert b["guard"] < b["main"], (m, hw)
                    assert b["screen"].prefill_wall.name == "COMPUTE" and b["serve"].decode_wall.name == "MEMORY"


def test_claim_a_small_filter_is_almost_free():
    b = chapter.budget(8, 2, 1000, "llama3_8b", "bert_base", "h100")
    assert b["guard"] <= 2 and b["guard"] < b["main"] / 20


def test_prediction_by_the_engine():
    b = chapter.budget(8, 2, 1000, "llama3_8b", "llama3_8b", "h100")
    share = b["guard"] / b["main"]
    expected = next(k for k, top in chapter._SHARES.items() if share < top)
    assert chapter.PREDICTIONS[0].truth() == expected


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        v = q.variants
        assert all(d["traffic"].start <= t <= d["traffic"].stop for t in v.get("traffic", []))
        assert all(d["groups"].start <= g <= d["groups"].stop for g in v.get("groups", []))
        assert all(d["gap"].start <= g <= d["gap"].stop for g in v.get("gap", []))
        assert set(v.get("filter_model", [])) <= set(chapter.FILTERS)
        assert set(v.get("accelerator", [])) <= set(chapter.ACCELERATORS)


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) + (1 if i == 0 else 0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["no", "yes", "yes"]
