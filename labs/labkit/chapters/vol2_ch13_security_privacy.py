"""Questions, curves and charts of the security-and-privacy lab (Volume II, chapter 13).

Every number is the engine's: ``ResponsibleEngineeringModel`` (Wall 20, safety) gives DP-SGD's
epsilon (the RDP accountant of the Poisson-subsampled Gaussian, Mironov et al. 2019), its per-example
gradient memory (Abadi et al. 2016, Alg. 1) and its measured slowdown (Opacus, Rodriguez Beltran et
al. 2024). The epsilon-against-steps curve is ``kernels.dp_sgd_epsilon`` on the same sampling rate,
noise and delta as the solve; the memory-against-batch curve is the solver at each batch size. The
two charts' templates are written here (the kit's ``mlsysim.viz`` has neither).
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import Hardware, Models, viz
from mlsysim.physics import kernels
from mlsysim.solvers.responsible import DEFAULT_DELTA, ResponsibleEngineeringModel
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE

from ..questions import Prediction, Question

MODELS = ("mobilenetv2", "resnet50", "bert_base")
ACCELERATORS = ("h100", "a100_80gb", "l4")
PRECISION = "fp32"  # DP-SGD's per-example gradients are usually kept in fp32 (Opacus's default)
MAX_BATCH = 8192
MAX_DATASET = 10_000_000
MAX_STEPS = 1_000_000
GB = 1e9  # bytes per GB, for display only
BATCHES = [2 ** i for i in range(0, 14)]  # the memory curve's batch sizes, 1 to 8,192

_MODEL = ResponsibleEngineeringModel()


def solve(model: str, hw: str, noise: float, batch: int, dataset: int, steps: int, budget: float | None = None):
    """The engine's DP-SGD result: epsilon at delta 1e-5, step time and memory with per-example gradients."""
    return _MODEL.solve(model, hw, batch_size=int(batch), precision=PRECISION, noise_multiplier=noise,
                        dataset_size=int(dataset), steps=int(steps), epsilon_budget=budget)


def plain(model: str, hw: str, batch: int):
    """The same model and batch trained without DP-SGD (no per-example gradients, no noise)."""
    return _MODEL.solve(model, hw, batch_size=int(batch), precision=PRECISION, dp=False)


def epsilon_at(result, steps: float) -> float:
    """Epsilon of ``result``'s run (its sampling rate, noise and delta) after ``steps`` steps."""
    return _epsilon(result.sample_rate, result.noise_multiplier, int(steps), result.delta)


@lru_cache(maxsize=4096)
def _epsilon(sample_rate: float, noise: float, steps: int, delta: float) -> float:
    # the accountant costs up to a millisecond per call at few steps and high noise (best orders in the
    # hundreds): a redraw that changes only the budget, the model or the steps reuses the curve's values
    return kernels.dp_sgd_epsilon(sample_rate, noise, steps, delta)[0]


def max_steps_within(result, budget: float) -> int:
    """The most steps whose epsilon stays within ``budget`` (bisection: epsilon grows with the steps);
    0 when even one step spends more, MAX_STEPS when a million do not."""
    if epsilon_at(result, 1) > budget:
        return 0
    if epsilon_at(result, MAX_STEPS) <= budget:
        return MAX_STEPS
    lo, hi = 1, MAX_STEPS
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if epsilon_at(result, mid) <= budget else (lo, mid)
    return lo


def steps_text(most: int) -> str:
    """The most steps a budget allows, in words (display only)."""
    if most == 0:
        return "not a single step"
    return f"more than {MAX_STEPS:,} steps" if most >= MAX_STEPS else f"{most:,} steps"


def fits(result) -> bool:
    """Whether plain training plus the per-example gradients fit in the accelerator's memory."""
    return result.memory_footprint <= result.memory_capacity


def epochs(result) -> float:
    """Passes over the data in ``result``'s run: steps x sampling rate (display only)."""
    return result.steps * result.sample_rate


def epsilon_curve(result, points: int = 13) -> list[dict]:
    """Epsilon against the number of steps, on a log grid from 100 to 1,000,000 steps, plus the run's own.
    (Below 100 steps the accountant's best order is in the hundreds, each costing hundreds of terms:
    the curve starts where training runs do.)"""
    xs = sorted({round(10 ** (2 + 4 * i / (points - 1))) for i in range(points)} | {result.steps})
    return [{"steps": x, "epsilon": epsilon_at(result, x)} for x in xs]


def memory_curve(model: str, hw: str) -> list[dict]:
    """Training memory (GB) against the batch, with and without DP-SGD's per-example gradients (no
    accountant here: memory does not depend on the noise). Reads the results' float fields (bytes)
    rather than building a Quantity per point, so the 28 solves of a redraw stay cheap."""
    rows = []
    for b in BATCHES:
        dp = _MODEL.solve(model, hw, batch_size=b, precision=PRECISION)
        rows.append({"batch": b, "memory": dp._memory_footprint / GB, "series": "DP-SGD (per-example gradients)"})
        rows.append({"batch": b, "memory": plain(model, hw, b)._memory_footprint / GB, "series": "plain SGD"})
    return rows


_BASE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "autosize": {"contains": "padding", "type": "fit"},
    "config": {"axis": {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12},
               "legend": {"labelFontSize": 12, "orient": "bottom", "titleFontSize": 12, "labelLimit": 320}},
    "height": 260, "width": "container",
    "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
}

EPSILON_TEMPLATE = dict(_BASE, layer=[
    {"data": {"name": "curve"}, "mark": {"type": "line", "color": PALETTE["blue"], "strokeWidth": 2},
     "encoding": {"x": {"field": "steps", "type": "quantitative", "title": "Training steps", "scale": {"type": "log"},
                        "axis": {"format": "~s", "tickCount": 5}},
                  "y": {"field": "epsilon", "type": "quantitative", "title": "Privacy loss ε (δ = 1e-5)",
                        "scale": {"type": "log"}, "axis": {"format": "~g", "tickCount": 5}}}},
    {"data": {"name": "budget"}, "mark": {"type": "rule", "color": PALETTE["vermillion"], "strokeDash": [5, 3]},
     "encoding": {"y": {"field": "epsilon", "type": "quantitative"}}},
    {"data": {"name": "budget"}, "mark": {"type": "text", "align": "left", "x": 4, "dy": -6, "color": PALETTE["vermillion"]},
     "encoding": {"y": {"field": "epsilon", "type": "quantitative"}, "text": {"field": "label", "type": "nominal"}}},
    {"data": {"name": "you"}, "mark": {"type": "point", "filled": True, "size": 120, "color": PALETTE["vermillion"]},
     "encoding": {"x": {"field": "steps", "type": "quantitative"}, "y": {"field": "epsilon", "type": "quantitative"}}},
    {"data": {"name": "you"}, "mark": {"type": "text", "align": "right", "dx": -8, "dy": -8, "fontWeight": "bold"},
     "encoding": {"x": {"field": "steps", "type": "quantitative"}, "y": {"field": "epsilon", "type": "quantitative"},
                  "text": {"field": "label", "type": "nominal"}}},
])

MEMORY_TEMPLATE = dict(_BASE, layer=[
    {"data": {"name": "memory"}, "mark": {"type": "line", "strokeWidth": 2, "point": True},
     "encoding": {"x": {"field": "batch", "type": "quantitative", "title": "Batch size", "scale": {"type": "log", "base": 2}},
                  "y": {"field": "memory", "type": "quantitative", "title": "Training memory (GB)", "scale": {"type": "log"},
                        "axis": {"format": "~g", "tickCount": 5}},
                  "color": {"field": "series", "type": "nominal", "title": None,
                            "scale": {"domain": ["DP-SGD (per-example gradients)", "plain SGD"],
                                      "range": [PALETTE["blue"], PALETTE["grey"]]}}}},
    {"data": {"name": "capacity"}, "mark": {"type": "rule", "color": PALETTE["vermillion"], "strokeDash": [5, 3]},
     "encoding": {"y": {"field": "memory", "type": "quantitative"}}},
    {"data": {"name": "capacity"}, "mark": {"type": "text", "align": "left", "x": 4, "dy": -6, "color": PALETTE["vermillion"]},
     "encoding": {"y": {"field": "memory", "type": "quantitative"}, "text": {"field": "label", "type": "nominal"}}},
    {"data": {"name": "you"}, "mark": {"type": "point", "filled": True, "size": 120, "color": PALETTE["vermillion"]},
     "encoding": {"x": {"field": "batch", "type": "quantitative"}, "y": {"field": "memory", "type": "quantitative"}}},
])


def epsilon_chart(result, budget: float, title: str) -> viz.Chart:
    rows = epsilon_curve(result)
    most = max_steps_within(result, budget)
    datasets = {"curve": rows, "budget": [{"epsilon": budget, "label": f"budget ε = {fmt(budget)}"}],
                "you": [{"steps": result.steps, "epsilon": result.epsilon, "label": f"you: ε = {result.epsilon:.3g}"}]}
    summary = (f"Privacy loss grows with the steps, from ε = {rows[0]['epsilon']:.3g} at {rows[0]['steps']} steps to "
               f"{rows[-1]['epsilon']:.3g} at {rows[-1]['steps']:,}; your {result.steps:,} steps spend ε = {result.epsilon:.3g}; "
               f"the budget ε = {fmt(budget)} allows {most:,} steps.")
    return viz.Chart(viz.fill(EPSILON_TEMPLATE, datasets, title=title), datasets, summary)


def memory_chart(result, model: str, hw: str, title: str) -> viz.Chart:
    rows = memory_curve(model, hw)
    cap = result.memory_capacity.to("GB").magnitude
    datasets = {"memory": rows, "capacity": [{"memory": cap, "label": f"{Hardware.get(hw).name}: {fmt(cap)} GB"}],
                "you": [{"batch": result.batch_size, "memory": result.memory_footprint.to("GB").magnitude}]}
    fitting = [r["batch"] for r in rows if r["series"].startswith("DP") and r["memory"] <= cap]
    summary = (f"Training memory against the batch: DP-SGD's per-example gradients grow with the batch; "
               + (f"up to batch {max(fitting):,} fits in {fmt(cap)} GB." if fitting else f"no batch fits in {fmt(cap)} GB."))
    return viz.Chart(viz.fill(MEMORY_TEMPLATE, datasets, title=title), datasets, summary)


def model_name(model: str) -> str:
    return Models.get(model).name


def parameters(model: str) -> float:
    return Models.get(model).parameters.magnitude


# --- check yourself ---------------------------------------------------------------------------
_RUN = {"noise": [0.8, 1.0, 1.5, 2.0], "batch": [128, 256, 512], "dataset": [50000, 60000], "steps": [5000, 10000, 20000]}


def _eps_math(noise, batch, dataset, steps) -> str:
    r = solve("resnet50", "h100", noise, batch, dataset, steps)
    return (f"q = {batch} ÷ {dataset:,} = {r.sample_rate:.4g}; the RDP accountant (Mironov et al. 2019) at its best order "
            f"α = {r.best_order}: ε = T·RDP_α(q, σ) + ln(1/δ)/(α − 1) = **{r.epsilon:.4g}** after T = {steps:,} steps.")


def _memory_math(model, batch) -> str:
    r = solve(model, "h100", 1.0, batch, 60000, 1000)
    return (f"per-example gradients = batch × parameters × 4 bytes (fp32) = {batch} × {parameters(model):,.4g} × 4 B = "
            f"**{r.per_example_gradient_memory.to('GB').magnitude:.4g} GB** (Abadi et al. 2016, Alg. 1).")


def _steps_math(noise, batch, dataset, budget) -> str:
    r = solve("resnet50", "h100", noise, batch, dataset, 1000)
    most = max_steps_within(r, budget)
    return (f"ε grows with T; bisecting the accountant for ε(T) ≤ {budget} at q = {r.sample_rate:.4g}, σ = {noise}: "
            f"**{most:,} steps** (ε = {epsilon_at(r, most):.6g}; one more step spends {epsilon_at(r, most + 1):.6g}).")


QUESTIONS = [
    Question(
        id="epsilon",
        prompt=("DP-SGD with noise multiplier **σ = {noise}**, batches of **{batch}** drawn from **{dataset:,}** examples, "
                "for **{steps:,} steps**, at δ = 1e-5. What **ε** does the run spend?"),
        variants=_RUN,
        answer=lambda noise, batch, dataset, steps: solve("resnet50", "h100", noise, batch, dataset, steps).epsilon,
        tolerance=0.02, unit="ε",
        hint="Set the noise, batch, dataset size and steps; the chart's point and the table give ε.",
        math=_eps_math,
    ),
    Question(
        id="memory",
        prompt=("Training **{name}** with DP-SGD at batch **{batch}** in fp32: how many **GB** do the per-example "
                "gradients alone take?"),
        variants={"model": ["mobilenetv2", "resnet50", "bert_base"], "batch": [32, 64, 128, 256]},
        answer=lambda model, batch: solve(model, "h100", 1.0, batch, 60000, 1000).per_example_gradient_memory.to("GB").magnitude,
        describe=lambda model, **_: {"name": model_name(model)},
        tolerance=0.02, unit="GB",
        hint="One gradient per example of the batch, each as large as the model: batch × parameters × 4 bytes.",
        math=_memory_math,
    ),
    Question(
        id="max_steps",
        prompt=("With **σ = {noise}**, batches of **{batch}** from **{dataset:,}** examples and δ = 1e-5, how many "
                "**steps** can you train before ε exceeds **{budget}**?"),
        variants={"noise": [1.5, 2.0], "batch": [128, 256, 512], "dataset": [50000, 60000], "budget": [1, 2, 4]},
        answer=lambda noise, batch, dataset, budget: max_steps_within(solve("resnet50", "h100", noise, batch, dataset, 1000), budget),
        tolerance=0.03, unit="steps",
        hint="Set the budget control to it: the table gives the most steps the budget allows.",
        math=_steps_math,
    ),
]

PREDICTION_SETUP = {"model": "resnet50", "hw": "h100", "noise": 1.1, "batch": 256, "dataset": 60000, "steps": 14062}

PREDICTIONS = [
    Prediction(
        id="mnist_epsilon",
        prompt=("Abadi et al. (2016) trained on MNIST's 60,000 images with DP-SGD: noise multiplier σ = 1.1, batches of "
                "256, 60 epochs (14,062 steps), δ = 1e-5. What **ε** (privacy loss; 0 is perfect privacy, above ~10 is "
                "weak) does the run spend?"),
        truth=lambda: solve(**PREDICTION_SETUP).epsilon,
        unit="ε",
    ),
]

DELTA = DEFAULT_DELTA
