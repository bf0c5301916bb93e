"""How often to retrain (Volume I, chapter 14): retraining cost against the cost of drift.

Every number is the engine's: the compute of one retrain is ``calc_transformer_training_flops``
(6PD) on the registry's H100 at the engine's default efficiency (``calc_training_duration``); its
price is ``EconomicsModel``'s cloud cost and its carbon ``SustainabilityModel``'s; the cost rate
and the optimal interval are ``calc_retraining_cost_rate`` and ``calc_optimal_retraining_interval``
(Harris 1913's square-root law, with the accuracy lost to drift as the holding cost). The chart's
template is written here (``mlsysim.viz`` has no cost-against-interval chart).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlsysim import Q_, formulas, viz
from mlsysim.physics import kernels
from mlsysim.registries import Hardware, Models
from mlsysim.solvers.defaults import DEFAULT_EFFICIENCY
from mlsysim.solvers.economics import EconomicsModel
from mlsysim.solvers.sustainability import SustainabilityModel
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

ACCELERATOR = "h100"
PRECISION = "bf16"
GRID = "us_average"
MODELS = ["bert_base", "bert_large", "gpt2", "llama3_8b"]
TOKENS = {"100 million tokens": "1e8", "1 billion tokens": "1e9", "10 billion tokens": "1e10", "100 billion tokens": "1e11"}
GPUS = [1, 8, 64]
MAX_INTERVAL_DAYS = 365

_ECON, _CARBON = EconomicsModel(), SustainabilityModel()


def model_options() -> dict[str, str]:
    return {Models.get(k).name: k for k in MODELS}


@dataclass(frozen=True)
class Plan:
    """One retraining policy's numbers (floats in the units their names say, for the page)."""

    compute_hours: float        # wall-clock hours of one retrain on the GPUs
    compute_cost: float         # USD of GPU time per retrain
    retrain_cost: float         # USD per retrain: GPU time + the fixed cost (evaluation, review, deployment)
    carbon_kg: float            # kg CO2e of one retrain's GPU time on the grid
    best_days: float            # the optimal interval
    best_rate: float            # USD/day at the optimum
    rate: float                 # USD/day at the student's interval
    retrain_share: float        # share of the student's cost rate that is retraining (the rest is drift)


def retrain(model: str, tokens: float, gpus: int, hourly_rate: float):
    """(duration, cloud cost, carbon) of one retrain of ``model`` on ``tokens`` tokens over ``gpus`` H100s."""
    hw = Hardware.get(ACCELERATOR)
    ops = formulas.calc_transformer_training_flops(Models.get(model).parameters, Q_(tokens, "count"))
    duration = formulas.calc_training_duration(ops=ops, accelerators=int(gpus),
                                               peak_flops=hw.compute.precision_flops[PRECISION],
                                               efficiency=DEFAULT_EFFICIENCY)
    money = _ECON.solve(ACCELERATOR, duration, count=int(gpus), cloud_hourly_rate=Q_(hourly_rate, "USD/hour"))
    carbon = _CARBON.solve(ACCELERATOR, duration, GRID, count=int(gpus))
    return duration, money.cloud_cost, carbon.total_carbon


def _rate(days: float, cost: float, points_per_week: float, value_per_point_day: float) -> float:
    """USD/day of retraining every ``days`` (the unit-checked formula: one point, with its units)."""
    return formulas.calc_retraining_cost_rate(Q_(days, "day"), Q_(cost, "USD"), Q_(points_per_week, "1/week"),
                                              Q_(value_per_point_day, "USD/day")).to("USD/day").magnitude


def _per_day(points_per_week: float) -> float:
    return Q_(points_per_week, "1/week").to("1/day").magnitude


def money(usd: float) -> str:
    """A sum of money as a student reads it: whole dollars from 100 USD, three figures below."""
    return f"{usd:,.0f} USD" if usd >= 100 else f"{usd:.3g} USD"


def solve(model: str, tokens: float, gpus: int, hourly_rate: float, fixed_cost: float, points_per_week: float,
          value_per_point_day: float, interval_days: float) -> Plan:
    duration, cloud, carbon = retrain(model, tokens, gpus, hourly_rate)
    cost = cloud.to("USD").magnitude + fixed_cost
    best = formulas.calc_optimal_retraining_interval(Q_(cost, "USD"), Q_(points_per_week, "1/week"),
                                                     Q_(value_per_point_day, "USD/day")).to("day").magnitude
    mine = _rate(interval_days, cost, points_per_week, value_per_point_day)
    retrain_part = _rate(interval_days, cost, 0.0, value_per_point_day)  # the C / T part alone
    return Plan(duration.to("hour").magnitude, cloud.to("USD").magnitude, cost, carbon.to("kg").magnitude, best,
                _rate(best, cost, points_per_week, value_per_point_day), mine, retrain_part / mine)


def curve(plan: Plan, points_per_week: float, value_per_point_day: float, n: int = 61) -> list[dict]:
    """Cost per day against the interval, 1/20 to 20 x the optimum on a log grid, plus the optimum.
    The points are the kernel on floats in days and USD (the equation is unit-free; 60 Quantity
    conversions per redraw would cost more than the whole rest of the page)."""
    d, v = _per_day(points_per_week), value_per_point_day
    xs = sorted({plan.best_days * 20.0 ** (2.0 * i / (n - 1) - 1.0) for i in range(n)} | {plan.best_days})
    return [{"days": x, "cost": kernels.retraining_cost_rate(x, plan.retrain_cost, d, v),
             "retraining": kernels.retraining_cost_rate(x, plan.retrain_cost, 0.0, v)} for x in xs]


TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "color": PALETTE["blue"], "strokeWidth": 2},
         "encoding": {"x": {"field": "days", "type": "quantitative", "title": "Retraining interval (days, log)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~g"}},
                      "y": {"field": "cost", "type": "quantitative", "title": "Cost per day (USD, log)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~s"}}}},
        {"data": {"name": "curve"}, "mark": {"type": "line", "color": "#999999", "strokeDash": [3, 3]},
         "encoding": {"x": {"field": "days", "type": "quantitative"}, "y": {"field": "retraining", "type": "quantitative"}}},
        {"data": {"name": "marks"}, "mark": {"type": "point", "filled": True, "size": 120},
         "encoding": {"x": {"field": "days", "type": "quantitative"}, "y": {"field": "cost", "type": "quantitative"},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"], "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
        {"data": {"name": "marks"}, "transform": [{"filter": "datum.align == 'left'"}],
         "mark": {"type": "text", "align": "left", "dx": 7, "dy": -8, "fontWeight": "bold"},
         "encoding": {"x": {"field": "days", "type": "quantitative"}, "y": {"field": "cost", "type": "quantitative"},
                      "text": {"field": "label"},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"], "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
        {"data": {"name": "marks"}, "transform": [{"filter": "datum.align == 'right'"}],
         "mark": {"type": "text", "align": "right", "dx": -7, "dy": -8, "fontWeight": "bold"},
         "encoding": {"x": {"field": "days", "type": "quantitative"}, "y": {"field": "cost", "type": "quantitative"},
                      "text": {"field": "label"},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"], "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
    ],
}


def chart(plan: Plan, interval_days: float, points_per_week: float, value_per_point_day: float, title: str) -> viz.Chart:
    # the optimum sits mid-axis (the curve spans 1/20 to 20 x it): a label reads away from the right
    # edge when yours is right of the optimum, and both read the same way so they do not cross
    align = "right" if interval_days > plan.best_days else "left"
    marks = [{"which": "optimum", "days": plan.best_days, "cost": plan.best_rate, "align": align,
              "label": f"optimum {fmt(plan.best_days)} d: {money(plan.best_rate)}/day"},
             {"which": "yours", "days": float(interval_days), "cost": plan.rate, "align": align,
              "label": f"yours {fmt(interval_days)} d: {money(plan.rate)}/day"}]
    datasets = {"curve": curve(plan, points_per_week, value_per_point_day), "marks": marks}
    summary = (f"Cost per day against the retraining interval: lowest, {plan.best_rate:,.0f} USD/day, at "
               f"{fmt(plan.best_days)} days; at your {fmt(interval_days)} days it is {plan.rate:,.0f} USD/day. "
               "The dashed line is the retraining part alone.")
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_POLICY = {"cost": [500, 2000, 10000], "points_per_week": [0.5, 1, 2], "value": [100, 500, 2000]}


def _interval(cost, points_per_week, value) -> float:
    return formulas.calc_optimal_retraining_interval(Q_(cost, "USD"), Q_(points_per_week, "1/week"),
                                                     Q_(value, "USD/day")).to("day").magnitude


QUESTIONS = [
    Question(
        id="best_interval",
        prompt=("A retrain costs **{cost:,} USD** in all; the model loses **{points_per_week} accuracy points a week**; "
                "each point is worth **{value:,} USD a day**. Every how many **days** should it be retrained?"),
        variants=_POLICY, answer=_interval, tolerance=0.03, unit="days",
        hint="T* = √(2 C ÷ (v d)), with the drift d in points per day.",
        math=lambda cost, points_per_week, value: (
            f"T* = √(2 × {cost:,} ÷ ({value:,} × {points_per_week}/7)) = **{_interval(cost, points_per_week, value):.4g} days**."),
    ),
    Question(
        id="best_rate",
        prompt=("Same policy (**{cost:,} USD** a retrain, **{points_per_week}** points a week, **{value:,} USD** per point "
                "per day), retraining at the optimum: what does it cost **per day**, retraining and drift together?"),
        variants=_POLICY,
        answer=lambda cost, points_per_week, value: _rate(_interval(cost, points_per_week, value), cost, points_per_week, value),
        tolerance=0.03, unit="USD/day",
        hint="At the optimum the two parts are equal: twice C ÷ T*.",
        math=lambda cost, points_per_week, value: (
            f"2 × {cost:,} ÷ {_interval(cost, points_per_week, value):.4g} days = "
            f"**{_rate(_interval(cost, points_per_week, value), cost, points_per_week, value):,.4g} USD/day**."),
    ),
    Question(
        id="gpu_hours",
        prompt=("Retraining **{model_name}** on **{tokens_name}** on **{gpus}** H100s at the engine's default efficiency: "
                "how many **hours** does one retrain take?"),
        variants={"model": ["bert_large", "gpt2", "llama3_8b"], "tokens": ["1e9", "1e10"], "gpus": [8, 64]},
        answer=lambda model, tokens, gpus: retrain(model, float(tokens), gpus, 3.0)[0].to("hour").magnitude,
        tolerance=0.03, unit="hours",
        describe=lambda model, tokens, **_: {"model_name": Models.get(model).name,
                                             "tokens_name": next(k for k, v in TOKENS.items() if v == tokens)},
        hint="6 × parameters × tokens FLOPs, over GPUs × peak × efficiency.",
    ),
]

PREDICTIONS = [
    Prediction(
        id="interval_guess",
        prompt=("A retrain costs **2,000 USD**; the model loses **1 accuracy point a week**; each point is worth "
                "**500 USD a day**. Every how many **days** would you retrain?"),
        truth=lambda: _interval(2000, 1, 500),
        unit="days",
    ),
]
