"""Checks at a solver's entry: every argument validated once, with a clear error."""

from __future__ import annotations

from ..core.errors import InputError
from ..hardware.types import HardwareNode
from ..registries import Fleets, Hardware, Models
from ..systems.types import Fleet
from ..workloads.types import TransformerWorkload, Workload
from ..workloads.precision import check_precision  # noqa: F401  (re-exported for solvers)


def positive_int(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and value >= 1:
            return int(value)
        raise InputError(field, value, "an integer >= 1")
    if value < 1:
        raise InputError(field, value, "an integer >= 1")
    return value


def fraction(value, field: str) -> float:
    """A number in (0, 1]: efficiencies and utilisations."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise InputError(field, value, "a number in (0, 1], e.g. 0.5 for 50%")
    return float(value)


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
