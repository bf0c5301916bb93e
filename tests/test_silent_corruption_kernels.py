"""The silent-corruption kernels (a Poisson count over device-days, a prevalence, the cost of
checking), by hand, and the registry's published counts."""
import math

import pytest

from mlsysim import InputError, formulas as f
from mlsysim.physics import kernels as k
from mlsysim.wall_registry import SDCRates


def test_llama3_rate_by_hand():
    # Dubey et al. 2024, Table 5: 6 SDC interruptions in 54 days on 16,384 H100s
    # 6 / (16,384 x 54) = 6 / 884,736 = 6.7817e-6 per GPU-day
    r = SDCRates.get("llama3_405b")
    assert (r.events, r.devices, r.observed_days) == (6, 16384, 54)
    assert r.provenance("events").kind == "measured"
    assert k.event_rate_per_device_day(6, 16384, 54) == pytest.approx(6.7817e-6, rel=1e-4)
    assert f.calc_event_rate(6, 16384, "54 day").to("1/day").magnitude == pytest.approx(6.7817e-6, rel=1e-4)
    # the prevalence is an estimate, and says so
    assert SDCRates.get("meta_fleet").provenance("events").kind == "estimate"


def test_expected_count_and_at_least_one_by_hand():
    # the same rate on 4,096 GPUs for 30 days: 6.7817e-6 x 4,096 x 30 = 0.83333 (= 6 x 1/4 x 30/54)
    mu = k.expected_poisson_events(6 / (16384 * 54), 4096, 30)
    assert mu == pytest.approx(6 * 0.25 * 30 / 54)
    # P(>= 1) = 1 - e^-0.83333 = 1 - 0.43460 = 0.56540
    assert k.poisson_at_least_one(mu) == pytest.approx(0.56540, rel=1e-4)
    # Llama 3's own job: mu = 6 exactly; P = 1 - e^-6 = 0.99752
    assert k.poisson_at_least_one(k.expected_poisson_events(6 / (16384 * 54), 16384, 54)) == pytest.approx(0.997521, rel=1e-5)
    # a tiny mean is kept: 1 - e^-1e-12 = 1e-12, not 0
    assert k.poisson_at_least_one(1e-12) == pytest.approx(1e-12)
    q = f.calc_expected_poisson_events(f"{6 / (16384 * 54)} 1/day", 4096, "30 day")
    assert q.magnitude == pytest.approx(0.83333, rel=1e-4)


def test_prevalence_by_hand():
    # 1 in 1,000 machines, 512 machines: 1 - 0.999^512 = 1 - e^(512 ln 0.999) = 1 - e^-0.51226 = 0.40088
    assert k.binomial_at_least_one(0.001, 512) == pytest.approx(0.40088, rel=1e-4)
    # close to the Poisson 1 - e^-0.512 = 0.40072 for small p
    assert k.binomial_at_least_one(0.001, 512) == pytest.approx(k.poisson_at_least_one(0.512), rel=1e-3)
    assert f.calc_binomial_at_least_one(1.0, 3).magnitude == 1.0


def test_check_loss_and_its_minimum_by_hand():
    # checks of 2 min = 120 s every 6 h = 21,600 s; mu = 0.8333 in 30 days = 2,592,000 s:
    # 120 / 21,600 + 0.8333 x 21,600 / 2,592,000 = 0.0055556 + 0.0069444 = 0.0125
    assert k.silent_check_loss_fraction(120, 21600, 5 / 6, 2592000) == pytest.approx(0.0125)
    # tau* = sqrt(120 x 2,592,000 / 0.8333) = sqrt(373,248,000) = 19,320 s = 5.367 h; both parts equal there
    t = k.best_silent_check_interval(120, 5 / 6, 2592000)
    assert t == pytest.approx(19319.6, rel=1e-4)
    assert 120 / t == pytest.approx((5 / 6) * t / 2592000)
    best = k.silent_check_loss_fraction(120, t, 5 / 6, 2592000)
    assert all(k.silent_check_loss_fraction(120, t * x, 5 / 6, 2592000) > best for x in (0.5, 0.9, 1.1, 2.0))
    assert k.best_silent_check_interval(120, 0, 2592000) == math.inf
    assert f.calc_best_silent_check_interval("2 minute", 5 / 6, "30 day").to("hour").magnitude == pytest.approx(5.3666, rel=1e-4)


@pytest.mark.parametrize("call,field", [
    (lambda: f.calc_event_rate(6, 0, "54 day"), "devices"),
    (lambda: f.calc_binomial_at_least_one(1.5, 10), "fraction"),
    (lambda: f.calc_best_silent_check_interval("2 minute", 0, "30 day"), "events"),
    (lambda: f.calc_silent_check_loss_fraction("2 minute", "0 hour", 1, "30 day"), "interval"),
])
def test_bad_input_names_the_argument(call, field):
    with pytest.raises(InputError, match=field):
        call()


def test_expected_defective_by_hand():
    # 1 in 1,000 of 512 machines: 0.512 expected defective
    assert k.expected_defective(0.001, 512) == pytest.approx(0.512)
