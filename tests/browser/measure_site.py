"""Measure the site as a student meets it, lab by lab, against a bare Pyodide page as the floor.

    python3 tests/browser/measure_site.py [--site DIR] [--runs 5] [--sw allow|block] [--json FILE]

Builds the site into _site/ (unless --site names a built one), serves it with the build's own
server on 127.0.0.1, and for the floor page (`floor.html`: Pyodide boots and computes 1 + 1) and
every lab opens headless Chromium with a fresh profile (first visit), then again with the same
profile (second visit: HTTP cache, and the service worker unless --sw block). Per visit:

- preview: navigation to the lab's pre-rendered outputs on screen (the first animation frame with
  the preview's chart image decoded; a frame is what reaches the screen next);
- interactive: navigation to the live lab (marimo's kernel started and ran every cell; the page's
  own marker, `data-lab-interactive-ms`); for the floor page, to `1 + 1` computed;
- bytes and requests as the server counted them (bytes on the wire: gzip where sent gzipped);
- requests to any other host.
Once per lab (first run): a slider move to the redrawn chart, and a visit with the network cut.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import sitebuild  # noqa: E402
from harness import browser  # noqa: E402

TIMEOUT_MS = 180_000

# Runs in every page before its own scripts: marks the first frame with the preview on screen.
PREVIEW_PROBE = r"""
(() => {
  const tick = () => {
    const img = document.querySelector('#lab-preview .lab-preview-chart');
    const h = document.querySelector('#lab-preview h1, #lab-preview h2');
    if (h && (!document.querySelector('#lab-preview img') || (img && img.complete && img.naturalWidth))) {
      requestAnimationFrame(() => { window.__previewMs = Math.round(performance.now()); });
      return;
    }
    if (!document.documentElement.dataset.labInteractiveMs) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // builds from before the preview: the first chart drawn by the kernel is when the lab is live
  const chart = () => {
    if (!document.querySelector('#lab-preview') && document.querySelector('.vega-embed svg')) {
      window.__chartMs = Math.round(performance.now()); return; }
    requestAnimationFrame(chart);
  };
  requestAnimationFrame(chart);
})();
"""


class Counter:
    """Bytes and requests the server answered, by kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.bytes, self.requests, self.not_modified, self.by_kind = 0, 0, 0, {}

    def response(self, status: int):
        with self.lock:
            self.requests += 1
            self.not_modified += status == 304

    def body(self, n: int, path: str):
        kind = ("wheels" if path.endswith(".whl") else "Pyodide runtime" if path.startswith("/pyodide/")
                else "marimo's page (JS, CSS, fonts)" if path.startswith("/labs/") else "index, floor, service worker")
        with self.lock:
            self.bytes += n
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def counting_server(site: Path, counter: Counter):
    class Handler(sitebuild.SiteHandler):
        def send_response(self, code, message=None):
            self._code = code
            counter.response(code)
            super().send_response(code, message)

        def send_header(self, key, value):
            if key.lower() == "content-length" and self.command == "GET" and self._code == 200:
                counter.body(int(value), self.path.split("?", 1)[0])
            super().send_header(key, value)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def visit(url: str, path: str, profile: Path, counter: Counter, sw: str, slider: bool = False,
          offline: bool = False) -> dict:
    counter.reset()
    floor = path.endswith("floor.html")
    out: dict = {}
    with browser(service_workers=sw, user_data_dir=profile) as (ctx, traffic):
        ctx.add_init_script(PREVIEW_PROBE)
        if offline:
            ctx.set_offline(True)
        page = ctx.new_page()
        page.goto(url + path, timeout=TIMEOUT_MS)
        done = ("document.documentElement.dataset.floorMs" if floor else
                "(document.documentElement.dataset.labInteractiveMs || window.__chartMs)")
        page.wait_for_function(f"() => {done}", timeout=TIMEOUT_MS)
        out["interactive_ms"] = float(page.evaluate(done))
        out["preview_ms"] = None if floor else page.evaluate("window.__previewMs || null")
        out["navigation_ms"] = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            const p = performance.getEntriesByName('first-contentful-paint')[0];
            return {worker_start: Math.round(n.workerStart), response_start: Math.round(n.responseStart),
                    response_end: Math.round(n.responseEnd), dom_interactive: Math.round(n.domInteractive),
                    first_contentful_paint: p ? Math.round(p.startTime) : null}; }""")
        out["phases_ms"] = page.evaluate("""() => Object.fromEntries(Object.entries(document.documentElement.dataset)
            .filter(([k]) => k.startsWith('lab')).map(([k, v]) => [k, +v]))""")
        if slider and not floor:
            out["redraw_ms"] = slider_redraws(page)
        if not offline:
            time.sleep(1.5)  # let the service worker finish what it does after a visit
        out["offsite"] = list(traffic.offsite)
        out["failed"] = [u for u, _ in traffic.failed]
    out.update(bytes=counter.bytes, requests=counter.requests, not_modified=counter.not_modified,
               by_kind=dict(counter.by_kind))
    return out


def slider_redraws(page, moves: int = 6) -> list[float]:
    """Milliseconds from a key press on the lab's first slider to the chart's SVG changing."""
    slider = page.locator("marimo-slider [role=slider]").first
    if not slider.count() or not page.locator(".vega-embed svg").count():
        return []
    slider.focus()
    times = []
    for i in range(moves):
        page.evaluate("""() => { const svg = document.querySelector('.vega-embed');
            window.__redraw = null; const t0 = performance.now();
            new MutationObserver((m, o) => { o.disconnect(); requestAnimationFrame(() => {
              window.__redraw = performance.now() - t0; }); })
              .observe(svg, {subtree: true, childList: true, characterData: true, attributes: true});
            window.__t0 = t0; }""")
        slider.press("ArrowRight" if i < moves // 2 + 1 else "ArrowLeft")
        page.wait_for_function("() => window.__redraw !== null", timeout=30_000)
        times.append(round(page.evaluate("window.__redraw"), 1))
        time.sleep(0.3)
    return times


def measure(configs: list[tuple[str, Path, str]], runs: int, labs: list[str] | None = None) -> dict:
    """configs: (label, built site, service workers "allow"/"block"). Runs are interleaved across
    configurations and pages, so a busy spell on the (shared) machine hits all of them alike. The
    floor page is measured from the first configuration's site, without a service worker."""
    servers, counter, results, builds = [], Counter(), {}, {}
    targets = [("floor", configs[0][1], "block", "/floor.html")]
    for label, site, sw in configs:
        info = json.loads((site / "build-info.json").read_text())
        builds[label] = info
        targets += [(f"{label}:{l['stem']}" if len(configs) > 1 else l["stem"], site, sw, f"/labs/{l['stem']}.html")
                    for l in info["labs"] if labs is None or l["stem"] in labs]
    urls = {}
    for _, site, _, _ in targets:
        if site not in urls:
            httpd = counting_server(site, counter)
            servers.append(httpd)
            urls[site] = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        for run in range(runs):
            for name, site, sw, path in targets:
                profile = Path(tempfile.mkdtemp(prefix="lab-measure-"))
                try:
                    r = results.setdefault(name, {"first": [], "second": []})
                    r["first"].append(visit(urls[site], path, profile, counter, sw, slider=run == 0))
                    r["second"].append(visit(urls[site], path, profile, counter, sw))
                    if run == 0 and name != "floor" and sw == "allow" and name.split(":")[0] in ("after", "site"):
                        r["offline"] = visit(urls[site], path, profile, counter, sw, offline=True)
                finally:
                    shutil.rmtree(profile, ignore_errors=True)
                print(f"run {run + 1}/{runs} {name}: first {r['first'][-1]['interactive_ms']:.0f} ms, "
                      f"second {r['second'][-1]['interactive_ms']:.0f} ms", flush=True)
    finally:
        for httpd in servers:
            httpd.shutdown()
    return {"builds": builds, "runs": runs, "configs": [(l, str(p), sw) for l, p, sw in configs], "results": results}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (float("nan"), float("nan"))


def summary(data: dict) -> dict:
    """Per target and visit: median preview, interactive, bytes, requests (and their ranges)."""
    out = {}
    floor = data["results"]["floor"]
    for name, r in data["results"].items():
        row = {}
        for visit_kind in ("first", "second"):
            vs = r[visit_kind]
            f = med([v["interactive_ms"] for v in floor[visit_kind]])
            row[visit_kind] = {
                "preview_ms": med([v["preview_ms"] for v in vs]),
                "preview_range": spread([v["preview_ms"] for v in vs]),
                "interactive_ms": med([v["interactive_ms"] for v in vs]),
                "interactive_range": spread([v["interactive_ms"] for v in vs]),
                "floor_ms": f,
                "bytes": med([v["bytes"] for v in vs]),
                "requests": med([v["requests"] for v in vs]),
                "offsite": sum(len(v["offsite"]) for v in vs),
            }
        redraw = r["first"][0].get("redraw_ms") or []
        row["redraw_ms"] = med(redraw) if redraw else None
        row["redraw_max_ms"] = max(redraw) if redraw else None
        if "offline" in r:
            row["offline_interactive_ms"] = r["offline"]["interactive_ms"]
        row["by_kind_first"] = r["first"][0]["by_kind"]
        out[name] = row
    return out


def s(ms):
    return f"{ms / 1e3:.2f} s"


def table(summ: dict) -> str:
    lines = ["| page | visit | preview on screen | interactive | ÷ floor | transferred | requests |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in summ.items():
        for v in ("first", "second"):
            x = row[v]
            no_preview = name == "floor" or x["preview_ms"] != x["preview_ms"]  # nan: a build without one
            prev = "–" if no_preview else f"{s(x['preview_ms'])} ({x['preview_ms'] / x['floor_ms']:.2f}×)"
            lo, hi = x["interactive_range"]
            lines.append(f"| {name} | {v} | {prev} | {s(x['interactive_ms'])} ({lo / 1e3:.1f}–{hi / 1e3:.1f}) | "
                         f"{x['interactive_ms'] / x['floor_ms']:.2f}× | {x['bytes'] / 1e6:.1f} MB | {x['requests']:.0f} |")
    return "\n".join(lines)


def phase_table(data: dict, name: str) -> str:
    """Median milestones of one configuration's visits (ms from navigation)."""
    keys = [("navigation_ms", "first_contentful_paint", "first paint"),
            ("phases_ms", "labBridgeMs", "marimo's bridge to the worker created (bundle evaluated)"),
            ("phases_ms", "labKernelReadyMs", "Pyodide booted, wheels unpacked, marimo imported, kernel started"),
            ("phases_ms", "labFirstCellMs", "first cell running"),
            ("phases_ms", "labInteractiveMs", "every cell run, live chart drawn: interactive")]
    lines = ["| milestone | first visit | second visit |", "| --- | --- | --- |"]
    r = data["results"][name]
    for group, key, label in keys:
        cells = []
        for v in ("first", "second"):
            cells.append(f"{med([(x.get(group) or {}).get(key) for x in r[v]]) / 1e3:.2f} s")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    if "preview_ms" in r["first"][0]:
        lines.insert(3, f"| preview on screen | {med([x['preview_ms'] for x in r['first']]) / 1e3:.2f} s | "
                        f"{med([x['preview_ms'] for x in r['second']]) / 1e3:.2f} s |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", type=Path, help="a built site (default: build into _site/)")
    ap.add_argument("--config", action="append", default=[], metavar="LABEL=DIR[:block]",
                    help="compare built sites (repeatable); ':block' measures DIR with service workers blocked")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sw", choices=["allow", "block"], default="allow")
    ap.add_argument("--labs", nargs="*")
    ap.add_argument("--json", type=Path, help="write the raw results here")
    args = ap.parse_args()
    configs = []
    for c in args.config:
        label, _, rest = c.partition("=")
        d, _, mode = rest.partition(":")
        configs.append((label, Path(d).resolve(), "block" if mode == "block" else "allow"))
    if not configs:
        site = args.site
        if site is None:
            site = sitebuild.DEFAULT_OUT
            sitebuild.build(site)
        configs = [("site", site.resolve(), args.sw)]
    data = measure(configs, args.runs, args.labs)
    data["summary"] = summary(data)
    data["when"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data["chromium"] = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True,
                                      text=True).stdout.split(" built")[0].strip()
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, default=str))
    print(table(data["summary"]))
    for name in data["results"]:
        if name != "floor" and data["results"][name]["first"][0].get("phases_ms"):
            print(f"\n{name}:\n" + phase_table(data, name))
    for name, row in data["summary"].items():
        if row.get("redraw_ms") is not None:
            print(f"{name}: slider move to redrawn chart {row['redraw_ms']:.0f} ms median, {row['redraw_max_ms']:.0f} ms max")
        if "offline_interactive_ms" in row:
            print(f"{name}: interactive with the network cut after one visit: {s(row['offline_interactive_ms'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
