"""The architect's-audit lab under plain Python: its verdict, scorecard and table of moves agree
with mlsysim.audit, its claims hold, and the download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Wall  # noqa: E402

LAB = "vol1_ch16_conclusion"
chapter = chapter_module(LAB)
BASE = dict(model="llama3_8b", accelerator="h100", workload="serving", batch=8, precision="fp16", context=4096,
            count=1, grid="us_average")


def test_default_numbers_by_hand():
    # Llama 3 8B (8.03e9 parameters, 32 layers, 8 KV heads x 128) in fp16 on one H100 (80 GB, 3.35 TB/s):
    # weights 8.03e9 x 2 B = 16.06 GB; KV = 2 x 32 x 8 x 128 x 4,096 tokens x 8 seqs x 2 B = 4.295 GB.
    # Decode step: memory (16.06 + 4.295) GB / 3.35 TB/s = 6.076 ms; compute 2 x 8.03e9 x 8 / (989.5e12 x 0.5)
    # = 0.2597 ms; so Memory binds and the step is ~6.08 ms (+ the 10 us dispatch).
    _, d, _ = run_lab(LAB)
    r = d["result"]
    assert chapter.binding_title(r) == "Memory" and r.feasible
    assert chapter.memory_gb(r) == pytest.approx(16.06 + 4.295, rel=2e-3)
    assert r.row(Wall.MEMORY).figure.to("ms").magnitude == pytest.approx(6.076, rel=2e-3)
    assert chapter.step_ms(r) == pytest.approx(6.086, rel=2e-3)
    assert "**Memory**" in d["verdict"] and f"{chapter.step_ms(r):.4g} ms" in d["verdict"]


def test_prediction_by_hand():
    # Llama 3 70B: 70.55e9 x 2 B = 141.1 GB of fp16 weights, more than one H100's 80 GB: Capacity binds first
    assert chapter.PREDICTIONS[0].truth() == "Capacity"


CONFIGS = [
    {},                                                         # memory bound on one H100
    {"model": "llama3_70b"},                                    # does not fit on one
    {"model": "llama3_70b", "count": 2},                        # fits on two: memory bound
    {"count": 8, "batch": 1},                                   # small model over 8: communication
    {"workload": "inference", "batch": 16},                     # a batch of long prompts: compute
    {"workload": "training", "count": 4},                       # training: one accelerator, does not fit
    {"budget_usd": 100.0},                                      # a month costs more than 100 USD
    {"carbon_budget_t": 0.01, "grid": "poland"},                # a carbon cap on a coal-heavy grid
]


@pytest.mark.parametrize("change", CONFIGS)
def test_verdict_scorecard_and_moves_agree_with_the_engine(change):
    settings = {**BASE, **change}
    controls = {"workload": settings["workload"], "model": settings["model"], "hw": settings["accelerator"],
                "precision": settings["precision"], "batch": settings["batch"], "context": str(settings["context"]),
                "count": str(settings["count"]), "grid": settings["grid"],
                "budget": settings.get("budget_usd", 0), "carbon_budget": settings.get("carbon_budget_t", 0)}
    text, d, _ = run_lab(LAB, controls)
    a = chapter.solve(**settings)
    assert d["result"].binding is a.binding
    verdict = d["verdict"]
    assert f"**{a.binding.title}**" in verdict
    if a.feasible:
        assert "It runs on" in verdict and "does **not** run" not in verdict
    else:
        assert "does **not** run" in verdict and a.reason in verdict
    # the scorecard's red bars are exactly the walls that bind, and each bar is figure / limit
    bars = {b["wall"]: b for b in d["chart"].datasets["walls"]}
    for row in a.rows:
        key = f"{row.wall.number}. {row.wall.title}"
        if key in bars:
            assert (bars[key]["state"] == "binds") == row.binds
            expected = 100 * row.figure.to(row.limit.units).magnitude / row.limit.magnitude
            assert bars[key]["share"] == pytest.approx(expected)
    # a binding constraint is above 100 % of its limit
    if not a.feasible and a.row(a.binding).share is not None:
        assert a.row(a.binding).share > 1
    # each move's row is the engine's audit after that one change
    for m in d["moves"]:
        label, how = next((lb, ch) for lb, ch in chapter.MOVES[a.binding] if lb == m["change"])
        b = chapter.solve(**chapter._moved(d["settings"], how))
        assert m["binding"] == chapter.binding_title(b) and m["feasible"] == b.feasible
    assert "Traceback" not in text


def test_claim_more_accelerators_cut_memory_time_but_add_communication():
    one, two = chapter.solve(**BASE), chapter.solve(**{**BASE, "count": 2})
    assert one.row(Wall.COMMUNICATION) is None and two.row(Wall.COMMUNICATION).figure.magnitude > 0
    assert two.row(Wall.MEMORY).figure.magnitude == pytest.approx(one.row(Wall.MEMORY).figure.magnitude / 2, rel=1e-6)


def test_claim_a_larger_batch_fills_the_kv_cache():
    small, big = chapter.solve(**BASE), chapter.solve(**{**BASE, "batch": 16})
    assert big.row(Wall.SERVING).figure.magnitude == pytest.approx(2 * small.row(Wall.SERVING).figure.magnitude)


def test_claim_8_bit_weights_halve_the_weights_bytes():
    # capacity = weights + KV; KV is the Serving line's figure: weights = capacity - KV
    def weights(a):
        return a.row(Wall.CAPACITY).figure.to("GB").magnitude - a.row(Wall.SERVING).figure.to("GB").magnitude
    assert weights(chapter.solve(**{**BASE, "precision": "fp8"})) == pytest.approx(weights(chapter.solve(**BASE)) / 2, rel=1e-3)


def test_claim_the_grid_moves_carbon_far_more_than_money_and_not_speed():
    clean, coal = chapter.solve(**{**BASE, "grid": "quebec"}), chapter.solve(**{**BASE, "grid": "poland"})
    assert chapter.step_ms(clean) == chapter.step_ms(coal)
    money = chapter.cost_usd(coal) / chapter.cost_usd(clean)
    carbon = chapter.carbon_t(coal) / chapter.carbon_t(clean)
    assert 1 < money < 1.5 and carbon > 10 * money


def test_answers_by_hand():
    q_fit, q_step, q_carbon = chapter.QUESTIONS
    # Llama 3 70B fp16 on H100s, batch 8, 4,096 tokens: 141.1 GB weights + KV 2 x 80 x 8 x 128 x 4,096 x 8 x 2 B
    # = 10.74 GB -> 151.8 GB: more than 80 GB, less than 2 x 80 = 160 GB: two
    assert q_fit.expected({"model": "llama3_70b", "accelerator": "h100", "batch": 8, "context": 4096}) == 2
    # Llama 3 8B on one H100, batch 1, 2,048 tokens: (16.06 GB + 2 x 32 x 8 x 128 x 2,048 x 2 B = 0.268 GB)
    # / 3.35 TB/s = 4.874 ms + 0.01 ms dispatch = 4.884 ms
    assert q_step.expected({"count": 1, "batch": 1, "context": 2048}) == pytest.approx(4.884, rel=3e-3)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        v = q.variants
        assert set(v.get("model", [])) <= set(chapter.MODELS)
        assert set(v.get("accelerator", [])) <= set(chapter.ACCELERATORS)
        assert set(v.get("context", [])) <= set(chapter.CONTEXTS)
        assert set(v.get("count", [])) <= set(chapter.COUNTS)
        assert set(v.get("grid", [])) <= set(chapter.grid_options().values())
        assert all(d["batch"].start <= b <= d["batch"].stop for b in v.get("batch", []))
    # every variant of the fit question has an answer among the counts offered
    q = chapter.QUESTIONS[0]
    for m in q.variants["model"]:
        for hw in q.variants["accelerator"]:
            for b in q.variants["batch"]:
                for c in q.variants["context"]:
                    assert q.expected({"model": m, "accelerator": hw, "batch": b, "context": c}) in chapter.COUNTS


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (2 if i == 0 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["no", "yes", "yes"]
