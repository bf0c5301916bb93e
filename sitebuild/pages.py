"""The service worker and gzip copies of every compressible file for the server (the index is
labindex's)."""
from __future__ import annotations

import gzip
from pathlib import Path

from .pins import SITE_SRC


def write_service_worker(out: Path, build_id: str) -> None:
    sw = (SITE_SRC / "sw.js").read_text().replace("__BUILD_ID__", build_id)
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

