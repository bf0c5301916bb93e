"""Serving with the Software wall's size tables, per-pass kernel launches and per-query-head KV reads.

Hand derivations from the registry's numbers (datasheets and the tables' sources):
  A100 SXM: 312 TFLOP/s FP16 dense, 2,039 GB/s; H100 SXM: 989.4 (FP16) / 1,978.9 (FP8) TFLOP/s.
  GEMM tables: A100 16-bit = Calculon's steps capped at 0.859 (Bekman's MAMF, 267.9 / 312);
  H100 FP8 = DeepGEMM's measured shapes (e.g. 4096x7168x2048: 1,025 / 1,978.9 = 0.518);
  otherwise Calculon's 0.1 / 0.6 from 1 GFLOP / 0.9 from 16 / 0.95 from 128 GFLOP.
  HBM table (Calculon): 0.3 / 0.6 from 1 MB / 0.75 from 10 MB / 0.9 from 100 MB.
  Launch: cuda_stream 3.25 us per kernel (CUDA.jl graphs docs: 260 us / 80 kernels).
Llama-2-7B: 32 layers, d 4096, 32 heads x 128, FFN 11008 (gated: 3 matrices), vocab 32000, 6.738e9 parameters.
"""

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers import ServingModel
from mlsysim.solvers.efficiency import efficiency_for
from mlsysim.solvers.weight_streams import matrix_parameters, pass_tables
from mlsysim import measurements


def test_time_weighted_efficiency_is_the_flop_weighted_harmonic_mean():
    # 1 flop at 0.5 takes 2, 3 flop at 0.75 take 4: 4 flop in 6 -> 0.6667
    assert kernels.time_weighted_efficiency([1.0, 3.0], [0.5, 0.75]) == pytest.approx(4.0 / 6.0)
    assert kernels.time_weighted_efficiency([], []) == 1.0


def test_decoder_elementwise_values_by_hand():
    # Llama-2-7B (h = h_kv = 4096, f = 11008, gated): 15h + 4h + 4h + 6f = 160,256 values per token per layer
    assert kernels.decoder_elementwise_values(4096, 4096, 11008, True, 1) == 160256
    # Llama-2-70B on TP 4 (h 8192, h_kv 1024, f 28672): 15h whole + (4h + 4 h_kv + 6f) / 4 = 122,880 + 52,224
    assert kernels.decoder_elementwise_values(8192, 1024, 28672, True, 4) == 15 * 8192 + (4 * 8192 + 4 * 1024 + 6 * 28672) / 4
    # a plain (GELU) FFN: 14h + 4h + 4 h_kv + 4f
    assert kernels.decoder_elementwise_values(1024, 1024, 4096, False, 1) == 22 * 1024 + 4 * 4096


def test_decode_kv_read_factor():
    assert kernels.decode_kv_read_factor(64, 8, True) == 8.0  # Llama-2-70B, a block per query head
    assert kernels.decode_kv_read_factor(64, 8, False) == 1.0  # a GQA-aware kernel
    assert kernels.decode_kv_read_factor(32, 32, True) == 1.0  # MHA: nothing shared


def test_pass_launch_time_by_hand():
    assert kernels.pass_launch_time(32, 12, 3.25e-6) == pytest.approx(1.248e-3)


def test_the_serving_tables_are_their_sources_numbers():
    assert efficiency_for("gemm", 120.3e9, "h100", "fp8") == pytest.approx(round(1025 / 1978.9, 3))  # 0.518
    assert efficiency_for("gemm", 962.1e9, "h100", "fp8") == pytest.approx(round(1358 / 1978.9, 3))  # 0.686
    assert efficiency_for("gemm", 2e9, "h100", "fp8") == 0.111  # M = 64 shapes, median 219 / 1978.9
    assert efficiency_for("gemm", 50e9, "a100_80gb", "fp16") == pytest.approx(round(267.9 / 312, 3))  # 0.859
    assert efficiency_for("gemm", 5e9, "a100_80gb", "fp16") == 0.6  # Calculon's step below the ceiling
    assert efficiency_for("gemm", 50e9, "h100", "fp16") == 0.9  # no H100 16-bit table here: Calculon's


def test_table_ttft_of_a_2048_token_prompt_on_an_a100_by_hand():
    # GEMMs at M = 2048: QKV 2 x 2048 x 50.33e6 = 206 GFLOP, output 68.7, FFN 184.7 each, head 537: all >= 16 GFLOP -> 0.859
    flops = 2 * 6.738e9 * 2048  # 27.60 TFLOP
    gemm = flops / (312e12 * 0.859)  # 102.98 ms; weights 13.476 GB at <= 0.812 of 2,039 GB/s: 8.1 ms, hidden
    # attention: 2048 x 4 x 32 layers x 1024.5 keys x 4096 = 1.0998 TFLOP, 34.4 GFLOP per layer -> 0.859;
    # its KV writes (2048 x 524,288 B = 1.07 GB, 33.5 MB per layer -> 0.75) take 0.70 ms, hidden
    attention = 2048 * 4 * 32 * 1024.5 * 4096 / (312e12 * 0.859)  # 4.10 ms
    # norms, residual adds, rotary and SiLU x up: 15h + 4h + 4 h_kv + 6f = 23 x 4096 + 6 x 11008 = 160,256 values per
    # token per layer, 2 B each, x 32 layers x 2048 tokens = 21.01 GB; 109 MB per kernel (6 per layer) -> the A100 80GB
    # HBM table's ceiling, 0.812 of 2,039 GB/s (Azure ND A100 v4 STREAM: median of Copy, Mul, Add, Triad = 1.655 TB/s)
    elementwise = 160256 * 2 * 32 * 2048 / (2.039e12 * 0.812)  # 12.69 ms
    r = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=2048, precision="fp16", efficiency="table")
    assert r.ttft.m_as("s") == pytest.approx(gemm + attention + elementwise + 10e-6, rel=1e-4)  # + the 10 us dispatch tax
    assert str(r.prefill_wall) == "compute"


def test_fp8_attention_computes_at_the_16_bit_peak():
    # Llama-2-7B prefill of 2048 tokens on an H100 in FP8: 34.4 GFLOP of attention per layer -> Calculon's 0.9
    # of the FP16 peak, which is 989.4 / 1978.9 = 0.49997 of the FP8 peak the plan's rates are scaled from
    m, hw = Models.get("llama2_7b"), Hardware.get("h100")
    attention = 2048 * kernels.attention_flops_per_token(32, 1024.5, 4096)
    t = pass_tables(m, matrix_parameters(m), hw, "fp8", 2048.0, attention, 2048 * 262144.0, 1, 1.0, 1.0)
    assert t.attention == pytest.approx(0.9 * 989.4 / 1978.9)
    # GEMMs in FP8 at M = 2048: QKV 206 GFLOP -> 0.580, output 68.7 -> 0.326, FFN 184.7 -> 0.518, head 537 -> 0.686
    f = [206.2e9 * 32, 68.72e9 * 32, 184.7e9 * 96, 536.9e9]
    assert t.gemm == pytest.approx(kernels.time_weighted_efficiency(f, [0.580, 0.326, 0.518, 0.686]), rel=1e-3)


def test_kernel_launches_are_charged_per_pass():
    solve = ServingModel().solve
    base = solve("llama2_7b", "h100", input_tokens=128, output_tokens=16, precision="fp8", efficiency="table")
    with_launch = solve("llama2_7b", "h100", input_tokens=128, output_tokens=16, precision="fp8", efficiency="table",
                        kernels_per_layer=12)
    # 32 layers x 12 kernels x 3.25 us = 1.248 ms on the prefill and on every decode step
    assert (with_launch.ttft - base.ttft).m_as("s") == pytest.approx(1.248e-3)
    assert (with_launch.itl - base.itl).m_as("s") == pytest.approx(1.248e-3)
    tp = solve("llama2_70b", "h100", input_tokens=128, precision="fp8", tp=4, efficiency="table", kernels_per_layer=12)
    tp0 = solve("llama2_70b", "h100", input_tokens=128, precision="fp8", tp=4, efficiency="table")
    # TP adds its 2 all-reduce kernels per layer: 80 x 14 x 3.25 us = 3.64 ms
    assert (tp.ttft - tp0.ttft).m_as("s") == pytest.approx(3.64e-3)
    graph = solve("llama2_7b", "h100", input_tokens=128, precision="fp8", efficiency="table", kernels_per_layer=12, launch="cuda_graph")
    assert (graph.ttft - solve("llama2_7b", "h100", input_tokens=128, precision="fp8", efficiency="table").ttft).m_as("s") == \
        pytest.approx(32 * 12 * 0.875e-6)


def test_per_query_head_kv_reads_multiply_a_gqa_models_kv_traffic():
    # Llama-2-70B: 80 layers x 2 x 8 KV heads x 128 x 1 B (FP8) = 163,840 B per token; mean context 2048 + 2048 / 2 = 3072;
    # batch 64: 32.21 GB of KV per step, read 64 / 8 = 8 times instead of once: 7 x 32.21 GB more
    kw = dict(input_tokens=2048, output_tokens=2048, batch_size=64, precision="fp8", kv_precision="fp8", tp=2)
    once = ServingModel().solve("llama2_70b", "h100", **kw)
    per_head = ServingModel().solve("llama2_70b", "h100", kv_per_query_head=True, **kw)
    assert (per_head.decode_bytes - once.decode_bytes).m_as("B") == pytest.approx(7 * 163840 * 3072 * 64)
    assert per_head.ttft == once.ttft  # the prefill is not touched
    mha = ServingModel().solve("llama2_7b", "h100", kv_per_query_head=True, input_tokens=128, output_tokens=128, precision="fp8")
    assert mha.decode_bytes == ServingModel().solve("llama2_7b", "h100", input_tokens=128, output_tokens=128, precision="fp8").decode_bytes


def test_flat_efficiency_is_unchanged_by_the_new_options():
    # the defaults reproduce the one-number roofline: Llama-2-7B FP16 on an A100, 2048-token prompt at 0.5 of peak
    r = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=2048, precision="fp16", efficiency=0.5)
    flops = 2 * 6.738e9 * 2048 + 2048 * 4 * 32 * 1024.5 * 4096
    assert r.ttft.m_as("s") == pytest.approx(flops / (312e12 * 0.5) + 10e-6, rel=1e-6)


@pytest.mark.parametrize("kwargs, field", [
    (dict(efficiency="tables"), "efficiency"),
    (dict(efficiency=0.5, framework_factor=0.8), "framework_factor"),
    (dict(efficiency="table", framework_factor=1.5), "framework_factor"),
    (dict(efficiency="table", kernels_per_layer=0), "kernels_per_layer"),
    (dict(efficiency="table", kernels_per_layer=12, launch="warp"), "launch"),
])
def test_bad_table_options_name_the_argument(kwargs, field):
    with pytest.raises(InputError) as e:
        ServingModel().solve("llama2_7b", "h100", input_tokens=128, precision="fp8", **kwargs)
    assert e.value.field == field


def test_a_framework_factor_scales_every_gemm_table():
    one = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=2048, precision="fp16", efficiency="table")
    half = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=2048, precision="fp16", efficiency="table", framework_factor=0.5)
    # the GEMMs and the attention take twice as long; the memory-bound traffic (weights, KV, norms ...) does not change
    assert half.prefill_compute_time.m_as("s") == pytest.approx(2 * one.prefill_compute_time.m_as("s"), rel=1e-9)
    assert half.prefill_memory_time == one.prefill_memory_time
    # compute-bound GEMMs and attention (see above), so the TTFT grows by exactly their time
    assert (half.ttft - one.ttft).m_as("s") == pytest.approx(one.prefill_compute_time.m_as("s"), rel=1e-9)


def test_the_tensorrt_llm_profile_scores_the_llama_70b_cases_once_pending():
    _, cases = measurements.load_cases()
    by_id = {c.id: c for c in cases}
    for cid in ("trtllm-tput-h100-llama70b-tp4-b480-128-2048", "trtllm-tput-h100-llama70b-tp2-b64-2048-2048"):
        assert by_id[cid].scored
        assert by_id[cid].profile["kv_reads"] == "per-query-head"


def test_floats_is_the_public_float_view():
    r = ServingModel().solve("llama2_7b", "h100", input_tokens=128, output_tokens=64, precision="fp8")
    assert r.floats.ttft == r.ttft.m_as("s") and r.floats.itl == r.itl.m_as("s")
    assert r.floats.request_latency == pytest.approx(r.request_latency.m_as("s"))


@pytest.mark.parametrize("precision", ["int8", "int4"])
def test_the_sensitivity_adapter_serves_int8_and_int4_as_the_solver_does(precision):
    # the adapter's base point is ServingModel's own (weight-only kernel: 16-bit arithmetic, group scales, stream fraction)
    from mlsysim.solvers.sensitivity import serving_problem
    prob = serving_problem("llama2_7b", "a100_80gb", seq_len=1024, batch_size=4, precision=precision)
    got = prob.function(dict(prob.knobs))
    r = ServingModel().solve("llama2_7b", "a100_80gb", seq_len=1024, batch_size=4, precision=precision)
    assert got["ttft"] == pytest.approx(r.floats.ttft, rel=1e-9)
    assert got["itl"] == pytest.approx(r.floats.itl, rel=1e-9)
    # the knob's peak is the 16-bit peak the weight-only kernel multiplies at (312 TFLOP/s), not int8's 624
    assert prob.knobs["peak_flops"] == pytest.approx(312e12)


@pytest.mark.parametrize("profile, field", [
    ({"compute": "tables"}, "compute"), ({"kernels_per_layer": 0}, "kernels_per_layer"),
    ({"kernels_per_layer": 2.5}, "kernels_per_layer"), ({"kv_reads": "twice"}, "kv_reads"),
    ({"launch": "warp"}, "launch"), ({"framework_factor": 1.2}, "framework_factor"),
])
def test_a_bad_serving_profile_field_is_named(profile, field):
    raw = {"kind": "serving_ttft", "model": "llama2_7b", "hardware": "h100", "batch": 1, "input_len": 128,
           "precision": "fp8", "measured": {"value": 7, "unit": "ms"}, "profile": profile}
    with pytest.raises(InputError) as e:
        measurements.make_case(raw)
    assert e.value.field.endswith(field)


def test_a_calibrated_table_profile_is_one_fitted_efficiency():
    # calibrating a case whose profile reads the tables fits one efficiency, which then replaces the tables
    _, cases = measurements.load_cases()
    case = measurements.find("trtllm-ttft-h100-llama7b-in2048", cases)
    fitted = measurements.predict(case.with_profile(efficiency=0.4))
    assert "efficiency=0.4 of dense peak" in fitted.assumptions[0]
    assert "Software wall's size tables" in measurements.predict(case).assumptions[0]
