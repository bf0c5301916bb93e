"""The fleet-synthesis lab under plain Python: its verdict and chart agree with SynthesisSolver and
SustainabilityModel, its claims hold, and the download grades offline."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit import grading  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim.registries import Hardware  # noqa: E402

LAB = "vol2_ch17_conclusion"
chapter = chapter_module(LAB)


def test_h100_fleet_by_hand():
    # Llama 3 8B, fp16, a batch of 4 prompts of 2,048 tokens: 2 x 8.03e9 x 2,048 x 4 = 1.316e14 FLOP (the 2P
    # part; attention adds a few per cent). On one H100 at 0.5 x 989.4 TFLOP/s: 0.266 s; 16 GB of weights fit
    # in 80 GB, so one H100 per instance meets a 1 s target. At 50 requests/s: replicas = ceil(50 x 0.266 / 4)
    # = ceil(3.3) = 4 (still 4 with up to +10% of attention FLOPs: ceil(3.66) = 4); at 5/s: ceil(0.33) = 1.
    q = chapter.QUESTIONS[0]
    assert q.expected({"model": "llama3_8b", "latency_ms": 1000, "rate": 50}) == 4
    assert q.expected({"model": "llama3_8b", "latency_ms": 1000, "rate": 5}) == 1
    # Llama 3 70B: 141.1 GB of fp16 weights need ceil(141.1 / 80) = 2 H100s per instance before speed matters
    h100 = next(c for c in chapter.solve("llama3_70b", 60_000, 1).candidates if c.key == "h100")
    assert h100.group == 2


def test_a_part_too_small_for_the_weights_needs_a_group():
    r = chapter.solve("llama3_70b", 60_000, 1)
    need = r.required_memory.to("GB").magnitude
    for row in chapter.design_space(r, "us_average"):
        cap = Hardware.get(row["key"]).memory.capacity.to("GB").magnitude
        assert row["group"] >= math.ceil(need / cap - 1e-9), row


CONFIGS = [
    {},
    {"budget": 100_000},
    {"budget": 1000},                                   # nothing is that cheap
    {"carbon_cap": 1.0, "grid": "poland"},              # a cap most fleets miss on a coal-heavy grid
    {"carbon_cap": 1.0, "grid": "quebec"},              # the same cap on hydro power
    {"model": "llama3_8b", "latency_ms": 100, "rate": 500, "precision": "fp8"},
]
BASE = {"model": "llama3_70b", "precision": "fp16", "latency_ms": 1000, "rate": 10, "budget": 0,
        "grid": "us_average", "carbon_cap": 0}


@pytest.mark.parametrize("change", CONFIGS)
def test_verdict_and_chart_agree_with_the_engine(change):
    controls = {**BASE, **change}
    text, d, _ = run_lab(LAB, controls)
    r = chapter.solve(controls["model"], controls["latency_ms"], controls["rate"], controls["budget"],
                      controls["precision"])
    rows = chapter.design_space(r, controls["grid"], controls["carbon_cap"])
    fleets = {f["key"]: f for f in d["chart"].datasets["fleets"]}
    assert set(fleets) == {row["key"] for row in rows}
    for row in rows:
        c = next(c for c in r.candidates if c.key == row["key"])
        # the point is the solver's fleet, priced at count x the registry's unit price
        assert row["count"] == c.count and row["cost"] == pytest.approx(c.count * Hardware.get(c.key).unit_cost.magnitude)
        # it meets every target exactly when the solver says so and the month's carbon is under the cap
        under_cap = controls["carbon_cap"] == 0 or row["carbon"] <= controls["carbon_cap"]
        assert row["meets"] == (c.qualifies and under_cap)
        assert (fleets[row["key"]]["state"] == "misses a target") == (not row["meets"])
    ok = [row for row in rows if row["meets"]]
    verdict = d["verdict"]
    if ok:
        best = min(ok, key=lambda row: row["cost"])
        assert [f["key"] for f in fleets.values() if f["state"] == "chosen"] == [d["best"]["key"]]
        assert d["best"]["cost"] == best["cost"]
        assert f"**{best['cost']:,.0f} USD**" in verdict and f"{len(ok)} of {len(rows)} priced parts" in verdict
    else:
        assert d["best"] is None and "No fleet meets every target" in verdict
    assert "Traceback" not in text


def test_claim_the_grid_moves_carbon_not_price():
    r = chapter.solve("llama3_70b", 1000, 10)
    coal, hydro = chapter.design_space(r, "poland"), chapter.design_space(r, "quebec")
    for a, b in zip(coal, hydro):
        assert a["cost"] == b["cost"] and a["carbon"] > 5 * b["carbon"]


def test_claim_different_targets_pick_different_winners():
    # settings a student reaches with the model, precision and latency controls
    winners = {chapter.chosen(chapter.design_space(chapter.solve(m, lat, rate, 0, p), "us_average"))["key"]
               for m, p, lat, rate in [("llama3_70b", "fp16", 1000, 10), ("mixtral_8x7b", "fp8", 5000, 10),
                                       ("llama3_405b", "fp16", 5000, 1), ("llama3_405b", "fp8", 1000, 10)]}
    assert len(winners) >= 2


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    for q in chapter.QUESTIONS:
        assert set(q.variants["model"]) <= set(chapter.MODELS)
        assert all(d["latency_ms"].start <= v <= d["latency_ms"].stop for v in q.variants["latency_ms"])
        assert all(d["rate"].start <= v <= d["rate"].stop for v in q.variants["rate"])


def test_the_download_grades_offline():
    answers = {}
    for i, q in enumerate(chapter.QUESTIONS):
        v = q.variant("", LAB)
        answers[q.id] = {"value": q.expected(v) + (1 if i == 0 else 0), "variant": v, "at": "t"}
    _, d, _ = run_lab(LAB, answers=answers)
    rows = grading.grade_record(d["lab"].work(), "work.json")
    assert [r.correct for r in rows] == ["no", "yes"]
