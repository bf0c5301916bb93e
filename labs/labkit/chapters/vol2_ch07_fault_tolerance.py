"""Questions, curve and chart of the fault-tolerance lab (Volume II, chapter 7).

Every number is the engine's: ``ReliabilityModel`` for the fleet MTBF, the Young-Daly interval and
the goodput at it; ``kernels.checkpoint_goodput`` (Daly 2006, first order) for the goodput at any
other interval, which is how the chart's curve is drawn. The chart's template is written here (the
kit's ``mlsysim.viz`` has no goodput chart): a Vega-Lite dict filled by ``viz.fill`` like viz's own.
"""

from __future__ import annotations

from mlsysim import ReliabilityModel, viz
from mlsysim.physics import kernels
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

HARDWARE = "h100"
JOB = "30 day"          # a month-long training run: the horizon of the failure counts
MAX_GPUS = 131072
MAX_INTERVAL_MIN = 1440  # the interval control reaches a day (small fleets have long optima)
MINUTE = 60.0  # seconds per minute, for display only

_MODEL = ReliabilityModel()


def solve(gpus: int, mtbf_years: float, checkpoint_s: float):
    """The engine's reliability result for ``gpus`` H100s with this per-GPU MTBF and write time."""
    return _MODEL.solve(HARDWARE, JOB, count=int(gpus), accelerator_mtbf=f"{mtbf_years} year",
                        checkpoint_time=f"{checkpoint_s} s")


def _floats(result) -> tuple[float, float, float]:
    """(checkpoint write time, fleet MTBF, restart time) of ``result``, in seconds."""
    return (result.checkpoint_time.to("s").magnitude, result.fleet_mtbf.to("s").magnitude,
            result.restart_time.to("s").magnitude)


def goodput_at(result, interval_s: float) -> float:
    """Goodput (fraction) of ``result``'s job when it checkpoints every ``interval_s`` seconds."""
    return kernels.checkpoint_goodput(interval_s, *_floats(result))


def curve(result, points: int = 61) -> list[dict]:
    """Goodput against the interval on a log grid from 1/20 to 20 x the optimum, plus the optimum
    itself (so the curve's highest point is the one marked)."""
    best = result.checkpoint_interval.to("s").magnitude
    delta, mtbf, restart = _floats(result)
    xs = sorted({best * 20.0 ** (2.0 * i / (points - 1) - 1.0) for i in range(points)} | {best})
    return [{"interval": x / MINUTE, "goodput": 100.0 * kernels.checkpoint_goodput(x, delta, mtbf, restart)}
            for x in xs]


# The chart: goodput (%) against the checkpoint interval (minutes, log), the optimum and the
# student's interval marked. Same look as mlsysim.viz's templates (config, SVG, container width).
TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "color": PALETTE["blue"], "strokeWidth": 2},
         "encoding": {"x": {"field": "interval", "type": "quantitative", "title": "Checkpoint interval (minutes)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~g"}},
                      "y": {"field": "goodput", "type": "quantitative", "title": "Goodput (% of wall-clock time)",
                            "scale": {"zero": False}}}},
        {"data": {"name": "marks"}, "mark": {"type": "rule", "strokeDash": [4, 3]},
         "encoding": {"x": {"field": "interval", "type": "quantitative"},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"],
                                          "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
        {"data": {"name": "marks"}, "mark": {"type": "point", "filled": True, "size": 120},
         "encoding": {"x": {"field": "interval", "type": "quantitative"},
                      "y": {"field": "goodput", "type": "quantitative"},
                      "shape": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"], "range": ["diamond", "circle"]}},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"],
                                          "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
        {"data": {"name": "marks"}, "mark": {"type": "text", "align": "left", "dx": 6, "fontWeight": "bold"},
         "encoding": {"x": {"field": "interval", "type": "quantitative"},
                      "y": {"field": "label_y", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"},
                      "color": {"field": "which", "type": "nominal", "legend": None,
                                "scale": {"domain": ["optimum", "yours"],
                                          "range": [PALETTE["green"], PALETTE["vermillion"]]}}}},
    ],
}


def chart(result, interval_s: float, title: str) -> viz.Chart:
    """The goodput curve of ``result``'s job, its optimum and the interval ``interval_s``."""
    rows = curve(result)
    best_s = result.checkpoint_interval.to("s").magnitude
    best_g, mine_g = 100.0 * goodput_at(result, best_s), 100.0 * goodput_at(result, interval_s)
    low = min(r["goodput"] for r in rows)
    span = best_g - low
    marks = [
        {"which": "optimum", "interval": best_s / MINUTE, "goodput": best_g, "label_y": best_g - 0.08 * span,
         "label": f"optimum {fmt(best_s / MINUTE)} min: {best_g:.1f} %"},
        {"which": "yours", "interval": interval_s / MINUTE, "goodput": mine_g, "label_y": best_g - 0.2 * span,
         "label": f"yours {fmt(interval_s / MINUTE)} min: {mine_g:.1f} %"},
    ]
    datasets = {"curve": rows, "marks": marks}
    summary = (f"Goodput against the checkpoint interval: highest, {best_g:.1f} %, at the Young-Daly optimum of "
               f"{fmt(best_s / MINUTE)} minutes; at your {fmt(interval_s / MINUTE)} minutes it is {mine_g:.1f} %.")
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_FLEET = {"gpus": [1024, 2048, 4096, 8192, 16384, 32768], "mtbf_years": [2, 3, 5, 8]}


def _fleet_math(gpus, mtbf_years, **_) -> str:
    r = solve(gpus, mtbf_years, 60)
    return (f"fleet MTBF = per-GPU MTBF ÷ N = {mtbf_years} years × 8,766 h/year ÷ {gpus:,} = "
            f"**{r.fleet_mtbf.to('hour').magnitude:.4g} h** (failure rates add; any failure stops the job).")


def _interval_math(gpus, mtbf_years, checkpoint_s) -> str:
    r = solve(gpus, mtbf_years, checkpoint_s)
    return (f"τ* = √(2 δ M) = √(2 × {checkpoint_s} s × {r.fleet_mtbf.to('s').magnitude:,.0f} s) = "
            f"**{r.checkpoint_interval.to('minute').magnitude:.4g} min** (Young 1974).")


def _goodput_math(gpus, mtbf_years, checkpoint_s) -> str:
    r = solve(gpus, mtbf_years, checkpoint_s)
    tau, m = r.checkpoint_interval.to("s").magnitude, r.fleet_mtbf.to("s").magnitude
    return (f"goodput = 1 − δ/τ* − (τ*/2 + R)/M = 1 − {checkpoint_s}/{tau:,.0f} − ({tau / 2:,.0f} + "
            f"{r.restart_time.to('s').magnitude:.0f})/{m:,.0f} = **{100 * r.goodput:.4g} %**.")


QUESTIONS = [
    Question(
        id="fleet_mtbf",
        prompt=("A synchronous job runs on **{gpus:,} GPUs**, each with an MTBF of **{mtbf_years} years**. "
                "How many **hours** pass, on average, between failures that stop the job?"),
        variants=_FLEET,
        answer=lambda gpus, mtbf_years: solve(gpus, mtbf_years, 60).fleet_mtbf.to("hour").magnitude,
        tolerance=0.03, unit="hours",
        hint="Any one GPU failing stops the job, so the failure rates add: divide the per-GPU MTBF by N.",
        math=_fleet_math,
    ),
    Question(
        id="young_daly",
        prompt=("On **{gpus:,} GPUs** with a per-GPU MTBF of **{mtbf_years} years**, writing a checkpoint takes "
                "**{checkpoint_s} s**. What checkpoint interval, in **minutes**, maximises goodput?"),
        variants={**_FLEET, "checkpoint_s": [30, 60, 120, 300]},
        answer=lambda gpus, mtbf_years, checkpoint_s: solve(gpus, mtbf_years, checkpoint_s)
        .checkpoint_interval.to("minute").magnitude,
        tolerance=0.03, unit="minutes",
        hint="Young-Daly: τ* = √(2 × write time × fleet MTBF), with both in the same unit.",
        math=_interval_math,
    ),
    Question(
        id="goodput_opt",
        prompt=("Same kind of job: **{gpus:,} GPUs**, per-GPU MTBF **{mtbf_years} years**, checkpoint write "
                "**{checkpoint_s} s**, 10 minutes to restart after a failure. Checkpointing at the optimum "
                "interval, what **goodput (%)** does the job get?"),
        variants={**_FLEET, "checkpoint_s": [30, 60, 120, 300]},
        answer=lambda gpus, mtbf_years, checkpoint_s: 100.0 * solve(gpus, mtbf_years, checkpoint_s).goodput,
        tolerance=0.01, unit="%",
        hint="Goodput = 1 − (write time ÷ interval) − (half an interval + restart) ÷ fleet MTBF.",
        math=_goodput_math,
    ),
]

PREDICTIONS = [
    Prediction(
        id="fleet_failures",
        prompt=("Meta trained Llama 3 405B on 16,384 H100s; each GPU, on its own, fails about once every "
                "5.8 years. How many **hours** pass, on average, between failures that stop the whole job?"),
        truth=lambda: solve(16384, 5.8, 60).fleet_mtbf.to("hour").magnitude,
        unit="hours",
    ),
]
