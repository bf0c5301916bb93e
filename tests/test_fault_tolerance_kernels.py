"""The goodput of a checkpointed job, checked against hand arithmetic (Daly 2006, first order)."""
import math

import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels


def test_goodput_by_hand():
    # delta = 60 s, M = 3 h = 10,800 s, R = 600 s, tau = 20 min = 1,200 s:
    # waste = 60/1200 + (600 + 600)/10800 = 0.05 + 0.1111 = 0.16111; goodput = 0.83889
    assert kernels.checkpoint_goodput(1200.0, 60.0, 10800.0, 600.0) == pytest.approx(0.838889, rel=1e-5)


def test_goodput_peaks_at_young_daly():
    # tau* = sqrt(2 x 60 x 10800) = sqrt(1,296,000) = 1138.4 s; goodput there is higher than 10 % either side
    best = math.sqrt(2 * 60 * 10800)
    assert best == pytest.approx(1138.42, rel=1e-4)
    g = lambda t: kernels.checkpoint_goodput(t, 60.0, 10800.0, 600.0)  # noqa: E731
    assert g(best) > g(best * 0.9) and g(best) > g(best * 1.1)


def test_goodput_never_negative():
    # tau = 10 h on a 1 h MTBF: waste capped at 1, goodput 0
    assert kernels.checkpoint_goodput(36000.0, 60.0, 3600.0) == 0.0


def test_formula_with_units_and_bad_input():
    # 20 min, 1 min, 3 h, 10 min: the first test's case in other units
    assert formulas.calc_checkpoint_goodput("20 min", "1 min", "3 hour", "10 min") == pytest.approx(0.838889, rel=1e-5)
    with pytest.raises(InputError, match="interval"):
        formulas.calc_checkpoint_goodput("0 s", "1 min", "3 hour")
    with pytest.raises(Exception, match="mtbf"):
        formulas.calc_checkpoint_goodput("20 min", "1 min", "3 GB")
