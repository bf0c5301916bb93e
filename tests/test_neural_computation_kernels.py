"""The layer-level kernels of the neural-computation lab, derived by hand from their sources."""
from __future__ import annotations

import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels


def test_conv2d_flops_by_hand_resnet50_layer():
    # ResNet-50 conv2_x 3x3, 64 -> 64 channels on a 56 x 56 map, batch 1 (He et al. 2016, Table 1):
    # M = 56 x 56 = 3136 pixels, N = 64, K = 64 x 3 x 3 = 576: 2 x 3136 x 64 x 576 = 231,211,008 flop
    assert kernels.conv2d_flops(1, 56, 56, 64, 64, 3, 3) == 231_211_008
    # batch 8: 8x the work
    assert kernels.conv2d_flops(8, 56, 56, 64, 64, 3, 3) == 8 * 231_211_008


def test_conv2d_bytes_by_hand():
    # same layer, fp16: input 56 x 56 x 64 = 200,704, filters 9 x 64 x 64 = 36,864, output 200,704 values
    # = 438,272 values x 2 B = 876,544 B
    assert kernels.conv2d_bytes(1, 56, 56, 64, 56, 56, 64, 3, 3, 2.0) == 876_544
    assert formulas.calc_conv2d_bytes(1, 56, 56, 64, 56, 56, 64, 3, 3, 2).to("byte").magnitude == 876_544


def test_attention_core_bytes_by_hand():
    # one head, s = 4, d_h = 2, 1 byte per value: Q K^T reads 4x2 + 2x4 = 16, writes 4x4 = 16; P V reads
    # 16 + 8, writes 8: 64 values = 4 s d_h + 2 s^2 = 32 + 32
    assert kernels.attention_core_bytes(1, 1, 4, 2, 1.0) == 64
    # Llama-2-7B-like layer: 32 heads x 128, s = 2048, fp16, batch 1:
    # per head 4 x 2048 x 128 + 2 x 2048^2 = 1,048,576 + 8,388,608 = 9,437,184 values; x 32 x 2 B = 603,979,776 B
    assert kernels.attention_core_bytes(1, 32, 2048, 128, 2.0) == 603_979_776


def test_attention_flops_agree_with_the_two_gemms():
    # 4 n_ctx d_attn per token per layer (Megatron convention) over s tokens = the two GEMMs 2 s s d_h + 2 s d_h s per head
    b, a, s, dh = 2, 8, 512, 64
    two_gemms = kernels.gemm_flops(s, s, dh, b * a) + kernels.gemm_flops(s, dh, s, b * a)
    assert two_gemms == 4 * b * a * s * s * dh
    assert kernels.attention_flops_per_token(1, s, a * dh) * b * s == two_gemms


def test_saved_values_by_hand():
    # Korthikanti et al. 2022, Sec. 4.1 at 2 B/value: Q, K 4sbh + V 2sbh + softmax 2as^2b bytes
    # s = 1024, b = 2, h = 1024 (16 heads x 64): 6 x 1024 x 2 x 1024 + 2 x 16 x 1024^2 x 2 = 12.58e6 + 67.1e6 bytes
    bytes_at_2 = 2 * kernels.attention_saved_values(2, 16, 1024, 64)
    assert bytes_at_2 == 6 * 1024 * 2 * 1024 + 2 * 16 * 1024**2 * 2
    assert kernels.linear_saved_values(2048, 4096) == 2048 * 4096


def test_bad_input_names_the_argument():
    with pytest.raises(InputError, match="out_channels"):
        formulas.calc_conv2d_flops(1, 56, 56, 64, 0, 3, 3)
    with pytest.raises(InputError, match="bytes_per_value"):
        formulas.calc_attention_core_bytes(1, 32, 2048, 128, -2)
    with pytest.raises(InputError, match="seq_len"):
        formulas.calc_attention_saved_values(1, 32, 2.5, 128)


def test_score_bytes_and_parameters_by_hand():
    # the s^2 part of the 64 values of the s = 4, d_h = 2 head above: 2 x 16 = 32
    assert kernels.attention_score_bytes(1, 1, 4, 1.0) == 32
    # 32 heads, s = 2048, fp16: 32 x 2 x 2048^2 x 2 B = 536,870,912 B of the 603,979,776 above
    assert kernels.attention_score_bytes(1, 32, 2048, 2.0) == 536_870_912
    # ResNet-50's 3x3, 64 -> 64 conv: 9 x 64 x 64 = 36,864 weights; a 4096 x 4096 dense layer 16,777,216
    assert formulas.calc_conv2d_parameters(64, 64, 3, 3).magnitude == 36_864
    assert formulas.calc_dense_parameters(4096, 4096).magnitude == 16_777_216


def test_attention_parity_context_by_hand():
    # Llama-3-8B: N = 8.03e9, 32 layers, d_attn = 32 x 128 = 4096: n_ctx = 8.03e9 / (2 x 32 x 4096) = 30,632 tokens
    n_ctx = kernels.attention_parity_context(8.03e9, 32, 4096)
    assert n_ctx == pytest.approx(30_632, rel=1e-4)
    # at that context the two per-token terms agree
    assert kernels.attention_flops_per_token(32, n_ctx, 4096) == pytest.approx(kernels.inference_flops_per_token(8.03e9))
    # a model of only its 12 L d^2 layer weights: n_ctx = 12 L d^2 / (2 L d) = 6 d
    assert kernels.attention_parity_context(12 * 24 * 1024**2, 24, 1024) == pytest.approx(6 * 1024)
    with pytest.raises(InputError, match="layers"):
        formulas.calc_attention_parity_context(8.03e9, 0, 4096)
