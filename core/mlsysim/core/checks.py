"""The validators every entry point uses: typed models, solvers and the formula library alike.

Each returns the checked, converted value or raises ``InputError`` naming the
argument the user passed, the value and what is accepted. Rules, once:

- Booleans are never numbers, and flags must be real booleans (``"False"`` is not False).
- Integers: an ``int``, or a float with an integral value (a student types ``8.0``), at least
  ``minimum`` and at most ``maximum`` (default ``MAX_INT``), so ``1e300`` is not "an integer".
- Real numbers: finite (nan and inf are rejected, because comparisons with nan are always
  false and so slip through range checks), with the sign the physics needs.
- Quantities: checked for dimension *and* for finiteness after conversion to the canonical
  unit (``Q_(1e300, "GB")`` overflows to inf in bytes), then for sign.
- Sequences: a list or tuple (a bare string or number where a list is expected is an error,
  not something to iterate character by character).
"""

from __future__ import annotations

import math

from .errors import InputError
from .units import KINDS, to_float

# Largest integer a count-like argument may take: well above any real fleet, batch or token
# count (1e15), small enough that arithmetic on it stays exact in a float and loops stay bounded.
MAX_INT = 10**15
# Smallest fraction accepted where zero is excluded (efficiencies, utilisations).
MIN_FRACTION = 1e-9


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def integer(value, field: str, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """An integer in [minimum, maximum]; integral floats (8.0) are accepted."""
    accepted = f"an integer >= {minimum}" + (f" and <= {maximum:,}" if maximum < MAX_INT else "")
    if not _is_number(value):
        raise InputError(field, value, accepted)
    given = value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise InputError(field, given, accepted)
        value = int(value)
    if value < minimum or value > maximum:
        raise InputError(field, given, accepted if value <= maximum or maximum < MAX_INT else f"{accepted} and <= {maximum:.4g}")
    return value


def positive_int(value, field: str, maximum: int = MAX_INT) -> int:
    """An integer >= 1."""
    return integer(value, field, 1, maximum)


def nonneg_int(value, field: str, maximum: int = MAX_INT) -> int:
    """An integer >= 0."""
    return integer(value, field, 0, maximum)


def number(value, field: str, minimum: float | None = None, maximum: float | None = None,
           low_open: bool = False, high_open: bool = False, accepted: str | None = None) -> float:
    """A finite real number within the given bounds (open or closed)."""
    if accepted is None:
        parts = []
        if minimum is not None:
            parts.append(f"{'>' if low_open else '>='} {minimum:g}")
        if maximum is not None:
            parts.append(f"{'<' if high_open else '<='} {maximum:g}")
        accepted = "a finite number" + (" " + " and ".join(parts) if parts else "")
    try:
        v = float(value) if _is_number(value) else math.nan
    except OverflowError:  # an int too large for a float (10**400)
        v = math.inf
    if not math.isfinite(v):
        raise InputError(field, value, accepted)
    if minimum is not None and (v < minimum or (low_open and v == minimum)):
        raise InputError(field, value, accepted)
    if maximum is not None and (v > maximum or (high_open and v == maximum)):
        raise InputError(field, value, accepted)
    return v


def positive(value, field: str) -> float:
    """A finite number > 0."""
    return number(value, field, 0.0, low_open=True, accepted="a finite number > 0")


def nonneg(value, field: str) -> float:
    """A finite number >= 0."""
    return number(value, field, 0.0, accepted="a finite number >= 0")


def fraction(value, field: str, low_open: bool = True) -> float:
    """A fraction in (0, 1] (efficiencies, utilisations) or [0, 1] with ``low_open=False``."""
    if low_open:
        # An efficiency of 5e-324 is "positive" but divides any time into inf: below one part in a
        # billion a fraction is a typo, not a configuration.
        return number(value, field, MIN_FRACTION, 1.0, accepted="a number in (0, 1] (at least 1e-9), e.g. 0.5 for 50%")
    return number(value, field, 0.0, 1.0, accepted="a number in [0, 1], e.g. 0.5 for 50%")


def pue(value, field: str = "pue") -> float:
    """A power usage effectiveness in [1.0, 3.0] (1.0 is a perfect facility; 3.0 is past any modern one)."""
    return number(value, field, 1.0, 3.0, accepted="a power usage effectiveness between 1.0 and 3.0")


def zero_stage(value, field: str = "zero_stage") -> int:
    """A ZeRO stage: 0, 1, 2 or 3 (Rajbhandari et al. 2020)."""
    if not _is_number(value) or value not in (0, 1, 2, 3) or (isinstance(value, float) and not value.is_integer()):
        raise InputError(field, value, "a ZeRO stage 0, 1, 2 or 3")
    return int(value)


def boolean(value, field: str) -> bool:
    """A real boolean: True or False (not the string 'False', not 0/1)."""
    if not isinstance(value, bool):
        raise InputError(field, value, "True or False")
    return value


def choice(value, field: str, options) -> str:
    """One of ``options`` (strings), compared as given."""
    if not isinstance(value, str) or value not in options:
        raise InputError(field, value, "one of " + ", ".join(repr(o) for o in options))
    return value


def sequence(value, field: str, what: str = "values") -> list:
    """A list or tuple (a single string or number is not a list)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InputError(field, value, f"a list of {what}, e.g. [1, 2, 4]" if what == "integers" else f"a list of {what}")
    if not value:
        raise InputError(field, value, f"a non-empty list of {what}")
    return list(value)


def int_list(value, field: str, minimum: int = 1, maximum: int = MAX_INT) -> list[int]:
    """A non-empty list of integers, each checked by ``integer``; the error names the element."""
    return [integer(v, f"{field}[{i}]", minimum, maximum) for i, v in enumerate(sequence(value, field, "integers"))]


def quantity(value, field: str, kind: str, minimum: float | None = 0.0, low_open: bool = True) -> float:
    """A quantity of ``kind`` as a float in the canonical unit: finite after conversion, and > 0 by default.

    ``minimum=0.0, low_open=False`` accepts zero; ``minimum=None`` accepts any sign.
    """
    v = to_float(value, field, kind)  # dimension, and finite both as written and after conversion
    if minimum is not None and (v < minimum or (low_open and v == minimum)):
        shown = value if isinstance(value, str) else f"{value}"  # formatted only for the error (pint's formatting is slow)
        example = KINDS[kind][1]
        if minimum == 0.0:
            raise InputError(field, shown, f"a {'positive (> 0)' if low_open else 'non-negative (>= 0)'} value: {example}")
        raise InputError(field, shown, f"a quantity {'>' if low_open else '>='} {minimum:g} {KINDS[kind][0]}: {example}")
    return v


def positive_quantity(value, field: str, kind: str) -> float:
    """A quantity of ``kind`` > 0, as a float in the canonical unit."""
    return quantity(value, field, kind, 0.0, True)


def nonneg_quantity(value, field: str, kind: str) -> float:
    """A quantity of ``kind`` >= 0, as a float in the canonical unit."""
    return quantity(value, field, kind, 0.0, False)


def finite_result(value: float, what: str, fields: str, given) -> float:
    """A computed float that must be finite: inputs that are each finite can still overflow together.

    The error names the arguments (``fields``) whose values (``given``) overflowed ``what``.
    """
    if not math.isfinite(value):
        raise InputError(fields, given, f"values whose {what} is a finite number (these overflow)")
    return value


def finite_floats(record, what: str, fields: str, given):
    """``finite_result`` for every float field of a ``@floats`` record (None fields are skipped).

    For solvers whose inputs are each finite and in range but whose products or sums can
    still overflow (1e300 samples/s x 1e300 s per sample).
    """
    for name in record._fields:
        value = getattr(record, name)
        if isinstance(value, float):
            finite_result(value, f"{what} ({name})", fields, given)
    return record


def noise_multiplier(value, field: str = "noise_multiplier") -> float:
    """DP-SGD's noise multiplier sigma in [0.01, 1e4]: below 0.01 the privacy budget is astronomically large
    (epsilon > 1e4 for a single step), above 1e4 the accountant's orders no longer change the answer."""
    return number(value, field, 0.01, 1e4, accepted="a noise multiplier between 0.01 and 10000, e.g. 1.1")


def dp_delta(value, field: str = "delta") -> float:
    """DP's delta in [1e-100, 1): smaller is meaningless for any data set and overflows log(1/delta)."""
    return number(value, field, 1e-100, 1.0, high_open=True, accepted="a probability in [1e-100, 1), e.g. 1e-5")
