"""Cases, calibration, chart and questions of the benchmarking lab (Volume I, chapter 12).

Peak against measured: the student picks a published measurement from the validation table
(``validation/*.toml``, read by ``mlsysim.measurements``), sees the engine's prediction with the
profile declared in advance and its error, calibrates the one efficiency that measurement
determines (``mlsysim.calibrate.calibrate``) and predicts another case with it
(``mlsysim.calibrate.transfer``, the same report ``mlsysim validate`` prints). Every number is the
engine's or the table's; what differs between two cases (batch, precision, GPU, ...) is read from
their published configurations, and the targets it is held to are ``calibrate.TRANSFER_TARGETS``.

Only the single-accelerator cases are offered (single-node training and inference, LLM serving on
one GPU), so start-up loads the table (~15 ms) and predicts those cases once; a fit is computed
only for the case the student calibrates on (cached per pair of cases).

The MLPerf scenarios (Reddi et al. 2020, "MLPerf Inference Benchmark", ISCA, arXiv:1911.02549; the
MLPerf Inference rules, "Scenarios"; mlperf.org/inference-overview): single-stream issues one query of one sample when the
previous one completes and reports its 90th-percentile latency; offline hands the system every
sample at once and reports throughput; server issues queries at Poisson-distributed times and
reports the rate it sustains within a latency bound. The table's cases are not MLPerf submissions
(except the one server case): a batch-1 latency is measured the way single-stream is, a large
static batch the way offline is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, viz
from mlsysim import calibrate as cal
from mlsysim import measurements as ms
from mlsysim.core.units import Q_
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

KINDS = ("single_node", "serving_ttft", "serving_throughput", "serving_request_latency")
# the configuration fields whose difference decides which of issue 17's targets a transfer is held to
FIELDS = ("hardware", "precision", "kv_precision", "batch", "seq_len", "input_len", "output_len", "execution", "tp")
BATCH_OR_PRECISION = {"batch", "precision", "kv_precision"}
SCENARIOS = {
    "single-stream": "one query of one sample at a time, the next when it completes; the metric is the "
                     "90th-percentile latency",
    "offline": "every sample handed over at once, batched as the system likes; the metric is throughput",
    "server": "queries at random (Poisson) times; the metric is the rate sustained while the 99th-percentile "
              "latency stays within a bound",
}
PARAMETER_WORDS = {"efficiency": "compute efficiency", "bandwidth_efficiency": "bandwidth efficiency",
                   "utilization": "utilisation"}
DEFAULT_SOURCE, DEFAULT_TARGET = "rn50-train-a100-amp", "rn50-train-v100-amp"


@lru_cache(maxsize=1)
def all_cases() -> tuple:
    """Every case of the validation table (loaded once)."""
    return tuple(ms.load_cases()[1])


@lru_cache(maxsize=None)
def declared(case_id: str) -> ms.Prediction:
    """The engine's prediction of a case with its declared profile (cached per case)."""
    return ms.predict(case(case_id))


@lru_cache(maxsize=1)
def offered() -> tuple:
    """The cases the lab offers: scored single-accelerator cases the engine finds feasible."""
    return tuple(c for c in all_cases() if c.kind in KINDS and c.scored and c.config.get("tp", 1) == 1
                 and declared(c.id).feasible)


def case(case_id: str) -> ms.Case:
    return ms.find(case_id, list(all_cases()))


def _hw(key: str) -> str:
    name = Hardware.get(key).name.replace("NVIDIA ", "").replace("AMD Instinct ", "")
    return name.split()[0].rstrip(",") + (" GCD" if "GCD" in name else "")


def label(c: ms.Case) -> str:
    """A short name for a case (at most 32 characters: it fits a phone's dropdown)."""
    k = c.config
    model = Models.get(k["model"]).name.replace("BERT-Large (SQuAD)", "BERT-QA").replace("BERT-Large", "BERT-L").replace("Llama-", "Llama")
    hw, prec = _hw(k["hardware"]).replace(" GCD", "-GCD"), k["precision"]
    if c.kind == "single_node":
        task = "train" if k.get("training") else ("latency" if Q_(1, c.unit).check("[time]") else "infer")
        return f"{model} {task} {hw} {prec} b{k['batch']}" + (f" s{k['seq_len']}" if k.get("seq_len") else "")
    if c.kind == "serving_ttft":
        return f"{model} TTFT {hw} {prec} in{k['input_len']}"
    if k["batch"] == 1:
        return f"{model} decode {hw} {prec}"
    return f"{model} {hw} {prec} b{k['batch']} {k['input_len']}/{k['output_len']}"


CATEGORY_ORDER = ("single_node", "llm_serving", "vendors")


def options() -> dict[str, str]:
    """{label: case id} for the two case dropdowns: single-node cases first, then serving."""
    ordered = sorted(offered(), key=lambda c: CATEGORY_ORDER.index(c.category) if c.category in CATEGORY_ORDER else 99)
    return {label(c): c.id for c in ordered}


def wall_of(parameter: str) -> str:
    """The wall whose time a fitted parameter sets (the iron law's two terms)."""
    return {"efficiency": "compute", "bandwidth_efficiency": "memory"}.get(parameter, "")


def same_accelerator(s: "Study") -> list:
    """The points of the workload on the calibration case's accelerator and precision, by scenario."""
    k = s.source.config
    return [p for p in s.points if p.case.config["hardware"] == k["hardware"]
            and p.case.config["precision"] == k["precision"]]


def server_cases() -> list:
    """Every case of the whole table measured in MLPerf's server scenario (scored or not)."""
    return [c for c in all_cases() if scenario_of(c) == "server"]


def workload(c: ms.Case) -> tuple[str, str]:
    """(model, task): the cases one chart compares."""
    task = ("training" if c.config.get("training") else "inference") if c.kind == "single_node" else "serving"
    return c.config["model"], task


def scenario_of(c: ms.Case) -> str:
    """The MLPerf scenario a case was measured the way of (see the module's docstring)."""
    if "server" in (c.where + " " + c.metric).lower():
        return "server"
    return "single-stream" if c.config.get("batch") == 1 else "offline"


def change(source: ms.Case, target: ms.Case) -> tuple[str, str | None]:
    """(what differs between two cases' published configurations, the class of ``TRANSFER_TARGETS``
    it is held to or None): only batch and precision -> 'batch or precision', only the accelerator
    -> 'GPU generation', anything else (model, task, lengths, several at once) -> no target."""
    if source.id == target.id:
        return "nothing: the case it was calibrated on", None
    a, b = source.config, target.config
    if a["model"] != b["model"]:
        return f"the model ({Models.get(a['model']).name} → {Models.get(b['model']).name})", None
    if source.kind != target.kind or bool(a.get("training")) != bool(b.get("training")):
        return f"the task and metric ({source.metric} → {target.metric})", None
    diffs = [f for f in FIELDS if a.get(f) != b.get(f)]
    words = ", ".join(f"{f.replace('_', ' ')} ({_show(f, a.get(f))} → {_show(f, b.get(f))})" for f in diffs)
    if diffs and set(diffs) <= BATCH_OR_PRECISION:
        return words, "batch or precision"
    if diffs == ["hardware"]:
        return words, "GPU generation"
    return words or "nothing in the configuration", None


def _show(field: str, value) -> str:
    if value is None:
        return "default"
    return _hw(value) if field == "hardware" else str(value)


@dataclass(frozen=True)
class Point:
    """One case on the chart: measured, declared and calibrated predictions, and the walls."""

    case: ms.Case
    declared: float
    calibrated: float
    declared_error: float
    error: float
    bound: str  # with the calibrated profile


@dataclass(frozen=True)
class Study:
    """A calibration on one case and its transfer to another, with the workload's other cases."""

    source: ms.Case
    target: ms.Case
    fit: cal.CalibratedProfile
    row: cal.TransferRow  # calibrate.transfer's report for the target
    points: tuple  # Point per case of the source's workload, and the target


@lru_cache(maxsize=64)
def fit_on(source_id: str) -> cal.CalibratedProfile:
    """``calibrate.calibrate`` on one case with the transfer report's fit (``calibrate.TRANSFER_FIT``: a factor on the
    Software wall's GEMM table where it applies), so the lab shows the numbers ``mlsysim validate`` prints (cached:
    the one costly step, ~60 solves of bisection)."""
    return cal.calibrate(case(source_id), fit=cal.TRANSFER_FIT)


@lru_cache(maxsize=1024)
def _predict_with(case_id: str, efficiency: float, bandwidth_efficiency: float, utilization: float,
                  framework_factor: float | None = None) -> ms.Prediction:
    extra = {} if framework_factor is None else {"framework_factor": framework_factor}
    return ms.predict(case(case_id).with_profile(efficiency=efficiency, bandwidth_efficiency=bandwidth_efficiency,
                                                 utilization=utilization, **extra))


def calibrated(case_id: str, fit: cal.CalibratedProfile) -> ms.Prediction:
    """The engine's prediction of a case with the calibrated profile (``calibrate.calibrated_profile``)."""
    return _predict_with(case_id, **cal.calibrated_profile(fit))


def transfer_row(source: ms.Case, target: ms.Case, fit: cal.CalibratedProfile) -> cal.TransferRow:
    """``calibrate.transfer``'s row for ``target``, from a fit already made on ``source`` (the same
    steps as ``calibrate.transfer``, which fits again on every call; a test holds the two equal)."""
    what, target_class = change(source, target)
    return cal.TransferRow(source.id, fit.parameter, fit.value, fit.residual, target.id, what, target.measured,
                           ms.signed_error(declared(target.id).value, target.measured),
                           ms.signed_error(calibrated(target.id, fit).value, target.measured),
                           target_class, fit.framework_factor)


@lru_cache(maxsize=64)
def study(source_id: str, target_id: str) -> Study:
    """Calibrate on ``source_id``; the transfer report's row for ``target_id``; every case of the
    source's workload (and the target) predicted with the declared and the calibrated profile."""
    src, tgt = case(source_id), case(target_id)
    fit = fit_on(source_id)
    row = transfer_row(src, tgt, fit)
    shown = [c for c in offered() if workload(c) == workload(src) or c.id == tgt.id]
    points = []
    for c in shown:
        d, p = declared(c.id), calibrated(c.id, fit)
        points.append(Point(c, d.value, p.value, ms.signed_error(d.value, c.measured),
                            ms.signed_error(p.value, c.measured), p.bound))
    return Study(src, tgt, fit, row, tuple(points))


def point(s: Study, case_id: str) -> Point:
    return next(p for p in s.points if p.case.id == case_id)


def within(error: float) -> str:
    """A signed error in words against issue 17's two targets (10 % and 20 %)."""
    limits = sorted(cal.TRANSFER_TARGETS.values())
    for limit in limits:
        if abs(error) <= limit:
            return f"within {limit:.0%}"
    return f"beyond {limits[-1]:.0%}"


# --- the chart ------------------------------------------------------------------------------
_XY = {"x": {"field": "measured", "type": "quantitative", "title": "Measured (each case in its own unit, log)",
             "scale": {"type": "log"}, "axis": {"format": "~g"}},
       "y": {"field": "predicted", "type": "quantitative", "title": "Predicted (same unit, log)",
             "scale": {"type": "log"}, "axis": {"format": "~g"}}}
TEMPLATE = {
    **lab_frame(320),
    "layer": [
        {"data": {"name": "band"}, "mark": {"type": "line", "strokeDash": [4, 3], "color": PALETTE["grey"]},
         "encoding": {**_XY, "detail": {"field": "line", "type": "nominal"}}},
        {"data": {"name": "diagonal"}, "mark": {"type": "line", "color": PALETTE["black"]}, "encoding": _XY},
        {"data": {"name": "moves"}, "mark": {"type": "rule", "color": PALETTE["grey"], "opacity": 0.6},
         "encoding": {"x": {"field": "measured", "type": "quantitative"},
                      "y": {"field": "declared", "type": "quantitative"},
                      "y2": {"field": "calibrated"}, "opacity": {"field": "opacity", "type": "quantitative", "scale": None}}},
        {"data": {"name": "points"}, "mark": {"type": "point", "filled": True},
         "encoding": {"x": {"field": "measured", "type": "quantitative"},
                      "y": {"field": "predicted", "type": "quantitative"},
                      "color": {"field": "profile", "type": "nominal", "title": None,
                                "scale": {"domain": ["declared", "calibrated"],
                                          "range": [PALETTE["orange"], PALETTE["blue"]]}},
                      "shape": {"field": "profile", "type": "nominal", "title": None,
                                "scale": {"domain": ["declared", "calibrated"], "range": ["square", "circle"]}},
                      "size": {"field": "size", "type": "quantitative", "scale": None},
                      "opacity": {"field": "opacity", "type": "quantitative", "scale": None},
                      "tooltip": [{"field": "case"}, {"field": "profile"}, {"field": "error"}]}},
        # labels right of the points in the chart's left half, left of them in its right half (never clipped)
        *({"data": {"name": name}, "mark": {"type": "text", "align": align, "dx": dx, "dy": -9, "fontWeight": "bold"},
           "encoding": {"x": {"field": "measured", "type": "quantitative"},
                        "y": {"field": "predicted", "type": "quantitative"}, "text": {"field": "label"}}}
          for name, align, dx in (("marked_left", "left", 8), ("marked_right", "right", -8))),
    ],
}


def chart(s: Study, scenario: str) -> viz.Chart:
    """Predicted against measured for the workload's cases, declared and calibrated, with y = x and
    the 10 % / 20 % bands (dashed); the calibration case and the target are marked, cases of ``scenario``
    drawn solid and the others faint."""
    rows, moves, marked = [], [], []
    for p in s.points:
        role = "calibrated on" if p.case.id == s.source.id else ("target" if p.case.id == s.target.id else "")
        opacity = 1.0 if scenario_of(p.case) == scenario or role else 0.3
        for profile, value, err in (("declared", p.declared, p.declared_error), ("calibrated", p.calibrated, p.error)):
            rows.append({"case": label(p.case), "profile": profile, "measured": p.case.measured, "predicted": value,
                         "error": f"{err:+.1%}", "unit": p.case.unit, "size": 150 if role else 60, "opacity": opacity})
        moves.append({"measured": p.case.measured, "declared": p.declared, "calibrated": p.calibrated, "opacity": opacity})
        if role:
            marked.append({"measured": p.case.measured, "predicted": p.calibrated, "label": role})
    values = [r["measured"] for r in rows] + [r["predicted"] for r in rows]
    lo, hi = min(values) / 1.5, max(values) * 1.5
    limits = sorted(cal.TRANSFER_TARGETS.values())
    band = [{"measured": x, "predicted": x * (1 + sign * t), "line": f"{sign * t:+.0%}"}
            for t in limits for sign in (1, -1) for x in (lo, hi)]
    middle = (lo * hi) ** 0.5  # the middle of the log axis
    datasets = {"points": rows, "moves": moves, "diagonal": [{"measured": lo, "predicted": lo}, {"measured": hi, "predicted": hi}],
                "band": band, "marked_left": [m for m in marked if m["measured"] <= middle],
                "marked_right": [m for m in marked if m["measured"] > middle]}
    settings = {f"layer.0.encoding.{a}.scale.domain": [lo, hi] for a in ("x", "y")}
    t = point(s, s.target.id)
    summary = (f"Predicted against measured for {len(s.points)} cases: calibrated on {label(s.source)}, the target "
               f"{label(s.target)} moves from {t.declared_error:+.1%} (declared) to {t.error:+.1%} (calibrated); "
               f"points on the diagonal are exact.")
    title = {"text": "Predicted vs measured", "subtitle": f"calibrated on {label(s.source)}"}
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title, settings=settings), datasets, summary)


# --- predict first --------------------------------------------------------------------------
_BUCKETS = [(0.10, "within 10 %"), (0.20, "10 % to 20 %"), (0.50, "20 % to 50 %"), (float("inf"), "more than 50 %")]


def _prediction_truth() -> str:
    err = abs(study(DEFAULT_SOURCE, DEFAULT_TARGET).row.error)
    return next(name for top, name in _BUCKETS if err <= top)


PREDICTIONS = [
    Prediction(
        id="transfer",
        prompt=("You calibrate the engine on one published measurement: ResNet-50 training on one NVIDIA A100 "
                "(mixed precision, batch 256). Then you predict the same training on a V100, a GPU generation "
                "older. How far from the V100's published throughput is the calibrated prediction?"),
        options=[name for _, name in _BUCKETS],
        truth=_prediction_truth,
    ),
]


# --- check yourself -------------------------------------------------------------------------
def _fit_describe(case_id: str) -> dict:
    c, f = case(case_id), fit_on(case_id)
    return {"case_name": label(c), "measured": fmt(c.measured, 4), "unit": c.unit,
            "parameter": PARAMETER_WORDS.get(f.parameter, f.parameter)}


def _fit(case_id: str) -> float:
    return fit_on(case_id).value


def _fit_math(case_id: str) -> str:
    f = fit_on(case_id)
    what = PARAMETER_WORDS.get(f.parameter, f.parameter)
    if f.framework_factor is not None:  # bisection on the factor that scales the Software wall's GEMM table
        return (f"At the declared profile the case is {declared(case_id).bound}-bound, so it determines the {what}; "
                f"bisection on a factor on the Software wall's GEMM table until the engine reproduces "
                f"{fmt(f.measured, 4)} gives {f.framework_factor:.3g} × the table, a {what} of **{f.value:.3g}** "
                f"(residual {f.residual:+.1%}).")
    return (f"At the declared profile the case is {declared(case_id).bound}-bound, so it determines the "
            f"{what}; bisection on it until the engine reproduces "
            f"{fmt(f.measured, 4)} gives **{f.value:.3g}** (residual {f.residual:+.1%}).")


def _pair(pair: str) -> tuple[str, str]:
    source, target = pair.split(">")
    return source, target


def _transfer_describe(pair: str) -> dict:
    s, t = (case(i) for i in _pair(pair))
    return {"source_name": label(s), "target_name": label(t), "unit": t.unit}


def _transfer(pair: str) -> float:
    s = study(*_pair(pair))
    return point(s, s.target.id).calibrated


def _transfer_math(pair: str) -> str:
    s = study(*_pair(pair))
    p = point(s, s.target.id)
    return (f"Fit on {label(s.source)}: {PARAMETER_WORDS.get(s.fit.parameter, s.fit.parameter)} = {s.fit.value:.3g}. "
            f"The target with it: **{fmt(p.calibrated, 4)} {s.target.unit}** against {fmt(s.target.measured, 4)} "
            f"measured ({p.error:+.1%}; {p.bound}-bound).")


FIT_CASES = ["rn50-train-a100-amp", "rn50-infer-v100-amp-b256", "bert-pretrain-v100-fp16-s128",
             "trtllm-ttft-h100-llama7b-in2048", "trtllm-tput-h100-llama7b-b768-128-128", "gptfast-a100-llama2-7b-bf16"]
TRANSFER_PAIRS = ["rn50-train-a100-amp>rn50-train-a100-tf32", "rn50-infer-v100-amp-b256>rn50-infer-t4-amp-b256",
                  "rn50-infer-v100-amp-b256>rn50-infer-v100-amp-b64", "bert-pretrain-v100-fp16-s128>bert-pretrain-v100-fp32-s128",
                  "gptfast-a100-llama2-7b-bf16>gptfast-a100-llama2-7b-int4",
                  "gptfast-a100-llama2-7b-bf16>gptfast-mi250x-gcd-llama2-7b-bf16"]

QUESTIONS = [
    Question(
        id="fit",
        prompt=("Calibrate the engine on **{case_name}** (measured **{measured} {unit}**). What value does the fit "
                "give the **{parameter}**, the one parameter this measurement determines (a fraction, e.g. 0.5)?"),
        variants={"case_id": FIT_CASES}, answer=_fit, tolerance=0.02, unit="fraction", describe=_fit_describe,
        hint="Choose the case under 'Calibrate on' and read the fitted value in the text under the chart.",
        math=_fit_math,
    ),
    Question(
        id="transfer",
        prompt=("Calibrated on **{source_name}**, what does the engine predict for **{target_name}**, in **{unit}**?"),
        variants={"pair": TRANSFER_PAIRS}, answer=_transfer, tolerance=0.02, unit="in the case's unit",
        describe=_transfer_describe,
        hint="Calibrate on the first case, predict the second, and read the calibrated prediction (not the declared one).",
        math=_transfer_math,
    ),
]
