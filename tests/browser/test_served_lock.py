"""What the server hands the browser is exactly what the lock pins."""
from __future__ import annotations

import hashlib
import json
import tarfile
import urllib.request

import pytest

import sitebuild

pytestmark = pytest.mark.browser


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        assert r.status == 200
        return r.read()


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_served_wheels_match_the_lock(site_url, built_site):
    lock = json.loads(sitebuild.LOCK_PATH.read_text())
    served_lock = json.loads(fetch(site_url + "/pyodide/pyodide-lock.json"))
    entries = served_lock["packages"]
    # every package of the repo lock is served, plus mlsysim built from this repo, nothing else
    assert set(entries) == {p["name"] for p in lock["packages"]} | {"mlsysim"}
    for name, e in entries.items():
        body = fetch(f"{site_url}/pyodide/{e['file_name']}")
        assert sha(body) == e["sha256"], f"{name}: served bytes differ from pyodide-lock.json"
    for p in lock["packages"]:
        e = entries[p["name"]]
        assert e["version"] == p["version"], p["name"]
        if p["kind"] == "wheel":  # downloaded: the very file the lock pins, or its bytecode form
            assert e["file_name"] == p["artifact"]["file_name"]
            original = sitebuild.CACHE / "wheels" / p["artifact"]["file_name"]
        else:  # repacked from the pinned sdist: rebuilding it gives the same wheel
            sdist = sitebuild.CACHE / "sdists" / p["artifact"]["file_name"]
            original = sitebuild.pure_wheel_from_sdist(p["name"], sdist, sitebuild.CACHE / "purified-check")
            assert original.name == e["file_name"] and e["file_name"].endswith("-py3-none-any.whl")
        assert sitebuild.sha256_file(sitebuild.CACHE / ("wheels" if p["kind"] == "wheel" else "sdists")
                                      / p["artifact"]["file_name"]) == p["artifact"]["sha256"], p["name"]
        served = fetch(f"{site_url}/pyodide/{e['file_name']}")
        if sha(served) != sitebuild.sha256_file(original):
            assert_same_but_bytecode(original, served, p["name"])


def assert_same_but_bytecode(original, served: bytes, name: str):
    """The served wheel is the locked one with each compilable .py replaced by its .pyc."""
    import io
    import zipfile

    with zipfile.ZipFile(original) as a, zipfile.ZipFile(io.BytesIO(served)) as b:
        got = {n: b.read(n) for n in b.namelist()}
        compiled = 0
        dropped = sitebuild.DROP_FROM_WHEEL.get(name, ())
        for n in a.namelist():
            if dropped and n.startswith(dropped):
                assert n not in got and n[:-3] + ".pyc" not in got, (name, n)
            elif n.endswith(".dist-info/RECORD"):
                assert n in got, (name, n)
            elif n.endswith(".py") and n[:-3] + ".pyc" in got:
                assert n not in got, (name, n)
                assert got[n[:-3] + ".pyc"][:4] == got_magic(), (name, n)
                compiled += 1
            else:
                assert got.get(n) == a.read(n), f"{name}: {n} differs from the locked wheel"
        extra = set(got) - set(a.namelist()) - {n[:-3] + ".pyc" for n in a.namelist() if n.endswith(".py")}
        assert not extra, (name, extra)
        assert compiled > 0, name


def got_magic() -> bytes:
    # CPython 3.14's bytecode magic number (what Pyodide 314.0.0 runs), as the pyc header
    return (3627).to_bytes(2, "little") + b"\r\n"


def test_served_runtime_is_the_locked_npm_package(site_url):
    lock = json.loads(sitebuild.LOCK_PATH.read_text())
    tgz = sitebuild.CACHE / "npm" / lock["pyodide"]["npm"]["file_name"]
    assert sitebuild.sha256_file(tgz) == lock["pyodide"]["npm"]["sha256"]
    with tarfile.open(tgz) as tar:
        for f in sitebuild.PYODIDE_RUNTIME_FILES:
            expected = sha(tar.extractfile(f"package/{f}").read())
            assert sha(fetch(f"{site_url}/pyodide/{f}")) == expected, f


def test_depends_are_evaluated_for_emscripten(site_url):
    entries = json.loads(fetch(site_url + "/pyodide/pyodide-lock.json"))["packages"]
    marimo = entries["marimo-base"]
    assert "yaml" in entries["pyyaml"]["imports"]
    assert {"msgspec", "pyyaml", "pymdown-extensions"} <= set(marimo["depends"])
    # served, but not unpacked at boot: a run-mode lab neither completes code nor renders docstrings
    assert {"jedi", "docutils"} <= set(entries) and not {"jedi", "docutils"} & set(marimo["depends"])
    for server_only in ("uvicorn", "starlette", "websockets", "psutil", "loro", "pyzmq", "click"):
        assert server_only not in marimo["depends"]
    assert set(entries["jsonschema"]["depends"]) == {"attrs", "pyrsistent"}  # no rpds-py
    assert set(entries["mlsysim"]["depends"]) == {"pint", "pydantic"}
    # loaded with marimo at boot, before the kernel runs cells (see sitebuild.pins.EXTRA_DEPENDS)
    assert {"pyodide-http", "mlsysim"} <= set(marimo["depends"])
    # altair is served (charts are authored with it in Python) but not unpacked at boot: the labs fill
    # Vega-Lite templates shipped as JSON (mlsysim.viz) and never import it
    assert "altair" in entries and "altair" not in marimo["depends"]


def test_cache_headers(site_url, built_site):
    def cc(path):
        with urllib.request.urlopen(site_url + path, timeout=30) as r:
            return r.headers["Cache-Control"]
    assert "max-age" in cc("/pyodide/pyodide.asm.wasm")
    assert "immutable" in cc("/labs/assets/" + next(p.name for p in (built_site["out"] / "labs" / "assets").glob("index-*.js")))
    assert cc("/pyodide/pyodide-lock.json") == "no-cache"
    assert cc("/pyodide/altair-6.3.0-py3-none-any.whl") == "no-cache"
    assert cc("/labs/vol1_ch11_roofline.html") == "no-cache"
