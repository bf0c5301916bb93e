"""Charts of the engine's results: authored once with Altair, redrawn by filling in data.

Two ways in, one set of templates:

- Plain Python: ``mlsysim.viz.roofline(hw, [profile, ...])`` returns an Altair chart (Altair is
  imported when such a function is first called; ``import mlsysim`` never imports it).
- The fast path a lab uses on every redraw: ``mlsysim.viz.roofline_spec(...)`` returns a
  :class:`Chart` (the filled Vega-Lite dict, its datasets and a one-sentence summary) without
  Altair: the stored template (``templates.json``) plus the data values.

Charts: roofline, memory breakdown against capacity, step-time breakdown, carbon and energy by
region, cost over time (own against rent), latency against offered load, audit scorecard. Colours
are the Okabe-Ito palette (colour-blind safe); every chart has a title and units on its axes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from . import data
from .template import PALETTE, VEGA_LITE_MIME, VegaLite, fill, load_templates

__all__ = [
    "Chart", "PALETTE", "fill", "load_templates", "roofline", "roofline_spec", "memory_breakdown",
    "memory_breakdown_spec", "step_time", "step_time_spec", "carbon_by_region", "carbon_by_region_spec",
    "cost_over_time", "cost_over_time_spec", "latency_vs_load", "latency_vs_load_spec", "scorecard",
    "scorecard_spec",
]


@dataclass(frozen=True, slots=True)
class Chart:
    """A filled Vega-Lite spec with the rows it draws and a one-sentence summary of them."""

    spec: dict
    datasets: dict
    summary: str

    def _mime_(self):
        return VegaLite(self.spec)._mime_()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {VEGA_LITE_MIME: self.spec}

    def to_altair(self):
        """The same chart as an Altair object (imports Altair: an optional dependency, needed
        only outside the fast path)."""
        import altair as alt  # optional and heavy: only plain-Python callers pay for it

        return alt.LayerChart.from_dict(self.spec, validate=False)


def _chart(name: str, made: tuple[dict, dict, str], title) -> Chart:
    datasets, settings, summary = made
    return Chart(fill(name, datasets, title=title, settings=settings), datasets, summary)


def _title(text: str, subtitle: str | None = None):
    return {"text": text, "subtitle": subtitle} if subtitle else text


# --- roofline ---------------------------------------------------------------------------------
def roofline_spec(peak_flops: float, bandwidth: float, points: list[dict], efficiency: float = DEFAULT_EFFICIENCY,
                  bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY, title: str = "Roofline",
                  subtitle: str | None = None) -> Chart:
    """Fast path: the roofline from floats (flop/s, byte/s); see ``data.roofline_data``."""
    return _chart("roofline", data.roofline_data(peak_flops, bandwidth, points, efficiency, bandwidth_efficiency),
                  _title(title, subtitle))


def profile_point(profile, label: str | None = None) -> dict:
    """A workload point of the roofline from a roofline solve's result (public attributes only)."""
    ops = profile.ops.to("flop").magnitude
    latency = profile.latency.to("s").magnitude
    return {"label": label or f"{profile.model}, batch {profile.batch_size}",
            "intensity": profile.arithmetic_intensity.to("flop/byte").magnitude,
            "flops": ops / latency if latency > 0 else 0.0, "bound": str(getattr(profile.bound, "value", profile.bound)),
            "feasible": bool(profile.feasible)}


def roofline(hw, profiles, efficiency: float = DEFAULT_EFFICIENCY,
             bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY):
    """The roofline of ``hw`` with each roofline solve in ``profiles`` as a labelled point
    (an Altair chart). The peak is the first profile's (in its compute precision)."""
    profiles = list(profiles)
    if not profiles:
        raise ValueError("roofline needs at least one profile to take the compute precision from")
    first = profiles[0]
    peak = first.peak_flops.to("flop/s").magnitude
    bw = hw.memory.bandwidth.to("byte/s").magnitude
    chart = roofline_spec(peak, bw, [profile_point(p) for p in profiles], efficiency, bandwidth_efficiency,
                          title=f"Roofline of {hw.name} ({first.compute_precision})")
    return chart.to_altair()


# --- the other charts -------------------------------------------------------------------------
def memory_breakdown_spec(parts: dict[str, float], capacity: float, title: str = "Memory against capacity") -> Chart:
    """Fast path: resident bytes by kind against the capacity (bytes)."""
    return _chart("memory_breakdown", data.memory_breakdown_data(parts, capacity), title)


def memory_breakdown(parts: dict, capacity, title: str = "Memory against capacity"):
    """Plain Python: ``parts`` and ``capacity`` as byte Quantities (or floats in bytes)."""
    return memory_breakdown_spec({k: _si(v, "byte") for k, v in parts.items()}, _si(capacity, "byte"), title).to_altair()


def step_time_spec(parts: dict[str, float], title: str = "Where a training step's time goes") -> Chart:
    return _chart("step_time", data.step_time_data(parts), title)


def step_time(parts: dict, title: str = "Where a training step's time goes"):
    return step_time_spec({k: _si(v, "s") for k, v in parts.items()}, title).to_altair()


def carbon_by_region_spec(rows: list[dict], title: str = "Carbon of the same job by grid region") -> Chart:
    return _chart("carbon_by_region", data.carbon_data(rows), title)


def carbon_by_region(rows: list[dict], title: str = "Carbon of the same job by grid region"):
    return carbon_by_region_spec(rows, title).to_altair()


def cost_over_time_spec(months, own, rent, title: str = "Owning against renting") -> Chart:
    return _chart("cost_over_time", data.cost_over_time_data(list(months), list(own), list(rent)), title)


def cost_over_time(months, own, rent, title: str = "Owning against renting"):
    return cost_over_time_spec(months, own, rent, title).to_altair()


def latency_vs_load_spec(loads, latencies_s, capacity: float, title: str = "Latency against offered load") -> Chart:
    return _chart("latency_vs_load", data.latency_vs_load_data(list(loads), list(latencies_s), capacity), title)


def latency_vs_load(loads, latencies_s, capacity: float, title: str = "Latency against offered load"):
    return latency_vs_load_spec(loads, latencies_s, capacity, title).to_altair()


def scorecard_spec(rows: list[dict], title: str = "Audit: each wall's figure against its limit") -> Chart:
    return _chart("scorecard", data.scorecard_data(rows), title)


def scorecard(rows: list[dict], title: str = "Audit: each wall's figure against its limit"):
    return scorecard_spec(rows, title).to_altair()


def _si(value, unit: str) -> float:
    """A Quantity's magnitude in ``unit``, or a float taken as already in it."""
    return float(value.to(unit).magnitude) if hasattr(value, "to") else float(value)
