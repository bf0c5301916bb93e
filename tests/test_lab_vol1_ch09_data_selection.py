"""The data-selection lab (Volume I, chapter 9) under plain Python: the optimum marked is the minimum
of the curve drawn, the words say the numbers the chart shows, and the answers match a hand derivation."""
from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "labs"))

pytest.importorskip("marimo")
from labkit import storage  # noqa: E402
from labkit.chapters import vol1_ch09_data_selection as ch  # noqa: E402

LAB = "vol1_ch09_data_selection"


def run(controls: dict):
    store = storage.MemoryStore()
    store.put(LAB, {"controls": controls, "answers": {},
                    "predictions": {"tenfold": {"value": ch.PREDICTIONS[0].options[0], "at": "t"}}})
    storage._store = store
    try:
        outputs, defs = importlib.import_module(LAB).app.run()
    finally:
        storage._store = None
    return "\n".join(getattr(o, "text", "") or "" for o in outputs if o is not None), defs


CONFIGS = [{"budget": "1e22", "tpp": "20", "efficiency": "1"}, {"budget": "1e23", "tpp": "80", "efficiency": "2"},
           {"budget": "1e19", "tpp": "1", "efficiency": "5"}, {"budget": "1e26", "tpp": "640", "efficiency": "1.5"}]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: "-".join(c.values()))
def test_the_optimum_marked_is_the_minimum_of_the_curve_and_the_words_agree(controls):
    text, d = run(controls)
    assert d["controls"] == controls
    curve = d["chart"].datasets["curve"]
    marks = {m["kind"]: m for m in d["chart"].datasets["marks"]}
    lowest = min(curve, key=lambda r: r["loss"])
    opt = marks["optimum"]
    # the marked optimum is at or below every point drawn, and between the two points around the lowest one
    assert opt["loss"] <= lowest["loss"] + 1e-12
    i = curve.index(lowest)
    assert curve[max(i - 1, 0)]["params"] <= opt["params"] <= curve[min(i + 1, len(curve) - 1)]["params"]
    # every point of the curve spends the budget: 6 P D = C
    c = float(controls["budget"])
    assert all(6 * r["params"] * r["tokens"] == pytest.approx(c) for r in curve)
    # the student's allocation is ScalingModel's, drawn at the loss the text gives
    mine = ch.allocation(c, float(controls["tpp"]))
    assert marks["your allocation"]["params"] == pytest.approx(mine.optimal_parameters.magnitude)
    expl = d["explanation"]
    assert f"a loss of **{marks['your allocation']['loss']:.4f}**" in expl
    assert f"<strong>{opt['loss']:.4f}</strong> nats per token" in text
    if marks["your allocation"]["loss"] - opt["loss"] > 1e-4:
        side = "too big a model" if marks["your allocation"]["params"] > opt["params"] else "too small a model"
        assert side in expl
    if float(controls["efficiency"]) > 1:
        assert "raw data would need" in expl


def test_scaling_model_loss_by_hand():
    # C = 1e22, r = 20: P = sqrt(1e22 / 120) = 9.129e9, D = 1.826e11.
    # L = 1.69 + 406.4 / 9.129e9^0.34 + 410.7 / 1.826e11^0.28
    # 9.129e9^0.34 = 10^(9.9604 x 0.34 = 3.3865) = 2435.9 -> 0.16684; 1.826e11^0.28 = 10^(11.2615 x 0.28 = 3.1532)
    # = 1423.0 -> 0.28861; L = 2.14545
    assert ch.QUESTIONS[0].expected({"budget": 1e22, "tokens_per_parameter": 20}) == pytest.approx(2.1455, abs=3e-4)


def test_raw_equivalent_by_hand():
    # The optimal loss is E + K C^-gamma with gamma = alpha beta / (alpha + beta) = 0.34 x 0.28 / 0.62 = 0.15355,
    # and data efficiency k multiplies the data term's B by k^-beta, which scales K by (k^-beta)^(alpha/(alpha+beta)):
    # the same loss needs C_raw = C x k^(beta alpha / (alpha + beta) / gamma) = C x k. So with k = 2, C_raw = 2 C.
    assert ch.raw_budget_equivalent(1e22, 2.0) == pytest.approx(2e22, rel=1e-6)
    assert ch.raw_budget_equivalent(1e24, 5.0) == pytest.approx(5e24, rel=1e-6)


def test_clean_optimum_by_hand():
    # Eq. 4 at C = 6e23 (C / 6 = 1e23): raw data G = 1.3447, P = 3.279e10 (tests/test_data_selection_kernels.py).
    # k = 2: B' = 410.7 / 2^0.28 = 410.7 / 1.2142 = 338.24; G = (138.18 / (0.28 x 338.24 = 94.707))^1.6129
    # = 1.4590^1.6129 = exp(0.37776 x 1.6129 = 0.60929) = 1.8393 -> P = 1.8393 x 2.4384e10 = 4.485e10 = 44.85 billion
    assert ch.QUESTIONS[1].expected({"budget": 6e23, "efficiency": 2.0}) == pytest.approx(44.85, rel=3e-3)


def test_prediction_is_the_square_root_rule():
    # P* = sqrt(C / 120): ten times C is sqrt(10) = 3.16 times P (and D)
    assert ch.PREDICTIONS[0].truth() == "about 3x bigger model on about 3x the tokens"


def test_controls_reach_every_variant():
    _, d = run(CONFIGS[0])
    for q in ch.QUESTIONS:
        assert {ch.budget_key(b) for b in q.variants["budget"]} <= set(d["budget"].options.values())
    assert {f"{r:g}" for r in ch.QUESTIONS[0].variants["tokens_per_parameter"]} <= set(d["tpp"].options.values())
    assert {f"{k:g}" for k in ch.QUESTIONS[1].variants["efficiency"]} <= set(d["efficiency"].options.values())
    assert math.isfinite(d["loss_opt"])
