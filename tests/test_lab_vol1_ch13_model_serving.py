"""The model-serving lab under plain Python: its verdict and numbers are TailLatencyModel's, with
the service time from ServingModel or ContinuousBatchingModel; the replica count it names is the
fewest the engine says meet the SLA; the chart's curve rises to the capacity; the download grades."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("marimo")
from test_labkit_lab import graded_first_wrong, run_lab  # noqa: E402  (tests/ is on the path; it also puts labs/ there)

from labkit.questions import chapter_module  # noqa: E402
from mlsysim import ContinuousBatchingModel, ServingModel, TailLatencyModel  # noqa: E402

LAB = "vol1_ch13_model_serving"
chapter = chapter_module(LAB)


def _service_s(hw, precision, batch):
    """TTFT + output x ITL, from the engine's serving or batching result (338 output tokens, 161 prompt)."""
    if batch == 1:
        s = ServingModel().solve("llama3_8b", hw, seq_len=161, batch_size=1, precision=precision)
        return s.ttft.to("s").magnitude + 338 * s.itl.to("s").magnitude
    cb = ContinuousBatchingModel().solve("llama3_8b", hw, batch_size=batch, precision=precision)
    return cb.prefill_time.to("s").magnitude + 338 * cb.itl.to("s").magnitude


def test_mm1_by_hand():
    # one server: capacity = 1 / S; at rate 0.5 / S the p99 of M/M/1 is ln(100) / (mu - lam) = 4.60517 S / 0.5
    s = _service_s("h100", "fp16", 1)
    r = chapter.queue("h100", "fp16", 1, 1, 0.5 / s)
    assert r.capacity.to("1/s").magnitude == pytest.approx(1 / s)
    assert r.p99_response.to("s").magnitude == pytest.approx(4.60517 * s / 0.5, rel=1e-6)


CONFIGS = [
    # hw, precision, policy, replicas, rate, sla: meets, misses, unstable, SLA impossible
    ("h100", "fp16", "1", 1, 0.4, 30),
    ("h100", "fp16", "1", 1, 0.58, 30),      # near capacity: p99 far above the SLA
    ("h100", "fp16", "1", 1, 0.7, 30),       # beyond capacity
    ("h200", "fp16", "32", 2, 20, 30),
    ("a100_80gb", "fp16", "64", 4, 20, 15),  # the service alone breaks the SLA
    ("l4", "fp8", "8", 8, 5, 120),
]


@pytest.mark.parametrize("hw,precision,policy,replicas,rate,sla", CONFIGS)
def test_explanation_agrees_with_the_engine_and_the_chart(hw, precision, policy, replicas, rate, sla):
    controls = {"hw": hw, "precision": precision, "policy": policy, "replicas": replicas, "rate": rate, "sla_s": sla}
    text, d, _ = run_lab(LAB, controls)
    assert d["controls"] == controls
    batch = int(policy)
    s = _service_s(hw, precision, batch)
    assert d["service_s"] == pytest.approx(s, rel=1e-9)
    r = TailLatencyModel().solve(f"{rate} 1/s", f"{s} s", servers=replicas * batch, sla=f"{sla} s")
    explanation = d["explanation"]
    assert f"**{r.capacity.to('1/s').magnitude:.4g} requests/s**" in explanation
    assert d["result"].stable == r.stable
    if r.stable:
        p99 = r.p99_response.to("s").magnitude
        assert f"the p99 response is **{p99:.3g} s**" in explanation
        assert d["meets"] == r.feasible == (p99 <= sla)
        assert ("**meets the SLA**" in explanation) == r.feasible
        # the student's point is on the chart's p99 curve's scale, and the SLA line is the SLA
        assert d["chart"].datasets["you"][0]["s"] == pytest.approx(p99)
    else:
        assert "grows without bound" in explanation and not d["meets"]
        assert d["chart"].datasets["you"] == []
    assert d["chart"].datasets["sla"][0]["s"] == sla
    # the curve rises with the load and stops short of the capacity line
    p99s = [row for row in d["chart"].datasets["curve"] if row["which"] == "p99"]
    cap = d["chart"].datasets["capacity"][0]["load"]
    assert cap == pytest.approx(r.capacity.to("1/s").magnitude)
    assert all(a["s"] <= b["s"] * (1 + 1e-9) for a, b in zip(p99s, p99s[1:])) and p99s[-1]["s"] > p99s[0]["s"]
    assert p99s[-1]["load"] < cap
    # the replica count it names: the engine meets the SLA with it and misses it with one fewer
    needed = d["needed"]
    if needed is None:
        assert "No number of replicas meets" in explanation
        assert math.log(100) * s > sla  # an idle replica's own p99 (exponential service) is beyond the SLA
    else:
        assert f"**{needed}**" in explanation
        ok = TailLatencyModel().solve(f"{rate} 1/s", f"{s} s", servers=needed * batch, sla=f"{sla} s")
        assert ok.feasible
        if needed > 1:
            assert not TailLatencyModel().solve(f"{rate} 1/s", f"{s} s", servers=(needed - 1) * batch, sla=f"{sla} s").feasible
    assert "Traceback" not in text


def test_more_load_on_the_same_replicas_never_answers_sooner():
    # the update cell's work as the rate moves (its time is measured by benchmarks/labs_redraw.py):
    # the marked point follows the rate; with the servers fixed, more arrivals mean no shorter p99 and
    # never fewer replicas needed for the same SLA
    p99, needed = [], []
    for rate in range(40, 60, 2):
        r = chapter.queue("h100", "fp16", 32, 8, rate)
        needed.append(chapter.replicas_needed("h100", "fp16", 32, rate, 30))
        (you,) = chapter.chart(r, 30, "t").datasets["you"]
        assert you["load"] == rate
        p99.append(you["s"])
    assert p99 == sorted(p99) and needed == sorted(needed), (p99, needed)


def test_controls_reach_every_check_yourself_variant():
    _, d, _ = run_lab(LAB)
    p99_q, rep_q, cap_q = chapter.QUESTIONS
    hws = set(d["hw"].options.values())
    policies = set(d["policy"].options.values())
    for q in chapter.QUESTIONS:
        assert set(q.variants["hw"]) <= hws
    for b in rep_q.variants["batch"] + cap_q.variants["batch"]:
        assert str(b) in policies
    assert max(cap_q.variants["replicas"]) <= d["replicas"].stop
    for sla in rep_q.variants["sla_s"]:
        assert d["sla"].start <= sla <= d["sla"].stop
    # every replica answer exists (no SLA the service alone breaks) and fits the control
    for hw in rep_q.variants["hw"]:
        for b in rep_q.variants["batch"]:
            for load in rep_q.variants["load"]:
                for sla in rep_q.variants["sla_s"]:
                    n = rep_q.expected({"hw": hw, "batch": b, "load": load, "sla_s": sla})
                    assert 1 <= n <= d["replicas"].stop


def test_answers_by_hand():
    p99_q, rep_q, cap_q = chapter.QUESTIONS
    # capacity = replicas x B / S(B)
    s = _service_s("h200", "fp16", 32)
    assert cap_q.expected({"hw": "h200", "batch": 32, "replicas": 4}) == pytest.approx(4 * 32 / s, rel=1e-9)
    # p99 of M/M/1 at the rate the prompt states (3 significant figures of 0.8 / S)
    s1 = _service_s("h100", "fp16", 1)
    lam = float(f"{0.8 / s1:.3g}")
    assert p99_q.expected({"hw": "h100", "utilisation": 0.8}) == pytest.approx(math.log(100) / (1 / s1 - lam), rel=1e-6)


def test_prediction_is_the_engines():
    # M/M/1 at 90 %: p99 / S = ln(100) / (1 - 0.9) = 46.05: "more than 30x"
    assert chapter.PREDICTIONS[0].truth() == "more than 30×"


def test_the_download_grades_offline():
    # every answer the engine's value for its variant, the first 1.5x off: graded offline, only it is wrong
    assert graded_first_wrong(LAB) == ["no", "yes", "yes"]
