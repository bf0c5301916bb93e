"""Fixtures for the browser tests: one site build per session, served on 127.0.0.1."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Build the whole site (labs, runtime, wheels) into a temporary folder, once."""
    import build_wasm

    out = tmp_path_factory.mktemp("site") / "_site"
    info = build_wasm.build(out)
    return info


@pytest.fixture(scope="session")
def site_url(built_site):
    from harness import serve_site

    with serve_site(built_site["out"]) as url:
        yield url
