"""Questions, numbers and charts of the edge-intelligence lab (Volume II, chapter 11).

Edge thermodynamics: how long a battery lasts at an inference rate, whether the rate can be
sustained without throttling, and whether offloading to the cloud drains the battery slower.
Every number is the engine's or the registry's:

- one inference on the device: ``Engine.solve`` (batch 1, int8; the ML-systems lab's
  ``on_device``), its energy TDP x latency, minus what the idle device draws anyway
  (``kernels.energy_above_idle``);
- idle and sustained power, battery capacity, radio power, tail and energy per bit: the registry
  (``mlsysim.edge_registry``, ``registry/edge/energy.toml``);
- the network round trip: the ML-systems lab's ``round_trip_s`` (``kernels.network_round_trip``);
- average power, battery life, the sustained (thermal) rate, the radio's connected share and the
  rate where the answer flips: ``kernels`` (section "Labs: edge energy").

The charts' templates are written here (``mlsysim.viz`` has no battery chart), filled by
``viz.fill`` like viz's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Networks, viz
from mlsysim.edge_registry import Batteries, DevicePowers, Radios
from mlsysim.physics import kernels
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE

from ..questions import Prediction, Question
from .vol1_ch02_ml_systems import DEFAULT_HOPS, MODELS, on_device, round_trip_s

CLOUD = "h100"  # the datacenter GPU an offloaded request runs on
HOPS = DEFAULT_HOPS
MIN_RATE, MAX_RATE = 0.001, 10000.0  # inferences per second the rate control reaches
TIERS = ("mobile", "edge", "tiny")
DEFAULTS = {"model": "gpt2", "hw": "iphone15pro", "battery": "iphone15pro_battery", "network": "lte",
            "km": 1000, "payload_kb": 20, "rate": 0.5}


def devices() -> dict[str, str]:
    """{label: key} of the devices the registry gives idle and sustained power for."""
    keys = [d.key for d in DevicePowers.list()]
    hws = sorted((Hardware.get(k) for k in keys), key=lambda h: (TIERS.index(h.tier), h.name))
    return {f"{h.name} ({h.tier})": h.key for h in hws}


def batteries() -> dict[str, str]:
    return {b.name: b.key for b in Batteries.list()}


@dataclass(frozen=True, slots=True)
class Setting:
    """The floats of one configuration (SI units), fixed while only the rate moves."""

    fits: bool
    reason: str
    t_dev: float          # s per inference on the device
    e_active: float       # J per inference, TDP x time (the engine's upper bound)
    e_dev: float          # J per inference above the idle draw
    p_idle: float         # W
    p_sustained: float    # W
    p_burst: float        # W (TDP)
    capacity: float       # J
    t_cloud: float        # s on the cloud GPU
    round_trip: float     # s
    p_radio: float        # W while connected
    tail: float           # s
    t_connected: float    # s per isolated request
    e_tx: float           # J to send one request
    flip: float           # 1/s where the answer flips (0: offload always; inf: device always)
    max_dev: float        # 1/s the device can compute at all
    max_thermal: float    # 1/s it can sustain without throttling
    max_uplink: float     # 1/s the uplink can carry


@lru_cache(maxsize=512)
def setting(model: str, hw: str, battery: str, network: str, km: float, payload_kb: float) -> Setting:
    r = on_device(model, hw)
    power = DevicePowers.get(hw)
    radio = Radios.get(network)
    t_dev, e_active = r.latency.to("s").magnitude, r.energy.to("J").magnitude
    p_idle, p_sus = power.idle_power.to("W").magnitude, power.sustained_power.to("W").magnitude
    e_dev = kernels.energy_above_idle(e_active, p_idle, t_dev)
    rtt = round_trip_s(network, km, HOPS, payload_kb)
    p_radio, tail = radio.connected_power.to("W").magnitude, radio.tail_time.to("s").magnitude
    t_conn = kernels.radio_connected_time(rtt, tail)
    payload = payload_kb * 1e3
    e_tx = kernels.transmit_energy(payload, radio.transmit_energy.to("J/byte").magnitude)
    uplink = Networks.get(network).uplink_bandwidth.to("byte/s").magnitude
    return Setting(
        fits=bool(r.feasible), reason=r.reason or "", t_dev=t_dev, e_active=e_active, e_dev=e_dev, p_idle=p_idle,
        p_sustained=p_sus, p_burst=Hardware.get(hw).tdp.to("W").magnitude,
        capacity=Batteries.get(battery).capacity.to("J").magnitude,
        t_cloud=on_device(model, CLOUD).latency.to("s").magnitude, round_trip=rtt, p_radio=p_radio, tail=tail,
        t_connected=t_conn, e_tx=e_tx, flip=kernels.offload_energy_break_even_rate(e_dev, p_radio, t_conn, e_tx),
        max_dev=kernels.batch_throughput(1.0, t_dev), max_thermal=kernels.thermal_sustained_rate(p_sus, p_idle, e_dev),
        max_uplink=kernels.stage_sample_rate(uplink, payload) if payload > 0 else math.inf)


def device_power(s: Setting, rate: float) -> float:
    """Average power (W) computing on the device at ``rate`` inferences per second."""
    return kernels.average_power(s.p_idle, s.e_dev, rate)


def offload_power(s: Setting, rate: float) -> float:
    """Average power (W) offloading every inference at ``rate``: idle + radio's share + sending."""
    radio = s.p_radio * kernels.radio_connected_fraction(rate, s.t_connected)
    return kernels.average_power(s.p_idle + radio, s.e_tx, rate)


def power_text(w: float) -> str:
    """A power for the page: W, mW or uW, three significant figures."""
    return f"{fmt(w)} W" if w >= 1 else (f"{fmt(w * 1e3)} mW" if w >= 1e-3 else f"{fmt(w * 1e6)} µW")


def energy_text(j: float) -> str:
    """An energy for the page: J or mJ, three significant figures."""
    return f"{fmt(j)} J" if j >= 1 else f"{fmt(j * 1e3)} mJ"


def hours(capacity_j: float, power_w: float) -> float:
    return kernels.battery_life(capacity_j, power_w) / 3600.0  # s -> h (display)


def evaluate(s: Setting, rate: float) -> dict:
    """Everything the page says at ``rate``: each way's power, battery hours, energy per inference,
    latency, whether it can run at all, and the winner."""
    dev_ok = s.fits and rate <= s.max_dev
    off_ok = rate <= s.max_uplink
    p_dev, p_off = device_power(s, rate), offload_power(s, rate)
    if dev_ok and off_ok:
        winner = "device" if p_dev <= p_off else "offload"
    else:
        winner = "device" if dev_ok else ("offload" if off_ok else None)
    return {"rate": rate, "dev_ok": dev_ok, "off_ok": off_ok, "sustained": rate <= s.max_thermal,
            "p_dev": p_dev, "p_off": p_off, "h_dev": hours(s.capacity, p_dev), "h_off": hours(s.capacity, p_off),
            "e_dev": s.e_dev, "e_off": kernels.offload_energy_per_request(rate, s.p_radio, s.t_connected, s.e_tx),
            "lat_dev": s.t_dev, "lat_off": s.t_cloud + s.round_trip, "winner": winner}


# --- chart 1: battery hours against the inference rate -----------------------------------------

_X = {"field": "rate", "type": "quantitative", "title": "Inferences per second (log)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
_Y = {"field": "hours", "type": "quantitative", "title": "Battery life (hours, log)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
_SERIES = ["on device", "on device, throttles", "offloaded"]
_COLOURS = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"]]
_CONFIG = {"axis": {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12},
           "legend": {"labelFontSize": 12, "orient": "bottom", "titleFontSize": 12, "columns": 1}}
HOURS_TEMPLATE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "autosize": {"contains": "padding", "type": "fit"}, "config": _CONFIG, "height": 300, "width": "container",
    "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
    "layer": [
        {"data": {"name": "curves"}, "mark": {"type": "line", "strokeWidth": 2, "point": {"size": 12}},
         "encoding": {"x": _X, "y": _Y, "detail": {"field": "series"},
                      "color": {"field": "series", "type": "nominal", "title": None,
                                "scale": {"domain": _SERIES, "range": _COLOURS}}}},
        {"data": {"name": "you"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["black"]},
         "encoding": {"x": {"field": "rate", "type": "quantitative"}}},
        {"data": {"name": "flip"}, "mark": {"type": "point", "filled": True, "size": 100, "shape": "diamond",
                                            "color": PALETTE["black"]},
         "encoding": {"x": {"field": "rate", "type": "quantitative"}, "y": {"field": "hours", "type": "quantitative"}}},
        # the label sits right of the diamond, or left of it in the right half (so it stays on the chart)
        *({"data": {"name": name}, "mark": {"type": "text", "align": align, "dx": dx, "dy": -8, "fontWeight": "bold"},
           "encoding": {"x": {"field": "rate", "type": "quantitative"}, "y": {"field": "hours", "type": "quantitative"},
                        "text": {"field": "label"}}}
          for name, align, dx in (("flip_label_right", "left", 6), ("flip_label_left", "right", -6))),
    ],
}


def rates(s: Setting, rate: float, points: int = 61) -> list[float]:
    """A log grid from MIN_RATE to past the fastest feasible rate, with the student's rate, the flip
    and the thermal limit on it (so the marked points lie on the curves)."""
    top = min(MAX_RATE, max(rate, min(s.max_dev if s.fits else 0.0, MAX_RATE), min(s.max_uplink, MAX_RATE), 1.0))
    lo, hi = math.log10(MIN_RATE), math.log10(top)
    grid = {10 ** (lo + (hi - lo) * i / (points - 1)) for i in range(points)} | {rate}
    grid |= {x for x in (s.flip, s.max_thermal, s.max_dev) if MIN_RATE <= x <= top}
    return sorted(grid)


def hours_chart(s: Setting, rate: float, network_name: str) -> viz.Chart:
    curves = []
    for x in rates(s, rate):
        e = evaluate(s, x)
        if e["dev_ok"]:
            curves.append({"series": _SERIES[0] if x <= s.max_thermal else _SERIES[1], "rate": x, "hours": e["h_dev"]})
            if x == s.max_thermal:  # the throttled segment starts where the sustained one ends
                curves.append({"series": _SERIES[1], "rate": x, "hours": e["h_dev"]})
        if e["off_ok"]:
            curves.append({"series": _SERIES[2], "rate": x, "hours": e["h_off"]})
    mine = evaluate(s, rate)
    you = [{"rate": rate}]
    flip, grid = [], rates(s, rate)
    if 0 < s.flip < math.inf and s.flip <= grid[-1]:
        h = hours(s.capacity, device_power(s, s.flip))
        flip.append({"rate": s.flip, "hours": h, "label": f"flips at {fmt(s.flip)}/s"})
    right_half = bool(flip) and math.log(s.flip / grid[0]) > 0.5 * math.log(grid[-1] / grid[0])
    datasets = {"curves": curves, "you": you, "flip": flip,
                "flip_label_right": [] if right_half else flip, "flip_label_left": flip if right_half else []}
    best = {"device": "computing on the device", "offload": f"offloading over {network_name}", None: "neither way"}
    summary = (f"Battery life against the inference rate: at {fmt(rate)} per second "
               f"{best[mine['winner']]} lasts longer"
               + (f"; the answer flips at {fmt(s.flip)} per second." if flip else "."))
    return viz.Chart(viz.fill(HOURS_TEMPLATE, datasets, title={"text": "Battery life against the rate",
                                                               "subtitle": f"offloaded over {network_name}"}),
                     datasets, summary)


# --- chart 2 and 3: latency and energy per inference, the two ways side by side ----------------

def _bars_template(unit: str) -> dict:
    x = {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": True}}
    y = {"field": "way", "type": "nominal", "title": None, "sort": ["on device", "offloaded"]}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
        "autosize": {"contains": "padding", "type": "fit"}, "config": _CONFIG, "height": 90, "width": "container",
        "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
        "layer": [
            {"data": {"name": "bars"}, "mark": {"type": "bar"},
             "encoding": {"x": x, "y": y, "color": {"field": "way", "type": "nominal", "legend": None,
                                                    "scale": {"domain": ["on device", "offloaded"],
                                                              "range": [PALETTE["blue"], PALETTE["green"]]}}}},
            {"data": {"name": "bars"}, "mark": {"type": "text", "align": "left", "dx": 4, "fontWeight": "bold"},
             "encoding": {"x": {"field": "at", "type": "quantitative"}, "y": y, "text": {"field": "label"}}},
        ],
    }


LATENCY_TEMPLATE = _bars_template("Time to an answer (ms)")
ENERGY_TEMPLATE = _bars_template("Battery energy per inference (mJ)")


def _bars(dev: float, off: float, dev_note: str, unit: str) -> list[dict]:
    # the label sits at the bar's end, but no further right than 55 % of the axis (35 % for a
    # longer label), so it stays on a phone-wide chart
    top = max(dev, off)
    return [{"way": way, "value": v, "at": min(v, (0.35 if note else 0.55) * top), "label": f"{fmt(v)} {unit}{note}"}
            for way, v, note in (("on device", dev, dev_note), ("offloaded", off, ""))]


def latency_chart(s: Setting, e: dict) -> viz.Chart:
    note = "" if s.fits else " (does not fit)"
    rows = _bars(1e3 * e["lat_dev"], 1e3 * e["lat_off"], note, "ms")
    summary = (f"Time to an answer: {rows[0]['label']} on the device, {rows[1]['label']} offloaded "
               "(the cloud GPU's time plus the round trip).")
    return viz.Chart(viz.fill(LATENCY_TEMPLATE, {"bars": rows}, title="Latency per inference"), {"bars": rows}, summary)


def energy_chart(s: Setting, e: dict) -> viz.Chart:
    note = "" if s.fits else " (does not fit)"
    rows = _bars(1e3 * e["e_dev"], 1e3 * e["e_off"], note, "mJ")
    summary = (f"Battery energy per inference above idle at {fmt(e['rate'])} per second: {rows[0]['label']} on "
               f"the device, {rows[1]['label']} offloaded (radio connected time and sending).")
    return viz.Chart(viz.fill(ENERGY_TEMPLATE, {"bars": rows}, title=f"Energy per inference at {fmt(e['rate'])}/s"),
                     {"bars": rows}, summary)


# --- check yourself ---------------------------------------------------------------------------

def _names(model: str | None = None, hw: str | None = None, battery: str | None = None,
           network: str | None = None, **_) -> dict:
    out = {}
    if model:
        out["model_name"] = Models.get(model).name
    if hw:
        out["hw_name"] = Hardware.get(hw).name
    if battery:
        out["battery_name"] = Batteries.get(battery).name
    if network:
        out["net_name"] = Networks.get(network).name
    return out


def _case(case: str, **rest) -> dict:
    model, hw = case.split("|")
    return _names(model=model, hw=hw, **rest)


def _battery_setting(case: str) -> Setting:
    model, hw, battery = case.split("|")
    return setting(model, hw, battery, DEFAULTS["network"], DEFAULTS["km"], DEFAULTS["payload_kb"])


def _battery_names(case: str, **_) -> dict:
    model, hw, battery = case.split("|")
    return _names(model=model, hw=hw, battery=battery)


def _battery_hours(case: str, rate: float) -> float:
    return evaluate(_battery_setting(case), rate)["h_dev"]


def _battery_math(case: str, rate: float) -> str:
    s = _battery_setting(case)
    p = device_power(s, rate)
    return (f"energy above idle = TDP × t − P_idle × t = {fmt(s.e_active * 1e3)} mJ − {fmt(s.p_idle)} W × "
            f"{fmt(s.t_dev * 1e3)} ms = {fmt(s.e_dev * 1e3)} mJ; average power = P_idle + E × r = {fmt(s.p_idle)} W + "
            f"{fmt(s.e_dev * 1e3)} mJ × {rate:g}/s = {fmt(p)} W; battery life = {fmt(s.capacity / 3600)} Wh ÷ "
            f"{fmt(p)} W = **{fmt(hours(s.capacity, p))} h**.")


def _flip(case: str, network: str, payload_kb: int) -> float:
    model, hw = case.split("|")
    return setting(model, hw, DEFAULTS["battery"], network, DEFAULTS["km"], payload_kb).flip


def _flip_math(case: str, network: str, payload_kb: int) -> str:
    model, hw = case.split("|")
    s = setting(model, hw, DEFAULTS["battery"], network, DEFAULTS["km"], payload_kb)
    return (f"once requests come faster than one per connected time ({fmt(s.t_connected)} s: round trip "
            f"{fmt(s.round_trip * 1e3)} ms + tail {fmt(s.tail)} s) the radio never sleeps and costs {fmt(s.p_radio)} W "
            f"flat; each request adds only {fmt(s.e_tx * 1e3)} mJ to send. The device adds {fmt(s.e_dev * 1e3)} mJ per "
            f"inference. Equal where E_dev × r = P_radio + E_tx × r: r = {fmt(s.p_radio)} W ÷ ({fmt(s.e_dev * 1e3)} − "
            f"{fmt(s.e_tx * 1e3)}) mJ = **{fmt(s.flip)} per second**.")


def _thermal(case: str) -> float:
    model, hw = case.split("|")
    return setting(model, hw, DEFAULTS["battery"], DEFAULTS["network"], DEFAULTS["km"], DEFAULTS["payload_kb"]).max_thermal


def _thermal_math(case: str) -> str:
    model, hw = case.split("|")
    s = setting(model, hw, DEFAULTS["battery"], DEFAULTS["network"], DEFAULTS["km"], DEFAULTS["payload_kb"])
    return (f"P_idle + E × r ≤ P_sustained ⇒ r = ({fmt(s.p_sustained)} − {fmt(s.p_idle)}) W ÷ {fmt(s.e_dev * 1e3)} mJ "
            f"= **{fmt(s.max_thermal)} per second** (it can compute {fmt(s.max_dev)} per second in a burst, at "
            f"{fmt(s.p_burst)} W).")


# (model, device) pairs the device computes, sustains and fits at every listed rate
BATTERY_CASES = ["mobilenetv2|iphone15pro|iphone15pro_battery", "resnet50|snapdragon_8_gen3|galaxy_s24_ultra_battery",
                 "bert_base|iphone15pro|iphone15pro_battery", "bert_base|pixel8|pixel8_battery",
                 "yolov8n|jetson_orin_nx_16gb|li18650_4s", "gpt2|snapdragon_8_gen3|galaxy_s24_ultra_battery",
                 "gpt2|iphone15pro|iphone15pro_battery"]
# pairs whose answer flips at a rate the device reaches, over a cellular network
FLIP_CASES = ["gpt2|iphone15pro", "gpt2|snapdragon_8_gen3", "gpt2|jetson_orin_nx_16gb", "bert_base|pixel8"]
# pairs whose sustained rate is below what they can compute in a burst
THERMAL_CASES = ["gpt2|iphone15pro", "resnet50|iphone15pro", "mobilenetv2|pixel8", "bert_base|snapdragon_8_gen3",
                 "gpt2|jetson_orin_nx_16gb"]

QUESTIONS = [
    Question(
        id="battery_hours",
        prompt=("**{model_name}** runs on the **{hw_name}** (int8, batch 1) **{rate:g} times a second**, powered by "
                "the **{battery_name}**. How many **hours** does the battery last?"),
        variants={"case": BATTERY_CASES, "rate": [0.1, 0.5, 1, 2]},
        answer=_battery_hours, tolerance=0.05, unit="hours", describe=_battery_names,
        hint="Average power = idle power + energy per inference above idle × rate; hours = capacity ÷ power.",
        math=_battery_math,
    ),
    Question(
        id="flip_rate",
        prompt=("**{model_name}** on the **{hw_name}**, or offloaded over **{net_name}** with **{payload_kb} kB** per "
                "request: above how many **inferences per second** does offloading drain the battery slower?"),
        variants={"case": FLIP_CASES, "network": ["lte", "5g"], "payload_kb": [2, 20, 100]},
        answer=_flip, tolerance=0.05, unit="per second", describe=_case,
        hint="Once the radio never sleeps it costs its connected power flat; solve E_dev r = P_radio + E_tx r.",
        math=_flip_math,
    ),
    Question(
        id="sustained_rate",
        prompt=("**{model_name}** on the **{hw_name}**: how many **inferences per second** can it sustain without "
                "exceeding the power its case can shed for good?"),
        variants={"case": THERMAL_CASES},
        answer=_thermal, tolerance=0.05, unit="per second", describe=_case,
        hint="Solve idle power + energy per inference above idle × r = sustained power for r.",
        math=_thermal_math,
    ),
]

PREDICTION_CASE = ("gpt2", "iphone15pro", "lte", 0.1)
OPTIONS = ["compute on the phone", "offload to the cloud", "about the same (within 10 %)"]


def _prediction_truth() -> str:
    model, hw, network, rate = PREDICTION_CASE
    e = evaluate(setting(model, hw, DEFAULTS["battery"], network, DEFAULTS["km"], DEFAULTS["payload_kb"]), rate)
    if max(e["p_dev"], e["p_off"]) < 1.1 * min(e["p_dev"], e["p_off"]):
        return OPTIONS[2]
    return OPTIONS[0] if e["p_dev"] < e["p_off"] else OPTIONS[1]


PREDICTIONS = [
    Prediction(
        id="battery_winner",
        prompt=("An iPhone 15 Pro runs GPT-2 once every 10 seconds. It can compute on its own Neural Engine, or send "
                "each 20 kB request over 4G LTE to an NVIDIA H100. Which drains the phone's battery slower?"),
        options=OPTIONS,
        truth=_prediction_truth,
    ),
]
