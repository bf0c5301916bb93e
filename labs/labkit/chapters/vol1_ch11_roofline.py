"""Questions of the roofline lab (Volume I, chapter 11, Hardware Acceleration).

Every expected answer is a call to the engine: the decode step of an LLM is one roofline solve
with ``seq_len=1`` (one new token per sequence in the batch).
"""

from __future__ import annotations

from mlsysim import Engine, Hardware

from ..questions import Prediction, Question

MODEL = "llama3_8b"
MAX_BATCH = 65536  # the lab's batch control reaches every batch size up to this


def decode(hw: str, batch: int, precision: str = "fp16", efficiency: float = 0.5):
    """One LLM decode step on the roofline (the engine's result)."""
    return Engine.solve(MODEL, hw, batch_size=batch, precision=precision, efficiency=efficiency, seq_len=1)


def first_compute_bound_batch(hw: str, efficiency: float, precision: str = "fp16") -> int:
    """The smallest batch whose decode step the engine calls compute bound (bisection: the bound
    flips once, from memory to compute, as the batch grows)."""
    lo, hi = 1, MAX_BATCH
    if _bound(decode(hw, hi, precision, efficiency)) != "compute":
        raise ValueError(f"{hw} at {precision} stays memory bound up to batch {MAX_BATCH}")
    while lo < hi:
        mid = (lo + hi) // 2
        if _bound(decode(hw, mid, precision, efficiency)) == "compute":
            hi = mid
        else:
            lo = mid + 1
    return lo


def _bound(result) -> str:
    """The result's bound as its plain word ('compute', 'memory', 'capacity'), whether the engine
    gives a string or a str Enum."""
    b = result.bound
    return str(getattr(b, "value", b))


def _hw_name(hw: str, **_) -> dict:
    return {"hw_name": Hardware.get(hw).name}


def _crossover_math(hw: str, efficiency: float) -> str:
    h = Hardware.get(hw)
    peak = h.peak_flops("fp16").to("flop/s").magnitude
    bw = h.memory.bandwidth.to("byte/s").magnitude
    b1 = decode(hw, 1, "fp16", efficiency).arithmetic_intensity.to("flop/byte").magnitude
    return (f"effective ridge = peak × efficiency ÷ bandwidth = {peak / 1e12:.4g} TFLOP/s × {efficiency:g} ÷ "
            f"{bw / 1e12:.4g} TB/s = **{peak * efficiency / bw:.4g} flop/byte**. A decode step at batch *b* does "
            f"about {b1:.3g} × *b* flop per byte (the weights are read once for the whole batch), so it turns "
            f"compute bound at *b* ≈ {peak * efficiency / bw / b1:.4g}; the engine's first compute-bound batch is "
            f"**{first_compute_bound_batch(hw, efficiency)}**.")


def _tokens_math(hw: str, batch: int) -> str:
    r = decode(hw, batch)
    return (f"time per step = max(compute, memory) + dispatch = max({r.compute_time.to('ms').magnitude:.3g} ms, "
            f"{r.memory_time.to('ms').magnitude:.3g} ms) + {r.dispatch_tax.to('ms').magnitude:.3g} ms = "
            f"{r.latency.to('ms').magnitude:.4g} ms; one token per sequence per step: {batch} ÷ "
            f"{r.latency.to('s').magnitude:.4g} s = **{r.throughput.to('1/s').magnitude:,.0f} tokens/s**.")


QUESTIONS = [
    Question(
        id="crossover",
        prompt=("On the **{hw_name}** at **fp16** and **{efficiency:.0%} compute efficiency**, decoding "
                "Llama-3-8B one token per sequence per step: from which batch size on is the step "
                "**compute bound**?"),
        variants={"hw": ["h100", "a100_80gb", "h200", "mi300x", "l4"], "efficiency": [0.4, 0.5, 0.6, 0.7]},
        answer=first_compute_bound_batch,
        tolerance=0.05,
        unit="sequences",
        describe=_hw_name,
        hint="The step turns compute bound where its arithmetic intensity reaches the *effective* ridge "
             "(peak × efficiency ÷ bandwidth); at batch b a decode step does about b flop per byte.",
        math=_crossover_math,
    ),
    Question(
        id="tokens_per_s",
        prompt=("At **batch {batch}** on the **{hw_name}** (fp16, 50 % compute efficiency), how many "
                "**tokens per second** does Llama-3-8B decode produce?"),
        variants={"hw": ["h100", "a100_80gb", "h200", "b200"], "batch": [1, 8, 32, 64]},
        answer=lambda hw, batch: decode(hw, batch).throughput.to("1/s").magnitude,
        tolerance=0.05,
        unit="tokens/s",
        describe=_hw_name,
        hint="Each step gives one token per sequence: tokens/s = batch ÷ time per step.",
        math=_tokens_math,
    ),
]

PREDICTIONS = [
    Prediction(
        id="decode_wall",
        prompt=("Llama-3-8B generates text one token at a time on an NVIDIA H100 (fp16, batch 1). "
                "Which limit sets the time per token?"),
        options=["memory bandwidth", "compute (FLOP/s)", "memory capacity (it does not fit)"],
        truth=lambda: {"memory": "memory bandwidth", "compute": "compute (FLOP/s)",
                       "capacity": "memory capacity (it does not fit)"}[_bound(decode("h100", 1))],
    ),
]
