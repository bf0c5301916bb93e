"""Software wall (3): size-dependent efficiency (Calculon's tables) and kernel launch overhead.

Tables (Isaev et al. 2023, Calculon, systems/a100_80g.json and h100_80g_nvl8.json):
  GEMM:   0.1 below 1 GFLOP, 0.6 from 1, 0.9 from 16, 0.95 from 128 GFLOP per kernel
  memory: 0.3 below 1 MB, 0.6 from 1 MB, 0.75 from 10 MB, 0.9 from 100 MB
Launch costs: CUDA.jl 'Graphs' docs, 80 kernels in 260 us one by one (3.25 us each), 70 us as a
graph (0.875 us each); PyTorch eager: 48 us of host time per operator, the median of the framework-bound
fp32 rows of Fernandez et al. 2023's released latencies (batch-1 latency / operators per forward pass).
"""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.efficiency import EfficiencyModel, audit_row, efficiency_for
from mlsysim.walls import WALLS, Wall

H100_PEAK, H100_BW = 989.4e12, 3.35e12


def test_table_lookup_is_a_step_function_like_calculons():
    pts = [[0, 0.1], [1e9, 0.6], [16e9, 0.9], [128e9, 0.95]]
    assert kernels.table_efficiency(pts, 0) == 0.1
    assert kernels.table_efficiency(pts, 0.999e9) == 0.1
    assert kernels.table_efficiency(pts, 1e9) == 0.6
    assert kernels.table_efficiency(pts, 100e9) == 0.9
    assert kernels.table_efficiency(pts, 1e15) == 0.95
    assert efficiency_for("gemm", 2e9) == 0.6
    assert efficiency_for("vector", 20e9, "h100") == 0.95
    assert efficiency_for("memory", 5e5) == 0.3


def test_large_square_gemm_by_hand():
    # 4096^3 fp16 on H100: 2 x 4096^3 = 137.4 GFLOP (>= 128 -> 0.95); 3 x 4096^2 x 2 B = 100.7 MB (>= 100 MB -> 0.9)
    r = EfficiencyModel().solve("h100", m=4096, n=4096, k=4096)
    flops, nbytes = 2 * 4096**3, 3 * 4096**2 * 2
    compute = flops / (H100_PEAK * 0.95)  # 146.2 us
    assert r.compute_efficiency == 0.95 and r.memory_efficiency == 0.9
    assert r.kernel_time.m_as("s") == pytest.approx(compute)
    assert r.memory_time.m_as("s") == pytest.approx(nbytes / (H100_BW * 0.9))  # 33.4 us, hidden under compute
    assert r.time.m_as("s") == pytest.approx(compute + 48e-6)  # + one eager operator's 48 us on the host
    assert r.achieved_fraction == pytest.approx(flops / (compute + 48e-6) / H100_PEAK)  # 146.2 / 194.2 x 0.95 = 0.715
    assert r.bound is Wall.COMPUTE


def test_decode_gemv_is_memory_bound_and_far_below_peak():
    # 1 x 4096 x 4096: 33.6 MFLOP (< 1 GFLOP -> 0.1); (4096 + 4096^2 + 4096) x 2 B = 33.57 MB (>= 10 MB -> 0.75)
    # launched on a stream (3.25 us, CUDA.jl), so the kernel's own 13.36 us binds (an eager operator's 48 us would bind)
    r = EfficiencyModel().solve("h100", m=1, n=4096, k=4096, launch="cuda_stream")
    nbytes = (4096 + 4096 * 4096 + 4096) * 2
    assert r.memory_time.m_as("s") == pytest.approx(nbytes / (H100_BW * 0.75))  # 13.36 us
    assert r.bound is Wall.MEMORY
    assert r.achieved_fraction < 0.01


def test_many_small_kernels_are_launch_bound_and_fusion_helps():
    # 100 GFLOP, 2 GB in 1000 eager kernels on A100: 0.1 GFLOP / 2 MB each -> 0.1 compute, 0.6 memory
    r = EfficiencyModel().solve("a100", flops="100 GFLOP", nbytes="2 GB", kernels_per_step=1000, fused_kernels=50)
    compute = 100e9 / (312e12 * 0.1)  # 3205 us
    assert r.kernel_time.m_as("us") == pytest.approx(compute * 1e6)
    assert r.launch_overhead.m_as("us") == pytest.approx(1000 * 48)  # 48 ms of eager operators on the host
    assert r.bound is Wall.SOFTWARE
    # fused into 50 kernels of 2 GFLOP / 40 MB: 0.6 compute, 0.75 memory; memory binds: 2e9 / (2.039e12 x 0.75) = 1307.8 us
    assert r.fused_time.m_as("us") == pytest.approx((2e9 / (2.039e12 * 0.75) + 50 * 48e-6) * 1e6)  # 1307.8 + 2400 us


def test_cuda_graph_launches_are_cheaper():
    eager = EfficiencyModel().solve("h100", flops="80 MFLOP", nbytes="80 MB", kernels_per_step=80, launch="cuda_stream")
    graph = EfficiencyModel().solve("h100", flops="80 MFLOP", nbytes="80 MB", kernels_per_step=80, launch="cuda_graph")
    # 80 x 3.25 us = 260 us vs 80 x 0.875 us = 70 us (CUDA.jl's measurement)
    assert eager.launch_overhead.m_as("us") == pytest.approx(260)
    assert graph.launch_overhead.m_as("us") == pytest.approx(70)


def test_gemm_kernels_by_hand():
    assert kernels.gemm_flops(2, 3, 4) == 48
    assert kernels.gemm_flops(2, 3, 4, batch=5) == 240
    assert kernels.gemm_bytes(2, 3, 4, 2.0) == (8 + 12 + 6) * 2
    assert kernels.launch_overhead(100, 5e-6) == pytest.approx(5e-4)


def test_wall_row_and_audit():
    assert next(w for w in WALLS if w.wall is Wall.SOFTWARE).solver == "EfficiencyModel"
    ctx = SimpleNamespace(model=Models.get("resnet50"), hardware=Hardware.get("v100"), fleet=None, workload="inference",
                          batch_size=1, precision="fp16", seq_len=None, count=1, grid=None, duration=None,
                          knobs={"kernels_per_step": 160})
    row = audit_row(ctx)
    # ResNet-50 batch 1: 8.18 GFLOP in 160 kernels = 51 MFLOP each -> 0.1 of 125 TFLOP/s: 654 us of kernels;
    # 160 x 48 us = 7.68 ms of launches: the launches bind
    assert row["wall"] is Wall.SOFTWARE and row["binds"]
    assert row["figure"].m_as("ms") == pytest.approx(7.68)
    assert row["limit"].m_as("us") == pytest.approx(8.18e9 / (125e12 * 0.1) * 1e6)
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({"m": 0, "n": 1, "k": 1}, "m"), ({"m": 1, "n": -1, "k": 1}, "n"), ({"m": 1, "n": 1, "k": 1.5}, "k"),
    ({"m": 1, "n": 1}, "k"), ({"m": 1, "n": 1, "k": 1, "batch": 0}, "batch"),
    ({"m": 1, "n": 1, "k": 1, "flops": "1 GFLOP"}, "flops"), ({}, "flops"), ({"flops": "1 GFLOP"}, "flops"),
    ({"flops": "1 GB", "nbytes": "1 GB"}, "flops"), ({"flops": "1 GFLOP", "nbytes": "-1 GB"}, "nbytes"),
    ({"flops": "0 flop", "nbytes": "0 B"}, "flops"), ({"flops": 5, "nbytes": "1 GB"}, "flops"),
    ({"m": 8, "n": 8, "k": 8, "op_kind": "conv"}, "op_kind"), ({"m": 8, "n": 8, "k": 8, "kernels_per_step": 0}, "kernels_per_step"),
    ({"m": 8, "n": 8, "k": 8, "kernels_per_step": 4, "fused_kernels": 5}, "fused_kernels"),
    ({"m": 8, "n": 8, "k": 8, "launch": "warp"}, "launch"), ({"m": 8, "n": 8, "k": 8, "precision": "fp3"}, "precision"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        EfficiencyModel().solve("h100", **kwargs)
    assert err.value.field == field


def test_efficiency_for_bad_input():
    for args, field in ((("conv", 1e9), "op_kind"), (("gemm", -1), "size"), (("gemm", math.nan), "size"), (("gemm", "1e9"), "size")):
        with pytest.raises(InputError) as err:
            efficiency_for(*args)
        assert err.value.field == field


def test_precision_the_part_lacks_is_an_error_naming_it():
    with pytest.raises(InputError, match="precision"):
        EfficiencyModel().solve("coral_edge_tpu", m=8, n=8, k=8, precision="fp16")
