"""One configuration, every ledger: performance, memory, money, carbon, water and failures in one call.

    >>> SystemLedger.serve("llama3_70b", "h100", count=4, grid="quebec", unit_cost="30000 USD")

Serving on ``count`` accelerators treats them as one tensor-parallel group
(Megatron-style: every weight matrix split ``count`` ways, so peaks, memory
capacity and bandwidth add) and adds the group's all-reduces on the scale-up
link to each pass. The per-query footprint is the group's energy, carbon and
cost for the time one batch of queries takes, divided by the batch.
Training goes through ``ScalingModel.training_run``. Both are built on
``mlsysim.audit``: ``serve`` runs the serving audit and reads its solver
results (``result.audit`` is the table of walls).
"""

from __future__ import annotations

from ..audit import audit
from ..physics import kernels
from ..results import Result, quantity
from . import _inputs, _system
from .contract import floats
from .defaults import DEFAULT_ACCELERATOR_MTBF_HOURS, DEFAULT_EFFICIENCY, DEFAULT_UTILIZATION, YEAR_S
from .scaling import ScalingModel
from .serving import tensor_parallel_group  # noqa: F401  (where it lived before)


class LedgerResult(Result):
    """Serving one model on N accelerators: latency, capacity, and the cost, carbon and water of each query."""

    _plain_names = ("model", "hardware", "accelerators", "grid", "precision", "kv_precision", "batch_size", "seq_len", "output_tokens",
                    "feasible", "reason", "bound", "failures_per_year", "assumptions")
    # also: .serving (ServingResult of the group), .sustainability, .economics (None without a unit cost)

    ttft = quantity("time", "ms", "time to first token, with TP all-reduces")
    itl = quantity("time", "ms", "inter-token latency, with TP all-reduces")
    request_latency = quantity("time", "s", "TTFT + output tokens x ITL")
    tp_comm_per_token = quantity("time", "ms", "TP all-reduces of one decode step")
    queries_per_second = quantity("rate", None)
    tokens_per_second = quantity("rate", None, "output tokens per second")
    memory_per_accelerator = quantity("bytes", "GB", "(weights + KV cache) / accelerators")
    memory_capacity = quantity("bytes", "GB", "of one accelerator")
    energy_per_query = quantity("energy", "Wh", "facility energy")
    carbon_per_query = quantity("mass", "gCO2e", "operational + embodied share (None without a grid)")
    water_per_query = quantity("volume", "mL", "None without a grid WUE")
    cost_per_query = quantity("money", "USD", "owned TCO (None without a unit cost)")
    cost_per_million_tokens = quantity("money", "USD", "owned TCO per million output tokens")
    cloud_cost_per_query = quantity("money", "USD", "None without an hourly rate")
    group_mtbf = quantity("time", "day", "MTBF of the serving group (any failure takes it down)")


@floats
class QueryFloats:
    """What one query of a served batch costs (1/s, byte, J, gCO2e, L, USD, s); None where not computed."""

    queries_per_second: float
    tokens_per_second: float
    memory_per_accelerator: float
    memory_capacity: float
    energy_per_query: float | None
    carbon_per_query: float | None
    water_per_query: float | None
    cost_per_query: float | None
    cost_per_million_tokens: float | None
    cloud_cost_per_query: float | None
    group_mtbf: float


class SystemLedger:
    """Aggregates performance, sustainability, economics and reliability for one configuration."""

    @staticmethod
    def serve(
        model,
        hardware,
        count: int = 1,
        grid=None,
        batch_size: int = 1,
        seq_len: int | None = None,
        output_tokens: int = 256,
        precision: str = "bf16",
        efficiency: float = DEFAULT_EFFICIENCY,
        unit_cost=None,
        cloud_hourly_rate=None,
        utilization: float = DEFAULT_UTILIZATION,
        link_bandwidth=None,
        link_latency=None,
        kv_precision: str | None = None,
    ) -> LedgerResult:
        """Serve ``model`` on ``count`` x ``hardware``: is it feasible, how fast, at what $/query and gCO2e/query?

        ``kv_precision``: the KV cache's precision (default: 16-bit under narrower weights, else the
        weights' own; ``assumptions`` says which applied)."""
        m = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        n = _inputs.positive_int(count, "count")
        batch = _inputs.positive_int(batch_size, "batch_size")
        out_tokens = _inputs.positive_int(output_tokens, "output_tokens")
        seq = _inputs.positive_int(seq_len, "seq_len") if seq_len is not None else m.seq_len
        # the audit checks the rest (a bad price is an error there, never "no price given") and runs the solvers
        a = audit(m, hw, "serving", batch_size=batch, precision=precision, seq_len=seq, count=n, grid=grid,
                  efficiency=efficiency, unit_cost=unit_cost, cloud_hourly_rate=cloud_hourly_rate, utilization=utilization,
                  link_bandwidth=link_bandwidth, link_latency=link_latency, output_tokens=out_tokens,
                  **({} if kv_precision is None else {"kv_precision": kv_precision}))
        ctx = a.context
        sr, group = ctx.serving
        sus, econ, g = ctx.sustainability, ctx.economics, ctx.grid
        assumptions = []
        if n > 1:
            bw, lat = ctx.link
            assumptions.append(f"{n} accelerators as one tensor-parallel group on a {bw / 1e9:.4g} GB/s link "
                               f"(alpha {lat * 1e6:.3g} us): peaks, memory and bandwidth add; 2 all-reduces per layer per pass")
        assumptions += sr.assumptions
        if sus is not None:
            assumptions += [x for x in sus.assumptions if not x.startswith("PUE")] + [f"PUE {sus.pue:g} ({sus.pue_source})"]
        else:
            assumptions.append("no grid: carbon and water per query not computed")
        if econ is None:
            assumptions.append(f"{hw.name} lists no unit cost and none was given: owned cost per query not computed")
        latency = group.request_latency
        carbon = sus._total_carbon / batch if sus is not None else None
        water = sus._water / batch if sus is not None and sus._water is not None else None
        if econ is not None:
            energy = econ._facility_energy / batch
        else:
            energy = sus._facility_energy / batch if sus is not None else None
        cost = econ._cost_per_query if econ is not None else None
        cloud = econ._cloud_cost / batch if econ is not None and econ._cloud_cost is not None else None
        if cloud is None and cloud_hourly_rate is not None:
            cloud = kernels.rental_cost(_system.nonneg(cloud_hourly_rate, "cloud_hourly_rate", "money_rate"), n, latency) / batch
        mtbf = kernels.fleet_mtbf(DEFAULT_ACCELERATOR_MTBF_HOURS * 3600.0, n)
        per_query = QueryFloats(
            batch / latency, batch * out_tokens / latency, group.memory_footprint / n, hw.memory._si["capacity"], energy,
            carbon, water, cost, cost / out_tokens * 1e6 if cost is not None else None, cloud, mtbf,
        )
        result = LedgerResult.view(
            group, per_query, model=m.name, hardware=hw.name, accelerators=n, grid=g.name if g is not None else None,
            precision=ctx.precision, kv_precision=sr.kv_precision, batch_size=batch, seq_len=seq, output_tokens=out_tokens, feasible=sr.feasible,
            reason=sr.reason, bound=a.binding, failures_per_year=kernels.expected_failures(YEAR_S, mtbf), assumptions=assumptions,
        )
        result.serving, result.sustainability, result.economics, result.audit = sr, sus, econ, a
        return result

    @staticmethod
    def train(model, fleet, batch_size: int, tokens=None, **kwargs):
        """Train ``model`` on ``fleet``: time, energy, carbon and cost (see ``ScalingModel.training_run``)."""
        return ScalingModel().training_run(model, fleet, tokens=tokens, batch_size=batch_size, **kwargs)
