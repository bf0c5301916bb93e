"""The neural-computation lab under plain Python: its words agree with its charts and with the kernels,
and the layer costs and memory agree with a hand derivation."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402

LAB = "vol1_ch05_neural_computation"
ch = chapter_module(LAB)

BASE = {"kind": "dense", "width": "4096", "batch": 8, "seq": "1024", "precision": "bf16", "layers": "32"}
CONFIGS = [
    BASE,
    dict(BASE, kind="attention", width="256", seq="16384"),           # the scores dominate
    dict(BASE, kind="attention", width="8192", seq="64", batch=1),    # short context: Q, K, V, O dominate
    dict(BASE, kind="conv", seq="64", batch=1),                       # the filters dominate
    dict(BASE, kind="dense", batch=1, seq="64", precision="fp32", layers="1"),
    dict(BASE, kind="conv", width="256", batch=1024, seq="16384", precision="fp8", layers="96"),
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: f"{c['kind']}-{c['width']}-{c['batch']}x{c['seq']}")
def test_the_explanations_agree_with_the_kernels_and_the_charts(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    shape = dict(width=int(controls["width"]), batch=controls["batch"], seq=int(controls["seq"]),
                 precision=controls["precision"])
    costs = {k: ch.layer(k, **shape) for k in ch.KINDS}
    by = sorted(costs, key=lambda k: costs[k].intensity)
    expl = d["explanation"]
    # the most and least arithmetic per byte are the extremes of the three kernels' intensities
    assert f"the **{ch.SHORT[by[-1]]}** does the most arithmetic, **{costs[by[-1]].intensity:,.4g} flop/byte**" in expl
    assert f"the **{ch.SHORT[by[0]]}** the least, **{costs[by[0]].intensity:,.4g} flop/byte**" in expl
    c = costs[controls["kind"]]
    parts = {"weights": c.weight_bytes, "activations": c.activation_bytes, "attention scores": c.score_bytes}
    assert f"the largest share of its bytes is the **{max(parts, key=parts.get)}**" in expl
    assert f"**{c.flops / 1e9:,.4g} GFLOP**" in expl
    # the chart's bars are the same numbers: each row adds up to the layer's bytes, its label names its FLOPs
    rows = d["bytes_chart"].datasets["parts"]
    totals = {}
    for r in rows:
        totals[r["row"]] = totals.get(r["row"], 0.0) + r["value"]
    unit = d["bytes_chart"].spec["layer"][0]["encoding"]["x"]["title"].split("(")[-1].rstrip(")")
    scale = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
    for k, cost in costs.items():
        assert totals[ch.row_label(cost)] * scale == pytest.approx(cost.bytes_moved, rel=1e-9)
    # memory: the ratio and the largest part stated are the memory chart's
    train = ch.memory(c, int(controls["layers"]), True)
    infer = ch.memory(c, int(controls["layers"]), False)
    assert d["ratio"] == pytest.approx(sum(train.values()) / sum(infer.values()))
    assert f"**{d['ratio']:,.3g}×** as much" in d["memory_text"]
    assert f"the **{max(train, key=train.get)}**" in d["memory_text"]
    mem_rows = d["memory_chart"].datasets["parts"]
    assert {r["row"] for r in mem_rows} == {"inference", "training"}
    if controls["kind"] == "attention":
        assert "no weights at all" in expl and c.weight_bytes == 0
        # doubling the positions: scores x4, the rest x2, FLOPs x4 (the words say what the kernels give)
        assert "scores would move" in expl and "(4×)" in expl and "(2×)" in expl


def test_layer_costs_by_hand():
    # dense, d = 4096, b s = 8 x 1024 = 8192 tokens, bf16: FLOPs 2 x 8192 x 4096 x 4096 = 274.88e9;
    # bytes (8192 x 4096 x 2 + 4096^2) x 2 B = (67.11e6 + 16.78e6) x 2 = 167.77e6 B: intensity 1638.4
    c = ch.layer("dense", 4096, 8, 1024, "bf16")
    assert c.flops == pytest.approx(274.88e9, rel=1e-4)
    assert c.bytes_moved == pytest.approx(167.77e6, rel=1e-4)
    assert c.intensity == pytest.approx(1638.4, rel=1e-4)
    # attention, d = 4096 (64 heads of 64), s = 1024, b = 8: FLOPs 4 b s^2 d = 4 x 8 x 1024^2 x 4096 = 137.44e9;
    # bytes 8 x 64 x (4 x 1024 x 64 + 2 x 1024^2) x 2 B = 512 x 2,359,296 x 2 = 2.416e9 B: intensity 56.89
    a = ch.layer("attention", 4096, 8, 1024, "bf16")
    assert a.flops == pytest.approx(137.44e9, rel=1e-4)
    assert a.bytes_moved == pytest.approx(2.416e9, rel=1e-3)
    assert a.intensity == pytest.approx(56.89, rel=1e-3)
    # conv 3x3, 4096 -> 4096 channels on 32 x 32, b = 8: FLOPs 2 x 8192 x 4096 x 36864 = 2.4739e12
    assert ch.layer("conv", 4096, 8, 1024, "bf16").flops == pytest.approx(2.4739e12, rel=1e-4)


def test_batch_does_not_move_attention_intensity_but_raises_dense():
    # "What to notice": batch helps weights, not scores (both attention's FLOPs and bytes scale with b)
    assert ch.layer("attention", 2048, 1, 1024, "fp16").intensity == pytest.approx(
        ch.layer("attention", 2048, 64, 1024, "fp16").intensity)
    assert ch.layer("dense", 2048, 64, 64, "fp16").intensity > ch.layer("dense", 2048, 1, 64, "fp16").intensity


def test_prediction_truth_by_hand():
    # 32 dense layers of 4096^2 = 536.9e6 parameters, bf16, b s = 8192 tokens:
    # inference = 2 x 536.9e6 + one layer's input and output 2 x 8192 x 4096 x 2 B = 1073.7e6 + 134.2e6 = 1207.9e6 B
    # training = (2 + 2 + 12) x 536.9e6 + 32 x 8192 x 4096 x 2 B = 8589.9e6 + 2147.5e6 = 10737.4e6 B -> 8.889x
    assert ch.PREDICTIONS[0].truth() == pytest.approx(10737.4 / 1207.9, rel=1e-3)
    assert "537 million parameters" in ch.PREDICTIONS[0].prompt


def test_every_variant_can_be_set_with_the_controls():
    _, d, _ = run_lab(LAB)
    for q in ch.QUESTIONS:
        assert set(q.variants["kind"]) <= set(d["kind"].options.values())
        assert {str(w) for w in q.variants["width"]} <= set(d["width"].options.values())
        assert {str(s) for s in q.variants["seq"]} <= set(d["seq"].options.values())
        assert max(q.variants["batch"]) <= d["batch"].stop
        if "layers" in q.variants:
            assert {str(n) for n in q.variants["layers"]} <= set(d["layers"].options.values())
