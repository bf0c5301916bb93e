"""The input pipeline of a single-node case (measurements.input_pipeline): DataLoader workers on the host's cores
against the accelerator's demand, through the public DataModel (Ingestion wall). Expected values by hand."""

import pytest

from mlsysim import InputError
from mlsysim import measurements as M

_, CASES = M.load_cases()
DLE_MS = 8 / 3382 * 1e3  # registry imagenet_dle_pytorch: 8 DGX-1 workers kept up with 3,382 images/s -> <= 2.365 ms each
TIMM_MS = 10 / 1923 * 1e3  # registry imagenet_jpeg_augment: 10 workers, 1,923 images/s (timm issue #1491) -> 5.20 ms


def _a100_amp(**extra):
    raw = {"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256, "precision": "fp16",
           "training": True, "mixed_precision": "autocast", "measured": {"value": 2470, "unit": "1/s"}}
    return M.make_case({**raw, **extra})


@pytest.mark.parametrize("cid, workers, host_cores", [
    ("rn50-train-a100-amp", 16, 128),   # configs.yml DGXA100 workers: 16; DGX A100: 2 x 64-core EPYC 7742
    ("rn50-train-a100-tf32", 16, 128),
    ("rn50-train-v100-amp", 8, 40),     # configs.yml DGX1V workers: 8; DGX-1: 2 x 20-core Xeon E5-2698 v4
    ("rn50-train-v100-fp32", 8, 40),
])
def test_the_published_pipelines_keep_up(cid, workers, host_cores):
    case = M.find(cid, CASES)
    assert M.pipeline_cores(case) == min(workers, host_cores) == workers
    acc = M.single_node_result(case)
    feed = M.input_pipeline(case, acc)
    # supply = workers / 2.365 ms: 16 -> 6,765 images/s on the DGX A100, 8 -> 3,382 images/s on the DGX-1
    assert feed.cpu_supply.m_as("1/s") == pytest.approx(workers / (DLE_MS * 1e-3), rel=1e-3)
    # above every row's accelerator rate (at most 3,242/s), so nothing stalls and the accelerator's wall stays
    assert feed.stall_fraction == 0.0
    p = M.predict(case)
    assert p.value == pytest.approx(acc.throughput.m_as("1/s")) and p.bound == str(acc.bound)
    assert any("CPU: %d cores" % workers in a for a in p.assumptions)


def test_a_pipeline_slower_than_the_accelerator_binds():
    # the same A100 AMP row with the timm-measured cost and 12 workers: 12 / 5.20 ms = 2,307.7 images/s, below the
    # accelerator's own rate (the engine's ~2,860 images/s), so the case runs at 2,307.7 and the Ingestion wall binds
    case = _a100_amp(preprocessing="imagenet_jpeg_augment", data_workers=12, cpu_host="dgx_a100_epyc7742_2s")
    acc = M.single_node_result(case).throughput.m_as("1/s")
    supply = 12 / (TIMM_MS * 1e-3)
    assert acc > supply
    p = M.predict(case)
    assert p.value == pytest.approx(supply, rel=1e-3) and p.bound == "ingestion"
    assert "cpu stage" in p.reason


def test_workers_beyond_the_hosts_cores_do_not_add_supply():
    # 200 workers on a DGX-1's 40 cores run 40 at a time: 40 / 5.20 ms = 7,692 images/s
    case = _a100_amp(preprocessing="imagenet_jpeg_augment", data_workers=200, cpu_host="dgx1_xeon_e5_2698v4_2s")
    assert M.pipeline_cores(case) == 40
    feed = M.input_pipeline(case, M.single_node_result(case))
    assert feed.cpu_supply.m_as("1/s") == pytest.approx(40 / (TIMM_MS * 1e-3), rel=1e-3)


def test_a_case_without_a_pipeline_is_the_accelerator_alone():
    case = _a100_amp()
    assert M.input_pipeline(case, M.single_node_result(case)) is None
    assert M.predict(case).value == pytest.approx(M.single_node_result(case).throughput.m_as("1/s"))


@pytest.mark.parametrize("workers", [0, -4, 2.5, "16", True, None])
def test_bad_worker_counts_name_the_field(workers):
    case = _a100_amp(preprocessing="imagenet_jpeg_augment", data_workers=workers, cpu_host="dgx_a100_epyc7742_2s")
    with pytest.raises(InputError, match="data_workers"):
        M.predict(case)


def test_an_unknown_host_names_the_field_and_the_choices():
    case = _a100_amp(preprocessing="imagenet_jpeg_augment", data_workers=16, cpu_host="dgx_b300")
    with pytest.raises(InputError, match="cpu_host") as e:
        M.predict(case)
    assert "dgx_a100_epyc7742_2s" in str(e.value)


def test_a_latency_case_takes_no_pipeline():
    raw = {"kind": "single_node", "model": "resnet50", "hardware": "v100", "batch": 1, "precision": "fp32",
           "measured": {"value": 10.37, "unit": "ms"}, "preprocessing": "imagenet_dle_pytorch", "data_workers": 8,
           "cpu_host": "dgx1_xeon_e5_2698v4_2s"}
    with pytest.raises(InputError, match="preprocessing"):
        M.predict(M.make_case(raw))
