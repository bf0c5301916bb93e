"""The built-in catalogs: ``Hardware``, ``Models``, ``Grids``, ``Fleets`` (data in ``registry/``)."""

from __future__ import annotations

from .core.registry import Catalog
from .hardware.types import HardwareNode
from .infrastructure.types import Datacenter, GridProfile
from .systems.types import Fleet
from .workloads.types import CNNWorkload, TransformerWorkload, Workload


def _build_workload(values: dict):
    arch = values.get("architecture", "Dense")
    cls = {"Transformer": TransformerWorkload, "CNN": CNNWorkload}.get(arch, Workload)
    return cls(**values)


def _build_fleet(values: dict) -> Fleet:
    node = dict(values["node"])
    node["accelerator"] = Hardware.get(node["accelerator"])
    values = {**values, "node": node}
    if "grid" in values:
        values["grid"] = Grids.get(values["grid"])
    if "datacenter" in values:
        dc = dict(values["datacenter"])
        dc["grid"] = Grids.get(dc["grid"])
        values["datacenter"] = Datacenter(**dc)
    return Fleet(**values)


Hardware = Catalog(
    "Hardware", "hardware", lambda v: HardwareNode(**v), group_by="tier",
)
Models = Catalog("Models", "models", _build_workload, group_by="family")
Grids = Catalog("Grids", "grids", lambda v: GridProfile(**v))
Fleets = Catalog("Fleets", "fleets", _build_fleet)
