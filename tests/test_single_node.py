"""Roofline solver against hand arithmetic from datasheet numbers.

H100 SXM5 (NVIDIA H100 datasheet): 989.4 TFLOP/s dense fp16, 3.35 TB/s, 80 GB, 700 W.
A100 SXM4 80GB (NVIDIA A100 datasheet): 312 TFLOP/s dense fp16, 2,039 GB/s, 80 GB, 400 W.
ResNet-50 (torchvision): 25,557,032 parameters, 4.09 G multiply-adds = 8.18 GFLOP per image.
Dispatch tax in the registry: 10 us per invocation on both GPUs.
ResNet-50 activations (registry, counted from He et al. 2016 Table 1): conv outputs 11,113,984 values per
image, written once and read once: 2 x 11,113,984 x 2 B = 44,455,936 B at fp16; eager BN / ReLU / add /
pool kernels move 59,109,376 values = 118,218,752 B more; 174 kernels eager (48 us per operator, PyTorch
eager's host floor, Fernandez et al. 2023), 56 fused (3.25 us on a stream) or in a CUDA graph (0.875 us).
"""

import pytest

from mlsysim import Q_, Engine, Hardware, HardwareNode, Models, Workload
from mlsysim.hardware.types import ComputeCore, MemoryHierarchy
from mlsysim.solvers import SingleNodeModel
from pass_as_one_kernel import RESNET50_TOTALS  # the whole pass as one kernel, as these tests derive it

TAX = 10e-6


def test_resnet50_h100_batch1_fp16():
    # (the weights-only roofline this test checked before activations and launches were modelled said compute bound
    # at 26.5 us; re-derived by hand for the new physics)
    r = Engine.solve(model=RESNET50_TOTALS, hardware=Hardware.Cloud.H100, batch_size=1, precision="fp16", efficiency=0.5)
    compute = 8.18e9 / (989.4e12 * 0.5)  # 16.535 us
    gemm_bytes = 51_114_064 + 44_455_936  # weights + conv activations = 95,570,000 B -> 28.528 us
    elementwise = 118_218_752  # -> 35.289 us
    memory = (gemm_bytes + elementwise) / 3.35e12
    device = max(compute, gemm_bytes / 3.35e12) + elementwise / 3.35e12  # 63.82 us
    launches = 174 * 48e-6  # 8.352 ms > device: the framework tax binds
    assert r.compute_time.m_as("s") == pytest.approx(compute)
    assert r.memory_time.m_as("s") == pytest.approx(memory)
    assert r.launch_time.m_as("s") == pytest.approx(launches)
    assert launches > device
    assert r.latency.m_as("s") == pytest.approx(launches + TAX)
    assert r.bottleneck == "Software Bound" and r.bound == "software"
    assert r.arithmetic_intensity.m_as("flop/byte") == pytest.approx(8.18e9 / (gemm_bytes + elementwise))
    assert r.throughput.m_as("1/s") == pytest.approx(1 / (launches + TAX))
    # energy at TDP: 700 W x 8.362 ms
    assert r.energy.m_as("J") == pytest.approx(700 * (launches + TAX))
    # MFU = achieved / peak = 8.18e9 / latency / 989.4e12
    assert r.mfu == pytest.approx(8.18e9 / (launches + TAX) / 989.4e12)


def test_low_efficiency_tips_to_memory_bound():
    # (re-derived for activation traffic: at batch 1 the launches bind now, so batch 64, fused)
    r = Engine.solve(model=RESNET50_TOTALS, hardware=Hardware.Cloud.H100, batch_size=64, precision="fp16", efficiency=1.0,
                     execution="fused")
    # compute 64 x 8.18e9 / 989.4e12 = 529.1 us < memory (51,114,064 + 64 x 44,455,936) / 3.35e12 = 864.6 us;
    # launches 56 x 3.25 us = 182 us < device -> memory bound
    assert r.bottleneck == "Memory Bound"
    assert r.latency.m_as("s") == pytest.approx((51_114_064 + 64 * 44_455_936) / 3.35e12 + TAX)


def test_training_resnet50_a100():
    r = SingleNodeModel().solve(RESNET50_TOTALS, Hardware.Cloud.A100, batch_size=256, efficiency=0.10, is_training=True, precision="fp16")
    # forward + backward = 3 x 8.18e9 x 256 = 6.28224e12 flop at 31.2e12 flop/s = 0.201354 s
    compute = 3 * 8.18e9 * 256 / 31.2e12
    # traffic x 3 passes: GEMM 3 x (51,114,064 + 256 x 44,455,936) B / 2.039e12 = 16.82 ms < compute, so compute;
    # eager elementwise 3 x 256 x 118,218,752 B / 2.039e12 = 44.53 ms runs after it: 0.24588 s
    # (before activations were modelled this was compute alone, 0.201354 s); then the weight update: Adam in fp32 with
    # fp32 master weights, one step per batch: (28 + 6 + 6) B x 25,557,032 = 1,022,281,280 B / 2.039e12 = 0.501 ms
    # (efficiency given, so the datasheet bandwidth): 0.24639 s
    step = compute + 3 * 256 * 118_218_752 / 2.039e12 + 40 * 25_557_032 / 2.039e12
    assert r.latency.m_as("s") == pytest.approx(step + TAX)
    assert r.throughput.m_as("1/s") == pytest.approx(256 / (step + TAX))
    # weights 2 B + gradients 2 B + Adam 12 B per parameter (ZeRO Sec. 3.1) = 16 x 25,557,032 B
    assert (r.weight_memory + r.gradient_memory + r.optimizer_memory).m_as("byte") == pytest.approx(16 * 25_557_032)


def test_llm_training_too_big_is_a_result_not_an_exception():
    # Llama-3-8B training: 16 B/param alone = 128.5 GB > 80 GiB (the A100's 81920 MiB = 85.9 GB)
    r = SingleNodeModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.A100, batch_size=1, is_training=True, seq_len=2048)
    assert r.feasible is False and r.bound == "capacity"
    assert "85.9 GB" in r.reason
    assert r.memory_footprint.m_as("GB") > 16 * 8.03


def _npu(**precisions):
    return HardwareNode(
        name="Toy NPU", tier="edge",
        compute=ComputeCore(peak_flops=Q_("4 TOP/s"), precision_flops={k: Q_(v) for k, v in precisions.items()}),
        memory=MemoryHierarchy(capacity=Q_("8 MB"), bandwidth=Q_("10 GB/s")),
    )


def test_unsupported_precision_is_infeasible_with_reason():
    npu = _npu(int8="4 TOP/s")
    r = Engine.solve(model=Models.ResNet50, hardware=npu, batch_size=1, precision="fp16")
    assert r.feasible is False and r.bottleneck == "Unsupported Precision"
    assert "no fp16" in r.reason


def test_int4_runs_at_int8_peak_when_int4_not_listed():
    # H100 lists no int4 peak; the solver computes at the int8 peak 1978.9 TOP/s and says so
    r = Engine.solve(model=RESNET50_TOTALS, hardware=Hardware.Cloud.H100, batch_size=64, precision="int4", efficiency=0.5)
    assert r.compute_precision == "int8"
    assert r.compute_time.m_as("s") == pytest.approx(8.18e9 * 64 / (1978.9e12 * 0.5))
    assert any("int4" in a for a in r.assumptions)


def test_mcu_weights_in_flash_activations_in_sram():
    mcu = HardwareNode(
        name="Toy MCU", tier="tiny",
        compute=ComputeCore(peak_flops=Q_("0.128 GOP/s"), precision_flops={"int8": Q_("0.128 GOP/s")}),
        memory=MemoryHierarchy(capacity=Q_("256 kB"), bandwidth=Q_("0.256 GB/s"), flash_capacity=Q_("1 MB")),
    )
    # 500k params in int8 = 500 kB: too big for 256 kB SRAM but fits the 1 MB flash
    ok = Workload(name="kws", parameters=500_000, inference_flops=Q_("10 MFLOP"), activation_bytes=Q_("100 kB"))
    r = Engine.solve(model=ok, hardware=mcu, batch_size=1, precision="int8")
    assert r.feasible, r.reason
    # activations: 100 kB at fp16 -> 50 kB at int8 per sample; 6 samples = 300 kB > 256 kB SRAM
    r6 = Engine.solve(model=ok, hardware=mcu, batch_size=6, precision="int8")
    assert r6.feasible is False and "SRAM" in r6.reason
    big = Workload(name="big", parameters=2_000_000, inference_flops=Q_("10 MFLOP"))
    rb = Engine.solve(model=big, hardware=mcu, batch_size=1, precision="int8")
    assert rb.feasible is False and "flash" in rb.reason


def test_fp4_on_b200_uses_its_dense_fp4_peak():
    # HGX B200 datasheet: FP4 Tensor Core 18 PFLOPS with sparsity -> 9 PFLOP/s dense per GPU.
    # ResNet-50 at batch 4096: 8.18e9 x 4096 / (9e15 x 0.5) = 7.4457 ms of compute
    r = Engine.solve(model=RESNET50_TOTALS, hardware=Hardware.Cloud.B200, batch_size=4096, precision="fp4", efficiency=0.5)
    assert r.compute_precision == "fp4"
    assert r.compute_time.m_as("s") == pytest.approx(8.18e9 * 4096 / 4.5e15)
    # fp4 weights are half a byte: 25,557,032 x 0.5 B
    assert r.weight_memory.m_as("byte") == pytest.approx(25_557_032 * 0.5)
    # H100 lists no fp4: it computes at its fp8 peak and says so
    h = Engine.solve(model=RESNET50_TOTALS, hardware=Hardware.Cloud.H100, batch_size=8, precision="fp4")
    assert h.compute_precision == "fp8" and any("fp4" in a for a in h.assumptions)


def test_lowering_to_a_computation_graph():
    # ResNet-50 at fp16, batch 4: ops 4 x 8.18e9 = 3.272e10 flop; weights 25,557,032 x 2 B = 51,114,064 B
    g = Models.ResNet50.lower("fp16", batch_size=4)
    assert g.total_ops.m_as("flop") == pytest.approx(3.272e10)
    assert g.weight_bytes.m_as("byte") == 51_114_064
    # bytes: weights + 4 images x 44,455,936 B of conv activations (each written once, read once) = 228,937,808 B
    assert g.bytes_moved.m_as("byte") == 51_114_064 + 4 * 44_455_936
    assert g.arithmetic_intensity.m_as("flop/byte") == pytest.approx(3.272e10 / (51_114_064 + 4 * 44_455_936))
    # Llama-3-8B at int8 over 128 tokens: 2 x 8.03e9 x 128 = 2.05568e12 flop over 8.03e9 B of weights
    t = Models.Language.Llama3_8B.lower("int8", batch_size=1, seq_len=128)
    assert t.total_ops.m_as("flop") == pytest.approx(2.05568e12)
    assert t.bytes_moved.m_as("byte") == pytest.approx(8.03e9)
