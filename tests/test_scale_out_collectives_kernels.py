"""Speed-up and the ring/tree all-reduce crossover, checked against hand arithmetic."""
import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels


def test_speedup_by_hand():
    # a run of 10 days on one server, 2.5 days on more: 10 / 2.5 = 4 times faster
    assert kernels.speedup(10.0, 2.5) == pytest.approx(4.0)
    assert formulas.calc_speedup("10 day", "60 hour").magnitude == pytest.approx(4.0)
    with pytest.raises(InputError, match="time"):
        formulas.calc_speedup("10 day", "0 s")


def test_crossover_by_hand():
    # N = 8, L = ceil(log2 8) = 3, alpha = 5 us, beta = 50 GB/s:
    # M* = alpha beta (N-1-L) / (L - (N-1)/N) = 5e-6 x 50e9 x 4 / (3 - 0.875) = 250,000 x 4 / 2.125 = 470,588 B
    m = kernels.ring_tree_crossover_bytes(8, 50e9, 5e-6)
    assert m == pytest.approx(470_588.2, rel=1e-6)
    # at M*: ring = 14 x 5 us + 1.75 x 470,588 / 50e9 = 70 + 16.47 = 86.47 us;
    #        tree = 6 x (5 us + 470,588 / 50e9) = 6 x 14.41 = 86.47 us
    ring = kernels.ring_allreduce_time(m, 8, 50e9, 5e-6)
    tree = kernels.tree_allreduce_time(m, 8, 50e9, 5e-6)
    assert ring == pytest.approx(86.47e-6, rel=1e-3) and tree == pytest.approx(ring, rel=1e-9)
    # below it the tree is faster, above it the ring
    assert kernels.tree_allreduce_time(m / 2, 8, 50e9, 5e-6) < kernels.ring_allreduce_time(m / 2, 8, 50e9, 5e-6)
    assert kernels.tree_allreduce_time(m * 2, 8, 50e9, 5e-6) > kernels.ring_allreduce_time(m * 2, 8, 50e9, 5e-6)
    # N = 4: L = 2, M* = alpha beta x 1 / (2 - 0.75) = 0.8 alpha beta
    assert kernels.ring_tree_crossover_bytes(4, 1e9, 1e-6) == pytest.approx(0.8 * 1e3)


def test_tree_never_wins_on_two_or_three():
    # N = 2: ring 2a + M/b, tree 2a + 2M/b; N = 3: ring 4a + 4/3 M/b, tree 4a + 4 M/b: the ring is never slower
    assert kernels.ring_tree_crossover_bytes(2, 50e9, 5e-6) == 0.0
    assert kernels.ring_tree_crossover_bytes(3, 50e9, 5e-6) == 0.0
    assert kernels.ring_tree_crossover_bytes(1, 50e9, 5e-6) == 0.0


def test_crossover_formula_units_and_bad_input():
    assert formulas.calc_ring_tree_crossover(8, "50 GB/s", "5 us").to("byte").magnitude == pytest.approx(470_588.2, rel=1e-6)
    with pytest.raises(InputError, match="workers"):
        formulas.calc_ring_tree_crossover(0, "50 GB/s", "5 us")
    with pytest.raises(InputError, match="bandwidth"):
        formulas.calc_ring_tree_crossover(8, "-1 GB/s", "5 us")
