"""The service worker and gzip copies of every compressible file for the server (the index is
labindex's)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from .pins import SITE_SRC


def boot_wheels(lock: dict, roots: list[str]) -> list[str]:
    """File names of the wheels Pyodide loads when marimo's worker boots: the roots and everything
    they depend on in the browser's lock."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += lock["packages"][name]["depends"]
    return sorted(lock["packages"][n]["file_name"] for n in seen)


def write_service_worker(out: Path, build_id: str, precache: list[str]) -> None:
    """sw.js with this build's id and the files to cache at install (paths relative to the site)."""
    sw = (SITE_SRC / "sw.js").read_text().replace("__BUILD_ID__", build_id)
    sw = sw.replace("__PRECACHE__", json.dumps(precache))
    (out / "sw.js").write_text(sw)


COMPRESSIBLE = {".wasm", ".js", ".mjs", ".css", ".json", ".html", ".svg", ".map", ".txt"}


def precompress(out: Path) -> tuple[int, int]:
    """Write a reproducible `.gz` next to every compressible file (what nginx's gzip_static and
    this script's server send); wheels and zips are compressed already."""
    before = after = 0
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.suffix in COMPRESSIBLE and p.stat().st_size > 1024:
            data = p.read_bytes()
            z = gzip.compress(data, compresslevel=6, mtime=0)
            if len(z) < len(data):
                (p.parent / (p.name + ".gz")).write_bytes(z)
                before, after = before + len(data), after + len(z)
    return before, after

