"""Fidelity wall (13): quantisation, 2:4 vs unstructured sparsity, distillation.

Sizes and step times are derived by hand below from the roofline and datasheet numbers;
quality changes are the published ones (GPTQ README's LLaMA table, LLM.int8()'s abstract,
DistilBERT's Table 1), read back from the registry and checked here against the papers.
"""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Hardware
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.compression import CompressionModel, audit_row
from mlsysim.wall_registry import CompressionResults
from mlsysim.walls import WALLS, Wall
from mlsysim.workloads.types import TransformerWorkload

# LLaMA-7B as in Touvron et al. 2023 Table 2: 6.7B parameters, 32 layers, d 4096, 32 heads
LLAMA_7B = TransformerWorkload(name="LLaMA-7B", key="llama7b", parameters=6.74e9, layers=32, hidden_dim=4096, heads=32)
A100_BW = 2.039e12  # A100 80GB SXM datasheet, bytes/s


def test_gptq_4bit_size_speed_and_published_perplexity():
    r = CompressionModel().solve(LLAMA_7B, "a100", method="gptq", bits=4)
    # size: 6.74e9 x 4 / 8 = 3.37 GB vs 6.74e9 x 2 B = 13.48 GB
    assert r.compressed_size.m_as("GB") == pytest.approx(3.37)
    assert r.original_size.m_as("GB") == pytest.approx(13.48)
    # decode at batch 1 is memory bound: 3.37e9 / 2.039e12 = 1.653 ms vs 13.48e9 / 2.039e12 = 6.611 ms
    assert r.compressed_time.m_as("ms") == pytest.approx(3.37e9 / A100_BW * 1e3)
    assert r.baseline_time.m_as("ms") == pytest.approx(13.48e9 / A100_BW * 1e3)
    assert r.speedup == pytest.approx(4.0) and r.step_bound is Wall.MEMORY
    # GPTQ README, LLaMA table: FP16 5.68 -> 4bit-GPTQ 6.09 WikiText-2 perplexity
    assert (r.baseline_quality, r.compressed_quality) == (5.68, 6.09)
    assert r.quality_change == pytest.approx(0.41)
    assert r.bound is Wall.FIDELITY


def test_published_rows_match_the_gptq_table():
    rows = {r.key: (r.baseline_value, r.compressed_value) for r in CompressionResults}
    assert rows["gptq_llama7b_3bit"] == (5.68, 8.07)
    assert rows["rtn_llama7b_3bit"] == (5.68, 25.54)  # round-to-nearest collapses at 3 bits
    assert rows["gptq_llama65b_4bit"] == (3.53, 3.84)
    # GPTQ beats RTN at the same bits: its whole point
    assert rows["gptq_llama7b_4bit"][1] < rows["rtn_llama7b_4bit"][1]


def test_an_explicit_row_for_another_model_is_flagged_as_a_proxy():
    r = CompressionModel().solve("llama2_7b", "a100", method="gptq", bits=4, published="gptq_llama7b_4bit")
    assert r.compressed_quality == 6.09
    assert any("a proxy" in a for a in r.assumptions)


def test_no_published_row_means_no_quality_number():
    r = CompressionModel().solve("llama3_8b", "h100", method="gptq", bits=4)
    assert r.published is None and r.quality_change is None
    assert any("none is given" in a for a in r.assumptions)


def test_llm_int8_is_the_zero_degradation_claim_at_int8_speed():
    r = CompressionModel().solve("llama2_7b", "h100", method="llm_int8")
    assert r.quality_retained == 1.0 and r.quality_change == 0.0
    assert r.compressed_size.m_as("GB") == pytest.approx(6.738)  # 6.738e9 x 1 B
    assert r.speedup == pytest.approx(2.0)  # memory bound: half the bytes


def test_two_four_sparsity_uses_the_sparse_peak_only_where_listed():
    # ResNet-50 batch 256 fp16: 8.18 GFLOP x 256 = 2.094 TFLOP
    dense = 8.18e9 * 256 / (312e12 * 0.5)  # A100 dense fp16 312 TFLOP/s at 0.5: 13.42 ms
    sparse = 8.18e9 * 256 / (624e12 * 0.5)  # A100 sparse 624 TFLOP/s: 6.71 ms
    r = CompressionModel().solve("resnet50", "a100", method="none", sparsity="2:4", batch_size=256)
    assert r.baseline_time.m_as("s") == pytest.approx(dense)
    assert r.compressed_time.m_as("s") == pytest.approx(sparse)
    assert r.speedup == pytest.approx(2.0)
    # storage: 25,557,032 / 2 kept x (16 + 2 index bits) / 8 = 28.75 MB, 9/16 of dense
    assert r.compressed_size.m_as("B") == pytest.approx(25_557_032 / 2 * 18 / 8)
    assert r.compression_ratio == pytest.approx(16 / 9)
    # V100 has no sparse tensor cores: same compute time, only the weights shrink
    v = CompressionModel().solve("resnet50", "v100", method="none", sparsity="2:4", batch_size=256)
    assert v.speedup == pytest.approx(1.0)
    # unstructured sparsity: no speed anywhere
    u = CompressionModel().solve("resnet50", "a100", method="none", sparsity="unstructured", batch_size=256)
    assert u.speedup == pytest.approx(1.0) and u.compression_ratio == pytest.approx(1.0)


def test_two_four_kernel_by_hand():
    assert kernels.two_four_sparse_weight_bytes(1000, 16) == pytest.approx(500 * 18 / 8)
    assert kernels.quantized_weight_bytes(1000, 3) == pytest.approx(375)


def test_distilbert_point():
    # Sanh et al. 2019: 40% smaller, 60% faster, GLUE 79.5 -> 77.0 (97% retained)
    r = CompressionModel().solve("bert_base", "t4", method="distillation", batch_size=32)
    assert r.compressed_size.m_as("B") == pytest.approx(0.6 * 110e6 * 2)
    assert r.quality_retained == pytest.approx(77.0 / 79.5) and r.quality_retained == pytest.approx(0.97, abs=0.005)
    assert r.published_speedup == 1.6
    # roofline: ops and bytes both x0.6, so 1 / 0.6 = 1.67x, near the published 1.6x
    assert r.speedup == pytest.approx(1 / 0.6)
    with pytest.raises(InputError, match="distillation"):
        CompressionModel().solve("resnet50", "t4", method="distillation")


def test_no_arithmetic_in_the_precision_is_a_result_without_times():
    r = CompressionModel().solve("resnet50", "coral_edge_tpu", method="none", sparsity="2:4")
    assert not r.feasible and r.bound is Wall.CAPACITY and "no fp16 compute" in r.reason
    assert r.compressed_time is None and r.speedup is None


def test_weights_that_do_not_fit_even_compressed():
    r = CompressionModel().solve("llama3_405b", "h100", method="gptq", bits=4)  # 405e9 / 2 = 202 GB > 80 GB
    assert not r.feasible and r.bound is Wall.CAPACITY and "exceed" in r.reason


def test_wall_row_and_audit():
    assert next(w for w in WALLS if w.wall is Wall.FIDELITY).solver == "CompressionModel"
    ctx = SimpleNamespace(model=LLAMA_7B, hardware=Hardware.get("a100"), fleet=None, workload="inference", batch_size=1,
                          precision="fp16", seq_len=None, count=1, grid=None, duration=None, knobs={"method": "gptq", "bits": 3})
    row = audit_row(ctx)
    assert row["wall"] is Wall.FIDELITY and row["binds"]  # 5.68 -> 8.07 perplexity
    assert row["figure"].m_as("GB") == pytest.approx(6.74e9 * 3 / 8 / 1e9)
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({"method": "awq"}, "method"), ({"method": 3}, "method"), ({"bits": 0}, "bits"), ({"bits": 17}, "bits"),
    ({"bits": math.nan}, "bits"), ({"bits": "4"}, "bits"), ({"method": "llm_int8", "bits": 4}, "bits"),
    ({"method": "none", "bits": 8}, "bits"), ({"sparsity": "3:4"}, "sparsity"), ({"batch_size": 0}, "batch_size"),
    ({"precision": "fp12"}, "precision"), ({"efficiency": 1.5}, "efficiency"), ({"published": "nope"}, "published"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        CompressionModel().solve(LLAMA_7B, "a100", **kwargs)
    assert err.value.field == field


def test_bad_model_and_hardware():
    with pytest.raises(Exception, match="model"):
        CompressionModel().solve(42, "a100")
    with pytest.raises(Exception, match="hardware"):
        CompressionModel().solve(LLAMA_7B, 3.0)
