"""Owning against renting: cumulative cost and the break-even time, by hand."""
import math

import pytest

from mlsysim.physics import formulas, kernels


def test_owned_cumulative_cost_by_hand():
    # 7.68 M USD up front + 40,000 USD/month x 12 months = 8.16 M USD
    assert kernels.owned_cumulative_cost(7.68e6, 40_000.0, 12.0) == pytest.approx(8.16e6)


def test_rental_billed_for_hours_used():
    # 2.5 USD/h x 256 GPUs x 730.5 h x 0.5 = 233,760 USD
    assert kernels.utilised_rental_cost(2.5, 256, 730.5, 0.5) == pytest.approx(233_760.0)


def test_break_even_by_hand():
    # 7.68 M / (233,760 - 40,000) = 7.68e6 / 193,760 = 39.64 months
    assert kernels.break_even_time(7.68e6, 40_000.0, 233_760.0) == pytest.approx(39.636, rel=1e-4)
    # renting no dearer than running: never
    assert math.isinf(kernels.break_even_time(7.68e6, 40_000.0, 40_000.0))


def test_break_even_formula_units():
    # 1.2 M USD / (100 - 50) USD/hour = 24,000 h = 1,000 days
    t = formulas.calc_break_even_time("1.2e6 USD", "50 USD/hour", "100 USD/hour")
    assert t.to("day").magnitude == pytest.approx(1000.0)
    assert formulas.calc_owned_cumulative_cost("1000 USD", "10 USD/hour", "2 hour").to("USD").magnitude == pytest.approx(1020)
