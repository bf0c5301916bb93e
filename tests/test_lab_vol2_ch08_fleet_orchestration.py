"""The fleet-orchestration lab under plain Python: its words agree with its chart and with the engine
(slots, fragmentation, stability, the wait), the marked wall is where the curve ends, and the
download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim.solvers.orchestration import OrchestrationModel  # noqa: E402

LAB = "vol2_ch08_fleet_orchestration"
chapter = chapter_module(LAB)


def test_default_numbers_by_hand():
    # 32 nodes x 8 = 256 GPUs; a 64-GPU job takes 8 whole nodes, so c = floor(32 / 8) = 4 slots, no fragmentation.
    # 90 % busy: lam = 0.9 x 256 / (64 x 4 h) = 0.9 jobs/h; a = lam D = 3.6; rho = 0.9.
    # Erlang B by recursion B(n) = a B(n-1) / (n + a B(n-1)): B1 = 3.6/4.6 = 0.78261, B2 = 2.8174/4.8174 = 0.58484,
    # B3 = 2.10543/5.10543 = 0.41239, B4 = 1.48461/5.48461 = 0.27069.
    # Erlang C = B / (1 - rho (1 - B)) = 0.27069 / (1 - 0.9 x 0.72931) = 0.27069 / 0.34362 = 0.78776.
    # E[W] = C / (c / D - lam) = 0.78776 / (1 - 0.9) h = 7.8776 h.
    _, d, _ = run_lab(LAB)
    r = d["result"]
    assert r.slots == 4 and r.fragmentation == 0
    assert r.arrival_rate.to("1/hour").magnitude == pytest.approx(0.9)
    assert r.wait_probability == pytest.approx(0.78776, rel=1e-4)
    assert r.mean_wait.to("hour").magnitude == pytest.approx(7.8776, rel=1e-4)
    assert chapter.PREDICTIONS[0].truth() == pytest.approx(7.8776, rel=1e-4)
    # 12-GPU jobs: two whole nodes each, floor(32 / 2) = 16 slots x 12 = 192 of 256 GPUs: at most 75 % busy
    assert chapter.QUESTIONS[0].expected({"nodes": 32, "job": "12"}) == pytest.approx(75.0)


CONFIGS = [
    # (nodes, job, load %, hours): the default, big gangs, fragmentation past the wall, MIG, no fit, a light load
    (32, "64", 90, 4),
    (32, "8", 95, 4),
    (32, "12", 90, 4),     # 25 % fragmentation: 90 % is past the 75 % wall, unstable
    (32, "12", 70, 4),     # the same jobs below the wall: stable, but slots busier than GPUs
    (64, "mig3", 80, 2),   # MIG 3g: 2 per GPU, 1/7 wasted
    (64, "mig1", 60, 8),   # thousands of slots
    (4, "128", 90, 4),     # does not fit at all
    (32, "1", 30, 1),      # light load, the reference itself
]


@pytest.mark.parametrize("nodes,job,load,hours", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(nodes, job, load, hours):
    controls = {"nodes": nodes, "job": job, "load": load, "duration_h": hours}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    assert "Traceback" not in text
    placement = {"mig_slices": int(job[3:])} if job.startswith("mig") else {"gpus_per_job": int(job)}
    empty = OrchestrationModel().solve("0 1/hour", f"{hours} hour", nodes=nodes, **placement)
    explanation = d["explanation"]
    if empty.slots == 0:
        assert "does not fit" in explanation and d["chart"] is None
        return
    r = d["result"]
    # the lab asked the engine for the load the slider set: the GPUs busy are that share
    assert r.gpu_utilization == pytest.approx(load / 100)
    assert r.slots == empty.slots and r.fragmentation == pytest.approx(empty.fragmentation)
    assert f"**{r.slots} jobs at once**" in explanation
    if r.fragmentation > 0:
        assert f"**{100 * r.fragmentation:.3g} %** of the GPUs can never hold" in explanation
    else:
        assert "none left over" in explanation
    # the wall on the chart is the highest utilisation the slots can hold, and the curve stays left of it
    wall = d["chart"].datasets["wall"][0]["utilisation"]
    assert wall == pytest.approx(100 * (1 - empty.fragmentation))
    mine = [row for row in d["chart"].datasets["curves"] if row["series"] == chapter.series_label(job)]
    assert mine and all(row["utilisation"] < wall for row in mine)
    waits = [row["wait"] for row in mine]
    assert waits == sorted(waits), "the wait grows with the utilisation"
    stable = load / 100 < 1 - empty.fragmentation
    assert r.stable == stable
    if not stable:
        assert "grows without bound" in explanation and d["chart"].datasets["you"] == []
        assert f"at most **{wall:.3g} %**" in explanation
        return
    # the point marked is the engine's wait, and the text says the same number
    you = d["chart"].datasets["you"][0]
    assert you["wait"] == pytest.approx(r.mean_wait.to("minute").magnitude)
    assert f"on average **{chapter.duration_text(r.mean_wait)}**" in explanation
    assert f"keeps **{100 * r.utilization:.3g} %** of those slots busy" in explanation
    assert r.utilization >= r.gpu_utilization - 1e-12  # slots are at least as busy as GPUs
    # the comparison with single-GPU jobs is the engine's too
    if job != chapter.REFERENCE:
        ref = d["reference"]
        assert f"**{chapter.duration_text(ref.mean_wait)}**" in explanation
        assert ("big gangs cannot" in explanation) == (r.slots < ref.slots)
    assert math.isfinite(d["update_ms"])
    # (the 30 ms redraw budget is the browser test's: on a shared machine a plain-Python timing here is noise)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    jobs = set(chapter.JOBS.values())
    for q in chapter.QUESTIONS:
        assert set(q.variants["nodes"]) <= set(range(d["nodes"].start, d["nodes"].stop + 1))
        assert set(q.variants["job"]) <= jobs
        for load in q.variants.get("load", []):
            assert d["load"].start <= 100 * load <= d["load"].stop
        for h in q.variants.get("duration_h", []):
            assert d["duration_h"].start <= h <= d["duration_h"].stop
    # every wait question is a stable queue (an answer exists)
    wq = chapter.QUESTIONS[1]
    for n in wq.variants["nodes"]:
        for job in wq.variants["job"]:
            for load in wq.variants["load"]:
                assert chapter.solve(n, job, load, 4).stable


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # 5-GPU jobs: one per 8-GPU node, 5 of 8 GPUs usable: 62.5 %
    assert q1.expected({"nodes": 16, "job": "5"}) == pytest.approx(62.5)
    # 48-GPU jobs on 16 nodes: 6 nodes each, floor(16 / 6) = 2 slots x 48 = 96 of 128: 75 %
    assert q1.expected({"nodes": 16, "job": "48"}) == pytest.approx(75.0)
    # 64-GPU jobs on 16 nodes (2 slots), 80 % busy, 4 h: a = 1.6, rho = 0.8;
    # B1 = 1.6/2.6 = 0.61538, B2 = 0.98462/2.98462 = 0.32990; C = 0.32990 / (1 - 0.8 x 0.67010) = 0.71111
    # E[W] = 0.71111 / (2/4 - 0.4) h = 7.1111 h
    assert q2.expected({"nodes": 16, "job": "64", "load": 0.8, "duration_h": 4}) == pytest.approx(7.1111, rel=1e-4)
    # MIG 2g: 3 jobs per GPU hold 6/7 of it; 60 % of GPUs busy -> slots 0.6 / (6/7) = 70 % busy
    assert q3.expected({"nodes": 16, "job": "mig2", "load": 0.6}) == pytest.approx(70.0)
    # 12-GPU jobs hold 75 % of the GPUs at most; 60 % busy -> slots 80 % busy
    assert q3.expected({"nodes": 32, "job": "12", "load": 0.6}) == pytest.approx(80.0)


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
