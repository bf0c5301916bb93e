"""Volume II labs in headless Chromium, served from 127.0.0.1 with nothing else reachable: each
boots offline, draws its chart once the prediction is locked, every control changes the page, a
reload keeps the state, a link's preset sets the controls, the download is a file the grader
accepts, and no Python traceback appears. Prints each lab's time to interactive."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from harness import ROOT, browser, wait_until

sys.path.insert(0, str(ROOT / "labs"))
from labkit import grading  # noqa: E402

pytestmark = pytest.mark.browser

BOOT_TIMEOUT_S = 180
STEP_TIMEOUT_S = 30

# per lab: the prediction to lock, each control (kind, part of its label, the new value to set;
# a slider moves one step right) and the link preset with what it should set
SPECS = {
    "v2_ch07_fault_tolerance": {
        "predict": "3",
        "controls": [("number", "Fleet size", "4096"), ("slider", "Per-GPU MTBF", None),
                     ("number", "Checkpoint write", "120"), ("slider", "Checkpoint interval", None)],
        "preset": "gpus=2048&interval_min=45",
        "preset_expect": {"Fleet size": "2048", "Checkpoint interval": "45"},
    },
    "v2_ch15_sustainable_ai": {
        "predict": "embodied (making the GPUs)",
        "controls": [("dropdown", "Grid region", "Poland"), ("number", "Fleet size", "4096"),
                     ("number", "Duration", "90"), ("slider", "PUE", None), ("slider", "Hardware lifetime", None)],
        "preset": "grid=india&gpus=512&days=10",
        "preset_expect": {"Fleet size": "512", "Duration": "10"},
    },
    "v2_ch02_compute_infrastructure": {
        "predict": "in one to three years",
        "controls": [("number", "Fleet size", "1024"), ("slider", "Utilisation", None), ("slider", "Electricity", None),
                     ("slider", "PUE", None), ("slider", "Years shown", None), ("slider", "Cloud rate", None)],
        "preset": "gpus=64&years=3",
        "preset_expect": {"Fleet size": "64", "Years shown": "3"},
    },
}


def control(page, kind: str, label: str):
    tag = {"number": "marimo-number", "slider": "marimo-slider", "dropdown": "marimo-dropdown"}[kind]
    inner = {"number": "input", "slider": "[role=slider]", "dropdown": "select"}[kind]
    return page.locator(f".labkit-controls {tag}[data-label*='{label}'] {inner}").first


def value_of(page, kind: str, label: str) -> str:
    el = control(page, kind, label)
    if kind == "slider":
        return el.get_attribute("aria-valuenow")
    return el.input_value().replace(",", "")  # marimo shows 2,048


def set_control(page, kind: str, label: str, value):
    el = control(page, kind, label)
    if kind == "number":
        el.fill(value)
        el.press("Enter")
    elif kind == "slider":
        el.focus()
        el.press("ArrowRight")
    else:
        el.select_option(label=value)


def page_text(page) -> str:
    return page.inner_text("body") + "\n".join(page.locator(".vega-embed svg text").all_text_contents())


def no_traceback(page):
    text = page.inner_text("body")
    assert "Traceback" not in text and "An internal error occurred" not in text, text[-2000:]


def open_and_lock(page, url: str, spec: dict) -> float:
    """Open the lab, lock the prediction, wait for the chart; the seconds to the first chart."""
    t0 = time.monotonic()
    page.goto(url)
    page.get_by_role("button", name="Lock my prediction").wait_for(timeout=BOOT_TIMEOUT_S * 1000)
    ready = time.monotonic() - t0
    form = page.locator(".labkit-predict")
    if form.locator("marimo-number input").count():
        form.locator("marimo-number input").first.fill(spec["predict"])
    else:
        form.get_by_label(spec["predict"]).check()
    page.get_by_role("button", name="Lock my prediction").click()
    page.locator(".vega-embed svg").first.wait_for(timeout=STEP_TIMEOUT_S * 1000)
    return ready


def wait_changed(page, before: str, what: str):
    try:
        wait_until(lambda: page_text(page) != before, STEP_TIMEOUT_S, 0.2)
    except TimeoutError:
        raise AssertionError(f"changing {what} changed nothing on the page") from None


@pytest.mark.parametrize("lab", sorted(SPECS))
def test_lab_boots_offline_reacts_remembers_and_grades(site_url, lab, tmp_path):
    spec = SPECS[lab]
    url = f"{site_url}/labs/{lab}.html"
    with browser(service_workers="block") as (ctx, traffic):
        page = ctx.new_page()
        errors, phase = [], ["boot"]
        page.on("pageerror", lambda e: errors.append(f"{phase[0]}: {e}"))
        ready = open_and_lock(page, url, spec)
        page.wait_for_function("() => document.documentElement.dataset.labReadyMs !== undefined",
                               timeout=STEP_TIMEOUT_S * 1000)
        ready_ms = page.evaluate("document.documentElement.dataset.labReadyMs")
        print(f"\n{lab}: interactive in {float(ready_ms) / 1000:.1f} s (page's own mark); "
              f"prediction form after {ready:.1f} s")
        no_traceback(page)

        # every control changes the page
        phase[0] = "controls"
        changed = {}
        for kind, label, value in spec["controls"]:
            before = page_text(page)
            set_control(page, kind, label, value)
            wait_changed(page, before, label)
            changed[label] = (kind, value_of(page, kind, label))
            no_traceback(page)

        # the Python side of an update is fast in the browser (target <= 30 ms), once warm
        update_ms = float(page.locator("#update-ms").first.inner_text().split()[0])
        print(f"{lab}: Python time of the last update {update_ms:.1f} ms")
        assert update_ms <= 30, update_ms

        # a reload keeps the controls (and the locked prediction: the chart shows without locking)
        time.sleep(1.0)  # the last write reaches IndexedDB
        phase[0] = "reload"
        page.reload()
        page.locator(".vega-embed svg").first.wait_for(timeout=BOOT_TIMEOUT_S * 1000)
        for label, (kind, v) in changed.items():
            wait_until(lambda: value_of(page, kind, label) == v, STEP_TIMEOUT_S, 0.2)

        # the download is a lab-work file the grader accepts
        phase[0] = "download"
        with page.expect_download(timeout=STEP_TIMEOUT_S * 1000) as dl:
            page.get_by_text("Download my work (JSON)").click()
        path = tmp_path / f"{lab}-work.json"
        dl.value.save_as(path)
        data = json.loads(path.read_text())
        assert data["lab"] == lab
        rows = grading.grade_record(data, str(path))
        assert rows and all(r.question for r in rows), [r.note for r in rows]
        assert all(r.note in ("", "not answered") for r in rows), [r.note for r in rows]

        # a link's preset sets the controls
        phase[0] = "preset"
        page.goto(f"{url}?{spec['preset']}")
        page.locator(".vega-embed svg").first.wait_for(timeout=BOOT_TIMEOUT_S * 1000)
        kinds = {label: kind for kind, label, _ in spec["controls"]}
        for label, v in spec["preset_expect"].items():
            wait_until(lambda: value_of(page, kinds[label], label) == v, STEP_TIMEOUT_S, 0.2)
        no_traceback(page)
        # marimo's page raises "RPC request timed out" when the Pyodide worker is still busy booting on
        # a loaded machine; the lab then works (every step above passed). Reported, not failed on.
        rpc = [e for e in errors if e.endswith("RPC request timed out.")]
        if rpc:
            print(f"{lab}: {len(rpc)} marimo RPC time-outs while busy: {rpc}")
        assert not [e for e in errors if e not in rpc], errors
    assert not traffic.offsite, traffic.offsite
    hosts = {urlparse(u).hostname for u, _ in traffic.requests if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
