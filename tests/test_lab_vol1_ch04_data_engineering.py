"""The data-engineering lab under plain Python: the stage it names is the engine's binding stage and
the shortest bar of its chart, the numbers are the engine's, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import DataModel, Hardware, SingleNodeModel, Storage  # noqa: E402

LAB = "vol1_ch04_data_engineering"
chapter = chapter_module(LAB)


def _demand(model, hw, precision, gpus):
    prof = SingleNodeModel().solve(model, hw, batch_size=256, precision=precision, is_training=True)
    return prof.throughput.to("1/s").magnitude * gpus


def test_supplies_by_hand():
    # local NVMe: 7,000 MB/s / 107.7 kB = 64,995 images/s; 32 cores / 5.2 ms = 6,154 images/s (the defaults: the
    # registry's measured 5.2 ms per image, 10 DataLoader workers at 1,923 images/s in timm issue #1491)
    _, d, _ = run_lab(LAB)
    rows = {r["key"]: r["rate"] for r in chapter.stages(d["data"])}
    assert rows["storage"] == pytest.approx(7000e6 / 107.7e3, rel=1e-6)
    assert rows["cpu"] == pytest.approx(32 / 5.2e-3, rel=1e-9)
    # cores needed = demand x 5.2 ms (Little's law); hosts = ceil(cores / 192)
    need = _demand("resnet50", "h100", "fp16", 8)
    assert d["data"].cores_needed == pytest.approx(need * 5.2e-3, rel=1e-9)
    assert d["transform"].hosts_needed == math.ceil(need * 5.2e-3 / 192)


CONFIGS = [
    # model, hw, gpus, precision, storage, cores, cpu_ms: each stage binding, and none
    ("resnet50", "h100", 8, "fp16", "local_nvme", 32, 5.0),     # CPU binds
    ("resnet50", "h100", 8, "fp16", "local_nvme", 4096, 5.0),   # enough cores: local storage binds
    ("resnet50", "t4", 1, "fp32", "local_nvme", 64, 5.0),       # a slow GPU: nothing binds
    ("mobilenetv2", "b200", 4, "bf16", "s3", 4096, 0.5),        # an object store binds
    ("alexnet", "v100", 16, "fp16", "nfs_100g", 512, 20.0),
]


@pytest.mark.parametrize("model,hw,gpus,precision,storage,cores,cpu_ms", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(model, hw, gpus, precision, storage, cores, cpu_ms):
    controls = {"model": model, "hw": hw, "gpus": gpus, "precision": precision, "storage": storage,
                "cores": cores, "cpu_ms": cpu_ms}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    need = _demand(model, hw, precision, gpus)
    # the stages by hand: storage = bandwidth / bytes, CPU = cores / seconds per image
    storage_rate = Storage.get(storage).read_bandwidth.to("byte/s").magnitude / 107.7e3
    cpu_rate = cores / (cpu_ms * 1e-3)
    slowest = min(storage_rate, cpu_rate)
    r = DataModel().solve(SingleNodeModel().solve(model, hw, batch_size=256, precision=precision, is_training=True),
                          storage=storage, preprocessing="imagenet_jpeg_augment", cpu_cores=cores,
                          cpu_time_per_sample=f"{cpu_ms} ms", accelerators=gpus)
    assert d["data"].binding_stage == r.binding_stage
    explanation = d["explanation"]
    bars = d["chart"].datasets["stages"]
    demand_line = d["chart"].datasets["demand"][0]["rate"]
    assert demand_line == pytest.approx(need)
    assert {b["key"]: b["rate"] for b in bars} == pytest.approx({"storage": storage_rate, "cpu": cpu_rate}, rel=1e-6)
    if slowest < need:
        # the stage named is the shortest bar, drawn as the binding one, and the stall is 1 - supply / demand
        expected = "storage" if storage_rate < cpu_rate else "cpu"
        assert r.binding_stage == expected
        shortest = min(bars, key=lambda b: b["rate"])
        assert shortest["key"] == expected and shortest["binds"] == "binds"
        assert f"What sets the pace: <strong>the {chapter.STAGE_NAMES[expected]}</strong>" in text
        assert f"The **{chapter.STAGE_NAMES[expected]}** binds" in explanation
        stall = 1 - slowest / need
        assert f"wait {stall:.1%} of the time" in explanation
        assert ("add cores" in explanation) == (expected == "cpu")
        assert ("More cores would not help" in explanation) == (expected == "storage")
    else:
        assert r.binding_stage == "accelerator" and r.stall_fraction == 0
        assert all(b["binds"] == "keeps up" for b in bars)
        assert "What sets the pace: <strong>the accelerators</strong>" in text
        assert "never wait for data" in explanation
        assert f"**{slowest:,.0f} samples/s**" in explanation
    assert f"**{need:,.0f} samples/s**" in explanation
    assert f"**{need * cpu_ms * 1e-3:,.4g} cores**" in explanation
    assert f"**{math.ceil(need * cpu_ms * 1e-3 / 192):,} ×" in explanation
    assert "Traceback" not in text


def test_each_core_count_redraws_the_decode_stage_by_hand():
    # the update cell's work as the cores change (its time is measured by benchmarks/labs_redraw.py):
    # n cores at 5 ms of CPU per sample decode n / 0.005 s = 200 n samples/s (16 cores: 3,200/s)
    for cores in range(16, 176, 16):
        data, _ = chapter.pipeline("resnet50", "h100", 8, "fp16", "local_nvme", cores, 5.0)
        stages = {s["key"]: s for s in chapter.chart(data, 8, "H100").datasets["stages"]}
        assert stages["cpu"]["rate"] == pytest.approx(200.0 * cores)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    cores_q, stall_q, hosts_q = chapter.QUESTIONS
    assert set(cores_q.variants["hw"]) <= set(d["hw"].options.values())
    for q in chapter.QUESTIONS:
        assert max(q.variants["gpus"]) <= d["gpus"].stop
    assert max(stall_q.variants["cores"]) <= d["cores"].stop
    for ms in hosts_q.variants["cpu_ms"]:
        assert d["cpu_ms"].start <= ms <= d["cpu_ms"].stop and (ms / 0.5).is_integer()
    # every stall variant really stalls (a question about a 0 % stall would teach nothing)
    for g in stall_q.variants["gpus"]:
        for c in stall_q.variants["cores"]:
            assert stall_q.expected({"gpus": g, "cores": c}) > 0


def test_answers_by_hand():
    cores_q, stall_q, hosts_q = chapter.QUESTIONS
    per = _demand("resnet50", "a100_80gb", "fp16", 1)
    assert cores_q.expected({"hw": "a100_80gb", "gpus": 4}) == pytest.approx(4 * per * 5.2e-3)
    h100 = _demand("resnet50", "h100", "fp16", 1)
    # 2 GPUs, 48 cores: CPU supplies 48 / 5.2 ms = 9,231/s; stall = 1 - 9,231 / (2 x per-GPU rate)
    assert stall_q.expected({"gpus": 2, "cores": 48}) == pytest.approx(100 * (1 - (48 / 5.2e-3) / (2 * h100)))
    assert hosts_q.expected({"gpus": 128, "cpu_ms": 10}) == math.ceil(128 * h100 * 10e-3 / 192)


def test_prediction_is_the_engines():
    need = _demand("resnet50", "h100", "fp16", 8)
    supply = min(7000e6 / 107.7e3, 32 / 5.2e-3)
    truth = chapter.PREDICTIONS[0].truth()
    if supply >= need:
        assert truth == "the GPUs' own arithmetic"
    else:
        assert truth == ("the storage read" if 7000e6 / 107.7e3 < 32 / 5.2e-3 else "the CPU decode and augment")
    assert Hardware.get("h100").tier == "cloud"


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
