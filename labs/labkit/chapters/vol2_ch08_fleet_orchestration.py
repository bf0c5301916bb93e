"""Questions, curves and chart of the fleet-orchestration lab (Volume II, chapter 8).

Every number is the engine's: ``OrchestrationModel`` (Wall 16, multi-tenant) places gang-scheduled
jobs of one size on a cluster of 8-GPU nodes (or on MIG slices of its GPUs), which fixes the job
slots and the fragmentation, and queues the jobs as M/M/c on those slots (Erlang C). The load the
student sets is the share of the cluster's GPUs kept busy; ``kernels.arrival_rate_for_gpu_load``
(Little's law) turns it into the job arrival rate the solver takes. The curves are the solver's
own float path (``orchestration.evaluate``) on the plan of the solved result, so each point is the
same computation as the numbers in the text. The chart's template is written here (the kit's
``mlsysim.viz`` has no wait-against-utilisation chart): a Vega-Lite dict filled by ``viz.fill``.
"""

from __future__ import annotations

from mlsysim import formulas, viz
from mlsysim.core.units import make
from mlsysim.physics import kernels
from mlsysim.solvers.orchestration import OrchestrationModel, OrchestrationPlan, evaluate
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

GPUS_PER_NODE = 8  # the cluster is built of 8-GPU nodes (DGX/HGX class)
MAX_NODES = 64
HOUR, MINUTE = 3600.0, 60.0  # seconds, for display only

# The job-size control: what the student sees -> the value the URL and storage hold.
JOBS = {f"{s}/7 of a GPU (MIG {s}g slice)": f"mig{s}" for s in (1, 2, 3, 4)}
JOBS |= {f"{k} GPU{'s' if k > 1 else ''} (gang)": str(k) for k in (1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 48, 64, 128)}
REFERENCE = "1"  # the comparison curve: single-GPU jobs, no gang, no fragmentation

# points of each curve, as fractions of the highest GPU utilisation the placement allows
_FRACTIONS = [i / 20 for i in range(1, 19)] + [0.92, 0.94, 0.96, 0.97, 0.98, 0.99, 0.995]

_MODEL = OrchestrationModel()
# Quantities built from floats, not parsed from text: parsing '4 hour' costs about a millisecond in the browser
_NO_ARRIVALS = make(0.0, "rate")


def _hours(h: float):
    return make(h * HOUR, "time")


def _placement(job: str) -> dict:
    """The solver's placement arguments for a job-size value ('8' or 'mig3')."""
    return {"mig_slices": int(job[3:])} if job.startswith("mig") else {"gpus_per_job": int(job)}


def job_label(job: str) -> str:
    """'64 GPUs' or '3/7 of a GPU': the job size in words."""
    return {v: k for k, v in JOBS.items()}[job].split(" (")[0]


def series_label(job: str) -> str:
    """'64-GPU jobs' or 'MIG 3g jobs': a curve's name."""
    return f"MIG {job[3:]}g jobs" if job.startswith("mig") else f"{job}-GPU jobs"


def duration_text(q) -> str:
    """A wait in the unit that reads best: seconds, minutes, hours or days (display only)."""
    s = q.to("s").magnitude
    if s < 1.0:
        return "under a second"
    for unit, size in (("days", 86400.0), ("h", HOUR), ("min", MINUTE)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.2g} s"


def cluster(nodes: int, job: str, duration_h: float):
    """The engine's placement of ``job``-sized jobs on ``nodes`` x 8 GPUs (no load yet): slots, fragmentation."""
    return _MODEL.solve(_NO_ARRIVALS, _hours(duration_h), nodes=int(nodes), gpus_per_node=GPUS_PER_NODE, **_placement(job))


def solve(nodes: int, job: str, load: float, duration_h: float):
    """The engine's queue of ``job``-sized jobs of ``duration_h`` hours keeping a share ``load`` of the GPUs busy."""
    empty = cluster(nodes, job, duration_h)
    if not empty.feasible:
        return empty  # the job does not fit in this cluster at all
    rate = formulas.calc_arrival_rate_for_gpu_load(load, empty.total_gpus, empty.gpus_per_job, _hours(duration_h))
    return _MODEL.solve(rate, _hours(duration_h), nodes=int(nodes), gpus_per_node=GPUS_PER_NODE, **_placement(job))


def usable_share(result) -> float:
    """The highest share of the GPUs jobs of this size can keep busy: what fragmentation leaves."""
    return 1.0 - result.fragmentation


def share_text(fraction: float) -> str:
    """A share as a readable percentage ('78.8 %', 'under 0.1 %'; display only)."""
    return "under 0.1 %" if fraction < 1e-3 else f"{100 * fraction:.3g} %"


def usable_gpus(result) -> float:
    """GPUs the slots can ever hold: slots x GPUs per job."""
    return result.slots * result.gpus_per_job


def curve(result, series: str) -> list[dict]:
    """Mean wait (minutes) against GPU utilisation (%) for ``result``'s placement, up to its wall."""
    d = result.job_duration.to("s").magnitude
    limit = usable_share(result)
    rows = []
    # Erlang C costs one step per slot: a cluster of thousands of MIG slices gets a coarser curve
    # (flat near zero until the wall anyway), so a redraw stays within the lab's time budget
    fractions = _FRACTIONS if result.slots <= 1000 else sorted(set(_FRACTIONS[1::4] + _FRACTIONS[-5:]))
    for f in fractions:
        lam = kernels.arrival_rate_for_gpu_load(limit * f, result.total_gpus, result.gpus_per_job, d)
        out = evaluate(OrchestrationPlan(lam, d, result.slots, result.gpus_per_job, result.total_gpus))
        rows.append({"series": series, "utilisation": 100.0 * out.gpu_utilization, "wait": out.mean_wait / MINUTE})
    return rows


TEMPLATE = {
    **lab_frame(300),
    "layer": [
        {"data": {"name": "curves"}, "mark": {"type": "line", "strokeWidth": 2, "clip": True},
         "encoding": {"x": {"field": "utilisation", "type": "quantitative", "title": "GPU utilisation (% of the cluster busy)",
                            "scale": {"domain": [0, 100]}},
                      "y": {"field": "wait", "type": "quantitative", "title": "Mean wait before a job starts (minutes)",
                            "scale": {"type": "symlog", "constant": 1}, "axis": {"format": ",~r"}},
                      "color": {"field": "series", "type": "nominal", "title": None,
                                "scale": {"range": [PALETTE["blue"], PALETTE["grey"]]}},
                      "strokeDash": {"field": "series", "type": "nominal", "title": None,
                                     "scale": {"range": [[1, 0], [5, 3]]}}}},
        {"data": {"name": "wall"}, "mark": {"type": "rule", "color": PALETTE["vermillion"], "strokeDash": [5, 3]},
         "encoding": {"x": {"field": "utilisation", "type": "quantitative"}}},
        {"data": {"name": "wall"}, "mark": {"type": "text", "align": "right", "dx": -4, "y": 10,
                                            "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "utilisation", "type": "quantitative"}, "text": {"field": "label", "type": "nominal"}}},
        {"data": {"name": "you"}, "mark": {"type": "point", "filled": True, "size": 120, "color": PALETTE["vermillion"]},
         "encoding": {"x": {"field": "utilisation", "type": "quantitative"}, "y": {"field": "wait", "type": "quantitative"}}},
        {"data": {"name": "you"}, "mark": {"type": "text", "align": "right", "dx": -8, "dy": -8, "fontWeight": "bold"},
         "encoding": {"x": {"field": "utilisation", "type": "quantitative"}, "y": {"field": "wait", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def chart(result, reference, job: str, load: float, title: str) -> viz.Chart:
    """Wait against utilisation for ``job``-sized jobs (``result``; and single-GPU jobs, ``reference``), the
    utilisation where the queue becomes unstable, and the student's point."""
    mine = series_label(job)
    rows = curve(result, mine)
    if reference is not None:
        rows += curve(reference, series_label(REFERENCE))
    limit = 100.0 * usable_share(result)
    wall = [{"utilisation": limit, "label": f"unstable past {fmt(limit)} %"}]
    you = ([{"utilisation": 100.0 * result.gpu_utilization, "wait": result.mean_wait.to("minute").magnitude,
             "label": f"you: {fmt(result.mean_wait.to('minute').magnitude)} min"}] if result.stable else [])
    datasets = {"curves": rows, "wall": wall, "you": you}
    summary = (f"Mean wait of {mine} against GPU utilisation: it grows without bound as the utilisation nears "
               f"{fmt(limit)} %; " + (f"at your {fmt(100 * load)} % it is {fmt(result.mean_wait.to('minute').magnitude)} minutes."
                                     if result.stable else f"your {fmt(100 * load)} % is past it: the queue never empties."))
    # the student's curve first (solid blue), the single-GPU reference second (dashed grey)
    order = [mine] + ([series_label(REFERENCE)] if reference is not None else [])
    settings = {"layer.0.encoding.color.scale.domain": order, "layer.0.encoding.strokeDash.scale.domain": order}
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title, settings=settings), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _usable_math(nodes, job) -> str:
    r = cluster(nodes, job, 4)
    return (f"{r.placement}: **{r.slots} slots** × {r.gpus_per_job:g} GPUs = {usable_gpus(r):g} of "
            f"{r.total_gpus} GPUs can ever be busy, so the highest sustainable utilisation is "
            f"**{100 * usable_share(r):.4g} %** (fragmentation {100 * r.fragmentation:.3g} %).")


def _wait_math(nodes, job, load, duration_h) -> str:
    r = solve(nodes, job, load, duration_h)
    return (f"{r.slots} slots, offered load a = λD = {r.utilization * r.slots:.4g} jobs in service; Erlang C gives "
            f"P(wait) = **{r.wait_probability:.3g}**; E[W] = C ÷ (slots/D − λ) = **{r.mean_wait.to('hour').magnitude:.4g} h**.")


def _slot_math(nodes, job, load) -> str:
    r = solve(nodes, job, load, 4)
    return (f"{r.placement}: {r.slots} slots hold {usable_gpus(r):g} of {r.total_gpus} GPUs; "
            f"ρ_slots = GPU load ÷ usable share = {load:g} ÷ {usable_share(r):.4g} = **{100 * r.utilization:.4g} %**.")


QUESTIONS = [
    Question(
        id="usable",
        prompt=("A cluster of **{nodes} nodes × 8 GPUs** runs gang-scheduled jobs of **{k} GPUs** each (inside one node when "
                "they fit, on whole nodes otherwise). What is the highest **GPU utilisation (%)** it can sustain?"),
        variants={"nodes": [16, 32, 64], "job": ["3", "5", "6", "12", "24", "48"]},
        answer=lambda nodes, job: 100.0 * usable_share(cluster(nodes, job, 4)),
        describe=lambda job, **_: {"k": job},
        tolerance=0.02, unit="%",
        hint="Count the jobs that fit at once (per node, or nodes per job), times their GPUs, over all the GPUs.",
        math=_usable_math,
    ),
    Question(
        id="mean_wait",
        prompt=("**{nodes} nodes × 8 GPUs**, jobs of **{job} GPUs** lasting **{duration_h} hours** on average, and the "
                "cluster is **{pct}% busy**. How many **hours** does a job wait, on average, before it starts?"),
        variants={"nodes": [16, 32], "job": ["16", "32", "64"], "load": [0.8, 0.9], "duration_h": [2, 4, 8]},
        answer=lambda nodes, job, load, duration_h: solve(nodes, job, load, duration_h).mean_wait.to("hour").magnitude,
        describe=lambda load, **_: {"pct": round(100 * load)},
        tolerance=0.03, unit="hours",
        hint="Set the controls to this cluster and read the mean wait; then check it with Erlang C.",
        math=_wait_math,
    ),
    Question(
        id="slot_load",
        prompt=("**{nodes} nodes × 8 GPUs**, jobs of **{what}**, and **{pct}%** of the GPUs are busy. How busy (%) are "
                "the job **slots** the scheduler can hand out?"),
        variants={"nodes": [16, 32, 64], "job": ["mig2", "mig3", "mig4", "3", "5", "12", "48"], "load": [0.5, 0.6, 0.7]},
        answer=lambda nodes, job, load: 100.0 * solve(nodes, job, load, 4).utilization,
        describe=lambda job, load, **_: {"what": job_label(job), "pct": round(100 * load)},
        tolerance=0.02, unit="%",
        hint="Slots hold only the usable share of the GPUs, so the slots are busier than the GPUs.",
        math=_slot_math,
    ),
]

PREDICTION_SETUP = {"nodes": 32, "job": "64", "load": 0.9, "duration_h": 4}

PREDICTIONS = [
    Prediction(
        id="busy_wait",
        prompt=("A cluster of 256 GPUs (32 nodes × 8) runs training jobs that each need 64 GPUs at once for about "
                "4 hours. The cluster is 90% busy. On average, how many **hours** does a job wait before it starts?"),
        truth=lambda: solve(**PREDICTION_SETUP).mean_wait.to("hour").magnitude,
        unit="hours",
    ),
]
