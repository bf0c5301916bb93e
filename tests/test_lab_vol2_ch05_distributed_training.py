"""The parallelism lab under plain Python: its words agree with its chart and with the engine
(the named wall is the result's bound, the optimizer's best is the fastest layout that fits), and the
download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402

LAB = "vol2_ch05_distributed_training"
chapter = chapter_module(LAB)


def test_default_layout_by_hand():
    # Llama-3-70B on 256 H100s, TP 8 x PP 4: DP = 256 / 32 = 8; each replica 1024 / 8 = 128 sequences,
    # 128 micro-batches of 1. Bubble (P-1)/(M+P-1) = 3/131 = 0.022901 (Narayanan et al. 2021).
    _, d, _ = run_lab(LAB)
    mine = d["mine"]
    assert (mine.tp_size, mine.pp_size, mine.dp_size, mine.microbatch_count) == (8, 4, 8, 128)
    assert mine.bubble_fraction == pytest.approx(3 / 131)
    # compute = 6 x 70.6e9 params x 1024 x 8192 tokens / (256 x 989e12 x efficiency): the engine's
    # default efficiency sets the scale; the parts must add up to the step
    parts = chapter.parts_s(mine)
    assert sum(parts.values()) == pytest.approx(mine.step_time.to("s").magnitude, rel=1e-6)
    # weights of 70.6e9 params in bf16 split over TP x PP = 32: 70.6e9 x 2 B / 32 = 4.41 GB
    assert mine.weight_memory.to("GB").magnitude == pytest.approx(70.55e9 * 2 / 32 / 1e9, rel=0.01)
    # the prediction's truth: the optimizer keeps TP inside a node and uses no pipeline (TP 4, PP 1, ZeRO-3)
    assert chapter.PREDICTIONS[0].truth() == chapter.PREDICT_OPTIONS[0]


CONFIGS = [
    {},  # the defaults: feasible, slower than the optimizer's best
    {"model": "llama3_70b", "fleet": "research256", "tp": "8", "pp": "4", "microbatches": "8", "zero": "1"},  # too big
    {"model": "llama3_70b", "fleet": "research256", "tp": "4", "pp": "1", "microbatches": "16", "zero": "3"},  # the best
    {"model": "llama3_8b", "fleet": "frontier8k", "tp": "4", "pp": "2", "microbatches": "1", "zero": "2",
     "recompute": "full"},
    {"model": "llama3_70b", "fleet": "research256", "tp": "8", "pp": "4", "microbatches": "256"},  # 256 does not divide 128: not a layout
    {"model": "llama3_8b", "fleet": "meta_llama3_h100", "tp": "1", "pp": "1"},  # DP 16,384 > batch: not a layout
]


@pytest.mark.parametrize("controls", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(controls):
    text, d, _ = run_lab(LAB, controls)
    assert "Traceback" not in text
    c = d["controls"]
    mine, search = d["mine"], d["search"]
    # the optimizer's best is the fastest of its ranked layouts, and every ranked layout fits
    top = search.best
    assert search.ranked[0]["step_time_s"] == min(r["step_time_s"] for r in search.ranked)
    assert all(r["memory_gb"] <= top.memory_capacity.to("GB").magnitude for r in search.ranked)
    assert f"**{top.step_time.to('s').magnitude:.3g} s** per step" in d["explanation"]
    assert f"bound by the **{top.bound.value}** wall" in d["explanation"]
    rows = d["chart"].datasets["parts"]
    if not d["valid"]:
        assert "Not a layout" in d["explanation"]
        assert {r["row"] for r in rows} == {"optimizer's best"}
        return
    # the student's layout is the engine's for these controls; the wall named is its bound
    assert (mine.tp_size, mine.pp_size, mine.microbatch_count, mine.zero_stage) == (
        int(c["tp"]), int(c["pp"]), int(c["microbatches"]), int(c["zero"]))
    assert f"the binding wall: **{mine.bound.value}**" in d["explanation"]
    assert f"**{mine.bubble_fraction:.1%}**" in d["explanation"]
    # the bubble fraction is (P-1)/(M+P-1) by hand
    p, m = mine.pp_size, mine.microbatch_count
    assert mine.bubble_fraction == pytest.approx((p - 1) / (m + p - 1))
    # fit said the right way round, and the chart row says so too
    gb = mine.memory_per_accelerator.to("GB").magnitude
    assert ("does not fit" in d["explanation"]) == (gb > mine.memory_capacity.to("GB").magnitude) == (not mine.feasible)
    mine_rows = [r for r in rows if r["row"].startswith("your layout")]
    assert all(("does not fit" in r["row"]) == (not mine.feasible) for r in mine_rows)
    # the chart's bars add up to the step times the text gives (same unit for both rows)
    scale = mine.step_time.to("s").magnitude / sum(r["value"] for r in mine_rows)
    top_sum = sum(r["value"] for r in rows if r["row"] == "optimizer's best") * scale
    assert top_sum == pytest.approx(top.step_time.to("s").magnitude, rel=1e-6)
    if mine.feasible:
        # a layout that fits is never faster than the optimizer's best (when the optimizer searched it)
        assert mine.step_time.to("s").magnitude >= top.step_time.to("s").magnitude * (1 - 1e-9) or mine.microbatch_size > 8


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    opts = {k: set(d[k].options.values()) for k in ("tp", "pp", "microbatches", "zero", "model", "fleet")}
    for q in chapter.QUESTIONS:
        for name, values in q.variants.items():
            key = name if name in opts else None
            assert key, name
            assert {str(v) for v in values} <= opts[key], (q.id, name)
    for tp in chapter.QUESTIONS[1].variants["tp"]:
        for pp in chapter.QUESTIONS[1].variants["pp"]:
            assert str(chapter._one_each(tp, pp)) in opts["microbatches"]


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # PP 4, M 8: 3 / 11 = 27.27 %
    assert q1.expected({"pp": 4, "microbatches": 8}) == pytest.approx(300 / 11, rel=1e-6)
    # TP 8 x PP 8, ZeRO-3 on 256 GPUs: DP 4; weights + grads + Adam (2 + 2 + 12 B/param) all sharded over
    # 256 ranks: 70.55e9 x 16 B / 256 = 4.41 GB, plus the first stage's activations
    assert q2.expected({"tp": 8, "pp": 8, "zero": 3}) > 70.55e9 * 16 / 256 / 1e9
    # the optimizer's step on the big fleet is shorter than on the small one
    assert q3.expected({"model": "llama3_70b", "fleet": "frontier8k"}) < q3.expected({"model": "llama3_70b", "fleet": "research256"})


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
