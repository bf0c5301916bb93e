"""Sweeps: a grid of roofline configurations evaluated on plain floats.

``sweep(models=[...], hardware=[...], batch_sizes=[...], precisions=[...])``
returns columns of floats and strings with their units named, ready for
``alt.Data(values=result.rows())`` without numpy. It runs the same plan/point
functions as ``SingleNodeModel.solve``, so both paths give identical numbers.
"""

from __future__ import annotations

import math

from .core import checks
from .physics import kernels
from .solvers import _inputs
from .solvers.defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY
from .solvers.single_node import (
    COMPUTE_BOUND, EXECUTIONS, MEMORY_BOUND, SOFTWARE_BOUND, UNSUPPORTED, default_execution, largest_inference_batch,
    launch_cost, memory_plan, memory_verdict, roofline_columns, winograd_reduction, workload_plan,
)
from .solvers._device import device_rates

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
    """A non-empty list or tuple as a list; a single value (a name, a number) as a list of one."""
    if isinstance(value, (list, tuple)):
        return checks.sequence(value, field)
    return [value]


def _memory_columns(model, hw, precision, workload, batches, is_training, seq_len):
    """Resident bytes and whether they fit, per batch size (same rules as ``memory_verdict``)."""
    if is_training:
        parts = [memory_plan(model, precision, b, seq_len, True, False) for b in batches]
        fits = [not memory_verdict(hw, m.weight_memory, m.memory_footprint, m.activation_memory, True) for m in parts]
        return [m.memory_footprint for m in parts], fits
    weights, act = workload.resident_weights, workload.resident_act
    # inference footprint is weights + act x b: linear in b, so it fits up to a largest batch
    largest = largest_inference_batch(hw, weights, act)
    return [weights + act * b for b in batches], [b <= largest for b in batches]


def sweep(
    models,
    hardware,
    batch_sizes=(1,),
    precisions=("fp16",),
    efficiency: float = DEFAULT_EFFICIENCY,
    is_training: bool = False,
    seq_len: int | None = None,
    bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
    execution: str | None = None,
) -> SweepResult:
    """Evaluate every (model, hardware, precision, batch size) on the roofline; floats only inside.

    One efficiency for every batch size (``SingleNodeModel.solve`` with ``efficiency=None`` reads the
    Software wall's size-dependent table instead); ``execution`` sets kernel counts and launch cost as there."""
    model_list = [_inputs.workload(m, "models") for m in _as_list(models, "models")]
    hw_list = [_inputs.hardware(h, "hardware") for h in _as_list(hardware, "hardware")]
    batches = [_inputs.positive_int(b, f"batch_sizes[{i}]") for i, b in enumerate(_as_list(batch_sizes, "batch_sizes"))]
    precs = [_inputs.check_precision(p, "precisions") for p in _as_list(precisions, "precisions")]
    efficiency = _inputs.fraction(efficiency, "efficiency")
    bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
    seq_len = _inputs.optional_int(seq_len, "seq_len")
    is_training = _inputs.boolean(is_training, "is_training")
    if execution is not None:
        execution = _inputs.choice(execution, "execution", EXECUTIONS)

    col = {name: [] for name in UNITS}
    # local names for the columns: a sweep of few batch sizes is dominated by per-group bookkeeping
    c_model, c_hw, c_prec, c_batch = col["model"], col["hardware"], col["precision"], col["batch_size"]
    c_peak, c_bw, c_ridge, c_cap, c_mem = col["peak_flops"], col["bandwidth"], col["ridge_point"], col["capacity_bytes"], col["memory_bytes"]
    c_lat, c_comp, c_memt, c_thr = col["latency_s"], col["compute_time_s"], col["memory_time_s"], col["throughput_per_s"]
    c_ai, c_att, c_bott, c_fit = col["arithmetic_intensity"], col["attained_flops"], col["bottleneck"], col["feasible"]
    n = len(batches)
    intensities = kernels.arithmetic_intensities
    prec_labels = {p: [p] * n for p in precs}
    hw_labels = [([hw.name] * n, [hw.memory._si["bandwidth"]] * n, [hw.memory._si["capacity"]] * n) for hw in hw_list]
    # each accelerator's ceilings per precision, shared by every model
    modes = [execution or default_execution(hw) for hw in hw_list]  # as SingleNodeModel.solve picks it
    devices = [{p: device_rates(hw, p, efficiency, bandwidth_efficiency, not is_training, launch_cost(mode)[0]) for p in precs}
               for hw, mode in zip(hw_list, modes)]
    for model in model_list:
        plans = {}  # (execution, precision, Winograd reduction) -> plan, as SingleNodeModel.solve builds it per accelerator
        model_label = [model.name] * n
        for hw, (hw_label, bw_label, cap_label), device, mode in zip(hw_list, hw_labels, devices, modes):
            bw_peak = hw.memory._si["bandwidth"]
            for p in precs:
                winograd = winograd_reduction(model, hw, p)
                workload = plans.get((mode, p, winograd))
                if workload is None:
                    workload = plans[mode, p, winograd] = workload_plan(model, p, is_training, seq_len, execution=mode,
                                                                        winograd=winograd)
                d = device[p]
                peak, compute_precision = d.peak, d.compute_precision
                c_model += model_label
                c_hw += hw_label
                c_prec += prec_labels[p]
                c_batch += batches
                c_peak += [peak] * n
                c_bw += bw_label
                c_ridge += [kernels.ridge_point(peak, bw_peak)] * n
                c_cap += cap_label
                footprint, fits = _memory_columns(model, hw, p, workload, batches, is_training, seq_len)
                c_mem += footprint
                if compute_precision is None:
                    c_lat += [math.inf] * n
                    c_comp += [math.inf] * n
                    c_memt += [0.0] * n
                    c_thr += [0.0] * n
                    c_ai += [0.0] * n
                    c_att += [0.0] * n
                    c_bott += [UNSUPPORTED] * n
                    c_fit += [False] * n
                    continue
                out = roofline_columns(workload, d, batches)
                latency, compute, memory, ops, nbytes = out.latency, out.compute_time, out.memory_time, out.ops, out.bytes_moved
                c_lat += latency
                c_comp += compute
                c_memt += memory
                c_thr += [b / t for b, t in zip(batches, latency)]
                c_ai += intensities(ops, nbytes)
                c_att += [o / t for o, t in zip(ops, latency)]
                host = out.launch_time[0]  # the launches' time does not depend on the batch size
                c_bott += [SOFTWARE_BOUND if host > dv else COMPUTE_BOUND if c >= m else MEMORY_BOUND
                           for c, m, dv in zip(compute, memory, out.device_time)]
                c_fit += fits
    return SweepResult(col)


__all__ = ["sweep", "SweepResult"]
