"""The site build: the labs as a static site that runs entirely in the browser, offline.

One module per job, in the order the build runs them:
  pins      the versions, paths and package rules the build is pinned to;
  common    the error type, logging, hashing, build tools;
  lock      resolving the browser's packages (--update-lock), fetching and verifying them, and the
            mlsysim wheel from this repo;
  wheels    wheel surgery: metadata for Emscripten, pure wheels from sdists, bytecode compiled by
            Pyodide under Node (precompile.mjs runs precompile_wheels.py);
  runtime   the runtime folder and the browser's pyodide-lock.json;
  export    marimo's export of each lab (with its outputs) and the checked rewrites of its page;
  bundle    the checked rewrites of marimo's JavaScript bundle (worker first, lighter boot);
  preview   the lab's outputs as static HTML shown while Python starts;
  labindex  each lab's LAB metadata, the index of both volumes, labkit.js, the labs' sources;
  pages     the service worker and the gzip copies;
  server    the development HTTP server;
  build     all of the above, in order.
`build_wasm.py` at the repo's top level is the command line.
"""
from .build import build
from .bundle import PATCHES, apply_patch, patch_bundle, worker_asset
from .common import BuildError, sha256_file, tool_env
from .export import export_lab, check_js_spots, prune_assets, rewrite_page, scan_external_refs
from .lock import load_lock, verify
from .pins import (CACHE, DEFAULT_OUT, DROP_FROM_WHEEL, LOCK_PATH, MARIMO_VERSION, PYODIDE_PLATFORM,
                   PYODIDE_RUNTIME_FILES, PYODIDE_VERSION)
from .runtime import RUNTIME_DIR
from .server import SiteHandler, cache_control, serve
from .preview import insert_preview, preview_html
from .wheels import patch_wheel, pure_wheel_from_sdist

__all__ = [
    "build", "BuildError", "sha256_file", "tool_env", "check_js_spots", "prune_assets", "rewrite_page",
    "scan_external_refs", "load_lock", "verify", "CACHE", "DEFAULT_OUT", "DROP_FROM_WHEEL", "LOCK_PATH",
    "MARIMO_VERSION", "PYODIDE_PLATFORM", "PYODIDE_RUNTIME_FILES", "PYODIDE_VERSION", "RUNTIME_DIR",
    "SiteHandler", "cache_control", "serve", "pure_wheel_from_sdist", "patch_wheel", "PATCHES", "apply_patch",
    "patch_bundle", "worker_asset", "export_lab", "insert_preview", "preview_html",
]
