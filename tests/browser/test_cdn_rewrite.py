"""Fast checks (no browser) that the build finds, and insists on, the spots it rewrites in
marimo's exported page: a marimo upgrade that moves them must fail the build, not the students."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sitebuild
from sitebuild import BuildError

PAGE = """<!DOCTYPE html><html><head><title>t</title>
<script type="module" crossorigin src="./assets/index-abc.js"></script>
<marimo-wasm hidden=""></marimo-wasm>
<marimo-code hidden="">x</marimo-code></head><body><div id="root"></div></body></html>"""


def test_rewrite_sets_the_runtime_urls():
    out = sitebuild.rewrite_page(PAGE, "../pyodide/", extra_head="<!--loader-->")
    assert 'data-pyodide-index-url="../pyodide/"' in out
    assert 'data-pyodide-lockfile-url="../pyodide/pyodide-lock.json"' in out
    assert 'data-pypi-index-url="../pyodide/pypi/{package_name}/"' in out
    assert out.count("<marimo-wasm") == 1 and "<!--loader--></head>" in out


@pytest.mark.parametrize("page, why", [
    (PAGE.replace('<marimo-wasm hidden=""></marimo-wasm>', ""), "no <marimo-wasm>"),
    (PAGE.replace("</marimo-wasm>", "</marimo-wasm><marimo-wasm></marimo-wasm>"), "two <marimo-wasm>"),
    (PAGE.replace('<marimo-wasm hidden="">', '<marimo-wasm data-pyodide-index-url="https://cdn/">'),
     "attributes already set by marimo"),
    (PAGE.replace("</head>", ""), "no </head>"),
])
def test_rewrite_fails_loudly_when_the_spot_moved(page, why):
    with pytest.raises(BuildError):
        sitebuild.rewrite_page(page, "../pyodide/")


def _fake_assets(tmp_path: Path, worker: str, main: str) -> Path:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "worker-X1.js").write_text(worker)
    (assets / "state-Y2.js").write_text(main)
    return assets


GOOD_MAIN = "e?.dataset.pyodideIndexUrl;e?.dataset.pyodideLockfileUrl;e?.dataset.pypiIndexUrl"
GOOD_WORKER = ("function loadPyodide(){}let n=e.pyodideIndexUrl??`https://cdn.jsdelivr.net/pyodide/"
               "v314.0.0/full/`;lockFileURL:e.pyodideLockfileUrl??`https://wasm.marimo.app/x`")


def test_js_spots_found(tmp_path):
    sitebuild.check_js_spots(_fake_assets(tmp_path, GOOD_WORKER, GOOD_MAIN))


@pytest.mark.parametrize("worker, main", [
    (GOOD_WORKER, GOOD_MAIN.replace("pyodideLockfileUrl", "lockUrl")),  # page stopped reading the attribute
    (GOOD_WORKER.replace("e.pyodideIndexUrl??", "e.indexUrl||"), GOOD_MAIN),  # worker ignores it
    (GOOD_WORKER.replace("v314.0.0", "v315.0.0"), GOOD_MAIN),  # marimo moved to another Pyodide
])
def test_js_spots_missing_fail_the_build(tmp_path, worker, main):
    with pytest.raises(BuildError):
        sitebuild.check_js_spots(_fake_assets(tmp_path, worker, main))


def test_prune_refuses_a_statically_imported_file(tmp_path):
    labs = tmp_path / "labs"
    (labs / "assets").mkdir(parents=True)
    (labs / "assets" / "index-A.js").write_text('import{a}from"./Plot-B.js";')
    (labs / "assets" / "Plot-B.js").write_text("export const a=1")
    page = '<script type="module" src="./assets/index-A.js"></script>'
    with pytest.raises(BuildError):
        sitebuild.prune_assets(labs, [page])


def test_prune_removes_lazy_chunks(tmp_path):
    labs = tmp_path / "labs"
    (labs / "assets").mkdir(parents=True)
    (labs / "assets" / "index-A.js").write_text('const p=()=>import("./Plot-B.js");')
    (labs / "assets" / "Plot-B.js").write_text("export const a=1")
    page = '<script type="module" src="./assets/index-A.js"></script>'
    removed, _ = sitebuild.prune_assets(labs, [page])
    assert removed == 1 and not (labs / "assets" / "Plot-B.js").exists()


def test_the_installed_marimo_export_still_has_the_spots(tmp_path):
    """Export a tiny notebook with the marimo that is installed and run the real checks on it."""
    nb = tmp_path / "nb.py"
    nb.write_text(textwrap.dedent("""
        import marimo
        app = marimo.App()

        @app.cell
        def _():
            import marimo as mo
            mo.md("hi")
            return
    """))
    out = tmp_path / "out" / "nb.html"
    subprocess.run([sys.executable, "-m", "marimo", "export", "html-wasm", str(nb), "-o", str(out),
                    "--mode", "run", "-f"], check=True, env=sitebuild.tool_env(), capture_output=True)
    page = sitebuild.rewrite_page(out.read_text(), "../pyodide/")
    assert 'data-pyodide-index-url="../pyodide/"' in page
    sitebuild.check_js_spots(out.parent / "assets")
    sitebuild.scan_external_refs({"nb.html": page})


def test_lock_file_is_well_formed():
    lock = json.loads(sitebuild.LOCK_PATH.read_text())
    assert lock["marimo"] == sitebuild.MARIMO_VERSION
    assert lock["pyodide"]["version"] == sitebuild.PYODIDE_VERSION
    assert len(lock["pyodide"]["npm"]["sha256"]) == 64
    names = {p["name"] for p in lock["packages"]}
    # what the notes found necessary, and what must stay out
    assert {"marimo-base", "msgspec", "pydantic-core", "pyyaml", "markupsafe", "jsonschema", "pyrsistent",
            "pint", "pydantic", "altair", "micropip", "pyodide-http"} <= names
    assert not names & {"rpds-py", "numpy", "pandas", "uvicorn", "loro", "psutil", "pyzmq"}
    for p in lock["packages"]:
        assert len(p["artifact"]["sha256"]) == 64, p
        if p["kind"] == "wheel" and p["name"] in {"pydantic-core", "msgspec"}:
            assert p["artifact"]["file_name"].endswith(f"-{sitebuild.PYODIDE_PLATFORM}.whl")
        elif p["kind"] == "wheel":
            assert p["artifact"]["file_name"].endswith("-none-any.whl"), p
    by = {p["name"]: p["version"] for p in lock["packages"]}
    assert by["jsonschema"] == "4.17.3"


def test_verify_rejects_a_tampered_file(tmp_path):
    f = tmp_path / "x.whl"
    f.write_bytes(b"hello")
    with pytest.raises(BuildError, match="HASH MISMATCH"):
        sitebuild.verify(f, "0" * 64, "x")
