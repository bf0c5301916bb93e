"""Weight-only quantised decode, size-dependent weight streams and the A100's 80 GiB, by hand.

Llama-2-7B (Touvron et al. 2023): 6.738e9 parameters, 32 layers, 4096 wide, 32 heads (and KV heads) of 128,
FFN 11008 (gated: 3 matrices), vocabulary 32000. A100 SXM4 80GB datasheet: 312 TFLOP/s dense fp16,
2.039 TB/s; 80 GiB (nvidia-smi: 81920 MiB). Weight-only kernels (registry/walls/weight_only.toml, from
torchao's A100 table): int8 streams at 1131.18 / 1418.93 = 0.797 of the bf16 kernel's bandwidth, int4 at
751.42 / 1418.93 = 0.530, with a bf16 scale and zero point per group (4 / g bytes per weight).
Calculon's HBM table (registry/walls/efficiency.toml): 0.75 from 10 MB, 0.9 from 100 MB.
Dispatch tax 10 us per pass. Tolerance 1e-9 relative (float arithmetic only).
"""

import pytest

from mlsysim import InputError, measurements
from mlsysim.physics import kernels
from mlsysim.solvers import ServingModel
from mlsysim.solvers.weight_streams import matrix_parameters, stream_size_factor

P7 = 6.738e9
BW = 2.039e12
TAX = 10e-6
KV16 = 2 * 32 * 32 * 128 * 2  # one token's K and V over all layers in fp16: 524,288 B
REL = 1e-9


def test_group_scale_and_size_kernels_by_hand():
    assert kernels.group_scale_bytes_per_weight(32, 2) == 4 / 32 == 0.125  # bf16 scale + zero point per 32 weights
    assert kernels.group_scale_bytes_per_weight(0, 2) == 0.0  # per-channel scales: negligible
    assert kernels.group_quantized_weight_bytes(1e9, 0.5, 0.125) == 6.25e8
    # a STREAM figure of 0.834 carried to a 10-100 MB transfer: 0.834 x 0.75 / 0.9 = 0.695
    assert kernels.size_scaled_efficiency(0.834, 0.75, 0.9) == pytest.approx(0.695, rel=REL)


def test_int4_weight_only_decode_step_by_hand():
    s = ServingModel().solve("llama2_7b", "a100_80gb", seq_len=512, precision="int4", kv_precision="fp16", group_size=32)
    weights = P7 * (0.5 + 4 / 32)  # 4.21125e9 B: int4 values plus the group scales
    assert s.weight_memory.m_as("byte") == pytest.approx(weights, rel=REL)
    # weights at 0.530 of the bandwidth: 4.21125e9 / (2.039e12 x 0.53) = 3.8969 ms (16-bit GEMMs: 13.476 GFLOP at
    # 312e12 x 0.5 = 0.086 ms, far below); KV of 512 tokens: 524,288 x 512 / 2.039e12 = 0.1316 ms; + 10 us
    expected = weights / (BW * 0.530) + KV16 * 512 / BW + TAX
    assert s.itl.m_as("s") == pytest.approx(expected, rel=REL)
    assert s.decode_bottleneck == "Memory Bound"
    assert any("weight-only kernel 'int4_weight_only'" in a for a in s.assumptions)
    # integer arithmetic on the packed weights (no dequantisation): every byte at the datasheet rate
    native = ServingModel().solve("llama2_7b", "a100_80gb", seq_len=512, precision="int4", kv_precision="fp16", weight_kernel="native")
    assert native.itl.m_as("s") == pytest.approx(P7 * 0.5 / BW + KV16 * 512 / BW + TAX, rel=REL)


def test_int8_weight_only_uses_per_channel_scales():
    s = ServingModel().solve("llama2_7b", "a100_80gb", seq_len=512, precision="int8", kv_precision="fp16")
    assert s.weight_memory.m_as("byte") == pytest.approx(P7, rel=REL)  # one byte per weight, scales negligible
    assert s.itl.m_as("s") == pytest.approx(P7 / (BW * 0.797) + KV16 * 512 / BW + TAX, rel=REL)


def test_llama2_7b_matrices_and_their_stream_factor_by_hand():
    layer, head = matrix_parameters(__import__("mlsysim").Models.get("llama2_7b"))
    # fused QKV 4096 x (32 + 2 x 32) x 128 = 50.33M, output 4096 x 4096 = 16.78M, three 4096 x 11008 = 45.09M; head 32000 x 4096
    assert layer == [4096 * 12288, 4096 * 4096, 4096 * 11008, 4096 * 11008, 4096 * 11008]
    assert head == 32000 * 4096
    # bf16: QKV 100.66 MB and head 262.1 MB reach the large-stream 0.9 (factor 1); output 33.55 MB and FFN 90.18 MB
    # reach 0.75, 0.75 / 0.9 = 5/6 of it. Factor = total bytes / sum(bytes / factor)
    b = [2 * m for m in layer]
    total = 32 * sum(b) + 2 * head
    slow = 32 * (b[0] + (b[1] + 3 * b[2]) * 6 / 5) + 2 * head
    factor = stream_size_factor(b, 32.0, 2.0 * head)
    assert factor == pytest.approx(total / slow, rel=REL)
    assert factor == pytest.approx(13214.15 / 15160.31, rel=1e-6)  # MB: 32 x 404.75 + 262.1 over 32 x 465.56 + 262.1 = 0.8716
    # decode at the Triad figure 0.834, each matrix at its size's share of it
    s = ServingModel().solve("llama2_7b", "a100_80gb", seq_len=512, precision="bf16", bandwidth_efficiency=0.834,
                             size_dependent_streams=True)
    expected = 2 * P7 / (BW * 0.834 * factor) + KV16 * 512 / (BW * 0.834) + TAX
    assert s.itl.m_as("s") == pytest.approx(expected, rel=REL)


def test_a100_80gb_holds_80_gib():
    # TensorRT-LLM's measured A100 row: Llama-2-7B fp16, batch 60, input 128 + output 2048 = 2176 tokens:
    # 13.476e9 B of weights + 524,288 x 2176 x 60 = 68.45e9 B of KV cache = 81.93e9 <= 85.90e9 (80 GiB): fits
    fits = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=128, output_tokens=2048, batch_size=60)
    assert fits.feasible and fits.memory_capacity.m_as("byte") == 80 * 2**30
    # batch 64: 13.476e9 + 524,288 x 2176 x 64 = 86.49e9 > 85.90e9
    full = ServingModel().solve("llama2_7b", "a100_80gb", input_tokens=128, output_tokens=2048, batch_size=64)
    assert not full.feasible and "exceed" in full.reason


@pytest.mark.parametrize("kwargs, field", [
    ({"precision": "int4", "weight_kernel": "bogus"}, "weight_kernel"),
    ({"precision": "fp16", "group_size": 32}, "group_size"),
    ({"precision": "int4", "group_size": 0}, "group_size"),
    ({"precision": "int4", "group_size": 2.5}, "group_size"),
])
def test_bad_weight_kernel_arguments_are_named(kwargs, field):
    with pytest.raises(InputError) as e:
        ServingModel().solve("llama2_7b", "a100_80gb", seq_len=512, **kwargs)
    assert e.value.field == field


def test_a_profile_choice_is_checked():
    with pytest.raises(InputError, match="streams"):
        measurements.make_case({"kind": "serving_ttft", "model": "llama2_7b", "hardware": "h100", "batch": 1, "input_len": 128,
                                "precision": "fp8", "profile": {"streams": "sometimes"}, "measured": {"value": 7, "unit": "ms"}})


def test_continuous_batching_streams_int4_weights_like_serving():
    from mlsysim.solvers.batching import ContinuousBatchingModel
    # one sequence of Llama-2-7B int4 (group 64: 0.5 + 4 / 64 = 0.5625 B per weight) on an A100: the resident weights
    # are 6.738e9 x 0.5625 = 3.790e9 B, and a decode step reads them at 0.530 of 2.039 TB/s: 3.507 ms of weights
    r = ContinuousBatchingModel().solve("llama2_7b", "a100_80gb", prompt_tokens=0, output_tokens=1, batch_size=1, precision="int4")
    assert r.weight_memory.m_as("byte") == pytest.approx(P7 * 0.5625, rel=REL)
    assert r.step_memory_time.m_as("s") == pytest.approx(P7 * 0.5625 / (BW * 0.530) + KV16 * 1 / BW, rel=1e-6)
    assert any("weight-only kernel" in a for a in r.assumptions)


def test_a_sweep_over_the_device_keeps_every_plan_field():
    from mlsysim import Hardware, Models
    from mlsysim.solvers._device import device_rates
    from mlsysim.solvers.serving import serving_plan, with_device
    from mlsysim.solvers.weight_streams import check_weight_kernel

    hw = Hardware.get("a100_80gb")
    p = serving_plan(Models.get("llama2_7b"), device_rates(hw, "fp16", 0.5), 512, 1, "int4", "fp16",
                     weight_kernel=check_weight_kernel(None, "int4"))
    q = with_device(p, device_rates(hw, "fp16", 0.25))
    assert [getattr(q, n) for n in q._fields if n != "device"] == [getattr(p, n) for n in p._fields if n != "device"]
    assert q.weight_stream_fraction == 0.530
