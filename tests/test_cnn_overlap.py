"""Tensor-core convolutions overlap their math and memory traffic only in part, against hand arithmetic and
two published measurements: the one the fraction is taken from (Azure's A100 GEMM of a convolution's shape) and
one it is checked against (DeepBench's V100 fp16 convolutions of ResNet-50's layers).

A100 SXM4 80GB: 312 TFLOP/s fp16 dense, 2,039 GB/s; V100: 125 TFLOP/s fp16, 15.7 fp32, 900 GB/s (datasheets).
"""

import pytest

from mlsysim import Engine
from mlsysim.physics import kernels
from mlsysim.solvers import defaults
from mlsysim.solvers.efficiency import efficiency_for_key
from mlsysim.workloads.types import CNNWorkload

TAX = 10e-6


def test_partial_overlap_by_hand():
    # c = 0.88, m = 0.93: full overlap 0.93 (the roofline), none 1.81, n = 0.644 -> 0.93 + 0.644 x 0.88 = 1.4967
    assert kernels.partial_overlap_time(0.88, 0.93, 0.0) == 0.93
    assert kernels.partial_overlap_time(0.88, 0.93, 1.0) == pytest.approx(1.81)
    assert kernels.partial_overlap_time(0.88, 0.93, 0.644) == pytest.approx(1.49672)
    assert kernels.partial_overlap_time(3.0, 1.0, 0.5) == 3.5  # compute the longer side
    # (1.50 - 0.93) / 0.88 = 0.6477
    assert kernels.non_overlap_fraction(1.50, 0.88, 0.93) == pytest.approx(0.57 / 0.88)
    # two layers (2 s, 1 s) and (1 s, 3 s) at n = 0.5: 2.5 + 3.5 = 6 s; per sample in the sweep form, 6 b s
    assert kernels.layer_overlap_time((2.0, 1.0), (0.0, 0.0), (1.0, 3.0), 1.0, 1.0, 1.0, 0.5) == 6.0
    assert kernels.layer_overlap_times((2.0, 1.0), (0.0, 0.0), (1.0, 3.0), [1, 4], 1.0, 1.0, 1.0, 0.5) == [6.0, 24.0]
    assert kernels.layer_overlap_times((2.0, 1.0), (0.0, 0.0), (1.0, 3.0), [1, 4], 1.0, 1.0, 1.0, 0.0) == [5.0, 20.0]


def test_the_default_is_azures_a100_gemm_of_convolution_shape():
    # Azure AI benchmarking guide, ND A100 v4 (A100-SXM4-80GB), 'GEMM CuBLASLt', FP16: m 802,816, n 192, k 768 at
    # 157.8 TFLOP/s. 2 m n k = 236,760,072,192 flop -> 1.5004 ms. Math at the A100 16-bit GEMM table's 0.859 (its size
    # is far above the table's last step): 236.76e9 / (0.859 x 312e12) = 0.8834 ms. Traffic: A 802,816 x 768 x 2 B +
    # B 768 x 192 x 2 B + C 802,816 x 192 x 2 B = 1,541,701,632 B at the A100 80GB HBM table's 0.812 (Azure's STREAM
    # kernels that write, same page) of 2,039 GB/s = 0.9312 ms. n = (1.5004 - 0.9312) / 0.8834 = 0.644
    flops = 2 * 802_816 * 192 * 768
    measured = flops / 157.8e12
    assert efficiency_for_key("gemm", flops, "a100_80gb", "fp16") == 0.859
    traffic = (802_816 * 768 + 768 * 192 + 802_816 * 192) * 2
    assert efficiency_for_key("memory", traffic, "a100_80gb") == 0.812
    compute, memory = flops / (0.859 * 312e12), traffic / (0.812 * 2039e9)
    assert kernels.non_overlap_fraction(measured, compute, memory) == pytest.approx(
        defaults.DEFAULT_TENSOR_CORE_NON_OVERLAP, abs=0.0005)


# DeepBench results/train/DeepBench_NV_V100.xlsx, sheet 'Results - FP16 ip, Mixed math', N = 16, forward ms of the 14
# ResNet-50 v1.5 shapes it lists: (input size, C in, C out, kernel, stride): (count in the network, forward ms)
DEEPBENCH_FP16_N16 = {
    (56, 64, 64, 3, 1): (3, 0.068), (28, 128, 128, 3, 1): (3, 0.063), (14, 256, 256, 3, 1): (5, 0.063),
    (7, 512, 512, 3, 1): (2, 0.071), (56, 64, 256, 1, 1): (4, 0.048), (56, 256, 64, 1, 1): (2, 0.050),
    (28, 128, 512, 1, 1): (4, 0.037), (28, 512, 128, 1, 1): (3, 0.041), (14, 256, 1024, 1, 1): (6, 0.036),
    (14, 1024, 256, 1, 1): (5, 0.034), (7, 512, 2048, 1, 1): (3, 0.034), (7, 2048, 512, 1, 1): (2, 0.038),
    (28, 512, 1024, 1, 2): (1, 0.059), (14, 1024, 2048, 1, 2): (1, 0.064),
}


def test_deepbench_v100_fp16_convolutions_check_the_fraction():
    # each shape at N = 16 on the V100's tables (its fp16 GEMM table at the conv's flops, its HBM table at its bytes):
    # the roofline per layer sums to 1.533 ms against DeepBench's 2.100 ms (1.37x); with n = 0.644, 2.003 ms (1.05x)
    measured = roofline = overlapped = 0.0
    for (w, c_in, c_out, k, stride), (count, ms) in DEEPBENCH_FP16_N16.items():
        out = w // stride
        flops = 2 * 16 * c_in * k * k * c_out * out * out
        traffic = (16 * c_in * w * w + 16 * c_out * out * out + c_in * k * k * c_out) * 2
        c = flops / (125e12 * efficiency_for_key("gemm", flops, "v100", "fp16"))
        m = traffic / (900e9 * efficiency_for_key("memory", traffic, "v100"))
        measured += count * ms * 1e-3
        roofline += count * max(c, m)
        overlapped += count * kernels.partial_overlap_time(c, m, defaults.DEFAULT_TENSOR_CORE_NON_OVERLAP)
    assert measured == pytest.approx(2.100e-3, rel=1e-3)
    assert measured / roofline == pytest.approx(1.37, abs=0.01)
    assert measured / overlapped == pytest.approx(1.05, abs=0.01)


def one_conv():
    # conv2_x's 3x3 conv, 64 -> 64 on 56x56: 2 x 64 x 9 x 64 x 3,136 = 231,211,008 flops per image
    return CNNWorkload(name="one 3x3 conv", parameters=36_864, inference_flops="231211008 flop",
                       layer_shapes=((64, 64, 3, 1, 56, 1),))


def test_one_fp16_conv_on_a_v100_pays_part_of_its_traffic():
    # batch 64, efficiency 0.5 (62.5e12 flop/s), datasheet bandwidth: math 64 x 231,211,008 / 62.5e12 = 236.76 us;
    # traffic: weights 36,864 x 2 B + 64 x (64 + 64) x 3,136 x 2 B = 73,728 + 51,380,224 B at 900 GB/s = 57.17 us;
    # 236.76 + 0.644 x 57.17 = 273.58 us (the roofline: 236.76 us)
    r = Engine.solve(one_conv(), "v100", batch_size=64, precision="fp16", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused")
    compute = 64 * 231_211_008 / 62.5e12
    traffic = (73_728 + 51_380_224) / 900e9
    assert r.latency.m_as("s") == pytest.approx(compute + 0.644 * traffic + TAX, rel=1e-9)
    assert any("does not overlap" in a for a in r.assumptions)


def test_fp32_on_the_cuda_cores_keeps_the_roofline():
    # Winograd F(2x2, 3x3): 64 x 231,211,008 / 2.25 / 7.85e12 = 837.8 us of math; 147,456 + 102,760,448 B at 900 GB/s =
    # 114.3 us hides behind it entirely
    r = Engine.solve(one_conv(), "v100", batch_size=64, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused")
    assert r.latency.m_as("s") == pytest.approx(64 * 231_211_008 / 2.25 / 7.85e12 + TAX, rel=1e-9)
    assert not any("does not overlap" in a for a in r.assumptions)
