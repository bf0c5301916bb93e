"""``mlsysim validate``: every public measurement in ``validation/`` predicted and scored.

    python3 -m mlsysim.validation                       # tables per category
    python3 -m mlsysim.validation --json                # machine-readable
    python3 -m mlsysim.validation --markdown docs/validation.md --readme README.md

Each case is predicted with the efficiencies its category declared in advance
(``measurements.predict``), never fitted to the case. The error of a case is
(predicted - measured) / measured; a category's score is the median and the
90th percentile of the absolute errors of its scored cases (cases that need
physics the engine lacks are listed as pending, circular ones as excluded).
``run()`` returns a ``ValidationReport``; ``main(argv)`` is the command line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import calibrate, measurements
from .solvers import defaults as engine_defaults
from .core.errors import MlsysimError
from .measurements import Case, Prediction, signed_error


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between closest ranks.

    Rank r = p/100 x (n - 1) over the sorted values, interpolated between
    floor(r) and ceil(r) (Hyndman & Fan 1996, definition 7, the default of
    NumPy and of spreadsheet PERCENTILE). The median is p = 50.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"p={p!r} is not accepted: expected a percentile in [0, 100]")
    xs = sorted(values)
    rank = p / 100.0 * (len(xs) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    return percentile(values, 50.0)


@dataclass(frozen=True)
class Outcome:
    """One case, its prediction and its error."""

    case: Case
    prediction: Prediction | None
    error: float | None  # signed fraction; None when the engine could not predict the case
    failure: str = ""

    @property
    def bound_agrees(self) -> bool | None:
        """Whether the predicted wall is the one the source names (None when the source names none)."""
        if self.case.source_bound is None or self.prediction is None:
            return None
        return self.prediction.bound == self.case.source_bound


@dataclass(frozen=True)
class Summary:
    """Median and 90th-percentile absolute error of the scored cases of one category (or all)."""

    name: str
    count: int
    median: float
    p90: float
    bound_checked: int
    bound_right: int


def summarise(name: str, outcomes: list[Outcome]) -> Summary:
    scored = [abs(o.error) for o in outcomes if o.case.scored and o.error is not None]
    checked = [o.bound_agrees for o in outcomes if o.case.scored and o.bound_agrees is not None]
    if not scored:
        return Summary(name, 0, float("nan"), float("nan"), len(checked), sum(checked))
    return Summary(name, len(scored), median(scored), percentile(scored, 90.0), len(checked), sum(checked))


@dataclass(frozen=True)
class ValidationReport:
    """All outcomes, a summary per category and overall, and the calibration transfer study."""

    headers: tuple[dict, ...]
    outcomes: tuple[Outcome, ...]
    categories: tuple[Summary, ...]
    overall: Summary
    transfers: tuple = ()

    def category(self, name: str) -> Summary:
        for s in self.categories:
            if s.name == name:
                return s
        raise KeyError(name)

    def worst(self, n: int = 5) -> list[Outcome]:
        """The n scored cases with the largest absolute error."""
        scored = [o for o in self.outcomes if o.case.scored and o.error is not None]
        return sorted(scored, key=lambda o: -abs(o.error))[:n]

    def as_dict(self) -> dict:
        def summary(s):
            return {"category": s.name, "count": s.count, "median_abs_error": s.median, "p90_abs_error": s.p90,
                    "bound_checked": s.bound_checked, "bound_right": s.bound_right}

        return {
            "overall": summary(self.overall),
            "categories": [summary(s) for s in self.categories],
            "cases": [{
                "id": o.case.id, "category": o.case.category, "metric": o.case.metric, "unit": o.case.unit,
                "measured": o.case.measured, "predicted": o.prediction.value if o.prediction else None,
                "error": o.error, "predicted_bound": o.prediction.bound if o.prediction else None,
                "predicted_feasible": o.prediction.feasible if o.prediction else None,
                "source_bound": o.case.source_bound, "profile": o.case.profile_name, "scored": o.case.scored,
                "pending": o.case.pending, "excluded": o.case.excluded, "failure": o.failure or None,
                "source": o.case.source.get("title"), "where": o.case.where,
                "assumptions": list(o.prediction.assumptions) if o.prediction else [],
            } for o in self.outcomes],
            "transfers": [t.as_dict() for t in self.transfers],
        }


def score(case: Case) -> Outcome:
    """Predict one case; an error of the engine on it is recorded, not raised."""
    try:
        p = measurements.predict(case)
    except (MlsysimError, ValueError, KeyError) as exc:  # a case the engine rejects is a finding of the report, not a crash
        return Outcome(case, None, None, f"{type(exc).__name__}: {exc}")
    return Outcome(case, p, signed_error(p.value, case.measured))


def exceeded(report: ValidationReport) -> list[str]:
    """Every committed ceiling (a category file's ``[ceiling]``) its category's errors exceed, as sentences.

    ``mlsysim validate --check`` fails (exit status 1) when this is not empty;
    the README's test command runs it. A category with no scored case cannot
    show that it meets its ceiling, so it exceeds it.
    """
    out = []
    for h in report.headers:
        ceiling = h.get("ceiling")
        if not ceiling:
            continue
        s = report.category(h["category"])
        for name in ("median", "p90"):
            limit = ceiling.get(name)
            value = getattr(s, name)
            if limit is not None and not value <= limit:  # nan (no scored case) fails too
                out.append(f"{h['category']} ({h['file']}): {name} |error| {_abs_pct(value)} exceeds the committed ceiling {_abs_pct(limit)}")
    return out


def run(path=None, transfers: bool = True) -> ValidationReport:
    """Predict and score every case under ``path`` (default: the shipped ``validation/`` data)."""
    headers, cases = measurements.load_cases(path)
    outcomes = tuple(score(c) for c in cases)
    names = [h["category"] for h in headers]
    cats = tuple(summarise(n, [o for o in outcomes if o.case.category == n]) for n in dict.fromkeys(names))
    studies = tuple(calibrate.transfer_report(cases)) if transfers and path is None else ()
    return ValidationReport(tuple(headers), outcomes, cats, summarise("overall", list(outcomes)), studies)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _pct(x) -> str:
    return "-" if x is None or x != x else f"{100 * x:+.1f}%"


def _abs_pct(x) -> str:
    return "-" if x is None or x != x else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.4g}"


def _row(o: Outcome) -> list[str]:
    p = o.prediction
    bound = "-" if p is None else (p.bound + ("" if p.feasible else " (infeasible)"))
    return [o.case.id, f"{_num(o.case.measured)} {o.case.unit}", "-" if p is None else _num(p.value), _pct(o.error),
            bound, o.case.source_bound or "-"]


HEAD = ["case", "measured", "predicted", "error", "predicted bound", "source's bound"]


def _bounds(s: Summary) -> str:
    return f"{s.bound_right} of {s.bound_checked}" if s.bound_checked else "-"


SUMMARY_HEAD = ["category", "cases", "median", "p90", "bottleneck right"]


def _summary_rows(report: ValidationReport) -> list[list[str]]:
    rows = [[s.name, str(s.count), _abs_pct(s.median), _abs_pct(s.p90), _bounds(s)] for s in report.categories]
    o = report.overall
    return rows + [["overall", str(o.count), _abs_pct(o.median), _abs_pct(o.p90), _bounds(o)]]


def _text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    esc = lambda c: c.replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(out + ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows])


def _sections(report: ValidationReport, table) -> list[tuple[str, str]]:
    """(heading, body) pairs shared by the text and Markdown renderings."""
    o = report.overall
    wrong = [x.case.id for x in report.outcomes if x.case.scored and x.bound_agrees is False]
    bounds = (f"\n\nBottleneck: the predicted wall matches the source's in {o.bound_right} of the {o.bound_checked} scored cases "
              "whose source names one (`source_bound` in the case)" + (f"; wrong: {', '.join(wrong)}." if wrong else ".")
              if o.bound_checked else
              "\n\nBottleneck: no scored case's source names the wall that binds, so the predicted walls are shown but not scored.")
    out = [("Summary (absolute error of scored cases)", table(SUMMARY_HEAD, _summary_rows(report)) + bounds)]
    for h in report.headers:
        group = [o for o in report.outcomes if o.case.category == h["category"] and o.case.scored]
        if not group:
            continue
        s = report.category(h["category"])
        profiles = "; ".join(f"{k}: " + ", ".join(f"{f}={v}" for f, v in p.items()
                                       if f in measurements.PROFILE_FIELDS or f in measurements.RATE_FIELDS
                                       or f in measurements.CHOICE_FIELDS or f in measurements.COUNT_FIELDS)
                             + f" ({p.get('source', 'no source')})" for k, p in h["profiles"].items())
        body = (f"{h['title']}\n\nDeclared profiles: {profiles}\n\n" + table(HEAD, [_row(o) for o in group])
                + f"\n\nmedian |error| {_abs_pct(s.median)}, p90 {_abs_pct(s.p90)}, {s.count} cases")
        out.append((f"{h['category']} ({h['file']})", body))
    pending = [o for o in report.outcomes if o.case.pending]
    if pending:
        out.append(("Pending: measured, not yet predictable", table(
            ["case", "measured", "today's prediction", "missing physics"],
            [[o.case.id, f"{_num(o.case.measured)} {o.case.unit}", "-" if o.prediction is None else _num(o.prediction.value),
              o.case.pending] for o in pending])))
    excluded = [o for o in report.outcomes if o.case.excluded]
    if excluded:
        out.append(("Excluded from the scores", table(
            ["case", "measured", "predicted", "why"],
            [[o.case.id, f"{_num(o.case.measured)} {o.case.unit}", "-" if o.prediction is None else _num(o.prediction.value),
              o.case.excluded] for o in excluded])))
    failed = [o for o in report.outcomes if o.failure]
    if failed:
        out.append(("Cases the engine rejected", table(["case", "error"], [[o.case.id, o.failure] for o in failed])))
    if report.transfers:
        def target(t):
            return "-" if t.target_error is None else f"{100 * t.target_error:.0f}% ({'met' if t.met else 'not met'})"

        def fitted(t):  # a factor on the GEMM table is shown with the efficiency it gave the calibration case
            return f"{t.value:.4g}" if t.framework_factor is None else f"{t.value:.4g} ({t.framework_factor:.4g} x table)"

        rows = [[t.calibrated_on, t.parameter, fitted(t), t.target, t.change, _pct(t.default_error), _pct(t.error), target(t)]
                for t in report.transfers]
        lines = [f"- {s.target_class}: {s.met} of {s.count} within {100 * s.target_error:.0f}% (median |error| {_abs_pct(s.median)}, "
                 f"worst {_abs_pct(s.worst)})" for s in calibrate.summarise_transfers(list(report.transfers))]
        out.append(("Calibration transfer: fit on one case, predict the others", (
            "Issue 17's targets: calibrated on one measurement, the same workload on another batch size or precision "
            "within 10%, on another GPU generation within 20% (changes of another kind are shown without a target). "
            "A compute-bound single-accelerator fit whose profile leaves the efficiency to the engine is a factor on the "
            "Software wall's GEMM table ('x table': each target gets that factor times its own table value, the memory "
            "side its tables; calibrate.TRANSFER_FIT).\n\n"
            + "\n".join(lines) + "\n\n" + table(
                ["calibrated on", "parameter", "fitted", "predicts", "what changes", "error (declared)", "error (calibrated)", "target"],
                rows))))
    out.append(_defaults_section(report, table))
    return out


def documented_defaults() -> list[tuple[str, str, str]]:
    """(name, value, source) of every ``DEFAULT_*`` in ``solvers/defaults.py``, read from that file.

    The source is the paragraph of the module docstring that starts with the
    name, or the comment block just above the assignment: the file is the one
    place a default and its source are written, and this table is generated
    from it so the two cannot drift apart.
    """
    doc = engine_defaults.__doc__ or ""
    source_file = Path(engine_defaults.__file__)
    if source_file.suffix != ".py":
        return _defaults_from_docstring(doc)
    text = source_file.read_text(encoding="utf-8")
    code = text.split('"""', 2)[2] if text.lstrip().startswith('"""') else text  # after the module docstring
    out, comment, last = [], [], ""
    for line in code.splitlines():
        if line.startswith("#") and not line.startswith("# ---"):
            comment.append(line.lstrip("# ").strip())
            continue
        m = re.match(r"^(DEFAULT_[A-Z0-9_]+)\s*=", line)
        if m:
            name = m.group(1)
            para = next((p for p in doc.split("\n\n") if p.strip().startswith(name)), "")
            if para:
                source = re.sub(rf"^{name}\s*=\s*[^:]*:\s*", "", " ".join(para.split()))
            else:
                source = " ".join(comment) or last  # a default right under another shares its comment
            last = source
            value = getattr(engine_defaults, name)
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            out.append((name, shown, source or "(no source written)"))
        if not line.startswith("#"):
            comment = []
    return out


def _defaults_from_docstring(doc: str) -> list[tuple[str, str, str]]:
    """Where the engine ships as bytecode (the browser's precompiled wheels), the comments above each
    default are gone; the module's names and docstring remain. Each default is listed with the
    docstring paragraph that starts with its name, else a pointer to the file that holds its source."""
    out = []
    for name in sorted(n for n in vars(engine_defaults) if n.startswith("DEFAULT_")):
        para = next((p for p in doc.split("\n\n") if p.strip().startswith(name)), "")
        source = re.sub(rf"^{name}\s*=\s*[^:]*:\s*", "", " ".join(para.split())) if para else \
            "its source is the comment above it in mlsysim/solvers/defaults.py"
        value = getattr(engine_defaults, name)
        out.append((name, f"{value:.6g}" if isinstance(value, float) else str(value), source))
    return out


# issue 17's recommended efficiencies (fraction of dense peak) and the validation profiles that declare them
RECOMMENDED_EFFICIENCIES = (
    ("Megatron-LM training", "0.45-0.55", "megatron"), ("DeepSpeed ZeRO-3 training", "0.35-0.45", "zero3"),
    ("PyTorch FSDP training", "0.30-0.40", None), ("vLLM serving", "0.25-0.35", "vllm"),
    ("TensorRT-LLM serving", "0.35-0.45", "tensorrt_llm"), ("int8 serving", "0.20-0.35", None),
    ("MI300X training", "0.30-0.45", None),
)


def _defaults_section(report: ValidationReport, table) -> tuple[str, str]:
    used = {name: f"{p['efficiency']} ({h['file']})" for h in report.headers for name, p in h["profiles"].items() if "efficiency" in p}
    used.update({name: f"the Software wall's size tables ({h['file']})" for h in report.headers for name, p in h["profiles"].items()
                 if p.get("compute") == "table" and "efficiency" not in p})
    rec = [[what, rng, (used.get(profile, "-") if profile else "-")] for what, rng, profile in RECOMMENDED_EFFICIENCIES]
    body = ("What a solver assumes when an argument is not given (`solvers/defaults.py`, each with its source; a result's "
            "`assumptions` list says which applied):\n\n"
            + table(["default", "value", "source"], [list(r) for r in documented_defaults()])
            + "\n\nIssue 17's recommended efficiencies and the validation profile that declares each "
              "(a dash: no case of that framework yet):\n\n" + table(["framework", "recommended", "declared profile"], rec))
    return "Defaults and their sources", body


def to_text(report: ValidationReport) -> str:
    return "\n\n".join(f"== {title} ==\n{body}" for title, body in _sections(report, _text_table)) + "\n"


MARKDOWN_HEADER = """# Validation against public measurements

Generated by `python3 -m mlsysim.validation --markdown docs/validation.md`
from the cases in `validation/*.toml`; do not edit by hand. Each case is
predicted with the efficiencies its category declares in advance (never
fitted to the case). Error = (predicted - measured) / measured, so a
prediction too low can be at most -100% off: -99% is a factor of 100. Cases that
need physics the engine does not have yet are listed as pending and not
scored. The data format is described in `validation/README.md`.
"""


def to_markdown(report: ValidationReport) -> str:
    parts = [MARKDOWN_HEADER]
    for title, body in _sections(report, _md_table):
        parts.append(f"## {title}\n\n{body}\n")
    return "\n".join(parts)


README_START = "<!-- validation-summary: generated by python3 -m mlsysim.validation --readme README.md -->"
README_END = "<!-- /validation-summary -->"


def summary_markdown(report: ValidationReport) -> str:
    """The summary table alone (what README.md shows)."""
    return _md_table(SUMMARY_HEAD, _summary_rows(report))


def update_readme(text: str, report: ValidationReport) -> str:
    """``text`` with the block between the summary markers replaced by today's summary table."""
    if README_START not in text or README_END not in text:
        raise ValueError(f"README has no summary block: add the lines {README_START!r} and {README_END!r}")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{summary_markdown(report)}\n{README_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Command line: print the tables (or ``--json``); ``--markdown PATH`` also writes the Markdown page."""
    parser = argparse.ArgumentParser(prog="mlsysim validate", description="Predict the public measurements in validation/ and score the errors.")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the report as Markdown to PATH")
    parser.add_argument("--readme", metavar="PATH", help="replace the summary block of the README at PATH")
    parser.add_argument("--path", metavar="DIR", help="a folder of validation TOML files (default: the shipped data)")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a category's errors exceed the ceiling its file commits to")
    args = parser.parse_args(argv)
    report = run(args.path)
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(report), encoding="utf-8")
    if args.readme:
        readme = Path(args.readme)
        readme.write_text(update_readme(readme.read_text(encoding="utf-8"), report), encoding="utf-8")
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(to_text(report), end="")
    if args.check:
        failures = exceeded(report)
        for line in failures:
            print(f"mlsysim validate: {line}", file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
