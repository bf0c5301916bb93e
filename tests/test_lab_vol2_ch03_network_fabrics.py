"""The network-fabrics lab under plain Python: its words agree with its chart and with the engine's
TopologyModel, the prediction's answer is the engine's, and the download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Fleets  # noqa: E402
from mlsysim.solvers.topology import TopologyModel  # noqa: E402
from mlsysim.viz.data import TIME_UNITS  # noqa: E402

LAB = "vol2_ch03_network_fabrics"
chapter = chapter_module(LAB)


def test_fabric_numbers_by_hand():
    # the registry's NIC: 400 Gbit/s = 50 GB/s per GPU, 5 us per message
    fab = Fleets.get("frontier8k").fabric
    assert chapter.BANDWIDTH.to("GB/s").magnitude == pytest.approx(fab.bandwidth.to("GB/s").magnitude) == pytest.approx(50.0)
    # 1,024 GPUs on a non-blocking fat-tree: bisection N/2 x 50 GB/s = 512 x 50 = 25.6 TB/s
    fat = chapter.solve("fat-tree", 1024, 1.0, 1e9)
    assert fat.bisection_bandwidth.to("TB/s").magnitude == pytest.approx(25.6)
    # ring all-reduce of 1 GB: 2 x 1023 x 5 us + 2 x 1023/1024 x 1e9 / 50e9 = 10.23 ms + 39.96 ms = 50.19 ms
    assert fat.allreduce_time.to("ms").magnitude == pytest.approx(50.19, rel=1e-3)
    # a 3-D torus of 11^3 = 1,331 places: bisection 2 N / k links = 2 x 1331 / 11 = 242 links of 50/6 GB/s = 2.017 TB/s
    torus = chapter.solve("torus", 1024, 1.0, 1e9)
    assert torus.bisection_bandwidth.to("TB/s").magnitude == pytest.approx(242 * 50 / 6 / 1000, rel=1e-6)
    # all-to-all on it: rate = 4 x 2.0167e12 x 1023 / 1024^2 = 7.870 GB/s; 1023 x 5 us + 1023/1024 x 1e9 / 7.870e9 = 132.1 ms
    assert torus.all_to_all_time.to("ms").magnitude == pytest.approx(5.115 + 1023 / 1024 * 1e9 / 7.8701e9 * 1e3, rel=1e-3)


CONFIGS = [
    # (topology, gpus, oversubscription, collective, message): each fabric, blocking and not, both collectives
    ("fat-tree", 1024, 1.0, "allreduce", "1000000000"),
    ("fat-tree", 1024, 4.0, "all_to_all", "1000000000"),
    ("torus", 2048, 2.0, "all_to_all", "100000000"),
    ("dragonfly", 16384, 4.0, "allreduce", "1000"),
    ("rail-optimized", 17, 1.0, "allreduce", "10000"),
    ("dragonfly", 64, 1.0, "all_to_all", "10000000000"),
]


@pytest.mark.parametrize("topology,gpus,over,collective,message", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(topology, gpus, over, collective, message):
    controls = {"topology": topology, "gpus": gpus, "oversubscription": over, "collective": collective, "message": message}
    chapter.curves(gpus, over)  # the chart's curves cached, as a control change that keeps them finds them
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    nbytes = float(message)
    r = TopologyModel().solve(topology=topology, endpoints=gpus, bandwidth="400 Gbit/s", latency="5 us",
                              oversubscription=over, message_size=f"{nbytes} B")
    explanation = d["explanation"]
    assert f"**{r.bisection_bandwidth.to('TB/s').magnitude:,.3g} TB/s**" in explanation
    assert f"**{r.allreduce_time.to('ms').magnitude:,.4g} ms**" in explanation
    assert f"**{r.all_to_all_time.to('ms').magnitude:,.4g} ms**" in explanation
    # bisection-bound said exactly when the engine's all-to-all rate is below the NIC's
    bound = r.all_to_all_bandwidth.to("GB/s").magnitude < 50.0 * (1 - 1e-9)
    assert ("bound by the bisection" in explanation) == bound
    assert ("climbs the oversubscribed tiers" in explanation) == (r.allreduce_bandwidth.to("GB/s").magnitude < 50.0 * (1 - 1e-9))
    if topology == "torus" and over > 1:
        assert "no switch tiers to oversubscribe" in explanation
    # the chart: the student's point is on the student's line, at the engine's time, in the title's unit
    rows = d["chart"].datasets["curves"]
    mark = d["chart"].datasets["yours"][0]
    secs = (r.allreduce_time if collective == "allreduce" else r.all_to_all_time).to("s").magnitude
    unit = d["chart"].spec["title"]["text"].rsplit(" ", 1)[-1]
    scale = dict((u, s) for s, u in TIME_UNITS)[unit]
    assert mark["time"] == pytest.approx(secs / scale)
    mine = [row for row in rows if row["topology"] == topology and row["bytes"] == nbytes]
    assert len(mine) == 1 and mine[0]["time"] == pytest.approx(mark["time"]) and mine[0]["width"] > 2
    # the non-blocking fat-tree's all-reduce is never slower than any fabric's with the same NIC
    ar = {t: [row["time"] for row in rows if row["topology"] == t] for t in chapter.TOPOLOGIES.values()}
    if collective == "allreduce" and over == 1.0:
        assert all(a == pytest.approx(b) for a, b in zip(ar["fat-tree"], ar["torus"]))


def test_the_prediction_is_the_engines():
    fat = chapter.solve("fat-tree", 1024, 1.0, 1e9)
    torus = chapter.solve("torus", 1024, 1.0, 1e9)
    # the prompt's "about 8 %" is the engine's bisection ratio
    assert torus.full_bisection_ratio == pytest.approx(0.08, abs=0.005)
    ratio = torus.allreduce_time.to("s").magnitude / fat.allreduce_time.to("s").magnitude
    expected = chapter.PREDICT_OPTIONS[0 if ratio < 1.41 else (1 if ratio < 4.47 else 2)]
    assert chapter.PREDICTIONS[0].truth() == expected


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    sizes = {float(v) for v in chapter.SIZE_OPTIONS.values()}
    for q in chapter.QUESTIONS:
        for n in q.variants["gpus"]:
            assert d["gpus"].start <= n <= d["gpus"].stop
        for o in q.variants.get("oversubscription", []):
            assert d["oversubscription"].start <= o <= d["oversubscription"].stop
        for s in q.variants.get("size", []):
            assert float(s) in sizes
        for t in q.variants.get("topology", []):
            assert t in chapter.TOPOLOGIES.values()


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # fat-tree 512 GPUs oversubscribed 2:1: 256 links / 2 x 50 GB/s = 6.4 TB/s
    assert q1.expected({"topology": "fat-tree", "gpus": 512, "oversubscription": 2.0}) == pytest.approx(6.4)
    # non-blocking fat-tree, 256 GPUs, 1 GB all-to-all: 255 x 5 us + 255/256 x 1e9 / 50e9 = 1.275 + 19.92 = 21.20 ms
    assert q2.expected({"topology": "fat-tree", "gpus": 256, "size": 10**9}) == pytest.approx(21.20, rel=1e-3)
    # 3:1, 256 GPUs, 1 GB ring all-reduce: 2 x 255 x 5 us + 2 x 255/256 x 1e9 / (50e9 / 3) = 2.55 + 119.53 = 122.1 ms
    assert q3.expected({"gpus": 256, "oversubscription": 3.0, "size": 10**9}) == pytest.approx(122.08, rel=1e-3)


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (1.5 if i == 2 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["yes", "yes", "no"]
