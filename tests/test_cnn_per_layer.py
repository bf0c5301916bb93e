"""The CNN roofline layer by layer, and Winograd for fp32 3x3 convolutions, against hand arithmetic.

ResNet-50 v1.5 (He et al. 2016, Table 1; stride 2 on the 3x3 conv of each stage's first block): the
registry lists its 53 convs and the fc layer as ``layer_shapes`` rows (in, out, kernel, stride, out size,
count). V100 (NVIDIA V100 datasheet): 15.7 TFLOP/s fp32, 125 TFLOP/s fp16 tensor cores, 900 GB/s, 10 us
dispatch tax; fused execution: 56 kernels x 3.25 us = 0.182 ms of launches (registry cuda_stream).
"""

import pytest

from pydantic import ValidationError

from mlsysim import Engine, Models
from mlsysim.physics import kernels
from mlsysim.workloads.types import CNNWorkload

TAX = 10e-6
LAUNCHES = 56 * 3.25e-6


def test_layer_kernels_by_hand():
    # conv2_x's 3x3 conv, 64 -> 64 on 56x56: 2 x 64 x 9 x 64 x 3,136 = 231,211,008 flops
    assert kernels.conv_layer_flops(64, 64, 3, 56) == 231_211_008
    # conv3_x's stride-2 projection 256 -> 512 to 28x28: reads 256 x 56^2 = 802,816, writes 512 x 28^2 = 401,408
    assert kernels.conv_layer_io_values(256, 512, 2, 28) == 1_204_224
    # Lavin & Gray 2016: F(2x2, 3x3) 36 / 16 multiplies, F(4x4, 3x3) 144 / 36
    assert kernels.winograd_multiply_reduction(2, 3) == 2.25
    assert kernels.winograd_multiply_reduction(4, 3) == 4.0
    # two layers (2 s compute, 1 s traffic) and (1 s, 3 s): 2 + 3 = 5 s, where the totals' max is max(3, 4) = 4 s
    assert kernels.layer_roofline_time((2.0, 1.0), (0.0, 0.0), (1.0, 3.0), 1.0, 1.0, 1.0) == 5.0
    # weights count once, activations per sample: 1 flop x 2 vs 3 B x 1 + 1 B x 2 = 5
    assert kernels.layer_roofline_time((1.0,), (3.0,), (1.0,), 2.0, 1.0, 2.0) == 5.0


def test_resnet50_layer_shapes_reproduce_the_registry_sums():
    m = Models.ResNet50
    rows = m.layer_shapes
    assert sum(r[5] for r in rows) == 54  # 53 convs + fc (conv_layers)
    convs = rows[:-1]
    # the conv outputs and inputs the registry already counted stage by stage
    assert sum(c_out * h * h * n for c_in, c_out, k, s, h, n in convs) == 11_113_984 == m.activation_values.m_as("count")
    assert sum(c_in * (s * h) ** 2 * n for c_in, c_out, k, s, h, n in convs) == 10_662_400 == m.conv_input_values.m_as("count")
    # conv + fc weights = parameters - 53 BNs' 2 x 26,560 channels - the fc bias 1,000:
    # channels 64 + 1,408 + 3,584 + 10,240 + 11,264 = 26,560 (conv1, conv2_x .. conv5_x); 25,557,032 - 54,120
    assert sum(c_in * k * k * c_out * n for c_in, c_out, k, s, h, n in rows) == 25_502_912
    flops, weights, io = m.layer_table_si("fp16")
    assert sum(weights) == 2 * 25_502_912
    assert sum(io) == 2 * (11_113_984 + 10_662_400 + 2048 + 1000)  # + the fc layer's 2,048 in and 1,000 out
    # 8,178,368,512 flops per image: torchvision's 4.09 G multiply-adds x 2 = 8.18 G, to 0.02%
    assert sum(flops) == 8_178_368_512
    assert sum(flops) == pytest.approx(8.18e9, rel=3e-4)


def test_winograd_takes_the_3x3_stride1_convs():
    # the 3x3 stride-1 convs: 3 (conv2_x) + 3 + 5 + 2 = 13, each 2 C^2 9 H^2 = 231,211,008 flops (C H = 64 x 56 =
    # 128 x 28 = ...): 13 x 231,211,008 = 3,005,743,104; at 2.25x fewer: 8,178,368,512 - 3,005,743,104 x 5/9
    flops, _, _ = Models.ResNet50.layer_table_si("fp32", 2.25)
    assert sum(flops) == pytest.approx(8_178_368_512 - 3_005_743_104 * 5 / 9, rel=1e-12)  # 6,508,511,232


def test_fp32_inference_on_a_v100_is_compute_bound_layer_by_layer():
    # efficiency 0.5: 7.85e12 flop/s, ridge 7.85e12 / 900e9 = 8.72 flop/B. The least intense layer, a 1x1 conv
    # 64 -> 64 on 56x56, does 2 x 64 x 64 flops per output for (64 + 64) x 4 B: 16 flop/B; the Winograd 3x3 convs
    # 2 x 64 x 9 x 64 / 2.25 / 512 = 64 flop/B: every layer is compute-bound, so the device time is the executed
    # flops: 256 x 6,508,511,232 / 7.85e12 = 212.25 ms (> 0.18 ms of launches)
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused")
    compute = 256 * 6_508_511_232 / 7.85e12
    assert r.compute_time.m_as("s") == pytest.approx(compute, rel=1e-12)
    assert r.latency.m_as("s") == pytest.approx(compute + TAX, rel=1e-12)
    assert r.bottleneck == "Compute Bound"
    assert any("Winograd F(2x2, 3x3)" in a for a in r.assumptions)
    # model FLOPs stay torchvision's: MFU counts 8.18 GFLOP per image, not the executed ones
    assert r.ops.m_as("flop") == pytest.approx(256 * 8.18e9)


def test_fp16_tensor_cores_run_no_winograd_and_pay_the_memory_bound_layers():
    # fp16 on tensor cores (cuDNN's IMPLICIT_PRECOMP_GEMM at these shapes, DeepBench V100): no Winograd, so the
    # compute is all 8,178,368,512 flops: 256 x 8,178,368,512 / 62.5e12 = 33.50 ms at efficiency 0.5
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp16", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused")
    compute = 256 * 8_178_368_512 / 62.5e12
    assert r.compute_time.m_as("s") == pytest.approx(compute, rel=1e-12)
    assert not any("Winograd" in a for a in r.assumptions)
    # ridge 62.5e12 / 900e9 = 69.4 flop/B: the 1x1 64 -> 64 conv (2 x 64 x 64 / (128 x 2 B) = 32 flop/B) is
    # memory-bound while the 3x3s (2 x 64 x 9 x 64 / 256 B = 288) are not, so the sum of the per-layer maxima
    # exceeds both totals
    device = r.latency.m_as("s") - TAX
    assert device > compute and device > r.memory_time.m_as("s")


def test_bad_layer_shapes_are_refused():
    with pytest.raises(ValidationError, match="layer_shapes"):
        CNNWorkload(name="x", parameters=1000, inference_flops="1 GFLOP", layer_shapes=((3, 64, 7, 2, 112),))
    with pytest.raises(ValidationError, match="layer_shapes"):
        CNNWorkload(name="x", parameters=1000, inference_flops="1 GFLOP", layer_shapes=((3, 64, 0, 2, 112, 1),))


def test_the_sweep_form_of_the_per_layer_sum_agrees_with_the_scalar_one():
    # the same sum by crossover batches (kernels.layer_roofline_times) and batch by batch (layer_roofline_time)
    flops, weights, io = Models.ResNet50.layer_table_si("fp16")
    batches = [1, 3, 7, 64, 256, 2, 1024]
    t_flop, t_w, t_io = 1 / 62.5e12, 1 / 900e9, 1 / 900e9
    swept = kernels.layer_roofline_times(flops, weights, io, batches, t_flop, t_w, t_io)
    for b, t in zip(batches, swept):
        assert t == pytest.approx(kernels.layer_roofline_time(flops, weights, io, t_flop * b, t_w, t_io * b), rel=1e-12)
    # the two-layer example per sample: (2 s, 1 s) and (1 s, 3 s) give 5 b s
    assert kernels.layer_roofline_times((2.0, 1.0), (0.0, 0.0), (1.0, 3.0), [1, 4], 1.0, 1.0, 1.0) == [5.0, 20.0]


def test_eager_adds_the_elementwise_kernels_after_the_per_layer_convs():
    # as the fused fp32 case (every layer compute-bound: 256 x 6,508,511,232 / 7.85e12 = 212.25 ms), plus the eager
    # BN / ReLU / add / pool kernels: 59,109,376 values x 4 B x 256 / 900e9 = 67.25 ms, which run after the convs
    # (kernels.sequential_kernels_time); 174 launches x 10 us = 1.74 ms overlap the device
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="eager")
    compute = 256 * 6_508_511_232 / 7.85e12
    elementwise = 59_109_376 * 4 * 256 / 900e9
    assert r.latency.m_as("s") == pytest.approx(compute + elementwise + TAX, rel=1e-12)
    # the memory column: the convs' own traffic (weights 25,502,912 x 4 B once, inputs + outputs
    # (10,662,400 + 11,113,984 + 3,048) x 4 B per image) + the elementwise traffic, all at 900 GB/s
    conv_traffic = (25_502_912 * 4 + 256 * (10_662_400 + 11_113_984 + 3048) * 4) / 900e9
    assert r.memory_time.m_as("s") == pytest.approx(conv_traffic + elementwise, rel=1e-12)
