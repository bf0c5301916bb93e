"""Batching: static vs continuous scheduling, paged vs contiguous KV cache (Wall 5).

On one accelerator, the memory left after the weights holds the KV caches of the
sequences being generated. Two ways to allocate it and two ways to schedule:

- **contiguous, static** (request-level, e.g. FasterTransformer): every sequence
  reserves KV memory for ``max_seq_len`` tokens; a batch runs until its longest
  output ends, so slots of sequences that finished early idle (Yu et al. 2022, Sec. 2.2).
- **paged, continuous** (iteration-level, Orca + vLLM): blocks of ``block_size``
  tokens are allocated as a sequence grows (only its last block is partly empty,
  (B - 1) / 2 slots on average), and a finished sequence's slot is refilled at
  the next iteration (Yu et al. 2022, Sec. 3; Kwon et al. 2023, Sec. 4).

Each decode step, as in ``ServingModel``, is the weight GEMMs (2 P_active per
sequence, reading the weights once) then the attention over the batch's KV cache
(4 layers x context x heads x head_dim per sequence), each on its own roofline
(``kernels.sequential_roofline``); a prefill likewise, with causal attention over
the prompt. Tokens/s = batch x output / cycle, with the cycle = output x step +
prefills x prefill time.

Defaults with sources: ``block_size=16`` and ``memory_fraction=0.9`` are vLLM's
engine defaults (``--block-size`` 16, ``--gpu-memory-utilization`` 0.9; vLLM
engine arguments documentation); the default prompt and output lengths are the
ShareGPT means Kwon et al. 2023 serve (Sec. 6.1, Fig. 11: 161.31 input and
337.99 output tokens).
"""

from __future__ import annotations

from ..core import checks
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from .serving import check_kv_precision
from .weight_streams import arithmetic_precision, check_weight_kernel, stored_bytes_factor, weight_note

DEFAULT_BLOCK_SIZE = 16  # vLLM --block-size default (engine arguments docs); Kwon et al. 2023, Sec. 7.2
DEFAULT_MEMORY_FRACTION = 0.9  # vLLM --gpu-memory-utilization default (engine arguments docs)
SHAREGPT_MEAN_PROMPT_TOKENS = 161.31  # Kwon et al. 2023, Sec. 6.1 / Fig. 11 (ShareGPT input lengths)
SHAREGPT_MEAN_OUTPUT_TOKENS = 337.99  # Kwon et al. 2023, Sec. 6.1 / Fig. 11 (ShareGPT output lengths)


@plan
class BatchingPlan:
    flops_per_token: float  # 2 x active parameters
    layers: float
    attention_width: float  # heads x head_dim
    shared_weight_bytes: float  # read every step (all weights for a dense model), over a weight-only kernel's stream fraction
    expert_bytes: float  # one expert's bytes (0 for a dense model)
    experts: int
    experts_per_token: int
    kv_bytes_per_token: float
    free_bytes: float  # memory_fraction x capacity - resident weights
    rate: float  # effective flop/s
    bandwidth: float  # effective byte/s
    tax: float  # dispatch overhead per step
    prompt: float
    output: float
    max_output: float
    max_seq_len: float
    block_size: int
    batch_size: int  # 0 = as many as fit


@floats
class StepFloats:
    time: float | None  # decode step, with the dispatch tax
    compute: float | None
    memory: float | None


@floats
class BatchingFloats:
    paged_bytes_per_sequence: float
    contiguous_bytes_per_sequence: float
    max_sequences_paged: int
    max_sequences_contiguous: int
    paged_waste_fraction: float
    contiguous_waste_fraction: float | None  # None when a request outgrows the max_seq_len reservation
    static_slot_efficiency: float
    continuous_batch: int
    static_batch: int
    prefill_time: float
    step_time: float | None  # None when no sequence fits
    step_compute_time: float | None
    step_memory_time: float | None
    itl: float | None
    throughput: float | None
    static_step_time: float | None
    static_itl: float | None
    static_throughput: float | None


def decode_step(p: BatchingPlan, batch: int, context: float) -> StepFloats:
    """One decode step of ``batch`` sequences holding ``context`` tokens each: the roofline of weights + KV."""
    weights = p.shared_weight_bytes + p.expert_bytes * kernels.moe_experts_touched(p.experts, p.experts_per_token, batch)
    attention = batch * kernels.attention_flops_per_token(p.layers, context, p.attention_width)
    t, compute, memory = kernels.sequential_roofline(p.flops_per_token * batch, weights, attention,
                                                     batch * context * p.kv_bytes_per_token, p.rate, p.bandwidth)
    return StepFloats(t + p.tax, compute, memory)


def prefill_time(p: BatchingPlan, sequences: int) -> float:
    """Prefill of ``sequences`` prompts in one pass: the roofline of their prompt tokens (+ dispatch tax)."""
    tokens = p.prompt * sequences
    weights = p.shared_weight_bytes + p.expert_bytes * kernels.moe_experts_touched(p.experts, p.experts_per_token, tokens)
    attention = tokens * kernels.attention_flops_per_token(p.layers, kernels.causal_prefill_mean_context(p.prompt), p.attention_width)
    t, _, _ = kernels.sequential_roofline(p.flops_per_token * tokens, weights, attention, tokens * p.kv_bytes_per_token,
                                          p.rate, p.bandwidth)
    return t + p.tax


def continuous_point(p: BatchingPlan, batch: int) -> tuple[float, float, StepFloats]:
    """(mean inter-token latency, output tokens/s, the decode step) of continuous batching at ``batch``."""
    step = decode_step(p, batch, kernels.continuous_batching_mean_context(p.prompt, p.output))
    cycle = kernels.batch_generation_cycle(p.output, step.time, batch, prefill_time(p, 1))
    return cycle / p.output, batch * p.output / cycle, step


def evaluate(p: BatchingPlan) -> BatchingFloats:
    """Memory per sequence, how many fit, and both schedules' step time, latency and throughput."""
    mean_context = kernels.continuous_batching_mean_context(p.prompt, p.output)
    paged_tokens = mean_context + kernels.paged_mean_empty_slots(p.block_size)
    paged_seq = paged_tokens * p.kv_bytes_per_token
    contiguous_seq = p.max_seq_len * p.kv_bytes_per_token
    n_paged = kernels.sequences_that_fit(p.free_bytes, paged_seq)
    n_contig = kernels.sequences_that_fit(p.free_bytes, contiguous_seq)
    cont_b = n_paged if p.batch_size == 0 else min(p.batch_size, n_paged)
    static_b = n_contig if p.batch_size == 0 else min(p.batch_size, n_contig)
    slot_eff = kernels.static_batch_slot_efficiency(p.output, p.max_output)
    pre1 = prefill_time(p, 1)
    if cont_b > 0:
        itl, tput, step = continuous_point(p, cont_b)
    else:  # nothing fits: no step to time
        itl, tput, step = None, None, StepFloats(None, None, None)
    if static_b > 0:
        # static: all sequences of the batch stay until the longest output ends (padded steps included)
        s_step = decode_step(p, static_b, kernels.continuous_batching_mean_context(p.prompt, p.max_output)).time
        s_cycle = kernels.batch_generation_cycle(p.max_output, s_step, 1, prefill_time(p, static_b))
        s_itl, s_tput = s_cycle / p.max_output, static_b * p.output / s_cycle
    else:
        s_step = s_itl = s_tput = None
    return BatchingFloats(
        paged_seq, contiguous_seq, n_paged, n_contig,
        kernels.kv_memory_waste(mean_context, paged_tokens),
        kernels.kv_memory_waste(mean_context, p.max_seq_len) if mean_context <= p.max_seq_len else None,
        slot_eff, cont_b, static_b, pre1, step.time, step.compute, step.memory, itl, tput, s_step, s_itl, s_tput,
    )


class ContinuousBatchingResult(Result):
    """How many sequences fit under paged vs contiguous KV memory, and what each schedule delivers."""

    _plain_names = ("model", "hardware", "precision", "kv_precision", "block_size", "max_sequences_paged", "max_sequences_contiguous",
                    "continuous_batch", "static_batch", "paged_waste_fraction", "contiguous_waste_fraction",
                    "static_slot_efficiency", "speedup", "feasible", "reason", "bound", "assumptions")

    kv_bytes_per_token = quantity("bytes", "MB", "2 x layers x kv_heads x head_dim x bytes")
    weight_memory = quantity("bytes", "GB", "resident weights")
    free_memory = quantity("bytes", "GB", "memory_fraction x capacity - weights: what the KV caches share")
    paged_bytes_per_sequence = quantity("bytes", "MB", "mean context + (B-1)/2 empty slots, paged")
    contiguous_bytes_per_sequence = quantity("bytes", "MB", "max_seq_len slots reserved up front")
    prefill_time = quantity("time", "ms", "one request's prompt")
    step_time = quantity("time", "ms", "one continuous-batching decode step at continuous_batch")
    step_compute_time = quantity("time", "ms")
    step_memory_time = quantity("time", "ms")
    itl = quantity("time", "ms", "mean time between a sequence's tokens, continuous batching (prefills included)")
    throughput = quantity("rate", None, "output tokens per second, continuous batching")
    static_step_time = quantity("time", "ms")
    static_itl = quantity("time", "ms", "mean time between tokens, static batching")
    static_throughput = quantity("rate", None, "useful output tokens per second, static batching")


@floats
class BatchPoint:
    """One point of the latency-throughput curve."""

    batch: int
    itl: float  # s
    throughput: float  # output tokens / s


class ContinuousBatchingModel:
    """Static vs continuous batching and paged vs contiguous KV cache on one accelerator."""

    def _plan(self, model, hardware, prompt_tokens, output_tokens, batch_size, max_seq_len, max_output_tokens, block_size,
              precision, kv_precision, memory_fraction, efficiency, bandwidth_efficiency):
        m = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        # token counts up to checks.MAX_INT (1e15): far past any context, and the step arithmetic stays finite
        prompt = checks.number(prompt_tokens, "prompt_tokens", 0.0, checks.MAX_INT,
                               accepted=f"a number of prompt tokens >= 0 and <= {checks.MAX_INT:.0e}")
        output = checks.number(output_tokens, "output_tokens", 1.0, checks.MAX_INT,
                               accepted=f"a number of output tokens >= 1 and <= {checks.MAX_INT:.0e}")
        batch = 0 if batch_size is None else checks.positive_int(batch_size, "batch_size")
        max_len = float(m.seq_len if max_seq_len is None else checks.positive_int(max_seq_len, "max_seq_len"))
        max_out = output if max_output_tokens is None else checks.number(
            max_output_tokens, "max_output_tokens", output, checks.MAX_INT,
            accepted=f"a number of tokens >= output_tokens ({output:g}) and <= {checks.MAX_INT:.0e}")
        block = checks.positive_int(block_size, "block_size", maximum=1 << 20)
        precision = _inputs.check_precision(precision)
        kv_precision, kv_note = check_kv_precision(kv_precision, precision)
        frac = checks.fraction(memory_fraction, "memory_fraction")
        eff = checks.fraction(efficiency, "efficiency")
        bw_eff = checks.fraction(bandwidth_efficiency, "bandwidth_efficiency")

        kernel = check_weight_kernel(None, precision)  # int8/int4: the weight-only kernel, as ServingModel
        peak, compute_precision = hw.peak_flops_si(arithmetic_precision(kernel, precision))
        # group scales stored and read with the weights, streamed at the kernel's fraction
        scaled, stream = stored_bytes_factor(kernel, precision), 1.0 if kernel is None else kernel.bandwidth_fraction
        weights = m.weight_bytes_si(precision) * scaled
        if m.is_moe:  # split the resident weights as the model's own routing arithmetic does
            one = m.expected_weight_bytes_read_si(precision, 1) * scaled
            expert = (weights - one) / (m.experts - m.experts_per_token)
            shared = weights - m.experts * expert
        else:
            expert, shared = 0.0, weights
        shared, expert = shared / stream, expert / stream  # read bytes at the kernel's rate: as if bytes / fraction
        p = BatchingPlan(
            flops_per_token=kernels.inference_flops_per_token(m.active_parameters_si), layers=float(m.layers),
            attention_width=float(m.heads * m.head_dim), shared_weight_bytes=shared, expert_bytes=expert,
            experts=m.experts, experts_per_token=m.experts_per_token,
            kv_bytes_per_token=kernels.kv_cache_bytes(m.layers, m.kv_heads, m.head_dim, 1, 1, bytes_per_value(kv_precision)),
            free_bytes=frac * hw.memory._si["capacity"] - weights, rate=kernels.effective_flops(peak, eff),
            bandwidth=hw.memory._si["bandwidth"] * bw_eff, tax=hw._si["dispatch_tax"], prompt=prompt, output=output,
            max_output=max_out, max_seq_len=max_len, block_size=block, batch_size=batch,
        )
        return m, hw, p, precision, (kv_precision, kv_note), compute_precision, weights, frac, eff, bw_eff

    def solve(self, model, hardware, prompt_tokens: float = SHAREGPT_MEAN_PROMPT_TOKENS, output_tokens: float = SHAREGPT_MEAN_OUTPUT_TOKENS,
              batch_size: int | None = None, max_seq_len: int | None = None, max_output_tokens: float | None = None,
              block_size: int = DEFAULT_BLOCK_SIZE, precision: str = "fp16", kv_precision: str | None = None,
              memory_fraction: float = DEFAULT_MEMORY_FRACTION, efficiency: float = DEFAULT_EFFICIENCY,
              bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY) -> ContinuousBatchingResult:
        """``batch_size=None`` runs each schedule at as many sequences as fit. ``max_seq_len`` (default: the
        model's context) is what a contiguous allocator reserves per sequence; ``max_output_tokens`` (default:
        ``output_tokens``, i.e. equal lengths) is the longest output in a static batch."""
        m, hw, p, precision, kv_precision, compute_precision, weights, frac, eff, bw_eff = self._plan(
            model, hardware, prompt_tokens, output_tokens, batch_size, max_seq_len, max_output_tokens, block_size,
            precision, kv_precision, memory_fraction, efficiency, bandwidth_efficiency)
        kv_precision, kv_note = kv_precision
        assumptions = [
            kv_note,
            f"prompt {p.prompt:g} and output {p.output:g} tokens per request" + (" (ShareGPT means, Kwon et al. 2023)" if
                prompt_tokens == SHAREGPT_MEAN_PROMPT_TOKENS and output_tokens == SHAREGPT_MEAN_OUTPUT_TOKENS else ""),
            f"KV memory = {frac:g} x capacity - weights (vLLM's gpu_memory_utilization default is 0.9); activations not counted",
            f"paged: blocks of {p.block_size} tokens, (B-1)/2 empty slots per sequence; contiguous: {p.max_seq_len:g} tokens reserved",
            "continuous: sequences spread evenly over their decode steps, mean context prompt + (n+1)/2; each new request's prefill adds its roofline time",
            f"static: the batch runs {p.max_output:g} steps (its longest output); equal lengths unless max_output_tokens is given",
            f"efficiency={eff:g}, bandwidth_efficiency={bw_eff:g}; each step = weight GEMMs (2 x active parameters per token) "
            "then attention over the KV cache, each on its own roofline",
        ]
        note = weight_note(check_weight_kernel(None, precision), None)
        if note:
            assumptions.append(note)
        if compute_precision is None:
            reason = f"{hw.name} has no {precision} compute"
            return self._result(m, hw, p, precision, kv_precision, weights, None, False, reason, Wall.CAPACITY, assumptions)
        out = evaluate(p)
        if out.max_sequences_paged == 0:
            reason = (f"weights {weights / 1e9:.4g} GB leave {max(p.free_bytes, 0.0) / 1e9:.4g} GB of {frac:g} x {hw.memory._si['capacity'] / 1e9:.4g} GB: "
                      f"no room for one sequence's KV cache ({out.paged_bytes_per_sequence / 1e6:.4g} MB)")
            return self._result(m, hw, p, precision, kv_precision, weights, out, False, reason, Wall.CAPACITY, assumptions)
        if p.prompt + p.max_output > p.max_seq_len:
            reason = f"prompt {p.prompt:g} + output {p.max_output:g} tokens exceed max_seq_len {p.max_seq_len:g}"
            return self._result(m, hw, p, precision, kv_precision, weights, out, False, reason, Wall.CAPACITY, assumptions)
        if p.batch_size > out.max_sequences_paged:
            reason = f"batch_size {p.batch_size} exceeds the {out.max_sequences_paged} sequences whose paged KV caches fit"
            return self._result(m, hw, p, precision, kv_precision, weights, out, False, reason, Wall.CAPACITY, assumptions)
        if out.step_compute_time >= out.step_memory_time:
            bound = Wall.COMPUTE
        else:
            bound = Wall.BATCHING if out.continuous_batch == out.max_sequences_paged else Wall.MEMORY
        if p.batch_size and out.static_batch < p.batch_size:
            assumptions.append(f"static batching fits only {out.static_batch} contiguous reservations; it runs at that batch")
        return self._result(m, hw, p, precision, kv_precision, weights, out, True, "", bound, assumptions)

    @staticmethod
    def _result(m, hw, p, precision, kv_precision, weights, out, feasible, reason, bound, assumptions):
        plain = dict(model=m.name, hardware=hw.name, precision=precision, kv_precision=kv_precision, block_size=p.block_size,
                     feasible=feasible, reason=reason, bound=bound, assumptions=assumptions,
                     _kv_bytes_per_token=p.kv_bytes_per_token, _weight_memory=weights, _free_memory=max(p.free_bytes, 0.0))
        if out is None:
            filled = {f"_{q}": None for q in ContinuousBatchingResult._quantity_names} | plain
            return ContinuousBatchingResult.view(None, max_sequences_paged=0, max_sequences_contiguous=0, continuous_batch=0,
                                                 static_batch=0, paged_waste_fraction=None, contiguous_waste_fraction=None,
                                                 static_slot_efficiency=None, speedup=None, **filled)
        speedup = out.throughput / out.static_throughput if out.static_throughput and out.throughput else None
        return ContinuousBatchingResult.view(
            out, max_sequences_paged=out.max_sequences_paged, max_sequences_contiguous=out.max_sequences_contiguous,
            continuous_batch=out.continuous_batch, static_batch=out.static_batch, paged_waste_fraction=out.paged_waste_fraction,
            contiguous_waste_fraction=out.contiguous_waste_fraction, static_slot_efficiency=out.static_slot_efficiency,
            speedup=speedup, **plain)

    def curve(self, model, hardware, batch_sizes, prompt_tokens: float = SHAREGPT_MEAN_PROMPT_TOKENS,
              output_tokens: float = SHAREGPT_MEAN_OUTPUT_TOKENS, precision: str = "fp16", kv_precision: str | None = None,
              efficiency: float = DEFAULT_EFFICIENCY, bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY) -> list[BatchPoint]:
        """Tokens/s against per-token latency as the continuous batch grows: one ``BatchPoint`` per batch size
        (memory is not checked here; ``solve`` says how many fit)."""
        batches = checks.int_list(batch_sizes, "batch_sizes")
        _, _, p, *_ = self._plan(model, hardware, prompt_tokens, output_tokens, None, None, None, DEFAULT_BLOCK_SIZE,
                                 precision, kv_precision, DEFAULT_MEMORY_FRACTION, efficiency, bandwidth_efficiency)
        out = []
        for b in batches:
            itl, tput, _ = continuous_point(p, b)
            out.append(BatchPoint(b, itl, tput))
        return out


def audit_row(ctx) -> dict | None:
    """The audit's batching line, for serving a Transformer: how many sequences fit (paged) vs the batch asked for."""
    if ctx.workload != "serving" or not hasattr(ctx.model, "kv_heads"):
        return None
    knobs = ctx.knobs or {}
    kwargs = {k: knobs[k] for k in ("prompt_tokens", "output_tokens", "block_size", "max_seq_len", "kv_precision") if k in knobs}
    r = ContinuousBatchingModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, **kwargs)
    fit = r.max_sequences_paged
    return {"wall": Wall.BATCHING, "figure": make(float(ctx.batch_size), "count"), "limit": make(float(fit), "count"),
            "binds": (not r.feasible) or r.bound is Wall.BATCHING,
            "note": f"{fit} sequences fit paged ({r.paged_waste_fraction or 0:.1%} waste) vs {r.max_sequences_contiguous} contiguous"
}
