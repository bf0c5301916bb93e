"""Questions, comparison and chart of the ML-systems lab (Volume I, chapter 2).

The same model on four tiers: a cloud GPU reached over the network, an edge box, a phone and a
microcontroller. Every number is the engine's: ``Engine.solve`` (batch 1, int8) for latency,
energy (TDP x latency, the engine's upper bound) and memory fit on each device, and
``kernels.network_round_trip`` with a registry ``Networks`` entry for the way to the datacenter
(access round trip, light in fibre, router hops, the upload of the request). The default devices
are the archetypes' (``mlsysim.personas``). The chart's template is written here (``mlsysim.viz``
has no latency-against-distance chart), filled by ``viz.fill`` like viz's own.
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import EdgeGuardian, Engine, Hardware, MobileNomad, Models, Networks, Preprocessing, TinyPioneer, viz
from mlsysim.core.units import Q_
from mlsysim.physics import kernels
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

PRECISION = "int8"  # every archetype runs int8 on its device
TIERS = ("edge", "mobile", "tiny")  # where the model can run on the device itself
MODELS = ["ds_cnn", "wake_vision", "anomaly_ae", "mobilenetv2", "yolov8n", "resnet50", "bert_base", "gpt2"]
DEFAULTS = {"cloud": "h100", "edge": EdgeGuardian.system, "mobile": MobileNomad.system, "tiny": TinyPioneer.system}
MAX_KM = 40000  # the distance control reaches once around the Earth (fibre routes are longer than great circles)
CHART_KM = 20000  # the chart spans half the Earth's circumference: the farthest datacenter, as the crow flies
DEFAULT_PAYLOAD_KB = Preprocessing.get("imagenet_jpeg_augment").sample_bytes.to("kB").magnitude  # a JPEG photo
DEFAULT_HOPS = 12
SPEED_OF_LIGHT = Q_(1.0, "speed_of_light").to("m/s").magnitude


def devices(tier: str) -> dict[str, str]:
    """{label: key} of the registry's accelerators of ``tier``."""
    return {h.name: h.key for h in sorted(Hardware.list(), key=lambda h: h.name) if h.tier == tier}


@lru_cache(maxsize=256)
def on_device(model: str, hw: str):
    """One inference (batch 1, int8) of ``model`` on ``hw``: the engine's result (kept, so moving
    the distance does not solve the same four devices again)."""
    return Engine.solve(model, hw, batch_size=1, precision=PRECISION)


@lru_cache(maxsize=None)
def _link(network: str) -> tuple[float, float, float, float]:
    """(signal speed m/s, hop delay s, access round trip s, uplink byte/s) of a registry network
    (converted once per network: the chart's 41 points reuse them)."""
    n = Networks.get(network)
    return (kernels.signal_speed(SPEED_OF_LIGHT, n.group_index), n.hop_delay.to("s").magnitude,
            n.access_round_trip.to("s").magnitude, n.uplink_bandwidth.to("byte/s").magnitude)


def round_trip_s(network: str, distance_km: float, hops: int, payload_kb: float) -> float:
    """Network round trip (s) to a datacenter ``distance_km`` away for a request of ``payload_kb``."""
    v, hop, access, up = _link(network)
    return kernels.network_round_trip(distance_km * 1e3, v, hops, hop, access, payload_kb * 1e3, up)


def round_trip_parts(network: str, distance_km: float, hops: int, payload_kb: float) -> dict[str, float]:
    """The round trip's four terms (s): each one is ``network_round_trip`` with the others zeroed."""
    v, hop, access, up = _link(network)
    rt = kernels.network_round_trip
    return {"access": rt(0.0, v, 0, hop, access, 0.0, up), "propagation": rt(distance_km * 1e3, v, 0, hop, 0.0, 0.0, up),
            "hops": rt(0.0, v, hops, hop, 0.0, 0.0, up), "upload": rt(0.0, v, 0, hop, 0.0, payload_kb * 1e3, up)}


def break_even_km(network: str, device_s: float, cloud_s: float, hops: int, payload_kb: float) -> float:
    """Farthest datacenter (km) for which the cloud answers first; <= 0: the device always wins."""
    v = _link(network)[0]
    return kernels.offload_break_even_distance(device_s, cloud_s, round_trip_s(network, 0.0, hops, payload_kb), v) / 1e3


def compare(model: str, hw: dict[str, str], network: str, distance_km: float, hops: int, payload_kb: float) -> dict:
    """Every tier's row (device, latency, energy, memory fit) and the cloud's total over the network."""
    cloud = on_device(model, hw["cloud"])
    cloud_s = cloud.latency.to("s").magnitude
    net_s = round_trip_s(network, distance_km, hops, payload_kb)
    rows = [_row("cloud", hw["cloud"], cloud, cloud_s + net_s, None)]
    for tier in TIERS:
        r = on_device(model, hw[tier])
        t = r.latency.to("s").magnitude
        rows.append(_row(tier, hw[tier], r, t, break_even_km(network, t, cloud_s, hops, payload_kb)))
    fits = [row for row in rows if row["fits"]]
    fastest = min(fits, key=lambda row: row["total_ms"]) if fits else None
    return {"rows": rows, "cloud": cloud, "cloud_s": cloud_s, "network_s": net_s, "fastest": fastest,
            "parts": round_trip_parts(network, distance_km, hops, payload_kb)}


def size_text(mb: float) -> str:
    """A memory size for the table: kB, MB or GB, three significant figures."""
    if mb >= 1e3:
        return f"{fmt(mb / 1e3)} GB"
    return f"{fmt(mb)} MB" if mb >= 1 else f"{fmt(mb * 1e3)} kB"


def _row(tier: str, key: str, r, total_s: float, break_even: float | None) -> dict:
    return {"tier": tier, "device": Hardware.get(key).name, "key": key, "compute_ms": r.latency.to("ms").magnitude,
            "total_ms": total_s * 1e3, "energy_mj": r.energy.to("mJ").magnitude, "fits": bool(r.feasible),
            "footprint_mb": r.memory_footprint.to("MB").magnitude, "capacity_mb": r.memory_capacity.to("MB").magnitude,
            "reason": r.reason, "precision": r.compute_precision, "break_even_km": break_even}


# The chart: latency (ms, log) against the distance to the datacenter: the cloud's total rises with
# it; each device that fits is a flat line; where they cross is the break-even distance.
_ENC_X = {"field": "km", "type": "quantitative", "title": "Distance to the datacenter (km)"}
_COLOUR = {"field": "where", "type": "nominal", "title": None}
TEMPLATE = {
    **lab_frame(300, legend={"columns": 1}),
    "layer": [
        {"data": {"name": "lines"}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": _ENC_X, "y": {"field": "ms", "type": "quantitative", "title": "Time to answer (ms, log)",
                                         "scale": {"type": "log"}, "axis": {"format": "~g"}},
                      "color": _COLOUR, "detail": {"field": "where"}}},
        {"data": {"name": "you"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["black"]},
         "encoding": {"x": _ENC_X}},
        {"data": {"name": "you"}, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "fontWeight": "bold"},
         "encoding": {"x": _ENC_X, "y": {"field": "ms", "type": "quantitative"}, "text": {"field": "label"}}},
        {"data": {"name": "crossings"}, "mark": {"type": "point", "filled": True, "size": 90, "shape": "diamond",
                                                 "color": PALETTE["black"]},
         "encoding": {"x": _ENC_X, "y": {"field": "ms", "type": "quantitative"}}},
    ],
}


def chart(cmp: dict, network: str, distance_km: float, hops: int, payload_kb: float, points: int = 41) -> viz.Chart:
    """The cloud's time to answer against the distance, each fitting device's flat line, the
    crossings (break-even distances) and the student's distance."""
    span = max(CHART_KM, distance_km)
    cloud_ms = cmp["rows"][0]["compute_ms"]
    label = f"{cmp['rows'][0]['device']} over {Networks.get(network).name}"
    kms = sorted({span * i / (points - 1) for i in range(points)} | {float(distance_km)})
    lines = [{"where": label, "km": km, "ms": cloud_ms + 1e3 * round_trip_s(network, km, hops, payload_kb)} for km in kms]
    crossings = []
    for row in cmp["rows"][1:]:
        if not row["fits"]:
            continue
        name = f"{row['device']} ({row['tier']})"
        lines += [{"where": name, "km": 0.0, "ms": row["compute_ms"]}, {"where": name, "km": span, "ms": row["compute_ms"]}]
        if 0 < row["break_even_km"] <= span:
            crossings.append({"where": name, "km": row["break_even_km"], "ms": row["compute_ms"]})
    total = cmp["rows"][0]["total_ms"]
    you = [{"km": float(distance_km), "ms": total, "label": f"{fmt(distance_km)} km: {fmt(total)} ms"}]
    datasets = {"lines": lines, "you": you, "crossings": crossings}
    fastest = cmp["fastest"]
    summary = (f"Time to answer against the distance to the datacenter: at {fmt(distance_km)} km the cloud takes "
               f"{fmt(total)} ms; the fastest place that fits is "
               + (f"the {fastest['device']} ({fastest['tier']}), {fmt(fastest['total_ms'])} ms." if fastest else "none."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title="Where to run one inference: the cloud against the device"),
                     datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_NETS = ["broadband", "5g", "lte"]
# (model, device) pairs slow enough on the device that a datacenter somewhere on Earth beats them
CASES = ["gpt2|iphone15pro", "gpt2|snapdragon_8_gen3", "gpt2|jetson_orin_nx_16gb", "bert_base|pixel8",
         "wake_vision|nrf52840"]
BREAK_EVEN_PAYLOAD_KB = 20
BREAK_EVEN_HOPS = 12


def _net_name(network: str = "5g", **_) -> dict:
    return {"net_name": Networks.get(network).name}


def _case_names(case: str, network: str) -> dict:
    model, hw = case.split("|")
    return {"model_name": Models.get(model).name, "hw_name": Hardware.get(hw).name, **_net_name(network)}


def _break_even(case: str, network: str) -> float:
    model, hw = case.split("|")
    return break_even_km(network, on_device(model, hw).latency.to("s").magnitude,
                         on_device(model, "h100").latency.to("s").magnitude, BREAK_EVEN_HOPS, BREAK_EVEN_PAYLOAD_KB)


def _rtt_math(network: str, km: int, hops: int, payload_kb: int) -> str:
    p = round_trip_parts(network, km, hops, payload_kb)
    n = Networks.get(network)
    return (f"access {n.access_round_trip.to('ms').magnitude:g} ms + 2 × ({km:,} km ÷ (c ÷ {n.group_index}) + {hops} × "
            f"{n.hop_delay.to('ms').magnitude:g} ms) + {payload_kb} kB ÷ {n.uplink_bandwidth.to('Mbit/s').magnitude:g} Mbit/s = "
            f"{p['access'] * 1e3:.3g} + {p['propagation'] * 1e3:.3g} + {p['hops'] * 1e3:.3g} + {p['upload'] * 1e3:.3g} ms = "
            f"**{round_trip_s(network, km, hops, payload_kb) * 1e3:.4g} ms**.")


def _break_even_math(case: str, network: str) -> str:
    model, hw = case.split("|")
    t_dev, t_cloud = on_device(model, hw).latency.to("ms").magnitude, on_device(model, "h100").latency.to("ms").magnitude
    fixed = round_trip_s(network, 0.0, BREAK_EVEN_HOPS, BREAK_EVEN_PAYLOAD_KB) * 1e3
    return (f"d* = (t_device − t_cloud − t_fixed) × v ÷ 2 = ({t_dev:.4g} − {t_cloud:.3g} − {fixed:.4g}) ms × "
            f"{_link(network)[0] / 1e6:.4g} km/ms ÷ 2 = **{_break_even(case, network):,.0f} km** "
            "(t_fixed: access, hops and upload, the round trip at distance 0).")


def _energy(model: str, hw: str) -> float:
    return on_device(model, hw).energy.to("mJ").magnitude


def _energy_math(model: str, hw: str) -> str:
    r = on_device(model, hw)
    return (f"energy = TDP × latency = {Hardware.get(hw).tdp.to('W').magnitude:g} W × {r.latency.to('ms').magnitude:.4g} ms "
            f"= **{r.energy.to('mJ').magnitude:.4g} mJ** (an upper bound: the chip rarely draws its whole TDP).")


QUESTIONS = [
    Question(
        id="round_trip",
        prompt=("Over **{net_name}**, a **{payload_kb} kB** request goes to a datacenter **{km:,} km** away through "
                "**{hops} router hops**. How many **milliseconds** does the network round trip take, before any compute?"),
        variants={"network": _NETS, "km": [200, 500, 1000, 2000, 5000], "hops": [8, 12, 16], "payload_kb": [10, 50, 100]},
        answer=lambda network, km, hops, payload_kb: 1e3 * round_trip_s(network, km, hops, payload_kb),
        tolerance=0.03, unit="ms", describe=_net_name,
        hint="Four terms: the access round trip, twice the distance at the speed of light in fibre (about 2/3 c), "
             "twice the hops' delay, and the upload (bytes × 8 ÷ uplink bit rate).",
        math=_rtt_math,
    ),
    Question(
        id="break_even",
        prompt=("**{model_name}** runs on the **{hw_name}** (int8, batch 1). Instead, each request of "
                f"**{BREAK_EVEN_PAYLOAD_KB} kB** could go over **{{net_name}}** ({BREAK_EVEN_HOPS} hops) to an "
                "NVIDIA H100. Up to what distance, in **km**, does the H100 answer first?"),
        variants={"case": CASES, "network": _NETS},
        answer=_break_even, tolerance=0.05, unit="km", describe=_case_names,
        hint="The cloud wins while its compute plus the round trip is shorter than the device's time: solve "
             "t_cloud + t_fixed + 2 d ÷ v = t_device for d.",
        math=_break_even_math,
    ),
    Question(
        id="energy",
        prompt=("One inference of **{model_name}** on the **{hw_name}** (int8, batch 1): how many **millijoules** "
                "does the engine's upper bound (TDP × latency) give?"),
        variants={"model": ["ds_cnn", "mobilenetv2", "yolov8n", "resnet50"],
                  "hw": ["h100", "jetson_orin_nx_16gb", "iphone15pro", "snapdragon_8_gen3"]},
        answer=_energy, tolerance=0.05, unit="mJ",
        describe=lambda model, hw: {"model_name": Models.get(model).name, "hw_name": Hardware.get(hw).name},
        hint="Energy = power × time: the device's TDP × its latency for one inference.",
        math=_energy_math,
    ),
]


def _prediction_truth() -> str:
    phone = on_device("mobilenetv2", "iphone15pro").latency.to("s").magnitude
    cloud = on_device("mobilenetv2", "h100").latency.to("s").magnitude + round_trip_s("5g", 1000, DEFAULT_HOPS,
                                                                                       DEFAULT_PAYLOAD_KB)
    if max(phone, cloud) < 1.1 * min(phone, cloud):
        return "about the same (within 10 %)"
    return "the phone" if phone < cloud else "the H100 in the datacenter"


PREDICTIONS = [
    Prediction(
        id="where_faster",
        prompt=("A phone (iPhone 15 Pro) labels a photo with MobileNetV2. It could run the model itself, or send the "
                "photo over 5G to an NVIDIA H100 in a datacenter 1,000 km away. Which answers first?"),
        options=["the phone", "the H100 in the datacenter", "about the same (within 10 %)"],
        truth=_prediction_truth,
    ),
]
