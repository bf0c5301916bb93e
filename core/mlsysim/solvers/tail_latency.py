"""Tail latency: an M/M/c queue in front of c identical servers (Wall 7).

Requests arrive as a Poisson stream at rate lam; each of c servers serves one at
a time, with exponentially distributed service of mean 1/mu (the service time a
``SingleNodeModel`` or ``ServingModel`` result gives, or a number):

  offered load   a   = lam / mu           (Erlangs)
  utilisation    rho = a / c              (stable only when rho < 1)
  P(wait)        C   = Erlang C(c, a)     (Harchol-Balter 2013, Sec. 14.6)
  mean wait      E[W] = C / (c mu - lam)
  response       T = W + S; percentiles from the exact mixture by bisection
  SLA            the highest lam whose q-quantile response <= SLA (bisection)
  fan-out        P(request slow) = 1 - (1 - p)^n   (Dean & Barroso 2013)

A load at or above capacity is a result, ``stable=False`` with the utilisation,
never a negative or infinite wait.
"""

from __future__ import annotations

import math
import sys

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from .contract import floats, plan
from .serving import ServingResult
from .single_node import PerformanceProfile, SingleNodeModel

MAX_SERVERS = 10**6  # Erlang B's recursion is one step per server; a million keeps a solve under a second


@plan
class TailPlan:
    arrival_rate: float  # 1/s
    service_rate: float  # 1/s per server
    servers: int
    quantile: float  # the SLA's quantile, 0.99 for p99
    sla: float  # s; 0.0 when none was given
    fan_out: int
    slow_probability: float  # per server, for the fan-out tail


@floats
class TailFloats:
    stable: bool
    utilization: float
    offered_load: float
    capacity: float
    wait_probability: float
    mean_wait: float | None
    mean_response: float | None
    p50_response: float | None
    p95_response: float | None
    p99_response: float | None
    quantile_response: float | None
    fan_out_response: float | None
    fan_out_slow_probability: float
    max_arrival_rate: float | None


def evaluate(p: TailPlan) -> TailFloats:
    """The queue's answer from the plan: every figure from ``physics.kernels``."""
    c, lam, mu = p.servers, p.arrival_rate, p.service_rate
    a = lam / mu
    rho = a / c
    slow = kernels.fan_out_slow_probability(p.slow_probability, p.fan_out)
    max_rate = kernels.mmc_max_arrival_rate(p.sla, p.quantile, c, mu) if p.sla > 0.0 else None
    if rho >= 1.0:
        return TailFloats(False, rho, a, c * mu, 1.0, None, None, None, None, None, None, None, slow, max_rate)
    wait_p = kernels.erlang_c(c, a)
    wait = kernels.mmc_mean_wait(c, lam, mu, wait_p)

    def pct(quantile: float) -> float:
        return kernels.mmc_response_percentile(quantile, c, lam, mu, wait_p)

    p50, p95, p99 = pct(0.5), pct(0.95), pct(0.99)
    q_resp = {0.5: p50, 0.95: p95, 0.99: p99}.get(p.quantile) or pct(p.quantile)
    # a fan-out request is as slow as its slowest server: P(max of n > t) = 1 - (1 - P(T > t))^n,
    # so its q-quantile is each server's q^(1/n)-quantile
    fan_resp = pct(p.quantile ** (1.0 / p.fan_out)) if p.fan_out > 1 else q_resp
    return TailFloats(True, rho, a, c * mu, wait_p, wait, wait + 1.0 / mu, p50, p95, p99, q_resp, fan_resp, slow, max_rate)


class TailLatencyResult(Result):
    """Waiting probability, mean and percentile response times, the SLA's highest load and the fan-out tail."""

    _plain_names = ("servers", "utilization", "offered_load", "stable", "feasible", "wait_probability", "sla_quantile",
                    "fan_out", "fan_out_slow_probability", "bound", "reason", "assumptions")

    arrival_rate = quantity("rate", None, "requests per second offered")
    service_time = quantity("time", "ms", "mean service time of one request on one server")
    capacity = quantity("rate", None, "servers / service time: the most the queue can ever serve")
    mean_wait = quantity("time", "ms", "mean time in the queue, C / (c mu - lam); None when unstable")
    mean_response = quantity("time", "ms", "mean wait + service time; None when unstable")
    p50_response = quantity("time", "ms")
    p95_response = quantity("time", "ms")
    p99_response = quantity("time", "ms")
    quantile_response = quantity("time", "ms", "the response time at sla_quantile")
    fan_out_response = quantity("time", "ms", "sla_quantile response of a request waiting on all fan_out servers")
    sla = quantity("time", "ms", "the latency target at sla_quantile (None when not given)")
    max_arrival_rate = quantity("rate", None, "highest load whose sla_quantile response meets the SLA")


def _service(service_time, output_tokens) -> tuple[float, str, Wall | None]:
    """(mean service time in s, where it came from, the wall binding the service itself)."""
    if isinstance(service_time, ServingResult):
        if output_tokens is None and service_time._request_latency is not None:  # solved with input and output lengths
            t = service_time._request_latency
            src = (f"ServingModel: whole request of {service_time.input_tokens} + {service_time.output_tokens} tokens, "
                   f"TTFT {service_time._ttft * 1e3:.4g} ms + {service_time.output_tokens - 1} decode steps of {service_time._itl * 1e3:.4g} ms")
            return t, src, Wall(service_time.bound)
        if output_tokens is None:
            raise InputError("output_tokens", None, "the tokens each request generates (an integer >= 0) when service_time is a "
                             "ServingResult solved without output_tokens")
        n = checks.nonneg_int(output_tokens, "output_tokens")
        t = kernels.request_latency(service_time._ttft, service_time._itl, n)
        src = f"ServingModel: TTFT {service_time._ttft * 1e3:.4g} ms + {n} tokens x ITL {service_time._itl * 1e3:.4g} ms"
        return t, src, Wall(service_time.bound)
    if isinstance(service_time, PerformanceProfile):
        t = service_time._latency
        if not math.isfinite(t) or t <= 0:
            raise InputError("service_time", service_time.hardware, f"a result with a finite latency ({service_time.reason})")
        return t, f"SingleNodeModel: latency of one batch of {service_time.batch_size}", Wall(service_time.bound)
    if output_tokens is not None:
        raise InputError("output_tokens", output_tokens, "None unless service_time is a ServingResult")
    t = checks.quantity(service_time, "service_time", "time")
    return t, "given", None


class TailLatencyModel:
    """M/M/c queueing with Erlang C: waits, percentiles, the SLA's highest load, fan-out tails."""

    def solve(self, arrival_rate, service_time, servers: int = 1, sla=None, sla_quantile: float = 0.99,
              fan_out: int = 1, slow_probability: float | None = None, output_tokens: int | None = None) -> TailLatencyResult:
        """``service_time``: a time ('3 ms'), a ``SingleNodeModel`` result (its batch latency) or a
        ``ServingModel`` result (TTFT + ``output_tokens`` x ITL). ``sla``: a latency target at
        ``sla_quantile`` (default p99). ``slow_probability``: the chance one server is slow, for the
        fan-out tail (default 1 - sla_quantile, i.e. beyond its own p99)."""
        lam = checks.quantity(arrival_rate, "arrival_rate", "rate", minimum=0.0, low_open=False)
        t_service, source, service_wall = _service(service_time, output_tokens)
        c = checks.positive_int(servers, "servers", maximum=MAX_SERVERS)
        q = checks.number(sla_quantile, "sla_quantile", 0.0, 1.0, low_open=True, high_open=True,
                          accepted="a quantile in (0, 1), e.g. 0.99 for p99")
        target = 0.0 if sla is None else checks.quantity(sla, "sla", "time")
        n = checks.positive_int(fan_out, "fan_out")
        if n > 1 and q ** (1.0 / n) >= 1.0:
            # each server's quantile q^(1/n) = exp(ln q / n) rounds to 1 in double precision once |ln q| / n is
            # below half the machine epsilon: no finite response time has so small a tail
            most = -math.log(q) / (sys.float_info.epsilon / 2.0)
            raise InputError("fan_out", fan_out, f"at most about {most:.3g} servers at sla_quantile {q:g} "
                                                 "(beyond that each server's quantile sla_quantile^(1/fan_out) rounds to 1)")
        p_slow = 1.0 - q if slow_probability is None else checks.fraction(slow_probability, "slow_probability", low_open=False)
        out = evaluate(TailPlan(lam, 1.0 / t_service, c, q, target, n, p_slow))

        label = f"p{q * 100:g}"
        assumptions = [
            "Poisson arrivals, exponential service times, first come first served (M/M/c)",
            f"service time {t_service * 1e3:.4g} ms ({source})",
            "percentiles: the exact response-time mixture inverted numerically by bisection on floats",
        ]
        if slow_probability is None:
            assumptions.append(f"fan-out: a server counts as slow beyond its own {label}, p = {p_slow:g}")
        if n > 1:
            assumptions.append(f"fan-out: the {n} servers are independent and equally loaded")
        reason = ""
        if not out.stable:
            reason = (f"load {lam:.6g}/s reaches the capacity {out.capacity:.6g}/s of {c} server(s) "
                      f"(utilisation {out.utilization:.4g} >= 1): the queue grows without bound")
        elif target > 0.0 and out.quantile_response > target:
            reason = f"{label} response {out.quantile_response * 1e3:.4g} ms exceeds the SLA {target * 1e3:.4g} ms"
        feasible = not reason
        queueing = not out.stable or (out.mean_wait > t_service) or (target > 0.0 and not feasible and out.max_arrival_rate > 0.0)
        bound = Wall.TAIL_LATENCY if queueing or service_wall is None else service_wall
        return TailLatencyResult.view(
            out, servers=c, utilization=out.utilization, offered_load=out.offered_load, stable=out.stable, feasible=feasible,
            wait_probability=out.wait_probability, sla_quantile=q, fan_out=n, fan_out_slow_probability=out.fan_out_slow_probability,
            bound=bound, reason=reason, assumptions=assumptions,
            _arrival_rate=lam, _service_time=t_service, _sla=target if target > 0.0 else None,
        )


def audit_row(ctx) -> dict | None:
    """The audit's tail-latency line: applies when ``knobs`` has ``arrival_rate``.

    Service time from ``knobs['service_time']``, else a ``SingleNodeModel`` solve of the
    configuration; servers from ``knobs['servers']``, else ``ctx.count`` (1 if None);
    the limit is ``knobs['sla']`` (at p99) when given.
    """
    knobs = ctx.knobs or {}
    if "arrival_rate" not in knobs:
        return None
    service = knobs.get("service_time")
    if service is None:
        service = SingleNodeModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision)
    r = TailLatencyModel().solve(knobs["arrival_rate"], service, servers=knobs.get("servers", ctx.count or 1), sla=knobs.get("sla"))
    if not r.stable:
        return {"wall": Wall.TAIL_LATENCY, "figure": make(r.utilization, "ratio"), "limit": make(1.0, "ratio"), "binds": True,
                "note": f"utilisation {r.utilization:.3g} >= 1: unstable queue"}
    return {"wall": Wall.TAIL_LATENCY, "figure": r.p99_response, "limit": r.sla, "binds": r.bound is Wall.TAIL_LATENCY or not r.feasible,
            "note": f"p99 {r.p99_response:.3g~P} at utilisation {r.utilization:.2f}, P(wait) {r.wait_probability:.2f}"}
