"""Questions, queue and chart of the model-serving lab (Volume I, chapter 13).

Requests for Llama-3-8B arrive at random; replicas serve them. Every number is the engine's:

- the service time of one request: ``ServingModel`` (TTFT + output tokens x ITL) when a replica
  serves one request at a time, ``ContinuousBatchingModel`` (its prefill and ITL at the batch) when
  it keeps up to B sequences in flight, each of the B slots then counting as one server;
- the queue: ``TailLatencyModel`` (M/M/c, Erlang C) for the percentiles, capacity and stability at
  the student's load, and for the fewest replicas that meet the p99 SLA; the curve against load
  is drawn with the same kernels (``erlang_c``, ``mmc_response_percentile``) it calls.

Prompt and output lengths are the ShareGPT means the batching model defaults to (Kwon et al. 2023).
The chart's template is written here (``mlsysim.viz.latency_vs_load`` draws one curve, no SLA).
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import ContinuousBatchingModel, Hardware, ServingModel, TailLatencyModel, viz
from mlsysim.physics import kernels
from mlsysim.solvers.batching import SHAREGPT_MEAN_OUTPUT_TOKENS, SHAREGPT_MEAN_PROMPT_TOKENS
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

MODEL = "llama3_8b"
PROMPT = round(SHAREGPT_MEAN_PROMPT_TOKENS)
OUTPUT = round(SHAREGPT_MEAN_OUTPUT_TOKENS)
ACCELERATORS = ["h100", "h200", "a100_80gb", "l4"]
POLICIES = {"one request at a time": 1, "continuous batching, up to 8": 8, "continuous batching, up to 32": 32,
            "continuous batching, up to 64": 64}
MAX_REPLICAS = 4096  # the search's ceiling
MAX_REPLICAS_CONTROL = 64
QUANTILE = 0.99

_SERVING, _BATCHING, _TAIL = ServingModel(), ContinuousBatchingModel(), TailLatencyModel()


@lru_cache(maxsize=128)
def service(hw: str, precision: str, batch: int) -> tuple[float, int, str]:
    """(mean service time of one request in s, servers per replica, where it came from).

    Batch 1: ``ServingModel``'s TTFT + output x ITL. Batch B: ``ContinuousBatchingModel``'s
    prefill + output x ITL at B sequences, and B slots per replica (a finished sequence's slot is
    refilled at the next step: Yu et al. 2022, Orca, Sec. 3)."""
    if batch == 1:
        s = _SERVING.solve(MODEL, hw, seq_len=PROMPT, batch_size=1, precision=precision)
        return (kernels.request_latency(s.ttft.to("s").magnitude, s.itl.to("s").magnitude, OUTPUT), 1,
                f"TTFT {s.ttft.to('ms').magnitude:.3g} ms + {OUTPUT} × ITL {s.itl.to('ms').magnitude:.3g} ms")
    cb = _BATCHING.solve(MODEL, hw, batch_size=batch, precision=precision)
    if not cb.feasible:
        raise ValueError(cb.reason)
    return (kernels.request_latency(cb.prefill_time.to("s").magnitude, cb.itl.to("s").magnitude, OUTPUT), batch,
            f"prefill {cb.prefill_time.to('ms').magnitude:.3g} ms + {OUTPUT} × ITL {cb.itl.to('ms').magnitude:.3g} ms "
            f"at {batch} sequences")


def queue(hw: str, precision: str, batch: int, replicas: int, rate: float, sla_s: float | None = None):
    """The engine's M/M/c result for ``replicas`` replicas at ``rate`` requests/s (against a p99 SLA
    when ``sla_s`` is given: then it also searches the highest load meeting it, which costs more)."""
    t, per, _ = service(hw, precision, batch)
    return _TAIL.solve(f"{rate} 1/s", f"{t} s", servers=replicas * per, sla=None if sla_s is None else f"{sla_s} s",
                       sla_quantile=QUANTILE)


def _meets(servers: int, rate: float, mu: float, sla_s: float) -> bool:
    """Does an M/M/c queue of ``servers`` at ``rate`` keep P(response > SLA) within 1 - q (the kernels
    ``TailLatencyModel`` calls)?"""
    if rate >= servers * mu:
        return False
    wait = kernels.erlang_c(servers, rate / mu)
    return kernels.mmc_response_tail(sla_s, wait, servers, rate, mu) <= 1.0 - QUANTILE


def replicas_needed(hw: str, precision: str, batch: int, rate: float, sla_s: float) -> int | None:
    """Fewest replicas whose p99 meets the SLA at ``rate``, searched over the replica count (doubling,
    then bisection: the tail falls as replicas are added); None when no count does, because one
    request's service alone breaks the SLA (an idle queue's tail, no wait, is already too long)."""
    t, per, _ = service(hw, precision, batch)
    mu = 1.0 / t
    if kernels.mmc_response_tail(sla_s, 0.0, 1, 0.0, mu) > 1.0 - QUANTILE:
        return None
    hi = 1
    while not _meets(hi * per, rate, mu, sla_s):
        hi *= 2
        if hi > MAX_REPLICAS:
            return None
    lo = hi // 2 + 1 if hi > 1 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _meets(mid * per, rate, mu, sla_s):
            hi = mid
        else:
            lo = mid + 1
    return lo


def curve(t_service: float, servers: int, capacity: float, points: int = 12) -> list[dict]:
    """p50 and p99 response (s) against load, from 2 % to 99 % of capacity (the engine's kernels),
    the points closer together near capacity, where the curve turns up (1 - load is geometric)."""
    rows = []
    mu = 1.0 / t_service
    for i in range(points):
        lam = capacity * (1.0 - 0.98 * (0.01 / 0.98) ** (i / (points - 1)))
        wait = kernels.erlang_c(servers, lam / mu)
        for name, q in (("p50", 0.5), ("p99", QUANTILE)):
            rows.append({"load": lam, "which": name, "s": kernels.mmc_response_percentile(q, servers, lam, mu, wait)})
    return rows


TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": {"field": "load", "type": "quantitative", "title": "Offered load (requests/s)"},
                      "y": {"field": "s", "type": "quantitative", "title": "Response time (s, log)",
                            "scale": {"type": "log"}, "axis": {"format": "~g"}},
                      "color": {"field": "which", "type": "nominal", "title": None,
                                "scale": {"domain": ["p50", "p99"], "range": [PALETTE["blue"], PALETTE["vermillion"]]}}}},
        {"data": {"name": "sla"}, "mark": {"type": "rule", "strokeDash": [5, 3], "color": PALETTE["black"]},
         "encoding": {"y": {"field": "s", "type": "quantitative"}}},
        {"data": {"name": "sla"}, "mark": {"type": "text", "align": "left", "dy": -6, "x": 4, "fontWeight": "bold"},
         "encoding": {"y": {"field": "s", "type": "quantitative"}, "text": {"field": "label"}}},
        {"data": {"name": "capacity"}, "mark": {"type": "rule", "color": PALETTE["grey"], "strokeWidth": 2},
         "encoding": {"x": {"field": "load", "type": "quantitative"}}},
        {"data": {"name": "you"}, "mark": {"type": "point", "filled": True, "size": 110, "color": PALETTE["black"]},
         "encoding": {"x": {"field": "load", "type": "quantitative"}, "y": {"field": "s", "type": "quantitative"}}},
    ],
}


def chart(result, sla_s: float, title: str) -> viz.Chart:
    """p50 and p99 against load for ``result``'s queue, the SLA, the capacity and the student's load."""
    t = result.service_time.to("s").magnitude
    cap = result.capacity.to("1/s").magnitude
    rows = curve(t, result.servers, cap)
    rate = result.arrival_rate.to("1/s").magnitude
    you = [{"load": rate, "s": result.p99_response.to("s").magnitude}] if result.stable else []
    datasets = {"curve": rows, "sla": [{"s": sla_s, "label": f"p99 SLA {fmt(sla_s)} s"}],
                "capacity": [{"load": cap}], "you": you}
    summary = (f"p50 and p99 response time against offered load up to the capacity of {fmt(cap)} requests/s; "
               + (f"at your {fmt(rate)} requests/s the p99 is {fmt(you[0]['s'])} s against an SLA of {fmt(sla_s)} s."
                  if you else f"your {fmt(rate)} requests/s is at or beyond capacity: the queue grows without bound."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _hw_name(hw: str, **_) -> dict:
    return {"hw_name": Hardware.get(hw).name}


def one_replica_rate(hw: str, utilisation: float) -> float:
    """An arrival rate (requests/s, three significant figures) at ``utilisation`` of one batch-1 replica."""
    t, _, _ = service(hw, "fp16", 1)
    return float(f"{utilisation / t:.3g}")


def _p99_describe(hw: str, utilisation: float) -> dict:
    return {**_hw_name(hw), "rate": one_replica_rate(hw, utilisation)}


def _p99(hw: str, utilisation: float) -> float:
    return queue(hw, "fp16", 1, 1, one_replica_rate(hw, utilisation)).p99_response.to("s").magnitude


def _p99_math(hw: str, utilisation: float) -> str:
    r = queue(hw, "fp16", 1, 1, one_replica_rate(hw, utilisation))
    s = r.service_time.to("s").magnitude
    return (f"service S = {service(hw, 'fp16', 1)[2]} = {s:.4g} s; ρ = λ S = {r.utilization:.3g}. One server (M/M/1): "
            f"the response is exponential with rate μ − λ, so p99 = ln(100) ÷ (μ − λ) = ln(100) × S ÷ (1 − ρ) = "
            f"**{r.p99_response.to('s').magnitude:.4g} s**.")


def _sla_rate(hw: str, batch: int, load: float) -> float:
    t, per, _ = service(hw, "fp16", batch)
    return float(f"{load * per / t:.3g}")


def _sla_describe(hw: str, batch: int, load: float, sla_s: float) -> dict:
    return {**_hw_name(hw), "rate": _sla_rate(hw, batch, load)}


def _replicas(hw: str, batch: int, load: float, sla_s: float) -> float:
    n = replicas_needed(hw, "fp16", batch, _sla_rate(hw, batch, load), sla_s)
    if n is None:
        raise ValueError(f"no replica count meets a {sla_s} s p99 on {hw} at batch {batch}")
    return float(n)


def _replicas_math(hw: str, batch: int, load: float, sla_s: float) -> str:
    rate = _sla_rate(hw, batch, load)
    n = replicas_needed(hw, "fp16", batch, rate, sla_s)
    fewer = queue(hw, "fp16", batch, n - 1, rate, sla_s) if n > 1 else None
    r = queue(hw, "fp16", batch, n, rate, sla_s)
    before = (f"with {n - 1}: " + (f"p99 {fewer.p99_response.to('s').magnitude:.3g} s" if fewer.stable else "unstable")
              + "; ") if fewer else ""
    return (f"service S = {r.service_time.to('s').magnitude:.4g} s per request, {r.servers // n} slot(s) per replica. "
            f"{before}with **{n}** replicas: utilisation {r.utilization:.2f}, p99 **{r.p99_response.to('s').magnitude:.3g} s** "
            f"≤ {sla_s:g} s.")


def _capacity(hw: str, batch: int, replicas: int) -> float:
    return queue(hw, "fp16", batch, replicas, 0.0).capacity.to("1/s").magnitude


def _capacity_math(hw: str, batch: int, replicas: int) -> str:
    t, per, src = service(hw, "fp16", batch)
    return (f"S = {src} = {t:.4g} s; capacity = servers ÷ S = {replicas} × {per} ÷ {t:.4g} s = "
            f"**{_capacity(hw, batch, replicas):.4g} requests/s**.")


_BATCHES = [8, 32, 64]
QUESTIONS = [
    Question(
        id="p99",
        prompt=("One **{hw_name}** serves Llama-3-8B (fp16) **one request at a time**; requests arrive at random "
                "(Poisson) at **{rate} requests/s**. What is the **p99 response time**, in seconds?"),
        variants={"hw": ["h100", "h200", "a100_80gb"], "utilisation": [0.5, 0.7, 0.8, 0.9]},
        answer=_p99, tolerance=0.03, unit="s", describe=_p99_describe,
        hint="Set one replica, one request at a time, and that arrival rate: read the p99. Near full load the "
             "wait, not the service, dominates.",
        math=_p99_math,
    ),
    Question(
        id="replicas",
        prompt=("Llama-3-8B (fp16) on **{hw_name}** replicas with **continuous batching of up to {batch}**: requests "
                "arrive at **{rate} requests/s** and the p99 response must stay within **{sla_s} s**. How many "
                "**replicas** does it take, at the fewest?"),
        variants={"hw": ["h100", "h200"], "batch": _BATCHES, "load": [2.6, 5.3, 11.7], "sla_s": [20, 30, 40]},
        answer=_replicas, tolerance=0.0, unit="replicas", describe=_sla_describe,
        hint="Raise the replicas until the p99 drops under the SLA; the capacity alone is not enough, the queue "
             "needs headroom.",
        math=_replicas_math,
    ),
    Question(
        id="capacity",
        prompt=("**{replicas}** replicas on **{hw_name}** serve Llama-3-8B (fp16) with **continuous batching of up to "
                "{batch}** sequences each. At most how many **requests per second** can they serve before the queue "
                "grows without bound?"),
        variants={"hw": ["h100", "h200", "a100_80gb"], "batch": _BATCHES, "replicas": [1, 2, 4, 8]},
        answer=_capacity, tolerance=0.03, unit="requests/s", describe=_hw_name,
        hint="Capacity = servers ÷ service time; with continuous batching every replica has B slots, each slower "
             "than a lone request.",
        math=_capacity_math,
    ),
]

_BUCKETS = [(2.0, "less than 2×"), (10.0, "2× to 10×"), (30.0, "10× to 30×"), (float("inf"), "more than 30×")]


def _prediction_truth() -> str:
    t, _, _ = service("h100", "fp16", 1)
    r = queue("h100", "fp16", 1, 1, 0.9 / t)
    ratio = r.p99_response.to("s").magnitude / t
    return next(label for top, label in _BUCKETS if ratio < top)


PREDICTIONS = [
    Prediction(
        id="p99_near_full",
        prompt=("One NVIDIA H100 serves Llama-3-8B one request at a time. Requests arrive at random at 90 % of the "
                "rate it can serve. How much longer than one request's service time is the **p99** response time?"),
        options=[label for _, label in _BUCKETS],
        truth=_prediction_truth,
    ),
]
