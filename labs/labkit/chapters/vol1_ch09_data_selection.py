"""Questions, engine calls and chart of the data-selection lab (Volume I, chapter 9, Data Selection).

A fixed compute budget C buys P parameters trained on D = C / (6 P) tokens. ``ScalingModel`` gives the
allocation for a tokens-per-parameter rule and its loss (Hoffmann et al. 2022, Eq. 10); the
iso-FLOP kernels give the whole curve and its minimum (Eq. 4), with a data-efficiency multiplier k
(a token of cleaner data worth k raw tokens).
"""

from __future__ import annotations

import math

from mlsysim import ScalingModel, viz
from mlsysim.physics import kernels
from mlsysim.viz import data as viz_data
from mlsysim.viz.template import PALETTE

from ..questions import Prediction, Question

BUDGETS = [1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26]
TOKENS_PER_PARAMETER = [1, 2, 5, 10, 20, 40, 80, 160, 320, 640]
DATA_EFFICIENCY = [1.0, 1.5, 2.0, 3.0, 5.0]
CURVE_POINTS = 61  # sizes on the curve, evenly spaced in log P over four decades around the optimum

# an iso-FLOP chart: log model size against loss, the optimum and the chosen allocation marked
# (written as Vega-Lite in the style of mlsysim.viz.author: named datasets, container width, SVG)
_LOG = {"type": "log", "nice": False}
_X = {"field": "params", "type": "quantitative", "scale": _LOG, "title": "Model size (parameters)",
      "axis": {"format": "~s"}}
_Y = {"field": "loss", "type": "quantitative", "scale": {"zero": False}, "title": "Predicted loss (nats per token)"}
ISO_FLOP_TEMPLATE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "width": "container", "height": 300, "autosize": {"type": "fit", "contains": "padding"},
    "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
    "config": {"axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#dddddd"}},
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "color": PALETTE["blue"], "strokeWidth": 2},
         "encoding": {"x": _X, "y": _Y, "strokeDash": {"field": "data", "type": "nominal", "legend": None}}},
        {"data": {"name": "marks"}, "mark": {"type": "point", "filled": True, "size": 140},
         "encoding": {"x": {"field": "params", "type": "quantitative"}, "y": {"field": "loss", "type": "quantitative"},
                      "color": {"field": "kind", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "your allocation"],
                                          "range": [PALETTE["green"], PALETTE["vermillion"]]}},
                      "shape": {"field": "kind", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "your allocation"], "range": ["diamond", "circle"]}}}},
        {"data": {"name": "marks"}, "mark": {"type": "text", "dy": -14, "fontWeight": "bold"},
         "encoding": {"x": {"field": "params", "type": "quantitative"}, "y": {"field": "loss", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"},
                      "color": {"field": "kind", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "your allocation"],
                                          "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
    ],
}


def budget_key(budget: float) -> str:
    """A budget as a control and a link hold it, without the '+' a URL would read as a space: '1e22'."""
    return f"{budget:.0e}".replace("e+", "e")


def allocation(budget: float, tokens_per_parameter: float):
    """The engine's (ScalingModel's) parameters, tokens and loss for a budget and a tokens-per-parameter rule."""
    return ScalingModel().solve(f"{budget:g} flop", tokens_per_parameter=float(tokens_per_parameter))


def loss_at(budget: float, params: float, efficiency: float = 1.0) -> float:
    return kernels.iso_flop_loss(budget, params, efficiency)


def optimum(budget: float, efficiency: float = 1.0) -> tuple[float, float, float]:
    """(parameters, tokens, loss) at the minimum of the iso-FLOP curve."""
    p, d = kernels.iso_flop_optimum(budget, efficiency)
    return p, d, loss_at(budget, p, efficiency)


def curve(budget: float, efficiency: float) -> list[dict]:
    p_opt = optimum(budget, efficiency)[0]
    out = []
    for i in range(CURVE_POINTS):
        p = p_opt * 10 ** (-2.0 + 4.0 * i / (CURVE_POINTS - 1))
        out.append({"params": p, "tokens": budget / (6.0 * p), "loss": loss_at(budget, p, efficiency)})
    return out


def iso_flop_chart(budget: float, tokens_per_parameter: float, efficiency: float) -> viz.Chart:
    rows = [dict(r, data="as cleaned" if efficiency > 1 else "raw") for r in curve(budget, efficiency)]
    p_opt, d_opt, l_opt = optimum(budget, efficiency)
    mine = allocation(budget, tokens_per_parameter)
    p_mine = mine.optimal_parameters.magnitude
    l_mine = loss_at(budget, p_mine, efficiency)
    fmt = viz_data.fmt
    marks = [{"params": p_opt, "loss": l_opt, "kind": "optimum", "label": f"optimum {fmt(p_opt)} params"},
             {"params": p_mine, "loss": l_mine, "kind": "your allocation", "label": f"{tokens_per_parameter:g} tokens/param"}]
    datasets = {"curve": rows, "marks": marks}
    summary = (f"At {budget:.0e} FLOP the predicted loss is lowest, {fmt(l_opt, 4)}, at {fmt(p_opt)} parameters "
               f"trained on {fmt(d_opt)} tokens; {tokens_per_parameter:g} tokens per parameter gives {fmt(p_mine)} "
               f"parameters and a loss of {fmt(l_mine, 4)}.")
    title = {"text": f"Iso-FLOP curve at {budget:.0e} FLOP",
             "subtitle": f"data efficiency {efficiency:g}x" if efficiency > 1 else "raw data"}
    return viz.Chart(viz.fill(ISO_FLOP_TEMPLATE, datasets, title=title), datasets, summary)


def budget_for_loss(target: float, efficiency: float = 1.0) -> float:
    """The compute whose optimal loss is ``target`` (bisection in log C: the optimal loss falls as C grows)."""
    lo, hi = 1e15, 1e32
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if optimum(mid, efficiency)[2] > target else (lo, mid)
    return math.sqrt(lo * hi)


def raw_budget_equivalent(budget: float, efficiency: float) -> float:
    """The raw-data compute that reaches the loss cleaned data (efficiency k) reaches with ``budget``."""
    return budget_for_loss(optimum(budget, efficiency)[2], 1.0)


def _fmt_budget(budget: float, **_) -> dict:
    return {"budget_text": f"{budget:.0e}"}


def _loss_math(budget: float, tokens_per_parameter: float) -> str:
    r = allocation(budget, tokens_per_parameter)
    p, d = r.optimal_parameters.magnitude, r.optimal_tokens.magnitude
    return (f"C = 6 P D with D = {tokens_per_parameter:g} P: P = √(C / (6 × {tokens_per_parameter:g})) = **{p:.4g}**, "
            f"D = **{d:.4g}**; `L = 1.69 + 406.4 / P^0.34 + 410.7 / D^0.28` = **{r.loss:.4g}** nats per token.")


def _optimum_math(budget: float, efficiency: float) -> str:
    p_raw, p = optimum(budget, 1.0)[0], optimum(budget, efficiency)[0]
    return (f"Eq. 4 with B / k^0.28 for B: `P_opt = G (C / 6)^(0.28 / 0.62)` gives **{p / 1e9:.4g} billion** "
            f"parameters at k = {efficiency:g}, against {p_raw / 1e9:.4g} billion with raw data: when each token "
            "teaches more, the budget's best split moves towards a bigger model. " + _savings_math(budget, efficiency))


def _savings_math(budget: float, efficiency: float) -> str:
    loss = optimum(budget, efficiency)[2]
    raw = raw_budget_equivalent(budget, efficiency)
    return (f"With data {efficiency:g}x as efficient, the optimum at {budget:.0e} FLOP reaches a loss of {loss:.4g}; "
            f"raw data reaches that loss at its own optimum only with **{raw:.4g} FLOP**, "
            f"{raw / budget:.3g} times the budget.")


QUESTIONS = [
    Question(
        id="loss",
        prompt=("A budget of **{budget_text} FLOP** spent at **{tokens_per_parameter} tokens per parameter**: what "
                "**loss** (nats per token) does the Chinchilla fit predict?"),
        variants={"budget": [1e21, 1e22, 1e23, 1e24], "tokens_per_parameter": [5, 20, 80, 320]},
        answer=lambda budget, tokens_per_parameter: allocation(budget, tokens_per_parameter).loss,
        tolerance=0.005,
        unit="nats/token",
        describe=_fmt_budget,
        hint="Find P and D from C = 6 P D and D = r P, then put them in the fitted loss.",
        math=_loss_math,
    ),
    Question(
        id="clean_optimum",
        prompt=("Your team cleans the data so that each token is worth **{efficiency}x** a raw token. With "
                "**{budget_text} FLOP**, how many **billion parameters** has the model at the bottom of the "
                "iso-FLOP curve now?"),
        variants={"budget": [1e21, 1e22, 1e23, 1e24], "efficiency": [1.5, 2.0, 3.0, 5.0]},
        answer=lambda budget, efficiency: optimum(budget, efficiency)[0] / 1e9,
        tolerance=0.05,
        unit="billion parameters",
        describe=_fmt_budget,
        hint="Cleaner data shrinks the data term of the loss (B becomes B / k^0.28), which moves the optimum: "
             "set the controls and read the marked optimum.",
        math=_optimum_math,
    ),
]

_OPTIONS = ["a 10x bigger model on the same tokens", "about 3x bigger model on about 3x the tokens",
            "the same model on 10x the tokens"]


def _tenfold_truth() -> str:
    small, big = allocation(1e22, 20), allocation(1e23, 20)
    growth = big.optimal_parameters.magnitude / small.optimal_parameters.magnitude
    return min(zip([10.0, math.sqrt(10.0), 1.0], _OPTIONS), key=lambda t: abs(math.log(t[0] / growth)))[1]


PREDICTIONS = [
    Prediction(
        id="tenfold",
        prompt=("Your compute budget grows tenfold. Under the Chinchilla rule (about 20 tokens per parameter), "
                "where should the extra compute go?"),
        options=_OPTIONS,
        truth=_tenfold_truth,
    ),
]
