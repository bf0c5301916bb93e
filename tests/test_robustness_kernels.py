"""Robustness (Volume II ch. 14): fault rates from published counts, the chance a run meets a fault,
and what dual and triple modular redundancy do with it; the published figures in the registry."""
from __future__ import annotations

import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels
from mlsysim.wall_registry import AdversarialResults, SDCRates


def test_event_rate_from_the_llama3_count():
    # 6 silent corruptions / (16,384 GPUs x 54 days x 86,400 s) = 6 / 7.6441e10 = 7.8492e-11 per GPU-second
    # = 2.8257e-7 per GPU-hour (the rate the II.14 lab uses, from the registry entry II.12 uses too)
    sdc = SDCRates.get("llama3_405b")
    assert (sdc.events, sdc.devices, sdc.observed_days) == (6, 16384, 54)
    q = formulas.calc_event_rate(sdc.events, sdc.devices, f"{sdc.observed_days} day")
    assert q.to("1/hour").magnitude == pytest.approx(2.8257e-7, rel=1e-4)
    assert q.to("1/s").magnitude == pytest.approx(7.8492e-11, rel=1e-4)


def test_at_least_one_event():
    # 1,000 GPUs for 100 h = 1e5 GPU-hours at 2.8257e-7 per GPU-hour: 1 - exp(-0.028257) = 0.027862
    assert kernels.poisson_at_least_one(2.8257e-7 * 1e5) == pytest.approx(0.027862, rel=1e-4)
    assert kernels.poisson_at_least_one(0.0) == 0.0


def test_modular_redundancy():
    # DMR: 1 - 0.9^2 = 0.19 of runs disagree and are redone, when each replica fails with 0.1
    assert kernels.dual_redundancy_rerun_probability(0.1) == pytest.approx(0.19)
    # TMR: 3 x 0.01 - 2 x 0.001 = 0.028 (two of three wrong); R_TMR = 3 x 0.81 - 2 x 0.729 = 0.972
    assert kernels.triple_redundancy_failure_probability(0.1) == pytest.approx(0.028)
    assert kernels.triple_redundancy_failure_probability(0.5) == pytest.approx(0.5)  # no better than one
    assert kernels.triple_redundancy_failure_probability(1.0) == pytest.approx(1.0)
    assert formulas.calc_triple_redundancy_failure_probability(0.1).magnitude == pytest.approx(0.028)
    assert formulas.calc_dual_redundancy_rerun_probability(0.1).magnitude == pytest.approx(0.19)


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="devices"):
        formulas.calc_event_rate(6, 0, "54 day")
    with pytest.raises(InputError, match="duration"):
        formulas.calc_event_rate(6, 16384, "0 day")
    with pytest.raises(InputError, match="p"):
        formulas.calc_triple_redundancy_failure_probability(1.5)


def test_published_adversarial_results():
    # Madry et al. 2018 on CIFAR-10, as in Raghunathan et al. 2019, Table 1: 95.2 / 3.5 standard, 87.3 / 45.8 PGD-7
    std, pgd = AdversarialResults.get("cifar10_standard"), AdversarialResults.get("cifar10_pgd7")
    assert (std.train_pgd_steps, std.clean_accuracy, std.robust_accuracy) == (0, 95.2, 3.5)
    assert (pgd.train_pgd_steps, pgd.clean_accuracy, pgd.robust_accuracy) == (7, 87.3, 45.8)
    assert pgd.epsilon == std.epsilon == "8/255"


def test_replicated_accelerator_time():
    # 2 h on 1,024 GPUs, triple redundancy: 2 x 1,024 x 3 = 6,144 GPU-hours
    assert kernels.replicated_accelerator_time(2.0, 1024, 3) == pytest.approx(6144.0)
    assert formulas.calc_replicated_accelerator_time("2 hour", 1024, 3).to("hour").magnitude == pytest.approx(6144.0)
    with pytest.raises(InputError, match="replicas"):
        formulas.calc_replicated_accelerator_time("2 hour", 1024, 0)
