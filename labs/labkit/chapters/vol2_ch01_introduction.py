"""Questions, runs and charts of the scale-out lab (Volume II, chapter 1, Introduction).

Every number is the engine's: ``ScalingModel.training_run`` composes ``DistributedModel`` (the
step time of a fixed layout and its scaling efficiency, compute / step), ``ReliabilityModel``
(the fleet MTBF, the failures expected in the run, the goodput under Young-Daly checkpointing)
and ``EconomicsModel`` (the TCO of the run's wall-clock time). ``kernels.speedup`` turns two
times into a growth factor. The fleets are the registry's 8,192-GPU H100 cluster (its server and
fabric) with as many servers as the student asks for.

The charts' templates are written here (``mlsysim.viz`` has no chart against GPU count): line
charts filled by ``viz.fill`` like viz's own, with the student's GPU count marked.
"""

from __future__ import annotations

from functools import lru_cache

from mlsysim import Fleets, Models, viz
from mlsysim.core.units import Q_
from mlsysim.physics import kernels
from mlsysim.solvers.defaults import DEFAULT_ACCELERATOR_MTBF_HOURS
from mlsysim.solvers.scaling import ScalingModel
from mlsysim.systems.types import Fleet
from mlsysim.viz.data import fmt
from mlsysim.viz.template import CATEGORY_COLOURS, PALETTE, lab_frame

from ..questions import Prediction, Question

REFERENCE_FLEET = "frontier8k"  # 8 x H100 per server, 400 Gb/s rail-optimised InfiniBand (registry)
MODELS = {"Llama-3-8B": "llama3_8b", "Llama-3-70B": "llama3_70b"}
# The layout held fixed while the fleet grows (weak scaling: one sequence per data-parallel replica,
# so the global batch grows with the fleet): 8B is sharded data parallel (ZeRO-3, FSDP-style);
# 70B is tensor parallel over the 8 GPUs of a server, data parallel across servers, ZeRO-1.
LAYOUTS = {"llama3_8b": {"zero_stage": 3}, "llama3_70b": {"tp_size": 8, "zero_stage": 1}}
PER_SERVER = Fleets.get(REFERENCE_FLEET).node.accelerators_per_node
MAX_GPUS = 16384
CURVE_GPUS = [PER_SERVER * 2**i for i in range(12)]  # 8 ... 16,384: one point per doubling
# the engine's default per-GPU MTBF (Llama 3 405B's run: 419 interruptions in 54 days on 16,384 H100s)
DEFAULT_MTBF_YEARS = round(Q_(DEFAULT_ACCELERATOR_MTBF_HOURS, "hour").to("year").magnitude, 1)

_SCALING = ScalingModel()


@lru_cache(maxsize=64)
def fleet(gpus: int, with_site: bool = False) -> Fleet:
    """The reference cluster with ``gpus`` // 8 servers (at least one); with its site (grid, PUE)
    when ``with_site`` (the I.3 lab's carbon cap needs it)."""
    ref = Fleets.get(REFERENCE_FLEET)
    servers = max(1, int(gpus) // PER_SERVER)
    # no site by default: the run's cost uses the engine's default electricity price and PUE, and no
    # carbon is computed (the sustainability chain would make each run ~6x slower, and this lab draws
    # 12 per curve)
    return Fleet(name=f"{servers * PER_SERVER:,} H100 ({servers:,} servers)", node=ref.node, count=servers,
                 fabric=ref.fabric, datacenter=ref.datacenter if with_site else None)


@lru_cache(maxsize=256)
def run(model: str, gpus: int, mtbf_years: float):
    """The engine's training run of ``model`` on its published tokens on ``gpus`` GPUs."""
    f = fleet(gpus)
    layout = LAYOUTS[model]
    replicas = f.total_accelerators // layout.get("tp_size", 1)
    return _SCALING.training_run(model, f, batch_size=replicas, parallelism=layout,
                                 accelerator_mtbf=f"{mtbf_years} year")


def gpus_used(gpus: int) -> int:
    """The GPUs of whole servers that ``gpus`` asks for."""
    return fleet(gpus).total_accelerators


def smallest_fit(model: str, mtbf_years: float) -> int | None:
    """The smallest GPU count of the curve on which the layout fits in memory."""
    return next((n for n in CURVE_GPUS if run(model, n, mtbf_years).feasible), None)


def growth(model: str, small: int, large: int, mtbf_years: float) -> dict[str, float]:
    """How many times faster the run finishes, and how many times sooner failures come, from ``small``
    to ``large`` GPUs (both ``kernels.speedup`` of the engine's times), and the cost's growth."""
    a, b = run(model, small, mtbf_years), run(model, large, mtbf_years)
    return {"run": kernels.speedup(a.duration.to("s").magnitude, b.duration.to("s").magnitude),
            "failures": kernels.speedup(a.reliability.fleet_mtbf.to("s").magnitude,
                                        b.reliability.fleet_mtbf.to("s").magnitude),
            "cost": kernels.speedup(b.cost.to("USD").magnitude, a.cost.to("USD").magnitude)}


@lru_cache(maxsize=32)
def curves(model: str, mtbf_years: float) -> tuple[list[dict], list[dict]]:
    """(efficiency rows in %, time rows in hours) of every curve GPU count that fits."""
    eff, times = [], []
    for n in CURVE_GPUS:
        r = run(model, n, mtbf_years)
        if not r.feasible:
            continue
        eff += [{"gpus": n, "value": 100.0 * r.distributed.scaling_efficiency, "series": "scaling efficiency"},
                {"gpus": n, "value": 100.0 * r.goodput, "series": "goodput"}]
        times += [{"gpus": n, "value": r.reliability.fleet_mtbf.to("hour").magnitude, "series": "fleet MTBF"},
                  {"gpus": n, "value": r.duration.to("hour").magnitude, "series": "training run (wall clock)"}]
    return eff, times


def _template(y_title: str, y_log: bool, series: list[str]) -> dict:
    """Lines of ``series`` against GPU count (log), the student's count as a dashed rule."""
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": {"domain": series, "range": CATEGORY_COLOURS[:len(series)]}}
    x = {"field": "gpus", "type": "quantitative", "title": "GPUs (log scale)",
         "scale": {"type": "log", "base": 2, "nice": False}, "axis": {"format": "~s", "values": CURVE_GPUS[::2]}}
    y = {"field": "value", "type": "quantitative", "title": y_title,
         "scale": {"type": "log"} if y_log else {"zero": False}, "axis": {"format": "~g"}}
    return {
        **lab_frame(260),
        "layer": [
            {"data": {"name": "curves"}, "mark": {"type": "line", "point": True, "strokeWidth": 2},
             "encoding": {"x": x, "y": y, "color": colour}},
            {"data": {"name": "yours"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["vermillion"]},
             "encoding": {"x": {"field": "gpus", "type": "quantitative"}}},
            {"data": {"name": "yours"}, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "baseline": "top",
                                                 "color": PALETTE["vermillion"], "fontWeight": "bold"},
             "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "y": {"value": 0},
                          "text": {"field": "label", "type": "nominal"}}},
        ],
    }


EFFICIENCY_SERIES = ["scaling efficiency", "goodput"]
TIME_SERIES = ["fleet MTBF", "training run (wall clock)"]
EFFICIENCY_TEMPLATE = _template("% of the time", False, EFFICIENCY_SERIES)
TIME_TEMPLATE = _template("hours (log scale)", True, TIME_SERIES)


def charts(model: str, gpus: int, mtbf_years: float) -> tuple[viz.Chart, viz.Chart]:
    """(scaling efficiency and goodput, fleet MTBF and run length) against GPU count, ``gpus`` marked."""
    eff, times = curves(model, mtbf_years)
    n = gpus_used(gpus)
    mine = run(model, n, mtbf_years)
    yours = [{"gpus": n, "label": f"yours: {n:,}"}]
    name = Models.get(model).name
    if mine.feasible:
        s1 = (f"Scaling efficiency and goodput of {name} against GPU count; at your {n:,} GPUs: "
              f"{100 * mine.distributed.scaling_efficiency:.1f} % and {100 * mine.goodput:.1f} %.")
        s2 = (f"Fleet MTBF and the run's wall-clock length against GPU count; at your {n:,} GPUs the fleet fails "
              f"every {fmt(mine.reliability.fleet_mtbf.to('hour').magnitude)} h and the run takes "
              f"{fmt(mine.duration.to('hour').magnitude)} h.")
    else:
        s1 = s2 = f"{name} does not fit on {n:,} GPUs with this layout; the curves start where it fits."
    return (viz.Chart(viz.fill(EFFICIENCY_TEMPLATE, {"curves": eff, "yours": yours},
                               title=f"{name}: what stays useful as the fleet grows"), {"curves": eff, "yours": yours}, s1),
            viz.Chart(viz.fill(TIME_TEMPLATE, {"curves": times, "yours": yours},
                               title=f"{name}: failures come sooner, the run ends sooner"),
                      {"curves": times, "yours": yours}, s2))


# --- check yourself ---------------------------------------------------------------------------
_VARIANTS = {"gpus": [256, 512, 1024, 2048, 4096, 8192, 16384], "model": list(MODELS.values()),
             "mtbf_years": [3.0, 5.0, 8.0]}


def tokens_label(model: str) -> str:
    """'15 trillion': the model's published training tokens (registry), in words."""
    tokens = run(model, PER_SERVER * 64, DEFAULT_MTBF_YEARS).tokens.to("count").magnitude
    return f"{tokens / 1e12:,.3g} trillion" if tokens >= 1e12 else f"{tokens / 1e9:,.3g} billion"


def _names(model, **_) -> dict:
    return {"model_name": Models.get(model).name, "tokens": tokens_label(model)}


def _efficiency_math(gpus, model, **_) -> str:
    d = run(model, gpus, DEFAULT_MTBF_YEARS).distributed
    return (f"scaling efficiency = compute ÷ step = {d.compute_time.to('ms').magnitude:,.4g} ms ÷ "
            f"{d.step_time.to('ms').magnitude:,.4g} ms = **{100 * d.scaling_efficiency:.4g} %** (the rest is "
            f"communication the step waits for: {d.communication_time.to('ms').magnitude:,.4g} ms).")


def _failures_math(gpus, model, mtbf_years) -> str:
    r = run(model, gpus, mtbf_years)
    return (f"fleet MTBF = {mtbf_years:g} years ÷ {gpus:,} = {r.reliability.fleet_mtbf.to('hour').magnitude:.4g} h; "
            f"failures = run length without failures ÷ fleet MTBF = {r.ideal_duration.to('hour').magnitude:,.4g} h ÷ "
            f"{r.reliability.fleet_mtbf.to('hour').magnitude:.4g} h = **{r.reliability.expected_failures:.4g}**.")


def _days_math(gpus, model, mtbf_years) -> str:
    r = run(model, gpus, mtbf_years)
    return (f"ideal = steps × step time = {r.steps:,} × {r.step_time.to('s').magnitude:.4g} s = "
            f"{r.ideal_duration.to('day').magnitude:.4g} days; wall clock = ideal ÷ goodput = "
            f"{r.ideal_duration.to('day').magnitude:.4g} ÷ {r.goodput:.4f} = **{r.duration.to('day').magnitude:.4g} days**.")


QUESTIONS = [
    Question(
        id="scaling_efficiency",
        prompt=("Training **{model_name}** on **{gpus:,} H100s** (the lab's layout, one sequence per replica): "
                "what **percentage** of each step is spent computing (the scaling efficiency)?"),
        variants={"gpus": _VARIANTS["gpus"], "model": _VARIANTS["model"]},
        answer=lambda gpus, model: 100.0 * run(model, gpus, DEFAULT_MTBF_YEARS).distributed.scaling_efficiency,
        tolerance=0.02, unit="%", describe=_names,
        hint="Read it off the first chart at that GPU count: compute time ÷ step time.",
        math=_efficiency_math,
    ),
    Question(
        id="failures",
        prompt=("**{model_name}** trains on its {tokens} tokens on **{gpus:,} GPUs**, each failing once every "
                "**{mtbf_years:g} years** on average. How many **failures** are expected during the run?"),
        variants=_VARIANTS,
        answer=lambda gpus, model, mtbf_years: run(model, gpus, mtbf_years).reliability.expected_failures,
        tolerance=0.05, unit="failures", describe=_names,
        hint="Failures = run length ÷ fleet MTBF, and the fleet MTBF is the per-GPU MTBF ÷ N.",
        math=_failures_math,
    ),
    Question(
        id="run_days",
        prompt=("Same run: **{model_name}** on **{gpus:,} GPUs**, per-GPU MTBF **{mtbf_years:g} years**, "
                "checkpointing at the Young-Daly interval. How many **days** does it take, wall clock?"),
        variants=_VARIANTS,
        answer=lambda gpus, model, mtbf_years: run(model, gpus, mtbf_years).duration.to("day").magnitude,
        tolerance=0.03, unit="days", describe=_names,
        hint="The run without failures, divided by the goodput (the share of time left after checkpoints and rework).",
        math=_days_math,
    ),
]

PREDICT_SMALL, PREDICT_LARGE = PER_SERVER, 8192
PREDICT_OPTIONS = ["the run's speed (it finishes that many times sooner)",
                   "the failure rate (failures come that many times more often)",
                   "the cost of the run"]


def _most_growth() -> str:
    g = growth("llama3_8b", PREDICT_SMALL, PREDICT_LARGE, DEFAULT_MTBF_YEARS)
    return PREDICT_OPTIONS[["run", "failures", "cost"].index(max(g, key=g.get))]


PREDICTIONS = [
    Prediction(
        id="fastest_growth",
        prompt=("Llama-3-8B trains first on one 8-GPU server, then on 1,024 of them (8,192 GPUs: 1,024 times "
                "more). Which grows by the largest factor?"),
        options=PREDICT_OPTIONS,
        truth=_most_growth,
    ),
]
