"""The Sensitivity wall: which input moves the answer most (elasticities), so which upgrade buys the most.

The solver works on a small protocol: a float function ``f(knobs: dict[str, float]) -> dict[str, float]``
(inputs and outputs positive floats in canonical units) and the knobs' base values. For each knob x
it evaluates f at x (1 - h) and x (1 + h) (central differences; one-sided at a bound; nearest
integers for integer knobs) and reports the elasticity d ln(output) / d ln(x) of every output
(``kernels.log_elasticity``), ranked by size. ``best_upgrade`` names, per output, the knob whose
increase improves it most (lower latency, cost, energy, carbon; higher throughput); a knob at its
upper bound (an efficiency of 1) cannot be raised and is not a candidate.

Adapters build the protocol from the solvers themselves: ``single_node_problem`` and
``serving_problem`` check their inputs with one public ``solve()``, then each evaluation builds the
device's ceilings (``DeviceRates``) from the knobs and runs the solver's own float function
(``single_node.evaluate``, ``serving.evaluate``): a few microseconds, no copy of the HardwareNode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..core import checks
from . import _system
from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..results import Result
from ..walls import Wall
from . import _inputs
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY, DEFAULT_PUE
from ._device import DeviceRates, device_rates
from .serving import ServingModel, serving_plan, with_device
from .serving import evaluate as serve
from .weight_streams import arithmetic_precision, check_weight_kernel
from .single_node import RooflinePlan, SingleNodeModel, launch_cost, winograd_reduction, workload_plan
from .single_node import evaluate as roofline

# Which way is better, per output name (+1: higher is better, -1: lower is better).
BETTER = {"latency": -1, "ttft": -1, "itl": -1, "throughput": 1, "decode_throughput": 1, "energy": -1,
          "carbon": -1, "cost": -1}


MIN_RELATIVE_STEP = 1e-6  # smallest relative_step: a central difference's rounding error grows as 1e-16 / h


@dataclass
class SensitivityProblem:
    """The protocol: a float function of named knobs, their base values, integer knobs and bounds."""

    function: Callable[[dict], dict]
    knobs: dict
    integer_knobs: frozenset = frozenset()
    bounds: dict = field(default_factory=dict)  # name -> (low, high), inclusive
    description: str = ""


class SensitivityResult(Result):
    """Elasticities of every output with respect to every knob, ranked."""

    _plain_names = ("description", "base_knobs", "base_outputs", "elasticities", "ranking", "best_upgrade",
                    "bound", "feasible", "reason", "assumptions")


def _perturbed(name: str, x: float, h: float, integer: bool, bounds) -> tuple[float, float]:
    lo, hi = bounds if bounds is not None else (0.0, math.inf)
    up, down = x * (1.0 + h), x * (1.0 - h)
    if integer:
        up, down = max(round(up), x + 1), min(round(down), x - 1)
    if up > hi:
        up = x
    if down < lo or down <= 0:
        down = x
    return up, down


def _integer_knobs(value, base: dict) -> frozenset:
    """The names of the knobs that take integer values: a list, tuple or set of knob names."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
        raise InputError("integer_knobs", value, "a list or set of knob names, e.g. {'batch_size'}")
    for name in value:
        if name not in base:
            raise InputError("integer_knobs", name, "names of knobs: one of " + ", ".join(repr(k) for k in base))
    return frozenset(value)


def _bounds(value, base: dict) -> dict:
    """Knob name -> (low, high), inclusive; high may be inf (no upper bound). None means none."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("bounds", value, "a dict of knob name -> (low, high), e.g. {'efficiency': (0.0, 1.0)}")
    out = {}
    for name, pair in value.items():
        field = f"bounds[{name!r}]"
        if name not in base:
            raise InputError("bounds", name, "names of knobs: one of " + ", ".join(repr(k) for k in base))
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise InputError(field, pair, "a pair (low, high)")
        low = checks.number(pair[0], field, accepted="a finite low bound")
        high = pair[1] if pair[1] == math.inf else checks.number(pair[1], field, low, accepted=f"a high bound >= low ({low:g}), or inf")
        out[name] = (low, float(high))
    return out


def _positive_outputs(y, knob: str | None = None, value: float = 0.0) -> dict:
    """``y`` when it is a non-empty dict; the error says where the function returned something else (at the
    base knobs, or with ``knob`` moved to ``value``), written only when there is one."""
    if not isinstance(y, dict) or not y:
        where = "at the base knobs" if knob is None else f"{knob}={value:g}"
        raise InputError("function", y, f"a dict of output name -> positive float ({where})")
    return y


def _positive_finite(a, b) -> bool:
    """Both outputs are positive finite numbers (an elasticity needs their logarithms)."""
    return (isinstance(a, (int, float)) and math.isfinite(a) and a > 0
            and isinstance(b, (int, float)) and math.isfinite(b) and b > 0)


class SensitivitySolver:
    """Elasticities by central finite differences on a float function."""

    def solve(self, problem=None, function=None, knobs=None, outputs=None, relative_step: float = 0.01,
              integer_knobs=(), bounds=None) -> SensitivityResult:
        """Pass a ``SensitivityProblem`` (from an adapter), or ``function`` and ``knobs`` directly."""
        if problem is not None:
            if function is not None or knobs is not None:
                raise InputError("function", function, "None when a problem is given (the problem carries its function and knobs)")
            if not isinstance(problem, SensitivityProblem):
                raise InputError("problem", problem, "a SensitivityProblem, e.g. from single_node_problem(...)")
            function, knobs = problem.function, problem.knobs
            integer_knobs, bounds = problem.integer_knobs, problem.bounds
            description = problem.description
        else:
            description = ""
        if not callable(function):
            raise InputError("function", function, "a callable f(knobs: dict[str, float]) -> dict[str, float]")
        if not isinstance(knobs, dict) or not knobs:
            raise InputError("knobs", knobs, "a non-empty dict of knob name -> positive float")
        base = {}
        for name, value in knobs.items():
            if not isinstance(name, str):
                raise InputError("knobs", name, "knob names as strings")
            base[name] = checks.positive(value, f"knobs[{name!r}]")
        # below 1e-6 of a knob, x (1 +/- h) rounds back to x in double precision (16 digits) or the two
        # logarithms agree: the difference is rounding error, and at 1e-17 a division by zero
        h = checks.number(relative_step, "relative_step", MIN_RELATIVE_STEP, 0.5, accepted="a relative step in [1e-6, 0.5], e.g. 0.01")
        ints = _integer_knobs(integer_knobs, base)
        bounds = _bounds(bounds, base)
        y0 = _positive_outputs(function(dict(base)))
        names = list(y0) if outputs is None else [checks.choice(o, "outputs", list(y0)) for o in checks.sequence(outputs, "outputs", "output names")]
        elasticities: dict[str, dict[str, float | None]] = {o: {} for o in names}
        notes = []
        capped = set()  # knobs at their upper bound: they cannot be upgraded
        for knob, x in base.items():
            up, down = _perturbed(knob, x, h, knob in ints, bounds.get(knob))
            if up == x:
                capped.add(knob)
            if up == down:
                notes.append(f"{knob}: no room to move it inside its bounds; elasticity not computed")
                for o in names:
                    elasticities[o][knob] = None
                continue
            y_up = _positive_outputs(function({**base, knob: up}), knob, up) if up != x else y0
            y_down = _positive_outputs(function({**base, knob: down}), knob, down) if down != x else y0
            if up == x or down == x:
                notes.append(f"{knob}: one-sided difference (at a bound)")
            for o in names:
                a, b = y_up.get(o), y_down.get(o)
                if not _positive_finite(a, b):
                    elasticities[o][knob] = None
                    notes.append(f"{o} is not a positive finite number around {knob}={x:g}: no elasticity")
                    continue
                elasticities[o][knob] = kernels.log_elasticity(a, b, up, down)
        ranking = {o: sorted(((k, e) for k, e in es.items() if e is not None), key=lambda kv: -abs(kv[1])) for o, es in elasticities.items()}
        best = {}
        for o, es in elasticities.items():
            sign = BETTER.get(o)
            valid = [(i, k, e) for i, (k, e) in enumerate(es.items()) if e is not None and k not in capped]
            if sign is None or not valid:
                continue
            # largest improvement; ties (to 1e-9) go to the knob listed first
            _, k, e = max(valid, key=lambda ike: (round(sign * ike[2], 9), -ike[0]))
            best[o] = k if sign * e > 0 else None
        assumptions = [f"central differences at +/-{h:g} of each knob (log space); integer knobs moved to the nearest integers"] + notes
        return SensitivityResult(description=description, base_knobs=base, base_outputs={o: y0[o] for o in names},
                                 elasticities=elasticities, ranking=ranking, best_upgrade=best, bound=Wall.SENSITIVITY,
                                 feasible=True, reason="", assumptions=assumptions)


# ---------------------------------------------------------------------------
# Adapters: the protocol built from the solvers' public solve()
# ---------------------------------------------------------------------------


def single_node_problem(model, hardware, batch_size: int = 1, precision: str = "fp16", efficiency: float = DEFAULT_EFFICIENCY,
                        bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY, is_training: bool = False,
                        seq_len: int | None = None, grid=None, pue: float | None = None, price_per_hour=None) -> SensitivityProblem:
    """Knobs peak_flops, bandwidth, efficiency, bandwidth_efficiency, batch_size (+ launch_rate, kernel launches
    per second, where the workload's launches are charged; + carbon_intensity and pue with a ``grid``, + price
    with ``price_per_hour``); outputs latency, throughput, energy (TDP x latency), carbon, cost."""
    m, hw = _inputs.workload(model), _inputs.hardware(hardware)
    base = SingleNodeModel().solve(m, hw, batch_size=batch_size, precision=precision, efficiency=efficiency,
                                   bandwidth_efficiency=bandwidth_efficiency, is_training=is_training, seq_len=seq_len)
    if base.compute_precision is None:
        raise InputError("precision", precision, f"a precision {hw.name} computes in")
    peak0, bw0 = base._peak_flops, hw.memory._si["bandwidth"]
    efficiency, bandwidth_efficiency = base.efficiency, base.bandwidth_efficiency  # as the solve checked or defaulted them
    knobs = {"peak_flops": peak0, "bandwidth": bw0, "efficiency": float(efficiency),
             "bandwidth_efficiency": float(bandwidth_efficiency), "batch_size": float(base.batch_size)}
    bounds = {"efficiency": (0.0, 1.0), "bandwidth_efficiency": (0.0, 1.0), "batch_size": (1.0, math.inf)}
    tdp = hw._si.get("tdp", 0.0)
    g = None
    if grid is not None:
        g = _system.grid(grid)
        knobs["carbon_intensity"] = g._si["carbon_intensity"]
        knobs["pue"] = checks.pue(pue) if pue is not None else (g.pue or DEFAULT_PUE)
        bounds["pue"] = (1.0, 3.0)
    if price_per_hour is not None:
        knobs["price"] = checks.quantity(price_per_hour, "price_per_hour", "money_rate")
    # the float path: the workload's floats once; per evaluation a DeviceRates from the knobs and the
    # roofline's float function (what SingleNodeModel.solve runs, without re-checking or copying the part)
    on_chip = not is_training
    work = workload_plan(m, base.precision, is_training, seq_len, execution=base.execution,
                         winograd=winograd_reduction(m, hw, base.precision))
    d0 = device_rates(hw, base.precision, efficiency, bandwidth_efficiency, on_chip, launch_cost(base.execution)[0])
    sram_bw0 = hw.memory._si.get("sram_bandwidth") or 0.0
    if work.kernels > 0 and d0.launch > 0:
        # the Software wall's knob, as a rate like the others (more is better): kernels the host
        # launches per second, 1 / the launch cost; where launches outlast the device it is the one
        # knob that moves the step (a small batch in eager mode)
        knobs["launch_rate"] = 1.0 / d0.launch

    def f(k: dict) -> dict:
        bw_eff = k["bandwidth_efficiency"]
        launch = 1.0 / k["launch_rate"] if "launch_rate" in k else d0.launch
        d = DeviceRates(k["peak_flops"], kernels.effective_flops(k["peak_flops"], k["efficiency"]), k["bandwidth"] * bw_eff,
                        k["bandwidth"], d0.tax, d0.memory_capacity, d0.compute_precision, d0.sram_capacity,
                        sram_bw0 * bw_eff if d0.sram_capacity else 0.0, launch)
        batch = int(k["batch_size"])
        latency = roofline(RooflinePlan(work, d), batch).latency
        out = {"latency": latency, "throughput": batch / latency}
        if tdp:
            energy = kernels.energy(tdp, latency)
            out["energy"] = energy
            if "carbon_intensity" in k:
                out["carbon"] = kernels.carbon(kernels.facility_energy(energy, k["pue"]), k["carbon_intensity"])
        if "price" in k:
            out["cost"] = kernels.rental_cost(k["price"], 1.0, latency)
        return out

    return SensitivityProblem(f, knobs, frozenset({"batch_size"}), bounds,
                              f"SingleNodeModel: {m.name} on {hw.name}, batch {base.batch_size}, {precision}")


def serving_problem(model, hardware, seq_len: int = 2048, batch_size: int = 1, precision: str = "fp16",
                    efficiency: float = DEFAULT_EFFICIENCY, bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY) -> SensitivityProblem:
    """Knobs peak_flops, bandwidth, efficiency, bandwidth_efficiency, batch_size, seq_len; outputs ttft, itl, decode_throughput."""
    m, hw = _inputs.transformer(model), _inputs.hardware(hardware)
    base = ServingModel().solve(m, hw, seq_len=seq_len, batch_size=batch_size, precision=precision, efficiency=efficiency,
                                bandwidth_efficiency=bandwidth_efficiency)
    # int8 / int4 weights: the weight-only kernel ServingModel uses by default (dequantised, 16-bit arithmetic,
    # its group scales and measured stream fraction), not integer arithmetic on pure bandwidth
    kernel = check_weight_kernel(None, base.precision)
    arithmetic = arithmetic_precision(kernel, base.precision)
    peak0, got = hw.peak_flops_si(arithmetic)
    if got is None:
        raise InputError("precision", precision, f"a precision {hw.name} computes in")
    bw0 = hw.memory._si["bandwidth"]
    knobs = {"peak_flops": peak0, "bandwidth": bw0, "efficiency": float(efficiency), "bandwidth_efficiency": float(bandwidth_efficiency),
             "batch_size": float(base.batch_size), "seq_len": float(base.seq_len)}
    bounds = {"efficiency": (0.0, 1.0), "bandwidth_efficiency": (0.0, 1.0), "batch_size": (1.0, math.inf), "seq_len": (1.0, math.inf)}
    d0 = device_rates(hw, arithmetic, efficiency, bandwidth_efficiency)
    shapes: dict = {}

    def f(k: dict) -> dict:
        bw_eff = k["bandwidth_efficiency"]
        d = DeviceRates(k["peak_flops"], kernels.effective_flops(k["peak_flops"], k["efficiency"]), k["bandwidth"] * bw_eff,
                        k["bandwidth"], d0.tax, d0.memory_capacity, d0.compute_precision)
        seq, batch = int(k["seq_len"]), int(k["batch_size"])
        shape = shapes.get((seq, batch))
        if shape is None:  # the model's floats depend on the sequence and batch only: build each shape once
            shape = shapes[(seq, batch)] = serving_plan(m, d0, seq, batch, base.precision, base.kv_precision, weight_kernel=kernel)
        r = serve(with_device(shape, d))
        return {"ttft": r.ttft, "itl": r.itl, "decode_throughput": r.decode_throughput}

    return SensitivityProblem(f, knobs, frozenset({"batch_size", "seq_len"}), bounds,
                              f"ServingModel: {m.name} on {hw.name}, seq {base.seq_len}, batch {base.batch_size}, {precision}")


def audit_row(ctx) -> dict | None:
    """The Sensitivity line: applies when the knobs ask for it (``sensitivity=True``); names the best upgrade for latency."""
    knobs = getattr(ctx, "knobs", None) or {}
    if knobs.get("sensitivity") is not True:
        return None
    problem = single_node_problem(ctx.model, ctx.hardware, batch_size=ctx.batch_size, precision=ctx.precision,
                                  is_training=ctx.workload == "training", seq_len=ctx.seq_len)
    r = SensitivitySolver().solve(problem, outputs=["latency"])
    best = r.best_upgrade.get("latency")
    e = r.elasticities["latency"].get(best) if best else None
    return {"wall": Wall.SENSITIVITY, "figure": make(r.base_outputs["latency"], "time"), "limit": None, "binds": False,
            "note": f"best upgrade for latency: {best} (elasticity {e:.3g})" if best else "no knob lowers latency"}
