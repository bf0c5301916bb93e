"""The collective-communication lab under plain Python: its words agree with its chart and with the
engine's alpha-beta kernels, the marked crossover is where the ring and tree curves meet, and the
download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim.physics import kernels  # noqa: E402
from mlsysim.viz.data import TIME_UNITS  # noqa: E402

LAB = "vol2_ch06_collective_communication"
chapter = chapter_module(LAB)


def test_defaults_by_hand():
    # the registry cluster: 8 GPUs per server, NVLink 450 GB/s, NIC 400 Gbit/s = 50 GB/s, 5 us
    assert chapter.PER_SERVER == 8 and chapter.INTRA_BW == pytest.approx(450e9)
    assert chapter.DEFAULT_BW_GBPS == 50 and chapter.DEFAULT_ALPHA_US == 5.0
    # 1,024 GPUs, 1 MB: ring = 2 x 1023 x 5 us + 2 x 1023/1024 x 1e6 / 50e9 = 10.23 + 0.04 = 10.27 ms
    #                   tree = 2 x 10 x (5 us + 1e6 / 50e9) = 20 x 25 us = 0.5 ms
    t = chapter.times(1024, 1e6, 5.0, 50.0)
    assert t["ring"] == pytest.approx(10.27e-3, rel=1e-3) and t["tree"] == pytest.approx(0.5e-3, rel=1e-9)
    # crossover on 1,024: 5e-6 x 50e9 x (1023 - 10) / (10 - 1023/1024) = 250,000 x 1013 / 9.000977 = 28.14 MB
    assert chapter.crossover(1024, 5.0, 50.0) == pytest.approx(28.136e6, rel=1e-3)
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(28_136, rel=1e-3)
    # hierarchical, 1,024 GPUs = 128 servers of 8, 1 GB: in node 2 x 7 x 1 us + 2 x 7/8 x 1e9 / 450e9 = 3.903 ms;
    # across: ring of 125 MB on 128: 2 x 127 x 5 us + 2 x 127/128 x 1.25e8 / 50e9 = 1.27 + 4.961 = 6.231 ms -> 10.13 ms
    assert chapter.times(1024, 1e9, 5.0, 50.0)["hierarchical"] == pytest.approx(10.134e-3, rel=1e-3)


CONFIGS = [
    # (algorithm, gpus, message, alpha_us, bw_gbps): each side of the crossover, each algorithm, one server, N=2
    ("ring", "1024", "1000000", 5.0, 50),
    ("tree", "256", "100000", 10.0, 25),
    ("hierarchical", "2", "1000", 5.0, 50),
    ("ring", "8192", "10000000000", 0.5, 200),
    ("tree", "8", "30000000", 20.0, 5),
    ("hierarchical", "64", "300000", 2.0, 100),
]


@pytest.mark.parametrize("algorithm,gpus,message,alpha,bw", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(algorithm, gpus, message, alpha, bw):
    controls = {"algorithm": algorithm, "gpus": gpus, "message": message, "alpha_us": alpha, "bw_gbps": bw}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    n, m = int(gpus), float(message)
    ring = kernels.ring_allreduce_time(m, n, bw * 1e9, alpha * 1e-6)
    tree = kernels.tree_allreduce_time(m, n, bw * 1e9, alpha * 1e-6)
    local = min(8, n)
    hier = kernels.hierarchical_allreduce_time(m, local, n // local, 450e9, 1e-6, bw * 1e9, alpha * 1e-6)
    explanation = d["explanation"]
    assert f"ring **{1e3 * ring:,.4g} ms**" in explanation and f"tree **{1e3 * tree:,.4g} ms**" in explanation
    assert f"hierarchical **{1e3 * hier:,.4g} ms**" in explanation
    # the side of the crossover named agrees with which of ring and tree is faster
    cross = d["cross"]
    if cross <= 0:
        assert "the ring is never slower" in explanation and ring <= tree
        assert d["chart"].datasets["crossover"] == []
    elif m < cross:
        assert "below the crossover" in explanation and tree < ring
    else:
        assert "above the crossover" in explanation and ring < tree
    # the fastest named is the least of the three
    best = min({"ring": ring, "tree": tree, "hierarchical": hier}.items(), key=lambda kv: kv[1])[0]
    assert f"the **{chapter.NAMES[best]}**" in explanation
    # the marked crossover is where the ring and tree curves meet (they swap order across it)
    if cross > 0:
        mark = d["chart"].datasets["crossover"][0]["bytes"]
        assert kernels.ring_allreduce_time(mark, n, bw * 1e9, alpha * 1e-6) == pytest.approx(
            kernels.tree_allreduce_time(mark, n, bw * 1e9, alpha * 1e-6), rel=1e-9)
        rows = d["chart"].datasets["curves"]
        by = {(r["algorithm"], r["bytes"]): r["time"] for r in rows}
        for s in chapter.SIZES:
            if s < mark * 0.99:
                assert by[("tree", s)] < by[("ring", s)]
            elif s > mark * 1.01:
                assert by[("ring", s)] < by[("tree", s)]
    # the student's diamond is on their algorithm's time
    yours = d["chart"].datasets["yours"][0]
    t_mine = {"ring": ring, "tree": tree, "hierarchical": hier}[algorithm]
    unit = d["chart"].spec["title"]["text"].rsplit(" ", 1)[-1]
    assert yours["bytes"] == m and f"{chapter.NAMES[algorithm]}:" in yours["label"] and unit in yours["label"]
    scale = dict((u, s) for s, u in TIME_UNITS)[unit]
    assert yours["time"] == pytest.approx(t_mine / scale)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    sizes = {float(v) for v in chapter.SIZE_OPTIONS.values()}
    ns = {int(v) for v in chapter.GPU_OPTIONS.values()}
    for q in chapter.QUESTIONS:
        assert set(q.variants["gpus"]) <= ns
        for s in q.variants.get("size", []):
            assert float(s) in sizes
        for a in q.variants.get("alpha_us", []):
            assert d["alpha_us"].start <= a <= d["alpha_us"].stop
        for b in q.variants.get("bw_gbps", []):
            assert d["bw_gbps"].start <= b <= d["bw_gbps"].stop
    # every crossover asked about is inside the chart's message range, so it is marked on it
    q = chapter.QUESTIONS[0]
    for n in q.variants["gpus"]:
        for a in q.variants["alpha_us"]:
            for b in q.variants["bw_gbps"]:
                assert chapter.SIZES[0] < chapter.crossover(n, a, b) < chapter.SIZES[-1]


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # 16 GPUs, 2 us, 100 GB/s: L = 4; 2e-6 x 100e9 x (15 - 4) / (4 - 15/16) = 200,000 x 11 / 3.0625 = 718.4 KB
    assert q1.expected({"gpus": 16, "alpha_us": 2.0, "bw_gbps": 100}) == pytest.approx(718.37, rel=1e-4)
    # 64 GPUs, 1 GB, 5 us, 50 GB/s: 2 x 63 x 5 us + 2 x 63/64 x 1e9 / 50e9 = 0.63 + 39.375 = 40.005 ms
    assert q2.expected({"gpus": 64, "size": 10**9, "alpha_us": 5.0, "bw_gbps": 50}) == pytest.approx(40.005, rel=1e-6)
    # 64 GPUs = 8 servers, 100 MB: in node 14 us + 2 x 7/8 x 1e8 / 450e9 = 0.014 + 0.3889 = 0.4029 ms;
    # across: ring of 12.5 MB on 8: 2 x 7 x 5 us + 2 x 7/8 x 1.25e7 / 50e9 = 0.07 + 0.4375 = 0.5075 ms -> 0.9104 ms
    assert q3.expected({"gpus": 64, "size": 10**8}) == pytest.approx(0.9104, rel=1e-3)


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (0.5 if i == 0 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["no", "yes", "yes"]
