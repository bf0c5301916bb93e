"""The scale-out lab under plain Python: its words agree with its charts and with the engine's
training run (DistributedModel, ReliabilityModel, EconomicsModel), the growth it names is the
engine's, and the download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Fleets  # noqa: E402
from mlsysim.solvers import DistributedModel, ReliabilityModel  # noqa: E402

LAB = "vol2_ch01_introduction"
chapter = chapter_module(LAB)


def test_fleet_mtbf_by_hand():
    # 5.8 years x 8,766 h/year = 50,843 h per GPU; on 1,024 GPUs: 50,843 / 1,024 = 49.65 h
    r = chapter.run("llama3_8b", 1024, 5.8)
    assert r.reliability.fleet_mtbf.to("hour").magnitude == pytest.approx(49.65, rel=1e-3)
    # the lab's fleet is the registry cluster's servers: 1,024 GPUs = 128 servers of 8
    f = chapter.fleet(1024)
    ref = Fleets.get("frontier8k")
    assert f.count == 128 and f.node == ref.node and f.fabric == ref.fabric
    assert chapter.gpus_used(1027) == 1024 and chapter.gpus_used(3) == 8


CONFIGS = [
    # (gpus, model, mtbf_years): one server, the default, a huge fleet, a size that does not fit,
    # a count that is not whole servers, unreliable GPUs
    (8, "llama3_8b", 5.8),
    (1024, "llama3_8b", 5.8),
    (16384, "llama3_8b", 5.8),
    (16, "llama3_70b", 5.8),
    (4100, "llama3_70b", 3.0),
    (16384, "llama3_70b", 1.0),
]


@pytest.mark.parametrize("gpus,model,mtbf", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_charts(gpus, model, mtbf):
    controls = {"gpus": gpus, "model": model, "mtbf_years": mtbf}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls and "Traceback" not in text
    n = d["n"]
    assert n == gpus // 8 * 8 or (gpus < 8 and n == 8)
    if n != gpus:
        assert f"({gpus:,} asked for: whole servers of 8 give {n:,})" in d["explanation"]
    # the same layout solved directly by the two solvers the run composes
    layout = chapter.LAYOUTS[model]
    fleet = chapter.fleet(n)
    dist = DistributedModel().solve(model, fleet, n // layout.get("tp_size", 1), **layout)
    explanation = d["explanation"]
    if not dist.feasible:
        assert "does not fit" in explanation and d["result"].feasible is False
        assert f"fits on is {d['base_n']:,} GPUs" in explanation
        # the smallest fit named is the first chart point, and the one before it does not fit
        first = min(row["gpus"] for row in d["eff_chart"].datasets["curves"])
        assert first == d["base_n"]
        assert not chapter.run(model, first // 2, mtbf).feasible
        return
    eff = 100 * dist.scaling_efficiency
    assert f"**{eff:.1f} %** of each step computing" in explanation
    rel = ReliabilityModel().solve(fleet, d["result"].ideal_duration, model=model, accelerator_mtbf=f"{mtbf} year")
    assert f"**{rel.fleet_mtbf.to('hour').magnitude:,.4g} h**" in explanation
    assert f"**{rel.expected_failures:,.1f} failures**" in explanation
    assert f"goodput of **{100 * rel.goodput:.1f} %**" in explanation
    # the step's limiter said the right way round
    if dist.limiter == "compute":
        assert "compute still sets the pace" in explanation
    else:
        assert "takes more than the compute" in explanation
    # the charts mark the student's count; where the count is a curve point, the curve has the same numbers
    for chart in (d["eff_chart"], d["time_chart"]):
        assert chart.datasets["yours"][0]["gpus"] == n
    rows = {(r["gpus"], r["series"]): r["value"] for r in d["eff_chart"].datasets["curves"]}
    if (n, "goodput") in rows:
        assert rows[(n, "goodput")] == pytest.approx(100 * rel.goodput)
        assert rows[(n, "scaling efficiency")] == pytest.approx(eff)
    times = {(r["gpus"], r["series"]): r["value"] for r in d["time_chart"].datasets["curves"]}
    if (n, "fleet MTBF") in times:
        assert times[(n, "fleet MTBF")] == pytest.approx(rel.fleet_mtbf.to("hour").magnitude)
    # the growth named: the engine's times; the failure rate grows exactly with the GPU count
    if n > d["base_n"]:
        g = d["grew"]
        assert g["failures"] == pytest.approx(n / d["base_n"])
        base = chapter.run(model, d["base_n"], mtbf)
        assert g["run"] == pytest.approx(base.duration.to("s").magnitude / d["result"].duration.to("s").magnitude)
        assert f"failures come **{g['failures']:,.3g}× more often**" in explanation
        assert ("grows faster than the speed-up" in explanation) == (g["failures"] > g["run"])


def test_the_prediction_is_the_engines_largest_growth():
    g = chapter.growth("llama3_8b", 8, 8192, chapter.DEFAULT_MTBF_YEARS)
    # 1,024 times the GPUs: failures come 1,024 times as often (rates add); the run can only be up to 1,024x faster
    assert g["failures"] == pytest.approx(1024.0)
    assert g["run"] < 1024.0 and g["cost"] >= 1.0
    truth = chapter.PREDICTIONS[0].truth()
    assert truth == chapter.PREDICT_OPTIONS[["run", "failures", "cost"].index(max(g, key=g.get))]


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        for n in q.variants["gpus"]:
            assert d["gpus"].start <= n <= d["gpus"].stop and n % 8 == 0
        assert set(q.variants["model"]) <= set(chapter.MODELS.values())
        for y in q.variants.get("mtbf_years", [chapter.DEFAULT_MTBF_YEARS]):
            assert d["mtbf_years"].start <= y <= d["mtbf_years"].stop
            # every variant is a run that fits (a question about a run that cannot happen has no answer)
            for n in q.variants["gpus"]:
                for m in q.variants["model"]:
                    assert chapter.run(m, n, y).feasible


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # failures = ideal run length / fleet MTBF; fleet MTBF = 8 years x 8,766 h / 512 = 136.97 h
    v = {"gpus": 512, "model": "llama3_8b", "mtbf_years": 8.0}
    r = chapter.run("llama3_8b", 512, 8.0)
    assert r.reliability.fleet_mtbf.to("hour").magnitude == pytest.approx(136.97, rel=1e-3)
    assert q2.expected(v) == pytest.approx(r.ideal_duration.to("hour").magnitude / 136.97, rel=1e-3)
    # wall clock = ideal / goodput
    assert q3.expected(v) == pytest.approx(r.ideal_duration.to("day").magnitude / r.goodput, rel=1e-9)
    # scaling efficiency is compute / step of the distributed step
    d = r.distributed
    assert q1.expected({"gpus": 512, "model": "llama3_8b"}) == pytest.approx(
        100 * d.compute_time.to("s").magnitude / d.step_time.to("s").magnitude)


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (1.5 if i == 1 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["yes", "no", "yes"]
