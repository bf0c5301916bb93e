"""The edge-intelligence lab under plain Python: its verdict, flip rate and heat warning agree with
the engine and with its own chart, and the download grades offline. Expected values are derived
here from the engine's result and the registry's numbers with the formulas written out, never from
the lab's own functions (so a change in the engine's physics moves both sides together)."""
from __future__ import annotations

import itertools
import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Engine, Hardware, Networks  # noqa: E402
from mlsysim.edge_registry import Batteries, DevicePowers, Radios  # noqa: E402
from mlsysim.physics import formulas  # noqa: E402

LAB = "vol2_ch11_edge_intelligence"
chapter = chapter_module(LAB)


def by_hand(model, hw, battery, network, km, payload_kb, rate):
    """Power (W) each way and battery hours, from the engine's result and the registry, by the
    formulas: E_dev = E - P_idle t; P_dev = P_idle + E_dev r; t_c = round trip + tail;
    P_off = P_idle + P_c min(1, r t_c) + r bytes e_bit; hours = Wh / W."""
    r = Engine.solve(model, hw, batch_size=1, precision="int8")
    t, energy = r.latency.to("s").magnitude, r.energy.to("J").magnitude
    p = DevicePowers.get(hw)
    idle, sustained = p.idle_power.to("W").magnitude, p.sustained_power.to("W").magnitude
    e_dev = energy - idle * t
    n, radio = Networks.get(network), Radios.get(network)
    rtt = formulas.calc_network_round_trip(f"{km} km", n.group_index, chapter.HOPS, n.hop_delay, n.access_round_trip,
                                           f"{payload_kb} kB", n.uplink_bandwidth).to("s").magnitude
    t_c = rtt + radio.tail_time.to("s").magnitude
    p_c = radio.connected_power.to("W").magnitude
    e_tx = payload_kb * 1e3 * radio.transmit_energy.to("J/byte").magnitude
    p_dev = idle + e_dev * rate
    p_off = idle + p_c * min(1.0, rate * t_c) + e_tx * rate
    wh = Batteries.get(battery).capacity.to("Wh").magnitude
    return {"p_dev": p_dev, "p_off": p_off, "h_dev": wh / p_dev, "h_off": wh / p_off, "e_dev": e_dev, "e_tx": e_tx,
            "t_c": t_c, "p_c": p_c, "idle": idle, "sustained": sustained, "t": t, "fits": r.feasible}


def test_default_numbers_by_hand():
    d0 = chapter.DEFAULTS
    _, d, _ = run_lab(LAB)
    h = by_hand(d0["model"], d0["hw"], d0["battery"], d0["network"], d0["km"], d0["payload_kb"], d0["rate"])
    e = d["e"]
    for k in ("p_dev", "p_off", "h_dev", "h_off", "e_dev"):
        assert e[k] == pytest.approx(h[k], rel=1e-6), k
    # the flip: above one request per t_c the radio is always on: E_dev r = P_c + E_tx r
    assert d["s"].flip == pytest.approx(h["p_c"] / (h["e_dev"] - h["e_tx"]), rel=1e-6)
    # the sustained rate: (P_sustained - P_idle) / E_dev
    assert d["s"].max_thermal == pytest.approx((h["sustained"] - h["idle"]) / h["e_dev"], rel=1e-6)


CONFIGS = [
    # (hw, model, battery, network, km, payload_kb, rate): each verdict and each caveat
    ("iphone15pro", "gpt2", "iphone15pro_battery", "lte", 1000, 20, 0.5),   # device wins; flips at ~0.8/s
    ("iphone15pro", "gpt2", "iphone15pro_battery", "lte", 1000, 20, 2),     # offload wins above the flip
    ("iphone15pro", "gpt2", "iphone15pro_battery", "lte", 1000, 20, 4),     # device bursts past its sustained power
    ("iphone15pro", "gpt2", "iphone15pro_battery", "lte", 1000, 20, 50),    # faster than the device computes
    ("pixel8", "gpt2", "pixel8_battery", "lte", 1000, 20, 0.01),            # offloading wins at every rate
    ("pixel8", "mobilenetv2", "pixel8_battery", "5g", 3000, 100, 1),        # the device wins at every rate
    ("esp32_s3", "resnet50", "cr2032", "broadband", 100, 10, 0.1),          # does not fit: only offloading
    ("nrf52840", "ds_cnn", "cr2032", "broadband", 100, 2, 1),               # a coin cell, a keyword spotter
    ("jetson_orin_nx_16gb", "yolov8n", "li18650_4s", "5g", 500, 1000, 20),  # the uplink cannot carry the requests
]


@pytest.mark.parametrize("hw,model,battery,network,km,payload_kb,rate", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(hw, model, battery, network, km, payload_kb, rate):
    controls = {"hw": hw, "model": model, "rate": rate, "battery": battery, "network": network, "km": km,
                "payload_kb": payload_kb}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    h = by_hand(model, hw, battery, network, km, payload_kb, rate)
    e, s, words = d["e"], d["s"], d["explanation"]
    assert e["p_dev"] == pytest.approx(h["p_dev"], rel=1e-6) and e["p_off"] == pytest.approx(h["p_off"], rel=1e-6)
    # the way the text names is the one that keeps up and draws less
    dev_ok = h["fits"] and rate <= 1 / h["t"]
    off_ok = rate <= Networks.get(network).uplink_bandwidth.to("byte/s").magnitude / (payload_kb * 1e3)
    if dev_ok and off_ok:
        winner = "device" if h["p_dev"] <= h["p_off"] else "offload"
        assert "drains the battery slower" in words
        first = words.split("drains")[0]
        assert ("computing on the device" in first) == (winner == "device")
        best = h["h_dev"] if winner == "device" else h["h_off"]
        assert f"lasts **{chapter.fmt(best)} h**" in words
    elif dev_ok or off_ok:
        assert "only **" + ("computing on the device" if dev_ok else "offloading") in words
    else:
        assert "neither way keeps up" in words
    # the flip the text names is the kernel's, and the chart's curves cross there
    if not h["fits"]:
        assert "nothing to flip" in words
    elif h["e_dev"] > h["p_c"] * h["t_c"] + h["e_tx"]:
        assert "At every rate offloading wins" in words and s.flip == 0
    elif h["e_dev"] <= h["e_tx"]:
        assert "At no rate does offloading win" in words and math.isinf(s.flip)
    else:
        r_star = h["p_c"] / (h["e_dev"] - h["e_tx"])
        assert f"flips at {chapter.fmt(r_star)} inferences per second" in words
        curves = d["hours_chart"].datasets["curves"]
        dev = {row["rate"]: row["hours"] for row in curves if row["series"].startswith("on device")}
        off = {row["rate"]: row["hours"] for row in curves if row["series"] == "offloaded"}
        both = sorted(set(dev) & set(off))
        below = [x for x in both if x < 0.99 * r_star]
        above = [x for x in both if x > 1.01 * r_star]
        assert all(dev[x] > off[x] for x in below) and all(dev[x] < off[x] for x in above)
        mark = d["hours_chart"].datasets["flip"][0]
        assert mark["rate"] == pytest.approx(r_star) and mark["hours"] == pytest.approx(off[mark["rate"]], rel=1e-6)
    # heat: throttling is said exactly when the rate's power exceeds the sustained power
    if h["fits"]:
        throttles = dev_ok and h["p_dev"] > h["sustained"]
        assert ("it throttles" in words) == throttles
        assert f"{chapter.fmt((h['sustained'] - h['idle']) / h['e_dev'])} per second" in words or not throttles
    # the student's rate is marked, and the bars show the table's numbers
    assert d["hours_chart"].datasets["you"] == [{"rate": rate}]
    bars = {b["way"]: b["value"] for b in d["energy_chart"].datasets["bars"]}
    assert bars["on device"] == pytest.approx(1e3 * h["e_dev"], rel=1e-6)
    assert bars["offloaded"] == pytest.approx(1e3 * (h["p_off"] - h["idle"]) / rate, rel=1e-6)
    lat = {b["way"]: b["value"] for b in d["latency_chart"].datasets["bars"]}
    assert lat["on device"] == pytest.approx(1e3 * h["t"], rel=1e-6)


def test_every_chart_has_marks_to_draw():
    for controls in ({}, {"hw": "esp32_s3", "model": "gpt2"}, {"rate": 10000}):
        _, d, _ = run_lab(LAB, controls)
        assert d["hours_chart"].datasets["curves"], controls
        assert all(len(c.datasets["bars"]) == 2 for c in (d["latency_chart"], d["energy_chart"]))
        # log axes: every value drawn on them is positive
        assert all(r["rate"] > 0 and r["hours"] > 0 for r in d["hours_chart"].datasets["curves"])


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    devices, models = set(chapter.devices().values()), set(chapter.MODELS)
    lo, hi = d["rate"].start, d["rate"].stop
    for q in chapter.QUESTIONS:
        for case in q.variants["case"]:
            model, hw = case.split("|")[:2]
            assert model in models and hw in devices
        for r in q.variants.get("rate", []):
            assert lo <= r <= hi
        keys = sorted(q.variants)
        for combo in itertools.product(*(q.variants[k] for k in keys)):
            v = dict(zip(keys, combo))
            assert lo <= q.expected(v) <= hi or q.id == "battery_hours", v
    # every battery question's rate is one the device computes and sustains
    for case in chapter.BATTERY_CASES:
        model, hw, battery = case.split("|")
        for rate in chapter.QUESTIONS[0].variants["rate"]:
            h = by_hand(model, hw, battery, "lte", 1000, 20, rate)
            assert h["fits"] and rate <= 1 / h["t"] and h["p_dev"] <= h["sustained"], (case, rate)
    # every flip question flips at a rate the device reaches; every thermal question's limit binds
    for case in chapter.FLIP_CASES:
        model, hw = case.split("|")
        h = by_hand(model, hw, "pixel8_battery", "lte", 1000, 20, 1.0)
        assert h["e_tx"] < h["e_dev"] <= h["p_c"] * h["t_c"] + h["e_tx"]
        assert h["p_c"] / (h["e_dev"] - h["e_tx"]) < 1 / h["t"], case
    for case in chapter.THERMAL_CASES:
        model, hw = case.split("|")
        h = by_hand(model, hw, "pixel8_battery", "lte", 1000, 20, 1.0)
        assert (h["sustained"] - h["idle"]) / h["e_dev"] < 1 / h["t"], case


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    h = by_hand("gpt2", "iphone15pro", "iphone15pro_battery", "lte", 1000, 20, 0.5)
    assert q1.expected({"case": "gpt2|iphone15pro|iphone15pro_battery", "rate": 0.5}) == pytest.approx(h["h_dev"])
    h = by_hand("bert_base", "pixel8", "pixel8_battery", "5g", 1000, 100, 1.0)
    assert q2.expected({"case": "bert_base|pixel8", "network": "5g", "payload_kb": 100}) == \
        pytest.approx(h["p_c"] / (h["e_dev"] - h["e_tx"]))
    assert q3.expected({"case": "resnet50|iphone15pro"}) == pytest.approx(
        (lambda x: (x["sustained"] - x["idle"]) / x["e_dev"])(by_hand("resnet50", "iphone15pro", "cr2032", "lte", 1, 1, 1)))


def test_prediction_truth_is_the_engines():
    h = by_hand("gpt2", "iphone15pro", "iphone15pro_battery", "lte", 1000, 20, 0.1)
    truth = chapter.PREDICTIONS[0].truth()
    assert truth == ("compute on the phone" if h["p_dev"] * 1.1 < h["p_off"] else
                     "offload to the cloud" if h["p_off"] * 1.1 < h["p_dev"] else "about the same (within 10 %)")
    assert Hardware.get("iphone15pro").tier == "mobile"


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
