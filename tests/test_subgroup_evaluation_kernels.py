"""Test samples per subgroup (Fleiss, Levin & Paik 2003, eq. 4.14) and the time to evaluate them,
checked against hand arithmetic."""
import math

import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels


def test_normal_quantiles_from_the_table():
    # standard normal table: z(0.975) = 1.95996, z(0.8) = 0.84162, z(0.5) = 0
    assert kernels.normal_quantile(0.975) == pytest.approx(1.95996, abs=1e-5)
    assert kernels.normal_quantile(0.8) == pytest.approx(0.84162, abs=1e-5)
    assert kernels.normal_quantile(0.5) == pytest.approx(0.0, abs=1e-12)


def test_sample_size_sixty_against_forty_by_hand():
    # p1 = 0.6, p2 = 0.4, alpha 0.05 two-sided, power 0.8: pbar = 0.5
    # [1.95996 sqrt(2 x 0.25) + 0.84162 sqrt(0.24 + 0.24)]^2 / 0.2^2 = [1.38590 + 0.58310]^2 / 0.04
    # = 1.96900^2 / 0.04 = 3.87696 / 0.04 = 96.92 -> 97 per group
    assert kernels.two_proportion_sample_size(0.6, 0.4, 0.05, 0.8) == pytest.approx(96.92, rel=1e-3)


def test_two_point_gap_at_ninety_percent_by_hand():
    # p1 = 0.90, p2 = 0.88, pbar = 0.89: sqrt(2 x 0.89 x 0.11) = 0.44249; sqrt(0.09 + 0.1056) = 0.44227
    # [1.95996 x 0.44249 + 0.84162 x 0.44227]^2 / 0.0004 = [0.86726 + 0.37222]^2 / 0.0004 = 1.53632 / 0.0004
    # = 3840.8 -> 3,841 samples per group
    assert kernels.two_proportion_sample_size(0.90, 0.88, 0.05, 0.8) == pytest.approx(3840.8, rel=1e-3)
    assert formulas.calc_subgroup_sample_size(0.90, 0.02).magnitude == 3841


def test_bonferroni_raises_the_bar():
    # 4 groups against a reference: 3 comparisons, alpha 0.05 / 3 = 0.016667; z(1 - 0.0083333) = 2.39398
    # [2.39398 x 0.44249 + 0.37222]^2 / 0.0004 = [1.05931 + 0.37222]^2 / 0.0004 = 2.04928 / 0.0004 = 5123.2 -> 5,124
    assert kernels.bonferroni_alpha(0.05, 3) == pytest.approx(0.0166667, rel=1e-5)
    assert formulas.calc_subgroup_sample_size(0.90, 0.02, comparisons=3).magnitude == 5124


def test_halving_the_gap_roughly_quadruples_the_samples():
    # n ~ 1 / gap^2 when the variances barely move: 1 point needs ~4x the samples of 2 points
    ratio = kernels.two_proportion_sample_size(0.90, 0.89, 0.05, 0.8) / kernels.two_proportion_sample_size(0.90, 0.88, 0.05, 0.8)
    assert 3.6 < ratio < 4.2
    assert kernels.two_proportion_sample_size(0.9, 0.9, 0.05, 0.8) == math.inf


def test_evaluation_duration_with_units():
    # 3,841 samples at 60 samples/s: 64.02 s; at 3,600 per hour: 3,841 s
    assert formulas.calc_evaluation_duration(3841, "60 1/s").magnitude == pytest.approx(64.0167, rel=1e-5)
    assert formulas.calc_evaluation_duration(3841, "3600 1/hour").magnitude == pytest.approx(3841.0, rel=1e-9)


@pytest.mark.parametrize("kwargs, field", [
    ({"accuracy": 1.0, "gap": 0.02}, "accuracy"),
    ({"accuracy": 0.9, "gap": 0.0}, "gap"),
    ({"accuracy": 0.9, "gap": 0.95}, "gap"),
    ({"accuracy": 0.9, "gap": 0.02, "confidence": 1.0}, "confidence"),
    ({"accuracy": 0.9, "gap": 0.02, "power": 0}, "power"),
    ({"accuracy": 0.9, "gap": 0.02, "comparisons": 0}, "comparisons"),
])
def test_bad_input_names_the_argument(kwargs, field):
    with pytest.raises(InputError, match=field):
        formulas.calc_subgroup_sample_size(**kwargs)
    with pytest.raises(InputError, match="throughput"):
        formulas.calc_evaluation_duration(10, "0 1/s")


# --- the safety filter's capacity (Jain 1991, operational laws) ---


def test_batch_throughput_by_hand():
    # 16 prompts screened in one 250 ms prefill pass: 16 / 0.25 s = 64 prompts/s
    assert kernels.batch_throughput(16, 0.25) == pytest.approx(64.0)
    assert formulas.calc_batch_throughput(16, "250 ms").magnitude == pytest.approx(64.0)


def test_replicas_for_load_by_hand():
    # 1,000 requests/s on replicas screening 64/s: 1000 / 64 = 15.6 -> 16; exactly 640/s on 64/s -> 10, not 11
    assert kernels.replicas_for_load(1000, 1, 64) == 16
    assert kernels.replicas_for_load(640, 1, 64) == 10
    # 100 requests/s x 256 output tokens = 25,600 tokens/s on replicas of 3,000 tokens/s: 8.53 -> 9
    assert formulas.calc_replicas_for_load("100 1/s", "3000 1/s", 256).magnitude == 9
    # no traffic still keeps one replica up
    assert kernels.replicas_for_load(0, 1, 64) == 1
    with pytest.raises(InputError, match="replica_rate"):
        formulas.calc_replicas_for_load("100 1/s", "0 1/s")


def test_the_largest_accepted_number_of_comparisons_gives_a_finite_count():
    # comparisons up to 1e15 are accepted; Bonferroni's alpha there is 0.05 / 1e15 = 5e-17, whose upper quantile
    # z(1 - 2.5e-17) cannot be read as inv_cdf(1 - 2.5e-17) (that argument rounds to 1.0): it is -z(2.5e-17), the z
    # whose upper tail erfc(z / sqrt 2) / 2 is 2.5e-17 (the definition of the tail, checked here with math.erfc)
    z = -kernels.normal_quantile(2.5e-17)
    assert 0.5 * math.erfc(z / math.sqrt(2.0)) == pytest.approx(2.5e-17, rel=1e-6)
    # n = [z sqrt(2 x 0.89 x 0.11) + 0.84162 x 0.44227]^2 / 0.0004 at the two-point gap above
    by_hand = (z * math.sqrt(2 * 0.89 * 0.11) + 0.84162 * math.sqrt(0.09 + 0.1056)) ** 2 / 0.0004
    n = formulas.calc_subgroup_sample_size(0.90, 0.02, comparisons=10 ** 15).magnitude
    assert math.isfinite(n) and n == pytest.approx(by_hand, rel=1e-4)
