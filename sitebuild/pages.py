"""The site's own pages: the index of labs by chapter, the service worker, and gzip copies of
every compressible file for the server."""
from __future__ import annotations

import gzip
import html
import json
import math
import re
from pathlib import Path

from .pins import SITE_SRC


def chapter_of(stem: str) -> int | None:
    m = re.match(r"ch(\d+)_", stem)
    return int(m.group(1)) if m else None


def write_index(out: Path, labs: list[dict]) -> None:
    chapters = json.loads((SITE_SRC / "chapters.json").read_text())
    template = (SITE_SRC / "index.html").read_text()
    by_ch: dict = {}
    for lab in labs:
        by_ch.setdefault(lab["chapter"], []).append(lab)
    parts = []
    for ch in sorted(by_ch, key=lambda c: (c is None, c or 0)):
        title = chapters.get(str(ch), "Other labs") if ch is not None else "Other labs"
        head = f"Chapter {ch}: {html.escape(title)}" if ch is not None else html.escape(title)
        items = "\n".join(
            f'      <li><a href="labs/{html.escape(l["stem"])}.html">{html.escape(l["title"])}</a>'
            f'<span class="file">{html.escape(l["stem"])}.py</span></li>'
            for l in sorted(by_ch[ch], key=lambda l: l["stem"]))
        parts.append(f'  <section class="chapter">\n    <h2>{head}</h2>\n    <ul>\n{items}\n    </ul>\n  </section>')
    page = template.replace("<!--LABS-->", "\n".join(parts))
    # what a first visit can download at most: every file, gzip-compressed where the server can
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".gz" and p.name != "index.html"]
    most = sum((p.parent / (p.name + ".gz")).stat().st_size if (p.parent / (p.name + ".gz")).exists()
               else p.stat().st_size for p in files)
    page = page.replace("__SITE_MB__", f"{math.ceil(most / 1e6)}")
    (out / "index.html").write_text(page)


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

