"""`python -m MODULE ARGS` without a process, for interpreters that cannot start one (Pyodide).

tests/conftest.py routes `subprocess.run([sys.executable, "-m", "mlsysim", ...])` here inside
Pyodide; tests/test_inprocess.py checks in CPython that it gives what a real process gives.
"""
from __future__ import annotations

import contextlib
import io
import runpy
import subprocess
import sys
import traceback


def run_module_in_process(cmd, *, capture_output, text=False, timeout=None):
    """`subprocess.run([sys.executable, "-m", MODULE, *args])`, run by this interpreter."""
    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = [cmd[0], *cmd[3:]]  # runpy replaces argv[0] with the module's file, as -m does
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_module(cmd[2], run_name="__main__", alter_sys=True)
                status = 0
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else (exc.code is not None)
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
            except Exception:  # a real interpreter prints the traceback and exits with 1
                traceback.print_exc()
                status = 1
    finally:
        sys.argv = argv
    stdout, stderr = out.getvalue(), err.getvalue()
    if not text:
        stdout, stderr = stdout.encode(), stderr.encode()
    return subprocess.CompletedProcess(list(cmd), int(status), stdout, stderr)
