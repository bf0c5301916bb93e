"""Checks at a solver's entry: every argument validated once, with a clear error.

The numeric rules are ``core.checks`` (one rule for types, solvers and the
formula library); this module re-exports them under the names solvers use and
adds the look-ups "an instance, or a registry name for one".
"""

from __future__ import annotations

from ..core import checks
from ..core.checks import boolean, choice, int_list, integer, nonneg, nonneg_int, number, positive, quantity, sequence, zero_stage  # noqa: F401
from ..core.errors import InputError
from ..hardware.types import HardwareNode
from ..registries import Fleets, Hardware, Models
from ..systems.types import Fleet
from ..workloads.precision import check_precision  # noqa: F401  (re-exported for solvers)
from ..workloads.types import TransformerWorkload, Workload

pue = checks.pue
_MAX_INT = checks.MAX_INT


def positive_int(value, field: str) -> int:
    """``checks.positive_int``; a plain in-range ``int`` (the common case in a sweep) returns at once."""
    if type(value) is int and 1 <= value <= _MAX_INT:
        return value
    return checks.positive_int(value, field)


def fraction(value, field: str) -> float:
    """``checks.fraction`` (a number in (0, 1]); a plain in-range ``float`` returns at once (nan fails the comparison)."""
    if type(value) is float and checks.MIN_FRACTION <= value <= 1.0:
        return value
    return checks.fraction(value, field)


def optional_int(value, field: str):
    """None, or an integer >= 1."""
    return None if value is None else checks.positive_int(value, field)


def entry(value, field: str, cls: type, catalog, expected: str):
    """An instance of ``cls`` as given, or the registry entry a name resolves to in ``catalog``."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        return catalog.get(value)
    raise InputError(field, value, expected)


def hardware(value, field: str = "hardware") -> HardwareNode:
    return entry(value, field, HardwareNode, Hardware, "a HardwareNode (e.g. Hardware.Cloud.H100) or a registry name such as 'h100'")


def workload(value, field: str = "model") -> Workload:
    return entry(value, field, Workload, Models, "a Workload (e.g. Models.Vision.ResNet50) or a registry name such as 'resnet50'")


def transformer(value, field: str = "model") -> TransformerWorkload:
    model = workload(value, field)
    if not isinstance(model, TransformerWorkload):
        raise InputError(field, model.name, "a TransformerWorkload (serving needs layers, heads and kv_heads for the KV cache)")
    return model


def fleet(value, field: str = "fleet") -> Fleet:
    return entry(value, field, Fleet, Fleets, "a Fleet (e.g. Fleets.Research256) or a registry name")
