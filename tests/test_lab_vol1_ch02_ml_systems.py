"""The ML-systems lab under plain Python: the place it names fastest is the fastest the engine
gives, each break-even distance is where the chart's lines cross, and the download grades offline."""
from __future__ import annotations

import itertools
import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Engine, Hardware, Networks  # noqa: E402

LAB = "vol1_ch02_ml_systems"
chapter = chapter_module(LAB)
C_FIBRE_KM_PER_S = 299_792.458 / 1.4682  # light in SMF-28 fibre (group index 1.4682): 204,190 km/s


def _expected_round_trip_ms(network: str, km: float, hops: int, payload_kb: float) -> float:
    """By hand from the registry entry: access + 2 (d / v + hops x hop delay) + payload x 8 / uplink bit rate."""
    n = Networks.get(network)
    assert n.group_index == pytest.approx(1.4682)
    return (n.access_round_trip.to("ms").magnitude + 2 * (km / C_FIBRE_KM_PER_S * 1e3 + hops * n.hop_delay.to("ms").magnitude)
            + payload_kb * 8 / n.uplink_bandwidth.to("Mbit/s").magnitude)


def test_round_trip_default_by_hand():
    # 5G, 1,000 km, 12 hops, a 107.7 kB photo: 15 + 2 x (4.8974 + 1.2) + 107.7 x 8 / 15 = 15 + 12.195 + 57.44 = 84.635 ms
    _, d, _ = run_lab(LAB)
    assert d["cmp"]["network_s"] * 1e3 == pytest.approx(84.635, rel=1e-3)
    assert d["cmp"]["network_s"] * 1e3 == pytest.approx(_expected_round_trip_ms("5g", 1000, 12, 107.7), rel=1e-6)


CONFIGS = [
    # model, devices, network, km, hops, payload: each verdict (device wins, cloud wins, does not fit)
    ("mobilenetv2", {}, "5g", 1000, 12, 107.7),           # the phone and the edge box win; the MCU cannot hold it
    ("gpt2", {"mobile": "pixel8"}, "lte", 3000, 12, 20),   # a language model on a phone: the cloud wins here
    ("gpt2", {}, "broadband", 20000, 30, 20),              # ... but not half a world away
    ("ds_cnn", {"tiny": "nrf52840"}, "5g", 500, 12, 32),   # the keyword spotter fits the MCU
    ("bert_base", {"edge": "coral_edge_tpu", "tiny": "esp32_s3"}, "broadband", 0, 0, 1),
]


@pytest.mark.parametrize("model,devs,network,km,hops,payload", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(model, devs, network, km, hops, payload):
    hw = {**chapter.DEFAULTS, **devs}
    controls = {"model": model, **hw, "network": network, "km": km, "hops": hops, "payload_kb": payload}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    explanation = d["explanation"]
    # each device's time, energy and fit are the engine's own solve
    times = {}
    for tier, key in hw.items():
        r = Engine.solve(model, key, batch_size=1, precision="int8")
        row = next(x for x in d["cmp"]["rows"] if x["tier"] == tier)
        assert row["compute_ms"] == pytest.approx(r.latency.to("ms").magnitude)
        assert row["energy_mj"] == pytest.approx(r.energy.to("mJ").magnitude)
        assert row["fits"] == r.feasible
        if not r.feasible:
            assert "does not fit" in explanation and r.reason in explanation
        times[tier] = r.latency.to("ms").magnitude if r.feasible else math.inf
    # the cloud's total is its compute plus the hand-derived round trip
    net_ms = _expected_round_trip_ms(network, km, hops, payload)
    times["cloud"] += net_ms
    assert d["cmp"]["rows"][0]["total_ms"] == pytest.approx(times["cloud"], rel=1e-6)
    # the place named fastest is the engine's fastest, in the heading and the text
    best = min(times, key=times.get)
    assert d["cmp"]["fastest"]["tier"] == best
    assert f"Fastest here: <strong>{best}</strong>" in text
    assert f"the **{Hardware.get(hw[best]).name}** ({best}), in **{times[best]:.3g} ms**" in explanation
    # each break-even distance: the cloud line of the chart crosses the device's flat line there
    cloud_compute = times["cloud"] - net_ms
    for tier in chapter.TIERS:
        if times[tier] == math.inf:
            continue
        slack_ms = times[tier] - cloud_compute - _expected_round_trip_ms(network, 0, hops, payload)
        d_star = slack_ms / 1e3 * C_FIBRE_KM_PER_S / 2
        row = next(x for x in d["cmp"]["rows"] if x["tier"] == tier)
        assert row["break_even_km"] == pytest.approx(d_star, rel=1e-6, abs=1e-6)
        name = f"the **{Hardware.get(hw[tier]).name}** ({tier})"
        if d_star <= 0:
            assert f"{name}: {times[tier]:.3g} ms on the device. The cloud **never** beats it" in explanation
        else:
            assert f"closer than **{d_star:,.0f} km**" in explanation
            said = "the cloud answers first" if km < d_star else "the device answers first"
            assert said in explanation.split(name)[-1].split("\n")[0]
            # the truth of that sentence, from the totals
            assert (km < d_star) == (times["cloud"] < times[tier])
            crossings = [c for c in d["chart"].datasets["crossings"] if c["where"].endswith(f"({tier})")]
            if d_star <= max(chapter.CHART_KM, km):
                assert crossings and crossings[0]["km"] == pytest.approx(d_star)
    # the chart's cloud line at the student's distance is the total the text gives
    you = d["chart"].datasets["you"][0]
    assert you["km"] == km and you["ms"] == pytest.approx(times["cloud"])
    assert f"answers in **{times['cloud']:.3g} ms**" in explanation
    assert "Traceback" not in text


def test_moving_the_distance_moves_the_marked_point_and_lengthens_the_cloud_answer():
    # the update cell's work as the distance moves (its time is measured by benchmarks/labs_redraw.py):
    # the marked point follows the slider, and a farther data centre answers strictly later (more fibre)
    cloud_ms = []
    for km in range(100, 1100, 100):
        cmp = chapter.compare("gpt2", chapter.DEFAULTS, "lte", km, 12, 20)
        (you,) = chapter.chart(cmp, "lte", km, 12, 20).datasets["you"]
        cloud = next(r for r in cmp["rows"] if r["tier"] == "cloud")
        assert you["km"] == km and you["ms"] == pytest.approx(cloud["total_ms"])
        cloud_ms.append(cloud["total_ms"])
    assert all(a < b for a, b in zip(cloud_ms, cloud_ms[1:])), cloud_ms


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    rt, be, en = chapter.QUESTIONS
    assert set(rt.variants["network"]) <= set(d["network"].options.values())
    assert max(rt.variants["km"]) <= d["km"].stop and max(rt.variants["hops"]) <= d["hops"].stop
    assert max(rt.variants["payload_kb"]) <= d["payload"].stop
    for case, network in itertools.product(be.variants["case"], be.variants["network"]):
        model, hw = case.split("|")
        tier = Hardware.get(hw).tier
        assert model in d["model"].options.values() and hw in d[tier].options.values()
        km = be.expected({"case": case, "network": network})
        assert 0 < km <= d["km"].stop, (case, network, km)  # the cloud wins somewhere within reach
    for model, hw in itertools.product(en.variants["model"], en.variants["hw"]):
        assert model in d["model"].options.values()
        assert hw in d[Hardware.get(hw).tier].options.values()


def test_answers_by_hand():
    rt, be, en = chapter.QUESTIONS
    # LTE, 2,000 km, 16 hops, 50 kB: 40 + 2 x (9.7948 + 1.6) + 50 x 8 / 8 = 40 + 22.790 + 50 = 112.79 ms
    assert rt.expected({"network": "lte", "km": 2000, "hops": 16, "payload_kb": 50}) == pytest.approx(112.79, rel=1e-4)
    # break-even: (t_phone - t_h100 - fixed) x v / 2, fixed = 8 + 2 x 12 x 0.1 + 20 x 8 / 50 = 8 + 2.4 + 3.2 = 13.6 ms
    t_dev = Engine.solve("gpt2", "iphone15pro", batch_size=1, precision="int8").latency.to("ms").magnitude
    t_h100 = Engine.solve("gpt2", "h100", batch_size=1, precision="int8").latency.to("ms").magnitude
    assert be.expected({"case": "gpt2|iphone15pro", "network": "broadband"}) == pytest.approx(
        (t_dev - t_h100 - 13.6) / 1e3 * C_FIBRE_KM_PER_S / 2, rel=1e-6)
    # energy = TDP x latency: the Jetson's 25 W x its latency
    r = Engine.solve("resnet50", "jetson_orin_nx_16gb", batch_size=1, precision="int8")
    assert en.expected({"model": "resnet50", "hw": "jetson_orin_nx_16gb"}) == pytest.approx(25 * r.latency.to("ms").magnitude)


def test_prediction_is_the_engines():
    phone = Engine.solve("mobilenetv2", "iphone15pro", batch_size=1, precision="int8").latency.to("ms").magnitude
    cloud = (Engine.solve("mobilenetv2", "h100", batch_size=1, precision="int8").latency.to("ms").magnitude
             + _expected_round_trip_ms("5g", 1000, 12, chapter.DEFAULT_PAYLOAD_KB))
    truth = chapter.PREDICTIONS[0].truth()
    assert truth in chapter.PREDICTIONS[0].options
    if max(phone, cloud) >= 1.1 * min(phone, cloud):
        assert truth == ("the phone" if phone < cloud else "the H100 in the datacenter")


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
