"""One unit registry for the whole engine, and the conversions at its edges.

Units at the edges, floats inside: every physical input is checked for its
dimension and converted once to the canonical unit of its *kind* (the table
``KINDS`` below); solvers and formula kernels then work on plain floats in those
units, and results are turned back into Quantities when read.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import pint

from .errors import InputError, UnitError

ureg = pint.UnitRegistry(
    str(Path(__file__).with_name("units.txt")),
    cache_folder=None,
    autoconvert_offset_to_baseunit=True,
)
ureg.formatter.default_format = "~P"
pint.set_application_registry(ureg)
Q_ = ureg.Quantity
Quantity = ureg.Quantity

# kind -> (canonical unit, what a person would write, for error messages)
KINDS: dict[str, tuple[str, str]] = {
    "ops": ("flop", "an amount of compute such as '8.2 GFLOP'"),
    "flops": ("flop/s", "a compute rate such as '989 TFLOP/s'"),
    "bytes": ("byte", "an amount of memory such as '80 GB'"),
    "bandwidth": ("byte/s", "a data rate such as '3.35 TB/s' or '400 Gbit/s'"),
    "time": ("s", "a time such as '10 us', '5 ms' or '54 day'"),
    "power": ("W", "a power such as '700 W'"),
    "energy": ("J", "an energy such as '1287 MWh'"),
    "count": ("count", "a count such as 8e9 or '8e9 count'"),
    "intensity": ("flop/byte", "an arithmetic intensity such as '295 flop/byte'"),
    "carbon_intensity": ("gCO2e/J", "a carbon intensity such as '429 gCO2e/kWh'"),
    "water_intensity": ("L/J", "a water intensity such as '1.8 L/kWh'"),
    "energy_price": ("USD/J", "an electricity price such as '0.08 USD/kWh'"),
    "money": ("USD", "an amount of money such as '30000 USD'"),
    "mass": ("g", "a mass such as '552 tCO2e'"),
    "volume": ("L", "a volume such as '700000 L'"),
    "ratio": ("count", "a dimensionless ratio such as 1.1"),
    "rate": ("1/s", "a rate such as '120 1/s' (samples or tokens per second)"),
    "money_rate": ("USD/s", "a price per unit time such as '2.5 USD/hour' (per accelerator)"),
    "energy_per_byte": ("J/byte", "an energy per byte sent such as '3.5 uJ/byte' or '0.44 uJ/bit'"),
}

_UNITS = {kind: ureg.Unit(unit) for kind, (unit, _) in KINDS.items()}
_DIMS = {kind: u.dimensionality for kind, u in _UNITS.items()}
_DIMENSIONLESS_KINDS = {"count", "ratio"}


def unit_of(kind: str) -> pint.Unit:
    """The canonical pint unit of a kind (floats inside are in this unit)."""
    return _UNITS[kind]


@lru_cache(maxsize=256)
def parsed_unit(name: str) -> pint.Unit:
    """A unit written as text ('ms', 'GB'), parsed once: pint parses a string unit on every
    ``.to()``, which made reading a result's Quantities most of an audit's time."""
    return ureg.Unit(name)


_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s+([A-Za-zµμ%][^\s].*?|[A-Za-zµμ%])\s*$")


@lru_cache(maxsize=512)
def _parse_units(text: str):
    return ureg.parse_units(text)


@lru_cache(maxsize=1024)
def _conversion(units, kind: str) -> float | None:
    """Factor from ``units`` to the canonical unit of ``kind``; None when the dimensions differ."""
    if ureg.get_dimensionality(units) != _DIMS[kind]:
        return None
    return float(Q_(1.0, units).m_as(_UNITS[kind]))


def _from_text(value: str):
    """A Quantity from text. "<number> <unit>" takes a cached fast path; anything else goes to pint's parser."""
    m = _NUMBER_UNIT.match(value)
    if m:
        try:
            return Q_(float(m.group(1)), _parse_units(m.group(2)))
        except Exception:
            pass
    return Q_(value)


def _checked(value, field: str, kind: str) -> tuple[pint.Quantity, float]:
    """(Quantity, magnitude in the canonical unit) after every check; see ``parse``."""
    unit, example = KINDS[kind]
    if isinstance(value, bool):
        raise InputError(field, value, example)
    if isinstance(value, (int, float)):
        if kind in _DIMENSIONLESS_KINDS:
            q = Q_(value, _UNITS[kind])
        else:
            raise UnitError(field, value, f"{example}; a plain number has no unit (write Q_('{value} ...'))")
    elif isinstance(value, str):
        try:
            q = _from_text(value)
        except Exception:
            raise UnitError(field, value, f"{example}; the text could not be read as a quantity") from None
        if not isinstance(q, pint.Quantity):  # "3" parses to a plain number
            return _checked(q, field, kind)
    elif isinstance(value, pint.Quantity):
        q = value
        if q._REGISTRY is not ureg:
            q = Q_(str(q))
    else:
        raise UnitError(field, value, example)
    factor = _conversion(q._units, kind)
    if factor is None:
        raise UnitError(field, f"{q:~P}", f"{example} (dimension {_DIMS[kind]}, got {q.dimensionality})")
    magnitude = q._magnitude
    try:
        finite = not isinstance(magnitude, complex) and math.isfinite(magnitude)
    except (TypeError, OverflowError):  # a huge int (10**400) or a magnitude that is not a number
        finite = False
    if not finite:
        raise InputError(field, _shown(value, q), f"{example}, finite")
    converted = float(magnitude) * factor
    if not math.isfinite(converted):  # finite as written, inf in the canonical unit (1e300 GB)
        raise InputError(field, _shown(value, q), f"{example}, finite when converted to {unit}")
    return q, converted


def _shown(value, q) -> str:
    """The value as an error message shows it: the text as typed, or the Quantity formatted (pint's formatting
    costs more than the whole check, so it is done only for an error)."""
    return value if isinstance(value, str) else f"{q:~P}"


def parse(value, field: str, kind: str) -> pint.Quantity:
    """Check ``value`` is a quantity of ``kind`` and return it as a Quantity.

    Accepts a Quantity (of this or another pint registry) or a string that
    parses to one ("3.35 TB/s"). Plain numbers are accepted only for counts and
    ratios. Anything else raises an error naming the field and what is accepted.
    """
    return _checked(value, field, kind)[0]


def to_float(value, field: str, kind: str) -> float:
    """Validate ``value`` as a quantity of ``kind`` and return its magnitude in the canonical unit."""
    return _checked(value, field, kind)[1]


def si_of(q: pint.Quantity, kind: str) -> float:
    """Magnitude in the canonical unit of a Quantity already checked by ``parse`` (no re-validation)."""
    return float(q._magnitude) * _conversion(q._units, kind)


def make(magnitude: float, kind: str) -> pint.Quantity:
    """Build a Quantity from a float in the canonical unit of ``kind``."""
    return Q_(magnitude, _UNITS[kind])
