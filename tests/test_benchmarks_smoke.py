"""Keeps benchmarks/run.py from rotting.

Runs our side of the benchmarks with tiny repetition counts and checks the
shape of the table.  It asserts no speed target: those are checked by
``python3 benchmarks/run.py``, not by timed unit tests.
"""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXPECTED_KEYS = ["import_wall", "import_rss", "single_node", "serving", "sweep_small", "sweep",
                 "kernel", "optimizer"]


def _load_run():
    spec = importlib.util.spec_from_file_location("mlsysim_bench_run",
                                                  ROOT / "benchmarks" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def run():
    return _load_run()


@pytest.fixture(scope="module")
def ours(run):
    return run.measure_ours("tiny")


def test_ours_rows_have_positive_figures(run, ours):
    rows = run.build_rows(ours, None)
    assert [r["key"] for r in rows] == EXPECTED_KEYS
    for r in rows:
        if r["key"] == "optimizer" and r["ours"] == run.NOT_AVAILABLE:
            continue  # written later; the row then says "not available"
        assert r["ours_value"] is not None and r["ours_value"] > 0, r
        assert r["baseline"] in ("n/a", "—"), r  # no baseline given
    assert ours["sweep"]["configs"] > 0
    assert ours["sweep"]["rows"] > 0
    assert ours["single_node"]["check_latency_ms"] > 0
    assert ours["serving"]["check_ttft_ms"] > 0 and ours["serving"]["check_itl_ms"] > 0


def test_table_has_header_and_every_row(run, ours):
    rows = run.build_rows(ours, None)
    table = run.format_table(rows).splitlines()
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert header == ["operation", "ours", "baseline (0.3.0)", "ratio", "target", "met?"]
    assert len(table) == 2 + len(EXPECTED_KEYS)
    for r, line in zip(rows, table[2:]):
        assert r["operation"] in line


def test_ratios_and_verdicts_from_given_figures(run):
    # Pure arithmetic on made-up figures: no timing involved.
    ours = {"import": {"wall_s": 0.2, "max_rss_mb": 50.0, "runs": 1, "inprocess_import_s": 0.1},
            "single_node": {"median_ns": 10_000.0}, "serving": {"median_ns": 100_000.0},
            "sweep": {"configs_per_s": 2e6, "configs": 10, "samples": 1},
            "sweep_small": {"configs_per_s": 5e5, "configs": 4},
            "kernel": {"configs_per_s": 4e6},
            "optimizer": {"error": "mlsysim.solvers.ParallelismOptimizer does not exist"}}
    base = {"import": {"wall_s": 4.0, "max_rss_mb": 120.0},
            "single_node": {"median_ns": 1_000_000.0}, "serving": {"median_ns": 1_000_000.0},
            "sweep": {"configs_per_s": 1000.0}, "optimizer": {"median_ns": 8e7}}
    rows = {r["key"]: r for r in run.build_rows(ours, base)}
    assert rows["import_wall"]["ratio_value"] == pytest.approx(20.0)
    assert rows["import_wall"]["met"] == "yes" and rows["import_rss"]["met"] == "yes"
    assert rows["single_node"]["ratio_value"] == pytest.approx(100.0)
    assert rows["single_node"]["met"] == "yes"
    assert rows["serving"]["ratio_value"] == pytest.approx(10.0)
    assert rows["serving"]["met"] == "NO"
    assert rows["sweep"]["met"] == "yes" and rows["sweep_small"]["met"] == "NO"
    assert rows["sweep"]["ratio_value"] == pytest.approx(2000.0)
    assert rows["optimizer"]["ours"] == "not available"
    assert rows["optimizer"]["met"] == "n/a"


def test_missing_baseline_is_one_clear_line(run, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    data, status = run.get_baseline(str(blocker / "venv"), "tiny", log=lambda m: None)
    assert data is None
    assert "\n" not in status
    assert "0.3.0" in status and "unavailable" in status and "our figures only" in status


def test_main_without_baseline_prints_the_line_and_the_table(run, tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    out_json = tmp_path / "r.json"
    assert run.main(["--tiny", "--baseline-venv", str(blocker / "venv"),
                     "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    status = [l for l in out.splitlines() if "unavailable" in l]
    assert len(status) == 1 and "our figures only" in status[0]
    assert "| operation" in out and "ParallelismOptimizer" in out
    assert out_json.exists()


def test_every_wall_case_is_timed(run, ours):
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_walls_a
    import bench_walls_b
    names = [n for n, _ in bench_walls_a.cases()] + [n for n, _ in bench_walls_b.cases()]
    rows = run.build_wall_rows(ours)
    assert [r["operation"] for r in rows] == names
    assert all(r["ours_value"] > 0 and r["target"] == "<= 100 µs" for r in rows)
    table = run.format_table(rows).splitlines()
    assert len(table) == 2 + len(names)
