"""Questions, curves and chart of the collective-communication lab (Volume II, chapter 6).

Every number is the engine's alpha-beta kernels (``mlsysim.physics.kernels``): ``ring_allreduce_time``,
``tree_allreduce_time`` (binary tree, unpipelined), ``hierarchical_allreduce_time`` (in the server,
then across servers, then in the server) and ``ring_tree_crossover_bytes`` (the message size where
ring and tree take equal time). The defaults are the registry's 8,192-GPU cluster: 8 H100s per server
on NVLink, one 400 Gb/s NIC per GPU with a 5 us per-message latency (an estimate).

The chart's template is written here (``mlsysim.viz`` has no chart of time against message size):
a Vega-Lite dict filled by ``viz.fill`` like viz's own.
"""

from __future__ import annotations

import math

from mlsysim import Fleets, viz
from mlsysim.physics import kernels
from mlsysim.viz.data import TIME_UNITS, fmt, pick_unit
from mlsysim.viz.template import CATEGORY_COLOURS, PALETTE, lab_frame

from ..questions import Prediction, Question

REFERENCE_FLEET = "frontier8k"
_REF = Fleets.get(REFERENCE_FLEET)
PER_SERVER = _REF.node.accelerators_per_node
INTRA_BW = _REF.node.intra_node_bw.to("byte/s").magnitude         # NVLink per GPU, one direction (registry)
INTRA_LATENCY = _REF.node.intra_node_latency.to("s").magnitude    # the engine's default scale-up alpha
DEFAULT_BW_GBPS = round(_REF.fabric.bandwidth.to("GB/s").magnitude)  # the NIC's beta (registry)
DEFAULT_ALPHA_US = round(_REF.fabric.latency.to("us").magnitude, 1)  # the fabric's alpha (registry estimate)
GB, US = 1e9, 1e-6  # unit prefixes of the controls (GB/s, microseconds), for display only

ALGORITHMS = {"ring": "ring", "binary tree": "tree", "hierarchical (ring in server, ring across)": "hierarchical"}
NAMES = {v: k.split(" (")[0] for k, v in ALGORITHMS.items()}
GPU_OPTIONS = {f"{2**i:,}": str(2**i) for i in range(1, 14)}  # 2 ... 8,192
SIZES = [m * 10.0**e for e in range(2, 11) for m in (1.0, 3.0)]  # curve: 100 B ... 30 GB


def size_label(nbytes: float) -> str:
    for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if nbytes >= scale:
            return f"{nbytes / scale:,.3g} {unit}"
    return f"{nbytes:,.3g} B"


# the message-size control: 1 KB ... 10 GB, 1 and 3 of every decade
SIZE_OPTIONS = {size_label(m * 10**e): str(m * 10**e) for e in range(3, 11) for m in (1, 3) if m * 10**e <= 10**10}


def servers(gpus: int) -> tuple[int, int]:
    """(GPUs per server, servers) of ``gpus`` GPUs filling servers of 8 (fewer than 8: one server)."""
    local = min(PER_SERVER, gpus)
    return local, gpus // local


def times(gpus: int, nbytes: float, alpha_us: float, bw_gbps: float) -> dict[str, float]:
    """The three all-reduces of ``nbytes`` per GPU, in seconds (the engine's kernels)."""
    beta, alpha = bw_gbps * GB, alpha_us * US
    local, nodes = servers(gpus)
    return {"ring": kernels.ring_allreduce_time(nbytes, gpus, beta, alpha),
            "tree": kernels.tree_allreduce_time(nbytes, gpus, beta, alpha),
            "hierarchical": kernels.hierarchical_allreduce_time(nbytes, local, nodes, INTRA_BW, INTRA_LATENCY, beta, alpha)}


def crossover(gpus: int, alpha_us: float, bw_gbps: float) -> float:
    """The message size (bytes) below which the tree beats the ring; 0 when it never does."""
    return kernels.ring_tree_crossover_bytes(gpus, bw_gbps * GB, alpha_us * US)


def tree_depth(gpus: int) -> int:
    """L = ceil(log2 N), the binary tree's levels as ``kernels.tree_allreduce_time`` counts them (for display)."""
    return math.ceil(math.log2(gpus))


def fastest(t: dict[str, float]) -> str:
    return min(t, key=t.get)


ORDER = ["ring", "tree", "hierarchical"]
TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curves"}, "mark": {"type": "line", "strokeWidth": 2.5},
         "encoding": {"x": {"field": "bytes", "type": "quantitative", "title": "Message per GPU (bytes, log scale)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~s"}},
                      "y": {"field": "time", "type": "quantitative", "title": "all-reduce time (log scale)",
                            "scale": {"type": "log"}, "axis": {"format": "~g"}},
                      "color": {"field": "algorithm", "type": "nominal", "title": None,
                                "scale": {"domain": ORDER, "range": CATEGORY_COLOURS[:3]}}}},
        {"data": {"name": "crossover"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["black"]},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}}},
        {"data": {"name": "crossover"}, "mark": {"type": "text", "align": "left", "dx": 4, "baseline": "top",
                                                 "fontWeight": "bold"},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}, "y": {"value": 4},
                      "text": {"field": "label", "type": "nominal"}}},
        {"data": {"name": "yours"}, "mark": {"type": "point", "filled": True, "size": 140, "shape": "diamond",
                                             "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}, "y": {"field": "time", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "text", "align": "right", "dx": -8, "dy": -8,
                                             "color": PALETTE["vermillion"], "fontWeight": "bold"},
         "encoding": {"x": {"field": "bytes", "type": "quantitative"}, "y": {"field": "time", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def chart(algorithm: str, gpus: int, nbytes: float, alpha_us: float, bw_gbps: float) -> viz.Chart:
    """The three all-reduces against message size, the ring/tree crossover marked, the student's point."""
    by_size = [(s, times(gpus, s, alpha_us, bw_gbps)) for s in SIZES]
    scale, unit = pick_unit(max(max(t.values()) for _, t in by_size), TIME_UNITS)
    rows = [{"algorithm": a, "bytes": s, "time": t[a] / scale} for s, t in by_size for a in ORDER]
    cross = crossover(gpus, alpha_us, bw_gbps)
    marks = [{"bytes": cross, "label": f"ring = tree at {size_label(cross)}"}] if cross > 0 else []
    mine = times(gpus, nbytes, alpha_us, bw_gbps)[algorithm]
    yours = [{"bytes": nbytes, "time": mine / scale, "label": f"{NAMES[algorithm]}: {fmt(mine / scale)} {unit}"}]
    datasets = {"curves": rows, "crossover": marks, "yours": yours}
    spec = viz.fill(TEMPLATE, datasets, title={"text": f"All-reduce on {gpus:,} GPUs, time in {unit}",
                                               "subtitle": f"α = {alpha_us:g} µs, β = {bw_gbps:g} GB/s across servers"},
                    settings={"layer.0.encoding.y.title": f"all-reduce time ({unit}, log scale)"})
    where = (f"ring and tree cross at {size_label(cross)}" if cross > 0 else "the ring is never slower than the tree")
    summary = (f"All-reduce time against message size for ring, tree and hierarchical on {gpus:,} GPUs; {where}; "
               f"your {NAMES[algorithm]} all-reduce of {size_label(nbytes)} takes {fmt(mine / scale)} {unit}.")
    return viz.Chart(spec, datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_GPUS = [16, 64, 256, 1024, 4096]


def _cross_math(gpus, alpha_us, bw_gbps) -> str:
    depth = tree_depth(gpus)
    return (f"ring: 2(N−1) α + 2 (N−1)/N M/β; tree: 2 L (α + M/β), L = ⌈log₂ {gpus}⌉ = {depth}. Equal at "
            f"M* = α β (N−1−L) ÷ (L − (N−1)/N) = {alpha_us:g} µs × {bw_gbps:g} GB/s × {gpus - 1 - depth} ÷ "
            f"({depth} − {(gpus - 1) / gpus:.4f}) = **{crossover(gpus, alpha_us, bw_gbps) / 1e3:,.4g} KB**.")


def _ring_math(gpus, size, alpha_us, bw_gbps) -> str:
    t = times(gpus, float(size), alpha_us, bw_gbps)["ring"]
    return (f"2(N−1) α + 2 (N−1)/N × M ÷ β = 2 × {gpus - 1:,} × {alpha_us:g} µs + 2 × {(gpus - 1) / gpus:.4f} × "
            f"{size_label(size)} ÷ {bw_gbps:g} GB/s = **{t * 1e3:,.4g} ms**.")


def _hier_math(gpus, size) -> str:
    local, nodes = servers(gpus)
    t = times(gpus, float(size), DEFAULT_ALPHA_US, DEFAULT_BW_GBPS)["hierarchical"]
    return (f"in the server (L = {local} on NVLink at {INTRA_BW / GB:g} GB/s): 2(L−1) α_in + 2 (L−1)/L × M ÷ β_in; "
            f"across the {nodes:,} servers: a ring all-reduce of M/L = {size_label(size / local)} at "
            f"{DEFAULT_BW_GBPS:g} GB/s, α = {DEFAULT_ALPHA_US:g} µs. Total **{t * 1e3:,.4g} ms**.")


QUESTIONS = [
    Question(
        id="crossover",
        prompt=("**{gpus:,} GPUs**, a per-message latency α = **{alpha_us:g} µs** and β = **{bw_gbps:g} GB/s** per GPU: "
                "below which message size, in **KB**, is a binary-tree all-reduce faster than a ring?"),
        variants={"gpus": _GPUS, "alpha_us": [2.0, 5.0, 10.0], "bw_gbps": [25, 50, 100]},
        answer=lambda gpus, alpha_us, bw_gbps: crossover(gpus, alpha_us, bw_gbps) / 1e3,
        tolerance=0.03, unit="KB",
        hint="Set the two alpha-beta times equal and solve for M; the chart marks the crossing for your controls.",
        math=_cross_math,
    ),
    Question(
        id="ring_time",
        prompt=("A ring all-reduce of **{size_name}** per GPU over **{gpus:,} GPUs** with α = **{alpha_us:g} µs** and "
                "β = **{bw_gbps:g} GB/s**: how many **milliseconds**?"),
        variants={"gpus": _GPUS, "size": [10**6, 10**7, 10**8, 10**9], "alpha_us": [2.0, 5.0, 10.0], "bw_gbps": [25, 50, 100]},
        answer=lambda gpus, size, alpha_us, bw_gbps: 1e3 * times(gpus, float(size), alpha_us, bw_gbps)["ring"],
        tolerance=0.03, unit="ms", describe=lambda size, **_: {"size_name": size_label(size)},
        hint="2(N−1) latencies, plus about twice the message at the link's bandwidth.",
        math=_ring_math,
    ),
    Question(
        id="hierarchical",
        prompt=(f"**{{gpus:,}} GPUs** in servers of {PER_SERVER} (NVLink inside, the registry's "
                f"{_REF.fabric.bandwidth.to('Gbit/s').magnitude:g} Gb/s NIC and {DEFAULT_ALPHA_US:g} µs across): "
                "how many **milliseconds** does a hierarchical all-reduce of **{size_name}** take?"),
        variants={"gpus": [64, 256, 1024, 4096], "size": [10**7, 10**8, 10**9]},
        answer=lambda gpus, size: 1e3 * times(gpus, float(size), DEFAULT_ALPHA_US, DEFAULT_BW_GBPS)["hierarchical"],
        tolerance=0.03, unit="ms", describe=lambda size, **_: {"size_name": size_label(size)},
        hint="Reduce-scatter inside the server, a ring across servers on 1/8 of the message (8 rings in parallel), "
             "all-gather inside.",
        math=_hier_math,
    ),
]

PREDICT_GPUS = 1024


def _predicted_crossover_kb() -> float:
    return crossover(PREDICT_GPUS, DEFAULT_ALPHA_US, DEFAULT_BW_GBPS) / 1e3


PREDICTIONS = [
    Prediction(
        id="crossover_guess",
        prompt=(f"{PREDICT_GPUS:,} GPUs all-reduce a message, each with a {DEFAULT_BW_GBPS:g} GB/s link and "
                f"{DEFAULT_ALPHA_US:g} µs per message. A ring pays 2(N−1) latencies; a binary tree only 2 log₂ N "
                "but sends the whole message at every level. Up to what message size is the tree faster?"),
        truth=_predicted_crossover_kb,
        unit="KB",
    ),
]
