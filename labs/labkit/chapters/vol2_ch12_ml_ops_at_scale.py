"""Questions, engine calls and chart of the silent-fleet lab (Volume II, chapter 12, ML Operations at Scale).

Silent data corruption (SDC): a part computes a wrong value and reports nothing. The published
counts are registry data (``mlsysim.wall_registry.SDCRates``, each with its source): Llama 3's
6 SDC interruptions in 54 days on 16,384 H100s (a rate per GPU-day, measured) and Meta's fleet
testing, about 1 in 1,000 machines with a silent-error defect (a prevalence, an estimate). The
kernels turn them into what a job sees: ``kernels.expected_poisson_events`` and
``kernels.poisson_at_least_one`` for a rate, ``kernels.expected_defective`` and
``kernels.binomial_at_least_one`` for a prevalence, and ``kernels.silent_check_loss_fraction`` /
``kernels.best_silent_check_interval`` for what periodic checks cost.

The chart's template is written here (``mlsysim.viz`` has no chart against fleet size): a
Vega-Lite dict filled by ``viz.fill`` like viz's own, with the student's job marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlsysim import Fleets, viz
from mlsysim.physics import kernels
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame
from mlsysim.wall_registry import SDCRates

from ..questions import Prediction, Question

PER_SERVER = Fleets.get("frontier8k").node.accelerators_per_node  # GPUs per machine (registry H100 server)
SOURCES = {"Llama 3 training (rate per GPU-day)": "llama3_405b", "Meta fleet (1 in 1,000 machines)": "meta_fleet"}
SHORT = {"llama3_405b": "Llama 3 rate", "meta_fleet": "Meta prevalence"}
MAX_GPUS = 131072
CURVE_GPUS = [PER_SERVER * 2**i for i in range(15)]  # 8 ... 131,072: one point per doubling
HOUR_S, DAY_S, MINUTE_S = 3600.0, 86400.0, 60.0  # seconds, for unit conversion only
DEFAULTS = {"source": "llama3_405b", "gpus": 4096, "days": 30, "check_min": 2.0, "interval_h": 12.0}


def machines(gpus: int) -> int:
    """Servers of 8 GPUs that hold ``gpus`` (a part server counts as one)."""
    return -(-int(gpus) // PER_SERVER)


@dataclass(frozen=True)
class Exposure:
    """What a job of ``gpus`` for ``days`` sees under one source: the expected count (corruptions for
    a rate, defective machines for a prevalence) and the chance of at least one."""

    source: str
    basis: str
    gpus: int
    days: float
    rate: float | None          # per GPU-day (basis "events")
    prevalence: float | None    # fraction of machines (basis "prevalence")
    expected: float
    at_least_one: float


def exposure(source: str, gpus: int, days: float) -> Exposure:
    s = SDCRates.get(source)
    if s.basis == "events":
        rate = kernels.event_rate_per_device_day(s.events, s.devices, s.observed_days)
        mu = kernels.expected_poisson_events(rate, gpus, days)
        return Exposure(source, s.basis, int(gpus), days, rate, None, mu, kernels.poisson_at_least_one(mu))
    p = s.events / s.devices  # the published fraction, as the paper gives it (1 of 1,000)
    m = machines(gpus)
    return Exposure(source, s.basis, int(gpus), days, None, p, kernels.expected_defective(p, m),
                    kernels.binomial_at_least_one(p, m))


@dataclass(frozen=True)
class Detection:
    """Periodic checks every ``interval_h`` hours of ``check_min`` minutes each: the share of the job
    spent checking, the share rolled back, their total, and the interval that loses least."""

    overhead: float
    rework: float
    total: float
    best_interval_h: float
    best_total: float
    per_interval: float  # expected corruptions per interval (the first-order model wants << 1)


def detection(e: Exposure, check_min: float, interval_h: float) -> Detection:
    c, tau, d = check_min * MINUTE_S, interval_h * HOUR_S, e.days * DAY_S
    overhead = kernels.silent_check_loss_fraction(c, tau, 0.0, d)
    total = kernels.silent_check_loss_fraction(c, tau, e.expected, d)
    best = kernels.best_silent_check_interval(c, e.expected, d)
    best_total = kernels.silent_check_loss_fraction(c, best, e.expected, d) if math.isfinite(best) else 0.0
    return Detection(overhead, total - overhead, total, best / HOUR_S, best_total,
                     kernels.expected_poisson_events(e.expected / d, 1, tau))


def gpus_for_one(source: str, days: float) -> float:
    """The fleet size at which the job expects one corruption (or one defective machine)."""
    return 1.0 / exposure(source, PER_SERVER, days).expected * PER_SERVER


def chance_text(p: float) -> str:
    """A probability as a percentage that never rounds a near-certainty to 100 % or a tiny one to 0 %."""
    return "> 99.9 %" if p > 0.999 else f"{100 * p:.3g} %"


def days_text(days: float) -> str:
    return f"{days:g} day" + ("" if days == 1 else "s")


def gpu_days_per_event(source: str) -> float:
    """GPU-days per corruption at a rate source: 1 / lambda."""
    return 1.0 / exposure(source, 1, 1.0).expected


# --- the chart: expected corruptions per job against fleet size (log, log), the student's job marked ---
_X = {"field": "gpus", "type": "quantitative", "title": "GPUs in the job (log scale)",
      "scale": {"type": "log", "base": 2, "nice": False}, "axis": {"format": "~s", "values": CURVE_GPUS[::3]}}
_Y = {"field": "expected", "type": "quantitative", "title": "Expected per job (log scale)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
SERIES = [SHORT[k] for k in SOURCES.values()]
TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "one"}, "mark": {"type": "rule", "color": PALETTE["grey"], "strokeDash": [2, 2]},
         "encoding": {"y": {"field": "expected", "type": "quantitative"}}},
        {"data": {"name": "curves"}, "mark": {"type": "line", "point": True, "strokeWidth": 2},
         "encoding": {"x": _X, "y": _Y, "color": {"field": "source", "type": "nominal", "title": None,
                                                  "scale": {"domain": SERIES,
                                                            "range": [PALETTE["blue"], PALETTE["orange"]]}},
                      "strokeDash": {"field": "source", "type": "nominal", "legend": None,
                                     "scale": {"domain": SERIES, "range": [[1, 0], [6, 3]]}}}},
        {"data": {"name": "yours"}, "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 180,
                                             "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "y": {"field": "expected", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "text", "align": "left", "dx": 9, "dy": -10,
                                             "color": PALETTE["vermillion"], "fontWeight": "bold"},
         "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "y": {"field": "expected", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def chart(source: str, gpus: int, days: float) -> viz.Chart:
    """Expected corruptions (a rate) or defective machines (a prevalence) per job of ``days`` against
    the job's GPUs, for every source; the student's job marked on its source's line."""
    rows = [{"gpus": n, "source": SHORT[k], "expected": exposure(k, n, days).expected}
            for k in SOURCES.values() for n in CURVE_GPUS]
    mine = exposure(source, gpus, days)
    yours = [{"gpus": int(gpus), "expected": mine.expected, "label": f"yours: {fmt(mine.expected)}"}]
    right = gpus > CURVE_GPUS[len(CURVE_GPUS) // 2]
    settings = {"layer.3.mark.align": "right", "layer.3.mark.dx": -9} if right else None
    datasets = {"curves": rows, "yours": yours, "one": [{"expected": 1.0}]}
    summary = (f"Expected silent corruptions per {days:g}-day job against its GPU count, for each published source; "
               f"your {int(gpus):,}-GPU job expects {fmt(mine.expected)} under the {SHORT[source]} and sees at least "
               f"one with probability {chance_text(mine.at_least_one)}.")
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=f"Silent corruptions per {days:g}-day job", settings=settings),
                     datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_JOBS = {"gpus": [1024, 2048, 4096, 8192, 16384, 32768], "days": [10, 30, 60, 90]}


def _rate_text() -> str:
    s = SDCRates.get("llama3_405b")
    return f"{s.events:g} silent corruptions in {s.observed_days:g} days on {s.devices:,.0f} GPUs"


def _expected_math(gpus, days, **_) -> str:
    e = exposure("llama3_405b", gpus, days)
    return (f"λ = {_rate_text()} = {e.rate:.4g} per GPU-day; μ = λ N T = {e.rate:.4g} × {gpus:,} × {days} = "
            f"**{e.expected:.4g}** (independent GPUs: their Poisson counts add).")


def _any_math(gpus, days, **_) -> str:
    e = exposure("llama3_405b", gpus, days)
    return f"μ = {e.expected:.4g}; P(at least one) = 1 − e^(−μ) = **{100 * e.at_least_one:.4g} %**."


def _interval_math(gpus, days, check_min) -> str:
    e = exposure("llama3_405b", gpus, days)
    best = detection(e, check_min, 1.0).best_interval_h
    return (f"τ* = √(c D ÷ μ) = √({check_min} min × {days} d ÷ {e.expected:.4g}) = **{best:.4g} h**: where the checks' "
            f"share c/τ equals the rework share μτ/D. μ grows with D, so τ* depends on the fleet, not the job's length.")


QUESTIONS = [
    Question(
        id="expected",
        prompt=("At Llama 3's measured rate (" + "{rate_text}" + "), how many silent corruptions does a job on "
                "**{gpus:,} GPUs** for **{days} days** expect?"),
        variants=_JOBS,
        answer=lambda gpus, days: exposure("llama3_405b", gpus, days).expected,
        describe=lambda **_: {"rate_text": _rate_text()},
        tolerance=0.03, unit="corruptions",
        hint="Turn the count into a rate per GPU-day, then multiply by the job's GPU-days.",
        math=_expected_math,
    ),
    Question(
        id="at_least_one",
        prompt=("Same rate: what is the chance, in **%**, that a job on **{gpus:,} GPUs** for **{days} days** sees "
                "at least one silent corruption?"),
        variants=_JOBS,
        answer=lambda gpus, days: 100.0 * exposure("llama3_405b", gpus, days).at_least_one,
        tolerance=0.03, unit="%",
        hint="A Poisson count of mean μ is zero with probability e^(−μ).",
        math=_any_math,
    ),
    Question(
        id="best_interval",
        prompt=("Same rate, a job on **{gpus:,} GPUs** for **{days} days**. A check for silent corruption takes "
                "**{check_min} minutes** of the job's time; a corruption it finds rolls the job back one whole "
                "interval. Which check interval, in **hours**, loses the least time?"),
        variants={**_JOBS, "check_min": [1, 2, 5, 10]},
        answer=lambda gpus, days, check_min: detection(exposure("llama3_405b", gpus, days), check_min, 1.0).best_interval_h,
        tolerance=0.03, unit="hours",
        hint="Minimise c/τ + μτ/D: the two parts are equal at the optimum.",
        math=_interval_math,
    ),
]

_BINS = ["under 3 %", "about 10 %", "about a half", "over 90 %"]


def _prediction_truth() -> str:
    p = exposure("llama3_405b", 4096, 30).at_least_one
    return _BINS[0] if p < 0.03 else _BINS[1] if p < 0.25 else _BINS[2] if p < 0.75 else _BINS[3]


PREDICTIONS = [
    Prediction(
        id="any_corruption",
        prompt=("Meta counted 6 silent data corruptions in 54 days of Llama 3 training on 16,384 GPUs. At that "
                "rate, what is the chance that a **30-day job on 4,096 GPUs** sees at least one?"),
        options=_BINS,
        truth=_prediction_truth,
    ),
]
