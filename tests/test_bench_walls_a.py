"""Keeps benchmarks/bench_walls_a.py runnable: every case solves once and gives a feasible result (no timing asserted)."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_case_runs():
    spec = importlib.util.spec_from_file_location("bench_walls_a", ROOT / "benchmarks" / "bench_walls_a.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cases = mod.cases()
    assert len(cases) == 7
    for name, fn in cases:
        assert fn().feasible, name
