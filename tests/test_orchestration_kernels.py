"""The arrival rate that keeps a cluster busy (Little's law), checked against hand arithmetic."""
import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels
from mlsysim.solvers.orchestration import OrchestrationModel


def test_arrival_rate_by_hand():
    # 90 % of 256 GPUs busy with 8-GPU jobs of 4 h: busy GPUs = 0.9 x 256 = 230.4 = lam x 4 h x 8
    # lam = 230.4 / 32 = 7.2 jobs/hour
    assert kernels.arrival_rate_for_gpu_load(0.9, 256, 8, 4.0) == pytest.approx(7.2)
    # a MIG 1g job holds 1/7 of a GPU: 0.5 x 70 / (1/7 x 2 h) = 35 / (2/7) = 122.5 jobs/hour
    assert kernels.arrival_rate_for_gpu_load(0.5, 70, 1 / 7, 2.0) == pytest.approx(122.5)


def test_formula_with_units_and_the_solver_agree():
    # the same 7.2 jobs/hour from minutes: 240 min -> 0.12 jobs/min = 7.2 jobs/hour
    lam = formulas.calc_arrival_rate_for_gpu_load(0.9, 256, 8, "240 min")
    assert lam.to("1/hour").magnitude == pytest.approx(7.2)
    # fed back to the multi-tenant solver, the cluster is 90 % busy
    r = OrchestrationModel().solve(lam, "4 hour", gpus_per_job=8, nodes=32)
    assert r.gpu_utilization == pytest.approx(0.9)


def test_bad_input_names_the_argument():
    with pytest.raises(InputError, match="gpu_load"):
        formulas.calc_arrival_rate_for_gpu_load(1.5, 256, 8, "4 hour")
    with pytest.raises(InputError, match="gpus_per_job"):
        formulas.calc_arrival_rate_for_gpu_load(0.9, 256, 0, "4 hour")
    with pytest.raises(Exception, match="duration"):
        formulas.calc_arrival_rate_for_gpu_load(0.9, 256, 8, "4 GB")
