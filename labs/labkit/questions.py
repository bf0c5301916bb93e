"""Predictions and check-yourself questions, defined in plain Python.

A question's exact numbers are a *variant* chosen from its ``variants`` by a hash of
(student id, lab id, question id): every student gets their own numbers, the same ones on every
visit and on every machine, and the grader re-derives them from the recorded student id alone.
The expected answer is ``answer(**variant)``, computed by the engine, never typed in.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from dataclasses import dataclass, field
from typing import Callable


def variant_seed(student_id: str, lab_id: str, question_id: str) -> str:
    """The hex digest the variant is drawn from (recorded in the student's work)."""
    return hashlib.sha256(f"{student_id.strip()}|{lab_id}|{question_id}".encode()).hexdigest()


def pick_variant(variants: dict[str, list], seed: str) -> dict:
    """One value of each parameter, chosen by the seed (each parameter from its own slice of it,
    so the choices are independent)."""
    out = {}
    for i, (name, options) in enumerate(sorted(variants.items())):
        digest = hashlib.sha256(f"{seed}:{i}:{name}".encode()).digest()
        out[name] = options[int.from_bytes(digest[:8], "big") % len(options)]
    return out


@dataclass(frozen=True)
class Question:
    """A graded question. ``prompt`` is a format string over the variant and ``describe(variant)``;
    ``answer(**variant)`` is the engine's number; an answer within ``tolerance`` (relative) of it is
    correct. ``math(**variant)`` returns the worked solution in Markdown (shown after answering)."""

    id: str
    prompt: str
    variants: dict[str, list]
    answer: Callable[..., float]
    tolerance: float = 0.05
    unit: str = ""
    describe: Callable[..., dict] = lambda **v: {}
    hint: str = ""
    math: Callable[..., str] | None = None

    def variant(self, student_id: str, lab_id: str) -> dict:
        return pick_variant(self.variants, variant_seed(student_id, lab_id, self.id))

    def text(self, variant: dict) -> str:
        return self.prompt.format(**variant, **self.describe(**variant))

    def expected(self, variant: dict) -> float:
        return float(self.answer(**variant))

    def is_correct(self, given, expected: float) -> bool:
        try:
            value = float(given)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(value):
            return False
        if expected == 0:
            return abs(value) <= self.tolerance
        return abs(value - expected) <= self.tolerance * abs(expected)


@dataclass(frozen=True)
class Prediction:
    """A prediction the student locks before exploring: a choice among ``options`` (labels) or,
    with ``options`` empty, a number. ``truth()`` is the engine's answer (an option or a number)."""

    id: str
    prompt: str
    truth: Callable[[], object]
    options: list[str] = field(default_factory=list)
    unit: str = ""

    def how_far_off(self, given) -> str:
        """What the reveal says: right or wrong for a choice, the ratio for a number."""
        truth = self.truth()
        if self.options:
            return ("**Right**: " if given == truth else f"**Not quite**: you predicted *{given}*; ") + f"the engine says **{truth}**."
        try:
            g = float(given)
        except (TypeError, ValueError):
            return f"No prediction recorded; the engine says **{truth:.3g} {self.unit}**."
        if g <= 0 or truth <= 0:
            return f"You predicted {g:.3g} {self.unit}; the engine says **{truth:.3g} {self.unit}**."
        ratio = max(g, truth) / min(g, truth)
        direction = "high" if g > truth else "low"
        return (f"You predicted {g:.3g} {self.unit}; the engine says **{truth:.3g} {self.unit}**: "
                + ("within 10 %." if ratio < 1.1 else f"{ratio:.2g}x too {direction}."))


def chapter_module(lab_id: str):
    """The module holding a lab's questions: ``labkit.chapters.<lab_id>``."""
    if not lab_id.replace("_", "").isalnum():
        raise KeyError(f"not a lab id: {lab_id!r}")
    return importlib.import_module(f"labkit.chapters.{lab_id}")


def questions_of(lab_id: str) -> dict[str, Question]:
    return {q.id: q for q in chapter_module(lab_id).QUESTIONS}
