"""The formula library with units: each function checks its inputs' dimensions,
converts them once, calls the float kernel in ``kernels`` and returns a Quantity.

Import individually, e.g. ``from mlsysim.physics import calc_transformer_training_flops``
(also available as ``mlsysim.formulas``). The sources of each equation are in
the kernel's docstring, repeated here in one line.
"""

from __future__ import annotations

from ..core.errors import InputError
from ..core.units import make, to_float
from . import kernels as k


def _positive_int(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(field, value, "an integer >= 1")
    return value


def _fraction(value, field: str, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise InputError(field, value, "a number in (0, 1]" if low_open else "a number in [0, 1]")
    return float(value)


def _positive(value: float, field: str, shown) -> float:
    if value <= 0:
        raise InputError(field, shown, "a positive value")
    return value


# -- workload arithmetic ------------------------------------------------------


def calc_transformer_training_flops(parameters, tokens):
    """Training compute C = 6PD (Kaplan et al. 2020; Hoffmann et al. 2022). Returns flop."""
    return make(k.transformer_training_flops(to_float(parameters, "parameters", "count"), to_float(tokens, "tokens", "count")), "ops")


def calc_inference_flops(parameters, tokens=1):
    """Forward compute 2P per token (Kaplan et al. 2020), for ``tokens`` tokens. Returns flop."""
    return make(k.inference_flops_per_token(to_float(parameters, "parameters", "count")) * to_float(tokens, "tokens", "count"), "ops")


def calc_kv_cache_size(layers: int, kv_heads: int, head_dim: int, seq_len: int, batch_size: int, bytes_per_value: float = 2.0):
    """KV cache = 2 x layers x kv_heads x head_dim x seq_len x batch x bytes (exact; GQA via kv_heads). Returns bytes."""
    args = [_positive_int(v, f) for v, f in ((layers, "layers"), (kv_heads, "kv_heads"), (head_dim, "head_dim"), (seq_len, "seq_len"), (batch_size, "batch_size"))]
    return make(k.kv_cache_bytes(*args, bytes_per_value), "bytes")


def calc_activation_memory(seq_len: int, batch_size: int, hidden_dim: int, heads: int, layers: int, tensor_parallel: int = 1, sequence_parallel: bool = False, recompute: str = "none"):
    """Transformer training activations, 16-bit (Korthikanti et al. 2022, Eqs. 1-4). Returns bytes."""
    if recompute not in ("none", "selective", "full"):
        raise InputError("recompute", recompute, "'none', 'selective' or 'full'")
    for v, f in ((seq_len, "seq_len"), (batch_size, "batch_size"), (hidden_dim, "hidden_dim"), (heads, "heads"), (layers, "layers"), (tensor_parallel, "tensor_parallel")):
        _positive_int(v, f)
    return make(k.activation_memory_bytes(seq_len, batch_size, hidden_dim, heads, layers, tensor_parallel, sequence_parallel, recompute), "bytes")


# -- roofline -------------------------------------------------------------------


def calc_effective_flops(peak_flops, efficiency: float):
    """Achievable rate = peak x efficiency. Returns flop/s."""
    return make(k.effective_flops(to_float(peak_flops, "peak_flops", "flops"), _fraction(efficiency, "efficiency", True)), "flops")


def calc_roofline_time(ops, nbytes, flops, bandwidth):
    """Iron law: max(ops / rate, bytes / bandwidth) (Williams et al. 2009). Returns s."""
    rate = _positive(to_float(flops, "flops", "flops"), "flops", flops)
    bw = _positive(to_float(bandwidth, "bandwidth", "bandwidth"), "bandwidth", bandwidth)
    return make(k.roofline_time(to_float(ops, "ops", "ops"), to_float(nbytes, "nbytes", "bytes"), rate, bw), "time")


def calc_arithmetic_intensity(ops, nbytes):
    """Operations per byte moved (Williams et al. 2009). Returns flop/byte."""
    return make(k.arithmetic_intensity(to_float(ops, "ops", "ops"), to_float(nbytes, "nbytes", "bytes")), "intensity")


def roofline_attainable_flops(intensity, peak_flops, bandwidth):
    """The roofline ceiling min(peak, intensity x bandwidth) (Williams et al. 2009). Returns flop/s."""
    return make(k.attainable_flops(to_float(intensity, "intensity", "intensity"), to_float(peak_flops, "peak_flops", "flops"), to_float(bandwidth, "bandwidth", "bandwidth")), "flops")


# -- communication and parallelism ------------------------------------------------


def _collective(fn, message, workers, bandwidth, latency):
    n = _positive_int(workers, "workers")
    bw = _positive(to_float(bandwidth, "bandwidth", "bandwidth"), "bandwidth", bandwidth)
    return make(fn(to_float(message, "message_bytes", "bytes"), n, bw, to_float(latency, "latency", "time")), "time")


def calc_ring_allreduce_time(message_bytes, workers: int, bandwidth, latency):
    """Ring all-reduce, alpha-beta: 2(N-1) alpha + 2(N-1)/N M / beta (Patarasuk & Yuan 2009). Returns s."""
    return _collective(k.ring_allreduce_time, message_bytes, workers, bandwidth, latency)


def calc_tree_allreduce_time(message_bytes, workers: int, bandwidth, latency):
    """Binary-tree all-reduce: 2 log2(N) (alpha + M / beta) (Thakur et al. 2005). Returns s."""
    return _collective(k.tree_allreduce_time, message_bytes, workers, bandwidth, latency)


def calc_all_to_all_time(message_bytes, workers: int, bandwidth, latency):
    """All-to-all: (N-1) alpha + (N-1)/N M / beta (Thakur et al. 2005). Returns s."""
    return _collective(k.all_to_all_time, message_bytes, workers, bandwidth, latency)


def calc_pipeline_bubble(stages: int, microbatches: int, virtual_stages: int = 1) -> float:
    """Bubble fraction (P-1) / (V M + P - 1) (GPipe 2019; Narayanan et al. 2021). Dimensionless."""
    return k.pipeline_bubble_fraction(_positive_int(stages, "stages"), _positive_int(microbatches, "microbatches"), _positive_int(virtual_stages, "virtual_stages"))


def calc_amdahl_speedup(parallel_fraction: float, workers: int) -> float:
    """Amdahl's law 1 / ((1 - f) + f / N) (Amdahl 1967). Dimensionless."""
    return k.amdahl_speedup(_fraction(parallel_fraction, "parallel_fraction"), _positive_int(workers, "workers"))


# -- reliability ----------------------------------------------------------------------


def calc_node_mtbf(*component_mtbfs):
    """MTBF of components in series, 1 / sum(1 / MTBF_i). Returns hours."""
    if not component_mtbfs:
        raise InputError("component_mtbfs", (), "at least one MTBF")
    values = [_positive(to_float(m, f"component_mtbfs[{i}]", "time"), f"component_mtbfs[{i}]", m) for i, m in enumerate(component_mtbfs)]
    return make(k.series_mtbf(*values), "time").to("hour")


def calc_fleet_mtbf(node_mtbf, nodes: int):
    """MTBF of N nodes any of which stops the job: MTBF / N. Returns hours."""
    return make(k.fleet_mtbf(_positive(to_float(node_mtbf, "node_mtbf", "time"), "node_mtbf", node_mtbf), _positive_int(nodes, "nodes")), "time").to("hour")


def calc_failure_probability(duration, mtbf) -> float:
    """P(at least one failure in t) = 1 - exp(-t / MTBF). Dimensionless."""
    return k.failure_probability(to_float(duration, "duration", "time"), _positive(to_float(mtbf, "mtbf", "time"), "mtbf", mtbf))


def calc_young_daly_interval(checkpoint_time, mtbf):
    """Optimal checkpoint interval sqrt(2 delta M) (Young 1974; Daly 2006). Returns s."""
    return make(k.young_daly_interval(to_float(checkpoint_time, "checkpoint_time", "time"), _positive(to_float(mtbf, "mtbf", "time"), "mtbf", mtbf)), "time")


def calc_stacked_availability(*availabilities: float) -> float:
    """Availability of layers in series: the product. Dimensionless."""
    return k.stacked_availability(*(_fraction(a, f"availabilities[{i}]") for i, a in enumerate(availabilities)))


def calc_checkpoint_size(parameters, weight_bytes_per_parameter: float = 2.0, optimizer_bytes_per_parameter: float = 12.0):
    """Weights + optimizer state, P x (2 + 12) bytes for mixed-precision Adam (ZeRO, Sec. 3.1). Returns bytes."""
    return make(k.checkpoint_bytes(to_float(parameters, "parameters", "count"), weight_bytes_per_parameter, optimizer_bytes_per_parameter), "bytes")


# -- scaling laws -----------------------------------------------------------------------


def calc_chinchilla_optimal(compute_budget, tokens_per_parameter: float = k.CHINCHILLA_TOKENS_PER_PARAMETER):
    """Compute-optimal (parameters, tokens): P* = sqrt(C / 120), D* = 20 P* (Hoffmann et al. 2022)."""
    c = _positive(to_float(compute_budget, "compute_budget", "ops"), "compute_budget", compute_budget)
    p, d = k.chinchilla_optimal(c, tokens_per_parameter)
    return make(p, "count"), make(d, "count")


# -- energy, carbon, water ------------------------------------------------------------------


def calc_energy(power, duration):
    """Energy = power x time. Returns kWh."""
    return make(k.energy(to_float(power, "power", "power"), to_float(duration, "duration", "time")), "energy").to("kWh")


def calc_carbon(energy, carbon_intensity):
    """Operational emissions = energy x carbon intensity. Returns kgCO2e."""
    return make(k.carbon(to_float(energy, "energy", "energy"), to_float(carbon_intensity, "carbon_intensity", "carbon_intensity")), "mass").to("kgCO2e")


def calc_water(energy, water_intensity):
    """Water = energy x WUE (The Green Grid 2011). Returns L."""
    return make(k.water(to_float(energy, "energy", "energy"), to_float(water_intensity, "water_intensity", "water_intensity")), "volume")


# -- distributed training (fleet scale) --------------------------------------------------


def calc_hierarchical_allreduce_time(message_bytes, local: int, nodes: int, intra_bandwidth, intra_latency, inter_bandwidth, inter_latency):
    """In-node reduce-scatter/all-gather + cross-node ring on M / L (Jia et al. 2018). Returns s."""
    local, nodes = _positive_int(local, "local"), _positive_int(nodes, "nodes")
    b_in = _positive(to_float(intra_bandwidth, "intra_bandwidth", "bandwidth"), "intra_bandwidth", intra_bandwidth)
    b_out = _positive(to_float(inter_bandwidth, "inter_bandwidth", "bandwidth"), "inter_bandwidth", inter_bandwidth)
    return make(k.hierarchical_allreduce_time(to_float(message_bytes, "message_bytes", "bytes"), local, nodes, b_in, to_float(intra_latency, "intra_latency", "time"), b_out, to_float(inter_latency, "inter_latency", "time")), "time")


def calc_tensor_parallel_comm_time(layers: int, tokens: int, hidden_dim: int, tp: int, bandwidth, latency, bytes_per_value: float = 2.0):
    """Megatron TP: 4 all-reduces of b s h activations per layer (Shoeybi et al. 2019). Returns s."""
    for v, f in ((layers, "layers"), (tokens, "tokens"), (hidden_dim, "hidden_dim"), (tp, "tp")):
        _positive_int(v, f)
    bw = _positive(to_float(bandwidth, "bandwidth", "bandwidth"), "bandwidth", bandwidth)
    return make(k.tensor_parallel_comm_time(layers, tokens, hidden_dim, bytes_per_value, tp, bw, to_float(latency, "latency", "time")), "time")


def calc_zero_memory(parameters, dp: int, stage: int, weight_bytes_per_parameter: float = 2.0, grad_bytes_per_parameter: float = 2.0, optimizer_bytes_per_parameter: float = 12.0):
    """(weights, gradients, optimizer) per worker under ZeRO stage 0-3 (Rajbhandari et al. 2020). Returns bytes."""
    if stage not in (0, 1, 2, 3):
        raise InputError("stage", stage, "a ZeRO stage 0, 1, 2 or 3")
    parts = k.zero_memory_bytes(to_float(parameters, "parameters", "count"), weight_bytes_per_parameter, grad_bytes_per_parameter, optimizer_bytes_per_parameter, _positive_int(dp, "dp"), stage)
    return tuple(make(p, "bytes") for p in parts)


# -- power, money, failures ------------------------------------------------------------------


def calc_utilization_power(peak_power, utilization: float, idle_fraction: float):
    """P(u) = P_idle + (P_peak - P_idle) u (Fan, Weber & Barroso 2007). Returns W."""
    return make(k.utilization_power(to_float(peak_power, "peak_power", "power"), _fraction(utilization, "utilization"), _fraction(idle_fraction, "idle_fraction")), "power")


def calc_facility_energy(it_energy, pue: float):
    """Facility energy = IT energy x PUE (The Green Grid 2007). Returns kWh."""
    if isinstance(pue, bool) or not isinstance(pue, (int, float)) or pue < 1.0:
        raise InputError("pue", pue, "a power usage effectiveness >= 1.0")
    return make(k.facility_energy(to_float(it_energy, "it_energy", "energy"), float(pue)), "energy").to("kWh")


def calc_energy_cost(energy, price):
    """Electricity cost = energy x price. Returns USD."""
    return make(k.energy_cost(to_float(energy, "energy", "energy"), to_float(price, "price", "energy_price")), "money")


def calc_amortized_capex(capex, lifetime, duration):
    """Straight-line share of a purchase: capex x duration / lifetime. Returns USD."""
    life = _positive(to_float(lifetime, "lifetime", "time"), "lifetime", lifetime)
    return make(k.straight_line_amortization(to_float(capex, "capex", "money"), life, to_float(duration, "duration", "time")), "money")


def calc_checkpoint_waste_fraction(interval, checkpoint_time, mtbf, restart_time="0 s") -> float:
    """Fraction of time lost: delta / tau + (tau / 2 + R) / M (Daly 2006, first order). Dimensionless."""
    tau = _positive(to_float(interval, "interval", "time"), "interval", interval)
    m = _positive(to_float(mtbf, "mtbf", "time"), "mtbf", mtbf)
    return k.checkpoint_waste_fraction(tau, to_float(checkpoint_time, "checkpoint_time", "time"), m, to_float(restart_time, "restart_time", "time"))


def calc_chinchilla_loss(parameters, tokens) -> float:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, Eq. 10). Dimensionless (nats/token)."""
    n = _positive(to_float(parameters, "parameters", "count"), "parameters", parameters)
    d = _positive(to_float(tokens, "tokens", "count"), "tokens", tokens)
    return k.chinchilla_loss(n, d)


# --- Labs: fault tolerance ---


def calc_checkpoint_goodput(interval, checkpoint_time, mtbf, restart_time="0 s") -> float:
    """Goodput = 1 - (delta / tau + (tau / 2 + R) / M) (Daly 2006, first order; Young 1974). Dimensionless."""
    tau = _positive(to_float(interval, "interval", "time"), "interval", interval)
    m = _positive(to_float(mtbf, "mtbf", "time"), "mtbf", mtbf)
    return k.checkpoint_goodput(tau, to_float(checkpoint_time, "checkpoint_time", "time"), m, to_float(restart_time, "restart_time", "time"))


# --- Labs: own or rent ---


def calc_break_even_time(upfront, own_running_rate, rent_rate):
    """t* = C0 / (r_rent - r_own) (Barroso et al. 2018, Ch. 6). Returns days; inf when owning never catches up."""
    t = k.break_even_time(to_float(upfront, "upfront", "money"), to_float(own_running_rate, "own_running_rate", "money_rate"),
                          to_float(rent_rate, "rent_rate", "money_rate"))
    return make(t, "time").to("day")


def calc_owned_cumulative_cost(upfront, running_rate, elapsed):
    """C0 + r t (Barroso et al. 2018, Ch. 6). Returns USD."""
    return make(k.owned_cumulative_cost(to_float(upfront, "upfront", "money"), to_float(running_rate, "running_rate", "money_rate"),
                                        to_float(elapsed, "elapsed", "time")), "money")
