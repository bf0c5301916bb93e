"""Calibration across precision: a factor on the Software wall's GEMM tables instead of one absolute efficiency.

efficiency = min(1, factor x table(kernel size, precision)) (kernels.framework_scaled_efficiency); a fit of the
factor on fp16 tensor-core work carries to fp32 the table's own fp32 value times the same factor.
"""
from __future__ import annotations

import pytest

from mlsysim import Engine, InputError
from mlsysim import calibrate as cal
from mlsysim import measurements
from mlsysim.physics import kernels

CASES = measurements.load_cases()[1]
# registry/walls/efficiency.toml: the V100 tables' top steps (Markidis et al. 2018: 83 / 125 TFLOP/s and 11.9 / 15.7)
V100_FP16_TOP = 0.664
V100_FP32_TOP = 0.755


def test_the_factor_scales_the_table_and_stops_at_peak():
    assert kernels.framework_scaled_efficiency(0.5, V100_FP16_TOP) == pytest.approx(0.332, rel=1e-12)  # 0.5 x 0.664
    assert kernels.framework_scaled_efficiency(1.0, 0.9) == pytest.approx(0.9, rel=1e-12)
    assert kernels.framework_scaled_efficiency(2.0, 0.9) == 1.0  # 1.8 of peak is not reachable: capped


def test_the_solver_takes_the_factor_times_the_gemm_table_and_keeps_the_memory_tables():
    # BERT-Large on a V100, batch 64, sequence 128: 8,192 tokens x 2 x 12.58M weight flop per layer
    # (4 h^2 + 8 h^2 with h = 1024) = 206 GFLOP over 6 weight GEMMs = 34 GFLOP per kernel, above the table's
    # 16 GFLOP step: fp16 -> 0.664, fp32 -> 0.755; a factor of 0.5 gives 0.332 and 0.3775
    for precision, top in (("fp16", V100_FP16_TOP), ("fp32", V100_FP32_TOP)):
        plain = Engine.solve("bert_large", "v100", batch_size=64, precision=precision, is_training=True, seq_len=128)
        half = Engine.solve("bert_large", "v100", batch_size=64, precision=precision, is_training=True, seq_len=128,
                            framework_factor=0.5)
        assert plain.efficiency == pytest.approx(top, rel=1e-12)
        assert half.efficiency == pytest.approx(0.5 * top, rel=1e-12)
        assert half.bandwidth_efficiency == plain.bandwidth_efficiency  # the memory side keeps its tables
        assert any("framework_factor given" in a for a in half.assumptions)


def test_the_factor_is_checked():
    with pytest.raises(InputError, match="framework_factor"):
        Engine.solve("bert_large", "v100", batch_size=8, efficiency=0.5, framework_factor=0.5)
    with pytest.raises(InputError, match="framework_factor"):
        Engine.solve("bert_large", "v100", batch_size=8, framework_factor=0.0)
    with pytest.raises(InputError, match="fit"):
        cal.calibrate(measurements.find("bert-pretrain-v100-fp16-s128", CASES), fit="relative")


def test_a_factor_fit_reproduces_its_case_and_carries_the_table_to_another_precision():
    source = measurements.find("bert-pretrain-v100-fp16-s128", CASES)
    fit = cal.calibrate(source, fit="framework_factor")
    assert fit.parameter == "efficiency" and fit.framework_factor is not None
    assert abs(fit.residual) < 1e-6
    # the efficiency it gave the case is the factor times the fp16 table's 0.664
    assert fit.efficiency == pytest.approx(fit.framework_factor * V100_FP16_TOP, rel=1e-9)
    assert "factor on the Software wall's GEMM table" in fit.reason
    profile = cal.calibrated_profile(fit)
    assert profile == {"efficiency": None, "bandwidth_efficiency": None, "utilization": fit.utilization,
                       "framework_factor": fit.framework_factor}
    (same,) = cal.transfer(source, [(source, "nothing")], fit="framework_factor")
    assert abs(same.error) < 1e-6
    # fp32 gets the fp32 table's 0.755 times the same factor
    target = measurements.find("bert-pretrain-v100-fp32-s128", CASES)
    r = measurements.single_node_result(target.with_profile(**profile))
    assert r.efficiency == pytest.approx(fit.framework_factor * V100_FP32_TOP, rel=1e-9)


def test_the_absolute_fit_stays_the_default():
    # the public calibrate() keeps fitting one efficiency (README, the benchmarking lab)
    fit = cal.calibrate(measurements.find("bert-pretrain-v100-fp16-s128", CASES))
    assert fit.framework_factor is None and set(cal.calibrated_profile(fit)) == {"efficiency", "bandwidth_efficiency", "utilization"}


def test_a_memory_bound_case_keeps_the_absolute_fit_under_the_factor_mode():
    # ResNet-50 A100 AMP training is memory-bound: the factor scales the GEMM table only, so it does not apply
    fit = cal.calibrate(measurements.find("rn50-train-a100-amp", CASES), fit="framework_factor")
    assert fit.parameter == "bandwidth_efficiency" and fit.framework_factor is None
