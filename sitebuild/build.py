"""The whole build, step by step (see build_wasm.py for what each step is for)."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from .common import BuildError, ensure_build_tools, log
from .bundle import PATCHES, early_worker_script, entry_after_first_paint, insert_first_in_head, patch_bundle, vega_preloads, worker_asset
from .export import check_js_spots, export_lab, page_assets, prune_assets, rewrite_page, scan_external_refs, static_closure
from .labindex import KIT_CSS, copy_sources, head_script, lab_meta, write_index, write_kit_js
from .preview import insert_preview, preview_html, vegalite_svg
from .lock import build_mlsysim_wheel, fetch_locked, load_lock, resolve_lock
from .pages import boot_wheels, precompress, write_service_worker
from .pins import BOOT_PACKAGES, levers_off, PYODIDE_RUNTIME_FILES, DEFAULT_OUT, LABS_DIR, LOCK_PATH, MARIMO_VERSION, PYODIDE_VERSION, ROOT, SITE_SRC
from .runtime import RUNTIME_DIR, assemble_runtime


def build(out: Path = DEFAULT_OUT, update_lock: bool = False, labs: list[Path] | None = None,
          precompile: bool = True) -> dict:
    """Build the site into `out` (emptied first). Returns what was built: "out", "runtime_dir"
    (the folder holding pyodide.mjs, pyodide-lock.json and the wheels), "build_id", "labs"
    (stem, title, chapter of each) and "lock" (the browser's pyodide-lock.json)."""
    t0 = time.perf_counter()
    ensure_build_tools()
    mlsysim_wheel = build_mlsysim_wheel()
    if update_lock:
        lock = resolve_lock(mlsysim_wheel)
        LOCK_PATH.write_text(json.dumps(lock, indent=2) + "\n")
        log(f"wrote {LOCK_PATH.relative_to(ROOT)} ({len(lock['packages'])} packages)")
    lock = load_lock()
    files = fetch_locked(lock)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    browser_lock = assemble_runtime(lock, files, mlsysim_wheel, out, precompile=precompile,
                                    trim_boot="boot-trim" not in levers_off())

    labs = sorted(labs if labs is not None else LABS_DIR.glob("*.py"))
    labs = [l for l in labs if not l.name.startswith("_")]
    if not labs:
        raise BuildError("no labs found in labs/")
    labs_out = out / "labs"
    labs_out.mkdir()
    loader = (SITE_SRC / "loading.html").read_text()
    banner = (SITE_SRC / "loading-banner.html").read_text()
    exported, meta = {}, []
    for lab in labs:
        info = lab_meta(lab)  # checked before the (slow) export
        html_path = export_lab(lab, labs_out)
        exported[html_path] = html_path.read_text()
        meta.append(info)
    copy_sources(labs, labs_out)
    assets = labs_out / "assets"
    check_js_spots(assets)
    off = levers_off()
    patches = [p for p in PATCHES if not (
        ("early-worker" in off and p.name in ("start the worker first", "adopt the early worker"))
        or ("boot-trim" in off and p.name in ("no micropip at boot", "no always-prepended imports")))]
    renames = patch_bundle(assets, patches)
    worker = worker_asset(assets)
    early = early_worker_script((SITE_SRC / "early-worker.html").read_text(), worker, f"../{RUNTIME_DIR}/",
                                MARIMO_VERSION)
    log(f"patched marimo's bundle ({'; '.join(p.name for p in patches)}): {', '.join(renames.values())}"
        + (f"; built WITHOUT {', '.join(sorted(off))}" if off else ""))
    pages = {}
    for html_path, page in exported.items():
        for old, new in renames.items():
            page = page.replace(f"./assets/{old}", f"./assets/{new}")
        preview = preview_html(page, vegalite_svg)
        closure = static_closure(assets, page_assets(page))
        preloads = "".join(f'<link rel="modulepreload" crossorigin href="./assets/{n}">\n'
                           for n in vega_preloads(assets, closure, static_closure)) if "vega-preload" not in off else ""
        page = rewrite_page(page, f"../{RUNTIME_DIR}/", extra_head=preloads + loader + head_script())
        page = insert_preview(page, banner + preview)
        if "early-worker" not in off:
            page = insert_first_in_head(page, early)
        if "paint-first" not in off:
            page = entry_after_first_paint(page)
        html_path.write_text(page)
        pages[html_path.name] = page
    scan_external_refs(pages)
    removed, nbytes = prune_assets(labs_out, list(pages.values()))
    log(f"pruned {removed} export files ({nbytes / 1e6:.1f} MB) a run-mode lab never loads")

    for f in ["site.css", KIT_CSS, "floor.html"]:
        shutil.copy2(SITE_SRC / f, out / f)
    write_kit_js(out)
    build_id = hashlib.sha256(json.dumps(browser_lock, sort_keys=True).encode()
                              + b"".join(p.encode() for p in pages.values())).hexdigest()[:16]
    precache = ["./", "index.html", "site.css", KIT_CSS] + [f"{RUNTIME_DIR}/{f}" for f in PYODIDE_RUNTIME_FILES] + [
        f"{RUNTIME_DIR}/pyodide-lock.json"] + [f"{RUNTIME_DIR}/{w}" for w in boot_wheels(browser_lock, BOOT_PACKAGES)]
    write_service_worker(out, build_id, precache)
    (out / "build-info.json").write_text(json.dumps({
        "build_id": build_id, "marimo": MARIMO_VERSION, "pyodide": PYODIDE_VERSION,
        "labs": meta, "packages": {k: v["version"] for k, v in browser_lock["packages"].items()},
    }, indent=1))
    gz_before, gz_after = precompress(out)
    log(f"gzip copies for the server: {gz_before / 1e6:.1f} MB of text and wasm -> {gz_after / 1e6:.1f} MB")
    write_index(out, meta)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix != ".gz")
    log(f"built {out} in {time.perf_counter() - t0:.1f} s: {len(labs)} lab(s), "
        f"{len(browser_lock['packages'])} wheels, {total / 1e6:.1f} MB on disk")
    return {"out": out, "runtime_dir": out / RUNTIME_DIR, "build_id": build_id, "labs": meta,
            "lock": browser_lock}

