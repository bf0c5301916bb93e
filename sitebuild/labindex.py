"""The labs' metadata and the index page: both volumes, every chapter in order, each lab's title,
question, minutes and the student's progress (read from the browser's storage by labkit.js).

A lab's metadata is the literal ``LAB = {...}`` dict in its notebook's ``with app.setup:`` block,
read here with ``ast`` (the notebook is not run), so a new lab file appears in the index by itself.
The chapter list comes from ``labkit.catalog``, which the labs' headers use too.
"""
from __future__ import annotations

import ast
import html
import math
import shutil
import sys
from pathlib import Path

from .common import BuildError
from .pins import LABS_DIR, SITE_SRC

sys.path.insert(0, str(LABS_DIR))
from labkit import catalog  # noqa: E402  (labs/ is not an installed package)

REQUIRED = {"id": str, "volume": int, "chapter": int, "title": str, "question": str, "minutes": int}
KIT_JS = "labkit.js"
KIT_CSS = "labkit.css"  # the kit's styles for lab pages (site/labkit.css)


def lab_meta(path: Path) -> dict:
    """The ``LAB`` dict of a notebook, checked: every required key with its type, the id equal to the
    file's stem, and a chapter that exists in its volume."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LAB" for t in node.targets):
            try:
                found = ast.literal_eval(node.value)
            except ValueError as exc:
                raise BuildError(f"{path.name}: LAB must be a literal dict ({exc})") from None
    if not isinstance(found, dict):
        raise BuildError(f"{path.name}: no `LAB = {{...}}` dict (id, volume, chapter, title, question, minutes)")
    for key, typ in REQUIRED.items():
        if not isinstance(found.get(key), typ):
            raise BuildError(f"{path.name}: LAB[{key!r}] must be a {typ.__name__}, got {found.get(key)!r}")
    if found["id"] != path.stem:
        raise BuildError(f"{path.name}: LAB['id'] is {found['id']!r}; it must be the file's stem {path.stem!r}")
    try:
        catalog.chapter_title(found["volume"], found["chapter"])
    except KeyError as exc:
        raise BuildError(f"{path.name}: {exc}") from None
    return {**found, "stem": path.stem}


def head_script() -> str:
    """The tag every lab page gets: copy-link buttons and the reload after "start over"."""
    return f'<link rel="stylesheet" href="../{KIT_CSS}">\n<script src="../{KIT_JS}" defer></script>\n'


def copy_sources(labs: list[Path], labs_out: Path) -> None:
    """Each notebook's source next to its page (the footer's "the notebook's code" link)."""
    src = labs_out / "src"
    src.mkdir(exist_ok=True)
    for lab in labs:
        shutil.copy2(lab, src / lab.name)


def index_sections(labs: list[dict]) -> str:
    by_chapter = {(l["volume"], l["chapter"]): l for l in labs}
    out = []
    for vol, (vol_name, titles) in catalog.VOLUMES.items():
        items = []
        for ch, title in enumerate(titles, start=1):
            lab = by_chapter.get((vol, ch))
            anchor = catalog.anchor(vol, ch)
            head = f'<span class="num">{ch}</span> <span class="chapter-title">{html.escape(title)}</span>'
            if lab is None:
                items.append(f'      <li id="{anchor}" class="coming">{head} <span class="status">coming</span></li>')
                continue
            items.append(
                f'      <li id="{anchor}" class="lab">{head}\n'
                f'        <a href="labs/{html.escape(lab["stem"])}.html">{html.escape(lab["title"])}</a>\n'
                f'        <span class="question">{html.escape(lab["question"])}</span>\n'
                f'        <span class="meta">{lab["minutes"]} min · <span class="progress" '
                f'data-lab-progress="{html.escape(lab["id"])}">not started</span></span></li>')
        out.append(f'  <section class="volume" id="v{vol}">\n    <h2>{vol_name}</h2>\n    <ol>\n'
                   + "\n".join(items) + "\n    </ol>\n  </section>")
    return "\n".join(out)


def write_index(out: Path, labs: list[dict]) -> None:
    """index.html from site/index.html, and labkit.js next to it."""
    template = (SITE_SRC / "index.html").read_text()
    if "<!--LABS-->" not in template:
        raise BuildError("site/index.html has no <!--LABS--> placeholder")
    page = template.replace("<!--LABS-->", index_sections(labs))
    files = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".gz" and p.name != "index.html"]
    most = sum((p.parent / (p.name + ".gz")).stat().st_size if (p.parent / (p.name + ".gz")).exists()
               else p.stat().st_size for p in files)
    page = page.replace("__SITE_MB__", f"{math.ceil(most / 1e6)}")
    (out / "index.html").write_text(page)


def write_kit_js(out: Path) -> None:
    shutil.copy2(SITE_SRC / KIT_JS, out / KIT_JS)
