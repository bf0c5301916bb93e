"""The retraining-interval kernels (Harris 1913's square-root law, drift as the holding cost), by hand."""
import math

import pytest

from mlsysim import InputError, formulas as f
from mlsysim.physics import kernels as k


def test_cost_rate_by_hand():
    # C = 2,000 USD per retrain, d = 0.1 points/day, v = 500 USD per point per day, T = 30 days:
    # 2,000 / 30 + 500 x 0.1 x 30 / 2 = 66.67 + 750 = 816.67 USD/day
    assert k.retraining_cost_rate(30, 2000, 0.1, 500) == pytest.approx(2000 / 30 + 750)


def test_optimum_by_hand_and_it_is_the_minimum():
    # T* = sqrt(2 x 2,000 / (500 x 0.1)) = sqrt(80) = 8.944 days; there both parts are C / T* = 223.6 USD/day
    t = k.optimal_retraining_interval(2000, 0.1, 500)
    assert t == pytest.approx(math.sqrt(80))
    assert 2000 / t == pytest.approx(500 * 0.1 * t / 2)
    best = k.retraining_cost_rate(t, 2000, 0.1, 500)
    assert all(k.retraining_cost_rate(t * x, 2000, 0.1, 500) > best for x in (0.5, 0.9, 1.1, 2.0))


def test_units_at_the_edges():
    t = f.calc_optimal_retraining_interval("2000 USD", "0.1 1/day", "500 USD/day")
    assert t.to("day").magnitude == pytest.approx(math.sqrt(80))
    rate = f.calc_retraining_cost_rate("30 day", "2000 USD", "0.1 1/day", "500 USD/day")
    assert rate.to("USD/day").magnitude == pytest.approx(2000 / 30 + 750)
    with pytest.raises(InputError, match="degradation"):
        f.calc_optimal_retraining_interval("2000 USD", "0 1/day", "500 USD/day")
