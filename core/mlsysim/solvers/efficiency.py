"""The Software wall: how much of peak the kernels reach, and what launching them costs.

  efficiency(op)  = the size-dependent table's value for the operation's size and kind
                    (GEMM / vector flop per kernel, bytes per memory-bound kernel; Calculon's
                    tables, ``registry/walls/efficiency.toml``)
  kernel time     = max(flops / (peak x eff_compute), bytes / (bandwidth x eff_memory))
  overhead        = kernels x launch cost (eager one by one; fewer kernels when fused or
                    compiled; less per launch in a CUDA graph)
  time            = kernel time + overhead;  achieved fraction of peak = flops / time / peak

``efficiency_for(op_kind, size, hardware)`` is the function other solvers call in place of
the one-number default efficiency.
"""

from __future__ import annotations


from ..core import checks
from ..core.errors import InputError
from ..physics import kernels
from ..results import Result, quantity
from ..wall_registry import EfficiencyTables, LaunchOverheads
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs
from .contract import floats, plan

OP_KINDS = ("gemm", "vector", "memory")


def _table(op_kind: str, hardware_key: str | None, precision: str | None = None):
    """The most specific table for (op kind, hardware, precision): that part in that precision, that part
    in any precision, then the generic one."""
    part = generic = None
    for t in EfficiencyTables:
        if t.op_kind != op_kind:
            continue
        if hardware_key is not None and t.hardware == hardware_key:
            if precision is not None and t.precision == precision:
                return t
            if t.precision == "*":
                part = t
        elif t.hardware == "*" and t.precision == "*":
            generic = t
    return part or generic


_PAIRS_CACHE: dict = {}


def efficiency_for_key(op_kind: str, size: float, hardware_key: str | None, precision: str | None = None) -> float:
    """``efficiency_for`` with checked inputs: a known op kind, a size >= 0, a hardware key (or None) and
    optionally the compute precision (a part's table for that precision wins).

    The table found for (op kind, hardware, precision) is memoised per loaded catalogue (a reloaded
    registry gives a new key), since a solve without an efficiency reads it every time."""
    key = (op_kind, hardware_key, precision, id(EfficiencyTables._loaded))
    pairs = _PAIRS_CACHE.get(key)
    if pairs is None:
        pairs = _PAIRS_CACHE[key] = _table(op_kind, hardware_key, precision).pairs
    return kernels.table_efficiency(pairs, size)


_NAME_CACHE: dict = {}


def efficiency_table_name(op_kind: str, hardware_key: str | None, precision: str | None = None) -> str:
    """The key of the table ``efficiency_for_key`` reads for this op kind, hardware and precision (memoised likewise)."""
    key = (op_kind, hardware_key, precision, id(EfficiencyTables._loaded))
    name = _NAME_CACHE.get(key)
    if name is None:
        name = _NAME_CACHE[key] = _table(op_kind, hardware_key, precision).key
    return name


_LAUNCH_CACHE: dict = {}


def launch_overhead_entry(launch: str):
    """The ``[[launch_overheads]]`` entry named ``launch`` (an InputError naming ``launch`` lists the
    accepted keys), memoised per loaded catalogue: the look-up by name costs more than a solve's arithmetic."""
    key = (launch, id(LaunchOverheads._loaded)) if isinstance(launch, str) else None  # anything else: checked, never cached
    found = _LAUNCH_CACHE.get(key)
    if found is None:
        found = LaunchOverheads.get(checks.choice(launch, "launch", [e.key for e in LaunchOverheads]))
        if key is not None:
            _LAUNCH_CACHE[key] = found
    return found


def efficiency_for(op_kind: str, size: float, hardware=None, precision: str | None = None) -> float:
    """Achieved fraction of peak for one kernel of ``size`` (flop for gemm/vector, bytes for memory).

    Uses the registry table for that hardware (and ``precision``, where one is listed) when one
    exists, else the generic one.
    """
    kind = checks.choice(op_kind, "op_kind", OP_KINDS)
    s = checks.nonneg(size, "size")
    key = None if hardware is None else _inputs.hardware(hardware).key
    prec = None if precision is None else _inputs.check_precision(precision)
    return kernels.table_efficiency(_table(kind, key, prec).pairs, s)


@plan
class EfficiencyPlan:
    flops: float
    nbytes: float
    kernels: int
    fused_kernels: int
    peak: float
    bandwidth: float
    compute_efficiency: float
    memory_efficiency: float
    fused_compute_efficiency: float  # at the fused kernels' (larger) size
    fused_memory_efficiency: float
    launch_time: float


@floats
class EfficiencyFloats:
    kernel_time: float
    compute_time: float
    memory_time: float
    launch_overhead: float
    time: float
    fused_time: float
    achieved_fraction: float


def evaluate(p: EfficiencyPlan) -> EfficiencyFloats:
    t, c, m = kernels.roofline_parts(p.flops, p.nbytes, kernels.effective_flops(p.peak, p.compute_efficiency),
                                     p.bandwidth * p.memory_efficiency)
    over = kernels.launch_overhead(p.kernels, p.launch_time)
    total = t + over
    t_fused = kernels.roofline_time(p.flops, p.nbytes, kernels.effective_flops(p.peak, p.fused_compute_efficiency),
                                    p.bandwidth * p.fused_memory_efficiency)
    fused = t_fused + kernels.launch_overhead(p.fused_kernels, p.launch_time)
    return EfficiencyFloats(t, c, m, over, total, fused, kernels.model_flops_utilization(p.flops, total, p.peak))


class EfficiencyResult(Result):
    """Size-dependent efficiency, launch overhead and the fraction of peak actually reached."""

    _plain_names = ("hardware", "op_kind", "precision", "kernels", "fused_kernels", "launch", "compute_efficiency",
                    "memory_efficiency", "achieved_fraction", "bound", "feasible", "reason", "assumptions")

    flops = quantity("ops", "GFLOP")
    bytes_moved = quantity("bytes", "MB")
    kernel_time = quantity("time", "us", "the kernels themselves, at the table's efficiencies")
    compute_time = quantity("time", "us")
    memory_time = quantity("time", "us")
    launch_overhead = quantity("time", "us", "kernels x launch cost")
    time = quantity("time", "us", "kernel time + launch overhead")
    fused_time = quantity("time", "us", "the same work in fused_kernels launches (each kernel larger)")


class EfficiencyModel:
    """Achieved fraction of peak for an operation (or a step of many kernels) on one accelerator."""

    def solve(self, hardware, m: int | None = None, n: int | None = None, k: int | None = None, batch: int = 1,
              flops=None, nbytes=None, op_kind: str = "gemm", precision: str = "fp16", kernels_per_step: int = 1,
              fused_kernels: int | None = None, launch: str = "pytorch_eager") -> EfficiencyResult:
        """Give a GEMM shape (m, n, k[, batch]) or the totals ``flops`` and ``nbytes`` of a step of
        ``kernels_per_step`` kernels (each kernel's size = total / kernels for the table look-up)."""
        hw = _inputs.hardware(hardware)
        kind = checks.choice(op_kind, "op_kind", ("gemm", "vector"))
        precision = _inputs.check_precision(precision)
        n_k = checks.positive_int(kernels_per_step, "kernels_per_step")
        fused = n_k if fused_kernels is None else checks.positive_int(fused_kernels, "fused_kernels")
        if fused > n_k:
            raise InputError("fused_kernels", fused_kernels, f"at most kernels_per_step ({n_k}): fusion merges kernels, it never adds any")
        over = launch_overhead_entry(launch)
        b = bytes_per_value(precision)
        if m is not None or n is not None or k is not None:
            if flops is not None or nbytes is not None:
                raise InputError("flops", flops, "None when a GEMM shape (m, n, k) is given")
            mm, nn, kk = (checks.positive_int(v, f) for v, f in ((m, "m"), (n, "n"), (k, "k")))
            bb = checks.positive_int(batch, "batch")
            ops = kernels.gemm_flops(mm, nn, kk, bb)
            moved = kernels.gemm_bytes(mm, nn, kk, b, bb)
            shape = f"GEMM {bb} x ({mm} x {kk}) @ ({kk} x {nn})"
        else:
            if flops is None or nbytes is None:
                raise InputError("flops", flops, "the step's total flops and nbytes, or a GEMM shape m, n, k")
            ops = checks.quantity(flops, "flops", "ops", minimum=0.0, low_open=False)
            moved = checks.quantity(nbytes, "nbytes", "bytes", minimum=0.0, low_open=False)
            if ops == 0 and moved == 0:
                raise InputError("flops", flops, "some work: flops or nbytes > 0")
            shape = f"{n_k} kernel(s) of {ops / n_k / 1e9:.4g} GFLOP and {moved / n_k / 1e6:.4g} MB each"
        peak, got = hw.peak_flops_si(precision)
        if got is None:
            raise InputError("precision", precision, f"a precision {hw.name} computes in ({', '.join(hw.compute.precision_flops)})")
        ce = efficiency_for(kind, ops / n_k, hw, precision)
        me = efficiency_for("memory", moved / n_k, hw)
        p = EfficiencyPlan(ops, moved, n_k, fused, peak, hw.memory._si["bandwidth"], ce, me,
                           efficiency_for(kind, ops / fused, hw, precision), efficiency_for("memory", moved / fused, hw), over._si["launch_time"])
        out = evaluate(p)
        if out.launch_overhead >= out.kernel_time:
            bound = Wall.SOFTWARE
        else:
            bound = Wall.COMPUTE if out.compute_time >= out.memory_time else Wall.MEMORY
        table = _table(kind, hw.key, precision)  # the table ce was read from, named with its provenance
        assumptions = [
            shape,
            f"efficiencies from the {table.key} and {_table('memory', hw.key).key} tables ({table.provenance('points.0').kind})",
            f"launch cost {over._si['launch_time'] * 1e6:.3g} us per kernel ({over.name}); launches do not overlap the kernels",
            "fusion: the same flops and bytes in fused_kernels larger kernels (traffic saved by fusion is left out)",
        ]
        result = EfficiencyResult.view(
            out, hardware=hw.name, op_kind=kind, precision=precision, kernels=n_k, fused_kernels=fused, launch=over.key,
            compute_efficiency=ce, memory_efficiency=me, achieved_fraction=out.achieved_fraction, bound=bound,
            feasible=True, reason="", assumptions=assumptions, _flops=ops, _bytes_moved=moved,
        )
        return result


def audit_row(ctx) -> dict | None:
    """The Software line: applies when the knobs give a kernel count per step (``kernels_per_step``)."""
    knobs = getattr(ctx, "knobs", None) or {}
    if "kernels_per_step" not in knobs:
        return None
    graph = ctx.model.lower(ctx.precision, ctx.batch_size, ctx.seq_len)
    args = {k: knobs[k] for k in ("kernels_per_step", "fused_kernels", "launch") if k in knobs}
    r = EfficiencyModel().solve(ctx.hardware, flops=graph.total_ops, nbytes=graph.bytes_moved, precision=ctx.precision, **args)
    return {"wall": Wall.SOFTWARE, "figure": r.launch_overhead, "limit": r.kernel_time,
            "binds": r.bound is Wall.SOFTWARE,
            "note": f"{r.kernels} kernels, {r.achieved_fraction:.1%} of peak reached (tables: {r.compute_efficiency:g} compute, {r.memory_efficiency:g} memory)"}


