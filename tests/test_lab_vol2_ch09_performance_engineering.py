"""The performance-engineering lab under plain Python: its words agree with its tornado and with the
engine (the ranking is the solver's, the best upgrade is the tallest bar, the trap is named exactly
when the upgrade buys less than its elasticity promised), and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim.physics import kernels  # noqa: E402
from mlsysim.solvers.sensitivity import SensitivitySolver, single_node_problem  # noqa: E402

LAB = "vol2_ch09_performance_engineering"
chapter = chapter_module(LAB)


def test_amdahl_by_hand():
    # 90 % of the time made 4x faster: 1 / (0.1 + 0.9 / 4) = 1 / 0.325 = 3.0769
    assert chapter.QUESTIONS[2].expected({"pct": 90, "factor": 4}) == pytest.approx(3.0769, rel=1e-4)
    # 60 % made 10x faster: 1 / (0.4 + 0.06) = 2.1739
    assert chapter.QUESTIONS[2].expected({"pct": 60, "factor": 10}) == pytest.approx(2.1739, rel=1e-4)


def test_a_memory_bound_decode_step_by_hand():
    # Llama 3 8B decode at batch 1 is memory bound: the step time is all weight traffic / bandwidth (+ a small
    # dispatch tax), so doubling bandwidth nearly halves it (just under 2x because of the tax) and doubling
    # peak FLOP/s changes nothing at all: exactly 1x.
    assert chapter.speedup("llama_decode", "h100", 1, "peak_flops", 2.0) == pytest.approx(1.0)
    assert 1.9 < chapter.speedup("llama_decode", "h100", 1, "bandwidth", 2.0) <= 2.0
    # the prefill of a 2,048-token prompt is compute bound: the other way round
    assert chapter.speedup("llama_prefill", "h100", 1, "bandwidth", 2.0) == pytest.approx(1.0)
    assert 1.9 < chapter.speedup("llama_prefill", "h100", 1, "peak_flops", 2.0) <= 2.0


CONFIGS = [
    # (workload, hw, batch, factor, goal): near the ridge (the trap), memory bound, compute bound, latency, capped
    ("resnet", "h100", 1, 2.0, "throughput"),
    ("llama_decode", "a100_80gb", 64, 2.0, "latency"),
    ("llama_decode", "h100", 1, 3.0, "throughput"),
    ("llama_prefill", "l4", 4, 4.0, "throughput"),
    ("mobilenet", "l4", 1, 1.5, "latency"),
    ("resnet_train", "mi300x", 8, 1.1, "throughput"),
]


@pytest.mark.parametrize("workload,hw,batch,factor,goal", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(workload, hw, batch, factor, goal):
    controls = {"workload": workload, "hw": hw, "batch": batch, "factor": factor, "goal": goal}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    _, model, training, seq, _ = chapter.WORKLOADS[workload]
    sens = SensitivitySolver().solve(single_node_problem(model, hw, batch_size=batch, is_training=training, seq_len=seq))
    rows, explanation = d["rows"], d["explanation"]
    # the tornado's order is the solver's ranking for the chosen goal (the combined upgrade last)
    ranked = [k for k, _ in sens.ranking[goal]]
    assert [r["knob"] for r in rows[:-1]] == ranked and rows[-1]["knob"] == "both"
    assert f"**{rows[0]['label']}** first ({sens.elasticities[goal][ranked[0]]:+.3g})" in explanation
    # the best single upgrade named is the tallest bar raised (of the single knobs)
    bars = {b["label"]: b["change"] for b in d["chart"].datasets["bars"] if b["direction"] == "knob raised"}
    best = max((r for r in rows[:-1]), key=lambda r: bars[r["label"]])
    assert f"the best single upgrade is **{best['label']}**" in explanation
    assert f"**{best['speedup']:.3g}×** better {goal}" in explanation
    # each bar is the engine's float function with that knob moved by the factor (peak FLOP/s checked here)
    p = single_node_problem(model, hw, batch_size=batch, is_training=training, seq_len=seq)
    y0, y1 = p.function(dict(p.knobs)), p.function({**p.knobs, "peak_flops": p.knobs["peak_flops"] * factor})
    gain = y1["throughput"] / y0["throughput"] if goal == "throughput" else y0["latency"] / y1["latency"]
    assert bars[chapter.KNOBS["peak_flops"]] == pytest.approx(100 * (gain - 1))
    # Amdahl's tick: the time share (minus the latency elasticity) made factor x faster
    f = -sens.elasticities["latency"]["peak_flops"]
    tick = next(t for t in d["chart"].datasets["amdahl"] if t["label"] == chapter.KNOBS["peak_flops"])
    assert tick["change"] == pytest.approx(100 * (kernels.amdahl_speedup(min(1.0, max(0.0, f)), factor) - 1))
    # the trap is named exactly when some upgrade bought more than 2 % less than its elasticity promised
    trapped = [r for r in rows if r["amdahl"] is not None and r["speedup"] < 0.98 * r["amdahl"]]
    assert ("**The trap:**" in explanation) == bool(trapped)
    if goal == "latency":
        assert "batching buys throughput, never latency" in explanation
        batch_row = next(r for r in rows if r["knob"] == "batch_size")
        assert batch_row["speedup"] <= 1.0 + 1e-9
    assert math.isfinite(d["update_ms"])
    # (the 30 ms redraw budget is the browser test's: on a shared machine a plain-Python timing here is noise)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS[:2]:
        assert set(q.variants["workload"]) <= set(chapter.WORKLOADS)
        assert set(q.variants["hw"]) <= set(chapter.ACCELERATORS)
        assert all(d["batch"].start <= b <= d["batch"].stop for b in q.variants["batch"])
        assert set(q.variants["knob"]) <= set(chapter.KNOBS)
    for f in chapter.QUESTIONS[0].variants["factor"]:
        assert d["factor"].start <= f <= d["factor"].stop
    # the share question never asks for a share so small that rounding decides it
    share = chapter.QUESTIONS[1]
    for w in share.variants["workload"]:
        for hw in share.variants["hw"]:
            for b in share.variants["batch"]:
                assert share.expected({"workload": w, "hw": hw, "batch": b, "knob": "peak_flops"}) > 10


def test_the_prediction_is_the_engine():
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(chapter.speedup("resnet", "h100", 1, "peak_flops", 2.0))


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
