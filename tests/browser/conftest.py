"""Fixtures for the browser tests: one site build per session, served on 127.0.0.1.

With MLSYSIM_SITE_DIR set to a folder that holds a built site (`python3 build_wasm.py --out DIR`),
the tests use it as it is instead of building their own, so one test run builds the site once.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sitebuild  # noqa: E402


def prebuilt_site(folder: str) -> dict:
    """The info dict `sitebuild.build` returns, read back from a site built earlier."""
    out = Path(folder).resolve()
    info_file = out / "build-info.json"
    if not info_file.is_file():
        raise pytest.UsageError(f"MLSYSIM_SITE_DIR={folder!r} holds no built site (no build-info.json); "
                                "build one with `python3 build_wasm.py --out DIR` or unset it")
    info = json.loads(info_file.read_text())
    runtime = out / sitebuild.RUNTIME_DIR
    return {"out": out, "runtime_dir": runtime, "build_id": info["build_id"], "labs": info["labs"],
            "lock": json.loads((runtime / "pyodide-lock.json").read_text())}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The whole site (labs, runtime, wheels): MLSYSIM_SITE_DIR's, or built once into a temporary folder."""
    if os.environ.get("MLSYSIM_SITE_DIR"):
        return prebuilt_site(os.environ["MLSYSIM_SITE_DIR"])
    out = tmp_path_factory.mktemp("site") / "_site"
    return sitebuild.build(out)


@pytest.fixture(scope="session")
def site_url(built_site):
    from harness import serve_site

    with serve_site(built_site["out"]) as url:
        yield url


def pytest_terminal_summary(terminalreporter):
    """One line per lab: the median Python time of a redraw in the browser (a report, not a test)."""
    from harness import REDRAW_MS

    if not REDRAW_MS:
        return
    import statistics

    terminalreporter.section("redraw time in the browser (Python side, median over the controls)")
    for lab, ms in sorted(REDRAW_MS.items()):
        terminalreporter.write_line(f"{lab:45s} {statistics.median(ms):6.1f} ms  (max {max(ms):.1f}, {len(ms)} controls)")
