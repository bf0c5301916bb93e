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
    # no package index: with one, marimo's worker imports micropip at boot just to set it
    assert "data-pypi-index-url" not in out
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


GOOD_MAIN = "e?.dataset.pyodideIndexUrl;e?.dataset.pyodideLockfileUrl"
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
    out = sitebuild.export_lab(nb, tmp_path / "out")  # with --execute, as the build does
    exported = out.read_text()
    page = sitebuild.rewrite_page(exported, "../pyodide/")
    assert 'data-pyodide-index-url="../pyodide/"' in page
    assets = out.parent / "assets"
    sitebuild.check_js_spots(assets)
    sitebuild.scan_external_refs({"nb.html": page})
    # every bundle patch finds its spot exactly once; applying them twice fails (the spot is gone)
    renames = sitebuild.patch_bundle(assets)
    worker = sitebuild.worker_asset(assets)
    # the patched files (the bridge's and the worker's) got names of their own, and are used by them
    assert worker in renames.values() and len(renames) == 2 and not any((assets / old).exists() for old in renames)
    assert "self.__labEarlyWorker" in "".join(p.read_text() for p in assets.glob("state-*.js"))
    assert "packages:[`msgspec`," in (assets / worker).read_text()
    with pytest.raises(BuildError, match="exactly once"):
        sitebuild.patch_bundle(assets)
    # the preview shows the notebook's output, without marimo's custom elements
    preview = sitebuild.preview_html(exported, svg_of=lambda spec: "<svg/>")
    assert ">hi<" in preview and "<marimo-" not in preview


def test_bundle_patch_fails_when_the_spot_moved(tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "worker-A.js").write_text("loadPyodide({packages:[`msgspec`,`micropip`]})")
    patch = next(p for p in sitebuild.PATCHES if p.name == "no micropip at boot")
    with pytest.raises(BuildError, match="no micropip at boot"):
        sitebuild.apply_patch(assets, patch)
    (assets / "worker-A.js").write_text("packages:[`micropip`,`msgspec`,x]")
    sitebuild.apply_patch(assets, patch)
    assert (assets / "worker-A.js").read_text() == "packages:[`msgspec`,x]"


SESSION_PAGE = ('<html><head></head><body><div id="root"></div><script>{"notebook": {"cells": [{"id": "a"}, '
                '{"id": "b"}]}, "session": {"cells": [{"id": "b", "outputs": [{"type": "data", "data": '
                '{"text/html": "<marimo-ui-element object-id=\'b-0\'><marimo-slider data-initial-value=\'2\' '
                'data-label=\'&quot;Batch&quot;\' data-steps=\'[1,2,4,8]\'></marimo-slider></marimo-ui-element>"}}]}, '
                '{"id": "a", "outputs": [{"type": "data", "data": {"text/markdown": "<h1>Q</h1>"}}]}]}}</script></body></html>')


def test_preview_follows_the_notebook_order_and_freezes_controls():
    html = sitebuild.preview_html(SESSION_PAGE, svg_of=lambda spec: "<svg/>")
    assert html.index("<h1>Q</h1>") < html.index("lab-static-slider")  # cell a comes first
    # a slider over explicit steps stores the step's index: index 2 of [1, 2, 4, 8] is 4
    assert '<span class="lab-static-value">4</span>' in html and "waking up" in html
    page = sitebuild.insert_preview(SESSION_PAGE, html)
    assert page.index('id="lab-preview"') < page.index('<div id="root">')


@pytest.mark.parametrize("page", [SESSION_PAGE.replace('"session"', '"sessions"'),
                                  SESSION_PAGE.replace('"notebook": {"cells": [{"id": "a"}, ', '"notebook": {"cells": [')])
def test_preview_fails_loudly_on_a_changed_export(page):
    with pytest.raises(BuildError):
        sitebuild.preview_html(page, svg_of=lambda spec: "<svg/>")


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
