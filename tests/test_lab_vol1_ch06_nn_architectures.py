"""The architectures lab under plain Python: the bounds and places it names are the engine's, the
attention figures are the kernels', and the parity context agrees with a hand derivation."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim.viz.data import fmt  # noqa: E402

LAB = "vol1_ch06_nn_architectures"
ch = chapter_module(LAB)

BASE = {"hw": "h100", "cnn": "resnet50", "transformer": "llama3_8b", "batch": 1, "seq": "2048", "precision": "fp16"}
CONFIGS = [
    BASE,
    dict(BASE, batch=64, seq="131072"),                       # long context: attention dominates
    dict(BASE, hw="l4", precision="fp8", cnn="mobilenetv2"),  # DLRM does not fit 24 GB
    dict(BASE, hw="v100", precision="fp8"),                   # no fp8 peak: said
    dict(BASE, hw="a100_80gb", transformer="gpt2", seq="128", batch=512, cnn="yolov8n"),
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: f"{c['hw']}-{c['precision']}-{c['batch']}x{c['seq']}")
def test_the_explanation_agrees_with_the_engine(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    seq, batch = int(controls["seq"]), controls["batch"]
    rs = ch.family_solves(controls["cnn"], controls["transformer"], controls["hw"], batch, controls["precision"], seq)
    ai = {f: r.arithmetic_intensity.to("flop/byte").magnitude for f, r in rs.items()}
    expl = d["explanation"]
    lo, hi = min(ai, key=ai.get), max(ai, key=ai.get)
    assert f"Furthest left is the **{lo}** at **{fmt(ai[lo])} flop/byte**" in expl
    assert f"furthest right the **{hi}** at **{fmt(ai[hi])} flop/byte**" in expl
    for f, r in rs.items():  # every bound named is the result's
        assert f"the {f} is **{ch.bound(r)} bound**" in expl
    assert ("**Does not fit**" in expl) == (not all(r.feasible for r in rs.values()))
    if controls["hw"] == "v100":
        assert "lists no fp8" in expl
    # the roofline draws the same four points, at the engine's intensities
    pts = d["roofline"].datasets["points"]
    assert sorted(p["ai"] for p in pts) == pytest.approx(sorted(ai.values()))
    # the effective ridge stated is the roofline chart's
    eff = [r for r in d["roofline"].datasets["ridges"] if r["which"] == "effective"][0]["ai"]
    assert d["eff_ridge"] == pytest.approx(eff)
    # attention: the share and the parity are the kernels', and the chart marks the student's context
    w, a = ch.attention_split(controls["transformer"], seq)
    assert d["share"] == pytest.approx(a / (w + a))
    assert f"**{a / (w + a):.0%}**" in d["attention_text"]
    assert f"**{ch.parity_context(controls['transformer']):,.0f} tokens**" in d["attention_text"]
    assert ("already exceeded" in d["attention_text"]) == (seq > ch.parity_context(controls["transformer"]))
    marks = d["attention"].datasets["marks"]
    assert marks[0]["context"] == seq


def test_no_arithmetic_at_that_precision_is_said_not_drawn():
    text, d, _ = run_lab(LAB, dict(BASE, hw="coral_edge_tpu"))
    assert not d["has_peak"] and "Nothing to draw" in text


def test_parity_context_by_hand():
    # GPT-2 1.5B: P = 1.542e9, 48 layers, d_attn = 1600: s = 1.542e9 / (2 x 48 x 1600) = 10,039 tokens
    assert ch.parity_context("gpt2") == pytest.approx(10_039, rel=1e-3)
    # at it attention is half the forward FLOPs per token
    assert ch.attention_share("gpt2", ch.parity_context("gpt2")) == pytest.approx(0.5)
    # Llama-3-8B at 2048: 4 x 32 x 2048 x 4096 = 1.074e9 of 2 x 8.03e9 + 1.074e9 = 17.13e9 -> 6.27 %
    assert ch.attention_share("llama3_8b", 2048) == pytest.approx(1.074e9 / 17.134e9, rel=1e-3)


def test_prediction_is_the_engine_leftmost():
    rs = ch.family_solves(**ch.PREDICTION_SETUP)
    left = min(rs, key=lambda f: rs[f].arithmetic_intensity.to("flop/byte").magnitude)
    assert ch.PREDICTIONS[0].truth() == ch._OPTIONS[left]
    assert ch.PREDICTIONS[0].truth() in ch.PREDICTIONS[0].options


def test_every_variant_can_be_set_with_the_controls():
    _, d, _ = run_lab(LAB)
    q = {x.id: x for x in ch.QUESTIONS}
    assert set(q["parity_context"].variants["model"]) <= set(d["transformer"].options.values())
    assert set(q["cnn_throughput"].variants["model"]) <= set(d["cnn"].options.values())
    assert set(q["cnn_throughput"].variants["hw"]) <= set(d["hw"].options.values())
    assert max(q["cnn_throughput"].variants["batch"]) <= d["batch"].stop
