"""What the suite needs to run unchanged inside Pyodide (`sys.platform == "emscripten"`).

In CPython this file changes nothing. Inside Pyodide (scripts/pyodide_tests.py):
  * a test that starts a process (`subprocess`) is skipped with that reason: Emscripten has no
    processes (there `subprocess.Popen` raises OSError(ENOTSUP), which code under test may
    catch and turn into another failure, so the skip is raised where the process would start);
  * `python -m mlsysim ARGS` through `subprocess.run`, the way tests/test_cli.py drives the
    command line, runs the same `mlsysim/__main__.py` in this interpreter (`runpy`), with its
    output and exit status captured into a `CompletedProcess`; so the CLI's argument parsing,
    tables and one-line errors are tested in Pyodide too. Only the process boundary is not;
  * hypothesis uses the "emscripten" profile: no deadline (a slower interpreter must not turn
    into flaky failures), no example database (nothing written into the checkout) and fewer
    examples for tests that do not set their own count.

Under CI (``CI=true``) hypothesis runs derandomized: the same examples every run, so a merge is
judged on its code and not on a lucky draw. Local runs keep drawing fresh examples, which is where
new counter-examples are found (and then written down as explicit cases).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import settings
from inprocess import run_module_in_process

EMSCRIPTEN = sys.platform == "emscripten"
NO_PROCESS = "starts a process, and Emscripten (Pyodide) has none"

settings.register_profile("emscripten", deadline=None, database=None, max_examples=50)
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("emscripten-ci", parent=settings.get_profile("emscripten"), derandomize=True)
if EMSCRIPTEN:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "emscripten-ci" if os.environ.get("CI") else "emscripten"))
elif os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_report_header(config):
    if EMSCRIPTEN:
        import pyodide  # only exists inside Pyodide

        return [f"Pyodide {pyodide.__version__}; hypothesis profile {settings.get_current_profile_name()}"]
    return []


def _no_process(cmd=(), *args, **kwargs):
    """Skip the test where it would start a process, so no `except OSError` can hide it."""
    words = [cmd] if isinstance(cmd, str) else [str(w) for w in cmd][:3]
    if words[1:2] == ["-c"]:
        words[2:] = ["..."]
    shown = " ".join("python" if w == sys.executable else os.path.basename(w)[:20] for w in words)
    pytest.skip(f"{NO_PROCESS} (`{shown}`)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Report such a skip at the test, not at the line above."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and NO_PROCESS in report.longrepr[2]:
        report.longrepr = (str(item.path), item.location[1] + 1, report.longrepr[2])
    return report


def _run(cmd, *args, **kwargs):
    if (not args and isinstance(cmd, (list, tuple)) and list(cmd[:3]) == [sys.executable, "-m", "mlsysim"]
            and kwargs.get("capture_output") and kwargs.keys() <= {"capture_output", "text", "timeout"}):
        return run_module_in_process(cmd, **kwargs)
    return _no_process(cmd)


if EMSCRIPTEN:  # for the whole session: module-scoped fixtures start processes too
    subprocess.Popen = _no_process
    subprocess.run = _run
