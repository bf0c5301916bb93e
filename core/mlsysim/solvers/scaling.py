"""Compute-optimal model size (Chinchilla) and, the other way round, what training a model costs.

Forward: for a compute budget C, the compute-optimal parameters and tokens
with C = 6 P D and D = 20 P (Hoffmann et al. 2022): P* = sqrt(C / 120), and
the loss the parametric fit predicts there (Hoffmann et al. 2022, Eq. 10).

Reverse: for a model trained on D tokens on a fleet, C = 6 P_active D plus the
attention term (model FLOPs, Chowdhery et al. 2022, App. B); the
step time of the best (or a given) parallel layout (``DistributedModel``)
gives the ideal duration, the fleet's goodput under failures and
checkpoints (``ReliabilityModel``) the wall-clock duration, and that
duration's energy, carbon (``SustainabilityModel``) and cost
(``EconomicsModel``).
"""

from __future__ import annotations

from ..core.errors import InputError
from ..core.units import make
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from . import _inputs, _system
from .contract import floats
from .defaults import DEFAULT_EFFICIENCY
from .distributed import DistributedModel
from .economics import EconomicsModel
from .parallelism import ParallelismOptimizer
from .reliability import ReliabilityModel
from .sustainability import SustainabilityModel


# what ``training_run(parallelism=...)`` may set: DistributedModel's layout and schedule arguments
LAYOUT_KEYS = ("tp_size", "pp_size", "ep_size", "microbatch_count", "virtual_stages", "overlap_comm", "overlap_efficiency",
               "zero_stage", "seq_len", "recompute", "sequence_parallel", "cp_size", "attention")


# what ``training_run(**reliability_kwargs)`` passes on to ``ReliabilityModel.solve``
RELIABILITY_KEYS = ("checkpoint_size", "checkpoint_time", "storage_bandwidth", "accelerator_mtbf", "restart_time")


class ScalingResult(Result):
    """Compute-optimal parameters and tokens for a budget, and the predicted loss."""

    _plain_names = ("tokens_per_parameter", "loss", "bound", "feasible", "reason", "assumptions")

    compute_budget = quantity("ops", "FLOP")
    optimal_parameters = quantity("count", None)
    optimal_tokens = quantity("count", None)


class TrainingRunResult(Result):
    """What training a model on a fleet takes: compute, time, energy, carbon, money."""

    _plain_names = ("model", "fleet", "config", "steps", "goodput", "feasible", "reason", "bound", "assumptions")
    # also: .distributed, .reliability, .sustainability, .economics (the results it was built from, or None)

    tokens = quantity("count", None)
    training_compute = quantity("ops", "FLOP", "model FLOPs: (6 x active parameters + 3 x 4 n_layer seq_len d_attn) x tokens (PaLM, App. B)")
    step_time = quantity("time", "s")
    ideal_duration = quantity("time", "day", "steps x step time, no failures")
    duration = quantity("time", "day", "ideal duration / goodput (failures and checkpoints)")
    energy = quantity("energy", "MWh", "facility energy over the wall-clock duration")
    carbon = quantity("mass", "tCO2e", "operational + embodied share (None without a grid)")
    cost = quantity("money", "USD", "TCO of the wall-clock duration (None without a unit cost)")
    cloud_cost = quantity("money", "USD", "rental over the wall-clock duration (None without a rate)")


@floats
class RunFloats:
    """A training run's totals (count, flop, s, J, gCO2e, USD); None where not computed."""

    tokens: float
    training_compute: float
    step_time: float | None
    ideal_duration: float | None
    duration: float | None
    energy: float | None
    carbon: float | None
    cost: float | None
    cloud_cost: float | None


class ScalingModel:
    """Chinchilla scaling: budget -> (P*, D*, loss); and model + fleet -> time, cost, carbon."""

    def solve(self, compute_budget, tokens_per_parameter: float = kernels.CHINCHILLA_TOKENS_PER_PARAMETER) -> ScalingResult:
        c = _system.positive(compute_budget, "compute_budget", "ops")
        r = _inputs.number(tokens_per_parameter, "tokens_per_parameter", 0.0, low_open=True,
                           accepted="a finite number > 0, e.g. 20 (Chinchilla)")
        p, d = kernels.chinchilla_optimal(c, r)
        return ScalingResult(
            tokens_per_parameter=r, loss=kernels.chinchilla_loss(p, d), bound=Wall.COMPLEXITY, feasible=True, reason="",
            assumptions=[
                f"C = 6 P D and D = {tokens_per_parameter:g} P (Hoffmann et al. 2022, Table 3)",
                "loss from the fitted L = 1.69 + 406.4 / P^0.34 + 410.7 / D^0.28 (Hoffmann et al. 2022, Eq. 10), nats per token on their data",
            ],
            _compute_budget=c, _optimal_parameters=p, _optimal_tokens=d,
        )

    def training_run(
        self,
        model,
        fleet,
        tokens=None,
        batch_size: int | None = None,
        precision: str = "bf16",
        efficiency: float = DEFAULT_EFFICIENCY,
        parallelism: dict | None = None,
        grid=None,
        unit_cost=None,
        cloud_hourly_rate=None,
        **reliability_kwargs,
    ) -> TrainingRunResult:
        """Train ``model`` on ``tokens`` (default: its published training tokens, else 20 x parameters).

        ``parallelism`` = dict(tp_size=..., pp_size=..., ...) for ``DistributedModel``; without it
        the ``ParallelismOptimizer``'s best layout is used.
        """
        m = _inputs.transformer(model)
        f = _inputs.fleet(fleet)
        if batch_size is None:
            raise InputError("batch_size", None, "the global batch in sequences, e.g. 1024 (it sets the step and the layout)")
        batch_size = _inputs.positive_int(batch_size, "batch_size")
        for name, value in reliability_kwargs.items():
            if name not in RELIABILITY_KEYS:
                raise InputError(name, value, "an argument of training_run or of ReliabilityModel.solve: " + ", ".join(RELIABILITY_KEYS))
        # checked here, so a bad price is an error and not "no price given"
        cost_each = None if unit_cost is None else _system.nonneg(unit_cost, "unit_cost", "money")
        if cloud_hourly_rate is not None:
            _system.nonneg(cloud_hourly_rate, "cloud_hourly_rate", "money_rate")
        if tokens is None:
            d = m._si.get("training_tokens") or kernels.CHINCHILLA_TOKENS_PER_PARAMETER * m._si["parameters"]
            token_source = "the model's published training tokens" if m._si.get("training_tokens") else "20 x parameters (Chinchilla)"
        else:
            d = _system.positive(tokens, "tokens", "count")
            token_source = "given"
        if parallelism is None:
            opt = ParallelismOptimizer().solve(m, f, batch_size, precision=precision, efficiency=efficiency)
            dist = opt.best
            if dist is None:
                return self._infeasible(m, f, d, opt.reason)
        else:
            accepted = "a dict of DistributedModel layout arguments, e.g. {'tp_size': 8, 'pp_size': 4}, with keys among " + ", ".join(LAYOUT_KEYS)
            if not isinstance(parallelism, dict) or not set(parallelism) <= set(LAYOUT_KEYS):
                raise InputError("parallelism", parallelism, accepted)
            dist = DistributedModel().solve(m, f, batch_size, precision=precision, efficiency=efficiency, **parallelism)
            if not dist.feasible:
                return self._infeasible(m, f, d, dist.reason, dist)
        step = dist._step_time
        tokens_per_step = dist.global_batch * dist.seq_len
        steps = int(-(-d // tokens_per_step))
        ideal = steps * step
        rel = ReliabilityModel().solve(f, make(ideal, "time"), model=m, precision=precision, **reliability_kwargs)
        if not rel.feasible:
            return self._infeasible(m, f, d, rel.reason, dist)
        wall = ideal / rel.goodput
        g = _system.grid(grid, f.effective_grid)
        sus = SustainabilityModel().solve(f, make(wall, "time"), grid=g) if g is not None else None
        econ = None
        if cost_each is not None or f.accelerator._si.get("unit_cost") is not None:
            econ = EconomicsModel().solve(f, make(wall, "time"), grid=g, unit_cost=unit_cost, cloud_hourly_rate=cloud_hourly_rate)
        assumptions = [
            f"tokens: {token_source}; C = model FLOPs (6 x active parameters + 12 n_layer d_attn seq_len) x tokens (Chowdhery et al. 2022, App. B)",
            f"layout {dist.config} ({'ParallelismOptimizer best' if parallelism is None else 'given'}), step {step:.4g} s",
            f"goodput {rel.goodput:.3f} from failures and Young-Daly checkpointing (ReliabilityModel)",
        ]
        if sus is None:
            assumptions.append("no grid: carbon not computed")
        if econ is None:
            assumptions.append(f"{f.accelerator.name} lists no unit cost and none was given: owned cost not computed")
        energy = sus._facility_energy if sus is not None else (econ._facility_energy if econ is not None else None)
        out = RunFloats(d, m.training_flops_per_token_si(dist.seq_len) * d, step, ideal, wall, energy,
                        sus._total_carbon if sus is not None else None, econ._tco if econ is not None else None,
                        econ._cloud_cost if econ is not None else None)
        return TrainingRunResult.view(
            out, model=m.name, fleet=f.name, config=dist.config, steps=int(steps), goodput=rel.goodput, feasible=True, reason="",
            bound=dist.bound, assumptions=assumptions, distributed=dist, reliability=rel, sustainability=sus, economics=econ,
        )

    @staticmethod
    def _infeasible(m, f, d, reason, dist=None) -> TrainingRunResult:
        out = RunFloats(d, kernels.transformer_training_flops(m.active_parameters_si, d), *(None,) * 7)
        return TrainingRunResult.view(
            out, model=m.name, fleet=f.name, config=dist.config if dist is not None else None, steps=None, goodput=None,
            feasible=False, reason=reason, bound=Wall.CAPACITY, assumptions=[], distributed=dist, reliability=None,
            sustainability=None, economics=None,
        )
