"""LLM serving against hand arithmetic.

Llama-3-8B (Meta config.json): 8.03e9 parameters, 32 layers, 8 KV heads of 128 dims.
H100 SXM5 datasheet: 989.4 TFLOP/s dense fp16, 3.35 TB/s, 80 GB. Dispatch tax 10 us.
"""

import pytest

from mlsysim import Q_, Hardware, Models, TransformerWorkload
from mlsysim.solvers import ServingModel

TAX = 10e-6
WEIGHTS = 8.03e9 * 2  # 16.06 GB in fp16


def test_llama3_8b_decode_itl_on_h100_batch1():
    s = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=2048, batch_size=1, precision="fp16")
    kv = 2 * 32 * 8 * 128 * 2048 * 1 * 2  # 268,435,456 B
    assert s.kv_cache_size.m_as("byte") == kv
    # ITL = (16.06 GB + 0.268 GB) / 3.35 TB/s + 10 us = 4.8741 ms + 0.01 ms
    assert s.itl.m_as("s") == pytest.approx((WEIGHTS + kv) / 3.35e12 + TAX)
    assert s.decode_bottleneck == "Memory Bound"


def test_llama3_8b_batch32_ttft_itl():
    s = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=2048, batch_size=32, efficiency=0.5, precision="fp16")
    kv = 2 * 32 * 8 * 128 * 2048 * 32 * 2  # 8,589,934,592 B
    assert s.kv_cache_size.m_as("byte") == kv
    assert s.itl.m_as("s") == pytest.approx((WEIGHTS + kv) / 3.35e12 + TAX)  # 7.368 ms
    # prefill GEMMs: 2 x 8.03e9 x 2048 x 32 = 1.05251e15 flop at 494.7e12 flop/s = 2.1276 s (compute bound: the
    # weights take 16.06e9 / 3.35e12 = 4.8 ms). Causal attention (Llama-3-8B: 32 layers, 32 heads x 128 = 4096 wide):
    # each token attends to (2048 + 1) / 2 = 1024.5 keys on average, 4 x 32 x 1024.5 x 4096 = 537,133,056 flop per
    # token, x 2048 x 32 tokens = 3.5202e13 flop = 71.2 ms (its KV write, 8.59e9 B / 3.35e12 = 2.6 ms, is hidden).
    # TTFT = 2.1276 + 0.0712 s + 10 us = 2.19874 s
    gemm = 2 * 8.03e9 * 2048 * 32
    attention = 4 * 32 * (2049 / 2) * 4096 * 2048 * 32
    assert s.ttft.m_as("s") == pytest.approx((gemm + attention) / 494.7e12 + TAX)
    assert s.prefill_bottleneck == "Compute Bound"
    assert s.memory_footprint.m_as("byte") == pytest.approx(WEIGHTS + kv)
    assert s.decode_throughput.m_as("1/s") == pytest.approx(32 / s.itl.m_as("s"))


def test_kv_cache_memory_wall():
    # batch 256 at 8,192 tokens: KV = 2 x 32 x 8 x 128 x 8192 x 256 x 2 = 274.9 GB > 80 GB
    s = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=8192, batch_size=256)
    assert s.feasible is False and s.bound == "capacity"
    assert "274.9 GB" in s.reason and "80 GB" in s.reason


def test_gqa_shrinks_kv_by_heads_over_kv_heads():
    mha = TransformerWorkload(name="mha", parameters=8e9, layers=32, hidden_dim=4096, heads=32)
    gqa = TransformerWorkload(name="gqa", parameters=8e9, layers=32, hidden_dim=4096, heads=32, kv_heads=8)
    a = ServingModel().solve(mha, Hardware.Cloud.H100, seq_len=4096, batch_size=4)
    b = ServingModel().solve(gqa, Hardware.Cloud.H100, seq_len=4096, batch_size=4)
    assert a.kv_cache_size.m_as("byte") == 4 * b.kv_cache_size.m_as("byte")


def test_moe_decode_reads_active_experts_but_all_resident():
    # Mixtral-like: 46.7e9 total, 12.9e9 active, 8 experts, top-2 (Jiang et al. 2024)
    moe = TransformerWorkload(name="moe", parameters=46.7e9, active_parameters=12.9e9, experts=8, experts_per_token=2,
                              layers=32, hidden_dim=4096, heads=32, kv_heads=8)
    s = ServingModel().solve(moe, Hardware.Cloud.H100, seq_len=1024, batch_size=1, precision="int8", kv_precision="int8")
    kv = 2 * 32 * 8 * 128 * 1024 * 1 * 1
    # batch 1: one token reads the shared weights + 2 experts = exactly the 12.9e9 active params (1 B each in int8)
    assert s.decode_bytes.m_as("byte") == pytest.approx(12.9e9 + kv)
    assert s.weight_memory.m_as("byte") == pytest.approx(46.7e9)
    # fp16: 93.4 GB of experts must be resident -> does not fit in 80 GB
    s16 = ServingModel().solve(moe, Hardware.Cloud.H100, seq_len=1024, batch_size=1, precision="fp16")
    assert s16.feasible is False


def test_serving_rejects_non_transformer():
    from mlsysim import InputError

    with pytest.raises(InputError, match="TransformerWorkload"):
        ServingModel().solve(Models.ResNet50, Hardware.Cloud.H100, seq_len=128)


def test_h100_vs_a100_decode_is_the_bandwidth_ratio():
    # decode is memory bound: ITL ratio ~ 3.35 / 2.039 = 1.64, not the FLOP ratio 989.4 / 312 = 3.17
    h = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=2048, batch_size=1)
    a = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.A100, seq_len=2048, batch_size=1)
    ratio = a.itl.m_as("s") / h.itl.m_as("s")
    assert ratio == pytest.approx(((WEIGHTS + 268_435_456) / 2.039e12 + TAX) / ((WEIGHTS + 268_435_456) / 3.35e12 + TAX))
    assert 1.5 < ratio < 1.8
