"""Serve the built site on 127.0.0.1 and drive Debian's Chromium through Playwright.

Shared by the browser tests and by `measure_site.py` (which writes docs/site-measurements.md).
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import sitebuild

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # belt and braces: no name but the loopback one resolves, whatever the page asks for
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# Lab id -> the Python milliseconds of each control's redraw, as the lab shows them (filled by
# test_labs.py, printed at the end of the run by conftest's terminal summary).
REDRAW_MS: dict[str, list[float]] = {}


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    raise RuntimeError("Debian's chromium is not installed (apt-get install chromium); "
                       "the browser tests need it and do not skip without it")


@contextlib.contextmanager
def serve_site(site: Path):
    """Serve `site` with the build's own handler on a free port in a background thread."""
    httpd = sitebuild.serve(site, 0)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)


@dataclass
class Traffic:
    requests: list = field(default_factory=list)  # (url, resource_type)
    responses: list = field(default_factory=list)  # (url, status)
    offsite: list = field(default_factory=list)
    failed: list = field(default_factory=list)


@contextlib.contextmanager
def browser(service_workers: str = "allow", user_data_dir: Path | None = None):
    """A persistent Chromium context (fresh profile unless one is given) and the traffic record."""
    from playwright.sync_api import sync_playwright

    tmp = None
    if user_data_dir is None:
        tmp = tempfile.mkdtemp(prefix="lab-chromium-")
        user_data_dir = Path(tmp)
    traffic = Traffic()
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS,
            service_workers=service_workers, viewport={"width": 1200, "height": 900})

        def on_request(req):
            traffic.requests.append((req.url, req.resource_type))
            host = urlparse(req.url).hostname
            if req.url.startswith(("http:", "https:", "ws:", "wss:")) and host != "127.0.0.1":
                traffic.offsite.append(req.url)

        def on_response(res):
            traffic.responses.append((res.url, res.status))

        ctx.on("request", on_request)
        ctx.on("response", on_response)
        ctx.on("requestfailed", lambda r: traffic.failed.append((r.url, r.failure)))
        try:
            yield ctx, traffic
        finally:
            ctx.close()
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)


def wait_until(fn, timeout: float, interval: float = 0.05):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"condition not met in {timeout} s")
