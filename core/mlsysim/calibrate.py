"""Calibration: the efficiency one measurement determines, and how well it transfers.

    >>> from mlsysim import calibrate
    >>> p = calibrate.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb",
    ...                          "batch": 256, "precision": "fp16", "training": True,
    ...                          "measured": {"value": 2470, "unit": "1/s"}})
    >>> Engine.solve(..., efficiency=p.efficiency, bandwidth_efficiency=p.bandwidth_efficiency)

One measurement gives one equation, so it determines one parameter: the one
on the side of the iron law that binds, latency = max(ops / (peak x eff),
bytes / (bandwidth x bw_eff)) + tax (Williams et al. 2009). A compute-bound
case fixes the compute efficiency, a memory-bound one the bandwidth
efficiency; a network- or pipeline-bound training step fixes the compute
efficiency that, with the engine's communication model, reproduces the step
(its error absorbs the communication model's); an energy figure fixes the
utilisation. The other parameters keep their declared values; on a single
accelerator, one the profile does not declare stays the engine's own default (the
Software wall's tables for each kernel's size and precision), so a target with another
batch or precision gets the table's value for its own kernels, not the calibration case's.

The fit solves prediction(parameter) = measured by bisection on the logarithm
of the parameter in [1e-4, 1] with the engine's own solver as the function,
so it is exactly the inverse of what the engine predicts (for a compute-bound
single-accelerator case it converges to the closed form eff = compute time at
eff 1 / (measured latency - tax)). When no value in range reproduces the
measurement (a case faster than the roofline allows at 100%), the nearest
bound is returned and ``residual`` says how far off it stays.

``fit="framework_factor"`` (a single-accelerator case whose profile leaves the compute efficiency to the
engine, and which the compute side binds): the fit is a factor on the Software wall's GEMM table instead,
efficiency = factor x table(kernel size, precision) (``kernels.framework_scaled_efficiency``, the table
mode ServingModel's ``framework_factor`` has), and the memory side keeps its tables. One absolute
efficiency fitted on fp16 tensor-core work carries that fraction to fp32 CUDA-core work, and turns the
memory side to the datasheet bandwidth (a given efficiency ends the tables' defaults); the factor
carries only the framework's share of what the tables give, so another batch or precision gets its
own table value times the same factor. The transfer report uses it where it applies (``TRANSFER_FIT``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .core.errors import InputError
from .measurements import Case, find, make_case, predict, signed_error, single_node_result
from .solvers import _inputs
from .solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY, DEFAULT_UTILIZATION
from .solvers.single_node import GPU_TIERS

LOWEST = 1e-4  # the smallest efficiency the fit considers
ITERATIONS = 60  # halvings of log(1e4): the bracket shrinks to a ratio of 1e4 ** (2 ** -60), far below float noise
FITS = ("absolute", "framework_factor")  # what ``calibrate(fit=...)`` fits: one efficiency, or a factor on the tables


@dataclass(frozen=True)
class CalibratedProfile:
    """Efficiencies fitted to one measurement, usable as ``efficiency=p.efficiency, bandwidth_efficiency=p.bandwidth_efficiency``."""

    efficiency: float  # for a parameter in ``engine_defaults``: the value the engine's default took at the fitted case
    bandwidth_efficiency: float
    utilization: float
    parameter: str  # the one the measurement determined
    reason: str
    measured: float
    predicted: float  # the engine's value with the fitted profile
    residual: float  # (predicted - measured) / measured; 0 when the fit reproduces the measurement
    case_id: str
    engine_defaults: tuple[str, ...] = ()  # parameters left to the engine's size- and precision-dependent defaults
    framework_factor: float | None = None  # fit="framework_factor": the factor on the GEMM table (None otherwise)

    @property
    def value(self) -> float:
        """The fitted value of the determined parameter."""
        return getattr(self, self.parameter)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("efficiency", "bandwidth_efficiency", "utilization", "parameter", "reason",
                                               "measured", "predicted", "residual", "case_id", "framework_factor")}


def parameter_for(case: Case, bound: str) -> tuple[str, str]:
    """(the parameter a case of this kind and binding wall determines, why)."""
    if case.kind in ("energy", "carbon"):
        return "utilization", "energy and carbon scale with accelerator power, which the utilisation sets"
    if case.kind in ("fleet_mtbf", "job_mtti"):
        raise InputError("measurement.kind", case.kind, "a performance or energy measurement: a fleet MTBF depends on no efficiency")
    if bound == "memory":
        return "bandwidth_efficiency", "memory-bound at the declared profile: the time is bytes / (bandwidth x bandwidth efficiency)"
    if bound == "compute":
        return "efficiency", "compute-bound at the declared profile: the time is operations / (peak x efficiency)"
    if bound == "capacity":
        raise InputError("measurement", case.id, "a configuration that fits in memory (the engine finds it infeasible, so no efficiency explains it)")
    return "efficiency", f"{bound}-bound at the declared profile: the compute efficiency is the one parameter the step time takes"


def _solve(case: Case, parameter: str) -> tuple[float, float]:
    """(fitted value, predicted metric there): bisection on log(parameter) in [LOWEST, 1]."""

    def gap(x: float) -> float:
        return signed_error(predict(case.with_profile(**{parameter: x})).value, case.measured)

    lo, hi = math.log(LOWEST), 0.0
    g_lo, g_hi = gap(LOWEST), gap(1.0)
    if g_lo == 0.0:
        return LOWEST, case.measured
    if (g_lo > 0) == (g_hi > 0):  # no root in range: the nearer end
        x = LOWEST if abs(g_lo) < abs(g_hi) else 1.0
        return x, predict(case.with_profile(**{parameter: x})).value
    for _ in range(ITERATIONS):
        mid = 0.5 * (lo + hi)
        g = gap(math.exp(mid))
        if g == 0.0:
            lo = hi = mid
            break
        if (g > 0) == (g_lo > 0):
            lo, g_lo = mid, g
        else:
            hi = mid
    x = math.exp(0.5 * (lo + hi))
    return x, predict(case.with_profile(**{parameter: x})).value


def engine_values(case: Case, names: tuple[str, ...]) -> dict:
    """The efficiencies the single-node engine applied to ``case`` for the parameters ``names`` its profile
    leaves to the defaults (the Software wall's tables for its kernel sizes and precision)."""
    if not names:
        return {}
    r = single_node_result(case)  # the same solve as the case's prediction (its accumulation, mixed precision, ...)
    return {name: getattr(r, name) for name in names}


def factor_applies(case: Case, parameter: str, start: dict) -> bool:
    """Whether ``fit="framework_factor"`` can fit this case: a single-accelerator case on a part the GEMM tables
    describe, bound on the compute side, whose compute efficiency is left to the tables."""
    return (case.kind == "single_node" and parameter == "efficiency" and "efficiency" not in start
            and "bandwidth_efficiency" not in start and _inputs.hardware(case.config["hardware"]).tier in GPU_TIERS)


def calibrate(measurement, efficiency: float | None = None, bandwidth_efficiency: float | None = None,
              utilization: float | None = None, fit: str = "absolute") -> CalibratedProfile:
    """Fit the parameter one measurement determines; the others keep the given (or declared, or default) values.

    ``measurement``: a validation ``Case`` or a dict in the validation-file format. ``fit``: "absolute" (one
    efficiency) or "framework_factor" (a factor on the Software wall's GEMM table where ``factor_applies``;
    elsewhere the absolute fit).
    """
    if fit not in FITS:
        raise InputError("fit", fit, f"one of {', '.join(FITS)}")
    case = measurement if isinstance(measurement, Case) else make_case(measurement)
    if case.kind == "single_node":  # what the profile leaves out keeps the engine's size- and precision-dependent default
        start = dict(case.profile)
    else:
        start = {"efficiency": DEFAULT_EFFICIENCY, "bandwidth_efficiency": DEFAULT_BANDWIDTH_EFFICIENCY, "utilization": DEFAULT_UTILIZATION,
                 **case.profile}
    for name, given in (("efficiency", efficiency), ("bandwidth_efficiency", bandwidth_efficiency), ("utilization", utilization)):
        if given is not None:
            if isinstance(given, bool) or not isinstance(given, (int, float)) or not 0.0 < given <= 1.0:
                raise InputError(name, given, "a fraction in (0, 1]")
            start[name] = float(given)
    case = case.with_profile(**start)
    at_start = predict(case)
    parameter, why = parameter_for(case, at_start.bound)
    if fit == "framework_factor" and factor_applies(case, parameter, start):
        return _factor_fit(case, why)
    value, predicted = _solve(case, parameter)
    held = tuple(k for k in ("efficiency", "bandwidth_efficiency") if k != parameter and k not in start) if case.kind == "single_node" else ()
    fitted = {"utilization": DEFAULT_UTILIZATION, **start, parameter: value}
    fitted.update(engine_values(case.with_profile(**{parameter: value}), held))
    residual = signed_error(predicted, case.measured)
    reason = why + ("" if abs(residual) < 1e-6 else f"; no {parameter} in [{LOWEST:g}, 1] reproduces the measurement, the nearest leaves {100 * residual:+.1f}%")
    return CalibratedProfile(fitted["efficiency"], fitted["bandwidth_efficiency"], fitted["utilization"], parameter, reason,
                             case.measured, predicted, residual, case.id, held)


def _factor_fit(case: Case, why: str) -> CalibratedProfile:
    """``fit="framework_factor"``: the factor on the GEMM table that reproduces the case, the memory side on its tables."""
    factor, predicted = _solve(case, "framework_factor")
    fitted = single_node_result(case.with_profile(framework_factor=factor))  # the efficiencies the engine took there
    residual = signed_error(predicted, case.measured)
    reason = (why + f"; fitted as a factor on the Software wall's GEMM table ({factor:.4g} x the table's value at each "
              "case's kernel size and precision), the memory side on its tables")
    if abs(residual) >= 1e-6:
        reason += f"; no framework_factor in [{LOWEST:g}, 1] reproduces the measurement, the nearest leaves {100 * residual:+.1f}%"
    # the parameter determined is still the compute efficiency (its value at this case: the factor times the table)
    return CalibratedProfile(fitted.efficiency, fitted.bandwidth_efficiency, DEFAULT_UTILIZATION, "efficiency", reason,
                             case.measured, predicted, residual, case.id, ("efficiency", "bandwidth_efficiency"), factor)


# ---------------------------------------------------------------------------
# Transfer: calibrate on one case, predict others of the same workload
# ---------------------------------------------------------------------------

# What a transfer is expected to reach (issue 17's targets): calibrated on one measurement, the same
# workload on another batch size or precision within 10%, on another GPU generation within 20%.
# Other changes (sequence length, model size, scale) are shown with no target.
TRANSFER_TARGETS = {"batch or precision": 0.10, "GPU generation": 0.20}

# (case to calibrate on, [(case to predict, what differs from the calibration case, target class or None)])
TRANSFER_STUDIES = (
    ("rn50-train-a100-amp", (("rn50-train-a100-tf32", "precision (fp16 -> tf32)", "batch or precision"),
                             ("rn50-train-v100-amp", "GPU generation (A100 -> V100)", "GPU generation"),
                             ("rn50-train-v100-fp32", "generation and precision", None))),
    ("rn50-infer-v100-amp-b256", (("rn50-infer-v100-amp-b64", "batch (256 -> 64)", "batch or precision"),
                                  ("rn50-infer-v100-fp32-b256", "precision (fp16 -> fp32)", "batch or precision"),
                                  ("rn50-infer-t4-amp-b256", "GPU generation (V100 -> T4)", "GPU generation"))),
    ("bert-pretrain-v100-fp16-s128", (("bert-pretrain-v100-fp16-s512", "sequence length (128 -> 512) and batch", None),
                                      ("bert-pretrain-v100-fp32-s128", "precision (fp16 -> fp32)", "batch or precision"),
                                      ("bert-infer-v100-fp16-s512", "inference instead of training, sequence 512", None))),
    ("trtllm-ttft-h100-llama7b-in2048", (("trtllm-ttft-h100-llama7b-in128", "input length (2048 -> 128)", None),
                                         ("trtllm-ttft-a100-llama7b-in2048", "generation and precision (H100 fp8 -> A100 fp16)", None))),
    ("trtllm-tput-h100-llama7b-b768-128-128", (("trtllm-tput-h100-llama7b-b112-128-2048", "batch and output length", None),
                                               ("trtllm-tput-h100-llama7b-b48-2048-2048", "batch, input and output length", None),
                                               ("trtllm-tput-a100-llama7b-b384-128-128", "generation and precision (H100 fp8 -> A100 fp16)", None))),
    ("megatron-18b", (("megatron-1p7b", "model size (18.4B -> 1.7B), 32 GPUs", None),
                      ("megatron-146b", "model size (-> 145.6B), pipeline 8", None),
                      ("megatron-1t", "model size (-> 1T), 3072 GPUs", None),
                      ("megatron-175b-ptdp-1536", "GPT-3 175B, another layout", None))),
    ("llama3-405b-8k-gpus", (("llama3-405b-16k-gpus", "scale (8,192 -> 16,384 GPUs)", None),)),
)


@dataclass(frozen=True)
class TransferRow:
    """One prediction with a profile calibrated on another case."""

    calibrated_on: str
    parameter: str
    value: float
    residual: float
    target: str
    change: str
    measured: float
    default_error: float  # with the category's declared profile
    error: float  # with the calibrated profile
    target_class: str | None = None  # a key of TRANSFER_TARGETS, or None (no target for this change)
    framework_factor: float | None = None  # the fit's factor on the GEMM table (fit="framework_factor"), else None

    @property
    def target_error(self) -> float | None:
        """The |error| issue 17 expects for this kind of change (None: no target)."""
        return TRANSFER_TARGETS.get(self.target_class) if self.target_class else None

    @property
    def met(self) -> bool | None:
        """Whether the calibrated prediction is within the target (None when the change has none)."""
        return None if self.target_error is None else abs(self.error) <= self.target_error

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("calibrated_on", "parameter", "value", "residual", "target", "change",
                                              "measured", "default_error", "error", "target_class", "target_error", "met",
                                              "framework_factor")}
        return out


def calibrated_profile(fit: CalibratedProfile) -> dict:
    """The efficiencies a prediction with a calibrated profile uses (``Case.with_profile(**...)``); None for a
    parameter the fit left to the engine (``engine_defaults``): the target gets the Software wall's table value
    for its own kernel sizes and precision, not the calibration case's."""
    values = {"efficiency": fit.efficiency, "bandwidth_efficiency": fit.bandwidth_efficiency, "utilization": fit.utilization}
    out = {k: (None if k in fit.engine_defaults else v) for k, v in values.items()}
    if fit.framework_factor is not None:  # the tables on both sides, the GEMM table times the factor
        out["framework_factor"] = fit.framework_factor
    return out


def transfer(calibrate_on: Case, targets: list[tuple], fit: str = "absolute") -> list[TransferRow]:
    """Fit on ``calibrate_on``; predict each target with the calibrated profile.

    The calibrated profile is the fitted parameter together with the values the fit held the
    other parameters at (``CalibratedProfile``'s three fields), so a case transferred to itself
    reproduces its measurement (error = the fit's residual). Predicting with the fitted parameter
    alone would give a target whose profile declares nothing (the engine's size-dependent
    defaults) another value of the other parameter than the one the fit was made with.

    ``targets``: (case, what changes) or (case, what changes, target class of ``TRANSFER_TARGETS`` or None).
    ``fit``: as ``calibrate``'s.
    """
    fit = calibrate(calibrate_on, fit=fit)
    rows = []
    for entry in targets:
        target, change, target_class = (*entry, None)[:3]
        if target_class is not None and target_class not in TRANSFER_TARGETS:
            raise InputError("target_class", target_class, f"one of {', '.join(TRANSFER_TARGETS)} or None")
        declared = signed_error(predict(target).value, target.measured)
        tuned = predict(target.with_profile(**calibrated_profile(fit)))
        rows.append(TransferRow(calibrate_on.id, fit.parameter, fit.value, fit.residual, target.id, change, target.measured,
                                declared, signed_error(tuned.value, target.measured), target_class, fit.framework_factor))
    return rows


@dataclass(frozen=True)
class TransferSummary:
    """How many transfers of one target class reach issue 17's target, and their median |error|."""

    target_class: str
    target_error: float
    count: int
    met: int
    median: float
    worst: float


def summarise_transfers(rows: list[TransferRow]) -> list[TransferSummary]:
    """One summary per class of ``TRANSFER_TARGETS`` that has rows (in the table's order)."""
    out = []
    for name, limit in TRANSFER_TARGETS.items():
        errs = sorted(abs(r.error) for r in rows if r.target_class == name)
        if not errs:
            continue
        n = len(errs)
        med = errs[n // 2] if n % 2 else 0.5 * (errs[n // 2 - 1] + errs[n // 2])
        out.append(TransferSummary(name, limit, n, sum(e <= limit for e in errs), med, errs[-1]))
    return out


# What the transfer report fits: a factor on the engine's tables wherever it applies (``factor_applies``), so
# a change of batch, sequence or precision keeps the tables' shape; elsewhere the one absolute efficiency.
TRANSFER_FIT = "framework_factor"


def transfer_report(cases: list[Case], fit: str = TRANSFER_FIT) -> list[TransferRow]:
    """Every study of ``TRANSFER_STUDIES`` run on the given cases (``fit``: as ``calibrate``'s)."""
    rows = []
    for source_id, targets in TRANSFER_STUDIES:
        rows += transfer(find(source_id, cases), [(find(t, cases), change, cls) for t, change, cls in targets], fit)
    return rows
