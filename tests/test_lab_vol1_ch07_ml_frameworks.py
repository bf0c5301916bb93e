"""The frameworks lab under plain Python: the wall it names is EfficiencyModel's bound, its shares and
speed-ups are the engine's times, the bars add up to the step, and the launch overhead agrees with a
hand derivation (kernels x the registry's launch cost)."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Models  # noqa: E402
from mlsysim.wall_registry import LaunchOverheads  # noqa: E402

LAB = "vol1_ch07_ml_frameworks"
ch = chapter_module(LAB)

BASE = {"model": "gpt2", "hw": "h100", "batch": 1, "kpl": "20", "fused": "4", "launch": "pytorch_eager"}
CONFIGS = [
    BASE,
    dict(BASE, model="llama3_8b", batch=1024, launch="cuda_graph"),   # big batch: the kernels dominate
    dict(BASE, kpl="4", fused="12"),                                   # "fused" no smaller than eager: nothing saved
    dict(BASE, hw="l4", model="llama2_7b", batch=64, launch="cuda_stream"),
    dict(BASE, hw="mi300x", kpl="48", fused="1", batch=4096),
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: f"{c['model']}-{c['hw']}-b{c['batch']}-{c['kpl']}to{c['fused']}-{c['launch']}")
def test_the_explanation_agrees_with_the_engine(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    kpl, fused, batch = int(controls["kpl"]), int(controls["fused"]), controls["batch"]
    r = ch.step(controls["model"], controls["hw"], batch, kpl, controls["launch"], fused)
    t, over, fused_t = (r.time.to("s").magnitude, r.launch_overhead.to("s").magnitude, r.fused_time.to("s").magnitude)
    wall = str(r.bound.value)
    assert d["wall"] == wall
    expl = d["explanation"]
    words = {"software": "**launching kernels** takes longer", "memory": "**memory** sets the pace",
             "compute": "**arithmetic** sets the pace"}
    assert words[wall] in expl
    assert sum(words[w] in expl for w in words) == 1
    assert d["share"] == pytest.approx(100 * over / t)
    assert f"**{100 * over / t:.3g} %** is launch overhead" in expl
    if fused < kpl:
        assert f"**{t / fused_t:.3g}× faster**" in expl
    else:
        assert "saves nothing" in expl
    assert ("mostly waiting for the host" in expl) == (wall == "software")
    # the bars: each row adds up to its step, and the fused row is the fused time the engine reports
    rows = d["split"].datasets["parts"]
    unit = d["split"].spec["layer"][0]["encoding"]["x"]["title"].split("(")[-1].rstrip(")")
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}[unit]
    totals = {}
    for row in rows:
        totals[row["row"]] = totals.get(row["row"], 0.0) + row["value"] * scale
    eager_row, fused_row = list(totals)
    assert totals[eager_row] == pytest.approx(t, rel=1e-9)
    assert totals[fused_row] == pytest.approx(fused_t, rel=1e-9)
    # what the batch bought: the ratio to the engine's batch-1 step
    one = ch.step(controls["model"], controls["hw"], 1, kpl, controls["launch"], fused).time.to("s").magnitude
    if batch > 1:
        assert f"**{(batch / t) / (1 / one):,.3g}×**" in d["batch_text"]
        assert f"{t / one:,.3g}× as long" in d["batch_text"]


def test_launch_overhead_by_hand():
    # GPT-2: 48 layers x 20 kernels = 960 launches x the registry's PyTorch eager cost per launch
    launch = LaunchOverheads.get("pytorch_eager").launch_time.to("s").magnitude
    r = ch.step("gpt2", "h100", 1, 20, "pytorch_eager")
    assert Models.get("gpt2").layers == 48
    assert r.kernels == 960
    assert r.launch_overhead.to("s").magnitude == pytest.approx(960 * launch)
    # fusing to 4 per layer: 192 launches; the eager step's fused time is the 192-kernel step's time
    r4 = ch.step("gpt2", "h100", 1, 4, "pytorch_eager")
    assert r4.launch_overhead.to("s").magnitude == pytest.approx(192 * launch)
    assert ch.step("gpt2", "h100", 1, 20, "pytorch_eager", 4).fused_time.to("s").magnitude == pytest.approx(
        r4.time.to("s").magnitude)
    # the overhead share and the speed-up the questions ask are these times' ratios
    assert ch.overhead_share("gpt2", "h100", 1, 20) == pytest.approx(
        100 * 960 * launch / r.time.to("s").magnitude)


def test_a_bigger_batch_adds_no_launches():
    small, big = ch.step("llama3_8b", "h100", 1, 20, "pytorch_eager"), ch.step("llama3_8b", "h100", 512, 20, "pytorch_eager")
    assert small.launch_overhead.to("s").magnitude == pytest.approx(big.launch_overhead.to("s").magnitude)
    assert big.flops.to("flop").magnitude == pytest.approx(512 * small.flops.to("flop").magnitude)


def test_prediction_is_the_engine_bound():
    r = ch.step(**ch.PREDICTION_SETUP)
    assert ch.PREDICTIONS[0].truth() == ch._OPTIONS[str(r.bound.value)]
    assert ch.PREDICTIONS[0].truth() in ch.PREDICTIONS[0].options


def test_every_variant_can_be_set_with_the_controls():
    _, d, _ = run_lab(LAB)
    for q in ch.QUESTIONS:
        v = q.variants
        assert set(v["model"]) <= set(d["model"].options.values())
        assert set(v["hw"]) <= set(d["hw"].options.values())
        assert {str(k) for k in v["kernels_per_layer"]} <= set(d["kpl"].options.values())
        if "fused_per_layer" in v:
            assert {str(k) for k in v["fused_per_layer"]} <= set(d["fused"].options.values())
        assert max(v["batch"]) <= d["batch"].stop
