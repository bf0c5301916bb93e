"""``mlsysim grade FILES... [--csv OUT]``: grade downloaded lab work without a server.

For every file: check it is a lab-work record and that its seal holds (``labkit.record``), find
the lab's questions (``labkit.chapters.<lab>``), re-derive each question's variant from the
recorded student id and its expected answer with the engine, and compare. A file that cannot be
read, has been edited, names an unknown lab or carries a variant that is not the student's is
reported on its own row; grading goes on with the next file.

CSV columns: student_id, lab, question, answer, expected, correct, note.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import questions as qmod
from . import record as rec

COLUMNS = ["student_id", "lab", "question", "answer", "expected", "correct", "note"]


@dataclass
class Row:
    student_id: str
    lab: str
    question: str
    answer: object
    expected: object
    correct: str  # "yes", "no", or "" when the file could not be graded
    note: str = ""

    def as_list(self) -> list:
        return [self.student_id, self.lab, self.question, _txt(self.answer), _txt(self.expected), self.correct, self.note]


def _txt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def grade_record(data, source: str = "") -> list[Row]:
    """The rows for one parsed record (never raises on bad content)."""
    if not isinstance(data, dict) or data.get("format") != rec.FORMAT:
        return [Row("", "", "", None, None, "", f"{source}: not a lab-work file ({rec.FORMAT})")]
    student = str(data.get("student_id", ""))
    lab = str(data.get("lab", ""))
    if not rec.verify(data):
        return [Row(student, lab, "", None, None, "", f"{source}: edited after download (the seal does not match)")]
    try:
        qs = qmod.questions_of(lab)
    except (ImportError, KeyError, AttributeError):
        return [Row(student, lab, "", None, None, "", f"{source}: unknown lab {lab!r}")]
    answers = data.get("answers") if isinstance(data.get("answers"), dict) else {}
    rows = []
    for qid, q in qs.items():
        variant = q.variant(student, lab)
        try:
            expected = q.expected(variant)
        except Exception as exc:  # the engine refusing a variant is a bug in the lab, not the student's
            rows.append(Row(student, lab, qid, None, None, "", f"the engine could not derive the answer: {exc}"))
            continue
        given = answers.get(qid)
        if not isinstance(given, dict) or given.get("value") in (None, ""):
            rows.append(Row(student, lab, qid, None, expected, "no", "not answered"))
            continue
        recorded = given.get("variant")
        if recorded is not None and recorded != variant:
            rows.append(Row(student, lab, qid, given.get("value"), expected, "no",
                            f"answered another variant ({recorded}), not this student's ({variant})"))
            continue
        ok = q.is_correct(given.get("value"), expected)
        rows.append(Row(student, lab, qid, given.get("value"), expected, "yes" if ok else "no"))
    extra = sorted(set(answers) - set(qs))
    if extra:
        rows.append(Row(student, lab, "", None, None, "", f"answers to questions this lab does not have: {extra}"))
    return rows


def grade_file(path: Path) -> list[Row]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Row("", "", "", None, None, "", f"{path}: cannot read it as JSON ({exc.__class__.__name__})")]
    return grade_record(data, str(path))


def table(rows: list[Row]) -> str:
    cells = [COLUMNS] + [r.as_list() for r in rows]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(COLUMNS))]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every file was graded, 1 when some could not be, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="mlsysim grade", description="Grade downloaded MLSys·im lab work.")
    parser.add_argument("files", nargs="+", type=Path, help="JSON files saved with 'Download my work'")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows to this CSV file")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    rows = [r for f in args.files for r in grade_file(f)]
    print(table(rows))
    graded = [r for r in rows if r.correct]
    print(f"\n{sum(r.correct == 'yes' for r in graded)} of {len(graded)} answers correct; "
          f"{len([r for r in rows if not r.correct])} problem(s) with files.")
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            w.writerows(r.as_list() for r in rows)
    return 0 if all(r.correct for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
