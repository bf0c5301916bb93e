"""What every command shares: the parser class, argument types, name look-ups and output.

Exit statuses (documented in README): ``OK`` 0, ``DOES_NOT_FIT`` 1 (the question had an
answer and it is "no": the model does not fit, no layout fits, the registry check found
problems), ``BAD_INPUT`` 2 (the question could not be asked: a bad flag, an unknown name,
a value outside what is accepted).
"""

from __future__ import annotations

import argparse
import difflib
import json
import math

import pint

from ..core import checks
from ..core.errors import InputError, MlsysimError
from ..core.types import normalise
from ..registries import Fleets, Grids, Hardware, Models

OK, DOES_NOT_FIT, BAD_INPUT = 0, 1, 2

CATALOGS = {"hardware": Hardware, "models": Models, "grids": Grids, "fleets": Fleets}


class UsageError(MlsysimError):
    """A command line argparse could not read (unknown flag, bad choice, missing argument)."""


class LookupFailed(InputError):
    """A name that is in none of the catalogues searched; the message suggests names as ``list`` prints them."""

    def __init__(self, field: str, name: str, message: str):
        self.field, self.value, self.accepted = field, name, message
        MlsysimError.__init__(self, message)


class Parser(argparse.ArgumentParser):
    """argparse, with abbreviations off (``--hour`` is not ``--hours``) and errors raised, not printed with usage."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- argument types: each raises ArgumentTypeError, which argparse reports as 'argument --x: ...'


def positive_int(text: str) -> int:
    try:
        return checks.positive_int(int(text), "value")
    except (ValueError, InputError):
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected an integer >= 1") from None


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected a finite number")
    return value


def knob_value(text: str):
    """``VALUE`` of ``--set KEY=VALUE``: an int or a float when it reads as one, true/false as a boolean, else the text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected a finite number")
        return value
    return text


def knob(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` -> (key, parsed value), e.g. ``arrival_rate=900 1/s`` -> ('arrival_rate', '900 1/s')."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected KEY=VALUE, e.g. sla=\"2 s\"")
    return key, knob_value(value.strip())


MAX_HOURS = 1e6  # 114 years: longer than any job, fleet or accelerator lifetime


def duration_in(unit: str, hours_per_unit: float):
    """A positive number of ``unit`` (hour, day), at most ``MAX_HOURS`` (so 1e308 hours is an error, not inf MWh)."""

    def parse(text: str) -> float:
        value = finite_float(text)
        if not 0 < value * hours_per_unit <= MAX_HOURS:
            most = MAX_HOURS / hours_per_unit
            raise argparse.ArgumentTypeError(f"{text!r} is not accepted: expected a number of {unit}s > 0 and <= {most:.6g} (114 years)")
        return value

    return parse


# -- names -------------------------------------------------------------------------------


NOUNS = {"hardware": "hardware entry", "models": "model", "grids": "grid", "fleets": "fleet"}


def _ranked_suggestions(name: str, kinds: list[str], n: int = 4) -> list[tuple[str, str]]:
    """(key, kind) of the entries closest to ``name`` over several catalogues, best first."""
    target = normalise(name)
    scored = []
    for kind in kinds:
        for key in CATALOGS[kind].suggestions(name, 5):
            k = normalise(key)
            score = 1.0 if target and k.startswith(target) else difflib.SequenceMatcher(None, target, k).ratio()
            scored.append((score, key, kind))
    scored.sort(key=lambda t: -t[0])
    return [(key, kind) for score, key, kind in scored[:n] if score >= 0.6]


def resolve(name: str, kinds: list[str], role: str):
    """The entry called ``name`` in the first of ``kinds`` that has it; else an error saying where it is, or what is close.

    Every catalogue is searched, so ``h100`` given where a model is expected says it is a
    hardware entry, and suggestions are keys, spelled as ``mlsysim list`` prints them.
    """
    for kind in kinds:
        hit = CATALOGS[kind].find(name)
        if hit is not None:
            return hit
    wanted = " or ".join(NOUNS[k] for k in kinds)
    others = [k for k in CATALOGS if k not in kinds]
    for kind in others:
        hit = CATALOGS[kind].find(name)
        if hit is not None:
            raise LookupFailed(role, name, f"{name!r} is a {NOUNS[kind]} ({kind} key {hit.key}), but {role} must be a {wanted} "
                                           f"(mlsysim list {kinds[0]} shows the names)")
    close = [key if kind in kinds and len(kinds) == 1 else f"{key} ({kind})" for key, kind in _ranked_suggestions(name, list(CATALOGS))]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    where = "in any catalogue" if len(kinds) == len(CATALOGS) else f"among {' and '.join(kinds)}"
    listing = f"mlsysim list {'|'.join(kinds)}"
    raise LookupFailed(role, name, f"no entry named {name!r} {where}{hint} ({listing} shows the names)")


# -- output ------------------------------------------------------------------------------


def table(rows: list[tuple[str, str]], title: str | None = None) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title, "-" * len(title)] if title else []
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def fmt(value) -> str:
    if isinstance(value, pint.Quantity):
        return f"{value:.4g~P}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def dumps(obj) -> str:
    return json.dumps(obj, indent=2, default=str)


def emit(result, args, title: str, keys: list[str]) -> int:
    """Print a solver result: 'does not fit' first when it does not, then the table (or JSON); the exit status."""
    feasible = bool(getattr(result, "feasible", True))
    if args.json:
        print(dumps(result.as_dict()))
    else:
        if not feasible:
            print(f"does not fit: {result.reason}\n")
        print(table([(k, fmt(getattr(result, k))) for k in keys], title))
    return OK if feasible else DOES_NOT_FIT


def json_flag(p) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (errors too, as {\"error\": ...} on stdout)")
