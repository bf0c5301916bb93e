"""Wall 8, ingestion: samples/s each pipeline stage supplies against accelerator demand, by hand from
datasheet bandwidths and the registry's per-sample costs."""

from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError, UnknownEntryError
from mlsysim.physics import kernels
from mlsysim.pipeline_registry import CpuHosts, Preprocessing, Storage
from mlsysim.solvers.data import DataModel, audit_row
from mlsysim.solvers.single_node import SingleNodeModel
from mlsysim.walls import Wall

M = DataModel()


def test_registry_entries_match_their_sources():
    # Samsung PM1733 datasheet: 7,000 MB/s sequential read; 100 GbE: 12.5 GB/s; S3: 5,500 GET/s per prefix
    assert Storage.LocalNVMe.read_bandwidth.m_as("MB/s") == 7000
    assert Storage.get("nfs").read_bandwidth.m_as("GB/s") == 12.5
    assert Storage.get("s3").request_rate.m_as("1/s") == 5500
    # ImageNet: 138 GB / 1,281,167 images = 107.7 kB
    assert Preprocessing.ImageNetJPEG.sample_bytes.m_as("kB") == pytest.approx(138e9 / 1_281_167 / 1e3, rel=1e-3)
    # the measured DataLoader cost (timm issue #1491: 10 workers / 1,923 images/s = 5.20 ms) replaced the 5 ms estimate
    assert Preprocessing.ImageNetJPEG.provenance("cpu_time_per_sample").kind == "measured"
    assert Preprocessing.ImageNetJPEG.cpu_time_per_sample.m_as("ms") == pytest.approx(10 / 1923 * 1e3, rel=2e-3)
    # tokenizers README: 20 s per GB -> 8,192 B x 20 ns = 163.84 us
    assert Preprocessing.TextTokenize2K.cpu_time_per_sample.m_as("us") == pytest.approx(8192 * 20e-9 * 1e6)
    assert CpuHosts.EPYC9654x2.cores == 2 * 96 and CpuHosts.EPYC9654x2.power.m_as("W") == 2 * 360


def test_cpu_binds_by_hand():
    # demand 5,000 samples/s; NVMe 7e9 B/s / 107,700 B = 64,995 samples/s; 16 cores / 5.2 ms = 3,076.9 samples/s
    r = M.solve("5000 1/s", preprocessing="imagenet", cpu_cores=16)
    assert r.storage_supply.m_as("1/s") == pytest.approx(7e9 / 107_700)
    assert r.cpu_supply.m_as("1/s") == pytest.approx(16 / 5.2e-3)
    assert r.binding_stage == "cpu" and r.bound is Wall.INGESTION
    # stall = 1 - 3,076.9 / 5,000 = 0.3846; cores to keep up = 5,000 x 5.2 ms = 26
    assert r.stall_fraction == pytest.approx(1 - 3076.923 / 5000, rel=1e-6)
    assert r.cores_needed == pytest.approx(26)
    assert r.delivered.m_as("1/s") == pytest.approx(16 / 5.2e-3)
    # bytes needed: 5,000 x 107.7 kB = 538.5 MB/s
    assert r.bandwidth_needed.m_as("MB/s") == pytest.approx(538.5)


def test_network_binds_by_hand():
    # a 10 Gbit/s link = 1.25e9 B/s / 107,700 B = 11,606 samples/s < 20,000 demand; 64 cores give 12,800
    r = M.solve("20000 1/s", preprocessing="imagenet", cpu_cores=64, network_bandwidth="10 Gbit/s", storage="nfs")
    assert r.network_supply.m_as("1/s") == pytest.approx(1.25e9 / 107_700)
    assert r.binding_stage == "network"
    assert r.stall_fraction == pytest.approx(1 - (1.25e9 / 107_700) / 20000)


def test_storage_binds_with_many_devices_fixing_it():
    # 1 MB samples at 50,000/s need 50 GB/s; one NVMe gives 7,000/s, eight give 56,000/s
    one = M.solve("50000 1/s", sample_size="1 MB")
    assert one.binding_stage == "storage" and one.stall_fraction == pytest.approx(1 - 7000 / 50000)
    eight = M.solve("50000 1/s", sample_size="1 MB", storage_devices=8)
    assert eight.stall_fraction == 0.0 and eight.binding_stage == "accelerator" and eight.bound is Wall.COMPUTE
    assert eight.reason == ""


def test_demand_from_a_single_node_result():
    prof = SingleNodeModel().solve(Models.ResNet50, Hardware.Cloud.H100, batch_size=256, is_training=True)
    r = M.solve(prof, preprocessing=Preprocessing.ImageNetJPEG, cpu_cores=96, accelerators=8)
    assert r.demand.m_as("1/s") == pytest.approx(8 * prof.throughput.m_as("1/s"))
    # 96 cores / 5.2 ms = 18,461.5 samples/s against 8 GPUs' demand
    assert r.cpu_supply.m_as("1/s") == pytest.approx(96 / 5.2e-3)
    tokens = M.solve("1000 1/s", preprocessing="tokenize", cpu_cores=1)
    assert tokens.stall_fraction == 0.0  # 1 core / 163.84 us = 6,104 sequences/s
    assert tokens.cpu_supply.m_as("1/s") == pytest.approx(1 / 163.84e-6)


def test_kernels():
    assert kernels.data_stall_fraction(10.0, 5.0) == 0.0
    assert kernels.data_stall_fraction(2.0, 8.0) == 0.75
    assert kernels.cores_needed(1000.0, 0.004) == pytest.approx(4.0)


@pytest.mark.parametrize("kw", [dict(demand="-5 1/s"), dict(demand="0 1/s"), dict(demand=5), dict(demand="5 GB"), dict(demand="nan 1/s"),
                                dict(storage="no-such-tier"), dict(storage="-1 GB/s"), dict(storage=7), dict(cpu_cores=0),
                                dict(cpu_cores=2.5), dict(cpu_cores=True), dict(cpu_time_per_sample="-1 ms"), dict(cpu_time_per_sample="1 GB"),
                                dict(sample_size="0 B"), dict(sample_size="1 s"), dict(network_bandwidth="0 GB/s"), dict(accelerators=0),
                                dict(storage_devices=-1), dict(preprocessing=42)])
def test_bad_input(kw):
    base = dict(demand="1000 1/s", sample_size="100 kB", cpu_time_per_sample="1 ms")
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(**{**base, **kw})


def test_missing_inputs_are_named():
    with pytest.raises(InputError, match="sample_size"):
        M.solve("1000 1/s")
    with pytest.raises(InputError, match="cpu_time_per_sample"):
        M.solve("1000 1/s", sample_size="100 kB", cpu_cores=8)
    with pytest.raises(UnknownEntryError):
        M.solve("1000 1/s", preprocessing="no-such-profile")


def test_audit_row():
    ctx = SimpleNamespace(model=Models.ResNet50, hardware=Hardware.Cloud.H100, fleet=None, workload="training", batch_size=256,
                          precision="fp16", seq_len=None, count=8, grid=None, duration=None, knobs={})
    assert audit_row(ctx) is None
    ctx.knobs = {"preprocessing": "imagenet", "cpu_cores": 96}
    row = audit_row(ctx)
    assert row["wall"] is Wall.INGESTION and row["binds"] is True and row["figure"].m_as("1/s") == pytest.approx(96 / 5.2e-3)  # 96 cores / 5.2 ms
