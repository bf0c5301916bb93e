"""The compression lab under plain Python: its words name the bounds, speed-ups and sizes the engine
(CompressionModel) returns; its chart places exactly the recipes with a published quality figure, at
the engine's times; the published figures are the registry rows' and the papers'; and the lab's key
numbers agree with hand derivations from the datasheets and the GPTQ README."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim.solvers.compression import CompressionModel  # noqa: E402
from mlsysim.wall_registry import CompressionResults  # noqa: E402

LAB = "vol1_ch10_model_compression"
ch = chapter_module(LAB)

BASE = {"model": "llama1_7b", "method": "gptq", "bits": "4", "sparsity": "none", "hw": "jetson_orin_nx_16gb", "batch": 1}
CONFIGS = [
    BASE,
    dict(BASE, batch=128),                                  # compute bound: 4-bit buys nothing
    dict(BASE, hw="iphone15pro", bits="3"),                  # fp16 does not fit the phone; 3-bit does
    dict(BASE, method="rtn", bits="8"),                      # no published figure: a dashed line
    dict(BASE, sparsity="2:4", hw="h100", batch=64),         # 2:4 on the sparse peak; dense rows do not apply
    dict(BASE, model="bert_base", method="distillation", hw="snapdragon_8_gen3"),  # DistilBERT, published
    dict(BASE, model="resnet50", method="distillation"),     # no published student: said, not crashed
    dict(BASE, model="resnet50", method="llm_int8", hw="h100", batch=64),  # a claim, not a measurement
    dict(BASE, model="llama2_7b", hw="l4"),                  # the same shape as LLaMA-7B, but never measured
    dict(BASE, method="none", hw="iphone15pro"),             # uncompressed, does not fit
    dict(BASE, method="none", sparsity="unstructured", hw="edge_server_a2", batch=16),
]


def _ids(c):
    return f"{c['model']}-{c['method']}{c['bits']}-{c['sparsity']}-{c['hw']}-b{c['batch']}"


def _engine(c, method=None, bits=None, sparsity=None):
    r = ch.recipe(method or c["method"], bits or c["bits"], sparsity or c["sparsity"])
    return CompressionModel().solve(c["model"], c["hw"], method=r.method, bits=r.bits, sparsity=r.sparsity,
                                    batch_size=c["batch"], precision="fp16")


@pytest.mark.parametrize("controls", CONFIGS, ids=_ids)
def test_the_explanation_agrees_with_the_engine(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    expl, speed, quality = d["explanation"], d["speed_text"], d["quality_text"]
    if controls["method"] == "distillation" and controls["model"] != "bert_base":
        assert "cannot be solved" in expl and "published student" in expl
        assert d["mine"] is None and d["chart"].datasets["chosen"] == [] == d["chart"].datasets["unplaced"]
        return
    r = _engine(controls)
    base = _engine(controls, "none", None, "none")
    size = r.compressed_size.m_as("GB")
    assert f"**{size:.3g} GB**" in expl
    assert ("do not fit" in expl) == (not base.feasible)
    assert ("This recipe does not fit either" in expl) == (not r.feasible and controls["method"] != "none")
    uncompressed = controls["method"] == "none" and controls["sparsity"] == "none"
    if r.feasible and not uncompressed:
        # the bounds named are the engine's, and the speed-up is the engine's ratio
        assert f"is **{r.step_bound.value} bound** (compute" in speed
        # a baseline that does not fit has no step_bound: the lab names the side its times say (the engine's rule)
        base_bound = base.step_bound.value if base.feasible else (
            "compute" if base.compute_time >= base.memory_time else "memory")
        assert ("if it fitted" in speed) == (not base.feasible)
        assert f"and is **{base_bound} bound**;" in speed
        if r.speedup >= 1.05:
            assert f"**{r.speedup:.3g}× faster**" in speed and "no faster" not in speed
        else:
            assert "**no faster**" in speed
            assert ("Smaller weights bought no time" in speed) == (base_bound == "compute")
        if base_bound == "memory" and r.step_bound.value == "memory":
            assert "Both steps wait for bytes" in speed
        if base_bound == "memory" and r.step_bound.value == "compute":
            assert "turned compute bound" in speed
    if not r.feasible:
        assert "if it fitted" in speed
    # quality: the registry row's numbers, or the plain statement that there is none
    if uncompressed:
        assert "Uncompressed" in quality
    elif r.published is None:
        assert "No published quality figure" in quality
    else:
        row = CompressionResults.get(r.published)
        if row.metric == "quality_retained":
            assert "paper's claim" in quality and "not a measurement" in quality
        else:
            assert f"**{row.baseline_value:g} → {row.compressed_value:g}**" in quality
            assert f"**{100 * row.retained:.3g} % kept**" in quality
    # the chart: one point per recipe with a published figure (fp16 by definition), at the engine's time
    chart = d["chart"]
    unit = chart.spec["layer"][3]["encoding"]["x"]["title"].split("(")[-1].rstrip(")")
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}[unit]
    placed = {p["label"]: p for p in chart.datasets["points"]}
    for recipe in ch.menu(controls["model"], int(controls["bits"])):
        e = _engine(controls, recipe.method, recipe.bits or controls["bits"], recipe.sparsity)
        if recipe == ch.Recipe("none"):
            assert placed["fp16"]["kept"] == 100.0
        if e.published is None and recipe != ch.Recipe("none"):
            assert recipe.label not in placed
            continue
        p = placed[recipe.label]
        assert p["time"] * scale == pytest.approx(e.compressed_time.m_as("s"), rel=1e-9)
        if recipe != ch.Recipe("none"):
            assert p["kept"] == pytest.approx(100 * e.quality_retained)
        assert (p["fits"] == "fit") == e.feasible
    # the chosen recipe: ringed where it has a figure, else a dashed line at its time
    if r.published is not None or uncompressed:
        assert len(chart.datasets["chosen"]) == 1 and chart.datasets["unplaced"] == []
        assert chart.datasets["chosen"][0]["time"] * scale == pytest.approx(r.compressed_time.m_as("s"), rel=1e-9)
    else:
        assert chart.datasets["chosen"] == [] and len(chart.datasets["unplaced"]) == 1
        assert chart.datasets["unplaced"][0]["time"] * scale == pytest.approx(r.compressed_time.m_as("s"), rel=1e-9)
    assert chart.datasets["points"], "the chart always draws at least the fp16 point"


def test_memory_bound_decode_by_hand():
    # LLaMA-7B (Touvron et al. 2023, Table 2: 6.7B parameters) on a Jetson Orin NX 16GB (datasheet: 102.4 GB/s):
    # fp16 weights 6.7e9 x 2 B = 13.4 GB -> 13.4e9 / 102.4e9 = 130.86 ms a decode step at batch 1;
    # GPTQ 4-bit: 6.7e9 x 4 / 8 = 3.35 GB -> 32.71 ms, 4x faster, both memory bound
    r = ch.solve("llama1_7b", "jetson_orin_nx_16gb", ch.Recipe("gptq", 4), 1)
    assert r.compressed_size.m_as("GB") == pytest.approx(3.35)
    assert r.baseline_time.m_as("ms") == pytest.approx(13.4e9 / 102.4e9 * 1e3)
    assert r.compressed_time.m_as("ms") == pytest.approx(3.35e9 / 102.4e9 * 1e3)
    assert r.speedup == pytest.approx(4.0) and r.step_bound.value == "memory"
    # 2:4 on top: half the weights, each with 2 bits of position: 6.7e9 / 2 x (4 + 2) / 8 = 2.5125 GB
    assert ch.compressed_gb("llama1_7b", 4, "2:4") == pytest.approx(2.5125)
    assert ch.compressed_gb("llama1_7b", 3, "none") == pytest.approx(6.7e9 * 3 / 8 / 1e9)


def test_compute_bound_decode_by_hand():
    # batch 128 on the Jetson: 2 x 6.7e9 x 128 = 1.7152e12 flop at 15 TFLOP/s fp16 x 0.5 = 228.7 ms, longer than the
    # fp16 weights' 130.9 ms: compute bound, and 4-bit weights (still multiplied in fp16) leave it at 228.7 ms
    r = ch.solve("llama1_7b", "jetson_orin_nx_16gb", ch.Recipe("gptq", 4), 128)
    assert r.compressed_time.m_as("ms") == pytest.approx(2 * 6.7e9 * 128 / (15e12 * 0.5) * 1e3, rel=1e-3)
    assert r.speedup == pytest.approx(1.0) and r.step_bound.value == "compute"
    assert ch.PREDICTIONS[0].truth() == "no faster (less than 5 % gained)"


def test_crossover_batch_by_hand():
    # H100 SXM (Hopper whitepaper: 989.4 TFLOP/s dense fp16, 3.35 TB/s): the 4-bit weights take 3.35e9 / 3.35e12 = 1 ms;
    # the arithmetic 2 x 6.7e9 x b / (989.4e12 x 0.5) reaches 1 ms at b = 36.9, so the first compute-bound batch is 37
    assert ch.first_compute_bound_batch("h100", 4) == 37
    assert not ch.solve("llama1_7b", "h100", ch.Recipe("gptq", 4), 36).step_bound.value == "compute"


def test_published_figures_are_the_gptq_readme_and_the_papers():
    # IST-DASLab/gptq README, LLaMA table (WikiText-2 perplexity): 7B FP16 5.68, 4bit-RTN 6.29, 4bit-GPTQ 6.09,
    # 3bit-RTN 25.54, 3bit-GPTQ 8.07; 65B FP16 3.53, 4bit-RTN 3.92, 3bit-RTN 10.59
    rows = {r.key: (r.baseline_value, r.compressed_value) for r in CompressionResults}
    assert rows["rtn_llama65b_4bit"] == (3.53, 3.92) and rows["rtn_llama65b_3bit"] == (3.53, 10.59)
    # LLaMA-7B is now in the registry under the README's name: its rows are measurements, not a proxy
    r = ch.solve("llama1_7b", "h100", ch.Recipe("gptq", 3), 1)
    assert (r.baseline_quality, r.compressed_quality) == (5.68, 8.07)
    assert not any("proxy" in a for a in r.assumptions)
    # the same recipe on Llama-2-7B (the same shape, other weights) has no figure
    assert ch.solve("llama2_7b", "h100", ch.Recipe("gptq", 3), 1).published is None
    # DistilBERT (Sanh et al. 2019, Table 1): GLUE 79.5 -> 77.0 at 60 % of the parameters: 0.22 GB x 0.6 = 0.132 GB
    d = ch.solve("bert_base", "h100", ch.Recipe("distillation"), 1)
    assert (d.baseline_quality, d.compressed_quality) == (79.5, 77.0)
    assert d.compressed_size.m_as("GB") == pytest.approx(110e6 * 2 * 0.6 / 1e9)


def test_a_dense_figure_is_not_given_to_a_pruned_recipe():
    # every published row measured dense weights: GPTQ 4-bit + 2:4 is a different model, with no figure
    r = ch.solve("llama1_7b", "h100", ch.Recipe("gptq", 4, "2:4"), 1)
    assert r.published is None and r.quality_change is None
    assert any("measured dense weights" in a for a in r.assumptions)
    # distillation with 2:4 still keeps the student's size (60 %), pruned: 110e6 x 0.6 / 2 x (16 + 2) / 8 bytes
    d = ch.solve("bert_base", "h100", ch.Recipe("distillation", None, "2:4"), 1)
    assert d.published is None and d.compressed_size.m_as("B") == pytest.approx(110e6 * 0.6 / 2 * 18 / 8)
    # a row named explicitly is still reported (the caller chose it)
    e = CompressionModel().solve("llama1_7b", "h100", method="gptq", bits=4, sparsity="2:4", published="gptq_llama7b_4bit")
    assert e.published == "gptq_llama7b_4bit"


def test_estimates_are_named():
    # the iPhone 15 Pro's bandwidth and capacity are registry estimates (Apple publishes neither); the H100's are datasheet
    assert any("memory bandwidth (estimate)" == e for e in ch.estimates("iphone15pro", ch.Recipe("gptq", 4)))
    assert ch.estimates("h100", ch.Recipe("gptq", 4)) == []
    _, d, _ = run_lab(LAB, dict(BASE, hw="iphone15pro"))
    assert "memory bandwidth (estimate)" in d["est_text"] and "estimates, not datasheet figures" in d["est_text"]
    _, d, _ = run_lab(LAB, dict(BASE, hw="h100"))
    assert "datasheet values" in d["est_text"]


def test_prediction_is_the_engine_answer():
    p = ch.PREDICTIONS[0]
    assert p.truth() in p.options
    s = ch.speedup(**ch.PREDICTION_SETUP)
    assert (p.truth() == p.options[2]) == (s < 1.05)


def test_every_variant_can_be_set_with_the_controls():
    _, d, _ = run_lab(LAB)
    for q in ch.QUESTIONS:
        v = q.variants
        if "model" in v:
            assert set(v["model"]) <= set(d["model"].options.values())
        if "hw" in v:
            assert set(v["hw"]) <= set(d["hw"].options.values())
        assert {str(b) for b in v["bits"]} <= set(d["bits"].options.values())
        if "sparsity" in v:
            assert set(v["sparsity"]) <= set(d["sparsity"].options.values())
        if "batch" in v:
            assert max(v["batch"]) <= d["batch"].stop
    for hw in ch.QUESTIONS[1].variants["hw"]:
        for bits in ch.QUESTIONS[1].variants["bits"]:
            assert ch.first_compute_bound_batch(hw, bits) <= d["batch"].stop
    # the speed-up question's fp16 baseline fits every device it names (a speed-up needs both steps)
    q = ch.QUESTIONS[0].variants
    for model in q["model"]:
        for hw in q["hw"]:
            assert ch.speedup(model, hw, 1, 4) == pytest.approx(4.0)
