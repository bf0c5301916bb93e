"""Wall 7, tail latency: M/M/c with Erlang C, checked by hand, by a textbook table and by simulation."""

import heapq
import math
import random
from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.core.units import Q_
from mlsysim.physics import formulas, kernels
from mlsysim.solvers.serving import ServingModel
from mlsysim.solvers.single_node import SingleNodeModel
from mlsysim.solvers.tail_latency import TailLatencyModel, audit_row
from mlsysim.walls import Wall

M = TailLatencyModel()


def erlang_c_closed_form(c: int, a: float) -> float:
    """The textbook closed form (Harchol-Balter 2013, Eq. 14.5; Kleinrock 1975, Eq. 3.42), an
    independent route from the engine's Erlang-B recursion:
    C = [a^c / c! x c / (c - a)] / [sum_{k<c} a^k / k! + a^c / c! x c / (c - a)]."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_two_servers_one_erlang_is_one_third():
    # c = 2, a = 1: sum_{k<2} = 1 + 1 = 2; a^2/2! x 2/(2-1) = 1/2 x 2 = 1; C = 1 / (2 + 1) = 1/3
    assert kernels.erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0, rel=1e-12)
    assert formulas.calc_erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0, rel=1e-12)


def test_erlang_c_ten_servers_eight_erlangs_textbook_value():
    # c = 10, a = 8: sum_{k<10} 8^k/k! = 2648.2663..., 8^10/10! x 10/2 = 295.9452... -> C = 0.4092
    # (standard Erlang C tables list 0.409 for 10 servers at 8 Erlangs)
    assert erlang_c_closed_form(10, 8.0) == pytest.approx(0.4092, abs=1e-4)
    assert kernels.erlang_c(10, 8.0) == pytest.approx(erlang_c_closed_form(10, 8.0), rel=1e-12)
    for c, a in [(1, 0.5), (3, 2.9), (25, 20.0), (50, 49.0)]:
        assert kernels.erlang_c(c, a) == pytest.approx(erlang_c_closed_form(c, a), rel=1e-10)


def test_mm1_by_hand():
    # M/M/1: service 10 ms (mu = 100/s), lam = 50/s, rho = 0.5, C = rho = 0.5
    # E[W] = C / (mu - lam) = 0.5 / 50 = 10 ms; E[T] = 10 + 10 = 20 ms
    # sojourn of M/M/1 is Exp(mu - lam) = Exp(50/s): p_q = -ln(1 - q) / 50
    #   p50 = ln 2 / 50 = 13.863 ms, p95 = ln 20 / 50 = 59.915 ms, p99 = ln 100 / 50 = 92.103 ms
    r = M.solve("50 1/s", "10 ms")
    assert r.stable and r.feasible and r.utilization == pytest.approx(0.5)
    assert r.wait_probability == pytest.approx(0.5)
    assert r.mean_wait.m_as("ms") == pytest.approx(10.0)
    assert r.mean_response.m_as("ms") == pytest.approx(20.0)
    assert r.p50_response.m_as("ms") == pytest.approx(13.8629, rel=1e-4)
    assert r.p95_response.m_as("ms") == pytest.approx(59.9146, rel=1e-4)
    assert r.p99_response.m_as("ms") == pytest.approx(92.1034, rel=1e-4)


def test_mmc_mean_wait_two_servers():
    # c = 2, lam = 1/s, mu = 1/s: a = 1, C = 1/3 (above); E[W] = C / (c mu - lam) = (1/3) / 1 = 0.3333 s
    r = M.solve("1 1/s", "1 s", servers=2)
    assert r.mean_wait.m_as("s") == pytest.approx(1.0 / 3.0)
    assert r.mean_response.m_as("s") == pytest.approx(4.0 / 3.0)
    assert r.utilization == pytest.approx(0.5)


def simulate_mmc_sojourns(lam: float, mu: float, c: int, n: int, seed: int = 7) -> list[float]:
    """FCFS M/M/c by discrete-event simulation: each arrival takes the server that frees first."""
    rng = random.Random(seed)
    free = [0.0] * c
    t, out = 0.0, []
    for _ in range(n):
        t += rng.expovariate(lam)
        start = max(t, heapq.heappop(free))
        end = start + rng.expovariate(mu)
        heapq.heappush(free, end)
        out.append(end - t)
    return sorted(out)


def test_mmc_percentiles_against_simulation():
    # c = 4 servers, 3 ms service, 900 requests/s: rho = 900 x 0.003 / 4 = 0.675. A 200,000-request
    # simulation (independent of the formulas) gives the empirical percentiles; the exact mixture
    # must agree within sampling error (a few percent at p99 with ~2,000 samples beyond it).
    r = M.solve("900 1/s", "3 ms", servers=4)
    sims = simulate_mmc_sojourns(900.0, 1 / 0.003, 4, 200_000)
    for q, got in ((0.5, r.p50_response), (0.95, r.p95_response), (0.99, r.p99_response)):
        assert got.m_as("s") == pytest.approx(sims[int(q * len(sims))], rel=0.04)
    assert r.mean_response.m_as("s") == pytest.approx(sum(sims) / len(sims), rel=0.02)


def test_tail_at_scale_fan_out_63_percent():
    # Dean & Barroso 2013, "The Tail at Scale", CACM 56(2): 1% slow per server, fan-out 100 ->
    # 1 - 0.99^100 = 1 - 0.366 = 0.634 of requests are slow ("63%")
    assert formulas.calc_fan_out_slow_probability(0.01, 100) == pytest.approx(0.634, abs=1e-3)
    r = M.solve("50 1/s", "10 ms", fan_out=100)  # slow = beyond its own p99: p = 0.01 by default
    assert r.fan_out_slow_probability == pytest.approx(0.634, abs=1e-3)
    # the fan-out request's p99 is each server's 0.99^(1/100) = 0.9998995-quantile; M/M/1:
    # -ln(1 - 0.9998995) / 50 = -ln(1.00499e-4) / 50 = 9.2053 / 50 = 184.1 ms (twice the single p99)
    assert r.fan_out_response.m_as("ms") == pytest.approx(-math.log(1 - 0.99**0.01) / 50 * 1e3, rel=1e-6)
    assert r.fan_out_response.m_as("ms") == pytest.approx(184.1, rel=1e-3)


def test_highest_rate_meeting_p99_sla_mm1_by_hand():
    # M/M/1 p99 = ln 100 / (mu - lam) <= SLA  <=>  lam <= mu - ln 100 / SLA
    # service 10 ms, SLA 50 ms: lam_max = 100 - 4.60517 / 0.05 = 100 - 92.103 = 7.897/s
    r = M.solve("5 1/s", "10 ms", sla="50 ms")
    assert r.max_arrival_rate.m_as("1/s") == pytest.approx(7.8966, rel=1e-4)
    assert r.feasible
    # the returned rate meets the SLA, and a rate 0.1% higher misses it
    at = M.solve(r.max_arrival_rate, "10 ms")
    assert at.p99_response.m_as("ms") <= 50.0 + 1e-9
    assert M.solve(r.max_arrival_rate * 1.001, "10 ms").p99_response.m_as("ms") > 50.0


def test_sla_below_the_service_time_itself_admits_no_load():
    # an idle server's p99 is the service time's: ln 100 x 10 ms = 46.05 ms > 40 ms -> no load meets it
    r = M.solve("5 1/s", "10 ms", sla="40 ms")
    assert r.max_arrival_rate.m_as("1/s") == 0.0
    assert not r.feasible and "exceeds the SLA" in r.reason


def test_unstable_queue_is_a_result_not_a_negative_wait():
    # 4 servers x (1 / 3 ms) = 1333.3/s capacity; 2000/s -> utilisation 1.5
    r = M.solve("2000 1/s", "3 ms", servers=4)
    assert r.stable is False and r.feasible is False
    assert r.utilization == pytest.approx(1.5)
    assert r.mean_wait is None and r.p99_response is None
    assert "utilisation 1.5" in r.reason and r.bound is Wall.TAIL_LATENCY
    # exactly at capacity is unstable too (rho = 1)
    assert M.solve("1000 1/s", "1 ms").stable is False


def test_zero_load_waits_nothing():
    r = M.solve("0 1/s", "10 ms", servers=3)
    assert r.wait_probability == 0.0 and r.mean_wait.m_as("s") == 0.0
    # response = service alone, Exp(100/s): p99 = ln 100 / 100 = 46.05 ms
    assert r.p99_response.m_as("ms") == pytest.approx(46.0517, rel=1e-5)


def test_service_time_from_single_node_and_serving_results():
    prof = SingleNodeModel().solve(Models.ResNet50, Hardware.Cloud.H100, batch_size=8)
    # service 174 eager launches x 48 us + 10 us = 8.362 ms (launch bound); 100/s on 2 servers: utilisation 0.418
    # (1000/s before kernel launches were charged, when one batch took ~0.2 ms)
    r = M.solve("100 1/s", prof, servers=2)
    assert r.service_time.m_as("s") == pytest.approx(prof.latency.m_as("s"))
    assert any("SingleNodeModel" in a for a in r.assumptions)
    assert r.bound is Wall(prof.bound)  # waiting (utilisation 0.42: M/M/2 mean wait ~1.8 ms) is below the service time
    serve = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, batch_size=1)
    r = M.solve("0.5 1/s", serve, servers=2, output_tokens=100)
    # one request = TTFT + 100 tokens x ITL
    assert r.service_time.m_as("s") == pytest.approx(serve.ttft.m_as("s") + 100 * serve.itl.m_as("s"))


def test_queueing_dominated_load_binds_tail_latency():
    prof = SingleNodeModel().solve(Models.ResNet50, Hardware.Cloud.H100, batch_size=8)
    rate = 0.95 / prof.latency.m_as("s")  # utilisation 0.95 on one server: E[W] = 19 x service
    assert M.solve(f"{rate} 1/s", prof).bound is Wall.TAIL_LATENCY


@pytest.mark.parametrize("rate", ["-5 1/s", "nan 1/s", "inf 1/s", 5, "5 ms", None, True, Q_(1e400, "1/s")])
def test_bad_arrival_rate(rate):
    with pytest.raises(InputError, match="arrival_rate"):
        M.solve(rate, "3 ms")


@pytest.mark.parametrize("svc", ["0 ms", "-3 ms", "nan ms", "inf ms", 3, "3 GB", None, True])
def test_bad_service_time(svc):
    with pytest.raises(InputError, match="service_time"):
        M.solve("5 1/s", svc)


@pytest.mark.parametrize("servers", [0, -1, 2.5, True, "4", float("nan"), float("inf"), 10**7])
def test_bad_servers(servers):
    with pytest.raises(InputError, match="servers"):
        M.solve("5 1/s", "3 ms", servers=servers)


@pytest.mark.parametrize("kw", [dict(sla_quantile=0), dict(sla_quantile=1), dict(sla_quantile=1.5), dict(sla_quantile=float("nan")),
                                dict(sla_quantile="p99"), dict(fan_out=0), dict(fan_out=1.5), dict(slow_probability=-0.1),
                                dict(slow_probability=1.1), dict(slow_probability=float("nan")), dict(sla="0 ms"), dict(sla="-1 ms"),
                                dict(sla="10 GB"), dict(sla=10), dict(output_tokens=10)])
def test_bad_options(kw):
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve("5 1/s", "3 ms", **kw)


def test_serving_result_needs_output_tokens():
    serve = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100)
    with pytest.raises(InputError, match="output_tokens"):
        M.solve("0.5 1/s", serve)
    with pytest.raises(InputError, match="output_tokens"):
        M.solve("0.5 1/s", serve, output_tokens=-1)


def test_formula_wrappers_reject_bad_input():
    with pytest.raises(InputError, match="servers"):
        formulas.calc_erlang_c(0, 1.0)
    with pytest.raises(InputError, match="offered_load"):
        formulas.calc_erlang_c(2, -1.0)
    with pytest.raises(InputError, match="arrival_rate"):
        formulas.calc_mmc_response_percentile(0.99, 1, "200 1/s", "10 ms")  # at capacity: no percentile
    with pytest.raises(InputError, match="quantile"):
        formulas.calc_mmc_response_percentile(1.0, 1, "20 1/s", "10 ms")
    with pytest.raises(InputError, match="slow_probability"):
        formulas.calc_fan_out_slow_probability(2.0, 10)
    # M/M/1 p99 through the wrapper: ln 100 / (100 - 50) = 92.10 ms
    assert formulas.calc_mmc_response_percentile(0.99, 1, "50 1/s", "10 ms").m_as("ms") == pytest.approx(92.1034, rel=1e-5)


def ctx(**knobs):
    return SimpleNamespace(model=Models.ResNet50, hardware=Hardware.Cloud.H100, fleet=None, workload="inference", batch_size=8,
                           precision="fp16", seq_len=None, count=None, grid=None, duration=None, knobs=knobs)


def test_audit_row():
    assert audit_row(ctx()) is None
    row = audit_row(ctx(arrival_rate="50 1/s", service_time="10 ms", sla="100 ms"))
    assert row["wall"] is Wall.TAIL_LATENCY and row["figure"].m_as("ms") == pytest.approx(92.1034, rel=1e-5)
    assert row["limit"].m_as("ms") == pytest.approx(100.0) and row["binds"] is True  # a plain service time: the queue is the only wall
    row = audit_row(ctx(arrival_rate="200 1/s", service_time="10 ms"))
    assert row["binds"] and "unstable" in row["note"]
    row = audit_row(ctx(arrival_rate="10 1/s"))  # service time from the SingleNodeModel solve: tiny load
    assert row["binds"] is False
