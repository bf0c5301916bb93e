"""Wall 6, streaming: weights streamed layer by layer over PCIe, NVMe or a wafer-scale weight store,
by hand from the link's and the accelerator's datasheet figures, and ZeRO-Infinity's efficiency formula."""

from types import SimpleNamespace

import pytest

from mlsysim import Models
from mlsysim.core.errors import InputError, UnknownEntryError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import kernels
from mlsysim.pipeline_registry import Links
from mlsysim.solvers.streaming import WeightStreamingModel, audit_row
from mlsysim.walls import Wall
from mlsysim.workloads.types import TransformerWorkload

GPU = HardwareNode(name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="2 TB/s"))
LM = TransformerWorkload(name="Test 8B", parameters="8e9 count", layers=32, hidden_dim=4096, heads=32, kv_heads=8)
M = WeightStreamingModel()
# PCIe Gen5 x16: 32 GT/s x 16 lanes x 128/130 / 8 = 63.0 GB/s per direction
PCIE5 = 32e9 * 16 * 128 / 130 / 8


def test_registry_links():
    assert Links.PCIeGen5x16.bandwidth.m_as("GB/s") == pytest.approx(PCIE5 / 1e9, rel=1e-3)
    assert Links.PCIeGen4x16.bandwidth.m_as("GB/s") == pytest.approx(PCIE5 / 2e9, rel=1e-3)
    assert Links.CerebrasMemoryX.bandwidth.m_as("GB/s") == pytest.approx(1.2e12 / 8 / 1e9)  # 12 x 100 GbE


def test_decode_is_link_bound_by_hand():
    # 8e9 x 2 B / 32 layers = 500 MB per layer; over 63 GB/s: 5e8 / 63e9 = 7.9365 ms per layer
    # one token: 2 x 8e9 / 32 = 5e8 flop -> 1 us of compute, but reading the 500 MB layer from HBM takes 0.25 ms
    r = M.solve(LM, GPU, link="pcie_gen5_x16", seq_len=1)
    assert r.layer_weight_memory.m_as("MB") == pytest.approx(500)
    assert r.load_per_layer.m_as("ms") == pytest.approx(5e8 / 63e9 * 1e3)
    assert r.compute_per_layer.m_as("ms") == pytest.approx(0.25)
    # prefetch: load + 31 x max(0.25, 7.9365) + 0.25 = 32 x 7.9365 + 0.25 = 254.22 ms
    assert r.step_time.m_as("ms") == pytest.approx(32 * 5e8 / 63e9 * 1e3 + 0.25)
    assert r.bound is Wall.STREAMING
    # without prefetch: 32 x (7.9365 + 0.25) = 261.97 ms
    assert M.solve(LM, GPU, seq_len=1, prefetch=False).step_time.m_as("ms") == pytest.approx(32 * (5e8 / 63e9 * 1e3 + 0.25))
    # the batch of 1-token samples that hides the link: W rate / (B ops) = 5e8 x 5e14 / (63e9 x 5e8) = 7,936.5
    assert r.break_even_batch == pytest.approx(5e14 / 63e9)


def test_big_batch_hides_the_link():
    # 4 sequences of 2,048 tokens: 5e8 x 8,192 = 4.096e12 flop per layer -> 8.192 ms > 7.9365 ms load: compute-bound
    r = M.solve(LM, GPU, seq_len=2048, batch_size=4)
    assert r.compute_per_layer.m_as("ms") == pytest.approx(8.192)
    assert r.bound is Wall.COMPUTE
    # 7.9365 + 31 x 8.192 + 8.192 = 270.08 ms; resident 32 x 8.192 = 262.144 ms; efficiency 0.97062
    assert r.step_time.m_as("ms") == pytest.approx(5e8 / 63e9 * 1e3 + 32 * 8.192)
    assert r.efficiency == pytest.approx(262.144 / (5e8 / 63e9 * 1e3 + 262.144))
    assert r.throughput.m_as("1/s") == pytest.approx(4 / (r.step_time.m_as("s")))


def test_training_streams_twice():
    # seq 2048, batch 1: forward 2.048 ms and backward 4.096 ms per layer, both below the 7.9365 ms load
    # step = 2 x 32 x 7.9365 + 2.048 + 4.096 = 514.08 ms; resident 32 x 6.144 = 196.6 ms
    r = M.solve(LM, GPU, seq_len=2048, is_training=True)
    load = 5e8 / 63e9 * 1e3
    assert r.step_time.m_as("ms") == pytest.approx(64 * load + 6.144)
    assert r.compute_time.m_as("ms") == pytest.approx(32 * 6.144)
    assert r.bound is Wall.STREAMING


def test_zero_infinity_efficiency_formula_without_overlap():
    # Rajbhandari et al. 2021, Sec. 4.1: efficiency = ait x bw / (ait x bw + peak). One 2,048-token sample:
    # ait = 1.024e12 flop / 5e8 B = 2048 flop/B; 2048 x 63e9 / (2048 x 63e9 + 5e14) = 0.20512
    r = M.solve(LM, GPU, seq_len=2048, prefetch=False)
    expected = 2048 * 63e9 / (2048 * 63e9 + 5e14)
    assert r.efficiency == pytest.approx(expected, rel=1e-6)
    assert kernels.streaming_efficiency_no_overlap(2048, 63e9, 5e14) == pytest.approx(0.20512, rel=1e-4)


def test_more_links_and_other_outer_memories():
    # 4 NVMe drives at 7,000 MB/s = 28 GB/s; per layer 5e8 / 28e9 = 17.857 ms
    r = M.solve(LM, GPU, link="nvme_gen4", links=4, seq_len=1)
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(28) and r.load_per_layer.m_as("ms") == pytest.approx(500 / 28)
    assert M.solve(LM, GPU, link="150 GB/s", seq_len=1).load_per_layer.m_as("ms") == pytest.approx(500 / 150)


def test_buffers_that_do_not_fit_are_a_result():
    small = HardwareNode(name="Small", compute=ComputeCore(peak_flops="100 TFLOP/s"), memory=MemoryHierarchy(capacity="0.8 GB", bandwidth="1 TB/s"))
    r = M.solve(LM, small)  # two 500 MB buffers = 1 GB > 0.8 GB
    assert not r.feasible and r.bound is Wall.CAPACITY and "two layer buffers" in r.reason
    assert r.step_time is None and "two layer buffers" in repr(r)
    assert M.solve(LM, small, prefetch=False).feasible  # one 500 MB buffer fits
    assert any("fit" in a for a in M.solve(LM, GPU).assumptions)  # 16 GB fit in 80 GB: streaming is a choice


@pytest.mark.parametrize("kw", [dict(link="no-such-link"), dict(link="-5 GB/s"), dict(link=5), dict(links=0), dict(batch_size=0),
                                dict(seq_len=0), dict(precision="fp7"), dict(is_training="yes"), dict(prefetch=1), dict(layers=0),
                                dict(efficiency=0), dict(bandwidth_efficiency=1.5)])
def test_bad_input(kw):
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(LM, GPU, **kw)


def test_layers_needed_for_models_without_them():
    with pytest.raises(InputError, match="layers"):
        M.solve(Models.ResNet50, GPU)
    assert M.solve(Models.ResNet50, GPU, layers=50).feasible
    with pytest.raises(UnknownEntryError):
        M.solve("no-such-model", GPU)


def test_audit_row():
    ctx = SimpleNamespace(model=LM, hardware=GPU, fleet=None, workload="inference", batch_size=1, precision="fp16", seq_len=1,
                          count=None, grid=None, duration=None, knobs={})
    assert audit_row(ctx) is None
    ctx.knobs = {"stream_link": "pcie_gen5_x16"}
    row = audit_row(ctx)
    assert row["wall"] is Wall.STREAMING and row["binds"] and row["figure"].m_as("ms") == pytest.approx(5e8 / 63e9 * 1e3)
