"""Safety wall (20): DP-SGD's privacy budget, memory and compute; adversarial training's compute.

Published anchors for the RDP accountant:
- TF-Privacy tutorials/README.md, "Select Parameters" table (MNIST, 60,000 examples, batch 256,
  delta = 1e-5): noise 1.12 for 60 epochs -> eps 2.92; noise 0.6 for 30 epochs -> 9.74;
  noise 1.2 for 10 epochs -> 1.20 (https://github.com/tensorflow/privacy/blob/master/tutorials/README.md).
  TF-Privacy's accountant also uses fractional orders (1.1-10.9); with integer orders only the
  bound can only be equal or larger. Tolerance 1% (the fractional orders move 9.74 by 0.3%).
- Abadi et al. 2016, "Deep Learning with Differential Privacy", Sec. 3.1: q = 0.01, sigma = 4,
  T = 10,000, delta = 1e-5 -> eps ~ 1.26 with the moments accountant (integer orders; the moments
  accountant at lambda is RDP at alpha = lambda + 1). Tolerance 1%.
"""

from types import SimpleNamespace

import math

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import formulas, kernels
from mlsysim.solvers.responsible import ResponsibleEngineeringModel, audit_row
from mlsysim.walls import WALLS, Wall
from pass_as_one_kernel import RESNET50_TOTALS  # the whole pass as one kernel, as these tests derive it

MNIST_Q = 256 / 60000


@pytest.mark.parametrize("sigma,epochs,published", [(1.12, 60, 2.92), (0.6, 30, 9.74), (1.2, 10, 1.20)])
def test_tf_privacy_mnist_table(sigma, epochs, published):
    steps = epochs * 60000 // 256  # the tutorial's step count
    eps = formulas.calc_dp_epsilon(sigma, MNIST_Q, steps, 1e-5)
    assert eps == pytest.approx(published, rel=0.01)
    assert eps >= published - 0.005  # integer orders only: never below the finer accountant (table rounds to 0.01)


def test_abadi_2016_moments_accountant_example():
    assert formulas.calc_dp_epsilon(4.0, 0.01, 10_000, 1e-5) == pytest.approx(1.26, rel=0.01)


def test_solver_reproduces_the_mnist_default_from_dataset_size_and_epochs():
    r = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=256, noise_multiplier=1.12, dataset_size=60000, epochs=60)
    assert r.steps == 14062  # 60 x 60000 / 256 = 14062.5, rounded down
    assert r.epsilon == pytest.approx(2.92, rel=0.01)


def test_rdp_of_the_unsampled_gaussian_is_alpha_over_two_sigma_squared():
    # Mironov 2017, Prop. 7: Gaussian mechanism with sensitivity 1: RDP(alpha) = alpha / (2 sigma^2)
    assert kernels.subsampled_gaussian_rdp(1.0, 2.0, 5) == pytest.approx(5 / 8)
    # the binomial expansion at q = 1 - tiny reaches the same value: only the k = alpha term survives
    assert kernels.subsampled_gaussian_rdp(1 - 1e-12, 2.0, 5) == pytest.approx(5 / 8, rel=1e-9)


def test_rdp_order_two_by_hand():
    # alpha = 2: A = (1-q)^2 + 2 q (1-q) + q^2 e^(1/sigma^2) = 1 + q^2 (e^(1/sigma^2) - 1)
    q, sigma = 0.1, 1.0
    by_hand = math.log(1 + q * q * (math.e - 1)) / 1
    assert kernels.subsampled_gaussian_rdp(q, sigma, 2) == pytest.approx(by_hand, rel=1e-12)


def test_epsilon_conversion_by_hand():
    # rdp 0.5 at order 11, delta 1e-5: 0.5 + ln(1e5) / 10 = 0.5 + 1.15129 = 1.65129
    assert kernels.rdp_to_epsilon(0.5, 11, 1e-5) == pytest.approx(1.651293, rel=1e-6)


def test_search_finds_the_same_minimum_as_all_orders():
    for q, sigma, steps, delta in [(0.01, 4, 10000, 1e-5), (0.5, 1, 1, 1e-5), (1e-4, 0.5, 1e6, 1e-9), (0.1, 10, 1, 1e-3), (1.0, 0.3, 1000, 1e-5)]:
        brute = min(kernels.rdp_to_epsilon(steps * kernels.subsampled_gaussian_rdp(q, sigma, a), a, delta) for a in range(2, 257))
        assert kernels.dp_sgd_epsilon(q, sigma, steps, delta)[0] == pytest.approx(brute, rel=1e-12)


def test_more_noise_or_fewer_steps_means_less_epsilon():
    e = formulas.calc_dp_epsilon
    assert e(2.0, 0.01, 1000) < e(1.0, 0.01, 1000)
    assert e(1.0, 0.01, 100) < e(1.0, 0.01, 1000)
    assert e(1.0, 0.001, 1000) < e(1.0, 0.01, 1000)


def test_per_example_gradient_memory_by_hand():
    # ResNet-50, 25,557,032 parameters (torchvision), batch 256, fp32: 256 x 25,557,032 x 4 B = 26.17 GB
    r = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=256)
    assert r._per_example_gradient_memory == pytest.approx(256 * 25_557_032 * 4)
    assert formulas.calc_per_example_gradient_memory(256, 25_557_032, 4).m_as("GB") == pytest.approx(26.17, rel=1e-3)


def test_plain_step_and_dp_slowdown_by_hand():
    # plain step: 8.18 GFLOP x 3 (fwd + bwd) x 256 / (66.9 TFLOP/s fp32 x 0.5) = 0.18781 s binds the convolutions
    # (their traffic 3 x (102,228,128 + 256 x 88,911,872) B / 3.35e12 = 20.5 ms); the eager BN / ReLU / add kernels
    # then move 3 x 256 x 59,109,376 values x 4 B / 3.35e12 = 54.20 ms: 0.24202 s (+10 us dispatch)
    # (0.18781 s before the activation traffic was modelled); the weight update, fp32 Adam once per batch:
    # 7 x 4 B x 25,557,032 = 715.6 MB / 3.35e12 = 0.214 ms: 0.24224 s
    r = ResponsibleEngineeringModel().solve(RESNET50_TOTALS, "h100", batch_size=256)
    plain = 8.18e9 * 3 * 256 / (66.9e12 * 0.5) + 3 * 256 * 59_109_376 * 4 / 3.35e12 + 28 * 25_557_032 / 3.35e12
    assert r.baseline_step_time.m_as("s") == pytest.approx(plain + 10e-6, rel=1e-6)
    # Opacus' measured slowdown, 2.6x at the low end and 8x at the high end (Rodriguez Beltran et al. 2024)
    assert r.step_time.m_as("s") == pytest.approx(2.6 * r.baseline_step_time.m_as("s"))
    assert r.step_time_worst.m_as("s") == pytest.approx(8.0 * r.baseline_step_time.m_as("s"))
    assert r.bound is Wall.SAFETY and r.feasible
    assert r.training_time is None and r.epsilon is None  # no steps, no noise: unknown, not zero
    ghost = ResponsibleEngineeringModel().solve(RESNET50_TOTALS, "h100", batch_size=256, dp_implementation="ghost_clipping")
    assert ghost.compute_factor == pytest.approx(1.3)


def test_adversarial_training_is_k_plus_one():
    # Madry et al. 2018: 7-step PGD (their CIFAR-10 setting) costs 8 plain steps
    r = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=128, dp=False, pgd_steps=7)
    assert r.compute_factor == 8.0
    assert r._per_example_gradient_memory == 0.0
    assert formulas.calc_adversarial_training_factor(10) == 11.0
    # with DP-SGD as well: 7 PGD passes + one 2.6x DP pass = 9.6x
    both = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=128, pgd_steps=7)
    assert both.compute_factor == pytest.approx(9.6)


def test_per_example_gradients_that_do_not_fit_are_a_result():
    # Llama-3-8B, batch 64, fp32 grads: 64 x 8.03e9 x 4 B = 2.06 TB >> 80 GB
    r = ResponsibleEngineeringModel().solve("llama3_8b", "h100", batch_size=64)
    assert not r.feasible and r.bound is Wall.CAPACITY
    assert "per-example gradients" in r.reason


def test_epsilon_budget_exceeded_is_a_result():
    r = ResponsibleEngineeringModel().solve("resnet50", "h100", batch_size=256, noise_multiplier=0.6, dataset_size=60000, epochs=30, epsilon_budget=8)
    assert not r.feasible and "exceeds the budget" in r.reason and r.bound is Wall.SAFETY


def test_wall_row_names_the_solver():
    assert next(w for w in WALLS if w.wall is Wall.SAFETY).solver == "ResponsibleEngineeringModel"


def test_audit_row():
    ctx = SimpleNamespace(model=Models.get("resnet50"), hardware=Hardware.get("h100"), fleet=None, workload="training",
                          batch_size=256, precision="fp32", seq_len=None, count=1, grid=None, duration=None,
                          knobs={"noise_multiplier": 1.12, "dataset_size": 60000, "epochs": 60})
    row = audit_row(ctx)
    assert row["wall"] is Wall.SAFETY and row["binds"]
    assert row["figure"].m_as("s") == pytest.approx(2.6 * row["limit"].m_as("s"))
    assert "epsilon 2.92" in row["note"]
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None
    assert audit_row(SimpleNamespace(**{**vars(ctx), "workload": "inference"})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": -1}, "batch_size"), ({"batch_size": 2.5}, "batch_size"),
    ({"batch_size": "8"}, "batch_size"), ({"dp": "True"}, "dp"), ({"dp_implementation": "tf"}, "dp_implementation"),
    ({"pgd_steps": -1}, "pgd_steps"), ({"pgd_steps": math.nan}, "pgd_steps"),
    ({"noise_multiplier": 0, "sample_rate": 0.01, "steps": 10}, "noise_multiplier"),
    ({"noise_multiplier": math.inf, "sample_rate": 0.01, "steps": 10}, "noise_multiplier"),
    ({"noise_multiplier": 1.0, "sample_rate": 1.5, "steps": 10}, "sample_rate"),
    ({"noise_multiplier": 1.0, "sample_rate": 0, "steps": 10}, "sample_rate"),
    ({"noise_multiplier": 1.0, "steps": 10}, "sample_rate"),
    ({"noise_multiplier": 1.0, "sample_rate": 0.01}, "steps"),
    ({"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 0}, "steps"),
    ({"noise_multiplier": 1.0, "sample_rate": 0.01, "epochs": -2}, "epochs"),
    ({"noise_multiplier": 1.0, "dataset_size": 100, "steps": 10}, "dataset_size"),  # smaller than the batch
    ({"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 10, "delta": 0}, "delta"),
    ({"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 10, "delta": 1}, "delta"),
    ({"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 10, "dp": False}, "noise_multiplier"),
    ({"epsilon_budget": -1}, "epsilon_budget"), ({"efficiency": 0}, "efficiency"), ({"precision": "fp7"}, "precision"),
])
def test_bad_input_names_the_argument(kwargs, field):
    with pytest.raises(InputError) as err:
        ResponsibleEngineeringModel().solve("resnet50", "h100", **{"batch_size": 256, **kwargs})
    assert err.value.field == field


def test_formula_bad_input():
    with pytest.raises(InputError, match="noise_multiplier"):
        formulas.calc_dp_epsilon(-1, 0.01, 10)
    with pytest.raises(InputError, match="steps"):
        formulas.calc_dp_epsilon(1, 0.01, 1.5)
    with pytest.raises(InputError, match="parameters"):
        formulas.calc_per_example_gradient_memory(8, "8 GB")
    with pytest.raises(InputError, match="pgd_steps"):
        formulas.calc_adversarial_training_factor(-3)


def test_no_arithmetic_in_the_precision_is_a_result_without_times():
    r = ResponsibleEngineeringModel().solve("mobilenetv2", "coral_edge_tpu", batch_size=8)
    assert not r.feasible and r.bound is Wall.CAPACITY and "no fp32 compute" in r.reason
    assert r.step_time is None and r.baseline_step_time is None
