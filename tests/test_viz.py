"""mlsysim.viz: stored templates match their Altair source, every chart is titled with units on its
axes and drawn in the colour-blind-safe palette, the roofline marks both ridges where the kernels
put them, and a redraw is a fill, not a rebuild."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlsysim import Engine, Hardware, viz
from mlsysim.viz import data, template

ROOT = Path(__file__).resolve().parents[1]

CHARTS = {
    "roofline": lambda: viz.roofline_spec(989.4e12, 3.35e12, [
        {"label": "decode, batch 1", "intensity": 1.0, "flops": 3.3e12, "bound": "memory", "feasible": True}], 0.5, 1.0),
    "memory_breakdown": lambda: viz.memory_breakdown_spec({"weights": 16e9, "KV cache": 4e9}, 80e9),
    "step_time": lambda: viz.step_time_spec({"compute": 0.1, "DP communication": 0.02, "pipeline bubble": 0.01}),
    "carbon_by_region": lambda: viz.carbon_by_region_spec([
        {"region": "Quebec", "carbon_kg": 1.2, "energy_kwh": 100}, {"region": "Poland", "carbon_kg": 70, "energy_kwh": 100}]),
    "cost_over_time": lambda: viz.cost_over_time_spec([0, 12, 24], [100, 120, 140], [0, 60, 160]),
    "latency_vs_load": lambda: viz.latency_vs_load_spec([1, 5, 9], [0.01, 0.02, 0.1], 10),
    "scorecard": lambda: viz.scorecard_spec([{"wall": "memory", "figure": 90, "limit": 80, "unit": "GB"},
                                             {"wall": "power", "figure": 5, "limit": 10, "unit": "kW"}]),
}
UNIT = re.compile(r"\(([^)]+)\)")  # an axis title names its unit in parentheses


def test_stored_templates_are_what_altair_authors():
    pytest.importorskip("altair")
    from mlsysim.viz import author

    assert json.loads(template.TEMPLATES_FILE.read_text()) == json.loads(json.dumps(author.author_all())), \
        "templates.json is stale: run `python -m mlsysim.viz.author`"


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_has_a_title_units_palette_and_summary(name):
    chart = CHARTS[name]()
    spec = chart.spec
    assert spec["title"]
    assert spec["width"] == "container"  # fits a phone
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    assert set(spec["datasets"]) >= template.used_datasets(spec)
    titles = [enc["title"] for layer in _layers(spec) for ch, enc in layer.get("encoding", {}).items()
              if ch in ("x", "y") and isinstance(enc, dict) and enc.get("title")]
    assert titles and all(UNIT.search(t) for t in titles if not t.startswith(("Figure", "Total"))), titles
    allowed = {c.lower() for c in template.PALETTE.values()} | {"#555555", "#dddddd"}
    used = {c.lower() for c in re.findall(r"#[0-9A-Fa-f]{6}", json.dumps(spec))}
    assert used <= allowed, used - allowed
    assert chart.summary.endswith(".") and len(chart.summary) > 20


def _layers(spec):
    for layer in spec.get("layer", []):
        yield layer
        yield from _layers(layer)


def test_roofline_marks_both_ridges_where_the_kernels_put_them():
    # H100: 989.4 TFLOP/s fp16 dense, 3.35 TB/s: ridge 989.4/3.35 = 295.3 flop/byte; at 50 % of peak 147.7
    chart = CHARTS["roofline"]()
    ridges = {r["which"]: r for r in chart.datasets["ridges"]}
    assert ridges["peak"]["ai"] == pytest.approx(295.34, rel=1e-3)
    assert ridges["effective"]["ai"] == pytest.approx(147.67, rel=1e-3)
    assert ridges["peak"]["label"] == "peak ridge 295 flop/B"
    assert ridges["effective"]["label"] == "50% ridge 148 flop/B"
    regions = {r["region"]: r for r in chart.datasets["regions"]}
    assert regions["memory bound"]["ai2"] == regions["compute bound"]["ai"] == ridges["effective"]["ai"]
    # one gridline per decade on both axes, and the y unit picked to suit the peak
    xs = chart.spec["layer"][0]["encoding"]["x"]["axis"]["values"]
    assert all(abs(x2 / x1 - 10) < 1e-9 for x1, x2 in zip(xs, xs[1:]))
    assert chart.spec["layer"][0]["encoding"]["y"]["title"] == "Attainable performance (TFLOP/s)"
    tiny = viz.roofline_spec(0.96e9, 3.84e9, [], 0.5, 1.0)  # an ESP32-S3 (fp32): 960 MFLOP/s, not 0.00096 TFLOP/s
    assert tiny.spec["layer"][0]["encoding"]["y"]["title"] == "Attainable performance (MFLOP/s)"
    assert "ridge at peak 0.250 flop/byte" in tiny.summary  # 0.96e9 / 3.84e9, not "0 flop/B"


def test_a_point_that_does_not_fit_is_drawn_differently():
    fit = {"label": "a", "intensity": 1.0, "flops": 1e12, "bound": "memory", "feasible": True}
    chart = viz.roofline_spec(1e15, 1e12, [fit, dict(fit, label="b", feasible=False)], 0.5, 1.0)
    a, b = chart.datasets["points"]
    assert (a["status"], b["status"]) == ("fits", "does not fit") and b["label"].endswith("(does not fit)")


def test_roofline_from_engine_results_in_plain_python():
    pytest.importorskip("altair")
    r = Engine.solve("llama3_8b", "h100", batch_size=1, precision="fp16", seq_len=1)
    chart = viz.roofline(Hardware.get("h100"), [r])
    spec = chart.to_dict()
    assert "Roofline of NVIDIA H100" in json.dumps(spec["title"])
    assert spec["datasets"]["points"][0]["label"] == "Llama-3-8B, batch 1"


def test_a_redraw_fills_only_data():
    # its time is measured by benchmarks/labs_redraw.py; the browser test records Pyodide's
    point = [{"label": "x", "intensity": 10.0, "flops": 1e13, "bound": "memory", "feasible": True}]
    stored = template.load_templates()["roofline"]
    filled = viz.roofline_spec(989.4e12, 3.35e12, point, 0.5, 1.0).spec
    assert filled["layer"][1] is stored["layer"][1]  # shared, not copied


def test_fill_reports_missing_data_by_name():
    with pytest.raises(KeyError, match="points"):
        viz.fill("roofline", {"roof": []})


def test_formatting_and_decades():
    assert [data.fmt(v) for v in (147.67, 1234.5, 0.0123, 4.804)] == ["148", "1,230", "0.0123", "4.80"]
    assert template.decades(0.5, 300) == [0.1, 1.0, 10.0, 100.0, 1000.0]


def test_import_mlsysim_and_viz_never_imports_altair():
    code = "import mlsysim, mlsysim.viz, sys; assert 'altair' not in sys.modules and 'marimo' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(ROOT / "core"), "PATH": "/usr/bin:/bin"})


def test_lab_frame_is_what_every_lab_chart_shares():
    from mlsysim.viz.template import SCHEMA, lab_frame

    f = lab_frame(260, axis={"labelLimit": 140}, legend={"columns": 1})
    assert f["$schema"] == SCHEMA and f["height"] == 260 and f["width"] == "container"
    # the overrides add to the shared settings, they do not replace them
    assert f["config"]["axis"] == {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12, "labelLimit": 140}
    assert f["config"]["legend"]["orient"] == "bottom" and f["config"]["legend"]["columns"] == 1
    assert "height" not in lab_frame(None)
    # each call is a fresh dict: one chart's change never leaks into another's
    a, b = lab_frame(), lab_frame()
    a["config"]["axis"]["labelLimit"] = 1
    assert "labelLimit" not in b["config"]["axis"]
