"""The command line in-process: one-line errors, JSON errors, exit statuses, name look-ups, new commands."""

import json

import pytest

import mlsysim
from mlsysim.cli import BAD_INPUT, DOES_NOT_FIT, OK, main
from mlsysim.walls import Wall


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlsysim: error: "), err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ("solve", "--bogus"), ("solve",), ("nosuchcommand",), ("solve", "resnet50", "h100", "--precision", "fp12"),
    ("carbon", "research256", "--hour", "3"),  # no abbreviation of --hours
    ("list", "hardware", "--tier", "nosuch"), ("optimize", "llama3_70b", "frontier8k", "--batch-size", "1024", "--top", "0"),
    ("optimize", "llama3_70b", "frontier8k", "--batch-size", "1024", "--top", "-1"),
    ("carbon", "research256", "--hours", "1e308"), ("carbon", "research256", "--hours", "nan"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == BAD_INPUT and out == ""
    line = one_error_line(err)
    assert "usage:" not in line


def test_tier_error_lists_the_tiers(capsys):
    _, _, err = run(capsys, "list", "hardware", "--tier", "nosuch")
    assert all(t in err for t in ("cloud", "workstation", "mobile", "edge", "tiny"))


def test_hours_that_overflow_name_the_flag(capsys):
    _, _, err = run(capsys, "carbon", "research256", "--hours", "1e308")
    assert "--hours" in err and "1e308" in err


@pytest.mark.parametrize("argv", [
    ("solve", "resnet50", "h100", "--batch-size", "0", "--json"),
    ("solve", "resnet50", "h10", "--json"),
    ("solve", "resnet50", "h100", "--bogus", "--json"),
])
def test_json_errors_are_a_json_object_on_stdout(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == BAD_INPUT
    data = json.loads(out)
    assert data["exit_status"] == BAD_INPUT and data["error"]["message"]


def test_json_error_names_the_field(capsys):
    _, out, _ = run(capsys, "solve", "resnet50", "h100", "--batch-size", "0", "--json")
    err = json.loads(out)["error"]
    assert err["field"] == "batch_size" and err["value"] == "0" and "integer >= 1" in err["accepted"]


def test_show_searches_every_catalogue(capsys):
    status, out, _ = run(capsys, "show", "mixtral 8x7b")
    assert status == OK and "Mixtral" in out
    status, out, _ = run(capsys, "show", "quebec")
    assert status == OK and "carbon_intensity" in out
    status, _, err = run(capsys, "show", "mixtral")
    line = one_error_line(err)
    assert "mixtral_8x7b (models)" in line and "list()" not in line
    _, _, err = run(capsys, "show", "lama3_70b")
    assert "llama3_70b" in one_error_line(err)


def test_solve_says_when_a_name_is_in_another_catalogue(capsys):
    status, _, err = run(capsys, "solve", "h100", "resnet50")
    assert status == BAD_INPUT and "'h100' is a hardware entry" in one_error_line(err)


def test_infeasible_exits_1_and_says_so_first(capsys):
    # Llama-3-70B fp16 weights: 70.55e9 x 2 B = 141.1 GB > the Jetson Orin NX's 16 GB
    status, out, _ = run(capsys, "solve", "llama3_70b", "jetsonorinnx")
    assert status == DOES_NOT_FIT
    assert out.startswith("does not fit: ") and "141.1 GB" in out.splitlines()[0]
    status, out, _ = run(capsys, "solve", "llama3_70b", "jetsonorinnx", "--json")
    assert status == DOES_NOT_FIT and json.loads(out)["feasible"] is False


def test_optimize_with_no_layout_says_why(capsys):
    # batch 7 is odd and prime: no data-parallel degree > 1 divides it, and 8,192 GPUs need dp >= 16 (tp <= 8 in a
    # node, pp <= 64, the largest power of two up to the 80 layers), so no layout can take it (256 GPUs can, since
    # uneven pipeline splits are searched: tp 8 x pp 32, dp 1)
    status, out, _ = run(capsys, "optimize", "llama3_70b", "frontier8k", "--batch-size", "7")
    assert status == DOES_NOT_FIT and out.startswith("does not fit: no layout")


def test_warnings_are_one_line_without_source(capsys):
    # tp 16 spans two 8-GPU nodes: the solver warns; the CLI shows it as one line, no Python source
    status, out, err = run(capsys, "train", "llama3_70b", "frontier8k", "--batch-size", "1024", "--tp", "16")
    assert status in (OK, DOES_NOT_FIT)
    lines = err.strip().splitlines()
    assert lines and all(l.startswith("mlsysim: warning: ") for l in lines), err
    assert "UserWarning" not in err and "warnings.warn" not in err


def test_registry_check_lists_every_problem(capsys, tmp_path):
    (tmp_path / "mine.toml").write_text(
        '[sources.mine]\ntitle = "mine"\ndate = 2026-11-25\nkind = "measured"\n\n'
        '[[hardware]]\nkey = "myacc"\nname = "My accelerator"\nsource = "mine"\ntdp = "-700 W"\n'
        'compute = { peak_flops = "100 TFLOP/s" }\nmemory = { capacity = "16 GB", bandwidth = "1 Tb/s" }\n')
    status, out, _ = run(capsys, "registry", "check", str(tmp_path))
    assert status == DOES_NOT_FIT
    assert "tdp" in out and "memory.bandwidth" in out and "mine.toml" in out and "'myacc'" in out
    status, out, _ = run(capsys, "registry", "check", str(tmp_path), "--json")
    assert status == DOES_NOT_FIT and len(json.loads(out)["problems"]) == 2


def test_global_registry_flag_merges_a_user_folder(capsys, tmp_path):
    (tmp_path / "mine.toml").write_text(
        '[sources.mine]\ntitle = "mine"\ndate = 2026-11-25\nkind = "measured"\n\n'
        '[[hardware]]\nkey = "myacc"\nname = "My accelerator"\nsource = "mine"\ntdp = "100 W"\n'
        'compute = { peak_flops = "100 TFLOP/s" }\nmemory = { capacity = "16 GB", bandwidth = "1 TB/s" }\n')
    status, out, _ = run(capsys, "--registry", str(tmp_path), "show", "myacc")
    assert status == OK and "My accelerator" in out
    status, out, _ = run(capsys, "show", "myacc", "--registry", str(tmp_path))
    assert status == OK
    # afterwards the built-in registry alone is back
    status, _, _ = run(capsys, "show", "myacc")
    assert status == BAD_INPUT


class FakeAudit:
    def __init__(self, feasible):
        self.feasible = feasible
        self.binding = Wall.MEMORY if feasible else Wall.CAPACITY

    def table(self):
        return "wall     figure  limit  binds\nmemory   4.8 ms  -      yes"

    def as_dict(self):
        return {"feasible": self.feasible, "binding": str(self.binding), "walls": []}


def test_audit_calls_the_python_api_with_its_flags(capsys, monkeypatch):
    seen = {}

    def fake(model, system, workload="inference", **kw):
        seen.update(model=model, system=system, workload=workload, **kw)
        return FakeAudit(True)

    monkeypatch.setattr(mlsysim, "audit", fake, raising=False)
    status, out, _ = run(capsys, "audit", "llama3_8b", "h100", "--workload", "serving", "--batch-size", "8", "--seq-len", "4096",
                         "--grid", "quebec", "--days", "30")
    assert status == OK and "memory" in out
    assert seen["model"] is mlsysim.Models.Llama3_8B and seen["system"] is mlsysim.Hardware.H100
    assert seen["workload"] == "serving" and seen["batch_size"] == 8 and seen["seq_len"] == 4096
    assert seen["grid"] is mlsysim.Grids.Quebec and seen["duration"] == "30.0 day" and seen["precision"] == "fp16"
    status, out, _ = run(capsys, "audit", "llama3_8b", "research256", "--json")
    assert status == OK and json.loads(out)["binding"] == "memory" and seen["system"] is mlsysim.Fleets.Research256


def test_audit_infeasible_exits_1(capsys, monkeypatch):
    monkeypatch.setattr(mlsysim, "audit", lambda *a, **k: FakeAudit(False), raising=False)
    status, out, _ = run(capsys, "audit", "llama3_70b", "jetsonorinnx")
    assert status == DOES_NOT_FIT and out.startswith("does not fit")


def test_grade_without_the_lab_kit_is_one_line(capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "labkit", None)  # makes `import labkit` fail
    status, _, err = run(capsys, "grade", "a.py")
    assert status == BAD_INPUT and "lab kit is not installed" in one_error_line(err)
