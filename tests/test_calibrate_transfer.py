"""A transfer predicts with the profile the fit was made with, so a case transferred to itself
gives back its own measurement, whatever its category declares (or leaves to the engine)."""
from __future__ import annotations

import pytest

from mlsysim import calibrate as cal
from mlsysim import measurements

CASES = measurements.load_cases()[1]
# one case of each kind of declared profile: the engine's own defaults (single-node: the Software wall's
# table for the compute efficiency, which a memory-bound fit does not set), a declared serving profile,
# a declared bandwidth profile
SELF = ["rn50-train-a100-amp", "bert-pretrain-v100-fp16-s128", "trtllm-ttft-h100-llama7b-in2048",
        "gptfast-a100-llama2-7b-bf16"]


@pytest.mark.parametrize("case_id", SELF)
def test_a_case_transferred_to_itself_reproduces_its_measurement(case_id):
    case = measurements.find(case_id, CASES)
    fit = cal.calibrate(case)
    (row,) = cal.transfer(case, [(case, "nothing")])
    assert row.error == pytest.approx(fit.residual, abs=1e-6)
    assert abs(row.error) < 1e-6  # each of these cases can be fitted exactly


def test_the_calibrated_profile_is_the_fit_s_three_values():
    fit = cal.calibrate(measurements.find("rn50-train-a100-amp", CASES))
    # ResNet-50 A100 AMP training is memory-bound: the fit sets the bandwidth efficiency and leaves the compute
    # efficiency to the engine (the Software wall's GEMM table at each target's own kernel size and precision)
    assert fit.parameter == "bandwidth_efficiency" and fit.engine_defaults == ("efficiency",)
    assert cal.calibrated_profile(fit) == {"efficiency": None, "bandwidth_efficiency": fit.bandwidth_efficiency,
                                           "utilization": fit.utilization}
    # what that table gave the fitted case: 38.8 GFLOP per conv kernel, >= 16 GFLOP -> the A100's 16-bit table's top step,
    # 0.859 (registry/walls/efficiency_serving.toml: Calculon's steps capped at the measured matmul ceiling, 267.9 / 312)
    assert fit.efficiency == 0.859
