"""Rewrites of marimo's exported JavaScript bundle that shorten a lab's start-up.

Each rewrite is a `BundlePatch`: the asset it applies to (a file-name pattern that must match
exactly one file), a regular expression that must match exactly once in it, and its replacement.
A marimo upgrade that moves a spot fails the build with a message naming the patch, instead of
silently leaving a slow (or broken) lab. What each one saves is measured in
docs/site-measurements.md.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .common import BuildError


@dataclass(frozen=True)
class BundlePatch:
    name: str  # short name, used in messages and in the build's log
    asset: str  # regular expression for the asset's file name (exactly one file must match)
    find: str  # regular expression that must match exactly once in that file
    replace: str  # replacement (re.sub syntax: \1 ...)
    why: str


PATCHES = [
    BundlePatch(
        "start the worker first",
        r"^state-[\w-]+\.js$",
        # the bridge to the Python worker is created lazily, when React first asks for it
        r"(\b[A-Za-z_$][\w$]*)=class [A-Za-z_$][\w$]*\{static get INSTANCE\(\)\{let [A-Za-z_$][\w$]*="
        r"`_marimo_private_PyodideBridge`(?P<rest>.*)\Z",
        r"\g<0>\n;\1.INSTANCE; /* mlsysim site build: boot Pyodide while React mounts */\n",
        "marimo creates its Pyodide worker only once its React app has mounted; creating the bridge "
        "when the bundle is evaluated boots Pyodide in parallel with the mount",
    ),
    BundlePatch(
        "adopt the early worker",
        r"^state-[\w-]+\.js$",
        r"([A-Za-z_$][\w$]*)=([A-Za-z_$][\w$]*)\(new URL\(([A-Za-z_$][\w$]*),import\.meta\.url\),"
        r"\{name:([A-Za-z_$][\w$]*)\(\)\}\);this\.rpc=",
        r"\1=(self.__labEarlyWorker&&self.__labEarlyWorker())||\2(new URL(\3,import.meta.url),{name:\4()});this.rpc=",
        "the page starts marimo's worker from an inline script while it parses (site/early-worker.html); "
        "the bridge takes that worker instead of creating its own",
    ),
    BundlePatch(
        "no micropip at boot",
        r"^worker-[\w-]+\.js$",
        r"packages:\[`micropip`,`msgspec`,",
        "packages:[`msgspec`,",
        "the labs install nothing at run time; micropip stays in the lock for marimo to load on demand",
    ),
    BundlePatch(
        "no always-prepended imports",
        r"^worker-[\w-]+\.js$",
        r",([A-Za-z_$])=`import docutils\\n\$\{\1\}`,\1=`import pygments\\n\$\{\1\}`,"
        r"\1=`import jedi\\n\$\{\1\}`,\1=`import pyodide_http\\n\$\{\1\}`;",
        ";",
        "marimo adds `import docutils, pygments, jedi, pyodide_http` to every notebook's imports, "
        "which loads (unpacks) those wheels although a run-mode lab needs none of them at start",
    ),
]

# What site/loading.html relies on in marimo's bundle to know when the lab is live.
BRIDGE_SPOTS = {
    "`_marimo_private_PyodideBridge`": "the page finds marimo's bridge to the worker on window",
    "addMessageListener(`kernelMessage`": "the bridge forwards the kernel's messages",
    "addMessageListener(`initializedError`": "the bridge reports a failed start",
}
WORKER_MESSAGE_SPOTS = {
    "kernel-ready": "the kernel announces it has started",
    "cell-op": "the kernel reports each cell's status",
}


def _one_asset(assets: Path, pattern: str, what: str) -> Path:
    found = [p for p in sorted(assets.iterdir()) if re.match(pattern, p.name)]
    if len(found) != 1:
        raise BuildError(f"bundle patch {what!r}: expected one asset matching {pattern!r} in marimo's export, "
                         f"found {[p.name for p in found]}")
    return found[0]


def apply_patch(assets: Path, patch: BundlePatch) -> Path:
    """Apply one patch in place; BuildError unless exactly one asset named like `patch.asset`
    holds its spot, exactly once."""
    rx = re.compile(patch.find, re.S)
    hits = []
    for path in sorted(assets.iterdir()):
        if re.match(patch.asset, path.name):
            text = path.read_text(encoding="utf-8", errors="replace")
            n = len(rx.findall(text))
            if n:
                hits.append((path, n, text))
    if len(hits) != 1 or hits[0][1] != 1:
        where = ", ".join(f"{p.name} ({n}x)" for p, n, _ in hits) or "nowhere"
        raise BuildError(f"bundle patch {patch.name!r}: its spot must be found exactly once in one asset named like "
                         f"{patch.asset!r}, found {where}; marimo changed this code ({patch.why}). "
                         "Review sitebuild.bundle.PATCHES.")
    path, _, text = hits[0]
    path.write_text(rx.sub(patch.replace, text, count=1), encoding="utf-8")
    return path


def rename_by_content(assets: Path, paths: set[Path]) -> dict[str, str]:
    """Give each patched file a name of its own (its content hash appended), and point every asset
    at the new names: marimo's names hash marimo's content, and a patched file under the old name
    would be served stale by caches that take those names as immutable. Returns {old: new}."""
    renames = {}
    for p in sorted(paths):
        digest = hashlib.sha256(p.read_bytes()).hexdigest()[:8]
        renames[p.name] = f"{p.stem}.m{digest}{p.suffix}"
    if not renames:
        return renames
    rx = re.compile("|".join(re.escape(k) for k in sorted(renames, key=len, reverse=True)))
    for p in assets.iterdir():
        if p.suffix in (".js", ".css", ".json") and p.is_file():
            text = p.read_text(encoding="utf-8", errors="surrogateescape")
            new = rx.sub(lambda m: renames[m.group(0)], text)
            if new != text:
                p.write_text(new, encoding="utf-8", errors="surrogateescape")
    for old, new in renames.items():
        (assets / old).rename(assets / new)
    return renames


def patch_bundle(assets: Path, patches: list[BundlePatch] = PATCHES) -> dict[str, str]:
    """Apply every patch, rename the patched files by their new content, and check the spots the
    page's own script relies on. Returns {old file name: new file name}."""
    patched = {apply_patch(assets, p) for p in patches}
    renames = rename_by_content(assets, patched)
    js = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in assets.glob("*.js")}
    for needle, why in BRIDGE_SPOTS.items():
        if not any(needle in s for s in js.values()):
            raise BuildError(f"marimo's bundle no longer contains {needle!r} ({why}); site/loading.html needs it")
    for needle, why in WORKER_MESSAGE_SPOTS.items():
        if not any(needle in s for n, s in js.items()):
            raise BuildError(f"marimo's bundle no longer mentions {needle!r} ({why}); site/loading.html needs it")
    return renames


def worker_asset(assets: Path) -> str:
    """The file name of marimo's Pyodide worker chunk, as the bridge names it."""
    found = set()
    for p in assets.glob("state-*.js"):  # after rename_by_content, the bridge names the renamed file
        found |= set(re.findall(r"new URL\(`(worker-[\w.-]+\.js)`,import\.meta\.url\)", p.read_text(errors="replace")))
    if len(found) != 1:
        raise BuildError(f"expected marimo's bridge to name one worker chunk, found {sorted(found)}")
    return found.pop()


def early_worker_script(template: str, worker: str, runtime_rel: str, marimo_version: str) -> str:
    return (template.replace("__WORKER__", worker).replace("__INDEX_URL__", runtime_rel)
            .replace("__LOCK_URL__", runtime_rel + "pyodide-lock.json").replace("__MARIMO_VERSION__", marimo_version))


def insert_first_in_head(page: str, html_text: str) -> str:
    if page.count("<head>") != 1:
        raise BuildError("expected one <head> in the exported page; review sitebuild.bundle.insert_first_in_head")
    return page.replace("<head>", "<head>" + html_text, 1)


ENTRY_SCRIPT_RE = re.compile(r'<script type="module" crossorigin src="(\./assets/index-[\w.-]+\.js)"></script>')


def entry_after_first_paint(page: str) -> str:
    """Run marimo's entry module only after the first frame is on screen. On a second visit its
    ~190 modules come compiled from the cache and would otherwise run (and mount React, ~1 s of
    main thread) before the browser paints the preview. They are still fetched and compiled in
    parallel (modulepreload); only their evaluation waits one frame."""
    found = ENTRY_SCRIPT_RE.findall(page)
    if len(found) != 1:
        raise BuildError(f"expected one entry <script type=module src=./assets/index-*.js> in the exported page, "
                         f"found {len(found)}; review sitebuild.bundle.entry_after_first_paint")
    src = found[0]
    return ENTRY_SCRIPT_RE.sub(
        f'<link rel="modulepreload" crossorigin href="{src}">'
        f'<script type="module">requestAnimationFrame(() => setTimeout(() => import("{src}")));</script>',
        page, count=1)


def vega_preloads(assets: Path, page_closure: set[str], static_closure) -> list[str]:
    """The chunks marimo loads to draw its first Vega chart, less what the page loads anyway:
    preloaded with the page, they are fetched and compiled while Python starts."""
    entry = _one_asset(assets, r"^vega-component-[\w-]+\.js$", "preload Vega").name
    return sorted(static_closure(assets, {entry}) - page_closure)
