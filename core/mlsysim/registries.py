"""The built-in catalogs: ``Hardware``, ``Models``, ``Grids``, ``Fleets`` (data in ``registry/``)."""

from __future__ import annotations

from .core.errors import InputError, UnknownEntryError
from .core.catalog import Catalog
from .core.loader import RegistryDataError
from .hardware.types import HardwareNode
from .infrastructure.types import GridProfile
from .systems.types import Fleet
from .workloads.types import CNNWorkload, TransformerWorkload, Workload


def _build_workload(values: dict):
    arch = values.get("architecture", "Dense")
    cls = {"Transformer": TransformerWorkload, "CNN": CNNWorkload}.get(arch, Workload)
    return cls(**values)


def _reference(catalog: Catalog, name, field: str):
    """The entry a fleet cites by name; an unknown name is an error naming the field and the close keys."""
    try:
        return catalog.get(name)
    except UnknownEntryError as exc:
        hint = f" (did you mean {', '.join(repr(s) for s in exc.suggestions)}?)" if exc.suggestions else ""
        raise InputError(field, name, f"the key of a {catalog._kind} entry{hint}") from None
    except RegistryDataError:
        raise InputError(field, name, f"a {catalog._kind} entry that loads ({name!r} has problems of its own, listed separately)") from None


def _build_fleet(values: dict) -> Fleet:
    """A Fleet from its registry values; every unknown reference is reported, not only the first."""
    problems: list[str] = []

    def resolve(catalog, name, field):
        try:
            return _reference(catalog, name, field)
        except (InputError, RegistryDataError) as exc:
            problems.append(str(exc))
            return None

    node = dict(values.get("node") or {})
    if "accelerator" in node:
        node["accelerator"] = resolve(Hardware, node["accelerator"], "node.accelerator")
    values = {**values, "node": node}
    if "grid" in values:
        values["grid"] = resolve(Grids, values["grid"], "grid")
    if isinstance(values.get("datacenter"), dict):
        dc = dict(values["datacenter"])
        if "grid" in dc:
            dc["grid"] = resolve(Grids, dc["grid"], "datacenter.grid")
        values["datacenter"] = dc
    if problems:
        raise RegistryDataError("; ".join(problems), problems)
    return Fleet(**values)


Hardware = Catalog(
    "Hardware", "hardware", lambda v: HardwareNode(**v), group_by="tier",
)
Models = Catalog("Models", "models", _build_workload, group_by="family")
Grids = Catalog("Grids", "grids", lambda v: GridProfile(**v))
Fleets = Catalog("Fleets", "fleets", _build_fleet)
