"""The data-storage lab under plain Python: its words name the tiers the engine says fall short,
the crossover fleet sizes are where the chart's supply meets its demand, the checkpoint times are
the engine's, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Storage  # noqa: E402
from mlsysim.physics import kernels  # noqa: E402

LAB = "vol2_ch04_data_storage"
chapter = chapter_module(LAB)


def test_tier_arithmetic_by_hand():
    # demand per GPU d comes from the engine (it changes when the physics does); the tiers are registry data.
    d = chapter.per_gpu_demand()
    need = d * 107.7e3  # bytes/s per GPU at the ImageNet mean sample
    # shared file system: 50 GB/s per node / 8 GPUs = 6.25 GB/s each (enough while need < 6.25 GB/s);
    # 2 TB/s shared feeds 2e12 / need GPUs
    assert need < 6.25e9
    assert chapter.gpus_fed("pfs_tectonic", 107.7, 1000) == pytest.approx(2e12 / need)
    # object store, one JPEG per GET: 5,500 GET/s x 107.7 kB = 592.35 MB/s for the whole fleet
    assert chapter.gpus_fed("s3", 107.7, 1) == pytest.approx(592.35e6 / need)
    # ... in shards of 1,000: 592.35 GB/s (below 1.5625 GB/s x N only for N < 379, i.e. the request ceiling binds
    # beyond that); 1,024 GPUs = 128 nodes x 12.5 GB/s = 1.6 TB/s of links, so the tier gives 592.35 GB/s
    assert chapter.read_bandwidth("s3", 1024, 107.7e3, 1000) == pytest.approx(592.35e9)
    # local NVMe: 56 GB/s per node, no ceiling: 1,024 GPUs read 128 x 56 GB/s = 7.168 TB/s
    assert chapter.read_bandwidth("dgx_local_nvme", 1024, 107.7e3, 1) == pytest.approx(7.168e12)
    assert math.isinf(chapter.gpus_fed("dgx_local_nvme", 107.7, 1)) == (need <= 7e9)
    # checkpoint of Llama 3 70B: 70.6e9 params x 14 B = 0.988 TB (the registry's parameter count);
    # 128 nodes x 30.4 GB/s = 3.891 TB/s on local NVMe; min(128 x 50 GB/s, 2 TB/s) = 2 TB/s on the PFS;
    # 128 x 12.5 GB/s = 1.6 TB/s on S3
    size = chapter.checkpoint("pfs_tectonic", 1024, "llama3_70b").checkpoint_size.to("B").magnitude
    assert size == pytest.approx(0.9877e12, rel=2e-3)
    for tier, bw in (("dgx_local_nvme", 3.8912e12), ("pfs_tectonic", 2e12), ("s3", 1.6e12)):
        t = chapter.checkpoint(tier, 1024, "llama3_70b").checkpoint_time.to("s").magnitude
        assert t == pytest.approx(size / bw, rel=1e-6)


CONFIGS = [
    # (tier, gpus, model, sample_kb, per_object, interval_min)
    ("pfs_tectonic", 1024, "llama3_70b", 107.7, "1000", 30),     # the default: S3 short, PFS fine
    ("s3", 1024, "llama3_405b", 107.7, "1", 30),                 # one file per sample: S3 starves
    ("pfs_tectonic", 16384, "llama3_405b", 250, "1000", 5),     # PFS ceiling reached
    ("dgx_local_nvme", 64, "resnet50", 20, "100", 240),          # a small fleet, small samples: all keep up
    ("s3", 8, "llama3_405b", 4000, "1000", 1),                  # huge samples: per-node links short; long write
]


@pytest.mark.parametrize("tier,gpus,model,kb,obj,interval", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_charts(tier, gpus, model, kb, obj, interval):
    controls = {"tier": tier, "gpus": gpus, "model": model, "sample_kb": kb, "per_object": obj, "interval_min": interval}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    feed_text, ckpt_text = d["feed_text"], d["ckpt_text"]
    rows = d["supply_chart"].datasets["lines"]
    at_mine = {r["series"]: r["rate"] for r in rows if r["gpus"] == gpus}
    for key, name in chapter.TIERS.items():
        engine = chapter.feed(key, gpus, kb, int(obj))
        # the chart's point at the student's fleet size is the engine's storage supply and demand
        assert at_mine[name] == pytest.approx(engine.storage_supply.to("1/s").magnitude)
        assert at_mine["demand"] == pytest.approx(engine.demand.to("1/s").magnitude)
        # the text names a tier as short exactly when the engine's ingestion wall binds
        short = engine.bound.name == "INGESTION"
        assert short == (engine.stall_fraction > 0)
        fed = chapter.gpus_fed(key, kb, int(obj))
        if math.isinf(fed):
            assert f"The {name} never falls behind" in feed_text
        elif fed < 1:
            assert f"The {name} falls behind from the first GPU" in feed_text
        else:
            assert f"The {name} keeps up to **{math.floor(fed):,} GPUs**" in feed_text
            # the crossover is where the chart's supply meets the demand: fed below it, short above it
            lo, hi = max(1.0, 0.99 * fed), 1.01 * fed
            assert chapter.supply(key, lo, kb * 1e3, int(obj)) >= lo * chapter.per_gpu_demand() * (1 - 1e-9)
            assert chapter.supply(key, hi, kb * 1e3, int(obj)) < hi * chapter.per_gpu_demand()
    shorts = [name for key, name in chapter.TIERS.items() if chapter.feed(key, gpus, kb, int(obj)).stall_fraction > 0]
    if shorts:
        assert "fall" in feed_text.split("short")[0] and all(n in feed_text.split("short")[0] for n in shorts)
    else:
        assert "**every tier keeps up**" in feed_text
    # checkpoint: the bars are the engine's write times, and the text's fastest/slowest are the bars'
    bars = {r["tier"]: r["seconds"] for r in d["ckpt_chart"].datasets["tiers"]}
    for key, name in chapter.TIERS.items():
        assert bars[name] == pytest.approx(chapter.checkpoint(key, gpus, model).checkpoint_time.to("s").magnitude)
    fastest, slowest = min(bars, key=bars.get), max(bars, key=bars.get)
    assert f"**{bars[fastest]:.3g} s** on the {fastest} (fastest)" in ckpt_text
    assert f"**{bars[slowest]:.3g} s** on the {slowest}" in ckpt_text
    mine = chapter.checkpoint(tier, gpus, model)
    g = 100 * kernels.checkpoint_goodput(interval * 60.0, mine.checkpoint_time.to("s").magnitude,
                                         mine.fleet_mtbf.to("s").magnitude, mine.restart_time.to("s").magnitude)
    assert f"goodput of **{g:.1f} %**" in ckpt_text
    assert ("longer than the interval" in ckpt_text) == (mine.checkpoint_time.to("s").magnitude >= interval * 60)


def test_prediction_truth_is_the_tier_that_falls_behind_first():
    fed = {name: chapter.gpus_fed(key, chapter.DEFAULT_SAMPLE_KB, 1) for key, name in chapter.TIERS.items()}
    assert chapter.PREDICTIONS[0].truth() == min(fed, key=fed.get)
    assert chapter.PREDICTIONS[0].truth() in chapter.PREDICTIONS[0].options


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    kb, gpus = d["sample_kb"], d["gpus"]
    options = set(d["per_object"].options.values()) if hasattr(d["per_object"], "options") else {"1", "100", "1000"}
    models, tiers = set(chapter.MODELS), set(chapter.TIERS)
    for q in chapter.QUESTIONS:
        for v in q.variants.get("sample_kb", []):
            assert kb.start <= v <= kb.stop
        for v in q.variants.get("gpus", []):
            assert gpus.start <= v <= gpus.stop
        for v in q.variants.get("per_object", []):
            assert str(v) in options
        assert set(q.variants.get("model", [])) <= models and set(q.variants.get("tier", [])) <= tiers
    # the GPUs-fed answers lie inside the GPU control's range, so the crossover can be found on it
    q1 = chapter.QUESTIONS[0]
    assert all(gpus.start <= q1.expected({"sample_kb": s, "per_object": 1000}) <= gpus.stop for s in q1.variants["sample_kb"])


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    need = chapter.per_gpu_demand() * 250e3
    # 2 TB/s / (d x 250 kB)
    assert q1.expected({"sample_kb": 250, "per_object": 1000}) == pytest.approx(2e12 / need)
    # Llama 3 8B (the registry's 8.03e9 params) x 14 B = 112.4 GB, by 64 GPUs = 8 nodes x 12.5 GB/s on S3 = 100 GB/s
    params = chapter.checkpoint("s3", 64, "llama3_8b").checkpoint_size.to("B").magnitude / 14
    assert params == pytest.approx(8.03e9, rel=1e-2)
    assert q2.expected({"model": "llama3_8b", "gpus": 64, "tier": "s3"}) == pytest.approx(params * 14 / 100e9)
    # 16,384 GPUs x d x 150 kB against 2 TB/s: stall = 1 - 2e12 / (16384 d 150e3)
    stall = 1 - 2e12 / (16384 * chapter.per_gpu_demand() * 150e3)
    assert q3.expected({"gpus": 16384, "sample_kb": 150}) == pytest.approx(100 * stall)
    assert Storage.get("pfs_tectonic")._si["aggregate_read_bandwidth"] == 2e12


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
