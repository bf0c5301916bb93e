"""Supply side: an accelerator's compute, memory and power (pure data, validated).

Peak FLOP/s are **dense** throughout; 2:4 structured-sparsity peaks live only in
the separately named ``sparse_flops``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..core.errors import InputError
from ..core.types import Bandwidth, Bytes, Flops, Model, Money, PositiveBytes, Power, QuantityOf, Time, Year
from ..core.units import make
from ..physics import kernels
from ..workloads.precision import COMPUTE_FALLBACK, PRECISIONS, check_precision

Tier = Literal["cloud", "workstation", "mobile", "edge", "tiny"]


class ComputeCore(Model):
    """Dense peak compute per precision (and sparse peaks, separately)."""

    peak_flops: Flops  # the headline dense peak (the default precision's)
    precision_flops: dict[str, Flops] = Field(default_factory=dict)  # dense, per precision
    sparse_flops: dict[str, Flops] = Field(default_factory=dict)  # 2:4 structured sparsity only

    @model_validator(mode="after")
    def _check(self):
        # (each entry is already a positive, finite compute rate: see ``Flops``)
        for table in ("precision_flops", "sparse_flops"):
            for p in getattr(self, table):
                if p not in PRECISIONS:
                    raise InputError(f"{table}.{p}", p, "one of " + ", ".join(PRECISIONS))
        for p, sparse in self.sparse_flops.items():
            dense = self.precision_flops.get(p)
            if dense is not None and sparse < dense:
                raise InputError(f"sparse_flops.{p}", f"{sparse:~P}", f">= the dense peak {dense:~P}")
        return self


class MemoryHierarchy(Model):
    """Main memory (HBM, DRAM or an MCU's SRAM), plus optional on-chip SRAM and flash tiers."""

    # every field finite and > 0 (zero capacity or bandwidth is reported under its dotted name below)
    capacity: Bytes
    bandwidth: QuantityOf("bandwidth")
    sram_capacity: PositiveBytes | None = None  # on-chip scratchpad/L2 the compiler can keep tensors in
    sram_bandwidth: Bandwidth | None = None
    flash_capacity: PositiveBytes | None = None  # MCUs: read-only weight storage, separate from SRAM

    @model_validator(mode="after")
    def _positive(self):
        for name in ("capacity", "bandwidth"):
            if self._si[name] <= 0:
                raise InputError(f"memory.{name}", f"{getattr(self, name):~P}", "a positive value")
        return self


class HardwareNode(Model):
    """One accelerator (or SoC / MCU) as a roofline: peaks, memory, power, overheads."""

    name: str
    key: str = ""
    attr: str = ""  # attribute name in the registry namespace, e.g. "H100"
    vendor: str = ""
    tier: Tier = "cloud"
    release_year: Year | None = None
    aliases: tuple[str, ...] = ()
    compute: ComputeCore
    memory: MemoryHierarchy
    tdp: Power | None = None  # > 0
    dispatch_tax: Time = Field(default_factory=lambda: make(0.0, "time"))  # fixed per-invocation overhead, >= 0
    unit_cost: Money | None = None  # >= 0
    interconnect_bandwidth: Bandwidth | None = None  # scale-up link per accelerator (NVLink, ICI, ...), > 0

    # -- derived quantities (floats inside, Quantities out) -------------------
    def peak_flops_si(self, precision: str) -> tuple[float, str | None]:
        """Dense peak in flop/s for ``precision`` and the precision actually used.

        Returns ``(0.0, None)`` when the accelerator cannot compute in that
        precision at all (e.g. fp16 on an int8-only NPU).
        """
        table = self.compute._si
        key = "precision_flops." + precision
        if key in table:
            return table[key], precision
        if not self.compute.precision_flops:  # only a headline number is known
            return table["peak_flops"], precision
        for alt in COMPUTE_FALLBACK[precision]:
            if "precision_flops." + alt in table:
                return table["precision_flops." + alt], alt
        return 0.0, None

    def peak_flops(self, precision: str = "fp16"):
        """Dense peak compute for a precision, as a Quantity (flop/s)."""
        value, _ = self.peak_flops_si(check_precision(precision))
        return make(value, "flops")

    def ridge_point(self, precision: str = "fp16"):
        """Arithmetic intensity where the roofline's two ceilings meet (flop/byte).

        Williams, Waterman & Patterson, "Roofline", CACM 52(4), 2009: ridge =
        peak compute / peak memory bandwidth.
        """
        peak, _ = self.peak_flops_si(check_precision(precision))
        return make(kernels.ridge_point(peak, self.memory._si["bandwidth"]), "intensity")

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"HardwareNode({self.name!r}, tier={self.tier!r})"

