"""The README's "The other walls" examples run as written, and the walls benchmark's cases run."""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _blocks():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The other walls"):]
    section = section[: section.find("\n## ", 5)] if "\n## " in section[5:] else section
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_there_is_one_example_per_new_solver():
    code = "\n".join(_blocks())
    for name in ("ResponsibleEngineeringModel", "CompressionModel", "DiffusionModel", "InferenceScalingModel",
                 "EfficiencyModel", "SynthesisSolver", "SensitivitySolver"):
        assert name in code


@pytest.mark.parametrize("i", range(7))
def test_readme_example_runs(i, capsys):
    blocks = _blocks()
    exec(compile(blocks[i], f"README-walls-{i}", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_bench_cases_run_once_each():
    spec = importlib.util.spec_from_file_location("bench_walls_b", ROOT / "benchmarks" / "bench_walls_b.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cases = mod.cases()
    assert len({name for name, _ in cases}) == len(cases) >= 7
    for _, fn in cases:
        fn()
