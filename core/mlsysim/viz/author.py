"""The chart templates, authored with Altair (run ``python -m mlsysim.viz.author`` to rewrite
``templates.json`` after editing one; tests/test_viz.py fails while the file is stale).

Altair is imported here only: this module runs at build time or in plain Python, never on a
lab's redraw path and never on ``import mlsysim``.
"""

from __future__ import annotations

import json

import altair as alt

from .template import CATEGORY_COLOURS, PALETTE, TEMPLATES_FILE

HEIGHT = 300
# "container": the chart takes its cell's width, so it fits a 390 px phone as well as a laptop
WIDTH = "container"
FONT_SIZE = 12

MEMORY_PARTS = ["weights", "gradients", "optimizer state", "activations", "KV cache"]
STEP_PARTS = ["compute", "TP communication", "PP communication", "EP communication", "DP communication", "pipeline bubble"]


def _finish(chart) -> dict:
    spec = chart.properties(width=WIDTH, height=HEIGHT).configure_axis(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, gridColor="#dddddd",
    ).configure_legend(orient="bottom", labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE).to_dict(validate=True)
    # SVG, so the chart's words are text in the page (screen readers, tests); no export menu
    spec["usermeta"] = {"embedOptions": {"renderer": "svg", "actions": False}}
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return spec


def roofline() -> dict:
    log = alt.Scale(type="log", nice=False)
    x = alt.X("ai:Q", scale=log, title="Arithmetic intensity (flop/byte)", axis=alt.Axis(values=[1], format="~g"))
    y = alt.Y("perf:Q", scale=log, title="Attainable performance (TFLOP/s)", axis=alt.Axis(values=[1], format="~g"))
    blue, grey = PALETTE["blue"], PALETTE["grey"]
    # the regions use the fill channel and the points the colour channel: two separate scales
    region_colours = alt.Scale(domain=["memory bound", "compute bound"], range=[PALETTE["sky"], PALETTE["orange"]])
    regions = alt.Chart(alt.Data(name="regions")).mark_rect(opacity=0.12).encode(
        x="ai:Q", x2="ai2:Q", y="y:Q", y2="y2:Q", fill=alt.Fill("region:N", scale=region_colours, legend=None))
    # each region's name at the bottom, in its middle: below the roofs, away from the ridge labels
    region_text = alt.Chart(alt.Data(name="region_labels")).mark_text(
        fontStyle="italic", color="#555555", baseline="bottom", align="center").encode(x="ai:Q", y="perf:Q", text="label:N")
    roof = alt.Chart(alt.Data(name="roof")).mark_line(color=blue, strokeWidth=3).encode(x=x, y=y)
    eff = alt.Chart(alt.Data(name="effective_roof")).mark_line(color=blue, strokeDash=[6, 4], strokeWidth=2).encode(x="ai:Q", y="perf:Q")
    ridge_rule = alt.Chart(alt.Data(name="ridges")).mark_rule(color=grey, strokeDash=[2, 3]).encode(
        x="ai:Q", strokeDash=alt.value([2, 3]))
    ridge_pt = alt.Chart(alt.Data(name="ridges")).mark_point(shape="diamond", size=110, filled=True, color=blue).encode(
        x="ai:Q", y="perf:Q")
    # both ridge labels above and left of their diamond: over the rising roof that meets it, under
    # nothing (the workload's label goes below and right, so the two never collide)
    ridge_data = alt.Chart(alt.Data(name="ridges"))
    ridge_txt = alt.layer(
        ridge_data.mark_text(align="right", dx=-6, dy=-10, color=blue, fontSize=11).encode(
            x="ai:Q", y="perf:Q", text="label:N").transform_filter(alt.datum.which == "peak"),
        ridge_data.mark_text(align="right", dx=-6, dy=-9, color=blue, fontSize=11).encode(
            x="ai:Q", y="perf:Q", text="label:N").transform_filter(alt.datum.which == "effective"))
    status = alt.Scale(domain=["fits", "does not fit"], range=[PALETTE["vermillion"], PALETTE["black"]])
    shapes = alt.Scale(domain=["fits", "does not fit"], range=["circle", "cross"])
    pts = alt.Chart(alt.Data(name="points")).mark_point(size=160, filled=True, opacity=1).encode(
        x="ai:Q", y="perf:Q", color=alt.Color("status:N", scale=status, legend=None),
        shape=alt.Shape("status:N", scale=shapes, legend=None),
        tooltip=[alt.Tooltip("label:N", title="workload"), alt.Tooltip("ai:Q", title="flop/byte", format=".3~g"),
                 alt.Tooltip("bound:N", title="bound")])
    # below the point and away from the middle of the chart: under a rising roof on the left, under
    # a flat one on the right, never on a line and never off the chart's edge
    point_data = alt.Chart(alt.Data(name="points"))
    pt_txt = alt.layer(*[
        point_data.mark_text(align=side, dx=9 if side == "left" else -9, dy=14, fontWeight="bold",
                             color=PALETTE["vermillion"]).encode(x="ai:Q", y="perf:Q", text="label:N")
        .transform_filter(alt.datum.side == side) for side in ("left", "right")])
    return _finish(alt.layer(roof, regions, region_text, eff, ridge_rule, ridge_pt, ridge_txt, pts, pt_txt))


def _breakdown(parts: list[str]) -> dict:
    colours = alt.Scale(domain=parts, range=CATEGORY_COLOURS[:len(parts)])
    bars = alt.Chart(alt.Data(name="parts")).mark_bar().encode(
        x=alt.X("value:Q", stack="zero", title="Total"), y=alt.Y("row:N", title=None),
        color=alt.Color("part:N", scale=colours, title=None), order="order:Q",
        tooltip=["part:N", alt.Tooltip("value:Q", format=".3~g")])
    rule = alt.Chart(alt.Data(name="limit")).mark_rule(color=PALETTE["black"], strokeWidth=2, strokeDash=[5, 3]).encode(x="value:Q")
    txt = alt.Chart(alt.Data(name="limit")).mark_text(align="left", dx=4, dy=-40, color=PALETTE["black"]).encode(x="value:Q", text="label:N")
    return _finish_short(alt.layer(bars, rule, txt))


def _finish_short(chart) -> dict:
    spec = _finish(chart)
    spec["height"] = 110
    return spec


def memory_breakdown() -> dict:
    return _breakdown(MEMORY_PARTS)


def step_time() -> dict:
    return _breakdown(STEP_PARTS)


def carbon_by_region() -> dict:
    bars = alt.Chart(alt.Data(name="regions")).mark_bar(color=PALETTE["green"]).encode(
        x=alt.X("carbon_kg:Q", title="Carbon (kg CO2e)"), y=alt.Y("region:N", sort=None, title=None),
        tooltip=["region:N", alt.Tooltip("carbon_kg:Q", format=".3~g"), alt.Tooltip("energy_kwh:Q", format=".3~g")])
    txt = bars.mark_text(align="left", dx=4).encode(text="label:N")
    return _finish(alt.layer(bars, txt))


def cost_over_time() -> dict:
    colours = alt.Scale(domain=["own", "rent"], range=[PALETTE["blue"], PALETTE["orange"]])
    lines = alt.Chart(alt.Data(name="cost")).mark_line(strokeWidth=2).encode(
        x=alt.X("month:Q", title="Time (months)"), y=alt.Y("cost:Q", title="Cumulative cost ($)"),
        color=alt.Color("option:N", scale=colours, title=None), strokeDash="option:N")
    rule = alt.Chart(alt.Data(name="breakeven")).mark_rule(color=PALETTE["grey"], strokeDash=[2, 3]).encode(x="month:Q")
    txt = alt.Chart(alt.Data(name="breakeven")).mark_text(align="left", dx=4, y=10).encode(x="month:Q", text="label:N")
    return _finish(alt.layer(lines, rule, txt))


def latency_vs_load() -> dict:
    line = alt.Chart(alt.Data(name="latency")).mark_line(color=PALETTE["blue"], strokeWidth=2, point=True).encode(
        x=alt.X("load:Q", title="Offered load (requests/s)"),
        y=alt.Y("latency:Q", title="Mean latency (ms)", scale=alt.Scale(type="log")))
    rule = alt.Chart(alt.Data(name="saturation")).mark_rule(color=PALETTE["vermillion"], strokeDash=[5, 3]).encode(x="load:Q")
    txt = alt.Chart(alt.Data(name="saturation")).mark_text(align="right", dx=-4, y=10, color=PALETTE["vermillion"]).encode(
        x="load:Q", text="label:N")
    return _finish(alt.layer(line, rule, txt))


def scorecard() -> dict:
    colours = alt.Scale(domain=["within the limit", "over the limit"], range=[PALETTE["blue"], PALETTE["vermillion"]])
    bars = alt.Chart(alt.Data(name="walls")).mark_bar().encode(
        x=alt.X("ratio:Q", title="Figure / limit (1 = at the wall)"), y=alt.Y("wall:N", sort=None, title=None),
        color=alt.Color("status:N", scale=colours, title=None), tooltip=["wall:N", "label:N"])
    one = alt.Chart(alt.Data(name="one")).mark_rule(color=PALETTE["black"], strokeWidth=2).encode(x="ratio:Q")
    return _finish(alt.layer(bars, one))


AUTHORS = {
    "roofline": roofline, "memory_breakdown": memory_breakdown, "step_time": step_time,
    "carbon_by_region": carbon_by_region, "cost_over_time": cost_over_time,
    "latency_vs_load": latency_vs_load, "scorecard": scorecard,
}


def author_all() -> dict[str, dict]:
    """Every template, freshly authored with Altair."""
    return {name: make() for name, make in AUTHORS.items()}


def write_templates() -> None:
    TEMPLATES_FILE.write_text(json.dumps(author_all(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_templates()
    print(f"wrote {TEMPLATES_FILE}")
