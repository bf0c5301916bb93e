"""The training-memory lab (Volume I, chapter 8) under plain Python: its verdict, its largest part and
its chart agree with the engine, and the check-yourself answers agree with a hand derivation."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "labs"))

pytest.importorskip("marimo")
from labkit import storage  # noqa: E402
from labkit.chapters import vol1_ch08_training as ch  # noqa: E402

LAB = "vol1_ch08_training"


def run(controls: dict):
    store = storage.MemoryStore()
    store.put(LAB, {"controls": controls, "answers": {}, "predictions": {"footprint": {"value": 16.0, "at": "t"}}})
    storage._store = store
    try:
        outputs, defs = importlib.import_module(LAB).app.run()
    finally:
        storage._store = None
    return "\n".join(getattr(o, "text", "") or "" for o in outputs if o is not None), defs


BASE = {"model": "llama3_8b", "hw": "h100", "precision": "bf16", "batch": 1, "seq": "2048", "recompute": "none",
        "zero": "0", "dp": "1"}
CONFIGS = [
    BASE,                                                    # does not fit: 159 GB on 80 GB
    dict(BASE, model="gpt2", batch=4, recompute="full"),     # fits
    dict(BASE, zero="3", dp="8", recompute="full"),          # ZeRO-3 makes the 8B model fit
    dict(BASE, zero="0", dp="8"),                            # plain data parallel: no memory saved
    dict(BASE, zero="2", dp="1"),                            # ZeRO with nothing to shard over
    dict(BASE, hw="v100", model="gpt2", precision="fp8"),    # no fp8 on a V100: said
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: f"{c['model']}-{c['hw']}-z{c['zero']}x{c['dp']}-{c['recompute']}")
def test_the_verdict_and_the_chart_agree_with_the_engine(controls):
    text, d = run(controls)
    assert d["controls"] == {k: (int(v) if k == "batch" else v) for k, v in controls.items()}
    setup = dict(model=controls["model"], hw=controls["hw"], precision=controls["precision"], batch=controls["batch"],
                 seq=int(controls["seq"]), recompute=controls["recompute"])
    zero, dp = int(controls["zero"]), int(controls["dp"])
    engine = ch.sharded(**setup, zero=zero, dp=dp) if (zero or dp > 1) else ch.one_accelerator(**setup)
    total = (engine.memory_per_accelerator if (zero or dp > 1) else engine.memory_footprint).to("GB").magnitude
    verdict = "fits" if engine.feasible else "does not fit"
    assert f"Verdict: <strong>{verdict}</strong>" in text
    expl = d["explanation"]
    assert f"**{total:,.4g} GB per accelerator**" in expl
    assert ("it does not fit" in expl) == (not engine.feasible)
    # the largest part named is the largest bar of the last configuration drawn
    rows = d["chart"].datasets["parts"]
    last = [r for r in rows if r["row"] == rows[-1]["row"]]
    biggest = max(last, key=lambda r: r["value"])["part"]
    assert f"The largest part is the **{biggest}**" in expl
    # the bars add up to the engine's total, the capacity line is the accelerator's memory
    scale = {"GB": 1.0, "TB": 1e3, "MB": 1e-3}[d["chart"].datasets["limit"][0]["label"].split()[-1]]
    assert sum(r["value"] for r in last) * scale == pytest.approx(total, rel=1e-9)
    assert d["chart"].datasets["limit"][0]["value"] * scale == pytest.approx(engine.memory_capacity.to("GB").magnitude)
    if (zero or dp > 1) and dp == 1:
        assert "divides nothing" in expl
    if dp > 1 and zero == 0:
        assert "save no memory" in expl
    if controls["precision"] == "fp8" and controls["hw"] == "v100":
        assert "lists no fp8" in text


def test_plain_data_parallel_saves_nothing_and_zero3_divides_everything():
    # Llama-3-8B, bf16: P = 8.03e9; weights = gradients = 2 x 8.03e9 = 16.06 GB, Adam 12 x 8.03e9 = 96.36 GB.
    # Full recompute keeps 2 s b h L = 2 x 2048 x 1 x 4096 x 32 x ... bytes: 2*2048*4096*32 = 0.537e9 B... per the
    # kernel (16-bit values counted in its coefficient): 2 s b h per layer = 2*2048*4096 = 16.78e6 B, x 32 layers
    # = 0.537 GB. ZeRO-3 over 8: (16.06 + 16.06 + 96.36) / 8 + 0.537 = 16.06 + 0.537 = 16.60 GB.
    r = ch.sharded("llama3_8b", "h100", "bf16", 1, 2048, "full", 3, 8)
    assert r.memory_per_accelerator.to("GB").magnitude == pytest.approx(128.48 / 8 + 0.537, rel=2e-3)
    plain = ch.sharded("llama3_8b", "h100", "bf16", 1, 2048, "full", 0, 8)
    assert plain.memory_per_accelerator.to("GB").magnitude == pytest.approx(128.48 + 0.537, rel=2e-3)


def test_one_accelerator_and_the_sharded_fleet_agree_at_one_replica():
    a = ch.one_accelerator("llama3_8b", "h100", "bf16", 3, 1024, "none")
    b = ch.sharded("llama3_8b", "h100", "bf16", 3, 1024, "none", 0, 1)
    for k in ("weight_memory", "gradient_memory", "optimizer_memory", "activation_memory"):
        assert getattr(a, k).to("byte").magnitude == pytest.approx(getattr(b, k).to("byte").magnitude)


def test_largest_batch_by_hand():
    # GPT-2 1.5B on an 80 GB H100 at bf16: state 16 B x 1.542e9 = 24.67 GB. No recompute, s = 1024:
    # per layer s h (34 + 5 a s / h) = 1024 x 1600 x (34 + 5 x 25 x 1024 / 1600) = 1024 x 1600 x 114 = 186.8e6 B,
    # x 48 layers = 8.966 GB per sequence. (80 - 24.67) / 8.966 = 6.17 -> 6 sequences.
    assert ch.largest_batch("gpt2", "h100", 1024, "none") == 6
    # full recompute: 2 s h L = 2 x 1024 x 1600 x 48 = 157.3 MB per sequence: 55.33 GB / 0.1573 GB = 351.7 -> 351
    assert ch.largest_batch("gpt2", "h100", 1024, "full") == 351


def test_smallest_dp_by_hand():
    # Llama-3-8B on A100 40 GB, full recompute, s = 2048, b = 1 (activations 0.537 GB):
    # ZeRO-1: 16.06 + 16.06 + 96.36 / N + 0.537 <= 40 -> 96.36 / N <= 7.34 -> N >= 13.1 -> 16 of 1, 2, 4, 8, 16
    # ZeRO-2: 16.06 + 112.42 / N + 0.537 <= 40 -> N >= 4.8 -> 8;  ZeRO-3: 128.48 / N + 0.537 <= 40 -> N >= 3.3 -> 4
    assert [ch.smallest_dp("llama3_8b", "a100_40gb", z) for z in (1, 2, 3)] == [16, 8, 4]


def test_prediction_truth_by_hand():
    # Llama-3-8B, bf16, batch 1 x 2048, no recompute: 128.48 GB of state +
    # 2048 x 4096 x (34 + 5 x 32 x 2048 / 4096) x 32 = 2048 x 4096 x 114 x 32 = 30.60 GB -> 159.1 GB
    assert ch.PREDICTIONS[0].truth() == pytest.approx(128.48 + 30.60, rel=2e-3)
    assert "9.9x too low" in ch.PREDICTIONS[0].how_far_off(16)  # 159.1 / 16
    assert "8.03 billion parameters: 16.1 GB" in ch.PREDICTIONS[0].prompt


def test_every_variant_has_an_answer_the_controls_can_reach():
    _, d = run(BASE)
    for q in ch.QUESTIONS:
        for hw in q.variants["hw"]:
            assert hw in d["hw"].options.values()
    assert d["batch"].stop >= max(ch.largest_batch("gpt2", "mi300x", 1024, "full"), 1)
    assert {str(n) for n in ch.DP_SIZES} == set(d["dp"].options.values())
