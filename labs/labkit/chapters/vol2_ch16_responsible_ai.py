"""Questions, curves and chart of the fairness-budget lab (Volume II, chapter 16).

Every number is the engine's. The evaluation side reuses the Volume I chapter 15 lab's functions
(``formulas.calc_subgroup_sample_size``: Fleiss et al. 2003 eq. 4.14 with Bonferroni, and
``SingleNodeModel``/``EconomicsModel`` for running the test set): no second copy. The serving side
is ``ServingModel`` on one accelerator per replica: the served model's decode throughput, the safety
filter's prefill of each prompt (``formulas.calc_batch_throughput``), the replicas each needs for the
traffic (``formulas.calc_replicas_for_load``, the utilisation law, no queueing headroom) and a month
of them with ``EconomicsModel``. The served model's own prefill is left out (decode only), so the
filter's share is an upper bound. The chart's template is written here and filled by ``viz.fill``.
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import EconomicsModel, ServingModel, viz
from mlsysim.physics import formulas, kernels
from mlsysim.registries import Hardware, Models
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question
from . import vol1_ch15_responsible_engineering as evaluation

PROMPT, OUTPUT = 512, 256      # tokens per request: the prompt the filter screens, the answer generated
BATCH = 16                     # requests per batch, for the served model and the filter
MONTH = "30 day"
TRAFFIC = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]  # requests/s drawn
MAX_TRAFFIC = 10000
MAX_GROUPS = evaluation.MAX_GROUPS
MODELS = ["llama3_8b", "llama2_7b", "mixtral_8x7b"]
FILTERS = ["bert_base", "llama2_7b", "llama3_8b"]
ACCELERATORS = ["h100", "h200", "a100_80gb", "l4"]

_SERVE, _ECON = ServingModel(), EconomicsModel()


def options(keys, registry) -> dict[str, str]:
    return {registry.get(k).name: k for k in keys}


def model_options() -> dict[str, str]:
    return options(MODELS, Models)


def filter_options() -> dict[str, str]:
    return options(FILTERS, Models)


def accelerator_options() -> dict[str, str]:
    return options(ACCELERATORS, Hardware)


@lru_cache(maxsize=64)  # the registry does not change while a page is open
def month_usd(accelerator: str, count: int) -> float:
    """A month of ``count`` owned accelerators, busy all the time: the engine's TCO, USD."""
    return _ECON.solve(accelerator, MONTH, count=int(count), utilization=1.0).tco.to("USD").magnitude


@lru_cache(maxsize=64)
def serving(model: str, accelerator: str):
    """The served model on one accelerator: a batch of ``BATCH`` at ``PROMPT + OUTPUT`` tokens."""
    return _SERVE.solve(model, accelerator, seq_len=PROMPT + OUTPUT, batch_size=BATCH)


@lru_cache(maxsize=64)
def screening(filter_model: str, accelerator: str):
    """The filter on one accelerator: one prefill pass over ``BATCH`` prompts of ``PROMPT`` tokens."""
    return _SERVE.solve(filter_model, accelerator, seq_len=PROMPT, batch_size=BATCH)


@lru_cache(maxsize=64)
def filter_rate(screen) -> float:
    """Prompts screened per second by one filter replica."""
    return formulas.calc_batch_throughput(BATCH, screen.ttft).magnitude


def replicas(traffic: float, serve, screen) -> tuple[int, int]:
    """(replicas of the served model, replicas of the filter) for ``traffic`` requests per second
    (the kernel on floats: the chart calls this for every point)."""
    main = kernels.replicas_for_load(traffic, OUTPUT, serve.decode_throughput.to("1/s").magnitude)
    guard = kernels.replicas_for_load(traffic, 1.0, filter_rate(screen))
    return int(main), int(guard)


def filter_replicas(traffic: float, filter_model: str, accelerator: str) -> int:
    return replicas(traffic, serving("llama3_8b", accelerator), screening(filter_model, accelerator))[1]


def budget(groups, gap_pts, traffic, model, filter_model, accelerator) -> dict:
    """Everything the page shows: the subgroup evaluation (samples, cost on one accelerator) and a
    month of serving with and without the filter."""
    ev = evaluation.evaluate(90, gap_pts, 0.95, 0.8, groups, model, accelerator, PROMPT)
    serve, screen = serving(model, accelerator), screening(filter_model, accelerator)
    out = {"evaluation": ev, "serve": serve, "screen": screen, "fits": serve.feasible and screen.feasible}
    if out["fits"]:
        main, guard = replicas(traffic, serve, screen)
        out.update(main=main, guard=guard, main_usd=month_usd(accelerator, main),
                   guard_usd=month_usd(accelerator, guard), rate=filter_rate(screen))
    return out


def curve(b: dict, accelerator: str) -> list[dict]:
    """A month of the served model's and the filter's replicas against the traffic, and the cost of
    one subgroup evaluation. Each point is its replicas times the engine's month of one accelerator
    (the TCO grows in proportion to the count; the fast test re-solves each point)."""
    if not b["fits"]:
        return []
    one = month_usd(accelerator, 1)
    rows = []
    for t in TRAFFIC:
        main, guard = replicas(t, b["serve"], b["screen"])
        rows += [{"traffic": t, "what": "serving the model", "usd": one * main, "replicas": main},
                 {"traffic": t, "what": "the safety filter", "usd": one * guard, "replicas": guard}]
        if b["evaluation"]["fits"]:
            rows.append({"traffic": t, "what": "one subgroup evaluation", "usd": b["evaluation"]["usd"], "replicas": 1})
    return rows


WHAT = ["serving the model", "the safety filter", "one subgroup evaluation"]
TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "point": True, "interpolate": "step-after"},
         "encoding": {"x": {"field": "traffic", "type": "quantitative", "title": "Traffic (requests/s, log)",
                            "scale": {"type": "log"}, "axis": {"format": "~s"}},
                      "y": {"field": "usd", "type": "quantitative", "title": "USD per month (evaluation: once, log)",
                            "scale": {"type": "log"},
                            "axis": {"labelExpr": "datum.value < 1 ? format(datum.value, '.2~f') : format(datum.value, '~s')"}},
                      "color": {"field": "what", "type": "nominal", "title": None,
                                "scale": {"domain": WHAT,
                                          "range": [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"]]}}}},
        {"data": {"name": "yours"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
         "encoding": {"x": {"field": "traffic", "type": "quantitative"}}},
    ],
}


def chart(b: dict, rows: list[dict], traffic: float, title: str) -> viz.Chart:
    datasets = {"curve": rows, "yours": [{"traffic": traffic}]}
    if b["fits"]:
        summary = (f"A month's cost against traffic: at your {traffic:g} requests/s the model needs {b['main']} "
                   f"replicas ({b['main_usd']:,.0f} USD) and the filter {b['guard']} ({b['guard_usd']:,.0f} USD)"
                   + (f"; one subgroup evaluation costs {b['evaluation']['usd']:.3g} USD." if b["evaluation"]["fits"] else "."))
    else:
        summary = "The served model or the filter does not fit on this accelerator, so nothing is drawn."
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------


def _replica_math(traffic, filter_model, accelerator) -> str:
    s = screening(filter_model, accelerator)
    return (f"One replica screens {BATCH} prompts of {PROMPT} tokens per prefill pass of {s.ttft.to('ms').magnitude:.4g} ms: "
            f"{filter_rate(s):,.4g} prompts/s. Replicas = ⌈{traffic:,} ÷ {filter_rate(s):,.4g}⌉ = "
            f"**{filter_replicas(traffic, filter_model, accelerator)}** (the utilisation law, no headroom).")


def guard_month(traffic, filter_model, accelerator) -> float:
    return month_usd(accelerator, filter_replicas(traffic, filter_model, accelerator))


QUESTIONS = [
    Question(
        id="filter_replicas",
        prompt=("A safety filter, **{filter_name}**, screens every prompt ({prompt} tokens, batches of {batch}) of "
                "a service taking **{traffic:,} requests/s**, on **{accelerator_name}**s. How many filter replicas "
                "(one accelerator each) keep up?"),
        variants={"traffic": [50, 200, 500, 1000, 2000], "filter_model": ["bert_base", "llama3_8b", "llama2_7b"],
                  "accelerator": ["h100", "a100_80gb", "h200"]},
        answer=filter_replicas, tolerance=0.0, unit="replicas",
        describe=lambda filter_model, accelerator, **_: {"filter_name": Models.get(filter_model).name,
                                                         "accelerator_name": Hardware.get(accelerator).name,
                                                         "prompt": PROMPT, "batch": BATCH},
        hint="Set the traffic, filter and accelerator; read the filter's replicas.",
        math=_replica_math,
    ),
    Question(
        id="eval_samples",
        prompt=("The fleet's users fall into **{groups}** subgroups; to detect a **{gap}-point** accuracy gap "
                "(90 % accuracy, 95 % confidence, 80 % power, Bonferroni against a reference group), how many "
                "labelled test samples in all?"),
        variants={"groups": [4, 6, 8, 12, 16, 20], "gap": [1, 2, 3]},
        answer=lambda groups, gap: evaluation.total(90, gap, 0.95, 0.8, groups),
        tolerance=0.01, unit="samples",
        hint="Set the groups and the gap; the samples are in the first paragraph under the chart.",
        math=lambda groups, gap: evaluation._n_math(90, gap, 0.95, 0.8, groups),
    ),
    Question(
        id="guard_month",
        prompt=("What does a month of that filter cost? **{filter_name}** on **{accelerator_name}**s at "
                "**{traffic:,} requests/s**, owned and busy all month, in **USD**."),
        variants={"traffic": [100, 500, 1000, 5000], "filter_model": ["bert_base", "llama3_8b"],
                  "accelerator": ["h100", "h200"]},
        answer=guard_month, tolerance=0.03, unit="USD",
        describe=lambda filter_model, accelerator, **_: {"filter_name": Models.get(filter_model).name,
                                                         "accelerator_name": Hardware.get(accelerator).name},
        hint="The filter's monthly cost is in the text under the chart.",
        math=lambda traffic, filter_model, accelerator: (
            f"{filter_replicas(traffic, filter_model, accelerator)} replicas × a month of one "
            f"{Hardware.get(accelerator).name} ({month_usd(accelerator, 1):,.4g} USD: CapEx share + energy + "
            f"maintenance) = **{guard_month(traffic, filter_model, accelerator):,.4g} USD**."),
    ),
]

_SHARES = {"under 10 %": 0.10, "10 to 40 %": 0.40, "40 to 100 %": 1.0, "more than doubles it": float("inf")}


def share_option(guard: int, main: int) -> str:
    """Which option holds the filter's replicas as a share of the served model's."""
    share = guard / main
    return next(k for k, top in _SHARES.items() if share < top)


PREDICTIONS = [
    Prediction(
        id="filter_share",
        prompt=("Llama 3 8B answers 1,000 requests/s on H100s. A safety filter of the **same size** (an 8B "
                "guard model) reads every prompt before it is answered. How much does the filter add to the "
                "serving fleet?"),
        options=list(_SHARES),
        truth=lambda: share_option(*reversed(replicas(1000, serving("llama3_8b", "h100"),
                                                      screening("llama3_8b", "h100")))),
    ),
]
