"""Bad values at every argument of every public solver: a clear error naming the argument, or sound numbers.

For each solver, one argument at a time is replaced by a bad value (negative,
zero, nan, inf, 1e300, the wrong type, a string where a list or a flag is
expected, a quantity of the wrong dimension). The call must either raise a
project error that names the argument (``InputError.field``), or an
``UnknownEntryError`` for a name that is no registry entry, or return a result
whose every number is finite and non-negative (times, bytes, energy, money,
carbon and water cannot be negative; an infeasible result may carry an
infinite latency, since it never runs).
"""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mlsysim import Fleets, Q_, Scenarios, audit, sweep
from mlsysim.core.errors import InputError, MlsysimError, UnknownEntryError
from mlsysim.solvers import (
    DistributedModel, EconomicsModel, Engine, ParallelismOptimizer, ReliabilityModel, ScalingModel, ServingModel,
    SingleNodeModel, SustainabilityModel, SystemLedger,
)

FLEET = Fleets.get("research256")

BAD = [
    -1, 0, -0.5, 2.5, float("nan"), float("inf"), -float("inf"), 1e300, 10**30, True, False, "abc", "", "-5 day",
    "1e300 year", "True", [1, 2], (), {"a": 1}, object(), Q_(-5, "W"), Q_(1e300, "GB"), Q_(float("nan"), "s"), "5 ms",
]

# solver name -> (call, good keyword arguments)
SOLVERS = {
    "single_node": (lambda **k: SingleNodeModel().solve(**k), dict(
        model="resnet50", hardware="h100", batch_size=1, precision="fp16", efficiency=0.5, is_training=False, seq_len=None,
        bandwidth_efficiency=1.0, activation_recompute=False)),
    "engine": (lambda **k: Engine.solve(**k), dict(model="resnet50", hardware="h100", batch_size=4, precision="int8", efficiency=0.3)),
    "serving": (lambda **k: ServingModel().solve(**k), dict(
        model="llama3_8b", hardware="h100", seq_len=2048, batch_size=4, precision="fp16", efficiency=0.5, kv_precision=None,
        bandwidth_efficiency=1.0)),
    "distributed": (lambda **k: DistributedModel().solve(**k), dict(
        model="llama3_8b", fleet=FLEET, batch_size=256, precision="bf16", efficiency=0.5, tp_size=8, pp_size=1, ep_size=1,
        microbatch_count=None, virtual_stages=1, overlap_comm=False, overlap_efficiency=0.8, zero_stage=1, seq_len=None,
        recompute="selective", sequence_parallel=True)),
    "optimizer": (lambda **k: ParallelismOptimizer().solve(**k), dict(
        model="llama3_8b", fleet=FLEET, batch_size=256, precision="bf16", efficiency=0.5, seq_len=None, zero_stages=(0, 1),
        microbatch_sizes=(1, 2), overlap_comm=False, overlap_efficiency=0.8, recompute="selective", sequence_parallel=True,
        allow_cross_node_tp=False, top_k=3)),
    "economics": (lambda **k: EconomicsModel().solve(**k), dict(
        system=FLEET, duration="30 day", count=None, grid=None, unit_cost=None, electricity_price=None, lifetime=None,
        maintenance_fraction=0.05, utilization=1.0, idle_fraction=0.15, pue=None, cloud_hourly_rate="2 USD/hour",
        tokens=1e12, queries=1e6)),
    "sustainability": (lambda **k: SustainabilityModel().solve(**k), dict(
        system="h100", duration="1 day", grid="quebec", count=8, utilization=0.8, idle_fraction=0.15, pue=None,
        embodied_carbon=None, lifetime=None)),
    "compare": (lambda **k: SustainabilityModel().compare(**k), dict(system=FLEET, duration="1 day", grids=["quebec", "poland"])),
    "reliability": (lambda **k: ReliabilityModel().solve(**k), dict(
        system=FLEET, job_duration="30 day", count=None, model="llama3_8b", checkpoint_size=None, checkpoint_time=None,
        storage_bandwidth=None, accelerator_mtbf=None, restart_time=None, precision="bf16")),
    "scaling": (lambda **k: ScalingModel().solve(**k), dict(compute_budget="1e23 flop", tokens_per_parameter=20)),
    "training_run": (lambda **k: ScalingModel().training_run(**k), dict(
        model="llama3_8b", fleet=FLEET, tokens=1e11, batch_size=256, precision="bf16", efficiency=0.5,
        parallelism={"tp_size": 8}, grid=None, unit_cost="30000 USD", cloud_hourly_rate=None)),
    "ledger": (lambda **k: SystemLedger.serve(**k), dict(
        model="llama3_8b", hardware="h100", count=2, grid="quebec", batch_size=4, seq_len=1024, output_tokens=64,
        precision="bf16", efficiency=0.5, unit_cost="30000 USD", cloud_hourly_rate=None, utilization=1.0,
        link_bandwidth=None, link_latency=None)),
    "sweep": (lambda **k: sweep(**k), dict(
        models=["resnet50"], hardware=["h100", "a100"], batch_sizes=[1, 8], precisions=["fp16"], efficiency=0.5,
        is_training=False, seq_len=None, bandwidth_efficiency=1.0)),
    "scenario": (lambda **k: Scenarios.AutonomousVehicle.evaluate(**k), dict(
        batch_size=1, precision="int8", efficiency=0.5, grid="quebec", unit_cost="500 USD")),
    "ledger_train": (lambda **k: SystemLedger.train(**k), dict(model="llama3_8b", fleet=FLEET, batch_size=256, tokens=1e11)),
    "audit": (lambda **k: audit(**k), dict(
        model="llama3_8b", system="h100", workload="serving", batch_size=4, precision="fp16", seq_len=1024, count=None,
        grid="quebec", duration=None, efficiency=0.5)),
}

CASES = [(solver, arg) for solver, (_, good) in SOLVERS.items() for arg in good]


def _numbers(result):
    """(name, float) of every number a result carries: its quantities' floats and its plain floats."""
    for name in getattr(result, "_quantity_names", ()):
        value = getattr(result, "_" + name, None)
        if value is not None:
            yield name, value
    for name in getattr(result, "_plain_names", ()):
        value = getattr(result, name, None)
        if isinstance(value, float):
            yield name, value


def _check_result(result):
    if hasattr(result, "columns"):  # a sweep: columns of floats
        for name, column in result.columns.items():
            for v in column:
                if isinstance(v, float):
                    assert v >= 0 and (math.isfinite(v) or name in ("latency_s", "compute_time_s")), f"sweep {name} = {v}"
        return
    if hasattr(result, "results"):  # a scenario evaluation: its solver results
        result = result.results
    results = result.values() if isinstance(result, dict) else [result]
    for r in results:
        for name, value in _numbers(r):
            if math.isinf(value) and getattr(r, "feasible", True) is False:
                continue  # an infeasible configuration that never runs may take forever
            assert math.isfinite(value), f"{type(r).__name__}.{name} = {value}"
            assert value >= 0, f"{type(r).__name__}.{name} = {value} < 0"


def _run(solver, arg, value):
    call, good = SOLVERS[solver]
    kwargs = dict(good, **{arg: value})
    try:
        result = call(**kwargs)
    except UnknownEntryError:
        return  # a name that is no registry entry: the error lists the closest names
    except InputError as exc:
        assert arg in exc.field or exc.field.split("[")[0] in arg or exc.field.startswith("fleet"), \
            f"{solver}({arg}={value!r}) raised about {exc.field!r}: {exc}"
        return
    except ValidationError:
        return  # pydantic's error names the field it rejects
    except MlsysimError as exc:  # any other project error must still say which argument
        assert arg in str(exc), f"{solver}({arg}={value!r}): {exc}"
        return
    _check_result(result)


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), value=st.sampled_from(BAD))
def test_bad_value_at_any_argument_is_named_or_harmless(case, value):
    _run(*case, value)


@pytest.mark.parametrize("solver, arg", CASES)
def test_nan_is_never_accepted_silently(solver, arg):
    _run(solver, arg, float("nan"))


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_good_arguments_give_sound_numbers(solver):
    call, good = SOLVERS[solver]
    _check_result(call(**good))
