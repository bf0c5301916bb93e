"""The datasets each chart template reads, computed from plain floats (no Altair, no pint).

Every function returns ``(datasets, settings, summary)``: the named rows a template draws, the
settings to put at dotted paths of the spec (axis tick values, an axis title with its unit), and a
one-sentence text summary of what the chart shows (for screen readers and the data table).
Ridge points and attainable performance come from the engine's kernels, never re-derived here.
"""

from __future__ import annotations

import math

from ..physics import kernels
from .template import decades

# a FLOP/s axis in the largest unit that keeps the peak at or above 1
FLOPS_UNITS = [(1e15, "PFLOP/s"), (1e12, "TFLOP/s"), (1e9, "GFLOP/s"), (1e6, "MFLOP/s"), (1.0, "FLOP/s")]
BYTES_UNITS = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1.0, "B")]
TIME_UNITS = [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs")]


def pick_unit(value: float, units: list[tuple[float, str]]) -> tuple[float, str]:
    """The (scale, name) of the largest unit in which ``value`` is at least 1."""
    for scale, name in units:
        if abs(value) >= scale:
            return scale, name
    return units[-1]


def fmt(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, written out (with thousands separators) from
    1e-3 to 1e6 and in scientific notation outside."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.{digits}g}"
    exponent = math.floor(math.log10(abs(value)))
    places = digits - 1 - exponent
    return f"{round(value, places):,.{max(0, places)}f}"


def roofline_data(peak_flops: float, bandwidth: float, points: list[dict], efficiency: float = 1.0,
                  bandwidth_efficiency: float = 1.0) -> tuple[dict, dict, str]:
    """The roofline's datasets.

    ``peak_flops`` (flop/s) and ``bandwidth`` (byte/s) are the hardware's peaks; the *effective*
    roof is ``min(peak x efficiency, intensity x bandwidth x bandwidth_efficiency)`` (Williams,
    Waterman & Patterson 2009, "Roofline", CACM 52(4)), whose corner, the effective ridge, is what
    decides compute- against memory-bound. ``points`` are dicts with ``label``, ``intensity``
    (flop/byte), ``flops`` (attained flop/s), ``bound`` and ``feasible``.
    """
    if peak_flops <= 0 or bandwidth <= 0:
        raise ValueError(f"peak_flops and bandwidth must be > 0 to draw a roofline, got {peak_flops}, {bandwidth}")
    ridge = kernels.ridge_point(peak_flops, bandwidth)
    eff_peak = peak_flops * efficiency
    eff_bw = bandwidth * bandwidth_efficiency
    eff_ridge = kernels.ridge_point(eff_peak, eff_bw)
    xs = [ridge, eff_ridge] + [p["intensity"] for p in points if p["intensity"] > 0]
    # two decades of room left of the leftmost ridge (for the ridges' labels), one right of the rest
    lo, hi = min(xs) / 100.0, max(xs) * 10.0
    scale, unit = pick_unit(peak_flops, FLOPS_UNITS)
    y_lo = min([lo * eff_bw] + [p["flops"] for p in points if p["flops"] > 0]) / 2.0

    def roof(x, peak, bw):
        return kernels.attainable_flops(x, peak, bw) / scale

    roof_rows = [{"ai": x, "perf": roof(x, peak_flops, bandwidth)} for x in (lo, ridge, hi)]
    eff_rows = [{"ai": x, "perf": roof(x, eff_peak, eff_bw)} for x in (lo, eff_ridge, hi)]
    top = peak_flops / scale * 1.6
    ridges = [
        {"ai": ridge, "perf": peak_flops / scale, "label": f"peak ridge {fmt(ridge)} flop/B", "which": "peak"},
        {"ai": eff_ridge, "perf": eff_peak / scale,
         "label": f"{efficiency:.0%} ridge {fmt(eff_ridge)} flop/B", "which": "effective"},
    ]
    regions = [
        {"ai": lo, "ai2": eff_ridge, "y": y_lo / scale, "y2": top, "region": "memory bound"},
        {"ai": eff_ridge, "ai2": hi, "y": y_lo / scale, "y2": top, "region": "compute bound"},
    ]
    region_labels = [
        {"ai": math.sqrt(lo * eff_ridge), "perf": y_lo / scale * 1.15, "label": "memory bound"},
        {"ai": math.sqrt(eff_ridge * hi), "perf": y_lo / scale * 1.15, "label": "compute bound"},
    ]
    pts = [{
        "ai": p["intensity"], "perf": p["flops"] / scale,
        "label": p["label"] + ("" if p.get("feasible", True) else " (does not fit)"),
        "status": "fits" if p.get("feasible", True) else "does not fit",
        "bound": p.get("bound", ""),
        "side": "left" if math.log(p["intensity"] / lo) < 0.5 * math.log(hi / lo) else "right",
    } for p in points if p["intensity"] > 0 and p["flops"] > 0]
    datasets = {"roof": roof_rows, "effective_roof": eff_rows, "ridges": ridges, "regions": regions,
                "region_labels": region_labels, "points": pts}
    settings = {
        "layer.0.encoding.x.axis.values": decades(lo, hi),
        "layer.0.encoding.y.axis.values": decades(y_lo / scale, top),
        "layer.0.encoding.y.title": f"Attainable performance ({unit})",
    }
    parts = [f"{p['label']} at {fmt(p['ai'])} flop/byte attains {fmt(p['perf'])} {unit}" for p in pts]
    summary = (f"Roofline: peak {fmt(peak_flops / scale)} {unit}, bandwidth {fmt(bandwidth / 1e9)} GB/s, "
               f"ridge at peak {fmt(ridge)} flop/byte, ridge at {efficiency:.0%} of peak {fmt(eff_ridge)} flop/byte"
               + ("; " + "; ".join(parts) if parts else "") + ".")
    return datasets, settings, summary


def breakdown_data(parts: dict[str, float], units: list[tuple[float, str]], limit: float | None = None,
                   limit_label: str = "capacity", row: str = "") -> tuple[dict, dict, str]:
    """A stacked horizontal bar of named parts (same unit), with an optional limit marked:
    memory against capacity (bytes), a step's time by phase (seconds)."""
    total = sum(parts.values())
    scale, unit = pick_unit(max(total, limit or 0.0), units)
    rows = [{"part": name, "value": v / scale, "order": i, "row": row} for i, (name, v) in enumerate(parts.items())]
    limits = [] if limit is None else [{"value": limit / scale, "label": f"{limit_label} {fmt(limit / scale)} {unit}"}]
    settings = {"layer.0.encoding.x.title": f"{row or 'Total'} ({unit})".strip()}
    text = ", ".join(f"{n} {fmt(v / scale)} {unit}" for n, v in parts.items())
    verdict = "" if limit is None else (f"; the total {fmt(total / scale)} {unit} "
                                        f"{'exceeds' if total > limit else 'is within'} the {limit_label} of {fmt(limit / scale)} {unit}")
    return {"parts": rows, "limit": limits}, settings, f"{text}{verdict}."


def memory_breakdown_data(parts: dict[str, float], capacity: float) -> tuple[dict, dict, str]:
    """Resident bytes by kind (weights, gradients, optimizer state, activations, KV cache)
    against the accelerator's capacity, all in bytes."""
    return breakdown_data(parts, BYTES_UNITS, capacity, "capacity", "Memory")


def step_time_data(parts: dict[str, float]) -> tuple[dict, dict, str]:
    """One training step's time by phase (compute, TP/PP/EP/DP communication, bubble), in seconds."""
    return breakdown_data(parts, TIME_UNITS, None, "", "Step time")


def carbon_data(rows: list[dict]) -> tuple[dict, dict, str]:
    """Carbon (kg CO2e) and energy (kWh) of one job by grid region: rows of
    ``{"region", "carbon_kg", "energy_kwh"}``."""
    out = sorted(({"region": r["region"], "carbon_kg": r["carbon_kg"], "energy_kwh": r["energy_kwh"],
                   "label": f"{fmt(r['carbon_kg'])} kg, {fmt(r['energy_kwh'])} kWh"} for r in rows),
                 key=lambda r: r["carbon_kg"])
    summary = "Carbon by region: " + ", ".join(f"{r['region']} {fmt(r['carbon_kg'])} kg CO2e" for r in out) + "."
    return {"regions": out}, {}, summary


def cost_over_time_data(months: list[float], own: list[float], rent: list[float]) -> tuple[dict, dict, str]:
    """Cumulative cost of owning against renting (dollars) by month, and where they cross."""
    rows = [{"month": m, "cost": c, "option": "own"} for m, c in zip(months, own)]
    rows += [{"month": m, "cost": c, "option": "rent"} for m, c in zip(months, rent)]
    cross = next((m for m, o, r in zip(months, own, rent) if o <= r), None)
    marks = [] if cross is None else [{"month": cross, "label": f"owning is cheaper from month {fmt(cross)}"}]
    summary = (f"Owning costs {fmt(own[-1])} dollars and renting {fmt(rent[-1])} dollars after {fmt(months[-1])} months; "
               + ("owning never becomes cheaper." if cross is None else f"owning is cheaper from month {fmt(cross)}."))
    return {"cost": rows, "breakeven": marks}, {}, summary


def latency_vs_load_data(loads: list[float], latencies_s: list[float], capacity: float) -> tuple[dict, dict, str]:
    """Mean latency (s) against offered load (requests/s), up to the service's capacity (requests/s),
    past which the queue is unstable (Kleinrock 1975, Queueing Systems vol. 1)."""
    scale, unit = pick_unit(max(latencies_s), TIME_UNITS)
    rows = [{"load": l, "latency": t / scale} for l, t in zip(loads, latencies_s) if l < capacity]
    sat = [{"load": capacity, "label": f"saturation {fmt(capacity)} req/s"}]
    settings = {"layer.0.encoding.y.title": f"Mean latency ({unit})"}
    summary = (f"Latency rises from {fmt(rows[0]['latency'])} {unit} at {fmt(rows[0]['load'])} req/s to "
               f"{fmt(rows[-1]['latency'])} {unit} at {fmt(rows[-1]['load'])} req/s; the queue is unstable from "
               f"{fmt(capacity)} req/s.") if rows else f"Every load shown is above the capacity {fmt(capacity)} req/s."
    return {"latency": rows, "saturation": sat}, settings, summary


def scorecard_data(rows: list[dict]) -> tuple[dict, dict, str]:
    """Each wall's figure against its limit: rows of ``{"wall", "figure", "limit", "unit"}``; the
    chart shows figure / limit, where more than 1 means the wall is hit."""
    out = [{"wall": r["wall"], "ratio": r["figure"] / r["limit"],
            "label": f"{fmt(r['figure'])} of {fmt(r['limit'])} {r.get('unit', '')}".strip(),
            "status": "over the limit" if r["figure"] > r["limit"] else "within the limit"} for r in rows]
    over = [r["wall"] for r in out if r["ratio"] > 1]
    summary = (f"{len(over)} of {len(out)} walls over their limit" + (f": {', '.join(over)}." if over else "."))
    return {"walls": out, "one": [{"ratio": 1.0}]}, {}, summary
