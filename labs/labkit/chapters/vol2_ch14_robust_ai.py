"""Questions, costs and chart of the robust-AI lab (Volume II, chapter 14).

The robustness budget: adversarial training multiplies the compute (k PGD steps: k + 1 passes,
``ResponsibleEngineeringModel``), and modular redundancy multiplies the hardware (each replica a
whole copy of the job). Every number is the engine's or the registry's: the run's wall time from
``ResponsibleEngineeringModel``, its dollars from ``EconomicsModel`` (owning the fleet for that
time), the silent-corruption rate from Llama 3's published count (``SDCRates``, the one II.12 uses), what dual and
triple redundancy do with it (kernels), and the robust accuracy only where a paper reports it
(``AdversarialResults``: Madry et al. 2018 on CIFAR-10, for 0 and 7 PGD steps). The chart's
template is written here (``mlsysim.viz`` has no cost-against-robustness chart).
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import EconomicsModel, Models, ResponsibleEngineeringModel, viz
from mlsysim.physics import kernels
from mlsysim.viz.template import PALETTE, lab_frame
from mlsysim.physics import formulas
from mlsysim.wall_registry import AdversarialResults, SDCRates

from ..questions import Prediction, Question

HARDWARE = "h100"
BATCH = 256  # per GPU
PRECISION = "bf16"
STEPS = 20000  # optimizer steps of the run, on every GPU (data parallel, communication left out)
MODELS = ["resnet50", "mobilenetv2", "alexnet"]
SCHEMES = {"none": 1, "dual": 2, "triple": 3}  # replicas of the whole job
SCHEME_NAMES = {"none": "no redundancy", "dual": "dual (compare)", "triple": "triple (vote)"}
MAX_PGD = 20
MAX_GPUS = 16384
HOUR = 3600.0  # seconds per hour, for display only

_SAFETY, _ECON = ResponsibleEngineeringModel(), EconomicsModel()
_SDC = SDCRates.get("llama3_405b")
SDC_RATE = formulas.calc_event_rate(_SDC.events, _SDC.devices, f"{_SDC.observed_days} day").to("1/s").magnitude  # per GPU-second
PUBLISHED = sorted(AdversarialResults, key=lambda r: r.train_pgd_steps)


@lru_cache(maxsize=128)
def run(model: str, pgd_steps: int):
    """The engine's safety result: ``model`` trained STEPS steps with ``pgd_steps`` PGD steps (no DP)."""
    return _SAFETY.solve(model, HARDWARE, batch_size=BATCH, precision=PRECISION, dp=False,
                         pgd_steps=int(pgd_steps), steps=STEPS)


def wall_seconds(model: str, pgd_steps: int) -> float:
    return run(model, pgd_steps).training_time.to("s").magnitude


def gpu_hours(model: str, pgd_steps: int, gpus: int, scheme: str) -> float:
    """GPU-hours of the run on ``gpus`` GPUs, times the scheme's replicas."""
    return kernels.replicated_accelerator_time(wall_seconds(model, pgd_steps), gpus, SCHEMES[scheme]) / HOUR


@lru_cache(maxsize=512)
def dollars(model: str, pgd_steps: int, gpus: int, scheme: str) -> float:
    """What owning the fleet (every replica) costs for the run's wall time (EconomicsModel's TCO)."""
    n = int(gpus) * SCHEMES[scheme]
    return _ECON.solve(HARDWARE, f"{wall_seconds(model, pgd_steps)} s", count=n).tco.to("USD").magnitude


def corruption_probability(model: str, pgd_steps: int, gpus: int) -> float:
    """Probability one replica of the run meets at least one silent data corruption."""
    return kernels.poisson_at_least_one(SDC_RATE * kernels.replicated_accelerator_time(
        wall_seconds(model, pgd_steps), gpus))


def silent_error_probability(model: str, pgd_steps: int, gpus: int, scheme: str) -> float:
    """Probability the run ends with a wrong result nobody noticed: p without redundancy; 0 with a
    compared pair (a mismatch is caught; two replicas corrupting identically is taken as impossible);
    3p^2 - 2p^3 with a majority vote (two of three wrong)."""
    p = corruption_probability(model, pgd_steps, gpus)
    if scheme == "none":
        return p
    if scheme == "dual":
        return 0.0
    return kernels.triple_redundancy_failure_probability(p)


def rerun_probability(model: str, pgd_steps: int, gpus: int, scheme: str) -> float:
    """Probability the work is redone: a compared pair disagrees, 1 - (1 - p)^2; otherwise 0."""
    if scheme != "dual":
        return 0.0
    return kernels.dual_redundancy_rerun_probability(corruption_probability(model, pgd_steps, gpus))


def cost_multiple(model: str, pgd_steps: int, gpus: int, scheme: str) -> float:
    """How many times standard training without redundancy the run costs."""
    return dollars(model, pgd_steps, gpus, scheme) / dollars(model, 0, gpus, "none")


def published(pgd_steps: int):
    """The registry's published result for this many PGD training steps, or None."""
    return next((r for r in PUBLISHED if r.train_pgd_steps == int(pgd_steps)), None)


# The chart: cost ($) against robust accuracy (%) for the published step counts, one point per
# redundancy scheme; the student's cost as a dashed line.
_COLOUR = {"field": "scheme", "type": "nominal", "title": None,
           "scale": {"domain": list(SCHEME_NAMES.values()), "range": [PALETTE["blue"], PALETTE["orange"], PALETTE["green"]]}}
TEMPLATE = {
    **lab_frame(280, legend={"columns": 2}),
    "layer": [
        {"data": {"name": "points"}, "mark": {"type": "line", "strokeDash": [2, 2], "opacity": 0.5},
         "encoding": {"x": {"field": "robust", "type": "quantitative", "title": "Robust accuracy, CIFAR-10 (%)",
                            "scale": {"domain": [0, 60]}},
                      "y": {"field": "cost", "type": "quantitative", "title": "Cost of the run (USD)", "axis": {"format": ",.0f"},
                            "scale": {"zero": True}},
                      "color": _COLOUR}},
        {"data": {"name": "points"}, "mark": {"type": "point", "filled": True},
         "encoding": {"x": {"field": "robust", "type": "quantitative"}, "y": {"field": "cost", "type": "quantitative"},
                      "size": {"field": "yours", "type": "nominal", "legend": None,
                               "scale": {"domain": ["yes", "no"], "range": [220, 70]}},
                      "color": _COLOUR}},
        {"data": {"name": "labels"}, "mark": {"type": "text", "align": "left", "dx": 8, "dy": -8, "fontSize": 11},
         "encoding": {"x": {"field": "robust", "type": "quantitative"}, "y": {"field": "cost", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
        {"data": {"name": "yours"}, "mark": {"type": "rule", "strokeDash": [5, 3], "color": PALETTE["vermillion"]},
         "encoding": {"y": {"field": "cost", "type": "quantitative"}}},
        {"data": {"name": "yours"}, "mark": {"type": "text", "align": "left", "x": 4, "dy": -6, "fontWeight": "bold",
                                            "color": PALETTE["vermillion"]},
         "encoding": {"y": {"field": "cost", "type": "quantitative"}, "text": {"field": "label", "type": "nominal"}}},
    ],
}


def chart(model: str, pgd_steps: int, gpus: int, scheme: str) -> viz.Chart:
    """Cost against the published robust accuracy, every scheme; the student's cost marked."""
    points = [{"robust": r.robust_accuracy, "cost": dollars(model, r.train_pgd_steps, gpus, s),
               "scheme": SCHEME_NAMES[s], "k": r.train_pgd_steps,
               "yours": "yes" if (s == scheme and r.train_pgd_steps == int(pgd_steps)) else "no"}
              for r in PUBLISHED for s in SCHEMES]
    labels = [{"robust": p["robust"], "cost": p["cost"], "label": f"k={p['k']}"} for p in points
              if p["scheme"] == SCHEME_NAMES["none"]]
    mine = dollars(model, pgd_steps, gpus, scheme)
    yours = [{"cost": mine, "label": f"yours (k={pgd_steps}, {scheme}): USD {mine:,.0f}"}]
    datasets = {"points": points, "labels": labels, "yours": yours}
    top = max(points, key=lambda p: p["cost"])
    summary = (f"Cost of the run against the robust accuracy Madry et al. 2018 report on CIFAR-10 (0 and 7 PGD steps), "
               f"for each redundancy scheme; the dearest, {top['scheme']} at k={top['k']}, costs USD {top['cost']:,.0f}; "
               f"your settings cost USD {mine:,.0f}.")
    return viz.Chart(viz.fill(TEMPLATE, datasets, title="Cost against robustness"), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _name(model, **_) -> dict:
    return {"model_name": Models.get(model).name}


def _hours_math(model, pgd_steps, gpus) -> str:
    t = wall_seconds(model, pgd_steps) / HOUR
    return (f"step = plain step × (k + 1) = × {pgd_steps + 1}; the run's {STEPS:,} steps take {t:.4g} h on each GPU; "
            f"GPU-hours = {t:.4g} h × {gpus:,} = **{gpu_hours(model, pgd_steps, gpus, 'none'):,.4g}** (Madry et al. 2018).")


def _sdc_math(gpus, pgd_steps, **_) -> str:
    t = kernels.replicated_accelerator_time(wall_seconds("resnet50", pgd_steps), gpus)
    return (f"rate = 6 ÷ (16,384 GPUs × 54 days) = {SDC_RATE * HOUR:.4g} per GPU-hour (Dubey et al. 2024, Table 5); "
            f"exposure = {t / HOUR:,.4g} GPU-hours; p = 1 − exp(−rate × exposure) = "
            f"**{100 * corruption_probability('resnet50', pgd_steps, gpus):.4g} %**.")


def _cost_math(pgd_steps, gpus, scheme) -> str:
    return (f"{SCHEMES[scheme]} replica(s) × {gpus:,} GPUs owned for the run's {wall_seconds('resnet50', pgd_steps) / HOUR:.4g} h "
            f"(EconomicsModel: amortised purchase + energy + maintenance) = **USD {dollars('resnet50', pgd_steps, gpus, scheme):,.0f}**.")


QUESTIONS = [
    Question(
        id="gpu_hours",
        prompt=("**{model_name}** is trained adversarially with **{pgd_steps} PGD steps** on **{gpus:,} H100s**, "
                f"{STEPS:,} steps of {BATCH} images per GPU. How many **GPU-hours** does the run take (no redundancy)?"),
        variants={"model": MODELS, "pgd_steps": [3, 5, 7, 10], "gpus": [64, 256, 1024]},
        answer=lambda model, pgd_steps, gpus: gpu_hours(model, pgd_steps, gpus, "none"),
        tolerance=0.03, unit="GPU-hours", describe=_name,
        hint="Each PGD step is one more forward and backward pass: the step costs k + 1 plain steps.",
        math=_hours_math,
    ),
    Question(
        id="sdc_chance",
        prompt=("ResNet-50 with **{pgd_steps} PGD steps** runs on **{gpus:,} H100s** without redundancy. At Llama 3's "
                "observed rate of silent data corruption, what is the **probability (%)** the run meets at least one?"),
        variants={"pgd_steps": [0, 3, 7, 10], "gpus": [1024, 4096, 16384]},
        answer=lambda pgd_steps, gpus: 100.0 * corruption_probability("resnet50", pgd_steps, gpus),
        tolerance=0.03, unit="%",
        hint="Rate per GPU-hour × GPU-hours is the expected count λt; the chance of at least one is 1 − exp(−λt).",
        math=_sdc_math,
    ),
    Question(
        id="redundant_cost",
        prompt=("ResNet-50 with **{pgd_steps} PGD steps** on **{gpus:,} H100s**, protected by **{scheme_name}**. "
                "What does owning the hardware for the run cost, in **US dollars**?"),
        variants={"pgd_steps": [0, 5, 7], "gpus": [256, 1024, 4096], "scheme": ["dual", "triple"]},
        answer=lambda pgd_steps, gpus, scheme: dollars("resnet50", pgd_steps, gpus, scheme),
        tolerance=0.03, unit="USD", describe=lambda scheme, **_: {"scheme_name": SCHEME_NAMES[scheme]},
        hint="Each replica is a whole copy of the fleet for the whole run.",
        math=_cost_math,
    ),
]

PREDICTIONS = [
    Prediction(
        id="pgd7_factor",
        prompt=("Madry et al. trained their robust CIFAR-10 model with **7 PGD steps** per batch. How many **times** "
                "the compute of standard training is that?"),
        truth=lambda: run("resnet50", 7).compute_factor,
        unit="x",
    ),
]
