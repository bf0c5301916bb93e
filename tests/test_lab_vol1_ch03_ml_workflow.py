"""The ML-workflow lab under plain Python: the limit its words name is the one that allows fewest runs
by the engine's numbers, the chart marks that limit at the student's GPU count, the crossover is the
hand-derived B / (r T), and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from mlsysim import EconomicsModel  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402

LAB = "vol1_ch03_ml_workflow"
chapter = chapter_module(LAB)


def _allowed_by_hand(r, days, budget, rate, gpus, carbon_t):
    """Runs each limit allows from the engine's one-run numbers: T / t, B / (r N t), C / carbon."""
    h = r.duration.to("hour").magnitude
    return {"time": days * 24.0 / h, "money": budget / (rate * gpus * h), "carbon": carbon_t / r.carbon.to("t").magnitude}


def test_default_numbers_by_hand():
    # the lab's defaults: Llama-3-8B, 10 B tokens, 64 GPUs, 7 days, 15,000 USD at 2.5 USD/GPU-h, 2 t CO2e
    _, d, _ = run_lab(LAB)
    r = d["plan"].run
    assert r.feasible and d["n_gpus"] == 64
    want = _allowed_by_hand(r, 7, 15000, 2.5, 64, 2.0)
    for k in chapter.LIMITS:
        assert d["plan"].allowed[k] == pytest.approx(want[k], rel=1e-9)
        assert d["plan"].whole[k] == math.floor(want[k])
    # the rental is rate x GPUs x wall-clock time, the same as EconomicsModel's cloud cost, so the
    # budget rents 15,000 / (2.5 x 7 x 24) = 15,000 / 420 = 35.71 GPUs for the whole week
    econ = EconomicsModel().solve(chapter.fleet(64), r.duration, cloud_hourly_rate="2.5 USD/hour")
    assert d["plan"].cost_usd == pytest.approx(2.5 * 64 * r.duration.to("hour").magnitude, rel=1e-9)
    assert d["plan"].cost_usd == pytest.approx(econ.cloud_cost.to("USD").magnitude, rel=1e-9)
    assert d["rents"] == pytest.approx(35.714, rel=1e-4)
    # 64 > 35.7: the budget ends the week before the days do, whatever the run time
    assert want["money"] < want["time"]
    assert chapter.PREDICTIONS[0].truth() == chapter.NAMES[min(want, key=want.get)]


CONFIGS = [
    # (model, tokens_b, gpus, days, budget, rate, carbon_t): each limit binding, a model that does not fit
    ("llama3_8b", 10, 64, 7, 15000, 2.5, 2.0),       # budget (64 GPUs > 35.7 the budget rents)
    ("llama3_8b", 10, 8, 7, 15000, 2.5, 2.0),        # deadline, the budget next
    ("llama3_8b", 10, 16, 7, 15000, 2.5, 0.3),       # deadline, the carbon cap next
    ("llama3_8b", 10, 8192, 7, 10_000_000, 2.5, 0.5),  # carbon cap
    ("gpt2", 20, 256, 5, 40000, 3.0, 1.5),           # the example preset
    ("llama3_70b", 50, 16, 7, 15000, 2.5, 2.0),      # does not fit on two servers
    ("llama3_70b", 50, 1024, 14, 500000, 2.0, 50.0),
]


@pytest.mark.parametrize("model,tokens_b,gpus,days,budget,rate,carbon", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(model, tokens_b, gpus, days, budget, rate, carbon):
    controls = {"model": model, "tokens_b": tokens_b, "gpus": gpus, "days": days, "budget_usd": budget,
                "rate": rate, "carbon_t": carbon}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    explanation = d["explanation"]
    r = chapter.run(model, tokens_b, gpus)
    if not r.feasible:
        assert "does not fit" in explanation and r.reason in explanation
        assert d["chart"].datasets["yours"] == []
        assert all(row["gpus"] > gpus for row in d["chart"].datasets["curves"])
        return
    allowed = _allowed_by_hand(r, days, budget, rate, gpus, carbon)
    binding = min(allowed, key=allowed.get)
    runs = math.floor(allowed[binding])
    # the words name the limit with the fewest runs, and its whole runs
    assert f"**{chapter.NAMES[binding]} ends the project first, after {runs} complete runs**" in explanation
    assert d["plan"].binding == binding
    # what the words say about the GPU count is the right way round: the budget binds over the
    # deadline exactly when the GPUs outnumber what the budget rents for the whole project
    if binding == "money":
        assert gpus > d["rents"] and "More GPUs would not help" in explanation
    if binding == "time":
        assert gpus <= d["rents"] and "More GPUs finish each run sooner" in explanation
    # the chart marks the binding limit's allowance at the student's GPU count
    (mark,) = d["chart"].datasets["yours"]
    assert mark["gpus"] == gpus and mark["runs"] == pytest.approx(allowed[binding])
    assert mark["label"] == f"{chapter.NAMES[binding]}: {runs} runs"
    # on the curve, at the student's count when it is a curve point, the binding line is the lowest
    at = [row for row in d["chart"].datasets["curves"] if row["gpus"] == gpus]
    if at:
        assert min(at, key=lambda row: row["runs"])["limit"] == chapter.NAMES[binding]
    # the deadline's line climbs with the GPU count; the budget's does not
    by = {name: [row["runs"] for row in d["chart"].datasets["curves"] if row["limit"] == name] for name in chapter.SERIES}
    assert by["the deadline"] == sorted(by["the deadline"])
    assert by["the budget"][-1] <= by["the budget"][0]


def test_a_new_deadline_moves_only_the_deadline_line():
    # a new design (tokens) solves the 12 runs of the curve afresh; a new limit (days) solves none (the two
    # redraws' times are measured by benchmarks/labs_redraw.py). Runs within the deadline are days / (days
    # per run): 7 -> 9 days scales that line by 9/7 at every GPU count; the budget and carbon lines stay put
    base = dict(zip(("model", "tokens_b", "gpus", "days", "budget_usd", "rate", "carbon_t"), CONFIGS[0]))
    run_lab(LAB, base)
    _, fresh, _ = run_lab(LAB, base | {"tokens_b": 37})
    _, limit, _ = run_lab(LAB, base | {"tokens_b": 37, "days": 9})
    assert fresh["controls"]["tokens_b"] == 37 and limit["controls"]["days"] == 9
    before = {(r["gpus"], r["limit"]): r["runs"] for r in fresh["chart"].datasets["curves"]}
    after = {(r["gpus"], r["limit"]): r["runs"] for r in limit["chart"].datasets["curves"]}
    assert before.keys() == after.keys()
    for key, runs in before.items():
        assert after[key] == pytest.approx(runs * 9 / 7 if key[1] == "the deadline" else runs), key


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    reach = {"gpus": d["gpus"], "tokens_b": d["tokens_b"], "days": d["days"], "budget_usd": d["budget_usd"],
             "rate": d["rate"]}
    for q in chapter.QUESTIONS:
        for key, values in q.variants.items():
            for v in values:
                assert reach[key].start <= v <= reach[key].stop, (q.id, key, v)
                if key == "gpus":
                    assert v % chapter.PER_SERVER == 0  # whole servers, so the control can be set to it
    # every crossover answer is a GPU count the control can be set to
    q = chapter.QUESTIONS[2]
    for t in q.variants["tokens_b"][:1]:
        for days in q.variants["days"]:
            for b in q.variants["budget_usd"]:
                for rate in q.variants["rate"]:
                    n = q.expected({"tokens_b": t, "days": days, "budget_usd": b, "rate": rate})
                    assert n % chapter.PER_SERVER == 0 and d["gpus"].start <= n <= d["gpus"].stop


@pytest.mark.parametrize("days,budget,rate", [(7, 20000, 2.5), (5, 10000, 4.0), (14, 50000, 2.0), (5, 50000, 2.0)])
def test_crossover_by_hand(days, budget, rate):
    # the deadline allows T / t runs, the budget B / (r N t): t cancels, so the budget binds from
    # N = B / (r T) on, rounded up to whole 8-GPU servers, for any model and any tokens:
    #   20,000 / (2.5 x 168) = 47.6 -> 48;  10,000 / (4 x 120) = 20.8 -> 24;
    #   50,000 / (2 x 336) = 74.4 -> 80;    50,000 / (2 x 120) = 208.3 -> 216
    want = {(7, 20000, 2.5): 48, (5, 10000, 4.0): 24, (14, 50000, 2.0): 80, (5, 50000, 2.0): 216}[(days, budget, rate)]
    q = chapter.QUESTIONS[2]
    for tokens_b in (5, 40):
        assert q.expected({"tokens_b": tokens_b, "days": days, "budget_usd": budget, "rate": rate}) == want
    assert chapter.crossover_gpus("gpt2", 20, days, budget, rate) == want


def test_answers_by_hand_from_the_engine_run():
    q1, q2, _ = chapter.QUESTIONS
    r = chapter.run("llama3_8b", 20, 128)
    h = r.duration.to("hour").magnitude
    # runs in 14 days = floor(336 h / t)
    assert q1.expected({"gpus": 128, "tokens_b": 20, "days": 14}) == math.floor(336 / h)
    # runs 20,000 USD buys at 3 USD/GPU-h = floor(20,000 / (3 x 128 x t))
    assert q2.expected({"gpus": 128, "tokens_b": 20, "budget_usd": 20000, "rate": 3.0}) == math.floor(20000 / (384 * h))


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) + (5 if i == 0 else 0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["no", "yes", "yes"]
