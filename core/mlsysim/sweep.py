"""Sweeps: a grid of roofline configurations evaluated on plain floats.

``sweep(models=[...], hardware=[...], batch_sizes=[...], precisions=[...])``
returns columns of floats and strings with their units named, ready for
``alt.Data(values=result.rows())`` without numpy. It runs the same plan/point
functions as ``SingleNodeModel.solve``, so both paths give identical numbers.
"""

from __future__ import annotations

import math

from . import solvers
from .core.errors import InputError
from .physics import kernels
from .solvers import _inputs
from .solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from .solvers.single_node import COMPUTE_BOUND, MEMORY_BOUND, UNSUPPORTED, memory_verdict, roofline_columns, roofline_plan, training_memory

UNITS = {
    "model": None, "hardware": None, "precision": None, "batch_size": "count",
    "latency_s": "s", "compute_time_s": "s", "memory_time_s": "s", "throughput_per_s": "1/s",
    "arithmetic_intensity": "flop/byte", "attained_flops": "flop/s", "peak_flops": "flop/s",
    "bandwidth": "byte/s", "ridge_point": "flop/byte", "memory_bytes": "byte", "capacity_bytes": "byte",
    "bottleneck": None, "feasible": None,
}


class SweepResult:
    """Columns of a sweep: ``columns[name]`` is a list, ``units[name]`` its unit (None for labels)."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self.units = dict(UNITS)

    def __len__(self) -> int:
        return len(self.columns["latency_s"])

    def rows(self) -> list[dict]:
        """One dict per configuration (what ``alt.Data(values=...)`` takes)."""
        names = list(self.columns)
        return [dict(zip(names, values)) for values in zip(*self.columns.values())]

    def __repr__(self) -> str:
        return f"SweepResult({len(self)} configurations, columns={list(self.columns)})"


def _as_list(value, field: str) -> list:
    if isinstance(value, (list, tuple)):
        if not value:
            raise InputError(field, value, "a non-empty list")
        return list(value)
    return [value]


def _memory_columns(model, hw, precision, plan, batches, is_training, seq_len):
    """Resident bytes and whether they fit, per batch size (same rules as ``memory_verdict``)."""
    if is_training:
        parts = [training_memory(model, precision, b, seq_len, False) for b in batches]
        footprint = [w + g + o + a for w, g, o, a in parts]
        fits = [not memory_verdict(hw, w, f, a, True) for (w, _, _, a), f in zip(parts, footprint)]
        return footprint, fits
    weights, act = model.weight_bytes_si(precision), plan[2]
    footprint = [weights + act * b for b in batches]
    if len(batches) <= 32:
        return footprint, [not memory_verdict(hw, weights, f, act * b, False) for f, b in zip(footprint, batches)]
    # inference footprint is weights + act x b: linear in b, so it fits up to a largest batch
    largest = _largest_fitting_batch(hw, weights, act)
    return footprint, [b <= largest for b in batches]


def _largest_fitting_batch(hw, weights: float, act: float) -> float:
    """The largest batch whose inference footprint passes ``memory_verdict`` (inf if any, 0 if none)."""
    if memory_verdict(hw, weights, weights, 0.0, False):
        return 0
    if act <= 0:
        return math.inf
    low, high = 0, 1
    while not memory_verdict(hw, weights, weights + act * high, act * high, False):
        low, high = high, high * 2
        if high > 1 << 62:
            return math.inf
    while high - low > 1:  # bisect on the same rule the solver applies
        mid = (low + high) // 2
        if memory_verdict(hw, weights, weights + act * mid, act * mid, False):
            high = mid
        else:
            low = mid
    return low


def sweep(
    models,
    hardware,
    batch_sizes=(1,),
    precisions=("fp16",),
    efficiency: float = DEFAULT_EFFICIENCY,
    is_training: bool = False,
    seq_len: int | None = None,
    bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
) -> SweepResult:
    """Evaluate every (model, hardware, precision, batch size) on the roofline; floats only inside."""
    model_list = [_inputs.workload(m, "models") for m in _as_list(models, "models")]
    hw_list = [_inputs.hardware(h, "hardware") for h in _as_list(hardware, "hardware")]
    batches = [_inputs.positive_int(b, "batch_sizes") for b in _as_list(batch_sizes, "batch_sizes")]
    precs = [_inputs.check_precision(p, "precisions") for p in _as_list(precisions, "precisions")]
    efficiency = _inputs.fraction(efficiency, "efficiency")
    bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
    if seq_len is not None:
        seq_len = _inputs.positive_int(seq_len, "seq_len")

    col = {name: [] for name in UNITS}
    for model in model_list:
        for hw in hw_list:
            bw_peak = hw.memory._si["bandwidth"]
            capacity = hw.memory._si["capacity"]
            for p in precs:
                plan = roofline_plan(model, hw, p, efficiency, bandwidth_efficiency, is_training, seq_len)
                peak, compute_precision = plan[8], plan[9]
                n = len(batches)
                col["model"] += [model.name] * n
                col["hardware"] += [hw.name] * n
                col["precision"] += [p] * n
                col["batch_size"] += batches
                col["peak_flops"] += [peak] * n
                col["bandwidth"] += [bw_peak] * n
                col["ridge_point"] += [kernels.ridge_point(peak, bw_peak)] * n
                col["capacity_bytes"] += [capacity] * n
                footprint, fits = _memory_columns(model, hw, p, plan, batches, is_training, seq_len)
                col["memory_bytes"] += footprint
                if compute_precision is None:
                    col["latency_s"] += [math.inf] * n
                    col["compute_time_s"] += [math.inf] * n
                    col["memory_time_s"] += [0.0] * n
                    col["throughput_per_s"] += [0.0] * n
                    col["arithmetic_intensity"] += [0.0] * n
                    col["attained_flops"] += [0.0] * n
                    col["bottleneck"] += [UNSUPPORTED] * n
                    col["feasible"] += [False] * n
                    continue
                latency, compute, memory, ops, nbytes = roofline_columns(plan, batches)
                col["latency_s"] += latency
                col["compute_time_s"] += compute
                col["memory_time_s"] += memory
                col["throughput_per_s"] += [b / t for b, t in zip(batches, latency)]
                col["arithmetic_intensity"] += list(map(kernels.arithmetic_intensity, ops, nbytes))
                col["attained_flops"] += [o / t for o, t in zip(ops, latency)]
                col["bottleneck"] += [COMPUTE_BOUND if c >= m else MEMORY_BOUND for c, m in zip(compute, memory)]
                col["feasible"] += fits
    return SweepResult(col)


__all__ = ["sweep", "SweepResult", "solvers"]
