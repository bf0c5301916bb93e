"""The typed-model base: every field checked on construction, SI floats cached.

Quantity fields are checked for dimension, finiteness after conversion and sign
(``QuantityOf``); integer and plain-number fields by the shared validators in
``core.checks`` (``PositiveInt``, ``Year``, ``PUE``, ``bounded_int``), so each
error names the field, its value and what is accepted.

A field declared as ``Annotated[Quantity, Kind("bandwidth")]`` accepts a pint
Quantity (or a string such as "3.35 TB/s"), rejects anything of the wrong
dimension with an error naming the field, and is stored as a Quantity. After
construction, ``model.si("memory.bandwidth")``-style access is avoided in hot
code: each model caches the canonical-unit floats of its Quantity fields in
``model._si`` (a dict: field name -> float) once.
"""

from __future__ import annotations

import datetime as _dt
import re
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import pint
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WrapValidator

from . import checks
from .errors import InputError
from .units import KINDS, parse, si_of


class Kind:
    """Marks a field as a physical quantity of one kind (see ``units.KINDS``)."""

    def __init__(self, kind: str):
        self.kind = kind


def _quantity_validator(kind: str, positive: bool):
    def validate(value: Any, handler, info) -> pint.Quantity:
        field = info.field_name or "value"
        q = parse(value, field, kind)  # dimension, and finite after conversion
        v = si_of(q, kind)
        if v < 0.0 or (positive and v == 0.0):
            sign = "positive (> 0)" if positive else "non-negative (>= 0)"
            raise InputError(field, value if isinstance(value, str) else f"{q:~P}", f"a {sign} value: {KINDS[kind][1]}")
        return q

    return WrapValidator(validate)


def QuantityOf(kind: str, positive: bool = False):
    """The annotated type of a Quantity field of one kind: finite after conversion, >= 0 (or > 0 if ``positive``).

    No field of a typed model holds a negative physical amount: a minus sign typed by
    mistake is an error at construction, never a negative energy three solvers later.
    """
    return Annotated[
        pint.Quantity,
        _quantity_validator(kind, positive),
        Kind(kind),
        PlainSerializer(lambda q: f"{q:~P}", return_type=str),
    ]


# > 0: a rate, a size or an amount that has to exist for the model to mean anything
Flops = QuantityOf("flops", positive=True)
Ops = QuantityOf("ops", positive=True)
Bandwidth = QuantityOf("bandwidth", positive=True)
Power = QuantityOf("power", positive=True)
Count = QuantityOf("count", positive=True)
PositiveBytes = QuantityOf("bytes", positive=True)
# >= 0: zero is a meaningful value (no overhead, a free part, a carbon-free grid)
Bytes = QuantityOf("bytes")
Time = QuantityOf("time")
Energy = QuantityOf("energy")
CarbonIntensity = QuantityOf("carbon_intensity")
WaterIntensity = QuantityOf("water_intensity")
EnergyPrice = QuantityOf("energy_price")
Money = QuantityOf("money")
Mass = QuantityOf("mass")


def _checked_by(check, *args):
    """A pydantic before-validator calling one of ``checks``' functions with the field's name."""

    def validate(value: Any, info) -> Any:
        return check(value, info.field_name or "value", *args)

    return BeforeValidator(validate)


# Integers and plain numbers, checked by the shared validators (no bools, no "8", no 1e300)
PositiveInt = Annotated[int, _checked_by(checks.positive_int)]
Year = Annotated[int, _checked_by(checks.integer, 1940, 2100)]
PUE = Annotated[float, _checked_by(checks.pue)]


def bounded_int(maximum: int):
    """An integer in [1, maximum]; the bound keeps searches over divisors and layouts finite."""
    return Annotated[int, _checked_by(checks.positive_int, maximum)]


# A finite ratio >= 1 (network oversubscription; 1 = non-blocking). Finite matters: nan passes every `<` check.
RatioAtLeastOne = Annotated[float, _checked_by(checks.number, 1.0, None, False, False, "a finite ratio >= 1 (1 = non-blocking)")]


class Source(BaseModel):
    """Where a number comes from (provenance)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    url: str | None = None
    date: _dt.date  # the date the value was last checked against the source
    kind: Literal["datasheet", "paper", "measured", "estimate", "derived"]
    note: str | None = None

    def __str__(self) -> str:
        where = f" <{self.url}>" if self.url else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.title}{where} [{self.kind}, checked {self.date}]{note}"


def normalise(name: str) -> str:
    """Case- and punctuation-insensitive form of a name: 'H100 SXM' -> 'h100sxm'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _kind_of(annotation) -> str | None:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Kind):
            return meta.kind
    return None


class Model(BaseModel):
    """Base of every typed input: frozen, extra fields rejected, floats cached.

    ``_si`` maps each Quantity field (and each entry of a dict of Quantities,
    as ``"field.key"``) to its magnitude in the canonical unit of its kind.
    ``_provenance`` maps dotted field paths to a ``Source`` for registry entries.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, validate_default=True, defer_build=True)

    _quantity_fields: ClassVar[tuple] = ()
    # ``_si`` and ``_provenance`` live in the instance __dict__ (set with
    # object.__setattr__), not as pydantic private attributes: those are read
    # through BaseModel.__getattr__, which costs microseconds on every access
    # in the solvers' hot paths.

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        fields = []
        for name, field in cls.model_fields.items():
            kind = next((m.kind for m in field.metadata if isinstance(m, Kind)), None)
            if kind is None and get_origin(field.annotation) in (Union, UnionType):  # Optional[QuantityOf(kind)]
                kind = next((k for k in map(_kind_of, get_args(field.annotation)) if k), None)
            if kind is not None:
                fields.append((name, kind, False))
            else:
                kind = _dict_value_kind(field.annotation)
                if kind is not None:
                    fields.append((name, kind, True))
        cls._quantity_fields = tuple(fields)

    def model_post_init(self, context: Any) -> None:
        si = {}
        for name, kind, is_dict in self._quantity_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if is_dict:
                for key, q in value.items():
                    si[f"{name}.{key}"] = si_of(q, kind)
            else:
                si[name] = si_of(value, kind)
        object.__setattr__(self, "_si", si)
        if getattr(self, "key", None) == "" and getattr(self, "name", ""):
            # entries built without a key get one from their name, by the rule name look-ups use
            object.__setattr__(self, "key", normalise(self.name))
        if "_provenance" not in self.__dict__:
            object.__setattr__(self, "_provenance", {})

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        """A copy; with ``update``, the new values are validated and the cached floats recomputed.

        (pydantic's own ``model_copy(update=...)`` skips validation, which would
        leave ``_si`` holding the old numbers that every solver reads.)
        """
        if not update:
            return super().model_copy(deep=deep)
        values = {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}
        copy = type(self)(**{**values, **update})
        copy.set_provenance({k: v for k, v in self._provenance.items() if k.partition(".")[0] not in update})
        return copy

    # -- provenance ---------------------------------------------------------
    def set_provenance(self, sources: dict) -> None:
        """Attach the sources of this entry's own numbers (dotted path -> Source)."""
        object.__setattr__(self, "_provenance", dict(sources))

    def provenance(self, path: str) -> Source:
        """The source of the number at a dotted path, e.g. ``"memory.bandwidth"``."""
        head, _, rest = path.partition(".")
        if path in self._provenance:
            return self._provenance[path]
        child = getattr(self, head, None)
        if rest and isinstance(child, Model):
            return child.provenance(rest)
        known = sorted(self.provenance_paths())
        raise KeyError(f"{type(self).__name__} has no sourced value at {path!r}; sourced paths: {', '.join(known)}")

    def provenance_paths(self) -> dict[str, Source]:
        """Every sourced dotted path of this entry and its parts."""
        out = dict(self._provenance)
        for name in type(self).model_fields:
            child = getattr(self, name)
            if isinstance(child, Model):
                out.update({f"{name}.{k}": v for k, v in child.provenance_paths().items()})
        return out


def _dict_value_kind(annotation) -> str | None:
    """The kind of the values of a ``dict[str, QuantityOf(kind)]`` field (optional or not), else None."""
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if getattr(arg, "__origin__", None) is dict:
            return _kind_of(arg.__args__[1])
    return None
