"""Serving as the benchmarks measure it: input and output lengths, KV precision, tensor parallelism, by hand.

Llama-2-7B (Touvron et al. 2023): 6.738e9 parameters, 32 layers, 32 heads (and 32 KV heads) of 128.
Llama-2-70B: 68.98e9 parameters, 80 layers, 8192 wide, 64 heads, 8 KV heads of 128.
H100 SXM5 datasheet: 989.4 TFLOP/s dense fp16, 1978.9 fp8, 3.35 TB/s, 80 GB, NVLink 450 GB/s per direction.
Dispatch tax 10 us per pass; all-reduce alpha 2 us (solvers/defaults.py). Tolerance: 1e-9 relative
(float arithmetic only), unless said otherwise.
"""

import math

import pytest

from mlsysim import Hardware, InputError, Models, SystemLedger
from mlsysim.physics import kernels
from mlsysim.solvers import ServingModel
from mlsysim.solvers.batching import ContinuousBatchingModel
from mlsysim.walls import Wall

TAX = 10e-6
P7 = 6.738e9
FP8_RATE = 1978.9e12 * 0.4  # 791.56e12 flop/s at the TensorRT-LLM efficiency 0.4
BW = 3.35e12
KV8 = 2 * 32 * 32 * 128 * 1  # bytes of one token's K and V in fp8: 262,144
REL = 1e-9


# -- kernels ---------------------------------------------------------------------------------------------


def test_causal_and_decode_mean_contexts_by_hand():
    # a 4-token prompt: tokens attend to 1, 2, 3, 4 keys -> mean 2.5 = (4 + 1) / 2
    assert kernels.causal_prefill_mean_context(4) == sum([1, 2, 3, 4]) / 4
    # 10 prompt + 4 output tokens: the prefill emits token 1, decode steps j = 1..3 read 11, 12, 13 tokens -> 12 = 10 + 4 / 2
    assert kernels.decode_mean_context(10, 4) == sum([11, 12, 13]) / 3


def test_sequential_roofline_by_hand():
    # GEMM: 100 flop at 10 flop/s = 10 s vs 20 B at 10 B/s = 2 s -> 10 s; attention: 10 flop (1 s) vs 50 B (5 s) -> 5 s
    t, compute, memory = kernels.sequential_roofline(100, 20, 10, 50, 10, 10)
    assert (t, compute, memory) == (15.0, 11.0, 7.0)
    # one combined roofline would say max(11, 7) = 11 s: the kernels do not overlap
    assert kernels.sequential_roofline(1, 1, 1, 1, 0.0, 1.0)[0] == math.inf  # no arithmetic: no time


# -- one accelerator: a TensorRT-LLM peak-throughput case by hand ------------------------------------


def test_whole_request_llama2_7b_h100_fp8_batch768_128_128():
    r = ServingModel().solve("llama2_7b", "h100", input_tokens=128, output_tokens=128, batch_size=768, precision="fp8",
                             kv_precision="fp8", efficiency=0.4)
    # prefill, 768 x 128 = 98,304 tokens:
    #   GEMMs 2 x 6.738e9 x 98,304 = 1.32475e15 flop / 791.56e12 = 1.6736 s (weights 6.738e9 B / 3.35e12 = 2 ms)
    #   attention 98,304 x 4 x 32 x (129 / 2) x 4096 = 3.3243e12 flop = 4.2 ms < KV write 98,304 x 262,144 B / 3.35e12 = 7.69 ms
    tokens = 768 * 128
    ttft = 2 * P7 * tokens / FP8_RATE + tokens * KV8 / BW + TAX
    assert r.ttft.m_as("s") == pytest.approx(ttft, rel=REL)
    # decode at the mean cache 128 + 128 / 2 = 192 tokens:
    #   GEMMs 2 x 6.738e9 x 768 = 1.03496e13 flop / 791.56e12 = 13.075 ms (> 2 ms of weights)
    #   attention reads 768 x 192 x 262,144 B = 3.8655e10 B / 3.35e12 = 11.539 ms (> 0.1 ms of its flops)
    itl = 2 * P7 * 768 / FP8_RATE + 768 * 192 * KV8 / BW + TAX
    assert r.itl.m_as("s") == pytest.approx(itl, rel=REL)  # 24.62 ms
    # the prefill emits the first token: T = TTFT + 127 x ITL = 1.6813 + 3.1268 = 4.808 s
    t = ttft + 127 * itl
    assert r.request_latency.m_as("s") == pytest.approx(t, rel=REL)
    assert r.output_tokens_per_second.m_as("1/s") == pytest.approx(768 * 128 / t, rel=REL)  # 20,445 (TRT-LLM: 19,694)
    assert r.tokens_per_second.m_as("1/s") == pytest.approx(768 * 256 / t, rel=REL)
    assert r.requests_per_second.m_as("1/s") == pytest.approx(768 / t, rel=REL)
    # the capacity check is at the longest context, 256 tokens
    assert r.kv_cache_size.m_as("B") == pytest.approx(768 * 256 * KV8, rel=REL)
    assert (r.input_tokens, r.output_tokens, r.seq_len) == (128, 128, 256)
    # per phase: the prefill is compute-bound (1.674 s of compute vs 9.7 ms of traffic); in decode the reads
    # (2.011 + 11.539 = 13.55 ms) just outweigh the compute (13.075 + 0.098 = 13.17 ms)
    assert r.prefill_wall is Wall.COMPUTE and r.decode_wall is Wall.MEMORY
    assert r.bound is Wall.MEMORY  # decode (127 x 24.6 ms = 3.13 s) is longer than prefill (1.68 s)


def test_long_prompt_short_output_is_prefill_bound_and_long_output_memory_bound():
    # 2048 in / 2 out: prefill (~36 ms at batch 1) dwarfs one decode step (~2 ms) -> the prefill's wall
    short = ServingModel().solve("llama2_7b", "h100", input_tokens=2048, output_tokens=2, precision="fp8", efficiency=0.4)
    assert short.bound is Wall.COMPUTE and short.prefill_wall is Wall.COMPUTE
    # 128 in / 2048 out at batch 1: 2047 decode steps of weights + KV reads -> memory
    long = ServingModel().solve("llama2_7b", "h100", input_tokens=128, output_tokens=2048, precision="fp8", efficiency=0.4)
    assert long.bound is Wall.MEMORY and long.decode_wall is Wall.MEMORY


def test_seq_len_keeps_its_single_length_meaning():
    # no output_tokens: a 1024-token prompt and a decode step over a 1024-token cache; no whole-request figures
    r = ServingModel().solve("llama2_7b", "h100", seq_len=1024, precision="fp16")
    kv = 2 * 32 * 32 * 128 * 1024 * 2
    assert r.itl.m_as("s") == pytest.approx((P7 * 2 + kv) / BW + TAX, rel=REL)
    assert r.request_latency is None and r.output_tokens is None and r.seq_len == 1024
    assert any("single length" in a for a in r.assumptions)
    # the same prompt via input_tokens gives the same TTFT
    same = ServingModel().solve("llama2_7b", "h100", input_tokens=1024, precision="fp16")
    assert same.ttft == r.ttft


# -- KV precision ------------------------------------------------------------------------------------------


def test_fp8_weights_default_to_a_16_bit_kv_cache():
    default = ServingModel().solve("llama2_7b", "h100", input_tokens=512, output_tokens=512, batch_size=8, precision="fp8")
    fp8 = ServingModel().solve("llama2_7b", "h100", input_tokens=512, output_tokens=512, batch_size=8, precision="fp8", kv_precision="fp8")
    assert default.kv_precision == "fp16" and fp8.kv_precision == "fp8"
    # 2 x 32 x 32 x 128 x 1024 tokens x 8 x 2 B = 4.295 GB, twice the fp8 cache
    assert default.kv_cache_size.m_as("B") == pytest.approx(2 * 32 * 32 * 128 * 1024 * 8 * 2, rel=REL)
    assert default.kv_cache_size.m_as("B") == pytest.approx(2 * fp8.kv_cache_size.m_as("B"), rel=REL)
    assert any("16-bit" in a for a in default.assumptions) and any("(given)" in a for a in fp8.assumptions)
    bf16 = ServingModel().solve("llama2_7b", "h100", precision="bf16")
    assert bf16.kv_precision == "bf16"  # 16-bit weights keep their own precision


def test_kv_precision_reaches_the_ledger_audit_and_batching():
    # Llama-3-8B (32 layers, 8 KV heads of 128): one token's KV is 2 x 32 x 8 x 128 = 65,536 values
    ledger16 = SystemLedger.serve("llama3_8b", "h100", precision="fp8", seq_len=4096, batch_size=16)
    ledger8 = SystemLedger.serve("llama3_8b", "h100", precision="fp8", seq_len=4096, batch_size=16, kv_precision="fp8")
    assert ledger16.kv_precision == "fp16" and ledger8.kv_precision == "fp8"
    # the fp16 cache is 65,536 x 4096 x 16 x 1 B = 4.295 GB larger
    diff = ledger16.memory_per_accelerator.m_as("B") - ledger8.memory_per_accelerator.m_as("B")
    assert diff == pytest.approx(65536 * 4096 * 16, rel=REL)
    assert "fp8" in ledger8.audit.row("serving").note
    b = ContinuousBatchingModel().solve("llama3_8b", "h100", precision="fp8")
    assert b.kv_precision == "fp16" and b.kv_bytes_per_token.m_as("B") == pytest.approx(65536 * 2, rel=REL)
    assert ContinuousBatchingModel().solve("llama3_8b", "h100", precision="fp8", kv_precision="fp8").kv_bytes_per_token.m_as("B") == pytest.approx(65536, rel=REL)


# -- tensor parallelism ------------------------------------------------------------------------------------


def test_tensor_parallel_decode_of_llama2_70b_on_two_h100_by_hand():
    r = ServingModel().solve("llama2_70b", "h100", seq_len=1024, batch_size=1, precision="fp16", tp=2)
    w = 68.98e9 * 2
    kv = 2 * 80 * 8 * 128 * 1024 * 2  # 335.5 MB
    # each accelerator reads half the weights and half the KV heads at 3.35 TB/s: (W + KV) / (2 x 3.35e12) = 20.64 ms;
    # 2 all-reduces per layer of 1 token x 8192 x 2 B over 2 GPUs (ring): 2 (2-1) x 2 us + 2 (1/2) x 16,384 / 450e9
    allreduce = 2 * 1 * 2e-6 + 2 * (1 / 2) * 16384 / 450e9
    assert r.decode_comm_time.m_as("s") == pytest.approx(2 * 80 * allreduce, rel=REL)  # 0.646 ms
    assert r.itl.m_as("s") == pytest.approx((w + kv) / (2 * BW) + TAX + 2 * 80 * allreduce, rel=REL)
    assert r.memory_per_accelerator.m_as("B") == pytest.approx((w + kv) / 2, rel=REL)
    assert r.memory_capacity.m_as("GB") == pytest.approx(160) and r.feasible and r.tp == 2
    assert r.hardware.startswith("2 x ")
    # on one H100 the 138 GB of fp16 weights do not fit
    one = ServingModel().solve("llama2_70b", "h100", seq_len=1024, precision="fp16")
    assert not one.feasible and one.bound is Wall.CAPACITY


def test_tensor_parallel_prefill_all_reduces_scale_with_the_prompt():
    r = ServingModel().solve("llama2_70b", "h100", input_tokens=2048, batch_size=1, precision="fp8", tp=4)
    # 2 x 80 all-reduces of 2048 x 8192 x 2 B = 33.55 MB over 4 GPUs: 2 x 3 x 2 us + 2 x 3/4 x 33.55e6 / 450e9 = 123.8 us each
    allreduce = 2 * 3 * 2e-6 + 2 * 3 / 4 * 2048 * 8192 * 2 / 450e9
    assert r.prefill_comm_time.m_as("s") == pytest.approx(2 * 80 * allreduce, rel=REL)  # 19.8 ms of the TTFT


def test_bad_serving_inputs_name_the_argument():
    m = ServingModel()
    with pytest.raises(InputError, match="seq_len"):
        m.solve("llama2_7b", "h100", seq_len=512, input_tokens=512)
    with pytest.raises(InputError, match="tp"):
        m.solve("llama2_7b", "h100", tp=0)
    with pytest.raises(InputError, match="output_tokens"):
        m.solve("llama2_7b", "h100", output_tokens=0)
    with pytest.raises(InputError, match="kv_precision"):
        m.solve("llama2_7b", "h100", kv_precision="int3")
    with pytest.raises(InputError, match="link_bandwidth"):
        m.solve("llama2_7b", "h100", tp=2, link_bandwidth="0 GB/s")
    with pytest.raises(InputError, match="link_latency"):
        m.solve("llama2_7b", "h100", tp=2, link_latency="-1 us")


def test_tail_latency_takes_the_whole_request_from_a_serving_result():
    from mlsysim.solvers.tail_latency import TailLatencyModel

    s = ServingModel().solve("llama2_7b", "h100", input_tokens=128, output_tokens=64, precision="fp16")
    # service time = TTFT + 63 decode steps, the request latency the serving result reports
    expected = s.ttft.m_as("s") + 63 * s.itl.m_as("s")
    assert s.request_latency.m_as("s") == pytest.approx(expected, rel=REL)
    q = TailLatencyModel().solve("1 1/s", s)
    assert q.service_time.m_as("s") == pytest.approx(expected, rel=REL)
    legacy = ServingModel().solve("llama2_7b", "h100", seq_len=128, precision="fp16")
    with pytest.raises(InputError, match="output_tokens"):
        TailLatencyModel().solve("1 1/s", legacy)
