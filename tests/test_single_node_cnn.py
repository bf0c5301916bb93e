"""CNN activation traffic, per-kernel launch cost and the default efficiency, derived by hand.

Sources of the expected numbers (never the engine's output):
- ResNet-50 v1.5 per-stage output shapes: He et al. 2016, Table 1 (conv1 112x112x64; conv2_x 56x56,
  3 blocks of [64, 64, 256]; conv3_x 28x28, 4 of [128, 128, 512]; conv4_x 14x14, 6 of [256, 256, 1024];
  conv5_x 7x7, 3 of [512, 512, 2048]); v1.5 (torchvision, NVIDIA DeepLearningExamples) strides the 3x3,
  so each stage's first 1x1 runs at the previous stage's size; one projection conv per stage.
- MobileNetV2: Sandler et al. 2018, Table 2 (t, c, n, s per stage).
- Launch costs: registry/walls/efficiency.toml (PyTorch eager 48 us, CUDA stream 3.25 us, CUDA graph 0.875 us).
- V100 SXM2 datasheet: 125 TFLOP/s fp16 tensor, 15.7 TFLOP/s fp32, 900 GB/s; dispatch tax 10 us (registry).
- Calculon's GEMM table (registry/walls/efficiency.toml): 0.1 below 1 GFLOP, 0.6 from 1, 0.9 from 16,
  0.95 from 128 GFLOP per kernel.
Tolerance: 1e-9 relative (the arithmetic is exact in floating point up to rounding).
"""

import pytest

from mlsysim import Engine, InputError, Models, SingleNodeModel
from mlsysim.physics import kernels
from pass_as_one_kernel import RESNET50_TOTALS  # the whole pass as one kernel, as these tests derive it

REL = 1e-9
V100_FP16, V100_BW, TAX = 125e12, 900e9, 10e-6


def resnet50_conv_outputs():
    """Sum of C x H x W over ResNet-50 v1.5's 53 convs, from He et al. Table 1, written out stage by stage."""
    conv1 = kernels.conv_output_elements(64, 112, 112)  # 802,816
    total, projections, block_outputs = conv1, 0.0, 0.0
    # (output size, bottleneck width, blocks, size of the first block's first 1x1)
    for hw, width, blocks, first in [(56, 64, 3, 56), (28, 128, 4, 56), (14, 256, 6, 28), (7, 512, 3, 14)]:
        for b in range(blocks):
            in_hw = first if b == 0 else hw
            total += (kernels.conv_output_elements(width, in_hw, in_hw) + kernels.conv_output_elements(width, hw, hw)
                      + kernels.conv_output_elements(4 * width, hw, hw))
            block_outputs += kernels.conv_output_elements(4 * width, hw, hw)
        projections += kernels.conv_output_elements(4 * width, hw, hw)
    return total + projections, projections, block_outputs


def test_resnet50_conv_outputs_from_the_paper_table():
    total, projections, block_outputs = resnet50_conv_outputs()
    # by hand: 802,816 + 3,612,672 + 2,709,504 + 1,956,864 + 526,848 (blocks) + 1,505,280 (projections)
    assert total == 11_113_984 == Models.ResNet50.activation_values.m_as("count")
    assert projections == 1_505_280 and block_outputs == 5_519_360
    # eager elementwise: BN 2 x all, ReLU 2 x (all - projections), 16 adds 3 x block outputs, max- and avgpool
    elementwise = 2 * total + 2 * (total - projections) + 3 * block_outputs + (802_816 + 200_704) + (100_352 + 2_048)
    assert elementwise == 59_109_376 == Models.ResNet50.elementwise_values.m_as("count")
    # kernels: 53 conv + 53 BN + 49 ReLU + 16 add + maxpool + avgpool + fc
    assert Models.ResNet50.kernels == 53 + 53 + 49 + 16 + 3 == 174
    assert Models.ResNet50.fused_kernels == 53 + 3


def test_every_registry_cnn_with_layers_is_self_consistent():
    # MobileNetV2 (Sandler Table 2): 52 convs; the stem alone writes 32 x 112 x 112 = 401,408 values
    m = Models.get("mobilenetv2")
    assert m.activation_values.m_as("count") > kernels.conv_output_elements(32, 112, 112)
    for key in ("resnet50", "mobilenetv2", "alexnet", "ds_cnn", "wake_vision"):
        cnn = Models.get(key)
        assert cnn.fused_kernels < cnn.kernels and cnn.conv_layers <= cnn.kernels
        # eager elementwise kernels re-read and re-write at least the conv outputs once (BN or ReLU)
        assert cnn.elementwise_values.m_as("count") >= 2 * cnn.activation_values.m_as("count")
    # DS-CNN: 9 convs x 64 x 25 x 5
    assert Models.get("ds_cnn").activation_values.m_as("count") == 9 * 64 * 25 * 5


def test_activation_traffic_kernel():
    # 11,113,984 values x 2 B x 2 accesses (written once, read once) = 44,455,936 B
    assert kernels.activation_traffic_bytes(11_113_984, 2.0, 2.0) == 44_455_936
    assert Models.ResNet50.activation_bytes_per_sample_si("fp16") == 44_455_936
    assert Models.ResNet50.activation_bytes_per_sample_si("fp32") == 2 * 44_455_936
    assert kernels.sequential_kernels_time(3e-3, 2e-3) == pytest.approx(5e-3)
    # launches overlap the device: the longer binds
    assert kernels.host_bound_time(1e-3, 174, 10e-6) == pytest.approx(1.74e-3)
    assert kernels.host_bound_time(5e-3, 174, 10e-6) == pytest.approx(5e-3)


def test_batch1_eager_is_bound_by_launches():
    # V100 fp16, batch 1, eager: device = max(8.18e9 / (125e12 x 0.1) = 654.4 us, (51,114,064 + 44,455,936) B / 900e9
    # = 106.2 us) + 118,218,752 B / 900e9 = 131.4 us -> 785.8 us; launches 174 x 48 us = 8.352 ms bind
    # (an fp16 model: no autocast casts; the registry's 48 us is the Framework Tax floor, Fernandez et al. 2023)
    r = Engine.solve("resnet50", "v100", batch_size=1, precision="fp16")
    assert r.efficiency == 0.1  # 8.18 GFLOP / 54 GEMM-class layers = 0.15 GFLOP per kernel: below 1 GFLOP
    device = max(8.18e9 / (V100_FP16 * 0.1), 95_570_000 / V100_BW) + 118_218_752 / V100_BW
    assert device < 8.352e-3
    assert r.latency.m_as("s") == pytest.approx(174 * 48e-6 + TAX, rel=REL)
    assert r.bound == "software" and r.bottleneck == "Software Bound"
    assert any("execution=eager" in a and "174 kernels" in a for a in r.assumptions)
    assert any("GEMM table" in a for a in r.assumptions)


def test_execution_modes_change_count_cost_and_traffic():
    # fused: 56 x 3.25 us = 182 us; device = max(654.4 us, 106.2 us) = 654.4 us: compute binds again
    fused = Engine.solve(RESNET50_TOTALS, "v100", batch_size=1, precision="fp16", execution="fused")
    assert fused.latency.m_as("s") == pytest.approx(8.18e9 / (V100_FP16 * 0.1) + TAX, rel=REL)
    assert fused.bound == "compute" and fused.launch_time.m_as("s") == pytest.approx(56 * 3.25e-6, rel=REL)
    graph = Engine.solve(RESNET50_TOTALS, "v100", batch_size=1, precision="fp16", execution="graph")
    assert graph.launch_time.m_as("s") == pytest.approx(56 * 0.875e-6, rel=REL)
    with pytest.raises(InputError, match="execution"):
        Engine.solve(RESNET50_TOTALS, "v100", execution="jit")


def test_large_batch_eager_inference_by_hand():
    # V100 fp16, batch 256, eager: 256 x 8.18e9 / 54 = 38.8 GFLOP per GEMM-class kernel -> 0.664, the V100 fp16 table's
    # ceiling (Markidis et al. 2018: cuBLAS reaches 83 of 125 TFLOP/s); compute 2.09408e12 / 83e12 = 25.23 ms > GEMM
    # traffic (51,114,064 + 256 x 44,455,936) / 54 = 211.7 MB per conv/fc kernel -> 0.833 of 900e9 (the V100 HBM table's
    # ceiling, Jia et al. 2018: 750 of 900 GB/s) = 15.25 ms; elementwise 256 x 118,218,752 B over 120 kernels
    # (174 eager - 54 conv/fc) = 252 MB each -> 0.833 likewise: 40.37 ms; latency 65.60 ms + 10 us
    r = Engine.solve(RESNET50_TOTALS, "v100", batch_size=256, precision="fp16")
    assert r.efficiency == 0.664 and r.bandwidth_efficiency == 0.833
    step = 256 * 8.18e9 / (V100_FP16 * 0.664) + 256 * 118_218_752 / (0.833 * V100_BW)
    assert r.latency.m_as("s") == pytest.approx(step + TAX, rel=REL)
    assert r.bound == "memory"  # all bytes (46.3 ms) outweigh the compute (18.6 ms)


def test_a_given_efficiency_wins_and_is_said():
    r = Engine.solve("resnet50", "v100", batch_size=256, precision="fp16", efficiency=0.42)
    assert r.efficiency == 0.42 and any("efficiency=0.42 of dense peak (given)" in a for a in r.assumptions)


def test_non_gpu_parts_keep_the_one_number_default():
    # the GEMM table is an A100/H100 table: an MCU gets 0.5 and a fused runtime (no eager elementwise kernels)
    r = SingleNodeModel().solve("ds_cnn", "esp32_s3", batch_size=1, precision="int8")
    assert r.efficiency == 0.5 and r.execution == "fused"
    assert any("one-number default" in a for a in r.assumptions)


def test_training_triples_traffic_and_launches():
    # V100 fp32 training, batch 112: 112 x 8.18e9 / 54 = 16.97 GFLOP per kernel -> 0.755, the V100 fp32 table's ceiling
    # (Markidis et al. 2018: SGEMM at 83 / 7 = 11.9 of 15.7 TFLOP/s); compute 3 x 112 x 8.18e9 / (15.7e12 x 0.755) = 231.87 ms
    # > GEMM traffic 3 x (102,228,128 + 112 x 88,911,872) / (0.833 x 900e9) = 40.25 ms (186 MB per conv/fc kernel: the V100
    # HBM table's ceiling, Jia et al. 2018); elementwise 3 x 112 x 236,437,504 B over 3 x 120 launches = 221 MB each
    # -> 0.833 of 900e9: 105.97 ms; the weight update (fp32 Adam, no master copy, one step per batch): 7 x 4 B x 25,557,032
    # = 715.6 MB in one pass -> 0.833 of 900e9: 0.955 ms; step 338.80 ms
    r = Engine.solve(RESNET50_TOTALS, "v100", batch_size=112, precision="fp32", is_training=True)
    step = (3 * 112 * 8.18e9 / (15.7e12 * 0.755) + 3 * 112 * 59_109_376 * 4 / (0.833 * V100_BW)
            + 28 * 25_557_032 / (0.833 * V100_BW))
    assert r.latency.m_as("s") == pytest.approx(step + TAX, rel=REL)
    # launches 3 x 174 x 48 us = 25.06 ms, overlapped with (and far below) the 338.8 ms of device work
    assert r.launch_time.m_as("s") == pytest.approx(3 * 174 * 48e-6, rel=REL)


def test_a_cnn_without_layers_says_so():
    r = Engine.solve("yolov8n", "h100", batch_size=8, precision="fp16")
    assert any("no per-layer shapes" in a for a in r.assumptions)
    assert any("no kernel count" in a for a in r.assumptions)


# ---------------------------------------------------------------------------
# NCHW tensors on tensor cores: a transpose before and after every convolution
# ---------------------------------------------------------------------------


def test_resnet50_conv_inputs_by_hand():
    # He et al. 2016 Table 1 (v1.5: stride on the 3x3 conv): conv1 reads 3x224x224 = 150,528; conv2_x's first block
    # reads 64x56x56 four times (1x1, 3x3, 1x1, projection) = 802,816, the next two 256x56x56 + 2 x 64x56x56 = 1,204,224
    # each; conv3_x 2,107,392 + 3 x 602,112; conv4_x 1,053,696 + 5 x 301,056; conv5_x 526,848 + 2 x 150,528
    total = 150_528 + (802_816 + 2 * 1_204_224) + (2_107_392 + 3 * 602_112) + (1_053_696 + 5 * 301_056) + (526_848 + 2 * 150_528)
    assert total == 10_662_400 == Models.ResNet50.conv_input_values.m_as("count")
    # each transpose reads and writes its tensor: 2 x (10,662,400 in + 11,113,984 out) = 43,552,768 values per image
    assert kernels.layout_transpose_values(10_662_400, 11_113_984) == 43_552_768


def test_nchw_tensor_core_training_pays_the_transposes():
    # A100 TF32 training, batch 256: 3 passes x 256 x 43,552,768 values x 4 B = 133.8 GB more through memory-bound
    # kernels; 120 + 2 x 53 = 226 of them per pass, (59,109,376 + 43,552,768) x 4 B x 256 / 226 = 465 MB each, so
    # the A100 80GB HBM table's ceiling, 0.812 of 2,039 GB/s (Azure's STREAM kernels that write: median of Copy 1.61,
    # Mul 1.61, Add 1.70, Triad 1.70 TB/s = 1.655 TB/s), as at 504 MB each without them; the convs themselves are unchanged
    nhwc = Engine.solve("resnet50", "a100_80gb", batch_size=256, precision="tf32", is_training=True)
    nchw = Engine.solve("resnet50", "a100_80gb", batch_size=256, precision="tf32", is_training=True, memory_format="nchw")
    extra = 3 * 256 * 43_552_768 * 4 / (0.812 * 2039e9)  # 80.8 ms
    assert (nchw.latency - nhwc.latency).m_as("s") == pytest.approx(extra, rel=REL)
    assert nchw.launch_time == nhwc.launch_time  # cuDNN launches them inside the conv call: no framework dispatch
    assert any("memory_format=nchw" in a and "transpose" in a for a in nchw.assumptions)
    assert any("memory_format=nhwc (none given)" in a for a in nhwc.assumptions)


def test_no_transposes_off_the_tensor_cores():
    # the V100 lists no tf32: fp32 runs on the CUDA cores, which take NCHW as it is
    a = Engine.solve("resnet50", "v100", batch_size=112, precision="fp32", is_training=True, memory_format="nchw")
    b = Engine.solve("resnet50", "v100", batch_size=112, precision="fp32", is_training=True, memory_format="nhwc")
    assert a.latency == b.latency
    with pytest.raises(InputError, match="memory_format"):
        Engine.solve("resnet50", "v100", memory_format="chwn")


def test_t4_traffic_at_its_measured_sustained_bandwidth():
    # T4 fp16, batch 256, eager: compute 256 x 8.18e9 / (65e12 x 0.9) = 35.80 ms (38.8 GFLOP per conv kernel: the
    # generic GEMM table's 0.9); GEMM-class traffic 51,114,064 + 256 x 44,455,936 = 11,431,833,680 B, 211.7 MB per
    # conv/fc kernel, at the T4 HBM table's ceiling 0.6875 of 320 GB/s = 220 GB/s (Jia et al. 2019) = 51.96 ms, which
    # outlasts the compute; elementwise 256 x 118,218,752 B (252 MB per kernel) at 220 GB/s = 137.56 ms
    r = Engine.solve(RESNET50_TOTALS, "t4", batch_size=256, precision="fp16")
    assert r.bandwidth_efficiency == 0.6875
    expected = (51_114_064 + 256 * 44_455_936) / 220e9 + 256 * 118_218_752 / 220e9 + TAX
    assert r.latency.m_as("s") == pytest.approx(expected, rel=REL)
    assert r.bound == "memory"
    # a given bandwidth efficiency wins over the table, for the GEMM traffic and the separate kernels alike: at the
    # datasheet 320 GB/s the GEMM traffic takes 35.72 ms, just under the compute's 35.80 ms, which then binds that side
    g = Engine.solve(RESNET50_TOTALS, "t4", batch_size=256, precision="fp16", bandwidth_efficiency=1.0)
    assert g.latency.m_as("s") == pytest.approx(256 * 8.18e9 / (65e12 * 0.9) + 256 * 118_218_752 / 320e9 + TAX, rel=REL)
