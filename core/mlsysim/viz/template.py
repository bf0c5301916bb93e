"""Chart templates: a Vega-Lite spec authored once, filled with data on every redraw.

A template is a plain dict (JSON) whose layers read *named* datasets (``"data": {"name": "roof"}``).
A redraw only supplies the datasets (Vega-Lite's top-level ``datasets``) and a few settings at known
paths (title, axis tick values): a handful of dict copies, no Altair, no validation. That is the
fast path the labs use in the browser, where building Altair objects costs tens of milliseconds.

The templates are authored with Altair in ``mlsysim.viz.author`` and stored as JSON next to this
file (``templates.json``), so neither ``import mlsysim`` nor a lab's redraw imports Altair.
"""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATES_FILE = Path(__file__).with_name("templates.json")

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. https://jfly.uni-koeln.de/color/
PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
    "grey": "#999999",
}
# the order categories take their colours in (stacked bars, several lines)
CATEGORY_COLOURS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "grey")]

VEGA_LITE_MIME = "application/vnd.vegalite.v6+json"

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"


def lab_frame(height: int | None = 300, axis: dict | None = None, legend: dict | None = None) -> dict:
    """What every lab chart shares, to be completed with its ``layer`` list: the Vega-Lite version,
    the width of its container (so it fits a 390 px phone), the labs' font sizes and light grid, the
    legend below the plot, and SVG rendering with no action menu. ``axis`` and ``legend`` add to (or
    override) the shared axis and legend settings; ``height`` None leaves it to the spec (a facet's
    rows). ``{**lab_frame(300), "layer": [...]}``."""
    frame = {"$schema": SCHEMA, "autosize": {"contains": "padding", "type": "fit"},
             "config": {"axis": {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12, **(axis or {})},
                        "legend": {"labelFontSize": 12, "orient": "bottom", "titleFontSize": 12, **(legend or {})}},
             "height": height, "width": "container",
             "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}}}
    if height is None:
        del frame["height"]
    return frame


_cache: dict[str, dict] = {}


def load_templates() -> dict[str, dict]:
    """Every stored template by name (read once per process)."""
    if not _cache:
        _cache.update(json.loads(TEMPLATES_FILE.read_text(encoding="utf-8")))
    return _cache


def _set_path(spec: dict, path: str, value) -> dict:
    """A copy of ``spec`` with ``value`` at the dotted ``path`` (list indices as numbers);
    only the dicts and lists along the path are copied, the rest is shared."""
    keys = path.split(".")

    def put(node, i):
        key = keys[i]
        if isinstance(node, list):
            idx = int(key)
            out = list(node)
            out[idx] = value if i == len(keys) - 1 else put(node[idx], i + 1)
            return out
        out = dict(node)
        out[key] = value if i == len(keys) - 1 else put(node.get(key, {}), i + 1)
        return out

    return put(spec, 0)


def fill(template: dict | str, datasets: dict[str, list[dict]], title: str | dict | None = None,
         settings: dict[str, object] | None = None) -> dict:
    """A ready-to-draw Vega-Lite spec: ``template`` (a dict or a stored template's name) with its
    named datasets filled in, an optional title, and ``settings`` at dotted paths
    (e.g. ``{"layer.0.encoding.x.axis.values": [1, 10, 100]}``)."""
    spec = load_templates()[template] if isinstance(template, str) else template
    names = used_datasets(spec)
    missing = names - set(datasets)
    if missing:
        raise KeyError(f"the chart needs data named {sorted(missing)}; got {sorted(datasets)}")
    out = dict(spec, datasets=datasets)
    if title is not None:
        out["title"] = title
    for path, value in (settings or {}).items():
        out = _set_path(out, path, value)
    return out


def used_datasets(spec: dict) -> set[str]:
    """The dataset names a spec's layers read."""
    names = set()
    data = spec.get("data")
    if isinstance(data, dict) and "name" in data:
        names.add(data["name"])
    for layer in spec.get("layer", ()):
        names |= used_datasets(layer)
    return names


def decades(lo: float, hi: float) -> list[float]:
    """Powers of ten from below ``lo`` to above ``hi``: tick and grid values of a log axis, so a
    log chart shows one gridline per decade instead of nine."""
    values, v = [], 1.0
    while v > lo:
        v /= 10.0
    while v < lo:
        v *= 10.0
    v /= 10.0
    while v <= hi * 10.0:
        values.append(v)
        v *= 10.0
    return values


class VegaLite:
    """A filled spec as marimo (and Jupyter) display it: ``_mime_`` returns the JSON text."""

    __slots__ = ("spec", "text")

    def __init__(self, spec: dict):
        self.spec = spec
        self.text = json.dumps(spec, separators=(",", ":"))

    def _mime_(self):
        return VEGA_LITE_MIME, self.text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {VEGA_LITE_MIME: self.spec}
