"""The Reasoning wall: what thinking longer and sampling more cost per query.

A query has a prompt, R reasoning tokens and A answer tokens per sample, and N samples
(best-of-N or self-consistency voting; N = 1 is a single chain of thought, Wei et al. 2022):

  TTFT     = prefill of the prompt, once (the N samples share its KV cache)   [ServingModel]
  ITL      = one decode step of the N samples as a batch, with the KV cache at the
             midpoint length prompt + (R + A)/2: ITL is linear in the KV length, so this is
             the mean over the generation                                     [ServingModel]
  latency  = TTFT + (R + A) x ITL                                            (request_latency)
  compute  = 2P x (prompt + N (R + A))                                       (Snell et al. 2024)
  energy   = TDP x latency (the accelerator busy for the whole query; an upper bound)
  cost     = price per accelerator-second x latency (when a price is given)

The per-token times come from ``ServingModel``; nothing of the serving path is re-derived.
``compare(small, big, ...)`` gives the compute-matched comparison of Snell et al. 2024:
the small model draws N_big x P_big / P_small samples. Accuracy is not modelled: the papers'
accuracy curves are per task and are not turned into a formula here.
"""

from __future__ import annotations

import math

from ..core import checks
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_EFFICIENCY
from .serving import ServingModel

STRATEGIES = ("single", "best_of_n", "self_consistency")


@plan
class ReasoningPlan:
    prompt_tokens: int
    generated_tokens: int  # reasoning + answer, per sample
    samples: int
    active_parameters: float
    ttft: float
    itl: float
    tdp: float  # W, 0 when unknown
    price: float  # USD per accelerator-second, 0 when none


@floats
class ReasoningFloats:
    latency: float
    decode_time: float
    flops_per_query: float
    energy_per_query: float
    cost_per_query: float
    tokens_per_second: float


def evaluate(p: ReasoningPlan) -> ReasoningFloats:
    latency = kernels.request_latency(p.ttft, p.itl, p.generated_tokens)
    flops = kernels.test_time_flops(p.active_parameters, p.prompt_tokens, p.generated_tokens, p.samples)
    return ReasoningFloats(latency, latency - p.ttft, flops, kernels.energy(p.tdp, latency),
                           kernels.rental_cost(p.price, 1.0, latency), p.samples / p.itl)


class ReasoningResult(Result):
    """Latency, compute, energy and cost of one query as test-time compute grows."""

    _plain_names = ("model", "hardware", "strategy", "samples", "prompt_tokens", "reasoning_tokens", "answer_tokens",
                    "decode_bound", "bound", "feasible", "reason", "assumptions")

    latency = quantity("time", "s", "prompt to the last token of every sample")
    ttft = quantity("time", "ms", "prefill of the prompt")
    itl = quantity("time", "ms", "mean decode step of the N samples together")
    decode_time = quantity("time", "s")
    tokens_per_second = quantity("rate", None, "generated tokens per second, all samples")
    flops_per_query = quantity("ops", "TFLOP", "2P x (prompt + N x generated tokens)")
    energy_per_query = quantity("energy", "J", "TDP x latency (None when the part lists no TDP)")
    cost_per_query = quantity("money", "USD", "price x latency (None without a price)")
    memory_footprint = quantity("bytes", "GB", "weights + KV cache of N samples at the final length")
    memory_capacity = quantity("bytes", "GB")


class InferenceScalingModel:
    """Test-time compute (reasoning tokens, best-of-N, self-consistency) on one accelerator."""

    def solve(self, model, hardware, prompt_tokens: int = 512, reasoning_tokens: int = 0, answer_tokens: int = 256,
              samples: int = 1, strategy: str | None = None, precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY,
              price_per_hour=None) -> ReasoningResult:
        """``strategy`` only labels the result (``single`` for N = 1, else ``best_of_n``); both
        best-of-N and self-consistency cost N samples; they differ in how the answer is picked."""
        m = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        prompt = checks.positive_int(prompt_tokens, "prompt_tokens")
        think = checks.nonneg_int(reasoning_tokens, "reasoning_tokens")
        answer = checks.positive_int(answer_tokens, "answer_tokens")
        n = checks.positive_int(samples, "samples", maximum=1_000_000)
        if strategy is None:
            strategy = "single" if n == 1 else "best_of_n"
        strategy = checks.choice(strategy, "strategy", STRATEGIES)
        if strategy == "single" and n != 1:
            checks.integer(n, "samples", 1, 1)  # 'single' means one sample
        price = 0.0 if price_per_hour is None else checks.quantity(price_per_hour, "price_per_hour", "money_rate")
        generated = think + answer
        serving = ServingModel()
        prefill = serving.solve(m, hw, seq_len=prompt, batch_size=1, precision=precision, efficiency=efficiency)
        mid = serving.solve(m, hw, seq_len=prompt + max(generated // 2, 1), batch_size=n, precision=precision, efficiency=efficiency)
        final = serving.solve(m, hw, seq_len=prompt + generated, batch_size=n, precision=precision, efficiency=efficiency)
        tdp = hw._si.get("tdp", 0.0)
        p = ReasoningPlan(prompt, generated, n, m.active_parameters_si, prefill._ttft, mid._itl, tdp, price)
        out = evaluate(p)
        reason = (final.reason or prefill.reason) if not (final.feasible and prefill.feasible) else ""
        assumptions = [
            "TTFT and ITL from ServingModel (prefill once, shared by the samples; decode of N samples as one batch)",
            "ITL at the midpoint KV length = the mean over the generation (ITL is linear in the KV length)",
            "energy = TDP x latency; the accelerator serves this one query",
            "accuracy is not modelled: take it from the task's published curve (e.g. Snell et al. 2024, Fig. 1)",
        ]
        result = ReasoningResult.view(
            out, model=m.name, hardware=hw.name, strategy=strategy, samples=n, prompt_tokens=prompt, reasoning_tokens=think,
            answer_tokens=answer, decode_bound=Wall.MEMORY if mid.decode_bottleneck == "Memory Bound" else Wall.COMPUTE,
            bound=Wall.REASONING if not reason else Wall.CAPACITY, feasible=not reason, reason=reason, assumptions=assumptions,
            _ttft=p.ttft, _itl=p.itl, _memory_footprint=final._memory_footprint, _memory_capacity=final._memory_capacity,
        )
        if not (math.isfinite(p.ttft) and math.isfinite(p.itl)):  # no arithmetic in the precision: no times
            for name in ("latency", "ttft", "itl", "decode_time", "tokens_per_second", "energy_per_query", "cost_per_query"):
                setattr(result, "_" + name, None)
            return result
        if not tdp:
            result._energy_per_query = None  # unknown, not zero
        if not price:
            result._cost_per_query = None
        return result

    def compare(self, small, big, hardware, big_samples: int = 1, **kwargs) -> tuple[ReasoningResult, ReasoningResult]:
        """(small, big) at matched test-time compute: the small model draws N_big x P_big / P_small samples (rounded down)."""
        s, b = _inputs.transformer(small, "small"), _inputs.transformer(big, "big")
        n_big = checks.positive_int(big_samples, "big_samples")
        n_small = max(int(kernels.compute_matched_samples(b.active_parameters_si, s.active_parameters_si, n_big)), 1)
        kwargs.pop("samples", None)
        kwargs.pop("strategy", None)
        return self.solve(s, hardware, samples=n_small, **kwargs), self.solve(b, hardware, samples=n_big, **kwargs)


def audit_row(ctx) -> dict | None:
    """The Reasoning line: applies to serving a Transformer when the knobs give reasoning tokens or samples."""
    knobs = getattr(ctx, "knobs", None) or {}
    if not ({"reasoning_tokens", "samples"} & set(knobs)):
        return None
    args = {k: knobs[k] for k in ("prompt_tokens", "reasoning_tokens", "answer_tokens", "samples", "price_per_hour") if k in knobs}
    r = InferenceScalingModel().solve(ctx.model, ctx.hardware, precision=ctx.precision, **args)
    sla = knobs.get("latency_sla")
    limit = checks.quantity(sla, "latency_sla", "time") if sla is not None else None
    from_sla = limit is not None and r._latency > limit
    return {"wall": Wall.REASONING if r.feasible else Wall.CAPACITY, "figure": r.latency,
            "limit": None if limit is None else make(limit, "time"),
            "binds": (not r.feasible) or from_sla,
            "note": f"{r.samples} sample(s) x {r.reasoning_tokens + r.answer_tokens} tokens, {r.flops_per_query.m:.3g} TFLOP per query"}
