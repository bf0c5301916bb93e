"""Charts as Vega-Lite templates, filled with data in plain Python (no Altair on a lab's hot path).

A lab's chart is authored once with Altair over *named* data (``alt.Data(name="roof")``), and its
spec (``chart.to_dict()``) is shipped as JSON: the site build writes ``labs/charts/NAME.py``'s
``chart()`` to ``mlsysim/_charts/NAME.vl.json`` inside the wheel the browser loads. In the browser
the lab then does, importing neither Altair nor its ~4 MB of wheels::

    spec = vegalite.fill(vegalite.template("roofline"), {"roof": rows, "workload": [point]})

``template(name, author=...)`` falls back to calling ``author()`` (which may import Altair) where
no shipped JSON exists, e.g. a notebook opened with ``marimo edit`` from a checkout.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from importlib import resources

from .core.errors import InputError

CHARTS_PACKAGE = "mlsysim._charts"


def template(name: str, author: Callable[[], object] | None = None) -> dict:
    """The Vega-Lite spec shipped as ``mlsysim/_charts/<name>.vl.json``; where there is none,
    ``author()`` (an Altair chart, or a dict) turned into a dict."""
    res = resources.files(CHARTS_PACKAGE).joinpath(f"{name}.vl.json")
    if res.is_file():
        return json.loads(res.read_text(encoding="utf-8"))
    if author is None:
        shipped = sorted(p.name[:-len(".vl.json")] for p in resources.files(CHARTS_PACKAGE).iterdir()
                         if p.name.endswith(".vl.json"))
        raise InputError("name", name, f"a chart shipped in mlsysim/_charts ({', '.join(shipped) or 'none yet'}), "
                                       "or an author= function")
    made = author()
    return made if isinstance(made, dict) else made.to_dict()


def _named(node: dict) -> str | None:
    data = node.get("data")
    return data.get("name") if isinstance(data, dict) else None


def fill(spec: Mapping, data: Mapping[str, list], **top_level) -> dict:
    """A copy of ``spec`` with every ``{"name": N}`` data source replaced by ``{"values": data[N]}``
    (at the top, in ``layer``/``concat``/``hconcat``/``vconcat`` and ``spec``), and the given
    top-level properties (``title=...``) set. Every named source must be given, and every given
    name must be used: a misspelt name is an error, not an empty chart."""
    out = copy.deepcopy(dict(spec))
    out.update(top_level)
    used: set[str] = set()

    def walk(node: dict) -> None:
        name = _named(node)
        if name is not None:
            if name not in data:
                raise InputError("data", sorted(data), f"values for every named data source, including {name!r}")
            node["data"] = {"values": data[name]}
            used.add(name)
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in node.get(key, []) or []:
                walk(child)
        if isinstance(node.get("spec"), dict):
            walk(node["spec"])

    walk(out)
    unused = set(data) - used
    if unused:
        raise InputError("data", sorted(unused), "names of data sources the chart has")
    return out
