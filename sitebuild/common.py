"""Shared by every step of the site build: its error type, logging, hashing, running tools."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .pins import ALTAIR, MARIMO_VERSION, VL_CONVERT


class BuildError(RuntimeError):
    """A build step found something it cannot safely work around."""


def log(msg: str) -> None:
    print(f"[build_wasm] {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


# --- step 1: build tools ----------------------------------------------------------------------
def ensure_build_tools() -> None:
    """Install marimo (pinned), build, uv, the preview renderer and what the notebooks import into this
    Python if they are missing."""
    need = []
    try:
        from importlib.metadata import version

        if version("marimo") != MARIMO_VERSION:
            need.append(f"marimo=={MARIMO_VERSION}")
    except Exception:
        need.append(f"marimo=={MARIMO_VERSION}")
    # the export runs each notebook here (--execute), so the engine's own dependencies and the labs'
    # chart library must be importable too (on a fresh machine nothing else installs them)
    for mod, pkg in [("build", "build"), ("packaging", "packaging"), ("vl_convert", VL_CONVERT),
                     ("pint", "pint>=0.24"), ("pydantic", "pydantic>=2.7,<3"), ("altair", ALTAIR)]:
        if importlib.util.find_spec(mod) is None:
            need.append(pkg)
    if shutil.which("uv") is None and not uv_in_scripts():
        need.append("uv")  # marimo's html-wasm export resolves local imports with it
    if need:
        log("installing build tools: " + " ".join(need))
        run([sys.executable, "-m", "pip", "install", "--quiet", *need])
    if shutil.which("npm") is None:
        raise BuildError("npm is needed to fetch the Pyodide runtime (npm pack); install Node.js")


def uv_in_scripts() -> bool:
    return (Path(sysconfig.get_path("scripts")) / "uv").exists()


def tool_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = sysconfig.get_path("scripts") + os.pathsep + env.get("PATH", "")
    return env

