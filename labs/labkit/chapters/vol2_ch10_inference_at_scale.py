"""Questions, sweep, frontier and chart of the inference-economy lab (Volume II, chapter 10).

A replica of ``tp`` accelerators serves batches of requests (a 512-token prompt and a 256-token
answer, InferenceScalingModel's defaults); a reasoning model generates ``k`` times the answer's
tokens (k - 1 thinking tokens per answer token) before the answer is done. Every number is the
engine's:

- time to the whole answer, per-token latency and the bound: ``ServingModel`` (prefill, then the
  mean decode step; tensor parallelism with its all-reduces; weight and KV precision);
- how many sequences fit under the batch policy: ``ContinuousBatchingModel`` on the replica's
  accelerators (their memory adds up: ``serving.tensor_parallel_group``), paged KV blocks for
  continuous batching (vLLM), a whole-context reservation per sequence for static batching;
- the replica's cost per hour: ``EconomicsModel`` (owned TCO per accelerator-hour, busy all the
  time) times ``tp``; dollars per million answer tokens: ``kernels.cost_per_million_tokens``;
- one reasoning query alone: ``InferenceScalingModel`` (its latency, compute and cost).

The frontier (the configurations no other beats on both cost and time) and the cheapest
configuration under a target are picked here, over the same points the chart draws. Owned TCO
counts the accelerators only (no facility, network or staff): a lower bound of a real price.
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import ContinuousBatchingModel, EconomicsModel, Hardware, InferenceScalingModel, Models, ServingModel, viz
from mlsysim.physics import kernels
from mlsysim.solvers.serving import tensor_parallel_group
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame
from mlsysim.walls import Wall

from ..questions import Prediction, Question

PROMPT, ANSWER = 512, 256  # tokens per request (InferenceScalingModel's defaults)
MODELS = ["llama3_8b", "llama3_70b", "mixtral_8x7b"]
ACCELERATORS = ["h100", "h200", "a100_80gb", "b200", "mi300x"]
PRECISIONS = ["fp16", "fp8", "int8"]
KV_PRECISIONS = ["fp16", "fp8"]
POLICIES = {"continuous batching, paged KV cache": "continuous",
            "static batching, KV reserved for the full context": "static"}
TPS = [1, 2, 4, 8]
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
REASONING = [1, 2, 4, 8, 16]  # tokens generated per answer token
MONTH = "30 day"

_SERVE, _BATCHING, _ECON, _SCALING = ServingModel(), ContinuousBatchingModel(), EconomicsModel(), InferenceScalingModel()


def _name(registry, key: str) -> str:
    return registry.get(key).name


def model_options() -> dict[str, str]:
    return {_name(Models, k): k for k in MODELS}


def accelerator_options() -> dict[str, str]:
    return {_name(Hardware, k): k for k in ACCELERATORS}


@lru_cache(maxsize=16)
def hourly_usd(hw: str) -> float:
    """Owned cost of one accelerator per hour, busy all the time: the engine's TCO (USD/hour)."""
    return _ECON.solve(hw, MONTH, count=1, utilization=1.0).cost_per_accelerator_hour.to("USD/hour").magnitude


@lru_cache(maxsize=32)
def replica_node(hw: str, tp: int):
    """The replica's ``tp`` accelerators as one node whose memory adds up (the engine's TP group)."""
    return tensor_parallel_group(Hardware.get(hw), tp)


@lru_cache(maxsize=256)
def _room(model: str, hw: str, tp: int, precision: str, kv: str, k: int) -> tuple[int, int]:
    r = _BATCHING.solve(model, replica_node(hw, tp), prompt_tokens=PROMPT, output_tokens=k * ANSWER, precision=precision,
                        kv_precision=kv)
    return r.max_sequences_paged, r.max_sequences_contiguous


def fits(model: str, hw: str, tp: int, precision: str, kv: str, policy: str, k: int) -> int:
    """Sequences whose KV caches fit beside the weights on ``tp`` accelerators under ``policy``
    (ContinuousBatchingModel on the replica's pooled memory; 0 when not even one does)."""
    paged, contiguous = _room(model, hw, tp, precision, kv, k)
    return paged if policy == "continuous" else contiguous


@lru_cache(maxsize=4096)
def point(model: str, hw: str, tp: int, batch: int, precision: str, kv: str, policy: str, k: int) -> dict:
    """One configuration: the engine's times, cost and bound (floats, s and USD)."""
    s = _SERVE.solve(model, hw, input_tokens=PROMPT, output_tokens=k * ANSWER, batch_size=batch, tp=tp,
                     precision=precision, kv_precision=kv)
    # the result's floats in SI units (``ServingResult.floats``): a sweep of 36 points reads three of them
    # and builds no Quantities
    f = s.floats
    latency, itl, ttft = f.request_latency, f.itl, f.ttft
    room = fits(model, hw, tp, precision, kv, policy, k)
    usd_per_s = hourly_usd(hw) * tp / 3600.0
    answers_per_s = kernels.batch_throughput(batch * ANSWER, latency)  # useful (answer) tokens per second
    if not s.feasible:
        bound, reason = Wall.CAPACITY, s.reason
    elif batch > room:
        bound = Wall.CAPACITY
        reason = (f"batch {batch} exceeds the {room} sequences whose "
                  f"{'paged' if policy == 'continuous' else 'full-context'} KV caches fit")
    else:
        bound, reason = s.bound, ""
    return {"tp": tp, "batch": batch, "latency": latency, "itl": itl, "ttft": ttft,
            "usd_per_m": kernels.cost_per_million_tokens(usd_per_s, answers_per_s), "usd_per_hour": hourly_usd(hw) * tp,
            "answer_tps": answers_per_s, "feasible": not reason, "reason": reason, "bound": bound,
            "prefill_wall": s.prefill_wall, "decode_wall": s.decode_wall, "fits": room, "serving": s}


def sweep(model: str, hw: str, precision: str, kv: str, policy: str, k: int) -> list[dict]:
    """Every accelerators-per-replica x batch configuration the chart draws."""
    return [point(model, hw, tp, b, precision, kv, policy, k) for tp in TPS for b in BATCHES]


def pareto(points: list[dict]) -> list[dict]:
    """The feasible points no other feasible point beats on both time and cost (ties kept), by time."""
    ok = [p for p in points if p["feasible"]]
    front = [p for p in ok if not any(q["latency"] <= p["latency"] and q["usd_per_m"] <= p["usd_per_m"]
                                      and (q["latency"] < p["latency"] or q["usd_per_m"] < p["usd_per_m"]) for q in ok)]
    return sorted(front, key=lambda p: (p["latency"], p["usd_per_m"]))


def cheapest_under(points: list[dict], target_s: float) -> dict | None:
    """The feasible point of lowest cost whose answer is done within ``target_s`` (None: none is)."""
    ok = [p for p in points if p["feasible"] and p["latency"] <= target_s]
    return min(ok, key=lambda p: (p["usd_per_m"], p["latency"])) if ok else None


@lru_cache(maxsize=64)
def reasoning_query(model: str, hw: str, precision: str, k: int):
    """One query alone on one accelerator (batch 1): InferenceScalingModel at k - 1 thinking tokens per answer token."""
    return _SCALING.solve(model, hw, prompt_tokens=PROMPT, reasoning_tokens=(k - 1) * ANSWER, answer_tokens=ANSWER,
                          precision=precision, price_per_hour=f"{hourly_usd(hw)} USD/hour")


def wall_words(p: dict) -> str:
    """The bound of a point in words, with the phase the engine names."""
    b = p["bound"]
    if b is Wall.CAPACITY:
        return "capacity (it does not fit)"
    phase = "prefill" if b is p["prefill_wall"] and b is not p["decode_wall"] else "decode"
    return {Wall.MEMORY: f"memory-bound {phase}", Wall.COMPUTE: f"compute-bound {phase}",
            Wall.COMMUNICATION: f"communication-bound {phase} (TP all-reduces)"}.get(b, f"{b.value} ({phase})")


# --- the chart ---------------------------------------------------------------------------------
_X = {"field": "latency", "type": "quantitative", "title": "Time to the whole answer (s, log)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
_Y = {"field": "usd_per_m", "type": "quantitative", "title": "USD per million answer tokens (log)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
TEMPLATE = {
    **lab_frame(320),
    "layer": [
        {"data": {"name": "frontier"}, "mark": {"type": "line", "color": PALETTE["black"], "strokeWidth": 1.5},
         "encoding": {"x": _X, "y": _Y, "order": {"field": "latency", "type": "quantitative"}}},
        {"data": {"name": "points"}, "mark": {"type": "point", "filled": True, "size": 45, "opacity": 0.85},
         "encoding": {"x": _X, "y": _Y,
                      "color": {"field": "replica", "type": "nominal", "title": "Accelerators per replica",
                                "scale": {"domain": [f"{t}" for t in TPS],
                                          "range": [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"]]}},
                      "tooltip": [{"field": "label", "type": "nominal"}]}},
        {"data": {"name": "target"}, "mark": {"type": "rule", "strokeDash": [5, 3], "color": PALETTE["black"]},
         "encoding": {"x": {"field": "s", "type": "quantitative"}}},
        {"data": {"name": "target"}, "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "y": 4,
                                               "fontWeight": "bold"},
         "encoding": {"x": {"field": "s", "type": "quantitative"}, "text": {"field": "label"}}},
        {"data": {"name": "cheapest"}, "mark": {"type": "point", "shape": "diamond", "size": 260, "filled": False,
                                                 "strokeWidth": 2.5, "color": PALETTE["purple"]},
         "encoding": {"x": _X, "y": _Y}},
        {"data": {"name": "you"}, "mark": {"type": "point", "filled": False, "size": 200, "strokeWidth": 3,
                                            "color": PALETTE["black"]},
         "encoding": {"x": _X, "y": _Y}},
        {"data": {"name": "you"}, "mark": {"type": "text", "align": "left", "dx": 9, "dy": -9, "fontWeight": "bold"},
         "encoding": {"x": _X, "y": _Y, "text": {"field": "label"}}},
    ],
}


def _row(p: dict) -> dict:
    return {"replica": f"{p['tp']}", "batch": p["batch"], "latency": p["latency"], "usd_per_m": p["usd_per_m"],
            "label": f"{p['tp']} acc., batch {p['batch']}: {fmt(p['latency'])} s, {fmt(p['usd_per_m'])} USD/M"}


def chart(points: list[dict], you: dict, best: dict | None, target_s: float, title: str | dict) -> viz.Chart:
    """Cost against time of every configuration that fits, the frontier, the target, the cheapest
    under it and the student's configuration (when it fits)."""
    ok = [p for p in points if p["feasible"]]
    front = pareto(points)
    datasets = {"points": [_row(p) for p in ok], "frontier": [_row(p) for p in front],
                "target": [{"s": target_s, "label": f"target {target_s:g} s"}],
                "cheapest": [_row(best)] if best else [],
                "you": [dict(_row(you), label="you")] if you["feasible"] else []}
    summary = (f"USD per million answer tokens against the time to the whole answer for {len(ok)} of {len(points)} "
               f"configurations (the others do not fit); {len(front)} are on the frontier. "
               + (f"Cheapest within {target_s:g} s: {best['tp']} accelerators per replica at batch {best['batch']}, "
                  f"{fmt(best['usd_per_m'])} USD per million." if best else f"None is done within {target_s:g} s.")
               + (f" Yours: {fmt(you['latency'])} s, {fmt(you['usd_per_m'])} USD per million." if you["feasible"]
                  else " Yours does not fit."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _hw_model(hw: str, model: str = "llama3_8b", **_) -> dict:
    return {"hw_name": _name(Hardware, hw), "model_name": _name(Models, model)}


def cheapest_cost(model: str, hw: str, target_s: float) -> float:
    """Lowest USD per million answer tokens within ``target_s`` (fp8 weights, fp16 KV, continuous, no reasoning)."""
    best = cheapest_under(sweep(model, hw, "fp8", "fp16", "continuous", 1), target_s)
    if best is None:
        raise ValueError(f"no configuration of {model} on {hw} answers within {target_s} s")
    return best["usd_per_m"]


def _cheapest_math(model: str, hw: str, target_s: float) -> str:
    best = cheapest_under(sweep(model, hw, "fp8", "fp16", "continuous", 1), target_s)
    return (f"Among the configurations that fit and answer within {target_s:g} s, the cheapest is **{best['tp']} × "
            f"{_name(Hardware, hw)} at batch {best['batch']}**: a replica costs {best['usd_per_hour']:.3g} USD/hour "
            f"and delivers {best['batch']} × {ANSWER} answer tokens every {best['latency']:.3g} s = "
            f"{best['answer_tps']:,.0f} tokens/s, so 1e6 × {best['usd_per_hour']:.3g} ÷ 3600 ÷ {best['answer_tps']:,.0f} = "
            f"**{best['usd_per_m']:.3g} USD per million** ({wall_words(best)}).")


def price(hw: str, tp: int, batch: int) -> float:
    """USD per million answer tokens of Llama-3-8B, fp16, continuous batching, no reasoning."""
    return point("llama3_8b", hw, tp, batch, "fp16", "fp16", "continuous", 1)["usd_per_m"]


def _price_math(hw: str, tp: int, batch: int) -> str:
    p = point("llama3_8b", hw, tp, batch, "fp16", "fp16", "continuous", 1)
    return (f"a replica of {tp} costs {tp} × {hourly_usd(hw):.3g} = {p['usd_per_hour']:.3g} USD/hour; an answer "
            f"takes TTFT {p['ttft'] * 1e3:.3g} ms + {ANSWER - 1} × ITL {p['itl'] * 1e3:.3g} ms = {p['latency']:.3g} s, so "
            f"{batch} × {ANSWER} ÷ {p['latency']:.3g} s = {p['answer_tps']:,.0f} answer tokens/s and "
            f"**{p['usd_per_m']:.3g} USD per million**.")


def room(hw: str, tp: int, k: int) -> float:
    """Sequences of Llama-3-70B (fp16, paged) that fit on ``tp`` accelerators at ``k`` tokens per answer token."""
    return float(fits("llama3_70b", hw, tp, "fp16", "fp16", "continuous", k))


def _room_math(hw: str, tp: int, k: int) -> str:
    r = _BATCHING.solve("llama3_70b", replica_node(hw, tp), prompt_tokens=PROMPT, output_tokens=k * ANSWER)
    return (f"free KV memory = 0.9 × {tp} × {Hardware.get(hw).memory.capacity.to('GB').magnitude:g} GB − weights "
            f"{r.weight_memory.to('GB').magnitude:.4g} GB = {r.free_memory.to('GB').magnitude:.4g} GB; one paged sequence "
            f"of {PROMPT} + {k * ANSWER} tokens holds {r.paged_bytes_per_sequence.to('MB').magnitude:.4g} MB on average, "
            f"so **{r.max_sequences_paged}** fit.")


QUESTIONS = [
    Question(
        id="cheapest",
        prompt=("**{model_name}** on **{hw_name}** accelerators, fp8 weights, fp16 KV cache, continuous batching, no "
                "reasoning (k = 1): every answer must be complete within **{target_s} s**. Over 1 to 8 accelerators "
                "per replica and batch 1 to 256, what is the **lowest cost per million answer tokens** (USD)?"),
        variants={"model": ["llama3_8b", "llama3_70b"], "hw": ["h100", "h200", "b200"], "target_s": [6, 10, 20]},
        answer=cheapest_cost, tolerance=0.03, unit="USD per million tokens", describe=_hw_model,
        hint="Set the target, then look for the lowest point left of the dashed line: the diamond marks it. "
             "Bigger batches are cheaper until the answer takes too long or the KV caches no longer fit.",
        math=_cheapest_math,
    ),
    Question(
        id="price",
        prompt=("Llama-3-8B (fp16 weights and KV cache, continuous batching, k = 1) on replicas of **{tp} × {hw_name}** "
                "at **batch {batch}**: what does a **million answer tokens** cost (USD)?"),
        variants={"hw": ["h100", "h200", "a100_80gb"], "tp": [1, 2, 4], "batch": [8, 32, 128]},
        answer=price, tolerance=0.03, unit="USD per million tokens", describe=_hw_model,
        hint="Cost per hour of the replica ÷ answer tokens it delivers per hour (batch × 256 ÷ the time to the answer).",
        math=_price_math,
    ),
    Question(
        id="room",
        prompt=("Llama-3-70B (fp16) on **{tp} × {hw_name}**, continuous batching with a paged KV cache, a reasoning "
                "model generating **k = {k}** tokens per answer token: how many **sequences** fit at once?"),
        variants={"hw": ["h100", "h200", "mi300x"], "tp": [2, 4, 8], "k": [1, 4, 16]},
        answer=room, tolerance=0.0, unit="sequences", describe=_hw_model,
        hint="The KV memory is what 90 % of the replica's memory leaves beside the weights; each sequence holds its "
             "prompt and about half its generated tokens on average.",
        math=_room_math,
    ),
]

_BUCKETS = [(3.0, "less than 3×"), (10.0, "3× to 10×"), (30.0, "10× to 30×"), (float("inf"), "more than 30×")]


def _prediction_truth() -> str:
    one = point("llama3_70b", "h100", 4, 1, "fp16", "fp16", "continuous", 1)
    many = point("llama3_70b", "h100", 4, 64, "fp16", "fp16", "continuous", 1)
    ratio = one["usd_per_m"] / many["usd_per_m"]
    return next(label for top, label in _BUCKETS if ratio < top)


PREDICTIONS = [
    Prediction(
        id="batch_discount",
        prompt=("Llama-3-70B (fp16) is served on replicas of 4 NVIDIA H100s. Serving 64 requests at a time instead "
                "of one: how much cheaper does a million answer tokens get?"),
        options=[label for _, label in _BUCKETS],
        truth=_prediction_truth,
    ),
]
