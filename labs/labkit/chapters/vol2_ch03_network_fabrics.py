"""Questions, curves and chart of the network-fabrics lab (Volume II, chapter 3).

Every number is the engine's ``TopologyModel`` (``mlsysim.solvers.topology``): bisection bandwidth,
its share of full bisection, diameter and mean hops of each fabric, and the ring all-reduce and
uniform all-to-all times its bandwidths allow (the alpha-beta kernels). Each endpoint is one GPU's
NIC of the registry's 8,192-GPU cluster (400 Gb/s, a 5 us per-message latency, an estimate); the
servers' NVLink is left out, so every byte crosses the fabric.

The chart's template is written here (``mlsysim.viz`` has no chart of time against message size):
a Vega-Lite dict filled by ``viz.fill`` like viz's own.
"""

from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Fleets, viz
from mlsysim.core.units import Q_
from mlsysim.physics import kernels
from mlsysim.solvers.topology import TopologyModel
from mlsysim.viz.data import TIME_UNITS, fmt, pick_unit
from mlsysim.viz.template import CATEGORY_COLOURS, PALETTE, lab_frame

from ..questions import Prediction, Question

REFERENCE_FLEET = "frontier8k"
_FABRIC = Fleets.get(REFERENCE_FLEET).fabric
# per GPU, one direction (registry), and the per-message latency (a registry estimate), in the units
# the solver converts fastest
BANDWIDTH = Q_(_FABRIC.bandwidth.to("GB/s").magnitude, "GB/s")
LATENCY = Q_(_FABRIC.latency.to("us").magnitude, "us")
NIC = f"{_FABRIC.bandwidth.to('Gbit/s').magnitude:g} Gb/s"
TOPOLOGIES = {"fat-tree (folded Clos)": "fat-tree", "rail-optimised fat-tree": "rail-optimized",
              "3-D torus": "torus", "dragonfly": "dragonfly"}
NAMES = {v: k for k, v in TOPOLOGIES.items()}
COLLECTIVES = {"all-reduce (data-parallel gradients)": "allreduce", "all-to-all (MoE expert dispatch)": "all_to_all"}
MIN_GPUS, MAX_GPUS = 16, 16384
# message sizes of the curve and of the size control: 1 KB to 10 GB, one per decade
SIZES = [10.0**e for e in range(3, 11)]


def size_label(nbytes: float) -> str:
    """'1 KB', '16 MB', '4.1 GB' (decimal units, as the fabric's bandwidth)."""
    for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if nbytes >= scale:
            return f"{nbytes / scale:,.3g} {unit}"
    return f"{nbytes:,.3g} B"


SIZE_OPTIONS = {size_label(s): str(int(s)) for s in SIZES}

_MODEL = TopologyModel()


@lru_cache(maxsize=2048)
def solve(topology: str, gpus: int, oversubscription: float, message_bytes: float):
    """The engine's fabric: ``gpus`` endpoints of the reference NIC, one all-reduce and one all-to-all of
    ``message_bytes`` per GPU."""
    size = Q_(float(message_bytes), "byte")
    return _MODEL.solve(topology=topology, endpoints=int(gpus), bandwidth=BANDWIDTH, latency=LATENCY,
                        oversubscription=float(oversubscription), message_size=size, all_to_all_size=size)


def seconds(result, collective: str) -> float:
    """The collective's time in seconds: the result's SI float (what ``allreduce_time`` and
    ``all_to_all_time`` wrap as Quantities; read directly because the curve reads it 64 times)."""
    return result._allreduce_time if collective == "allreduce" else result._all_to_all_time


@lru_cache(maxsize=64)
def curves(gpus: int, oversubscription: float) -> dict[str, list[tuple[float, float, float]]]:
    """Per topology: (message bytes, all-reduce s, all-to-all s) at every size of the curve."""
    out = {}
    for topo in TOPOLOGIES.values():
        out[topo] = [(s, seconds(r, "allreduce"), seconds(r, "all_to_all"))
                     for s in SIZES for r in [solve(topo, gpus, oversubscription, s)]]
    return out


TOPO_ORDER = list(TOPOLOGIES.values())
TEMPLATE = {
    **lab_frame(300, legend={"columns": 2}),
    "layer": [
        {"data": {"name": "curves"}, "mark": {"type": "line", "point": True},
         "encoding": {"x": {"field": "bytes", "type": "quantitative", "title": "Message per GPU (bytes, log scale)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~s"}},
                      "y": {"field": "time", "type": "quantitative", "title": "time (see title for the unit; log)",
                            "scale": {"type": "log"}, "axis": {"format": "~g"}},
                      "color": {"field": "topology", "type": "nominal", "title": None,
                                "scale": {"domain": TOPO_ORDER, "range": CATEGORY_COLOURS[:4]}},
                      "strokeDash": {"field": "topology", "type": "nominal", "legend": None,
                                     "scale": {"domain": TOPO_ORDER, "range": [[1, 0], [6, 3], [1, 0], [1, 0]]}},
                      "strokeWidth": {"field": "width", "type": "quantitative", "legend": None, "scale": None}}},
        {"data": {"name": "yours"}, "mark": {"type": "point", "filled": True, "size": 140, "shape": "diamond",
                                             "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}, "y": {"field": "time", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "text", "align": "right", "dx": -8, "dy": -8,
                                             "color": PALETTE["vermillion"], "fontWeight": "bold"},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}, "y": {"field": "time", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def chart(topology: str, gpus: int, oversubscription: float, collective: str, message_bytes: float) -> viz.Chart:
    """The collective's time against message size on every fabric, the student's fabric drawn thick and
    the student's message marked."""
    rows_s = curves(gpus, oversubscription)
    col = 1 if collective == "allreduce" else 2
    top = max(p[col] for pts in rows_s.values() for p in pts)
    scale, unit = pick_unit(top, TIME_UNITS)
    rows = [{"topology": t, "bytes": p[0], "time": p[col] / scale, "width": 4 if t == topology else 1.5}
            for t, pts in rows_s.items() for p in pts]
    mine = seconds(solve(topology, gpus, oversubscription, message_bytes), collective)
    yours = [{"bytes": message_bytes, "time": mine / scale, "label": f"yours: {fmt(mine / scale)} {unit}"}]
    name = "all-reduce" if collective == "allreduce" else "all-to-all"
    datasets = {"curves": rows, "yours": yours}
    spec = viz.fill(TEMPLATE, datasets, title={"text": f"{name.capitalize()} on {gpus:,} GPUs, time in {unit}",
                                               "subtitle": f"tree tiers oversubscribed {oversubscription:g}:1"},
                    settings={"layer.0.encoding.y.title": f"{name} time ({unit}, log scale)"})
    summary = (f"{name.capitalize()} time against message size on four fabrics of {gpus:,} GPUs; on your "
               f"{NAMES[topology]} a {size_label(message_bytes)} message takes {fmt(mine / scale)} {unit}.")
    return viz.Chart(spec, datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_GPUS = [256, 512, 1024, 2048, 4096]
_OVER = [1.0, 2.0, 4.0]


def _bisection(topology, gpus, oversubscription) -> float:
    return solve(topology, gpus, oversubscription, SIZES[0]).bisection_bandwidth.to("TB/s").magnitude


def _bisection_math(topology, gpus, oversubscription) -> str:
    r = solve(topology, gpus, oversubscription, SIZES[0])
    return (f"{r.shape}: {r.bisection_links:,.4g} links cross the narrowest half-half cut × "
            f"{r.link_bandwidth.to('GB/s').magnitude:.4g} GB/s per link = "
            f"**{r.bisection_bandwidth.to('TB/s').magnitude:.4g} TB/s** ({r.full_bisection_ratio:.3g} of full bisection).")


def _a2a_math(topology, gpus, size) -> str:
    r = solve(topology, gpus, 1.0, float(size))
    n, m = gpus, float(size)
    return (f"per-GPU all-to-all rate = min(injection, 4 × bisection × (N−1)/N²) = "
            f"**{r.all_to_all_bandwidth.to('GB/s').magnitude:.4g} GB/s**; time = (N−1) α + (N−1)/N × M ÷ rate = "
            f"{n - 1:,} × {LATENCY.to('us').magnitude:g} µs + {(n - 1) / n:.4f} × {size_label(m)} ÷ "
            f"{r.all_to_all_bandwidth.to('GB/s').magnitude:.4g} GB/s = **{r.all_to_all_time.to('ms').magnitude:.4g} ms**.")


def _ar_math(gpus, oversubscription, size) -> str:
    r = solve("fat-tree", gpus, oversubscription, float(size))
    return (f"ring all-reduce at injection ÷ oversubscription = {BANDWIDTH.to('GB/s').magnitude:.4g} ÷ "
            f"{oversubscription:g} = {r.allreduce_bandwidth.to('GB/s').magnitude:.4g} GB/s: 2(N−1) α + "
            f"2 (N−1)/N × M ÷ rate = **{r.allreduce_time.to('ms').magnitude:.4g} ms**.")


QUESTIONS = [
    Question(
        id="bisection",
        prompt=("**{gpus:,} GPUs** at " + NIC + " each are joined by a **{topo_name}** (tree tiers oversubscribed "
                "**{oversubscription:g}:1**). What is its **bisection bandwidth**, in TB/s (one direction)?"),
        variants={"topology": ["fat-tree", "torus", "dragonfly"], "gpus": _GPUS, "oversubscription": _OVER},
        answer=_bisection, tolerance=0.03, unit="TB/s",
        describe=lambda topology, **_: {"topo_name": NAMES[topology]},
        hint="Count the links cut by the narrowest split into halves, times one link's bandwidth; a torus splits "
             "each GPU's bandwidth over its six links, and oversubscription only cuts switch tiers.",
        math=_bisection_math,
    ),
    Question(
        id="all_to_all",
        prompt=("On a non-blocking **{topo_name}** of **{gpus:,} GPUs**, each GPU holds **{size_name}** to spread "
                "evenly over all the others (an all-to-all). How many **milliseconds** does it take?"),
        variants={"topology": ["fat-tree", "torus", "dragonfly"], "gpus": _GPUS, "size": [int(SIZES[i]) for i in (4, 5, 6)]},
        answer=lambda topology, gpus, size: solve(topology, gpus, 1.0, float(size)).all_to_all_time.to("ms").magnitude,
        tolerance=0.03, unit="ms",
        describe=lambda topology, size, **_: {"topo_name": NAMES[topology], "size_name": size_label(size)},
        hint="An all-to-all sends half of all the data across the bisection: the per-GPU rate is the smaller of the "
             "NIC and 4 × bisection × (N−1)/N².",
        math=_a2a_math,
    ),
    Question(
        id="allreduce_oversubscribed",
        prompt=("A ring all-reduce of **{size_name}** per GPU on **{gpus:,} GPUs** of a fat-tree whose upper tiers "
                "are oversubscribed **{oversubscription:g}:1**: how many **milliseconds**?"),
        variants={"gpus": _GPUS, "oversubscription": [2.0, 3.0, 4.0], "size": [int(SIZES[i]) for i in (5, 6, 7)]},
        answer=lambda gpus, oversubscription, size: solve("fat-tree", gpus, oversubscription, float(size))
        .allreduce_time.to("ms").magnitude,
        tolerance=0.03, unit="ms",
        describe=lambda size, **_: {"size_name": size_label(size)},
        hint="When every GPU sends at once, each gets its NIC's bandwidth ÷ the oversubscription.",
        math=_ar_math,
    ),
]

PREDICT_GPUS, PREDICT_BYTES = 1024, 1e9
PREDICT_RATIO = solve("torus", PREDICT_GPUS, 1.0, PREDICT_BYTES).full_bisection_ratio
PREDICT_OPTIONS = ["about the same time", "about twice as long",
                   f"about ten times as long (its bisection is ~{100 * PREDICT_RATIO:.2g} % of full)"]


def _torus_penalty() -> str:
    fat = solve("fat-tree", PREDICT_GPUS, 1.0, PREDICT_BYTES)
    torus = solve("torus", PREDICT_GPUS, 1.0, PREDICT_BYTES)
    # the option nearest (in log) to how many times longer the torus takes
    ratio = kernels.speedup(torus.allreduce_time.to("s").magnitude, fat.allreduce_time.to("s").magnitude)
    return min(zip((1.0, 2.0, 10.0), PREDICT_OPTIONS), key=lambda o: abs(math.log(ratio) - math.log(o[0])))[1]


PREDICTIONS = [
    Prediction(
        id="torus_allreduce",
        prompt=(f"{PREDICT_GPUS:,} GPUs at {NIC} each: wired as a 3-D torus, the fabric has about "
                f"{100 * PREDICT_RATIO:.2g} % of the bisection bandwidth of a non-blocking fat-tree. A ring "
                f"all-reduce of {size_label(PREDICT_BYTES)} per GPU (data-parallel gradients) on the torus takes, "
                "compared with the fat-tree…"),
        options=PREDICT_OPTIONS,
        truth=_torus_penalty,
    ),
]
