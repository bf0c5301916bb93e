"""A lab's state survives closing the browser and starting it again with the same profile, and
"start over" clears it (a persistent profile, so a module of its own: test_labs.py holds one
browser open for all labs)."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from harness import browser
from test_labs import IDB_GET, LABS, STEP_MS, link_params, wait_booted

pytestmark = pytest.mark.browser


def test_state_survives_a_browser_restart(site_url):
    meta = LABS[0]
    profile = Path(tempfile.mkdtemp(prefix="lab-restart-"))
    try:
        with browser(service_workers="block", user_data_dir=profile) as (ctx, traffic):
            page = ctx.new_page()
            page.goto(f"{site_url}/labs/{meta['id']}.html?{meta['example_preset']}")
            wait_booted(page)
            state = link_params(page)
            t0 = time.monotonic()
            while not (page.evaluate(IDB_GET, meta["id"]) or {}).get("controls") and time.monotonic() - t0 < 10:
                time.sleep(0.1)
        with browser(service_workers="block", user_data_dir=profile) as (ctx, traffic):
            page = ctx.new_page()
            page.goto(f"{site_url}/labs/{meta['id']}.html")
            wait_booted(page)
            assert link_params(page) == state
            # "start over" clears it and the page comes back with the defaults
            page.get_by_role("button", name="Start over").click()
            page.wait_for_function("() => !document.querySelector('.labkit-link code')", timeout=STEP_MS)
            wait_booted(page)
            assert link_params(page) != state
            assert not traffic.offsite
    finally:
        shutil.rmtree(profile, ignore_errors=True)
