"""What one accelerator offers a solve, as floats: the setup every roofline-shaped solver shares.

    rate      = dense peak in the compute precision x efficiency
    bandwidth = memory bandwidth x bandwidth efficiency
    tax       = the fixed dispatch overhead per invocation

Written once here and used by ``SingleNodeModel``, ``ServingModel`` and
``DistributedModel`` (and so by the sweep, the optimizer and the audit).
"""

from __future__ import annotations

import math

from ..physics import kernels
from .contract import floats


@floats
class DeviceRates:
    """An accelerator's ceilings for one precision and efficiency (flop/s, byte/s, s, byte)."""

    peak: float  # dense peak of the compute precision (0 when it has none)
    rate: float  # peak x efficiency
    bandwidth: float  # memory bandwidth x bandwidth efficiency
    peak_bandwidth: float  # datasheet memory bandwidth
    tax: float  # dispatch overhead per invocation
    memory_capacity: float  # main-memory capacity
    compute_precision: str | None  # the precision the arithmetic runs in; None when unsupported
    sram_capacity: float = 0.0  # on-chip SRAM a working set may live in (0: no on-chip tier)
    sram_bandwidth: float = 0.0  # its bandwidth x bandwidth efficiency
    launch: float = 0.0  # host cost of launching one kernel (0: launches not charged)
    kernel_bandwidth: float = 0.0  # what the separate memory-bound kernels reach (0: ``bandwidth``)
    update_bandwidth: float = 0.0  # what the weight update's fused pass reaches (0: ``kernel_bandwidth``)


def sram_tier_capacity(hw) -> float:
    """The on-chip SRAM a working set may live in: ``memory.sram_capacity`` where the entry lists it with
    its ``sram_bandwidth`` (a tier needs both), else 0 (no tier)."""
    mem = hw.memory._si
    sram, sram_bw = mem.get("sram_capacity"), mem.get("sram_bandwidth")
    return sram if sram is not None and sram_bw is not None else 0.0


def device_rates(hw, precision: str, efficiency: float, bandwidth_efficiency: float = 1.0, on_chip: bool = False,
                 launch: float = 0.0, kernel_bandwidth_efficiency: float | None = None,
                 update_bandwidth_efficiency: float | None = None) -> DeviceRates:
    """The ceilings of ``hw`` for ``precision`` (already-checked inputs).

    ``on_chip``: give the on-chip tier where the entry lists both ``memory.sram_capacity`` and
    ``memory.sram_bandwidth`` (otherwise, or when False, its capacity is 0: no tier).
    ``launch``: seconds the host spends per kernel launch (``registry/walls/efficiency.toml``).
    ``kernel_bandwidth_efficiency``: the fraction of the datasheet bandwidth the separate memory-bound
    kernels reach (the Software wall's HBM table at their size); None: ``bandwidth_efficiency``.
    ``update_bandwidth_efficiency``: the fraction the training step's weight update reaches (the HBM table
    at its bytes); None: as the memory-bound kernels.
    """
    peak, compute_precision = hw.peak_flops_si(precision)
    if not 0.0 < peak < math.inf:  # a listed peak of 0 is no arithmetic in that precision
        peak, compute_precision = 0.0, None
    mem = hw.memory._si
    sram, sram_bw = mem.get("sram_capacity"), mem.get("sram_bandwidth")
    tier = on_chip and sram_tier_capacity(hw) > 0.0
    return DeviceRates(peak, kernels.effective_flops(peak, efficiency), mem["bandwidth"] * bandwidth_efficiency,
                       mem["bandwidth"], hw._si["dispatch_tax"], mem["capacity"], compute_precision,
                       sram if tier else 0.0, sram_bw * bandwidth_efficiency if tier else 0.0, launch,
                       0.0 if kernel_bandwidth_efficiency is None else mem["bandwidth"] * kernel_bandwidth_efficiency,
                       0.0 if update_bandwidth_efficiency is None else mem["bandwidth"] * update_bandwidth_efficiency)


def fallback_note(hw_name: str, precision: str, device: DeviceRates) -> str | None:
    """The assumption to state when the arithmetic runs in a wider precision than asked."""
    if device.compute_precision is not None and device.compute_precision != precision:
        return f"{hw_name} lists no {precision} peak; compute runs at its {device.compute_precision} peak"
    return None
