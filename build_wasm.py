#!/usr/bin/env python3
"""Build the labs as a static site that runs entirely in the browser, offline.

    python3 build_wasm.py                  # build into _site/
    python3 build_wasm.py --serve [--port N]   # build, then serve on http://127.0.0.1:N/
    python3 build_wasm.py --update-lock    # re-resolve the browser's packages, rewrite site/wasm-lock.json

What it does, in order:
  1. installs its own build tools if they are missing (marimo at the pinned version, build, uv);
  2. builds the mlsysim wheel from this repo (`python -m build --wheel`, pure Python);
  3. fetches the Pyodide runtime (`npm pack pyodide@VERSION`), every wheel the labs import in the
     browser (`pip download`, Pyodide's wheel platform for the two compiled ones) and the sdists of
     pyyaml and markupsafe, which it repacks as pure `py3-none-any` wheels; every downloaded file is
     checked against the sha256 recorded in site/wasm-lock.json, and a mismatch stops the build;
  4. compiles every wheel's Python to bytecode with that same Pyodide, run by Node (so visits do
     not compile marimo, altair, pint, ... from source each time), and writes a
     `pyodide-lock.json` for the browser that lists exactly those wheels, with the `depends` of
     each evaluated for Emscripten;
  5. exports each `labs/*.py` with `marimo export html-wasm --mode run --execute`, renders the
     outputs it embeds into the page as a preview shown from the first paint, points the page at
     the self-hosted runtime, starts marimo's Python worker from the page's head and trims what it
     loads at boot (checked rewrites of marimo's bundle: a spot that moved fails the build), and
     drops the export's assets that a run-mode lab never loads;
  6. writes the index page (labs by chapter), a bare Pyodide page (floor.html, the measurements'
     floor), an offline-only service worker, and gzip copies of text and wasm for the server.

Needs Python, Node and npm. Downloads and compiled wheels are cached under .cache/wasm/; a second
build needs no network unless the lock changed. The numbers it achieves: docs/site-measurements.md.
The steps live in the `sitebuild` package, one module per job.
"""
from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from pathlib import Path

from sitebuild import DEFAULT_OUT, BuildError, build, serve

__all__ = ["build", "serve", "main", "BuildError", "DEFAULT_OUT"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default _site/)")
    ap.add_argument("--update-lock", action="store_true", help="re-resolve packages and rewrite site/wasm-lock.json")
    ap.add_argument("--serve", action="store_true", help="serve the site after building")
    ap.add_argument("--no-build", action="store_true", help="with --serve: serve the existing build")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--no-precompile", action="store_true", help="serve the wheels as downloaded, with sources and no bytecode (slower visits)")
    args = ap.parse_args(argv)
    try:
        if not (args.serve and args.no_build):
            build(args.out.resolve(), update_lock=args.update_lock, precompile=not args.no_precompile)
    except (BuildError, subprocess.CalledProcessError) as e:
        print(f"\nBUILD FAILED: {e}", file=sys.stderr)
        return 1
    if args.serve:
        httpd = serve(args.out.resolve(), args.port)
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        print(f"Serving {args.out} at {url}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
