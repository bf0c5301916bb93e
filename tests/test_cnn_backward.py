"""A CNN's backward convolutions at their measured time, against hand arithmetic and Baidu DeepBench.

DeepBench, results/train/DeepBench_NV_V100.xlsx (V100, CUDA 10.1.243, cuDNN 7.6.2): 'Forward', 'wrt Inputs'
(data gradient) and 'wrt Parameters' (weight gradient) times in ms of each convolution, N = 16, typed below for
the 14 ResNet-50 v1.5 shapes the sheets list (input size, C in, C out, kernel, stride) with how often the
network runs each. V100 (NVIDIA datasheet): 15.7 TFLOP/s fp32, 125 TFLOP/s fp16 tensor cores, 900 GB/s.
"""

import pytest

from mlsysim import Engine, sweep
from mlsysim.physics import kernels
from mlsysim.solvers import defaults
from mlsysim.solvers.single_node import conv_backward_ratio

TAX = 10e-6

# (W, C, K, R, stride): (count in ResNet-50 v1.5, fp16 fwd, dgrad, wgrad, fp32 fwd, dgrad, wgrad) in ms
DEEPBENCH_N16 = {
    (56, 64, 64, 3, 1): (3, 0.068, 0.073, 0.097, 0.179, 0.187, 0.444),
    (28, 128, 128, 3, 1): (3, 0.063, 0.067, 0.075, 0.158, 0.154, 0.153),
    (14, 256, 256, 3, 1): (5, 0.063, 0.072, 0.066, 0.148, 0.148, 0.150),
    (7, 512, 512, 3, 1): (2, 0.071, 0.135, 0.047, 0.273, 0.267, 0.178),
    (56, 64, 256, 1, 1): (4, 0.048, 0.064, 0.060, 0.161, 0.154, 0.245),
    (56, 256, 64, 1, 1): (2, 0.050, 0.069, 0.059, 0.136, 0.167, 0.417),
    (28, 128, 512, 1, 1): (4, 0.037, 0.043, 0.056, 0.136, 0.147, 0.231),
    (28, 512, 128, 1, 1): (3, 0.041, 0.047, 0.048, 0.144, 0.143, 0.194),
    (14, 256, 1024, 1, 1): (6, 0.036, 0.043, 0.042, 0.135, 0.186, 0.206),
    (14, 1024, 256, 1, 1): (5, 0.034, 0.036, 0.041, 0.186, 0.149, 0.206),
    (7, 512, 2048, 1, 1): (3, 0.034, 0.068, 0.028, 0.144, 0.246, 0.246),
    (7, 2048, 512, 1, 1): (2, 0.038, 0.036, 0.027, 0.236, 0.147, 0.254),
    (28, 512, 1024, 1, 2): (1, 0.059, 0.095, 0.062, 0.334, 0.477, 0.376),
    (14, 1024, 2048, 1, 2): (1, 0.064, 0.085, 0.049, 0.280, 0.430, 0.490),
}


def test_weighted_time_ratio_by_hand():
    # shapes run 3 and 1 times with (a, b) = (2.5, 1.0) and (4.0, 2.0) ms: (7.5 + 4) / (3 + 2) = 2.3
    assert kernels.weighted_time_ratio((2.5, 4.0), (1.0, 2.0), (3, 1)) == pytest.approx(2.3)
    # flops alone: forward 1, backward 2 -> 3 passes; with DeepBench's tensor-core ratio 1 + 2.39 = 3.39
    assert kernels.conv_training_time_passes(2.0) == kernels.training_passes() == 3.0
    assert kernels.conv_training_time_passes(2.39) == pytest.approx(3.39)


@pytest.mark.parametrize("column, default", [(1, defaults.DEFAULT_CONV_BACKWARD_RATIO_TENSOR_CORE),
                                             (4, defaults.DEFAULT_CONV_BACKWARD_RATIO_CUDA_CORE)])
def test_the_defaults_are_deepbenchs_resnet50_sums(column, default):
    # fp16: forward 3 x 0.068 + 3 x 0.063 + ... = 2.100 ms over the 44 convs, backward 5.020 ms: 2.39;
    # fp32: 7.447 ms forward (Winograd 3x3s), 18.67 ms backward: 2.51 (the weight gradient of the 56x56 3x3 runs
    # at 8.3 TFLOP/s, no faster than a direct convolution)
    rows = list(DEEPBENCH_N16.values())
    counts = [r[0] for r in rows]
    forward = [r[column] for r in rows]
    backward = [r[column + 1] + r[column + 2] for r in rows]
    assert sum(counts) == 44
    assert kernels.weighted_time_ratio(backward, forward, counts) == pytest.approx(default, abs=0.005)


def test_which_ratio_a_precision_takes():
    assert conv_backward_ratio("fp16") == conv_backward_ratio("tf32") == conv_backward_ratio("bf16") == 2.39
    assert conv_backward_ratio("fp32") == 2.51


def test_fp32_training_on_a_v100_charges_the_measured_backward():
    # fused, efficiency 0.5 (7.85e12 flop/s), datasheet bandwidth: every layer compute-bound (the least intense,
    # the 1x1 64 -> 64 conv, 16 flop/B against a ridge of 8.72), so the convs take the executed forward flops
    # (Winograd 3x3s: 6,508,511,232 per image) x (1 + 2.51) passes: 256 x 6,508,511,232 / 7.85e12 x 3.51 = 745.0 ms,
    # where the flops' 3 passes give 636.8 ms; then fused Adam in fp32, 7 x 4 B x 25,557,032 parameters =
    # 715,596,896 B at 900 GB/s = 0.795 ms
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused", is_training=True)
    convs = 256 * 6_508_511_232 / 7.85e12 * 3.51
    update = 7 * 4 * 25_557_032 / 900e9
    assert r.latency.m_as("s") == pytest.approx(convs + update + TAX, rel=1e-9)
    # the compute column stays the flops' count (3 passes), and MFU counts the model's 3 x 8.18 GFLOP per image
    assert r.compute_time.m_as("s") == pytest.approx(256 * 6_508_511_232 * 3 / 7.85e12, rel=1e-12)
    assert r.ops.m_as("flop") == pytest.approx(3 * 256 * 8.18e9)
    assert any("backward convolutions at 2.51x" in a for a in r.assumptions)


def test_inference_is_unchanged():
    # one forward pass: 256 x 6,508,511,232 / 7.85e12 = 212.25 ms, no backward note
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                     execution="fused")
    assert r.latency.m_as("s") == pytest.approx(256 * 6_508_511_232 / 7.85e12 + TAX, rel=1e-12)
    assert not any("backward convolutions" in a for a in r.assumptions)


def test_the_sweep_charges_the_same_backward():
    # the sweep's columns (kernels.layer_roofline_times) add the same 0.51 forward-pass times as the solve: at batch
    # 256 the fp32 case above, 745.0 ms of convs + 0.795 ms of update + the tax
    out = sweep(models=["resnet50"], hardware=["v100"], batch_sizes=[64, 256], precisions=["fp32"], is_training=True,
                efficiency=0.5, bandwidth_efficiency=1.0, execution="fused")
    for b, lat in zip(out.columns["batch_size"], out.columns["latency_s"]):
        r = Engine.solve("resnet50", "v100", batch_size=b, precision="fp32", efficiency=0.5, bandwidth_efficiency=1.0,
                         execution="fused", is_training=True)
        assert lat == pytest.approx(r.latency.m_as("s"), rel=1e-9)
    expected = 256 * 6_508_511_232 / 7.85e12 * 3.51 + 7 * 4 * 25_557_032 / 900e9 + TAX
    assert out.columns["latency_s"][1] == pytest.approx(expected, rel=1e-9)
