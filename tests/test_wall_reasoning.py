"""Reasoning wall (12): the cost of test-time compute, built on ServingModel's TTFT and ITL.

Hand derivation for Llama-3-8B (8.03e9 parameters, 32 layers, 8 KV heads x 128) on an H100
(989.4 TFLOP/s fp16 dense, 3.35 TB/s, 10 us dispatch, 700 W), fp16, efficiency 0.5:
  prompt 512:  TTFT = 2 x 8.03e9 x 512 / (989.4e12 x 0.5) + 10 us = 16.63 ms
  8 samples of 2000 + 256 tokens; midpoint KV length 512 + 1128 = 1640:
     KV = 2 x 32 x 8 x 128 x 1640 x 8 x 2 B = 1.7197 GB; weights 16.06 GB
     ITL = (16.06e9 + 1.7197e9) / 3.35e12 + 10 us = 5.317 ms
  latency = 16.63 ms + 2256 x 5.317 ms = 12.01 s
  compute = 2 x 8.03e9 x (512 + 8 x 2256) = 298.1 TFLOP
  energy  = 700 W x 12.01 s = 8409 J;  cost at 3 USD/h = 12.01 / 3600 x 3 = 0.0100 USD
"""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.reasoning import InferenceScalingModel, audit_row
from mlsysim.solvers.serving import ServingModel
from mlsysim.walls import WALLS, Wall


def _solve(**kw):
    return InferenceScalingModel().solve("llama3_8b", "h100", **{"reasoning_tokens": 2000, "samples": 8, **kw})


def test_best_of_eight_with_long_reasoning_by_hand():
    r = _solve(price_per_hour="3 USD/hour")
    # prefill of the 512-token prompt: GEMMs 2 x 8.03e9 x 512 flop + causal attention 512 x 4 x 32 layers x (513 / 2) keys
    # x 4096 (32 heads x 128) = 6.885e10 flop, at 989.4e12 x 0.5 flop/s: 16.63 + 0.14 ms
    ttft = (2 * 8.03e9 * 512 + 512 * 4 * 32 * (513 / 2) * 4096) / (989.4e12 * 0.5) + 10e-6
    kv = 2 * 32 * 8 * 128 * 1640 * 8 * 2
    itl = (16.06e9 + kv) / 3.35e12 + 10e-6
    assert r.ttft.m_as("s") == pytest.approx(ttft)
    assert r.itl.m_as("s") == pytest.approx(itl)
    assert r.latency.m_as("s") == pytest.approx(ttft + 2256 * itl)
    assert r.flops_per_query.m_as("TFLOP") == pytest.approx(2 * 8.03e9 * (512 + 8 * 2256) / 1e12)
    assert r.energy_per_query.m_as("J") == pytest.approx(700 * r.latency.m_as("s"))
    assert r.cost_per_query.m_as("USD") == pytest.approx(3 / 3600 * r.latency.m_as("s"))
    assert r.strategy == "best_of_n" and r.bound is Wall.REASONING and r.decode_bound is Wall.MEMORY
    assert _solve().cost_per_query is None  # no price given: no cost, not a cost of zero


def test_uses_the_serving_path_not_a_copy():
    r = _solve()
    s = ServingModel().solve("llama3_8b", "h100", seq_len=512 + 1128, batch_size=8)
    assert r.itl.m_as("s") == pytest.approx(s.itl.m_as("s"))


def test_thinking_longer_costs_linearly_sampling_more_costs_sublinearly_when_memory_bound():
    one = InferenceScalingModel().solve("llama3_8b", "h100", answer_tokens=256)
    think = InferenceScalingModel().solve("llama3_8b", "h100", reasoning_tokens=2304, answer_tokens=256)  # 10x the tokens
    assert think.latency.m_as("s") / one.latency.m_as("s") > 9
    eight = InferenceScalingModel().solve("llama3_8b", "h100", answer_tokens=256, samples=8)
    # decode is memory bound: 8 samples share each read of the weights, so 8x the compute costs far less than 8x the time
    assert eight.flops_per_query.m / one.flops_per_query.m == pytest.approx((512 + 8 * 256) / (512 + 256))  # shared prompt
    assert eight.latency.m_as("s") / one.latency.m_as("s") < 1.2


def test_compute_matched_comparison_snell_et_al():
    # N_small = N_big x P_big / P_small = 1 x 70.55e9 / 8.03e9 = 8.79 -> 8 samples
    assert kernels.compute_matched_samples(70.55e9, 8.03e9, 1) == pytest.approx(8.786, rel=1e-3)
    small, big = InferenceScalingModel().compare("llama3_8b", "llama3_70b", "h200", reasoning_tokens=1000)
    assert small.samples == 8 and big.samples == 1
    assert small.flops_per_query.m <= big.flops_per_query.m * 1.01
    assert small.latency.m_as("s") < big.latency.m_as("s")  # the 70B model reads 141 GB per token


def test_big_model_that_does_not_fit_is_a_result():
    r = InferenceScalingModel().solve("llama3_70b", "h100")
    assert not r.feasible and r.bound is Wall.CAPACITY and "exceed" in r.reason


def test_test_time_flops_kernel_by_hand():
    assert kernels.test_time_flops(1e9, 100, 10, 4) == pytest.approx(2e9 * (100 + 40))
    assert kernels.test_time_flops(1e9, 100, 10, 4, shared_prompt=False) == pytest.approx(2e9 * (400 + 40))


def test_wall_row_and_audit():
    assert next(w for w in WALLS if w.wall is Wall.REASONING).solver == "InferenceScalingModel"
    ctx = SimpleNamespace(model=Models.get("llama3_8b"), hardware=Hardware.get("h100"), fleet=None, workload="serving",
                          batch_size=1, precision="fp16", seq_len=None, count=1, grid=None, duration=None,
                          knobs={"reasoning_tokens": 2000, "samples": 8, "latency_sla": "10 s"})
    row = audit_row(ctx)
    assert row["wall"] is Wall.REASONING and row["binds"]  # 12.0 s > 10 s
    assert row["limit"].m_as("s") == 10
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({"prompt_tokens": 0}, "prompt_tokens"), ({"reasoning_tokens": -1}, "reasoning_tokens"),
    ({"answer_tokens": 0}, "answer_tokens"), ({"samples": 0}, "samples"), ({"samples": 2.5}, "samples"),
    ({"samples": math.nan}, "samples"), ({"strategy": "tree"}, "strategy"), ({"strategy": "single", "samples": 4}, "samples"),
    ({"price_per_hour": 3}, "price_per_hour"), ({"price_per_hour": "3 USD"}, "price_per_hour"),
    ({"price_per_hour": "-3 USD/hour"}, "price_per_hour"), ({"precision": "fp5"}, "precision"), ({"efficiency": 2}, "efficiency"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        InferenceScalingModel().solve("llama3_8b", "h100", **kwargs)
    assert err.value.field == field


def test_needs_a_transformer():
    with pytest.raises(InputError, match="model"):
        InferenceScalingModel().solve("resnet50", "h100")


def test_no_arithmetic_in_the_precision_is_a_result_without_times():
    r = InferenceScalingModel().solve("gpt2", "coral_edge_tpu")
    assert not r.feasible and r.bound is Wall.CAPACITY and "no fp16 compute" in r.reason
    assert r.latency is None and r.itl is None
