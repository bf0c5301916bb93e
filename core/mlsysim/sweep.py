"""Sweeps: a grid of roofline configurations evaluated on plain floats.

``sweep(models=[...], hardware=[...], batch_sizes=[...], precisions=[...])``
returns columns of floats and strings with their units named, ready for
``alt.Data(values=result.rows())`` without numpy. It runs the same plan/point
functions as ``SingleNodeModel.solve``, so both paths give identical numbers.
"""

from __future__ import annotations

from . import solvers
from .core.errors import InputError
from .physics import kernels
from .solvers import _inputs
from .solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from .solvers.single_node import COMPUTE_BOUND, MEMORY_BOUND, UNSUPPORTED, memory_verdict, roofline_plan, roofline_point, training_memory

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
    point = roofline_point
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
                lat, comp, mem, thr, ai, att, bott, foot, feas = [], [], [], [], [], [], [], [], []
                weights = model.weight_bytes_si(p)
                for b in batches:
                    if is_training:
                        w, g, o, a = training_memory(model, p, b, seq_len, False)
                        total = w + g + o + a
                    else:
                        a = plan[2] * b
                        w, total = weights, weights + a
                    fits = not memory_verdict(hw, w, total, a, is_training)
                    if compute_precision is None:
                        lat.append(float("inf")); comp.append(float("inf")); mem.append(0.0)
                        thr.append(0.0); ai.append(0.0); att.append(0.0); bott.append(UNSUPPORTED)
                        foot.append(total); feas.append(False)
                        continue
                    latency, c, m, ops, nbytes = point(plan, b)
                    lat.append(latency); comp.append(c); mem.append(m)
                    thr.append(b / latency)
                    ai.append(kernels.arithmetic_intensity(ops, nbytes))
                    att.append(ops / latency)
                    bott.append(COMPUTE_BOUND if c >= m else MEMORY_BOUND)
                    foot.append(total); feas.append(fits)
                col["latency_s"] += lat
                col["compute_time_s"] += comp
                col["memory_time_s"] += mem
                col["throughput_per_s"] += thr
                col["arithmetic_intensity"] += ai
                col["attained_flops"] += att
                col["bottleneck"] += bott
                col["memory_bytes"] += foot
                col["feasible"] += feas
    return SweepResult(col)


__all__ = ["sweep", "SweepResult", "solvers"]
