"""The sustainable-AI lab under plain Python: its words agree with its three charts and with the
engine, and the download grades offline."""
from __future__ import annotations

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Grids, SustainabilityModel  # noqa: E402

LAB = "vol2_ch15_sustainable_ai"
chapter = chapter_module(LAB)


def test_default_numbers_by_hand():
    # IT energy = 1,024 x 700 W x 30 days x 24 h = 1,024 x 0.7 kW x 720 h = 516,096 kWh; x PUE 1.15 = 593,510 kWh
    # Quebec 1.7 gCO2e/kWh: 593,510 x 1.7 g = 1,009 kg = 1.009 t operational
    # embodied: 150 kg x 1,024 x 30 / (4 x 365.25) days = 153,600 kg x 0.020534 = 3,154 kg; share 3.154 / 4.163 = 75.8 %
    # water: 516,096 kWh x 0.2 L/kWh (Quebec's WUE) = 103,219 L = 103.2 m3
    _, d, _ = run_lab(LAB)
    r = d["result"]
    assert r.facility_energy.to("kWh").magnitude == pytest.approx(593_510, rel=1e-4)
    assert chapter.tonnes(r.operational_carbon) == pytest.approx(1.009, rel=1e-3)
    assert chapter.tonnes(r.embodied_carbon) == pytest.approx(3.154, rel=1e-3)
    assert d["share"] == pytest.approx(75.8, abs=0.1)
    assert r.water.to("m^3").magnitude == pytest.approx(103.2, rel=1e-3)
    # so on hydro power the factory outweighs the electricity: the prediction's answer
    assert chapter.PREDICTIONS[0].truth() == "embodied (making the GPUs)"


CONFIGS = [
    {"grid": "quebec", "gpus": 1024, "days": 30, "pue": 1.15, "lifetime": 4.0},   # embodied dominates
    {"grid": "poland", "gpus": 4096, "days": 90, "pue": 1.4, "lifetime": 3.0},    # operational dominates
    {"grid": "norway", "gpus": 8, "days": 1, "pue": 1.0, "lifetime": 1.0},        # tiny run, short life
    {"grid": "asia_singapore", "gpus": 65536, "days": 365, "pue": 2.0, "lifetime": 10.0},
]


@pytest.mark.parametrize("controls", CONFIGS, ids=lambda c: c["grid"])
def test_explanation_agrees_with_the_engine_and_the_charts(controls):
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    r = SustainabilityModel().solve("h100", f"{controls['days']} day", grid=controls["grid"], count=controls["gpus"],
                                    pue=controls["pue"], lifetime=f"{controls['lifetime']} year")
    explanation = d["explanation"]
    op, emb = r.operational_carbon.to("tCO2e").magnitude, r.embodied_carbon.to("tCO2e").magnitude
    larger = "operational" if op >= emb else "embodied"
    assert r.dominant == larger and f"the larger part is **{larger}**" in explanation
    assert f"**{op:,.4g} t CO2e** of operational" in explanation
    # the share chart shows the engine's two parts, and the share the text gives
    share_rows = {row["kind"]: row["value"] for row in d["share_chart"].datasets["share"]}
    assert share_rows == {"operational": pytest.approx(op), "embodied": pytest.approx(emb)}
    assert f"**{100 * emb / (op + emb):.0f} %** of the total" in explanation
    # the cleanest and dirtiest regions the text names are the carbon chart's ends, in its kg
    bars = d["carbon_chart"].datasets["regions"]
    lo, hi = min(bars, key=lambda b: b["carbon_kg"]), max(bars, key=lambda b: b["carbon_kg"])
    assert len(bars) == len(Grids.list())
    assert f"in {lo['region']} and" in explanation and f"in {hi['region']}." in explanation
    assert f"**{lo['carbon_kg'] / 1000:,.4g} t**" in explanation and f"**{hi['carbon_kg'] / 1000:,.4g} t**" in explanation
    # the chosen region is the highlighted water bar, with the water the text gives
    water = {row["row"]: row for row in d["water_chart"].datasets["water"]}
    assert water[r.grid]["kind"] == "chosen region"
    assert sum(row["kind"] == "chosen region" for row in water.values()) == 1
    assert f"**{r.water.to('m^3').magnitude:,.4g} m³**" in explanation
    assert water[r.grid]["value"] == pytest.approx(r.water.to("m^3").magnitude)
    assert "Traceback" not in text


def test_answers_by_hand():
    q1, q2, q3 = chapter.QUESTIONS
    # India, 512 GPUs, 10 days, PUE 1.2: 512 x 0.7 kW x 240 h = 86,016 kWh IT; x 1.2 = 103,219 kWh; x 713 g = 73.6 t
    assert q1.expected({"grid": "india", "gpus": 512, "days": 10}) == pytest.approx(73.595, rel=1e-3)
    # water: 86,016 kWh x India's WUE 1.5 L/kWh = 129,024 L = 129.0 m3
    assert q2.expected({"grid": "india", "gpus": 512, "days": 10}) == pytest.approx(129.02, rel=1e-3)
    # France, 1,024 GPUs, 30 days, 2-year life: embodied 153,600 kg x 30 / 730.5 = 6,308 kg;
    # operational 516,096 kWh x 1.2 x 56 g = 34,682 kg; share 6,308 / 40,990 = 15.39 %
    assert q3.expected({"grid": "france", "lifetime_years": 2}) == pytest.approx(15.39, rel=2e-3)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    grids = set(d["grid"].options.values())
    for q in chapter.QUESTIONS:
        assert set(q.variants["grid"]) <= grids
        assert all(d["gpus"].start <= g <= d["gpus"].stop for g in q.variants.get("gpus", []))
        assert all(d["days"].start <= g <= d["days"].stop for g in q.variants.get("days", []))
        assert all(d["lifetime"].start <= y <= d["lifetime"].stop for y in q.variants.get("lifetime_years", []))


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) * (0.5 if i == 2 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["yes", "yes", "no"]
