"""The Safety wall: what privacy (DP-SGD) and robustness (PGD adversarial training) cost.

  per-example gradients = batch x parameters x bytes          (Abadi et al. 2016, Alg. 1)
  DP-SGD step           = plain step x measured slowdown       (Rodriguez Beltran et al. 2024: 2.6-8x naive Opacus)
  adversarial step      = plain step x (k + 1), k PGD steps    (Madry et al. 2018)
  both                  = plain step x (k + slowdown)          (the k PGD passes need no per-example gradients)
  epsilon               = min_alpha T x RDP_alpha(q, sigma) + log(1/delta) / (alpha - 1)
                                                                (Mironov 2017; Mironov, Talwar & Zhang 2019)

The plain training step comes from ``SingleNodeModel`` (forward + backward on one accelerator).
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..wall_registry import DPOverheads
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs
from .contract import floats, plan
from .defaults import DEFAULT_EFFICIENCY
from .single_node import SingleNodeModel

# delta of the (epsilon, delta) guarantee when none is given: 1e-5, the value of
# Abadi et al. 2016 (Sec. 5, MNIST and CIFAR-10) and of the TF-Privacy and Opacus
# tutorials; the usual rule is delta below 1 / dataset size (60,000 for MNIST).
DEFAULT_DELTA = 1e-5


@plan
class SafetyPlan:
    base_step: float  # s, plain training step
    base_footprint: float  # bytes
    capacity: float  # bytes
    parameters: float
    grad_bytes: float  # bytes per gradient value
    batch: int
    dp: bool
    slowdown_min: float
    slowdown_max: float
    pgd_steps: int
    noise_multiplier: float  # 0 = no accounting
    sample_rate: float
    steps: int
    delta: float
    epsilon_budget: float  # 0 = none


@floats
class SafetyFloats:
    baseline_step_time: float
    step_time: float
    step_time_worst: float
    compute_factor: float
    per_example_gradient_memory: float
    memory_footprint: float
    epsilon: float  # 0 when not accounted
    best_order: int
    training_time: float  # steps x step_time (0 when steps unknown)


def evaluate(p: SafetyPlan) -> SafetyFloats:
    """The float function: step times, memory and epsilon from the plan."""
    s_min = p.slowdown_min if p.dp else 1.0
    s_max = p.slowdown_max if p.dp else 1.0
    k = p.pgd_steps
    # k PGD passes at the plain cost, then one (DP-)SGD pass: (k + s) x plain; k = 0, s = 1 is plain training
    factor = kernels.adversarial_training_factor(k) - 1.0 + s_min
    extra = kernels.per_example_gradient_bytes(p.batch, p.parameters, p.grad_bytes) if p.dp else 0.0
    eps, order = (0.0, 0)
    if p.noise_multiplier > 0:
        eps, order = kernels.dp_sgd_epsilon(p.sample_rate, p.noise_multiplier, p.steps, p.delta)
    step = p.base_step * factor
    return SafetyFloats(
        baseline_step_time=p.base_step, step_time=step, step_time_worst=p.base_step * (k + s_max), compute_factor=factor,
        per_example_gradient_memory=extra, memory_footprint=p.base_footprint + extra, epsilon=eps, best_order=order,
        training_time=step * p.steps,
    )


class SafetyResult(Result):
    """The price of privacy and robustness: step time, memory and the privacy budget."""

    _plain_names = ("model", "hardware", "batch_size", "dp", "dp_implementation", "pgd_steps", "compute_factor",
                    "epsilon", "delta", "best_order", "noise_multiplier", "sample_rate", "steps",
                    "bound", "feasible", "reason", "assumptions")

    baseline_step_time = quantity("time", "ms", "plain training step (SingleNodeModel, forward + backward)")
    step_time = quantity("time", "ms", "step with DP-SGD and/or PGD, at the measured slowdown's low end")
    step_time_worst = quantity("time", "ms", "the same at the measured slowdown's high end")
    per_example_gradient_memory = quantity("bytes", "GB", "batch x parameters x bytes (0 without DP)")
    memory_footprint = quantity("bytes", "GB", "plain training footprint + per-example gradients")
    memory_capacity = quantity("bytes", "GB")
    training_time = quantity("time", "hour", "steps x step_time (None when no step count is given)")


def _steps(steps, epochs, q: float) -> int:
    if steps is not None:
        return checks.positive_int(steps, "steps")
    e = checks.positive(epochs, "epochs")
    if e / q > checks.MAX_INT:  # T = epochs / q must be a countable number of steps, like ``steps``
        raise InputError("epochs", epochs, f"at most {checks.MAX_INT * q:.4g} epochs here (epochs / q = steps <= {checks.MAX_INT:.0e})")
    return max(int(e / q), 1)  # TF-Privacy's tutorials: epochs x N // batch


class ResponsibleEngineeringModel:
    """DP-SGD and adversarial training on one accelerator: their compute, memory and epsilon."""

    def solve(self, model, hardware, batch_size: int = 256, precision: str = "fp32", efficiency: float = DEFAULT_EFFICIENCY,
              dp: bool = True, dp_implementation: str = "opacus", noise_multiplier: float | None = None,
              sample_rate: float | None = None, dataset_size: int | None = None, steps: int | None = None,
              epochs: float | None = None, delta: float = DEFAULT_DELTA, pgd_steps: int = 0,
              epsilon_budget: float | None = None) -> SafetyResult:
        """``noise_multiplier`` with ``sample_rate`` (or ``dataset_size``: q = batch / N) and ``steps`` (or
        ``epochs``: T = epochs / q) turns on the privacy accountant."""
        batch = checks.positive_int(batch_size, "batch_size")
        dp = checks.boolean(dp, "dp")
        impl = DPOverheads.get(checks.choice(dp_implementation, "dp_implementation", [e.key for e in DPOverheads]))
        k = checks.nonneg_int(pgd_steps, "pgd_steps", maximum=1000)
        sigma = q = 0.0
        t = 0
        d = checks.dp_delta(delta)
        if noise_multiplier is not None:
            if not dp:
                raise InputError("noise_multiplier", noise_multiplier, "None when dp=False (no noise, no privacy budget)")
            sigma = checks.noise_multiplier(noise_multiplier)
            if sample_rate is not None:
                q = checks.fraction(sample_rate, "sample_rate")
            elif dataset_size is not None:
                n = checks.positive_int(dataset_size, "dataset_size")
                if n < batch:
                    raise InputError("dataset_size", dataset_size, f"at least batch_size ({batch}) examples: q = batch_size / dataset_size <= 1")
                q = batch / n
            else:
                raise InputError("sample_rate", None, "a sampling rate q in (0, 1], or a dataset_size (q = batch_size / dataset_size)")
            if steps is None and epochs is None:
                raise InputError("steps", None, "a number of steps T, or epochs (T = epochs / q)")
            t = _steps(steps, epochs, q)
        elif steps is not None:
            t = checks.positive_int(steps, "steps")
        budget = 0.0 if epsilon_budget is None else checks.positive(epsilon_budget, "epsilon_budget")
        base = SingleNodeModel().solve(model, hardware, batch_size=batch, precision=precision, efficiency=efficiency, is_training=True)
        m = _inputs.workload(model)
        hw = _inputs.hardware(hardware)
        p = SafetyPlan(base._latency, base._memory_footprint, base._memory_capacity, m._si["parameters"],
                       bytes_per_value(base.precision), batch, dp, impl.slowdown_min, impl.slowdown_max, k,
                       sigma, q, t, d, budget)
        out = evaluate(p)
        reason = ""
        if base.compute_precision is None:
            reason = base.reason
        elif out.memory_footprint > p.capacity:
            reason = (f"plain training {p.base_footprint / 1e9:.4g} GB + per-example gradients "
                      f"{out.per_example_gradient_memory / 1e9:.4g} GB exceed {hw.name}'s {p.capacity / 1e9:.4g} GB")
        fits = not reason
        if fits and budget and out.epsilon > budget:
            reason = f"epsilon {out.epsilon:.3g} exceeds the budget {budget:g} at delta={d:g}"
        assumptions = [
            f"plain step from SingleNodeModel (training, efficiency={base.efficiency:g})",
            f"DP-SGD slowdown {impl.slowdown_min:g}-{impl.slowdown_max:g}x ({impl.name}, measured); step_time uses the low end" if dp else "no DP-SGD",
            "per-example gradients held for the whole batch at once, in the training precision" if dp else "",
        ]
        if k:
            assumptions.append(f"{k} PGD steps, each one forward + backward pass to the input at the plain cost (Madry et al. 2018)")
        if sigma:
            assumptions.append(f"RDP accountant, Poisson sampling q={q:.4g}, integer orders 2-256, delta={d:g}")
        result = SafetyResult.view(
            out, model=m.name, hardware=hw.name, batch_size=batch, dp=dp, dp_implementation=impl.key if dp else None,
            pgd_steps=k, compute_factor=out.compute_factor, epsilon=out.epsilon if sigma else None, delta=d if sigma else None,
            best_order=out.best_order if sigma else None, noise_multiplier=sigma or None, sample_rate=q or None, steps=t or None,
            bound=Wall.SAFETY if fits else Wall.CAPACITY, feasible=not reason, reason=reason,
            assumptions=[a for a in assumptions if a], _memory_capacity=p.capacity,
        )
        if not t:
            result._training_time = None  # no step count given: unknown, not zero
        if base.compute_precision is None:  # no arithmetic in the precision: no times
            for name in ("baseline_step_time", "step_time", "step_time_worst", "training_time"):
                setattr(result, "_" + name, None)
        return result


def audit_row(ctx) -> dict | None:
    """The Safety line of an audit: applies when the knobs ask for DP-SGD or adversarial training."""
    knobs = getattr(ctx, "knobs", None) or {}
    wanted = {"noise_multiplier", "pgd_steps", "dp", "dp_implementation", "epsilon_budget"}
    if not wanted & set(knobs) or getattr(ctx, "workload", None) != "training":
        return None
    args = {k: v for k, v in knobs.items() if k in wanted | {"sample_rate", "dataset_size", "steps", "epochs", "delta"}}
    r = ResponsibleEngineeringModel().solve(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision, **args)
    note = f"x{r.compute_factor:.3g} step time"
    if r.epsilon is not None:
        note += f", epsilon {r.epsilon:.3g} at delta {r.delta:g}"
    if r.reason:
        note += f"; {r.reason}"
    return {"wall": Wall.SAFETY, "figure": r.step_time, "limit": make(r._baseline_step_time, "time"),
            "binds": (not r.feasible) or r.compute_factor >= 2.0, "note": note}
