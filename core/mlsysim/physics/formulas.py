"""The formula library with units: each function checks its inputs (dimension, sign,
finiteness after conversion, integer-ness) with ``core.checks``, converts them once,
calls the float kernel in ``kernels`` and returns a Quantity. One wrapper per public
kernel, so this module is long for the same reason as ``kernels`` and sectioned the same way.

Import individually, e.g. ``from mlsysim.physics import calc_transformer_training_flops``
(also available as ``mlsysim.formulas``). The sources of each equation are in
the kernel's docstring, repeated here in one line.

Plain floats are checked like Quantities: ``calc_energy("-700 W", "1 hour")`` is an
error naming ``power``, never -0.7 kWh. Inputs that are each fine but overflow
together (1e300 W for 1e300 s) are an error naming them too, never inf.
"""

from __future__ import annotations

from ..core import checks
from ..core.errors import InputError
from ..core.units import make
from . import kernels as k

_pos = checks.positive_quantity  # (value, field, kind) -> float > 0
_nonneg = checks.nonneg_quantity  # (value, field, kind) -> float >= 0
_int = checks.positive_int


def _out(value: float, kind: str, what: str, **given):
    """The result as a Quantity of ``kind``, after checking it is finite (the error names ``given``)."""
    return make(checks.finite_result(value, what, ", ".join(given), tuple(given.values())), kind)


def _out_in(value: float, kind: str, what: str, unit: str, **given):
    """``_out`` converted to ``unit`` and checked again: a figure finite per second can overflow
    per hour or per day (x 3,600, x 86,400), or in ms (x 1,000)."""
    q = _out(value, kind, what, **given).to(unit)
    checks.finite_result(q.magnitude, what, ", ".join(given), tuple(given.values()))
    return q


def _bytes_per_value(value, field: str = "bytes_per_value") -> float:
    """Bytes per stored value: a positive number such as 2 (fp16) or 0.5 (int4), not a precision name."""
    return checks.number(value, field, 0.0, low_open=True,
                         accepted="a positive number of bytes per value, e.g. 2 for fp16, 1 for int8, 0.5 for int4")


def _bytes_per_parameter(value, field: str) -> float:
    return checks.number(value, field, 0.0, accepted="a number of bytes per parameter >= 0, e.g. 2 for fp16 weights, 12 for Adam state")


def _ints(**values) -> list[int]:
    return [_int(v, name) for name, v in values.items()]


# -- workload arithmetic ------------------------------------------------------


def calc_transformer_training_flops(parameters, tokens):
    """Training compute C = 6PD (Kaplan et al. 2020; Hoffmann et al. 2022). Returns flop."""
    p, d = _pos(parameters, "parameters", "count"), _pos(tokens, "tokens", "count")
    return _out(k.transformer_training_flops(p, d), "ops", "training compute", parameters=parameters, tokens=tokens)


def calc_inference_flops(parameters, tokens=1):
    """Forward compute 2P per token (Kaplan et al. 2020), for ``tokens`` tokens. Returns flop."""
    p, n = _pos(parameters, "parameters", "count"), _nonneg(tokens, "tokens", "count")
    return _out(k.inference_flops_per_token(p) * n, "ops", "forward compute", parameters=parameters, tokens=tokens)


def calc_kv_cache_size(layers: int, kv_heads: int, head_dim: int, seq_len: int, batch_size: int, bytes_per_value: float = 2.0):
    """KV cache = 2 x layers x kv_heads x head_dim x seq_len x batch x bytes (exact; GQA via kv_heads). Returns bytes."""
    args = _ints(layers=layers, kv_heads=kv_heads, head_dim=head_dim, seq_len=seq_len, batch_size=batch_size)
    b = _bytes_per_value(bytes_per_value)
    return _out(k.kv_cache_bytes(*args, b), "bytes", "KV cache", layers=layers, kv_heads=kv_heads, head_dim=head_dim,
                seq_len=seq_len, batch_size=batch_size, bytes_per_value=bytes_per_value)


def calc_activation_memory(seq_len: int, batch_size: int, hidden_dim: int, heads: int, layers: int, tensor_parallel: int = 1, sequence_parallel: bool = False, recompute: str = "none"):
    """Transformer training activations, 16-bit (Korthikanti et al. 2022, Eqs. 1-4). Returns bytes."""
    if recompute not in ("none", "selective", "full"):
        raise InputError("recompute", recompute, "'none', 'selective' or 'full'")
    s, b, h, a, n, t = _ints(seq_len=seq_len, batch_size=batch_size, hidden_dim=hidden_dim, heads=heads, layers=layers, tensor_parallel=tensor_parallel)
    sp = checks.boolean(sequence_parallel, "sequence_parallel")
    return _out(k.activation_memory_bytes(s, b, h, a, n, t, sp, recompute), "bytes", "activation memory",
                seq_len=seq_len, batch_size=batch_size, hidden_dim=hidden_dim, heads=heads, layers=layers)


# -- roofline -------------------------------------------------------------------


def calc_effective_flops(peak_flops, efficiency: float):
    """Achievable rate = peak x efficiency. Returns flop/s."""
    return make(k.effective_flops(_pos(peak_flops, "peak_flops", "flops"), checks.fraction(efficiency, "efficiency")), "flops")


def calc_roofline_time(ops, nbytes, flops, bandwidth):
    """Iron law: max(ops / rate, bytes / bandwidth) (Williams et al. 2009). Returns s."""
    n_ops, n_bytes = _nonneg(ops, "ops", "ops"), _nonneg(nbytes, "nbytes", "bytes")
    rate, bw = _pos(flops, "flops", "flops"), _pos(bandwidth, "bandwidth", "bandwidth")
    return _out(k.roofline_time(n_ops, n_bytes, rate, bw), "time", "time", ops=ops, nbytes=nbytes, flops=flops, bandwidth=bandwidth)


def calc_arithmetic_intensity(ops, nbytes):
    """Operations per byte moved (Williams et al. 2009). Returns flop/byte."""
    n_ops, n_bytes = _nonneg(ops, "ops", "ops"), _pos(nbytes, "nbytes", "bytes")
    return _out(k.arithmetic_intensity(n_ops, n_bytes), "intensity", "intensity", ops=ops, nbytes=nbytes)


def roofline_attainable_flops(intensity, peak_flops, bandwidth):
    """The roofline ceiling min(peak, intensity x bandwidth) (Williams et al. 2009). Returns flop/s."""
    i = _nonneg(intensity, "intensity", "intensity")
    peak, bw = _pos(peak_flops, "peak_flops", "flops"), _pos(bandwidth, "bandwidth", "bandwidth")
    return _out(k.attainable_flops(i, peak, bw), "flops", "attainable rate", intensity=intensity, bandwidth=bandwidth)


# -- communication and parallelism ------------------------------------------------


def _collective(fn, message, workers, bandwidth, latency):
    m, n = _nonneg(message, "message_bytes", "bytes"), _int(workers, "workers")
    bw, lat = _pos(bandwidth, "bandwidth", "bandwidth"), _nonneg(latency, "latency", "time")
    return _out(fn(m, n, bw, lat), "time", "time", message_bytes=message, workers=workers, bandwidth=bandwidth, latency=latency)


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
    return k.pipeline_bubble_fraction(*_ints(stages=stages, microbatches=microbatches, virtual_stages=virtual_stages))


def calc_amdahl_speedup(parallel_fraction: float, workers: int) -> float:
    """Amdahl's law 1 / ((1 - f) + f / N) (Amdahl 1967). Dimensionless."""
    return k.amdahl_speedup(checks.fraction(parallel_fraction, "parallel_fraction", low_open=False), _int(workers, "workers"))


# -- reliability ----------------------------------------------------------------------


def calc_node_mtbf(*component_mtbfs):
    """MTBF of components in series, 1 / sum(1 / MTBF_i). Returns hours."""
    if not component_mtbfs:
        raise InputError("component_mtbfs", (), "at least one MTBF")
    values = [_pos(m, f"component_mtbfs[{i}]", "time") for i, m in enumerate(component_mtbfs)]
    return make(k.series_mtbf(*values), "time").to("hour")


def calc_fleet_mtbf(node_mtbf, nodes: int):
    """MTBF of N nodes any of which stops the job: MTBF / N. Returns hours."""
    return make(k.fleet_mtbf(_pos(node_mtbf, "node_mtbf", "time"), _int(nodes, "nodes")), "time").to("hour")


def calc_failure_probability(duration, mtbf) -> float:
    """P(at least one failure in t) = 1 - exp(-t / MTBF). Dimensionless."""
    return k.failure_probability(_nonneg(duration, "duration", "time"), _pos(mtbf, "mtbf", "time"))


def calc_young_daly_interval(checkpoint_time, mtbf):
    """Optimal checkpoint interval sqrt(2 delta M) (Young 1974; Daly 2006). Returns s."""
    delta, m = _nonneg(checkpoint_time, "checkpoint_time", "time"), _pos(mtbf, "mtbf", "time")
    return _out(k.young_daly_interval(delta, m), "time", "interval", checkpoint_time=checkpoint_time, mtbf=mtbf)


def calc_stacked_availability(*availabilities: float) -> float:
    """Availability of layers in series: the product. Dimensionless."""
    if not availabilities:
        raise InputError("availabilities", (), "at least one availability in [0, 1]")
    return k.stacked_availability(*(checks.fraction(a, f"availabilities[{i}]", low_open=False) for i, a in enumerate(availabilities)))


def calc_checkpoint_size(parameters, weight_bytes_per_parameter: float = 2.0, optimizer_bytes_per_parameter: float = 12.0):
    """Weights + optimizer state, P x (2 + 12) bytes for mixed-precision Adam (ZeRO, Sec. 3.1). Returns bytes."""
    p = _pos(parameters, "parameters", "count")
    w = _bytes_per_parameter(weight_bytes_per_parameter, "weight_bytes_per_parameter")
    o = _bytes_per_parameter(optimizer_bytes_per_parameter, "optimizer_bytes_per_parameter")
    return _out(k.checkpoint_bytes(p, w, o), "bytes", "checkpoint size", parameters=parameters,
                weight_bytes_per_parameter=weight_bytes_per_parameter, optimizer_bytes_per_parameter=optimizer_bytes_per_parameter)


# -- scaling laws -----------------------------------------------------------------------


def calc_chinchilla_optimal(compute_budget, tokens_per_parameter: float = k.CHINCHILLA_TOKENS_PER_PARAMETER):
    """Compute-optimal (parameters, tokens): P* = sqrt(C / 120), D* = 20 P* (Hoffmann et al. 2022)."""
    c = _pos(compute_budget, "compute_budget", "ops")
    r = checks.positive(tokens_per_parameter, "tokens_per_parameter")
    p, d = k.chinchilla_optimal(c, r)
    given = {"compute_budget": compute_budget, "tokens_per_parameter": tokens_per_parameter}
    return _out(p, "count", "parameter count", **given), _out(d, "count", "token count", **given)


# -- energy, carbon, water ------------------------------------------------------------------


def calc_energy(power, duration):
    """Energy = power x time. Returns kWh."""
    p, t = _nonneg(power, "power", "power"), _nonneg(duration, "duration", "time")
    return _out(k.energy(p, t), "energy", "energy", power=power, duration=duration).to("kWh")


def calc_carbon(energy, carbon_intensity):
    """Operational emissions = energy x carbon intensity. Returns kgCO2e."""
    e, ci = _nonneg(energy, "energy", "energy"), _nonneg(carbon_intensity, "carbon_intensity", "carbon_intensity")
    return _out(k.carbon(e, ci), "mass", "emissions", energy=energy, carbon_intensity=carbon_intensity).to("kgCO2e")


def calc_water(energy, water_intensity):
    """Water = energy x WUE (The Green Grid 2011). Returns L."""
    e, wi = _nonneg(energy, "energy", "energy"), _nonneg(water_intensity, "water_intensity", "water_intensity")
    return _out(k.water(e, wi), "volume", "water", energy=energy, water_intensity=water_intensity)


# -- distributed training (fleet scale) --------------------------------------------------


def calc_hierarchical_allreduce_time(message_bytes, local: int, nodes: int, intra_bandwidth, intra_latency, inter_bandwidth, inter_latency):
    """In-node reduce-scatter/all-gather + cross-node ring on M / L (Jia et al. 2018). Returns s."""
    n_local, n_nodes = _ints(local=local, nodes=nodes)
    m = _nonneg(message_bytes, "message_bytes", "bytes")
    b_in, b_out = _pos(intra_bandwidth, "intra_bandwidth", "bandwidth"), _pos(inter_bandwidth, "inter_bandwidth", "bandwidth")
    a_in, a_out = _nonneg(intra_latency, "intra_latency", "time"), _nonneg(inter_latency, "inter_latency", "time")
    return _out(k.hierarchical_allreduce_time(m, n_local, n_nodes, b_in, a_in, b_out, a_out), "time", "time",
                message_bytes=message_bytes, intra_bandwidth=intra_bandwidth, inter_bandwidth=inter_bandwidth)


def calc_tensor_parallel_comm_time(layers: int, tokens: int, hidden_dim: int, tp: int, bandwidth, latency, bytes_per_value: float = 2.0):
    """Megatron TP: 4 all-reduces of b s h activations per layer (Shoeybi et al. 2019). Returns s."""
    n, t, h, width = _ints(layers=layers, tokens=tokens, hidden_dim=hidden_dim, tp=tp)
    bw, lat = _pos(bandwidth, "bandwidth", "bandwidth"), _nonneg(latency, "latency", "time")
    b = _bytes_per_value(bytes_per_value)
    return _out(k.tensor_parallel_comm_time(n, t, h, b, width, bw, lat), "time", "time",
                layers=layers, tokens=tokens, hidden_dim=hidden_dim, bandwidth=bandwidth, bytes_per_value=bytes_per_value)


def calc_zero_memory(parameters, dp: int, stage: int, weight_bytes_per_parameter: float = 2.0, grad_bytes_per_parameter: float = 2.0, optimizer_bytes_per_parameter: float = 12.0):
    """(weights, gradients, optimizer) per worker under ZeRO stage 0-3 (Rajbhandari et al. 2020). Returns bytes."""
    z = checks.zero_stage(stage, "stage")
    p = _pos(parameters, "parameters", "count")
    w = _bytes_per_parameter(weight_bytes_per_parameter, "weight_bytes_per_parameter")
    g = _bytes_per_parameter(grad_bytes_per_parameter, "grad_bytes_per_parameter")
    o = _bytes_per_parameter(optimizer_bytes_per_parameter, "optimizer_bytes_per_parameter")
    parts = k.zero_memory_bytes(p, w, g, o, _int(dp, "dp"), z)
    given = dict(parameters=parameters, weight_bytes_per_parameter=weight_bytes_per_parameter,
                 grad_bytes_per_parameter=grad_bytes_per_parameter, optimizer_bytes_per_parameter=optimizer_bytes_per_parameter)
    return tuple(_out(x, "bytes", "memory", **given) for x in parts)


# -- power, money, failures ------------------------------------------------------------------


def calc_utilization_power(peak_power, utilization: float, idle_fraction: float):
    """P(u) = P_idle + (P_peak - P_idle) u (Fan, Weber & Barroso 2007). Returns W."""
    p = _nonneg(peak_power, "peak_power", "power")
    u = checks.fraction(utilization, "utilization", low_open=False)
    idle = checks.fraction(idle_fraction, "idle_fraction", low_open=False)
    return make(k.utilization_power(p, u, idle), "power")


def calc_facility_energy(it_energy, pue: float):
    """Facility energy = IT energy x PUE (The Green Grid 2007). Returns kWh."""
    e = _nonneg(it_energy, "it_energy", "energy")
    return _out(k.facility_energy(e, checks.pue(pue)), "energy", "facility energy", it_energy=it_energy).to("kWh")


def calc_energy_cost(energy, price):
    """Electricity cost = energy x price. Returns USD."""
    e, p = _nonneg(energy, "energy", "energy"), _nonneg(price, "price", "energy_price")
    return _out(k.energy_cost(e, p), "money", "cost", energy=energy, price=price)


def calc_amortized_capex(capex, lifetime, duration):
    """Straight-line share of a purchase: capex x duration / lifetime. Returns USD."""
    c, life, t = _nonneg(capex, "capex", "money"), _pos(lifetime, "lifetime", "time"), _nonneg(duration, "duration", "time")
    return _out(k.straight_line_amortization(c, life, t), "money", "amortised cost", capex=capex, lifetime=lifetime, duration=duration)


def calc_checkpoint_waste_fraction(interval, checkpoint_time, mtbf, restart_time="0 s") -> float:
    """Fraction of time lost: delta / tau + (tau / 2 + R) / M (Daly 2006, first order). Dimensionless."""
    tau, m = _pos(interval, "interval", "time"), _pos(mtbf, "mtbf", "time")
    delta, r = _nonneg(checkpoint_time, "checkpoint_time", "time"), _nonneg(restart_time, "restart_time", "time")
    return checks.finite_result(k.checkpoint_waste_fraction(tau, delta, m, r), "waste fraction", "interval, checkpoint_time, mtbf",
                                (interval, checkpoint_time, mtbf))


def calc_chinchilla_loss(parameters, tokens) -> float:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, Eq. 10). Dimensionless (nats/token)."""
    return k.chinchilla_loss(_pos(parameters, "parameters", "count"), _pos(tokens, "tokens", "count"))


# --- Walls 3, 12, 13, 20, 21, 22 and diffusion (appended; imports here keep merges with the part above clean) ---

from ..core import checks  # noqa: E402


# --- Wall 20: Safety ---


def calc_per_example_gradient_memory(batch_size, parameters, bytes_per_value: float = 4.0):
    """DP-SGD's per-example gradients: batch x parameters x bytes (Abadi et al. 2016, Alg. 1). Returns bytes."""
    b = checks.positive_int(batch_size, "batch_size")
    p = checks.quantity(parameters, "parameters", "count")
    bpv = checks.positive(bytes_per_value, "bytes_per_value")
    return _out(k.per_example_gradient_bytes(b, p, bpv), "bytes", "per-example gradient memory",
                parameters=parameters, bytes_per_value=bytes_per_value)


def calc_dp_epsilon(noise_multiplier: float, sample_rate: float, steps: int, delta: float = 1e-5) -> float:
    """DP-SGD epsilon from an RDP accountant over integer orders 2-256 (Mironov 2017; Mironov et al. 2019)."""
    sigma = checks.noise_multiplier(noise_multiplier)
    q = checks.fraction(sample_rate, "sample_rate")
    t = checks.positive_int(steps, "steps")
    d = checks.dp_delta(delta)
    return k.dp_sgd_epsilon(q, sigma, t, d)[0]


def calc_adversarial_training_factor(pgd_steps: int) -> float:
    """Compute of PGD adversarial training over plain training: k + 1 (Madry et al. 2018)."""
    return k.adversarial_training_factor(checks.nonneg_int(pgd_steps, "pgd_steps"))


# --- Wall 13: Fidelity ---


def calc_quantized_weight_size(parameters, bits: float):
    """Weights at ``bits`` per value: P x bits / 8 (GPTQ-style packing, scales left out). Returns bytes."""
    p = checks.quantity(parameters, "parameters", "count")
    return _out(k.quantized_weight_bytes(p, checks.number(bits, "bits", 1.0, 32.0, accepted="a bit width from 1 to 32")), "bytes",
                "weight bytes", parameters=parameters, bits=bits)


def calc_two_four_sparse_size(parameters, bits: float = 16.0):
    """2:4 structured sparsity: P/2 x (bits + 2) / 8 (NVIDIA A100 whitepaper). Returns bytes."""
    p = checks.quantity(parameters, "parameters", "count")
    return _out(k.two_four_sparse_weight_bytes(p, checks.number(bits, "bits", 1.0, 32.0, accepted="a bit width from 1 to 32")), "bytes",
                "weight bytes", parameters=parameters, bits=bits)


# --- Diffusion ---


def calc_diffusion_image_flops(steps: int, backbone_flops, text_encoder_flops, vae_decoder_flops, guidance: bool = True):
    """steps x passes x backbone + passes x text encoder + VAE decoder (Ho & Salimans 2022 for passes). Returns flop."""
    n = checks.positive_int(steps, "steps")
    passes = k.guidance_passes(checks.boolean(guidance, "guidance"))
    b = checks.quantity(backbone_flops, "backbone_flops", "ops")
    t = checks.quantity(text_encoder_flops, "text_encoder_flops", "ops", minimum=0.0, low_open=False)
    v = checks.quantity(vae_decoder_flops, "vae_decoder_flops", "ops", minimum=0.0, low_open=False)
    return make(k.diffusion_image_flops(n, b, passes, t, v), "ops")


# --- Wall 12: Reasoning ---


def calc_test_time_flops(active_parameters, prompt_tokens: int, generated_tokens: int, samples: int = 1, shared_prompt: bool = True):
    """2P x (prompt + N x generated tokens) per query (Kaplan et al. 2020; Snell et al. 2024). Returns flop."""
    p = checks.quantity(active_parameters, "active_parameters", "count")
    flops = k.test_time_flops(p, checks.positive_int(prompt_tokens, "prompt_tokens"), checks.positive_int(generated_tokens, "generated_tokens"),
                              checks.positive_int(samples, "samples"), checks.boolean(shared_prompt, "shared_prompt"))
    return make(checks.finite_result(flops, "test-time compute", "active_parameters, prompt_tokens, generated_tokens, samples",
                                     (active_parameters, prompt_tokens, generated_tokens, samples)), "ops")


def calc_compute_matched_samples(big_active_parameters, small_active_parameters, big_samples: int = 1) -> float:
    """Samples of a small model with the compute of ``big_samples`` from a big one: N x P_big / P_small (Snell et al. 2024)."""
    big = checks.quantity(big_active_parameters, "big_active_parameters", "count")
    small = checks.quantity(small_active_parameters, "small_active_parameters", "count")
    n = checks.positive_int(big_samples, "big_samples")
    return checks.finite_result(k.compute_matched_samples(big, small, n), "matched samples",
                                "big_active_parameters, small_active_parameters", (big_active_parameters, small_active_parameters))


# --- Wall 3: Software ---


def calc_gemm_flops(m: int, n: int, k_dim: int, batch: int = 1):
    """2 m n k per matrix of a (batched) GEMM. Returns flop."""
    dims = [checks.positive_int(v, f) for v, f in ((m, "m"), (n, "n"), (k_dim, "k_dim"), (batch, "batch"))]
    return make(k.gemm_flops(dims[0], dims[1], dims[2], dims[3]), "ops")


def calc_launch_overhead(kernels: int, launch_time):
    """Framework overhead: kernels x launch cost. Returns time."""
    n = checks.nonneg_int(kernels, "kernels")
    return make(k.launch_overhead(n, checks.quantity(launch_time, "launch_time", "time", minimum=0.0, low_open=False)), "time")


# --- Wall 22: Synthesis ---


def calc_required_flops(ops, target_time, efficiency: float = 0.5):
    """Least dense peak that does ``ops`` in ``target_time``: ops / (T x eff) (the roofline inverted). Returns flop/s."""
    return make(k.required_flops(checks.quantity(ops, "ops", "ops"), checks.quantity(target_time, "target_time", "time"),
                                 checks.fraction(efficiency, "efficiency")), "flops")


def calc_required_bandwidth(nbytes, target_time, bandwidth_efficiency: float = 1.0):
    """Least bandwidth that moves ``nbytes`` in ``target_time``: bytes / (T x eff). Returns byte/s."""
    return make(k.required_bandwidth(checks.quantity(nbytes, "nbytes", "bytes"), checks.quantity(target_time, "target_time", "time"),
                                     checks.fraction(bandwidth_efficiency, "bandwidth_efficiency")), "bandwidth")

# --- Wall 7: Tail latency ---
# (the walls' wrappers below validate with mlsysim.core.checks; imported here so the sections stay appended)
from ..core import checks  # noqa: E402


def calc_erlang_c(servers: int, offered_load) -> float:
    """Erlang C: P(an arrival waits) in M/M/c with ``offered_load`` = lam / mu Erlangs (Harchol-Balter 2013, Sec. 14.6).

    1.0 when the load reaches the servers (offered_load >= servers: unstable). Dimensionless.
    """
    c = checks.positive_int(servers, "servers", maximum=10**6)
    a = checks.quantity(offered_load, "offered_load", "ratio")
    return k.erlang_c(c, a)


def calc_mmc_response_percentile(quantile: float, servers: int, arrival_rate, service_time):
    """q-quantile of M/M/c response time (exact mixture, bisection; Harchol-Balter 2013, Sec. 14.5). Returns ms.

    inf ms is never returned: an unstable queue (lam >= c / service_time) raises, since a percentile does not exist.
    """
    q = checks.number(quantile, "quantile", 0.0, 1.0, low_open=True, high_open=True, accepted="a quantile in (0, 1), e.g. 0.99")
    c = checks.positive_int(servers, "servers", maximum=10**6)
    lam = checks.quantity(arrival_rate, "arrival_rate", "rate")
    mu = 1.0 / checks.quantity(service_time, "service_time", "time")
    if lam >= c * mu:
        raise InputError("arrival_rate, servers, service_time", (arrival_rate, servers, service_time), f"a rate below the capacity servers / service_time = {c * mu:.6g} 1/s (the queue is unstable)")
    return make(k.mmc_response_percentile(q, c, lam, mu), "time").to("ms")


def calc_fan_out_slow_probability(slow_probability: float, fan_out: int) -> float:
    """P(request slow) = 1 - (1 - p)^n for a request touching n servers (Dean & Barroso 2013). Dimensionless."""
    p = checks.fraction(slow_probability, "slow_probability", low_open=False)
    n = checks.positive_int(fan_out, "fan_out")
    return k.fan_out_slow_probability(p, n)


# --- Wall 5: Batching ---


def calc_paged_kv_waste(tokens, block_size: int = 16) -> float:
    """Share of a paged KV cache's slots left empty: (B-1)/2 per sequence of ``tokens`` (Kwon et al. 2023). Dimensionless."""
    t = checks.number(tokens, "tokens", 0.0, low_open=True, accepted="a number of tokens > 0")
    b = checks.positive_int(block_size, "block_size")
    return k.kv_memory_waste(t, t + k.paged_mean_empty_slots(b))


def calc_sequences_that_fit(free_memory, bytes_per_sequence) -> int:
    """Sequences whose KV caches fit in ``free_memory``: floor(free / per sequence) (Kwon et al. 2023). A count."""
    free = checks.quantity(free_memory, "free_memory", "bytes", minimum=0.0, low_open=False)
    per = checks.quantity(bytes_per_sequence, "bytes_per_sequence", "bytes")
    return k.sequences_that_fit(free, per)


# --- Wall 6: Streaming ---


def calc_streamed_layers_time(layers: int, compute_per_layer, load_per_layer, prefetch: bool = True):
    """L layers whose weights stream in: load + (L-1) max(c, l) + c with prefetch, L (c + l) without. Returns ms."""
    n = checks.positive_int(layers, "layers")
    c = checks.quantity(compute_per_layer, "compute_per_layer", "time", minimum=0.0, low_open=False)
    ld = checks.quantity(load_per_layer, "load_per_layer", "time", minimum=0.0, low_open=False)
    return make(k.streamed_layers_time(n, c, ld, checks.boolean(prefetch, "prefetch")), "time").to("ms")


# --- Wall 8: Ingestion ---


def calc_data_stall_fraction(supply, demand) -> float:
    """Fraction of time accelerators wait for data: 1 - supply / demand when short (Mohan et al. 2021). Dimensionless."""
    s = checks.quantity(supply, "supply", "rate", minimum=0.0, low_open=False)
    d = checks.quantity(demand, "demand", "rate")
    return k.data_stall_fraction(s, d)


# --- Wall 9: Transformation ---


def calc_cores_needed(sample_rate, cpu_time_per_sample) -> float:
    """CPU cores to preprocess ``sample_rate`` samples/s at ``cpu_time_per_sample`` core-seconds each (Little's law). A count."""
    r = checks.quantity(sample_rate, "sample_rate", "rate", minimum=0.0, low_open=False)
    t = checks.quantity(cpu_time_per_sample, "cpu_time_per_sample", "time")
    return k.cores_needed(r, t)


# --- Wall 10: Locality ---


def calc_fat_tree_hosts(radix: int) -> int:
    """Hosts of a three-tier k-ary fat-tree: k^3 / 4 (Al-Fares et al. 2008). A count; ``radix`` must be even."""
    r = checks.integer(radix, "radix", 2)
    if r % 2:
        raise InputError("radix", radix, "an even number of switch ports >= 2")
    return int(k.fat_tree_max_hosts(r))


def calc_torus_bisection_bandwidth(dims, link_bandwidth):
    """Bisection of a torus: 2 N / k_max links x link bandwidth (Dally & Towles 2004). Returns TB/s."""
    d = tuple(checks.int_list(dims, "dims", 2))
    bw = checks.quantity(link_bandwidth, "link_bandwidth", "bandwidth")
    return make(k.torus_bisection_links(d) * bw, "bandwidth").to("TB/s")


# --- Wall 16: Multi-tenant ---


def calc_gang_job_slots(nodes: int, gpus_per_node: int, gpus_per_job: int) -> int:
    """Gang-scheduled k-GPU jobs that run at once: N floor(g/k), or floor(N / ceil(k/g)) for multi-node jobs. A count."""
    return k.gang_job_slots(checks.positive_int(nodes, "nodes"), checks.positive_int(gpus_per_node, "gpus_per_node"),
                            checks.positive_int(gpus_per_job, "gpus_per_job"))


# --- Labs: data selection ---


def _data_efficiency(value) -> float:
    return checks.number(value, "data_efficiency", 1.0, 1e6,
                         accepted="a finite number >= 1 (raw tokens one cleaned token is worth), at most 1e6")


def calc_iso_flop_loss(compute, parameters, data_efficiency: float = 1.0) -> float:
    """Loss of P parameters trained on C / (6 P) tokens (Hoffmann et al. 2022, Sec. 3.2). Dimensionless."""
    c, n = _pos(compute, "compute", "ops"), _pos(parameters, "parameters", "count")
    try:
        loss = k.iso_flop_loss(c, n, _data_efficiency(data_efficiency))
    except ZeroDivisionError:  # C / (6 P) rounds to zero tokens: the budget buys no training at all
        raise InputError("compute, parameters", (compute, parameters),
                         "a compute budget that buys a positive number of tokens, C / (6 P) > 0") from None
    return checks.finite_result(loss, "loss", "compute, parameters", (compute, parameters))


def calc_iso_flop_optimum(compute, data_efficiency: float = 1.0):
    """(parameters, tokens) minimising the fitted loss at compute C (Hoffmann et al. 2022, Eq. 4). Counts."""
    c = _pos(compute, "compute", "ops")
    p, d = k.iso_flop_optimum(c, _data_efficiency(data_efficiency))
    return _out(p, "count", "optimal parameters", compute=compute), _out(d, "count", "optimal tokens", compute=compute)


# --- Labs: fault tolerance ---


def calc_checkpoint_goodput(interval, checkpoint_time, mtbf, restart_time="0 s") -> float:
    """Goodput = 1 - (delta / tau + (tau / 2 + R) / M) (Daly 2006, first order; Young 1974). Dimensionless.

    Floored at 0: an interval so long (or a checkpoint so slow) that the first-order waste exceeds
    the whole run leaves no useful work."""
    tau, m = _pos(interval, "interval", "time"), _pos(mtbf, "mtbf", "time")
    delta, r = _nonneg(checkpoint_time, "checkpoint_time", "time"), _nonneg(restart_time, "restart_time", "time")
    return checks.finite_result(max(0.0, k.checkpoint_goodput(tau, delta, m, r)), "goodput", "interval, checkpoint_time, mtbf",
                                (interval, checkpoint_time, mtbf))


# --- Labs: own or rent ---


def calc_break_even_time(upfront, own_running_rate, rent_rate):
    """t* = C0 / (r_rent - r_own) (Barroso et al. 2018, Ch. 6). Returns days.

    Owning never catches up when renting costs no more per hour than running what you own: that is
    an error naming ``rent_rate``, not an infinite time."""
    c0 = _nonneg(upfront, "upfront", "money")
    own, rent = _nonneg(own_running_rate, "own_running_rate", "money_rate"), _nonneg(rent_rate, "rent_rate", "money_rate")
    if rent <= own:
        raise InputError("rent_rate", rent_rate, f"a rate above own_running_rate={own_running_rate!r} (otherwise owning never breaks even)")
    return _out(k.break_even_time(c0, own, rent), "time", "break-even time", upfront=upfront, rent_rate=rent_rate).to("day")


def calc_owned_cumulative_cost(upfront, running_rate, elapsed):
    """C0 + r t (Barroso et al. 2018, Ch. 6). Returns USD."""
    c0, r = _nonneg(upfront, "upfront", "money"), _nonneg(running_rate, "running_rate", "money_rate")
    t = _nonneg(elapsed, "elapsed", "time")
    return _out(k.owned_cumulative_cost(c0, r, t), "money", "owned cost", upfront=upfront, running_rate=running_rate, elapsed=elapsed)


# --- Labs: training compute ---


def calc_training_duration(ops, accelerators, peak_flops, efficiency):
    """C / (N x peak x efficiency) (Amodei & Hernandez 2018, "AI and Compute"). Returns days."""
    c = _pos(ops, "ops", "ops")
    n = checks.positive(accelerators, "accelerators")
    peak = _pos(peak_flops, "peak_flops", "flops")
    eff = checks.fraction(efficiency, "efficiency")
    return _out(k.training_duration(c, n, peak, eff), "time", "training duration", ops=ops,
                accelerators=accelerators, peak_flops=peak_flops).to("day")


def calc_accelerators_for_duration(ops, duration, peak_flops, efficiency):
    """C / (T x peak x efficiency) (Amodei & Hernandez 2018). Returns a count (fractional)."""
    c = _pos(ops, "ops", "ops")
    t = _pos(duration, "duration", "time")
    peak = _pos(peak_flops, "peak_flops", "flops")
    eff = checks.fraction(efficiency, "efficiency")
    return _out(k.accelerators_for_duration(c, t, peak, eff), "count", "accelerators", ops=ops, duration=duration,
                peak_flops=peak_flops)


# --- Labs: orchestration ---


def calc_arrival_rate_for_gpu_load(gpu_load, total_gpus, gpus_per_job, duration):
    """lam = rho N / (k D) (Little 1961): the job arrival rate that keeps a share of the GPUs busy. Returns 1/hour."""
    rho = checks.fraction(gpu_load, "gpu_load")
    n = _pos(total_gpus, "total_gpus", "count")
    per_job = _pos(gpus_per_job, "gpus_per_job", "count")
    d = _pos(duration, "duration", "time")
    return _out_in(k.arrival_rate_for_gpu_load(rho, n, per_job, d), "rate", "arrival rate", "1/hour", gpu_load=gpu_load,
                   total_gpus=total_gpus, gpus_per_job=gpus_per_job, duration=duration)


# --- Accuracy: distributed training ---


def calc_all_gather_time(message_bytes, workers: int, bandwidth, latency):
    """Ring all-gather: (N-1) alpha + (N-1)/N M / beta (Thakur et al. 2005). Returns s."""
    return _collective(k.all_gather_time, message_bytes, workers, bandwidth, latency)


def calc_context_parallel_comm_time(layers: int, kv_bytes, cp: int, bandwidth, latency):
    """Per layer an all-gather of K and V forward and a reduce-scatter of their gradients backward (Llama 3, Sec. 3.3.2). Returns s."""
    n_layers, n_cp = _ints(layers=layers, cp=cp)
    m = _nonneg(kv_bytes, "kv_bytes", "bytes")
    bw, lat = _pos(bandwidth, "bandwidth", "bandwidth"), _nonneg(latency, "latency", "time")
    return _out(k.context_parallel_comm_time(n_layers, m, n_cp, bw, lat), "time", "time",
                kv_bytes=kv_bytes, layers=layers, bandwidth=bandwidth, latency=latency)


def calc_multi_tier_allreduce_time(message_bytes, local: int, nodes_per_pod: int, pods: int, intra_bandwidth, intra_latency,
                                   inter_bandwidth, inter_latency, pod_bandwidth):
    """In node, across the nodes of a pod, then across pods at the tier above (Jia et al. 2018, one level deeper). Returns s."""
    n_local, n_nodes, n_pods = _ints(local=local, nodes_per_pod=nodes_per_pod, pods=pods)
    m = _nonneg(message_bytes, "message_bytes", "bytes")
    b_in, b_out = _pos(intra_bandwidth, "intra_bandwidth", "bandwidth"), _pos(inter_bandwidth, "inter_bandwidth", "bandwidth")
    b_pod = _pos(pod_bandwidth, "pod_bandwidth", "bandwidth")
    a_in, a_out = _nonneg(intra_latency, "intra_latency", "time"), _nonneg(inter_latency, "inter_latency", "time")
    return _out(k.multi_tier_allreduce_time(m, n_local, n_nodes, n_pods, b_in, a_in, b_out, a_out, b_pod), "time", "time",
                message_bytes=message_bytes, intra_bandwidth=intra_bandwidth, inter_bandwidth=inter_bandwidth, pod_bandwidth=pod_bandwidth)


# --- Labs: scale-out and collectives ---


def calc_speedup(reference_time, time):
    """S = T_ref / T (Amdahl 1967; Hennessy & Patterson, 6th ed., Sec. 1.9). Returns a count (times)."""
    t_ref, t = _pos(reference_time, "reference_time", "time"), _pos(time, "time", "time")
    return _out(k.speedup(t_ref, t), "count", "speed-up", reference_time=reference_time, time=time)


def calc_ring_tree_crossover(workers, bandwidth, latency):
    """Message size where ring and binary-tree all-reduce take equal time (Thakur et al. 2005). Returns bytes;
    a tree is faster below it, a ring above; 0 B when the tree never wins (N <= 3)."""
    n = _int(workers, "workers")
    beta, alpha = _pos(bandwidth, "bandwidth", "bandwidth"), _nonneg(latency, "latency", "time")
    return _out(k.ring_tree_crossover_bytes(n, beta, alpha), "bytes", "crossover message size", workers=workers,
                bandwidth=bandwidth, latency=latency)


# --- Labs: ML operations ---


def calc_retraining_cost_rate(interval, retrain_cost, degradation, value_per_point):
    """C / T + v d T / 2 (Harris 1913's cost rate, drift as the holding cost). Returns USD/s.
    ``degradation``: accuracy points lost per unit time (e.g. '0.1 1/day'); ``value_per_point``: what one
    point of accuracy is worth per unit time (e.g. '500 USD/day')."""
    t, c = _pos(interval, "interval", "time"), _nonneg(retrain_cost, "retrain_cost", "money")
    d, v = _nonneg(degradation, "degradation", "rate"), _nonneg(value_per_point, "value_per_point", "money_rate")
    return _out(k.retraining_cost_rate(t, c, d, v), "money_rate", "retraining cost rate", interval=interval,
                retrain_cost=retrain_cost, degradation=degradation, value_per_point=value_per_point)


def calc_optimal_retraining_interval(retrain_cost, degradation, value_per_point):
    """T* = sqrt(2 C / (v d)) (Harris 1913's square-root law). Returns s."""
    c = _pos(retrain_cost, "retrain_cost", "money")
    d, v = _pos(degradation, "degradation", "rate"), _pos(value_per_point, "value_per_point", "money_rate")
    return _out(k.optimal_retraining_interval(c, d, v), "time", "optimal retraining interval", retrain_cost=retrain_cost,
                degradation=degradation, value_per_point=value_per_point)


# --- Labs: neural computation ---


def calc_conv2d_flops(batch: int, out_h: int, out_w: int, in_channels: int, out_channels: int,
                      kernel_h: int, kernel_w: int):
    """2 M N K of the convolution's GEMM (Chetlur et al. 2014, "cuDNN", Sec. 3). Returns flop."""
    v = [checks.positive_int(x, f) for x, f in ((batch, "batch"), (out_h, "out_h"), (out_w, "out_w"),
                                                 (in_channels, "in_channels"), (out_channels, "out_channels"),
                                                 (kernel_h, "kernel_h"), (kernel_w, "kernel_w"))]
    return make(k.conv2d_flops(*v), "ops")


def calc_conv2d_bytes(batch: int, in_h: int, in_w: int, in_channels: int, out_h: int, out_w: int,
                      out_channels: int, kernel_h: int, kernel_w: int, bytes_per_value):
    """Input, filters and output once (Chetlur et al. 2014, Sec. 3). Returns bytes."""
    v = [checks.positive_int(x, f) for x, f in ((batch, "batch"), (in_h, "in_h"), (in_w, "in_w"),
                                                 (in_channels, "in_channels"), (out_h, "out_h"), (out_w, "out_w"),
                                                 (out_channels, "out_channels"), (kernel_h, "kernel_h"),
                                                 (kernel_w, "kernel_w"))]
    return _out(k.conv2d_bytes(*v, _bytes_per_value(bytes_per_value)), "bytes", "convolution bytes", batch=batch,
                in_channels=in_channels, out_channels=out_channels, bytes_per_value=bytes_per_value)


def calc_attention_core_bytes(batch: int, heads: int, seq_len: int, head_dim: int, bytes_per_value):
    """Unfused Q K^T and P V, 4 s d_h + 2 s^2 values per head (Dao et al. 2022, Sec. 2.2). Returns bytes."""
    v = [checks.positive_int(x, f) for x, f in ((batch, "batch"), (heads, "heads"), (seq_len, "seq_len"),
                                                 (head_dim, "head_dim"))]
    return _out(k.attention_core_bytes(*v, _bytes_per_value(bytes_per_value)), "bytes", "attention bytes", batch=batch,
                heads=heads, seq_len=seq_len, head_dim=head_dim, bytes_per_value=bytes_per_value)


def calc_attention_saved_values(batch: int, heads: int, seq_len: int, head_dim: int):
    """Q, K, V and P kept for the backward pass (Korthikanti et al. 2022, Sec. 4.1). Returns a count."""
    v = [checks.positive_int(x, f) for x, f in ((batch, "batch"), (heads, "heads"), (seq_len, "seq_len"),
                                                 (head_dim, "head_dim"))]
    return make(k.attention_saved_values(*v), "count")


def calc_linear_saved_values(tokens: int, in_features: int):
    """The layer's input, kept for the weight gradient (Korthikanti et al. 2022, Sec. 4.1). Returns a count."""
    return make(k.linear_saved_values(checks.positive_int(tokens, "tokens"),
                                      checks.positive_int(in_features, "in_features")), "count")


def calc_attention_score_bytes(batch: int, heads: int, seq_len: int, bytes_per_value):
    """The s x s scores written and read back, 2 s^2 values per head (Dao et al. 2022). Returns bytes."""
    v = [checks.positive_int(x, f) for x, f in ((batch, "batch"), (heads, "heads"), (seq_len, "seq_len"))]
    return _out(k.attention_score_bytes(*v, _bytes_per_value(bytes_per_value)), "bytes", "attention score bytes",
                batch=batch, heads=heads, seq_len=seq_len, bytes_per_value=bytes_per_value)


def calc_conv2d_parameters(in_channels: int, out_channels: int, kernel_h: int, kernel_w: int):
    """k_h k_w c_in c_out weights. Returns a count."""
    v = [checks.positive_int(x, f) for x, f in ((in_channels, "in_channels"), (out_channels, "out_channels"),
                                                 (kernel_h, "kernel_h"), (kernel_w, "kernel_w"))]
    return make(k.conv2d_parameters(*v), "count")


def calc_dense_parameters(in_features: int, out_features: int):
    """in x out weights. Returns a count."""
    return make(k.dense_parameters(checks.positive_int(in_features, "in_features"),
                                   checks.positive_int(out_features, "out_features")), "count")


def calc_attention_parity_context(parameters, layers: int, attention_width: int):
    """n_ctx where 4 n_layer n_ctx d_attn = 2N (Kaplan et al. 2020, Sec. 2.1). Returns a count (tokens)."""
    n = _pos(parameters, "parameters", "count")
    return _out(k.attention_parity_context(n, checks.positive_int(layers, "layers"),
                                           checks.positive_int(attention_width, "attention_width")),
                "count", "parity context", parameters=parameters)


# --- Labs: network round trip ---

from ..core.units import Q_  # noqa: E402  (a distance is a length: not one of the engine's kinds)


def _distance(value, field: str) -> float:
    """A distance >= 0 as metres (a Quantity or a string such as '1000 km')."""
    try:
        metres = float(Q_(value).to("m").magnitude) if isinstance(value, str) else float(value.to("m").magnitude)
    except Exception as exc:  # pint raises several kinds (undefined unit, dimensionality, no .to)
        raise InputError(field, value, "a distance such as '1000 km'") from exc
    if not (metres >= 0.0 and metres < float("inf")):
        raise InputError(field, value, "a finite distance >= 0, such as '1000 km'")
    return metres


def calc_network_round_trip(distance, group_index: float, hops: int, hop_delay, access_round_trip, payload,
                            uplink_bandwidth):
    """access RTT + 2 (d n / c + hops x hop delay) + payload / uplink (Kurose & Ross, Sec. 1.4). Returns ms."""
    n = checks.number(group_index, "group_index", 1.0, 10.0, high_open=True, accepted="a refractive index in [1, 10), e.g. 1.4682")
    h = checks.number(hops, "hops", 0.0, 1000.0, accepted="a number of router hops in [0, 1000]")
    v = k.signal_speed(Q_(1.0, "speed_of_light").to("m/s").magnitude, n)
    t = k.network_round_trip(_distance(distance, "distance"), v, h, _nonneg(hop_delay, "hop_delay", "time"),
                             _nonneg(access_round_trip, "access_round_trip", "time"), _nonneg(payload, "payload", "bytes"),
                             _pos(uplink_bandwidth, "uplink_bandwidth", "bandwidth"))
    return _out_in(t, "time", "round trip", "ms", distance=distance)


def calc_offload_break_even_distance(on_device_time, remote_time, fixed_round_trip, group_index: float):
    """d* = (t_device - t_remote - t_fixed) c / (2 n): beyond it the device wins. Returns km.

    0 km when the remote side loses at any distance (the kernel's negative value: its fixed round
    trip alone is slower than the device), never a negative distance."""
    n = checks.number(group_index, "group_index", 1.0, 10.0, high_open=True, accepted="a refractive index in [1, 10), e.g. 1.4682")
    v = k.signal_speed(Q_(1.0, "speed_of_light").to("m/s").magnitude, n)
    d = k.offload_break_even_distance(_nonneg(on_device_time, "on_device_time", "time"),
                                      _nonneg(remote_time, "remote_time", "time"),
                                      _nonneg(fixed_round_trip, "fixed_round_trip", "time"), v)
    return Q_(max(0.0, checks.finite_result(d, "break-even distance", "on_device_time", (on_device_time,))), "m").to("km")


# --- Labs: subgroup evaluation ---

import math  # noqa: E402  (rounding a sample size up)


def calc_subgroup_sample_size(accuracy, gap, confidence=0.95, power=0.8, comparisons=1):
    """Test samples per subgroup to detect an accuracy ``gap`` below ``accuracy`` (both fractions),
    two-sided at ``confidence`` = 1 - alpha with Bonferroni's alpha / ``comparisons``, at ``power``
    (Fleiss et al. 2003, eq. 4.14; Dunn 1961). Returns a whole count (rounded up)."""
    p1 = checks.number(accuracy, "accuracy", 0.0, 1.0, low_open=True, high_open=True,
                       accepted="an accuracy strictly between 0 and 1, e.g. 0.9")
    d = checks.number(gap, "gap", 0.0, 1.0, low_open=True, high_open=True,
                      accepted="an accuracy gap strictly between 0 and 1, e.g. 0.02 for 2 points")
    if d >= p1:
        raise InputError("accuracy - gap", p1 - d, f"a gap smaller than the accuracy ({p1:g}), so the lower accuracy is above 0")
    conf = checks.number(confidence, "confidence", 0.0, 1.0, low_open=True, high_open=True,
                         accepted="a confidence strictly between 0 and 1, e.g. 0.95")
    pw = checks.number(power, "power", 0.0, 1.0, low_open=True, high_open=True,
                       accepted="a power strictly between 0 and 1, e.g. 0.8")
    m = checks.positive_int(comparisons, "comparisons")
    n = k.two_proportion_sample_size(p1, p1 - d, k.bonferroni_alpha(1.0 - conf, m), pw)
    return make(float(math.ceil(checks.finite_result(n, "samples per subgroup", "accuracy, gap", (accuracy, gap)))), "count")


def calc_evaluation_duration(samples, throughput):
    """N / X: the time to evaluate ``samples`` at ``throughput`` (a rate, e.g. '60 1/s'). Returns seconds."""
    n = checks.nonneg(samples, "samples")
    x = _pos(throughput, "throughput", "rate")
    return _out(k.evaluation_duration(n, x), "time", "evaluation time", samples=samples, throughput=throughput).to("s")


# --- Labs: safety filter ---


def calc_batch_throughput(batch, batch_time):
    """B / t: items per second of a server finishing ``batch`` items every ``batch_time``. Returns 1/s."""
    b = checks.positive(batch, "batch")
    t = _pos(batch_time, "batch_time", "time")
    return _out(k.batch_throughput(b, t), "rate", "throughput", batch=batch, batch_time=batch_time).to("1/s")


def calc_replicas_for_load(arrival_rate, replica_rate, work_per_request=1):
    """ceil(lambda w / mu) replicas (the utilisation law, Jain 1991 ch. 33): ``arrival_rate`` requests
    per second, each ``work_per_request`` units (1, or e.g. output tokens), on replicas serving
    ``replica_rate`` units per second. Returns a count (whole)."""
    lam = _nonneg(arrival_rate, "arrival_rate", "rate")
    mu = _pos(replica_rate, "replica_rate", "rate")
    w = checks.positive(work_per_request, "work_per_request")
    try:
        n = k.replicas_for_load(lam, w, mu)
    except OverflowError:  # lambda w / mu is not a finite number: no whole count of replicas
        raise InputError("arrival_rate, work_per_request, replica_rate", (arrival_rate, work_per_request, replica_rate),
                         "values whose replica count is a finite number (these overflow)") from None
    return make(float(n), "count")


# --- Labs: edge energy ---


def calc_energy_above_idle(active_energy, idle_power, busy_time):
    """E_active - P_idle t: what one inference adds to the idle draw (Fan et al. 2007). Returns J, >= 0."""
    e = _nonneg(active_energy, "active_energy", "energy")
    p = _nonneg(idle_power, "idle_power", "power")
    t = _nonneg(busy_time, "busy_time", "time")
    return _out(k.energy_above_idle(e, p, t), "energy", "energy above idle", active_energy=active_energy,
                idle_power=idle_power, busy_time=busy_time)


def calc_average_power(base_power, energy_per_event, rate):
    """P_base + E r: the long-run average power at ``rate`` events per second. Returns W."""
    p = _nonneg(base_power, "base_power", "power")
    e = _nonneg(energy_per_event, "energy_per_event", "energy")
    r = _nonneg(rate, "rate", "rate")
    return _out(k.average_power(p, e, r), "power", "average power", base_power=base_power,
                energy_per_event=energy_per_event, rate=rate)


def calc_radio_connected_fraction(rate, connected_time):
    """min(1, r t): the fraction of time the radio stays connected (Huang et al. 2012). Returns a ratio."""
    r = _nonneg(rate, "rate", "rate")
    t = _nonneg(connected_time, "connected_time", "time")
    return make(k.radio_connected_fraction(r, t), "ratio")


def calc_transmit_energy(payload, energy_per_byte):
    """bytes x energy per byte (e.g. '0.438 uJ/bit' for LTE, Huang et al. 2012). Returns J."""
    b = _nonneg(payload, "payload", "bytes")
    e = _nonneg(energy_per_byte, "energy_per_byte", "energy_per_byte")
    return _out(k.transmit_energy(b, e), "energy", "transmit energy", payload=payload, energy_per_byte=energy_per_byte)


def calc_battery_life(capacity, power):
    """E / P: how long a battery of ``capacity`` (e.g. '17.8 Wh') lasts at an average ``power``. Returns hours."""
    c = _nonneg(capacity, "capacity", "energy")
    p = _pos(power, "power", "power")
    return _out(k.battery_life(c, p), "time", "battery life", capacity=capacity, power=power).to("hour")


def calc_thermal_sustained_rate(sustained_power, idle_power, energy_per_event):
    """(P_sustained - P_idle) / E: the highest inference rate the case can shed for good. Returns 1/s."""
    ps = _pos(sustained_power, "sustained_power", "power")
    pi = _nonneg(idle_power, "idle_power", "power")
    e = _pos(energy_per_event, "energy_per_event", "energy")
    return _out(k.thermal_sustained_rate(ps, pi, e), "rate", "sustained rate", sustained_power=sustained_power,
                idle_power=idle_power, energy_per_event=energy_per_event).to("1/s")


def calc_offload_energy_break_even_rate(device_energy, connected_power, connected_time, transmit_energy):
    """The rate above which offloading drains the battery slower than computing on the device
    (see ``kernels.offload_energy_break_even_rate``). Returns 1/s, or None when the device uses
    less energy at every rate (0 1/s: offloading uses less at every rate)."""
    e_dev = _nonneg(device_energy, "device_energy", "energy")
    pc = _nonneg(connected_power, "connected_power", "power")
    tc = _nonneg(connected_time, "connected_time", "time")
    e_tx = _nonneg(transmit_energy, "transmit_energy", "energy")
    r = k.offload_energy_break_even_rate(e_dev, pc, tc, e_tx)
    if r == math.inf:
        return None
    return _out(r, "rate", "break-even rate", device_energy=device_energy, connected_power=connected_power,
                connected_time=connected_time, transmit_energy=transmit_energy).to("1/s")


# --- Labs: inference economy ---


def calc_cost_per_million_tokens(cost_rate, token_rate):
    """1e6 x c / X: USD per million tokens of a server costing ``cost_rate`` (e.g. '4.35 USD/hour')
    while producing ``token_rate`` tokens per second (e.g. '1200 1/s'). Returns USD."""
    c = _nonneg(cost_rate, "cost_rate", "money_rate")
    x = _pos(token_rate, "token_rate", "rate")
    return _out(k.cost_per_million_tokens(c, x), "money", "cost per million tokens",
                cost_rate=cost_rate, token_rate=token_rate).to("USD")


# --- Labs: ml workflow ---

_LIMIT_KINDS = ("time", "money", "mass", "energy")


def calc_experiments_within(limit, per_experiment, kind):
    """L / c: the experiments a ``limit`` allows when each costs ``per_experiment``, both of ``kind``
    ('time', 'money', 'mass' for carbon, or 'energy'); fractional (Kellerer et al. 2004, §1.1).
    Returns a count."""
    kind = checks.choice(kind, "kind", _LIMIT_KINDS)
    budget = _pos(limit, "limit", kind)
    cost = _pos(per_experiment, "per_experiment", kind)
    return _out(k.experiments_within(budget, cost), "count", "experiments", limit=limit, per_experiment=per_experiment)


def calc_complete_experiments(limit, per_experiment, kind):
    """floor(L / c): the whole experiments a ``limit`` allows (see ``calc_experiments_within``). Returns a count."""
    n = calc_experiments_within(limit, per_experiment, kind).magnitude
    return make(float(k.complete_experiments(n, 1.0)), "count")


def calc_accelerators_rentable(budget, hourly_rate, duration):
    """B / (r T): accelerators ``budget`` rents at ``hourly_rate`` (per accelerator, e.g. '2.5 USD/hour')
    for the whole ``duration``. Returns a count (fractional)."""
    b = _pos(budget, "budget", "money")
    r = _pos(hourly_rate, "hourly_rate", "money_rate")
    t = _pos(duration, "duration", "time")
    return _out(k.accelerators_rentable(b, r, t), "count", "accelerators", budget=budget, hourly_rate=hourly_rate,
                duration=duration)


# --- Labs: silent corruption ---


def calc_event_rate(events, devices, duration):
    """k / (N T): the rate per device of ``events`` seen on ``devices`` over ``duration``
    (Poisson maximum likelihood; e.g. Llama 3, Dubey et al. 2024 Table 5). Returns 1/day."""
    k_ = _nonneg(events, "events", "count")
    n = _pos(devices, "devices", "count")
    t = _pos(duration, "duration", "time")
    return _out_in(k.event_rate_per_device_day(k_, n, t), "rate", "rate per device", "1/day", events=events, devices=devices,
                   duration=duration)


def calc_expected_poisson_events(rate, devices, duration):
    """lambda N T: events a job of ``devices`` sees in ``duration`` at ``rate`` per device (Ross 2014, §5.3). Returns a count."""
    lam = _nonneg(rate, "rate", "rate")
    n = _pos(devices, "devices", "count")
    t = _pos(duration, "duration", "time")
    return _out(k.expected_poisson_events(lam, n, t), "count", "expected events", rate=rate, devices=devices, duration=duration)


def calc_poisson_at_least_one(mean):
    """1 - exp(-mu): the chance a Poisson count of mean ``mean`` is at least one. Returns a ratio."""
    mu = _nonneg(mean, "mean", "count")
    return make(k.poisson_at_least_one(mu), "ratio")


def calc_binomial_at_least_one(fraction, count):
    """1 - (1 - p)^n: the chance at least one of ``count`` devices is defective at prevalence ``fraction`` (Feller 1968). Returns a ratio."""
    p = checks.number(fraction, "fraction", 0.0, 1.0, accepted="a fraction of devices in [0, 1], e.g. 0.001")
    n = checks.nonneg(count, "count")
    return make(k.binomial_at_least_one(p, n), "ratio")  # the kernel takes p = 1 (certain) itself


def calc_silent_check_loss_fraction(check_time, interval, events, duration):
    """c / tau + mu tau / D: the job time lost to checks every ``interval`` of ``check_time`` each and
    to rolling back a whole interval per corruption (``events`` expected in ``duration``). Returns a ratio."""
    c = _nonneg(check_time, "check_time", "time")
    tau = _pos(interval, "interval", "time")
    mu = _nonneg(events, "events", "count")
    d = _pos(duration, "duration", "time")
    return _out(k.silent_check_loss_fraction(c, tau, mu, d), "ratio", "time lost", check_time=check_time,
                interval=interval, events=events, duration=duration)


def calc_best_silent_check_interval(check_time, events, duration):
    """tau* = sqrt(c D / mu): the check interval that loses least (Young 1974's square-root law, a
    whole interval lost per silent corruption). Returns seconds."""
    c = _pos(check_time, "check_time", "time")
    mu = checks.positive(events, "events")
    d = _pos(duration, "duration", "time")
    return _out(k.best_silent_check_interval(c, mu, d), "time", "check interval", check_time=check_time, events=events,
                duration=duration).to("s")


# --- Labs: storage tiers ---


def calc_tier_bandwidth(clients, per_client_bandwidth, aggregate_bandwidth=None):
    """min(n b, B): a storage tier's rate to ``clients`` at once, each held to ``per_client_bandwidth``,
    all sharing ``aggregate_bandwidth`` (None: no shared ceiling). Returns bytes/s."""
    n = checks.positive(clients, "clients")
    b = _pos(per_client_bandwidth, "per_client_bandwidth", "bandwidth")
    agg = math.inf if aggregate_bandwidth is None else _pos(aggregate_bandwidth, "aggregate_bandwidth", "bandwidth")
    return _out(k.tier_bandwidth(n, b, agg), "bandwidth", "tier bandwidth", clients=clients,
                per_client_bandwidth=per_client_bandwidth).to("GB/s")


def calc_request_bound_bandwidth(request_rate, bytes_per_request):
    """r x bytes: what a store limited to ``request_rate`` requests per second serves. Returns bytes/s."""
    r = _pos(request_rate, "request_rate", "rate")
    b = _pos(bytes_per_request, "bytes_per_request", "bytes")
    return _out(k.request_bound_bandwidth(r, b), "bandwidth", "request-bound bandwidth", request_rate=request_rate,
                bytes_per_request=bytes_per_request).to("GB/s")


def calc_accelerators_fed(per_accelerator_supply, aggregate_supply, per_accelerator_demand):
    """Accelerators a shared tier keeps fed: 0 if one accelerator's share of its link is below its
    demand, else aggregate / demand. Bandwidths in, a count (not rounded) out. A tier with no shared
    ceiling feeds any number whenever it feeds one: compare the per-accelerator figures instead."""
    s = _pos(per_accelerator_supply, "per_accelerator_supply", "bandwidth")
    agg = _pos(aggregate_supply, "aggregate_supply", "bandwidth")
    d = _pos(per_accelerator_demand, "per_accelerator_demand", "bandwidth")
    return make(checks.finite_result(k.accelerators_fed(s, agg, d), "accelerators fed", "aggregate_supply, per_accelerator_demand",
                                     (aggregate_supply, per_accelerator_demand)), "count")


# --- Labs: robustness ---


def calc_dual_redundancy_rerun_probability(p):
    """1 - (1 - p)^2: probability a dual-redundant pair disagrees (and is rerun), each replica faulty with p."""
    q = checks.number(p, "p", 0.0, 1.0, accepted="a probability in [0, 1]")
    return make(k.dual_redundancy_rerun_probability(q), "count")


def calc_triple_redundancy_failure_probability(p):
    """3p^2 - 2p^3: probability a majority-voted triple fails, each replica faulty with p (Lyons & Vanderkulk 1962)."""
    q = checks.number(p, "p", 0.0, 1.0, accepted="a probability in [0, 1]")
    return make(k.triple_redundancy_failure_probability(q), "count")


def calc_replicated_accelerator_time(wall_time, accelerators, replicas=1):
    """t x N x r: accelerator-time (e.g. GPU-hours) of a job running ``wall_time`` on ``accelerators``,
    repeated by ``replicas`` redundant copies. Returns hours."""
    t = _nonneg(wall_time, "wall_time", "time")
    n = checks.positive(accelerators, "accelerators")
    r = checks.positive(replicas, "replicas")
    return _out(k.replicated_accelerator_time(t, n, r), "time", "accelerator time", wall_time=wall_time,
                accelerators=accelerators, replicas=replicas).to("hour")


# --- Accuracy: reliability, round five ---


def calc_calendar_interruption_interval(running_mtbf, downtime):
    """MTBF + downtime: mean wall-clock time between a job's interruptions (alternating renewal,
    Ross, "Introduction to Probability Models", Ch. 7). Returns hours."""
    return make(k.calendar_interruption_interval(_pos(running_mtbf, "running_mtbf", "time"),
                                                 _nonneg(downtime, "downtime", "time")), "time").to("hour")


def calc_expected_distinct_units(units: int, events: int):
    """n (1 - (1 - 1/n)^k): distinct units expected among k independent, uniformly spread failures (Feller 1968)."""
    return make(k.expected_distinct_units(_int(units, "units"), checks.nonneg(events, "events")), "count")
