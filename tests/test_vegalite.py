"""mlsysim.vegalite: a Vega-Lite template filled with data, no Altair needed."""
import pytest

from mlsysim import InputError, vegalite

TEMPLATE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "layer": [
        {"data": {"name": "roof"}, "mark": "line", "encoding": {"x": {"field": "ai"}}},
        {"data": {"name": "point"}, "mark": "point"},
        {"hconcat": [{"data": {"name": "roof"}, "mark": "area"}]},
    ],
}


def test_fill_replaces_every_named_source_and_leaves_the_template_alone():
    roof = [{"ai": 1.0, "tflops": 2.0}]
    out = vegalite.fill(TEMPLATE, {"roof": roof, "point": [{"ai": 3.0}]}, title="T")
    assert out["title"] == "T"
    assert out["layer"][0]["data"] == {"values": roof}
    assert out["layer"][1]["data"] == {"values": [{"ai": 3.0}]}
    assert out["layer"][2]["hconcat"][0]["data"] == {"values": roof}  # nested views too
    assert TEMPLATE["layer"][0]["data"] == {"name": "roof"}  # a copy: the template is reused


def test_fill_rejects_missing_and_unknown_names():
    with pytest.raises(InputError, match="point"):
        vegalite.fill(TEMPLATE, {"roof": []})
    with pytest.raises(InputError, match="rooof"):
        vegalite.fill(TEMPLATE, {"roof": [], "point": [], "rooof": []})


def test_template_needs_a_shipped_chart_or_an_author():
    with pytest.raises(InputError, match="author"):
        vegalite.template("no_such_chart")
    assert vegalite.template("no_such_chart", author=lambda: TEMPLATE) is TEMPLATE
