"""The attention term of forward compute, checked against the two published conventions."""

from mlsysim.physics import kernels


def test_causal_half_window_gives_kaplan_table_1():
    # Kaplan et al. 2020, Table 1: C_forward = 2N + 2 n_layer n_ctx d_attn.
    # GPT-3 175B (Brown et al. 2020, Table 2.1): 96 layers, d_attn 12,288, n_ctx 2,048.
    # 2 x 96 x 2,048 x 12,288 = 4,831,838,208 FLOPs per token.
    assert kernels.attention_flops_per_token(96, 2048 / 2, 12288) == 4_831_838_208


def test_full_window_gives_megatron_term():
    # Narayanan et al. 2021, Sec. 5.1: 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) per iteration,
    # with recompute (4 forward-equivalent passes). The s/(6h) part per token per pass is
    # 96 l h^2 s / (6h) / 4 = 4 l s h. For l=96, s=2,048, h=12,288: 4 x 96 x 2,048 x 12,288.
    per_token_per_pass = 96 * 96 * 12288**2 * (2048 / (6 * 12288)) / 4
    assert kernels.attention_flops_per_token(96, 2048, 12288) == per_token_per_pass == 9_663_676_416


def test_attention_is_small_against_2p_at_short_context():
    # 2P for GPT-3 is 2 x 175e9 = 3.5e11; the causal attention term at 2,048 is 4.83e9, 1.4%.
    share = kernels.attention_flops_per_token(96, 1024, 12288) / kernels.inference_flops_per_token(175e9)
    assert 0.013 < share < 0.015
