"""Checks at a solver's entry: every argument validated once, with a clear error."""

from __future__ import annotations

from ..core.errors import InputError
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


def hardware(value, field: str = "hardware"):
    from ..hardware.types import HardwareNode
    from ..registries import Hardware

    if isinstance(value, HardwareNode):
        return value
    if isinstance(value, str):
        return Hardware.get(value)
    raise InputError(field, value, "a HardwareNode (e.g. Hardware.Cloud.H100) or a registry name such as 'h100'")


def workload(value, field: str = "model"):
    from ..registries import Models
    from ..workloads.types import Workload

    if isinstance(value, Workload):
        return value
    if isinstance(value, str):
        return Models.get(value)
    raise InputError(field, value, "a Workload (e.g. Models.Vision.ResNet50) or a registry name such as 'resnet50'")


def transformer(value, field: str = "model"):
    from ..workloads.types import TransformerWorkload

    model = workload(value, field)
    if not isinstance(model, TransformerWorkload):
        raise InputError(field, model.name, "a TransformerWorkload (serving needs layers, heads and kv_heads for the KV cache)")
    return model


def fleet(value, field: str = "fleet"):
    from ..registries import Fleets
    from ..systems.types import Fleet

    if isinstance(value, Fleet):
        return value
    if isinstance(value, str):
        return Fleets.get(value)
    raise InputError(field, value, "a Fleet (e.g. Fleets.Research256) or a registry name")
