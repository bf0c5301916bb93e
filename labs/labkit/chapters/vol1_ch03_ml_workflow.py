"""Questions, engine calls and chart of the ML-workflow lab (Volume I, chapter 3, ML Workflow).

One experiment is one training run: a model trained on a number of tokens on a cluster of H100s.
``ScalingModel.training_run`` gives its wall-clock time (``DistributedModel``'s step time for a
fixed layout, ``ReliabilityModel``'s goodput), its rental cost (``EconomicsModel``, at the hourly
rate the student sets) and its carbon (``SustainabilityModel``, on the registry cluster's grid and
PUE). Three limits end a project: the deadline, the budget and a carbon cap.
``kernels.experiments_within`` turns each limit into the runs it allows, ``kernels.complete_experiments``
into whole runs, and ``kernels.binding_limit`` names the one that allows fewest.

The chart's template is written here (``mlsysim.viz`` has no chart of runs against GPU count): a
Vega-Lite dict filled by ``viz.fill`` like viz's own, with the student's GPU count marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Fleets, Models, viz
from mlsysim.physics import kernels
from mlsysim.solvers.scaling import ScalingModel
from mlsysim.systems.types import Fleet
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question
# II.1's reference cluster, its curve of GPU counts (8 ... 16,384, one point per doubling) and its layouts
from .vol2_ch01_introduction import CURVE_GPUS, MAX_GPUS, PER_SERVER, REFERENCE_FLEET, gpus_used
from .vol2_ch01_introduction import LAYOUTS as CLUSTER_LAYOUTS
from .vol2_ch01_introduction import fleet as reference_fleet

MODELS = {"GPT-2 (1.5B)": "gpt2", "Llama-3-8B": "llama3_8b", "Llama-3-70B": "llama3_70b"}
# The layout held fixed while the cluster grows (one sequence per data-parallel replica): GPT-2 is
# data parallel with ZeRO-1; the 8B and 70B models are laid out as in II.1 (8B sharded with ZeRO-3,
# FSDP-style; 70B tensor parallel over the 8 GPUs of a server and data parallel across servers, ZeRO-1).
LAYOUTS = {"gpt2": {"zero_stage": 1}, **CLUSTER_LAYOUTS}
HOUR_S, DAY_S = 3600.0, 86400.0  # seconds per hour and per day, for display only
# the three limits, in the order a tie is broken, and how the page names them
LIMITS = ("time", "money", "carbon")
NAMES = {"time": "the deadline", "money": "the budget", "carbon": "the carbon cap"}
DEFAULTS = {"model": "llama3_8b", "tokens_b": 10, "gpus": 64, "days": 7, "budget_usd": 15000, "rate": 2.5,
            "carbon_t": 2.0}

_SCALING = ScalingModel()


def fleet(gpus: int) -> Fleet:
    """The registry's H100 cluster (server, fabric, site) with ``gpus`` // 8 servers (at least one):
    II.1's reference cluster, with its site for the carbon cap."""
    return reference_fleet(gpus, with_site=True)


@lru_cache(maxsize=1024)
def run(model: str, tokens_b: float, gpus: int):
    """The engine's training run: one experiment of ``model`` on ``tokens_b`` billion tokens on
    ``gpus`` H100s (wall-clock time with failures, energy, carbon on the cluster's grid)."""
    f = fleet(gpus)
    layout = LAYOUTS[model]
    replicas = f.total_accelerators // layout.get("tp_size", 1)
    return _SCALING.training_run(model, f, tokens=float(tokens_b) * 1e9, batch_size=replicas, parallelism=layout)


def rental(r, gpus: int, rate: float) -> float:
    """USD to rent ``gpus`` at ``rate`` USD per GPU-hour for run ``r``'s wall-clock time: the
    ``kernels.rental_cost`` that ``EconomicsModel`` uses for its cloud cost (the rate is kept out of
    the cached run, so a new rate re-solves nothing)."""
    return kernels.rental_cost(rate / HOUR_S, gpus, r._duration)


@dataclass(frozen=True)
class Project:
    """What the three limits allow for one experiment design: the run, the runs each limit allows
    (fractional), the whole runs, and the limit that binds."""

    run: object
    allowed: dict       # limit -> runs it allows (fractional)
    whole: dict         # limit -> whole runs
    binding: str        # the limit that allows fewest
    runs: int           # whole runs the project gets
    cost_usd: float     # one run's rental

    @property
    def feasible(self) -> bool:
        return self.run.feasible


def per_run(r, gpus: int, rate: float) -> dict:
    """One experiment's spend on each limit: seconds, USD, gCO2e (the result's SI floats)."""
    return {"time": r._duration, "money": rental(r, gpus, rate), "carbon": r._carbon}


def project(model: str, tokens_b: float, gpus: int, days: float, budget_usd: float, rate: float,
            carbon_t: float) -> Project:
    """The runs a project of ``days``, ``budget_usd`` and ``carbon_t`` tonnes CO2e gets."""
    n = gpus_used(gpus)
    r = run(model, tokens_b, n)
    if not r.feasible:
        return Project(r, {}, {}, "", 0, 0.0)
    limits = {"time": days * DAY_S, "money": float(budget_usd), "carbon": carbon_t * 1e6}
    cost = per_run(r, n, rate)
    allowed = {k: kernels.experiments_within(limits[k], cost[k]) for k in LIMITS}
    whole = {k: kernels.complete_experiments(limits[k], cost[k]) for k in LIMITS}
    binding = kernels.binding_limit(allowed)
    return Project(r, allowed, whole, binding, whole[binding], cost["money"])


def crossover_gpus(model: str, tokens_b: float, days: float, budget_usd: float, rate: float) -> int | None:
    """The fewest GPUs (whole servers) on which the deadline allows at least as many runs as the
    budget: from there on, more GPUs finish runs sooner but the money runs out first. Bisection over
    server counts (the deadline's allowance grows with the cluster, the budget's does not)."""
    def week_covers_budget(servers: int) -> bool:
        p = project(model, tokens_b, servers * PER_SERVER, days, budget_usd, rate, 1e9)
        return p.feasible and p.allowed["time"] >= p.allowed["money"]

    lo, hi = 1, MAX_GPUS // PER_SERVER
    if not week_covers_budget(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if week_covers_budget(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo * PER_SERVER


def rentable(budget_usd: float, rate: float, days: float) -> float:
    """GPUs the budget rents for the whole project (``kernels.accelerators_rentable``, B / (r T))."""
    return kernels.accelerators_rentable(float(budget_usd), rate / HOUR_S, days * DAY_S)


def full_run_share(model: str, tokens_b: float) -> dict | None:
    """An experiment's tokens as a percentage of the model's published training tokens (registry),
    and those tokens in words; None when the registry lists none."""
    full = Models.get(model)._si.get("training_tokens")
    if not full:
        return None
    words = f"{full / 1e12:,.3g} trillion" if full >= 1e12 else f"{full / 1e9:,.3g} billion"
    return {"percent": 100.0 * float(tokens_b) * 1e9 / full, "full": words}


def site_text() -> str:
    """The cluster's site as the registry gives it: grid, carbon intensity, PUE."""
    site = Fleets.get(REFERENCE_FLEET).datacenter
    grid = site.grid
    return (f"the registry's {site.name} on the {grid.name} grid, "
            f"{grid.carbon_intensity.to('gCO2e/kWh').magnitude:g} gCO2e/kWh, PUE {site.pue:g}")


# --- the chart: runs each limit allows against GPU count (log, log), the student's count marked ------
SERIES = [NAMES[k] for k in LIMITS]
_COLOURS = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"]]
_X = {"field": "gpus", "type": "quantitative", "title": "GPUs (log scale)",
      "scale": {"type": "log", "base": 2, "nice": False}, "axis": {"format": "~s", "values": CURVE_GPUS[::2]}}
_Y = {"field": "runs", "type": "quantitative", "title": "Runs allowed (log scale)",
      "scale": {"type": "log"}, "axis": {"format": "~g"}}
TEMPLATE = {
    **lab_frame(300, legend={"columns": 3}),
    "layer": [
        {"data": {"name": "curves"}, "mark": {"type": "line", "point": True, "strokeWidth": 2},
         "encoding": {"x": _X, "y": _Y, "color": {"field": "limit", "type": "nominal", "title": None,
                                                  "scale": {"domain": SERIES, "range": _COLOURS}}}},
        {"data": {"name": "yours"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "gpus", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 160,
                                             "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "y": {"field": "runs", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "text", "align": "left", "dx": 8, "dy": -10,
                                             "color": PALETTE["vermillion"], "fontWeight": "bold"},
         "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "y": {"field": "runs", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def curve_rows(model: str, tokens_b: float, days: float, budget_usd: float, rate: float, carbon_t: float) -> list[dict]:
    """Runs each limit allows at every curve GPU count on which the model fits."""
    rows = []
    for n in CURVE_GPUS:
        p = project(model, tokens_b, n, days, budget_usd, rate, carbon_t)
        if p.feasible:
            rows += [{"gpus": n, "limit": NAMES[k], "runs": p.allowed[k]} for k in LIMITS]
    return rows


def chart(model: str, tokens_b: float, gpus: int, days: float, budget_usd: float, rate: float,
          carbon_t: float) -> viz.Chart:
    """Runs allowed by the deadline, the budget and the carbon cap against GPU count; the binding
    limit at the student's GPU count marked."""
    rows = curve_rows(model, tokens_b, days, budget_usd, rate, carbon_t)
    n = gpus_used(gpus)
    p = project(model, tokens_b, n, days, budget_usd, rate, carbon_t)
    name = Models.get(model).name
    if p.feasible:
        yours = [{"gpus": n, "runs": p.allowed[p.binding], "label": f"{NAMES[p.binding]}: {p.runs} runs"}]
        summary = (f"Runs of {name} on {tokens_b:g} B tokens allowed by the deadline, the budget and the carbon cap "
                   f"against GPU count; at your {n:,} GPUs {NAMES[p.binding]} binds first, at {p.runs} whole runs.")
    else:
        yours = []
        summary = f"{name} does not fit on {n:,} GPUs with this layout; the curves start where it fits."
    # right of the middle, the label goes to the left of the mark (it would be clipped at the edge)
    right = n > CURVE_GPUS[len(CURVE_GPUS) // 2]
    settings = {"layer.3.mark.align": "right", "layer.3.mark.dx": -8} if right else None
    datasets = {"curves": rows, "yours": yours}
    spec = viz.fill(TEMPLATE, datasets, title="Runs each limit allows", settings=settings)
    return viz.Chart(spec, datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _name(model="llama3_8b", **_) -> dict:
    return {"model_name": Models.get(model).name}


def time_runs(gpus, tokens_b, days, model="llama3_8b") -> float:
    return project(model, tokens_b, gpus, days, 1e12, 1.0, 1e9).whole["time"]


def money_runs(gpus, tokens_b, budget_usd, rate, model="llama3_8b") -> float:
    return project(model, tokens_b, gpus, 1e6, budget_usd, rate, 1e9).whole["money"]


def _time_math(gpus, tokens_b, days, model="llama3_8b") -> str:
    r = run(model, tokens_b, gpus_used(gpus))
    h = r.duration.to("hour").magnitude
    return (f"one run = {r.training_compute.to('flop').magnitude:.3g} FLOP at the cluster's step rate, with goodput "
            f"{r.goodput:.3f}: **{h:.4g} h**; runs = floor({days} × 24 h ÷ {h:.4g} h) = "
            f"floor({days * 24 / h:.4g}) = **{time_runs(gpus, tokens_b, days, model)}**.")


def _money_math(gpus, tokens_b, budget_usd, rate, model="llama3_8b") -> str:
    r = run(model, tokens_b, gpus_used(gpus))
    c = project(model, tokens_b, gpus, 1e6, budget_usd, rate, 1e9).cost_usd
    return (f"one run = {rate} USD/GPU-h × {gpus_used(gpus):,} GPUs × {r.duration.to('hour').magnitude:.4g} h = "
            f"**{c:,.0f} USD**; runs = floor({budget_usd:,} ÷ {c:,.0f}) = **{money_runs(gpus, tokens_b, budget_usd, rate, model)}**.")


def _crossover_math(tokens_b, days, budget_usd, rate, model="llama3_8b") -> str:
    n = crossover_gpus(model, tokens_b, days, budget_usd, rate)
    return (f"the deadline allows T ÷ t runs and the budget B ÷ (r N t): the run time t cancels (failures too), so the budget "
            f"binds once N × r × T > B, i.e. N > {budget_usd:,} ÷ ({rate} × {days} × 24) = "
            f"{rentable(budget_usd, rate, days):.4g} GPUs, whatever the model and the tokens; in whole servers of "
            f"{PER_SERVER}: **{n} GPUs**.")


_TOKENS = [5, 10, 20, 40]
QUESTIONS = [
    Question(
        id="week_runs",
        prompt=("A team trains **Llama-3-8B** on **{tokens_b} billion tokens** per experiment, on **{gpus} H100s**, "
                "one experiment after another. How many **complete** experiments fit in **{days} days**?"),
        variants={"gpus": [16, 32, 64, 128, 256], "tokens_b": _TOKENS, "days": [5, 7, 14]},
        answer=lambda gpus, tokens_b, days: time_runs(gpus, tokens_b, days),
        tolerance=0.01, unit="runs",
        hint="Set the controls, read one run's wall-clock time, divide the project's length by it and round down.",
        math=_time_math,
    ),
    Question(
        id="budget_runs",
        prompt=("Each experiment trains **Llama-3-8B** on **{tokens_b} billion tokens** on **{gpus} H100s** rented at "
                "**{rate} USD per GPU-hour**. How many **complete** experiments does **{budget_usd:,} USD** buy?"),
        variants={"gpus": [16, 32, 64, 128, 256], "tokens_b": _TOKENS, "budget_usd": [5000, 10000, 20000, 50000],
                  "rate": [2.0, 2.5, 3.0, 4.0]},
        answer=lambda gpus, tokens_b, budget_usd, rate: money_runs(gpus, tokens_b, budget_usd, rate),
        tolerance=0.01, unit="runs",
        hint="One run costs rate × GPUs × its wall-clock hours; divide the budget by it and round down.",
        math=_money_math,
    ),
    Question(
        id="crossover",
        prompt=("Llama-3-8B experiments of **{tokens_b} billion tokens**, a **{days}-day** project, **{budget_usd:,} USD** "
                "at **{rate} USD per GPU-hour**, no carbon cap. From how many **GPUs** (whole 8-GPU servers) on does "
                "the budget, not the deadline, end the project?"),
        variants={"tokens_b": _TOKENS, "days": [5, 7, 14], "budget_usd": [10000, 20000, 50000],
                  "rate": [2.0, 2.5, 3.0, 4.0]},
        answer=lambda tokens_b, days, budget_usd, rate: crossover_gpus("llama3_8b", tokens_b, days, budget_usd, rate),
        tolerance=0.01, unit="GPUs",
        hint="Raise the GPU count until the binding limit changes; or compare what the GPUs cost for the whole project with the budget.",
        math=_crossover_math,
    ),
]


def _default_binding() -> str:
    d = DEFAULTS
    p = project(d["model"], d["tokens_b"], d["gpus"], d["days"], d["budget_usd"], d["rate"], d["carbon_t"])
    return NAMES[p.binding]


PREDICTIONS = [
    Prediction(
        id="binding",
        prompt=("A team has **one week**, **64 H100s** rented at 2.5 USD per GPU-hour, **15,000 USD** and a carbon "
                "allowance of **2 tonnes CO2e** to run Llama-3-8B experiments of 10 billion tokens each, one after "
                "another. Which limit ends the project first?"),
        options=[NAMES[k] for k in LIMITS],
        truth=_default_binding,
    ),
]
