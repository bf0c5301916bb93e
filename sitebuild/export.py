"""Export each lab with marimo and rewrite the exported page and bundle for this site.

Every spot rewritten in marimo's export is looked for exactly where expected, and the build stops
with a message naming it when it is not there: a marimo upgrade that moves one must break the
build, not the labs.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .common import BuildError, log, tool_env
from .pins import PYODIDE_VERSION, ROOT

# Export assets a run-mode lab never loads: the editor, collaboration (loro), AI panels, plotly,
# SQL parsing, diagrams, slides, terminal, data-editing grids, and the non-woff2 font copies.
# Only files that are *lazy* chunks may go: the build checks that none of them is reachable
# through static imports from the page, and the browser test fails on any 404.
PRUNE_PATTERNS = [
    r"^public/wheels/",  # marimo's wheel of the local labkit package: it ships in the mlsysim wheel instead
    r"^[^/]+\.md$",  # notes for editor tooling that marimo's export copies along
    r"^assets/Plot-.*\.js$",
    r"^assets/loro_wasm_bg-.*$",
    r"^assets/node-sql-parser-.*\.js$",
    r"^assets/terminal-.*\.js$",
    r"^assets/cytoscape\..*\.js$",
    r"^assets/edit-page-.*\.js$",
    r"^assets/ai-model-dropdown-.*\.js$",
    r"^assets/add-cell-with-ai-.*\.js$",
    r"^assets/save-worker-.*\.js$",
    r"^assets/(architecture|sequence|class|state|er|gantt|journey|mindmap|quadrant|requirement|"
    r"sankey|timeline|xychart|block|c4|flow|git|kanban|packet|pie|radar|treemap)[A-Za-z]*Diagram-.*\.js$",
    r"^assets/swimlanes-.*\.js$",
    r"^assets/reveal-component-.*\.js$",
    r"^assets/swiper-component-.*\.js$",
    r"^assets/glide-data-editor-.*\.js$",
    r"^assets/dependency-graph-panel-.*\.js$",
    r"^assets/ConnectedDataExplorerComponent-.*\.js$",
    r"^assets/.*\.(ttf|woff)$",
]


def export_lab(lab: Path, labs_out: Path) -> Path:
    """Export one lab with its outputs for the default controls embedded (`--execute`): the page
    shows them as a preview while Python starts in the browser. The notebook runs here, in this
    Python, against this repo's mlsysim (`--no-sandbox`: marimo's sandbox would resolve packages
    from the network instead of the lock); a cell that fails fails the build."""
    out_html = labs_out / f"{lab.stem}.html"
    env = tool_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT / "core"), env.get("PYTHONPATH", "")] if p)
    proc = subprocess.run(["marimo", "export", "html-wasm", str(lab), "-o", str(out_html), "--mode", "run",
                           "--no-show-code", "-f", "--execute", "--no-sandbox"],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    log(f"$ marimo export html-wasm {lab.name} --execute")
    if proc.returncode != 0 or "failed to execute" in proc.stderr + proc.stdout:
        raise BuildError(f"exporting {lab.name} with its outputs failed:\n{(proc.stderr + proc.stdout)[-3000:]}")
    if not out_html.exists():
        raise BuildError(f"marimo export produced no {out_html}")
    return out_html


# The spots in marimo's page that point the browser at Pyodide. Each must be found exactly where
# expected, or the build stops: a marimo upgrade that moves them must break the build, not the labs.
MARIMO_WASM_TAG_RE = re.compile(r"<marimo-wasm\b([^>]*)>")
JS_SPOTS = {
    # reads the attributes we set from <marimo-wasm> (main thread)
    "dataset.pyodideIndexUrl": "the page reads data-pyodide-index-url",
    "dataset.pyodideLockfileUrl": "the page reads data-pyodide-lockfile-url",
}
WORKER_SPOTS = {
    "e.pyodideIndexUrl??": "the worker prefers the page's Pyodide index URL over the CDN",
    "e.pyodideLockfileUrl??": "the worker prefers the page's lock file URL over marimo's server",
    f"v{PYODIDE_VERSION}/full/": f"the worker's Pyodide loader is version {PYODIDE_VERSION}",
}


# marimo's export turns a notebook's import of a local package (labs/labkit) into a PEP 723 header
# that installs a wheel it writes to public/wheels/, one per export under the same name, so every
# lab but the last asks for a file that is gone. labkit ships inside the mlsysim wheel of the
# runtime's lock, so the header is dropped (inside the page's JSON-escaped notebookCode).
LOCAL_WHEEL_HEADER_RE = re.compile(
    r'# /// script\\n# dependencies = \[\\"labkit @ \.\./public/wheels/labkit-[^"\\]+\.whl\\"\]\\n# ///\\n(?:\\n)?')


def drop_local_wheel_header(page: str) -> str:
    """The page without marimo's header installing the local labkit wheel; BuildError if another
    local wheel is referenced (a new local package must ship in the mlsysim wheel too)."""
    page = LOCAL_WHEEL_HEADER_RE.sub("", page, count=1)
    if "public/wheels/" in page:
        raise BuildError("the exported page installs a local wheel other than labkit's (public/wheels/); "
                         "ship that package in the mlsysim wheel (pyproject's wheel packages) and drop it here")
    return page


def rewrite_page(page: str, runtime_rel: str, extra_head: str = "") -> str:
    """Point a marimo html-wasm page at the self-hosted runtime. Raises BuildError if the page
    does not have exactly one <marimo-wasm> element to carry the attributes."""
    tags = MARIMO_WASM_TAG_RE.findall(page)
    if len(tags) != 1:
        raise BuildError(f"expected exactly one <marimo-wasm> element in the exported page, found {len(tags)}")
    if "data-pyodide" in tags[0]:
        raise BuildError("the exported <marimo-wasm> already carries data-pyodide-* attributes; "
                         "marimo changed how it sets them, review build_wasm.rewrite_page")
    # No data-pypi-index-url: with it the worker imports micropip at boot only to set the index
    # (~0.25 s), and the labs install nothing at run time.
    attrs = (
        f' data-pyodide-index-url="{runtime_rel}"'
        f' data-pyodide-lockfile-url="{runtime_rel}pyodide-lock.json"'
    )
    page = MARIMO_WASM_TAG_RE.sub(lambda m: f"<marimo-wasm{m.group(1)}{attrs}>", page, count=1)
    if "</head>" not in page:
        raise BuildError("the exported page has no </head>")
    page = page.replace("</head>", extra_head + "</head>", 1)
    return drop_local_wheel_header(page)


def check_js_spots(assets: Path) -> None:
    """The JS that consumes our attributes must still exist, and the worker must boot our Pyodide."""
    js = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in assets.glob("*.js")}
    for needle, why in JS_SPOTS.items():
        if not any(needle in s for s in js.values()):
            raise BuildError(f"marimo's frontend no longer contains {needle!r} ({why})")
    workers = [n for n, s in js.items() if n.startswith("worker-") and "loadPyodide" in s]
    if len(workers) != 1:
        raise BuildError(f"expected one marimo Pyodide worker chunk, found {workers}")
    for needle, why in WORKER_SPOTS.items():
        if needle not in js[workers[0]]:
            raise BuildError(f"marimo's worker no longer contains {needle!r} ({why})")


_IMPORT_RE = re.compile(r"""(?:\bfrom\s*|\bimport\s*)["'`]\./([^"'`]+\.js)["'`]""")
_DYN_RE = re.compile(r"""\bimport\(\s*["'`]\./([^"'`]+\.js)["'`]\s*\)""")


def static_closure(assets: Path, entries: set[str]) -> set[str]:
    """Asset files reachable from the page through static imports (never lazily loaded)."""
    seen, todo = set(), list(entries)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        p = assets / name
        if not p.exists() or not name.endswith(".js"):
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        dyn = set(_DYN_RE.findall(text))
        for dep in _IMPORT_RE.findall(text):
            if dep not in dyn:
                todo.append(dep)
    return seen


def page_assets(page: str) -> set[str]:
    """Asset files a page names itself (scripts, styles, preloads)."""
    return set(re.findall(r'(?:href|src)="\./assets/([^"]+)"', page))


def prune_assets(labs_out: Path, pages: list[str]) -> tuple[int, int]:
    """Remove export files a run-mode lab never loads; return (files removed, bytes removed)."""
    referenced = set()
    for page in pages:
        referenced |= page_assets(page)
    needed = static_closure(labs_out / "assets", referenced)
    pats = [re.compile(p) for p in PRUNE_PATTERNS]
    removed = nbytes = 0
    for p in sorted(labs_out.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(labs_out).as_posix()
        if rel.endswith(".html"):
            continue
        if any(r.search(rel) for r in pats):
            if rel.startswith("assets/") and rel[len("assets/"):] in needed:
                raise BuildError(f"{rel} matches a prune pattern but the page loads it statically")
            nbytes += p.stat().st_size
            removed += 1
            p.unlink()
    return removed, nbytes


def scan_external_refs(pages: dict[str, str]) -> None:
    """Fail if a page itself (not marimo's lazy JS) references another host."""
    for name, page in pages.items():
        for m in re.finditer(r'(?:src|href)\s*=\s*"(https?://[^"]+)"', page):
            raise BuildError(f"{name} still references {m.group(1)}")
        if "cdn.jsdelivr" in page or "wasm.marimo.app" in page:
            raise BuildError(f"{name} still references a CDN")

