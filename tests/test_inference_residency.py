"""What an inference pass keeps resident: the peak live activations, not their sum over layers.

Expected values are derived by hand below from ResNet-50's layer table (registry/models/vision.toml,
torchvision's Bottleneck: identity = x kept for ``out += identity``; BN not in place, ReLU in place) and
the datasheet capacities; the feasibility cases are NVIDIA DeepLearningExamples' measured inference rows
(PyTorch/Classification/ConvNets/resnet50v1.5/README.md, commit 291f0d02, pytorch-21.03 container).
"""

import pytest
from pydantic import ValidationError

import mlsysim
from mlsysim.physics import kernels
from mlsysim.solvers import _inputs
from mlsysim.solvers.single_node import SingleNodeModel, largest_inference_batch, memory_plan
from mlsysim.workloads.types import CNNWorkload

RESNET = "ResNet-50"
WEIGHTS_FP32 = 25_557_032 * 4  # parameters x 4 B = 102,228,128 B

# ResNet-50's peak live set, by hand, per image (values). conv2_x (56 x 56), the widest output there
# 256 x 56^2 = 802,816 is the block input a residual add keeps:
#   projection of conv2_1 [64 -> 256, 1x1]: input (block input) 64 x 56^2 = 200,704, output 802,816,
#     kept 802,816 (the main branch's output, as wide), eager BN's copy 802,816:
#     200,704 + 802,816 + 802,816 + 802,816 = 2,609,152 (fused: 200,704 + 802,816 + 802,816 = 1,806,336)
#   conv3 of a block [64 -> 256]: the same shapes, the same 2,609,152 / 1,806,336
#   stem conv1 [3 -> 64, 7x7/2, 112]: 3 x 224^2 = 150,528 + 64 x 112^2 = 802,816 (+ BN copy 802,816)
#     = 1,756,160 eager, 953,344 fused; no block input yet
#   conv2_x first 1x1 of later blocks [256 -> 64]: reads the block input itself (not counted twice):
#     802,816 + 200,704 (+ 200,704) = 1,204,224 eager
#   conv3_x and later: at most 802,816 kept + 401,408 x 3 = 2,007,040 (conv3_1's projection)
EAGER_PEAK = 2_609_152
FUSED_PEAK = 1_806_336
SUM_TRAFFIC = 2 * 11_113_984  # what memory_plan charged before: every conv output written and read, per image


def test_kernel_layer_live_values_counts_input_output_kept_and_bn_copy():
    # conv2_1's projection, hand figures above
    assert kernels.layer_live_values(200_704, 802_816, 802_816, True) == 2_609_152
    assert kernels.layer_live_values(200_704, 802_816, 802_816, False) == 1_806_336
    # a layer that reads the kept tensor itself keeps nothing extra
    assert kernels.residual_kept_values(802_816, 802_816) == 0.0
    assert kernels.residual_kept_values(200_704, 802_816) == 802_816
    assert kernels.inference_peak_live_values((1.0, 3.0, 2.0)) == 3.0
    assert kernels.inference_peak_live_values(()) == 0.0


def test_resnet50_peak_live_values_from_its_layer_table():
    m = _inputs.workload(RESNET)
    assert m.residual is True
    assert m.peak_live_activation_values(True) == EAGER_PEAK
    assert m.peak_live_activation_values(False) == FUSED_PEAK
    assert EAGER_PEAK < SUM_TRAFFIC / 8  # ~10.4 MB per fp32 image against ~88.9 MB summed


def test_resnet50_inference_footprint_is_weights_plus_peak():
    r = SingleNodeModel().solve(RESNET, "NVIDIA T4 16GB", batch_size=256, precision="fp32", execution="eager")
    # 102,228,128 + 256 x 2,609,152 x 4 = 102,228,128 + 2,671,771,648 = 2,773,999,776 B
    assert r.memory_footprint.to("byte").magnitude == pytest.approx(2_773_999_776, rel=1e-12)
    assert r.activation_memory.to("byte").magnitude == pytest.approx(256 * EAGER_PEAK * 4, rel=1e-12)
    assert r.feasible  # DeepLearningExamples, "Inference performance: NVIDIA T4", FP32 batch 256: 415 img/s
    assert any(a.startswith("inference memory: weights + the peak live activations") and "batch norm's copy" in a
               for a in r.assumptions)
    fused = SingleNodeModel().solve(RESNET, "NVIDIA T4 16GB", batch_size=256, precision="fp32", execution="fused")
    assert fused.activation_memory.to("byte").magnitude == pytest.approx(256 * FUSED_PEAK * 4, rel=1e-12)


@pytest.mark.parametrize("hw, precision, expected", [
    # (capacity - weights) // (peak x bytes):
    ("NVIDIA T4 16GB", "fp32", 1523),  # (16e9 - 102,228,128) / 10,436,608 = 1523.3
    ("NVIDIA T4 16GB", "fp16", 3056),  # (16e9 - 51,114,064) / 5,218,304 = 3056.3
    ("NVIDIA V100 SXM2 32GB", "fp32", 3056),  # (32e9 - 102,228,128) / 10,436,608 = 3056.3
    ("NVIDIA A100 SXM4 40GB", "fp32", 3822),  # (40e9 - 102,228,128) / 10,436,608 = 3822.8
])
def test_resnet50_largest_inference_batch(hw, precision, expected):
    h = _inputs.hardware(hw)
    mem = memory_plan(_inputs.workload(RESNET), precision, 1, None, False, False)
    assert largest_inference_batch(h, mem.weight_memory, mem.activation_memory) == expected


def test_v100_32gb_fits_resnet50_fp32_at_batch_1024():
    # 102,228,128 + 1024 x 10,436,608 = 10,789,314,720 B < 32e9
    r = SingleNodeModel().solve(RESNET, "NVIDIA V100 SXM2 32GB", batch_size=1024, precision="fp32")
    assert r.feasible
    assert r.memory_footprint.to("byte").magnitude == pytest.approx(10_789_314_720, rel=1e-12)


def test_the_sweep_agrees_with_solve_on_the_boundary():
    s = mlsysim.sweep(RESNET, "NVIDIA T4 16GB", batch_sizes=[1523, 1524], precisions=["fp32"])
    assert list(s.columns["feasible"]) == [True, False]


def test_training_and_traffic_keep_the_sum_over_layers():
    solver = SingleNodeModel()
    t = solver.solve(RESNET, "NVIDIA V100 SXM2 32GB", batch_size=8, precision="fp32", is_training=True)
    # training saves every conv output for backward: 8 x 2 x 11,113,984 x 4 B (the traffic figure, as before)
    assert t.activation_memory.to("byte").magnitude == pytest.approx(8 * SUM_TRAFFIC * 4, rel=1e-12)


def test_a_cnn_without_layer_shapes_keeps_its_summed_figure():
    m = _inputs.workload("MobileNetV2 (1.0, 224)")
    r = SingleNodeModel().solve(m, "NVIDIA T4 16GB", batch_size=4, precision="fp32")
    # 4 x 2 x 6,678,112 values x 4 B: the sum over layers, stated as an upper bound
    assert r.activation_memory.to("byte").magnitude == pytest.approx(4 * 2 * 6_678_112 * 4, rel=1e-12)
    assert any("upper bound" in a for a in r.assumptions)


@pytest.mark.parametrize("value", ["yes", 1, "maybe"])
def test_residual_must_be_a_real_boolean(value):
    with pytest.raises(ValidationError, match="residual.*True or False"):  # the field's check, as every model field's
        CNNWorkload(name="x", parameters=10, inference_flops="1 GFLOP", residual=value)


def test_bert_inference_keeps_one_layer_not_twenty_four():
    # BERT-Large (h 1024, a 16, 24 layers) at s 384, fp16: one layer, Korthikanti et al. 2022 Eq. 1:
    # 384 x 1024 x (34 + 5 x 16 x 384 / 1024) = 393,216 x (34 + 30) = 25,165,824 B per sequence; x 8 = 201,326,592
    r = SingleNodeModel().solve("BERT-Large", "NVIDIA T4 16GB", batch_size=8, precision="fp16", seq_len=384)
    assert r.activation_memory.to("byte").magnitude == pytest.approx(201_326_592, rel=1e-12)
    assert kernels.transformer_inference_resident_bytes(384, 1024, 16, 4.0) == pytest.approx(2 * 25_165_824, rel=1e-12)
    # training still keeps all 24 layers: 24 x 25,165,824 per sequence
    t = SingleNodeModel().solve("BERT-Large", "NVIDIA A100 SXM4 80GB", batch_size=8, precision="fp16", seq_len=384,
                                is_training=True)
    assert t.activation_memory.to("byte").magnitude == pytest.approx(24 * 201_326_592, rel=1e-12)


def test_a_transformer_without_layer_ops_keeps_weights_only():
    r = SingleNodeModel().solve("Llama-2-7B", "NVIDIA A100 SXM4 80GB", batch_size=1, precision="fp16")
    assert r.activation_memory.to("byte").magnitude == 0.0
    assert any(a.startswith("inference memory: weights only") for a in r.assumptions)
