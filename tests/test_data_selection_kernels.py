"""The data-selection kernels (iso-FLOP loss and its optimum), derived by hand from Hoffmann et al. 2022."""
from __future__ import annotations

import pytest

from mlsysim import InputError, Q_
from mlsysim.physics import formulas, kernels


def test_iso_flop_optimum_by_hand():
    # Eq. 4 with the fitted A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28:
    # G = (0.34 x 406.4 / (0.28 x 410.7))^(1 / 0.62) = (138.18 / 115.00)^1.6129 = 1.2016^1.6129 = 1.3447
    # C = 6e23: (C / 6)^(0.28 / 0.62) = (1e23)^0.45161 = 10^10.3871 = 2.438e10 -> P = 3.279e10, D = 1e23 / P = 3.050e12
    p, d = kernels.iso_flop_optimum(6e23)
    assert p == pytest.approx(3.279e10, rel=2e-3)
    assert d == pytest.approx(3.050e12, rel=2e-3)


def test_iso_flop_loss_by_hand_and_the_optimum_is_its_minimum():
    # P = 1e9 at C = 6e21: D = 1e12. L = 1.69 + 406.4 / 1e9^0.34 + 410.7 / 1e12^0.28
    # 1e9^0.34 = 10^3.06 = 1148.2 -> 0.3540; 1e12^0.28 = 10^3.36 = 2290.9 -> 0.1793; L = 2.2233
    assert kernels.iso_flop_loss(6e21, 1e9) == pytest.approx(2.2233, abs=2e-4)
    # data efficiency 2 doubles the tokens the fit sees: 410.7 / (2e12)^0.28 = 0.1793 / 2^0.28 = 0.1793 / 1.2142 = 0.1477 -> 2.1917
    assert kernels.iso_flop_loss(6e21, 1e9, 2.0) == pytest.approx(2.1917, abs=2e-4)
    for k in (1.0, 3.0):
        p, _ = kernels.iso_flop_optimum(1e22, k)
        best = kernels.iso_flop_loss(1e22, p, k)
        assert best < kernels.iso_flop_loss(1e22, p * 1.05, k) and best < kernels.iso_flop_loss(1e22, p / 1.05, k)


def test_wrappers_check_units_and_the_efficiency():
    assert formulas.calc_iso_flop_loss(Q_(6e21, "flop"), 1e9) == pytest.approx(2.2233, abs=2e-4)
    p, d = formulas.calc_iso_flop_optimum(Q_(6e23, "flop"))
    assert p.magnitude == pytest.approx(3.279e10, rel=2e-3)
    with pytest.raises(InputError, match="data_efficiency"):
        formulas.calc_iso_flop_loss(Q_(6e21, "flop"), 1e9, 0.5)
    with pytest.raises(InputError):
        formulas.calc_iso_flop_optimum(Q_(-1, "flop"))
