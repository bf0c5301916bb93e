"""Inside Pyodide the CLI tests run `python -m mlsysim` in-process (tests/inprocess.py), since
Emscripten has no processes. Here, in CPython, the stand-in must give what a real process gives:
the same output, error text and exit status. (In Pyodide this test is skipped: it starts one.)"""

import subprocess
import sys

import pytest
from inprocess import run_module_in_process

COMMANDS = [
    ["solve", "resnet50", "h100", "--batch-size", "1", "--json"],  # a result, as JSON, status 0
    ["show", "h100"],  # a table, status 0
    ["solve", "resnet50", "h10"],  # a one-line error of mlsysim's own, status 2
    ["solve", "resnet50", "h100", "--batch-size", "x"],  # argparse's usage error (SystemExit 2)
    ["--help"],  # argparse's exit with status 0
]


@pytest.mark.skipif(sys.platform == "emscripten", reason="compares with a real process, which Emscripten cannot start")
def test_in_process_run_matches_a_real_process():
    for args in COMMANDS:
        cmd = [sys.executable, "-m", "mlsysim", *args]
        real = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        ours = run_module_in_process(cmd, capture_output=True, text=True)
        assert (ours.returncode, ours.stdout, ours.stderr) == (real.returncode, real.stdout, real.stderr), args
    assert {run_module_in_process([sys.executable, "-m", "mlsysim", *a], capture_output=True).returncode
            for a in COMMANDS} == {0, 2}  # both kinds of exit were compared
