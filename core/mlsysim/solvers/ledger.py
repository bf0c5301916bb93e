"""One configuration, every ledger: performance, memory, money, carbon, water and failures in one call.

    >>> SystemLedger.serve("llama3_70b", "h100", count=4, grid="quebec", unit_cost="30000 USD")

Serving on ``count`` accelerators treats them as one tensor-parallel group
(Megatron-style: every weight matrix split ``count`` ways, so peaks, memory
capacity and bandwidth add) and adds the group's all-reduces on the scale-up
link to each pass. The per-query footprint is the group's energy, carbon and
cost for the time one batch of queries takes, divided by the batch.
Training goes through ``ScalingModel.training_run``.
"""

from __future__ import annotations

from ..core.errors import InputError
from ..core.units import make, to_float
from ..hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from ..physics import kernels
from ..results import Result, quantity
from ..walls import Wall
from ..workloads.precision import bytes_per_value
from . import _inputs, _system
from .economics import EconomicsModel
from .scaling import ScalingModel
from .serving import ServingModel
from .sustainability import SustainabilityModel
from .defaults import DEFAULT_ACCELERATOR_MTBF_HOURS, DEFAULT_EFFICIENCY, DEFAULT_LINK_LATENCY_S, DEFAULT_UTILIZATION, YEAR_S


class LedgerResult(Result):
    """Serving one model on N accelerators: latency, capacity, and the cost, carbon and water of each query."""

    _plain_names = ("model", "hardware", "accelerators", "grid", "precision", "batch_size", "seq_len", "output_tokens",
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


def tensor_parallel_group(hw, count: int):
    """A virtual accelerator for ``count`` copies of ``hw`` in one tensor-parallel group (peaks and memory add)."""
    if count == 1:
        return hw
    c, mem = hw.compute, hw.memory
    compute = ComputeCore(
        peak_flops=c.peak_flops * count,
        precision_flops={k: v * count for k, v in c.precision_flops.items()},
        sparse_flops={k: v * count for k, v in c.sparse_flops.items()},
    )
    memory = MemoryHierarchy(capacity=mem.capacity * count, bandwidth=mem.bandwidth * count)
    return HardwareNode(
        name=f"{count} x {hw.name}", tier=hw.tier, compute=compute, memory=memory,
        tdp=hw.tdp * count if hw.tdp is not None else None, dispatch_tax=hw.dispatch_tax,
    )


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
    ) -> LedgerResult:
        """Serve ``model`` on ``count`` x ``hardware``: is it feasible, how fast, at what $/query and gCO2e/query?"""
        m = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        n = _inputs.positive_int(count, "count")
        batch = _inputs.positive_int(batch_size, "batch_size")
        out_tokens = _inputs.positive_int(output_tokens, "output_tokens")
        seq = _inputs.positive_int(seq_len, "seq_len") if seq_len is not None else m.seq_len
        precision = _inputs.check_precision(precision)
        g = _system.grid(grid)
        efficiency = _inputs.fraction(efficiency, "efficiency")
        utilization = _inputs.fraction(utilization, "utilization")
        # checked here, so a bad price is an error and not "no price given"
        cost_each = None if unit_cost is None else _system.nonneg(unit_cost, "unit_cost", "money")
        rate = None if cloud_hourly_rate is None else _system.nonneg(cloud_hourly_rate, "cloud_hourly_rate", "money_rate")
        assumptions = []
        if n > 1:
            if link_bandwidth is not None:
                bw = _system.positive(link_bandwidth, "link_bandwidth", "bandwidth")
            elif hw._si.get("interconnect_bandwidth") is not None:
                bw = hw._si["interconnect_bandwidth"]
            else:
                raise InputError("link_bandwidth", None, f"the scale-up link bandwidth per accelerator ({hw.name} lists none)")
            lat = DEFAULT_LINK_LATENCY_S if link_latency is None else _system.nonneg(link_latency, "link_latency", "time")
            assumptions.append(f"{n} accelerators as one tensor-parallel group on a {bw / 1e9:.4g} GB/s link "
                               f"(alpha {lat * 1e6:.3g} us): peaks, memory and bandwidth add; 2 all-reduces per layer per pass")
        else:
            bw, lat = 1.0, 0.0
        sr = ServingModel().solve(m, tensor_parallel_group(hw, n), seq_len=seq, batch_size=batch, precision=precision, efficiency=efficiency)
        assumptions += sr.assumptions
        b = bytes_per_value(precision)
        prefill_comm = kernels.tensor_parallel_inference_comm_time(m.layers, batch * seq, m.hidden_dim, b, n, bw, lat)
        decode_comm = kernels.tensor_parallel_inference_comm_time(m.layers, batch, m.hidden_dim, b, n, bw, lat)
        ttft = to_float(sr.ttft, "ttft", "time") + prefill_comm
        itl_core = to_float(sr.itl, "itl", "time")
        itl = itl_core + decode_comm
        latency = kernels.request_latency(ttft, itl, out_tokens)
        footprint = to_float(sr.memory_footprint, "memory_footprint", "bytes")

        dur = make(latency, "time")
        carbon = water = None
        sus = None
        if g is not None:
            sus = SustainabilityModel().solve(hw, dur, grid=g, count=n, utilization=utilization)
            carbon = to_float(sus.total_carbon, "carbon", "mass") / batch
            water = to_float(sus.water, "water", "volume") / batch if sus.water is not None else None
            assumptions += [a for a in sus.assumptions if not a.startswith("PUE")] + [f"PUE {sus.pue:g} ({sus.pue_source})"]
        else:
            assumptions.append("no grid: carbon and water per query not computed")
        econ = None
        if cost_each is not None or hw._si.get("unit_cost") is not None:
            econ = EconomicsModel().solve(hw, dur, count=n, grid=g, unit_cost=unit_cost, utilization=utilization,
                                          cloud_hourly_rate=cloud_hourly_rate, queries=batch)
        else:
            assumptions.append(f"{hw.name} lists no unit cost and none was given: owned cost per query not computed")
        if econ is not None:
            energy = to_float(econ.facility_energy, "energy", "energy") / batch
        else:
            energy = to_float(sus.facility_energy, "energy", "energy") / batch if sus is not None else None
        cost = to_float(econ.cost_per_query, "cost", "money") if econ is not None else None
        cloud = to_float(econ.cloud_cost, "cloud", "money") / batch if econ is not None and econ.cloud_cost is not None else None
        if cloud is None and rate is not None:
            cloud = kernels.rental_cost(rate, n, latency) / batch
        mtbf = kernels.fleet_mtbf(DEFAULT_ACCELERATOR_MTBF_HOURS * 3600.0, n)
        if not sr.feasible:
            bound = Wall.CAPACITY
        elif decode_comm > itl_core:
            bound = Wall.COMMUNICATION
        else:
            bound = sr.bound
        result = LedgerResult(
            model=m.name, hardware=hw.name, accelerators=n, grid=g.name if g is not None else None, precision=precision,
            batch_size=batch, seq_len=seq, output_tokens=out_tokens, feasible=sr.feasible,
            reason=sr.reason,
            bound=bound, failures_per_year=kernels.expected_failures(YEAR_S, mtbf), assumptions=assumptions,
            _ttft=ttft, _itl=itl, _request_latency=latency, _tp_comm_per_token=decode_comm,
            _queries_per_second=batch / latency, _tokens_per_second=batch * out_tokens / latency,
            _memory_per_accelerator=footprint / n, _memory_capacity=hw.memory._si["capacity"],
            _energy_per_query=energy, _carbon_per_query=carbon, _water_per_query=water, _cost_per_query=cost,
            _cost_per_million_tokens=cost / out_tokens * 1e6 if cost is not None else None,
            _cloud_cost_per_query=cloud, _group_mtbf=mtbf,
        )
        result.serving, result.sustainability, result.economics = sr, sus, econ
        return result

    @staticmethod
    def train(model, fleet, batch_size: int, tokens=None, **kwargs):
        """Train ``model`` on ``fleet``: time, energy, carbon and cost (see ``ScalingModel.training_run``)."""
        return ScalingModel().training_run(model, fleet, tokens=tokens, batch_size=batch_size, **kwargs)
