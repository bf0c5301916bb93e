"""The student's work as one JSON record (what "Download my work" saves and the grader reads)
and the same as a Markdown report.

The record is signed with an HMAC-SHA256 over its canonical JSON with a key every copy of the kit
knows. That detects a record edited by hand (a changed answer, a pasted variant); it does not stop
a determined student, who can read the key in this file. It is a seal, not a lock.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json

from . import KIT_VERSION

FORMAT = "mlsysim-lab-work/1"
# Known to every copy of the kit on purpose (see the module docstring).
SEAL_KEY = b"mlsysim-labkit-seal-v1"


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def _canonical(record: dict) -> bytes:
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(record: dict) -> dict:
    """``record`` with its ``signature`` (hex HMAC-SHA256 over everything else)."""
    out = {k: v for k, v in record.items() if k != "signature"}
    out["signature"] = hmac.new(SEAL_KEY, _canonical(out), hashlib.sha256).hexdigest()
    return out


def verify(record: dict) -> bool:
    sig = record.get("signature")
    if not isinstance(sig, str):
        return False
    return hmac.compare_digest(sig, hmac.new(SEAL_KEY, _canonical(record), hashlib.sha256).hexdigest())


def build(lab: dict, state: dict, engine_version: str) -> dict:
    """The signed record of a lab's state (``state`` as the kit stores it)."""
    return sign({
        "format": FORMAT,
        "lab": lab["id"],
        "lab_title": lab.get("title", ""),
        "kit_version": KIT_VERSION,
        "engine_version": engine_version,
        "student_id": state.get("student_id", ""),
        "variant_seeds": state.get("variant_seeds", {}),
        "started": state.get("started", ""),
        "downloaded": now(),
        "controls": state.get("controls", {}),
        "predictions": state.get("predictions", {}),
        "answers": state.get("answers", {}),
    })


def to_json(record: dict) -> str:
    return json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def markdown_report(record: dict, questions: dict | None = None) -> str:
    """A readable report of the same record."""
    lines = [f"# {record.get('lab_title') or record['lab']}: my work", "",
             f"- student: {record.get('student_id') or '(no id entered)'}",
             f"- lab: `{record['lab']}`, kit {record.get('kit_version')}, engine {record.get('engine_version')}",
             f"- started {record.get('started') or '?'}, downloaded {record.get('downloaded')}", "",
             "## Controls", "", "| control | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(record.get("controls", {}).items())]
    lines += ["", "## Predictions", ""]
    for pid, p in sorted(record.get("predictions", {}).items()):
        lines.append(f"- **{pid}**: {p.get('value')} (locked {p.get('at', '?')})")
    lines += ["", "## Check yourself", ""]
    for qid, a in sorted(record.get("answers", {}).items()):
        prompt = questions[qid].text(a.get("variant", {})) if questions and qid in questions and a.get("variant") is not None else ""
        lines.append(f"- **{qid}**: my answer {a.get('value')} (answered {a.get('at', '?')})" + (f"\n  - {prompt}" if prompt else ""))
    lines += ["", f"<sub>signature {record.get('signature', '')}</sub>", ""]
    return "\n".join(lines)
