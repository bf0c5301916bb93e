"""Formula kernels: each equation of mlsysim once, on plain floats.

Units inside are the canonical ones of ``mlsysim.core.units.KINDS``: flop,
byte, second, flop/s, byte/s, W, J, gCO2e/J, L/J, USD. The public,
unit-checked versions of these functions are in ``mlsysim.physics.formulas``;
solvers and sweeps call these kernels directly so that a slider move or a
search over thousands of configurations pays no unit arithmetic.
"""

from __future__ import annotations

import math

# ---------------------------------------------------------------------------
# Workload arithmetic
# ---------------------------------------------------------------------------


def weight_bytes(parameters: float, bytes_per_value: float) -> float:
    """Bytes of weights: parameters x bytes per value."""
    return parameters * bytes_per_value


def inference_flops_per_token(parameters: float) -> float:
    """Forward compute per token of a Transformer, 2P (Kaplan et al. 2020, "Scaling Laws", Table 1).

    One multiply and one add per parameter per token; attention's
    sequence-dependent term is left out, as in the paper.
    """
    return 2.0 * parameters


def transformer_training_flops(parameters: float, tokens: float) -> float:
    """Training compute C = 6PD (Kaplan et al. 2020, Sec. 2.1; Hoffmann et al. 2022, "Chinchilla").

    2PD for the forward pass and 4PD for the backward pass.
    """
    return 6.0 * parameters * tokens


def kv_cache_bytes(layers: int, kv_heads: int, head_dim: int, seq_len: float, batch: float, bytes_per_value: float) -> float:
    """KV cache = 2 (K and V) x layers x kv_heads x head_dim x seq_len x batch x bytes.

    Exact for standard and grouped-query attention (Ainslie et al. 2023, GQA:
    K/V projections shared by groups of query heads, so kv_heads < heads).
    """
    return 2.0 * layers * kv_heads * head_dim * seq_len * batch * bytes_per_value


def activation_memory_bytes(
    seq_len: float,
    batch: float,
    hidden: float,
    heads: float,
    layers: float,
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    recompute: str = "none",
) -> float:
    """Activation memory of a Transformer's layers in training, 16-bit activations.

    Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
    Transformer Models", per layer (s = sequence, b = batch, h = hidden,
    a = heads, t = tensor-parallel size):
      no parallelism:               s b h (34 + 5 a s / h)            (Eq. 1)
      tensor parallel:              s b h (10 + 24/t + 5 a s / (h t))  (Eq. 2)
      tensor + sequence parallel:   s b h / t (34 + 5 a s / h)         (Eq. 4)
      selective recompute (+SP):    34 s b h / t                       (Sec. 5)
      full recompute:               2 s b h  (only each layer's input is kept)
    """
    sbh = seq_len * batch * hidden
    t = tensor_parallel
    if recompute == "full":
        per_layer = 2.0 * sbh
    elif recompute == "selective":
        if t == 1 or sequence_parallel:
            per_layer = 34.0 * sbh / t
        else:
            per_layer = sbh * (10.0 + 24.0 / t)
    elif t == 1:
        per_layer = sbh * (34.0 + 5.0 * heads * seq_len / hidden)
    elif sequence_parallel:
        per_layer = sbh / t * (34.0 + 5.0 * heads * seq_len / hidden)
    else:
        per_layer = sbh * (10.0 + 24.0 / t + 5.0 * heads * seq_len / (hidden * t))
    return per_layer * layers


def moe_experts_touched(experts: int, experts_per_token: int, tokens: float) -> float:
    """Expected distinct experts one MoE layer reads for ``tokens`` tokens under uniform routing.

    Each token picks k of E experts; an expert is missed by one token with
    probability 1 - k/E, by all n tokens with (1 - k/E)^n, so the expected count
    touched is E (1 - (1 - k/E)^n). One token reads exactly k experts; a large
    batch reads all E (Shazeer et al. 2017; Jiang et al. 2024, Mixtral).
    """
    return experts * (1.0 - (1.0 - experts_per_token / experts) ** tokens)


def adam_state_bytes_per_parameter() -> float:
    """Mixed-precision Adam keeps an fp32 master copy, momentum and variance: 12 bytes per parameter.

    Rajbhandari et al. 2020, "ZeRO", Sec. 3.1 (K = 12).
    """
    return 12.0


# ---------------------------------------------------------------------------
# Roofline
# ---------------------------------------------------------------------------


def effective_flops(peak_flops: float, efficiency: float) -> float:
    """Achievable compute rate = peak x efficiency (efficiency in (0, 1])."""
    return peak_flops * efficiency


def arithmetic_intensity(ops: float, nbytes: float) -> float:
    """Operations per byte moved (Williams et al. 2009). Infinite when nothing moves."""
    return ops / nbytes if nbytes > 0 else math.inf


def ridge_point(peak_flops: float, bandwidth: float) -> float:
    """Intensity at which the compute and memory ceilings meet: peak / bandwidth (Williams et al. 2009)."""
    return peak_flops / bandwidth


def attainable_flops(intensity: float, peak_flops: float, bandwidth: float) -> float:
    """The roofline: attainable rate = min(peak, intensity x bandwidth) (Williams et al. 2009, Eq. 1)."""
    memory_ceiling = intensity * bandwidth
    return memory_ceiling if memory_ceiling < peak_flops else peak_flops


def roofline_parts(ops: float, nbytes: float, flops: float, bandwidth: float) -> tuple[float, float, float]:
    """The iron law of one kernel, with its two sides: (max(compute, memory), compute, memory).

    compute = ops / rate, memory = bytes / bandwidth; they overlap perfectly and
    the slower one binds (Williams et al. 2009). ``flops`` is the effective rate
    (peak x efficiency); a rate of 0 (no arithmetic in that precision) takes forever.
    """
    compute = ops / flops if flops > 0 else math.inf
    memory = nbytes / bandwidth
    return (compute if compute > memory else memory), compute, memory


def roofline_time(ops: float, nbytes: float, flops: float, bandwidth: float) -> float:
    """The iron law of one kernel: time = max(ops / rate, bytes / bandwidth) (Williams et al. 2009)."""
    return roofline_parts(ops, nbytes, flops, bandwidth)[0]


# ---------------------------------------------------------------------------
# Communication and parallelism
# ---------------------------------------------------------------------------


def ring_allreduce_time(message_bytes: float, workers: int, bandwidth: float, latency: float) -> float:
    """Ring all-reduce in the alpha-beta model: 2(N-1) alpha + 2 (N-1)/N x M / beta.

    Reduce-scatter then all-gather, each N-1 steps moving M/N bytes
    (Patarasuk & Yuan 2009; Thakur, Rabenseifner & Gropp 2005). Zero for N = 1.
    """
    if workers <= 1:
        return 0.0
    n = workers
    return 2.0 * (n - 1) * latency + 2.0 * (n - 1) / n * message_bytes / bandwidth


def tree_allreduce_time(message_bytes: float, workers: int, bandwidth: float, latency: float) -> float:
    """Binary-tree all-reduce (reduce then broadcast, unpipelined): 2 log2(N) (alpha + M / beta).

    Thakur, Rabenseifner & Gropp 2005, Sec. 4. Latency-optimal for small
    messages; bandwidth-poor for large ones. Zero for N = 1.
    """
    if workers <= 1:
        return 0.0
    return 2.0 * math.ceil(math.log2(workers)) * (latency + message_bytes / bandwidth)


def all_to_all_time(message_bytes: float, workers: int, bandwidth: float, latency: float) -> float:
    """Pairwise all-to-all: (N-1) alpha + (N-1)/N x M / beta, M = bytes each worker holds.

    Each worker sends (N-1)/N of its data (Thakur et al. 2005, Sec. 4). Zero for N = 1.
    """
    if workers <= 1:
        return 0.0
    n = workers
    return (n - 1) * latency + (n - 1) / n * message_bytes / bandwidth


def point_to_point_time(message_bytes: float, bandwidth: float, latency: float) -> float:
    """One message in the alpha-beta model: alpha + M / beta (Hockney 1994)."""
    return latency + message_bytes / bandwidth


def pipeline_bubble_fraction(stages: int, microbatches: int, virtual_stages: int = 1) -> float:
    """Fraction of a pipelined step spent idle: (P-1) / (V M + P - 1).

    1F1B schedule with P stages and M micro-batches has a bubble of (P-1)
    micro-batch slots against M of work (Huang et al. 2019, GPipe; Narayanan
    et al. 2019, PipeDream); interleaving V virtual stages per device shrinks
    each slot by V (Narayanan et al. 2021, Megatron-LM, Sec. 2.2.2).
    """
    p, m, v = stages, microbatches, virtual_stages
    return (p - 1) / (v * m + p - 1)


def amdahl_speedup(parallel_fraction: float, workers: float) -> float:
    """Amdahl's law: 1 / ((1 - f) + f / N) (Amdahl 1967)."""
    return 1.0 / ((1.0 - parallel_fraction) + parallel_fraction / workers)


# ---------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------


def series_mtbf(*component_mtbfs: float) -> float:
    """MTBF of components in series with exponential failures: 1 / sum(1 / MTBF_i).

    Any one failing fails the whole; failure rates add.
    """
    return 1.0 / sum(1.0 / m for m in component_mtbfs)


def fleet_mtbf(node_mtbf: float, nodes: float) -> float:
    """MTBF of N identical nodes, any one of which stops the job: MTBF_node / N."""
    return node_mtbf / nodes


def failure_probability(duration: float, mtbf: float) -> float:
    """Probability of at least one failure in ``duration``: 1 - exp(-t / MTBF) (exponential failures)."""
    return 1.0 - math.exp(-duration / mtbf)


def young_daly_interval(checkpoint_time: float, mtbf: float) -> float:
    """Optimal time between checkpoints, sqrt(2 delta M).

    Young 1974, "A first order approximation to the optimum checkpoint
    interval"; Daly 2006 (first-order term). delta = time to write one
    checkpoint, M = MTBF of the whole job.
    """
    return math.sqrt(2.0 * checkpoint_time * mtbf)


def checkpoint_waste_fraction(interval: float, checkpoint_time: float, mtbf: float, restart_time: float = 0.0) -> float:
    """Expected fraction of time lost to checkpoints and failures (first order).

    Writing costs delta / tau; each failure (rate 1/M) loses on average half an
    interval of work plus the restart: (tau / 2 + R) / M (Daly 2006, Eq. 7 to
    first order). Capped at 1.
    """
    waste = checkpoint_time / interval + (interval / 2.0 + restart_time) / mtbf
    return waste if waste < 1.0 else 1.0


def stacked_availability(*availabilities: float) -> float:
    """Availability of layers in series (all must be up): product of their availabilities."""
    out = 1.0
    for a in availabilities:
        out *= a
    return out


def checkpoint_bytes(parameters: float, weight_bytes_per_parameter: float = 2.0, optimizer_bytes_per_parameter: float = 12.0) -> float:
    """Checkpoint size: weights plus optimizer state, P x (b_w + b_opt).

    Mixed-precision Adam: 2-byte weights + 12 bytes of fp32 master weights,
    momentum and variance (Rajbhandari et al. 2020, ZeRO, Sec. 3.1) = 14 B/param.
    """
    return parameters * (weight_bytes_per_parameter + optimizer_bytes_per_parameter)


# ---------------------------------------------------------------------------
# Scaling laws
# ---------------------------------------------------------------------------

CHINCHILLA_TOKENS_PER_PARAMETER = 20.0  # Hoffmann et al. 2022, Table 3 (approximately 20 tokens per parameter)


def chinchilla_optimal(compute: float, tokens_per_parameter: float = CHINCHILLA_TOKENS_PER_PARAMETER) -> tuple[float, float]:
    """Compute-optimal (parameters, tokens) for a budget C with C = 6PD and D = rP.

    C = 6 P (r P) = 6 r P^2, so P* = sqrt(C / (6 r)), D* = r P* (Hoffmann et al. 2022).
    """
    parameters = math.sqrt(compute / (6.0 * tokens_per_parameter))
    return parameters, tokens_per_parameter * parameters


def chinchilla_loss(parameters: float, tokens: float, e: float = 1.69, a: float = 406.4, b: float = 410.7, alpha: float = 0.34, beta: float = 0.28) -> float:
    """Parametric loss L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, Eq. 10, fitted values)."""
    return e + a / parameters**alpha + b / tokens**beta


# ---------------------------------------------------------------------------
# Energy, carbon, water, money
# ---------------------------------------------------------------------------


def energy(power: float, duration: float) -> float:
    """Energy = power x time (J = W x s)."""
    return power * duration


def facility_energy(it_energy: float, pue: float) -> float:
    """Facility energy = IT energy x PUE (The Green Grid 2007, PUE definition)."""
    return it_energy * pue


def carbon(energy_j: float, carbon_intensity: float) -> float:
    """Operational emissions = energy x grid carbon intensity (gCO2e = J x gCO2e/J)."""
    return energy_j * carbon_intensity


def water(energy_j: float, water_intensity: float) -> float:
    """Water consumed = energy x WUE (L = J x L/J; The Green Grid 2011, WUE)."""
    return energy_j * water_intensity


def energy_cost(energy_j: float, price: float) -> float:
    """Electricity cost = energy x price (USD = J x USD/J)."""
    return energy_j * price


def straight_line_amortization(capex: float, lifetime: float, duration: float) -> float:
    """Share of a purchase price consumed by ``duration`` of a ``lifetime`` (straight-line depreciation)."""
    return capex * duration / lifetime


# ---------------------------------------------------------------------------
# Distributed training: parallelism, sharded state, communication volumes
# ---------------------------------------------------------------------------


def hierarchical_allreduce_time(
    message_bytes: float, local: int, nodes: int, intra_bandwidth: float, intra_latency: float, inter_bandwidth: float, inter_latency: float
) -> float:
    """Two-level all-reduce: reduce-scatter inside each node, all-reduce across nodes, all-gather inside.

    With L workers per node on a fast link and each worker owning a NIC,
    the in-node reduce-scatter and all-gather move 2 (L-1)/L x M over the
    scale-up link (2 (L-1) alpha), and the L shards of M / L are all-reduced
    across the ``nodes`` nodes in parallel rings, one per local rank:
    2 (L-1) a_in + 2 (L-1)/L M / B_in + ring_allreduce(M / L, nodes, B_out, a_out)
    (Jia et al. 2018, "Highly Scalable Deep Learning Training System with
    Mixed-Precision", Sec. 3.3; the alpha-beta terms of Thakur et al. 2005).
    Reduces to a plain ring when L = 1 or nodes = 1.
    """
    in_node = 0.0
    if local > 1:
        in_node = 2.0 * (local - 1) * intra_latency + 2.0 * (local - 1) / local * message_bytes / intra_bandwidth
    return in_node + ring_allreduce_time(message_bytes / local, nodes, inter_bandwidth, inter_latency)


def tensor_parallel_comm_time(layers: float, tokens: float, hidden: float, bytes_per_value: float, tp: int, bandwidth: float, latency: float) -> float:
    """Megatron tensor parallelism: 4 all-reduces of the activations per layer per (micro)batch.

    Each Transformer layer's attention and MLP blocks end in one all-reduce of
    the b x s x h activations in the forward pass (operator g) and one in the
    backward pass (operator f): 2 forward + 2 backward per layer (Shoeybi et al.
    2019, "Megatron-LM", Sec. 3 and Fig. 4; Narayanan et al. 2021, Sec. 3.2).
    With sequence parallelism the all-reduce becomes a reduce-scatter plus an
    all-gather of the same volume (Korthikanti et al. 2022, Sec. 4.2.2).
    ``tokens`` = micro-batch x sequence length. Zero for tp = 1.
    """
    if tp <= 1:
        return 0.0
    return 4.0 * layers * ring_allreduce_time(tokens * hidden * bytes_per_value, tp, bandwidth, latency)


def expert_parallel_comm_time(layers: float, tokens: float, hidden: float, bytes_per_value: float, experts_per_token: int, ep: int, bandwidth: float, latency: float) -> float:
    """Expert parallelism: 4 all-to-alls per MoE layer per (micro)batch.

    Tokens are dispatched to their experts and combined back, once in the
    forward and once in the backward pass; each worker sends its tokens'
    hidden states k times (top-k routing) (Lepikhin et al. 2021, "GShard",
    Sec. 2.2; Fedus et al. 2022, "Switch Transformers", Sec. 2.2). Zero for ep = 1.
    """
    if ep <= 1:
        return 0.0
    return 4.0 * layers * all_to_all_time(tokens * hidden * bytes_per_value * experts_per_token, ep, bandwidth, latency)


def pipeline_p2p_time(microbatches: float, virtual_stages: int, message_bytes: float, bandwidth: float, latency: float) -> float:
    """Pipeline point-to-point traffic per stage per step: 2 V M messages of one micro-batch's activations.

    Each micro-batch crosses every stage boundary once forward (activations)
    and once backward (their gradients); interleaving with V virtual stages
    crosses V times as many boundaries (Narayanan et al. 2021, Sec. 2.2.2 and
    Sec. 3.3). Alpha-beta cost per message (Hockney 1994).
    """
    return 2.0 * virtual_stages * microbatches * point_to_point_time(message_bytes, bandwidth, latency)


def pipeline_activation_factor(stages: int, microbatches: int, virtual_stages: int = 1) -> float:
    """Micro-batches of one stage's activations the first stage holds at once under 1F1B.

    1F1B keeps at most P micro-batches in flight on the first stage (min(P, M));
    interleaving with V virtual stages multiplies that by 1 + (P-1) / (P V)
    (Narayanan et al. 2021, Sec. 2.2; Korthikanti et al. 2022, Sec. 4.2.3).
    So with L / P layers per stage, the first stage stores about L layers' worth.
    """
    in_flight = stages if stages < microbatches else microbatches
    if virtual_stages > 1:
        return in_flight * (1.0 + (stages - 1) / (stages * virtual_stages))
    return float(in_flight)


def zero_memory_bytes(parameters: float, weight_bytes_per_parameter: float, grad_bytes_per_parameter: float, optimizer_bytes_per_parameter: float, dp: int, stage: int) -> tuple[float, float, float]:
    """(weights, gradients, optimizer state) per data-parallel worker under ZeRO stage 0-3.

    Rajbhandari et al. 2020, "ZeRO", Sec. 5 and Fig. 1, with Psi parameters and
    N_d data-parallel workers: stage 1 partitions the optimizer state (K Psi / N_d),
    stage 2 also the gradients, stage 3 also the weights; stage 0 is plain data
    parallelism (everything replicated).
    """
    w = parameters * weight_bytes_per_parameter
    g = parameters * grad_bytes_per_parameter
    o = parameters * optimizer_bytes_per_parameter
    if stage >= 1:
        o /= dp
    if stage >= 2:
        g /= dp
    if stage >= 3:
        w /= dp
    return w, g, o


def zero_communication_factor(stage: int) -> float:
    """Data-parallel traffic of ZeRO relative to a plain all-reduce of the gradients.

    Stages 1 and 2 replace the all-reduce by a reduce-scatter and an
    all-gather of the same total volume (2 Psi); stage 3 adds one more
    all-gather of the weights (3 Psi, 1.5x) (Rajbhandari et al. 2020, Sec. 7).
    """
    return 1.5 if stage >= 3 else 1.0


def model_flops_utilization(model_flops: float, duration: float, peak_flops: float) -> float:
    """MFU: model FLOPs achieved per second / peak FLOP/s of all devices (Chowdhery et al. 2022, App. B)."""
    return model_flops / duration / peak_flops


def exposed_communication(comm_time: float, overlappable_compute: float, overlap_efficiency: float) -> float:
    """Communication left on the critical path when it overlaps compute: max(0, T_comm - eta T_compute).

    Gradient all-reduce runs in buckets during the backward pass (Li et al.
    2020, "PyTorch Distributed", Sec. 3.2.3); eta is the fraction of that compute
    time the communication can actually hide behind.
    """
    hidden = overlap_efficiency * overlappable_compute
    return comm_time - hidden if comm_time > hidden else 0.0


# ---------------------------------------------------------------------------
# Power, money and failures at fleet scale
# ---------------------------------------------------------------------------


def utilization_power(peak_power: float, utilization: float, idle_fraction: float) -> float:
    """Linear power model P(u) = P_idle + (P_peak - P_idle) u, with P_idle = f_idle P_peak.

    Fan, Weber & Barroso 2007, "Power Provisioning for a Warehouse-sized
    Computer", Sec. 4.1 (measured server power is close to linear in
    utilisation). u = 1 gives the peak (TDP), u = 0 the idle power.
    """
    return peak_power * (idle_fraction + (1.0 - idle_fraction) * utilization)


def annual_fraction_cost(capex: float, annual_fraction: float, duration: float, year: float = 365.25 * 86400.0) -> float:
    """A yearly cost quoted as a fraction of the purchase price, for ``duration``: capex x f x t / year.

    The usual form of hardware maintenance and support contracts in TCO models
    (Barroso, Hoelzle & Ranganathan 2018, "The Datacenter as a Computer", 3rd ed., Ch. 6).
    """
    return capex * annual_fraction * duration / year


def rental_cost(hourly_rate: float, accelerators: float, duration: float) -> float:
    """Cloud rental = price per accelerator-second x accelerators x time (USD = USD/s x count x s)."""
    return hourly_rate * accelerators * duration


def expected_failures(duration: float, mtbf: float) -> float:
    """Expected number of failures in ``duration`` for a constant failure rate: t / MTBF."""
    return duration / mtbf


def checkpoint_write_time(checkpoint_bytes_: float, bandwidth: float) -> float:
    """Time to write one checkpoint: size / storage write bandwidth (alpha-beta, latency ignored)."""
    return checkpoint_bytes_ / bandwidth


def tensor_parallel_inference_comm_time(layers: float, tokens: float, hidden: float, bytes_per_value: float, tp: int, bandwidth: float, latency: float) -> float:
    """Megatron tensor parallelism in inference: 2 all-reduces of the activations per layer per forward pass.

    Forward only: one all-reduce after the attention block and one after the
    MLP (Shoeybi et al. 2019, Sec. 3; Pope et al. 2022, "Efficiently Scaling
    Transformer Inference", Sec. 3.2). ``tokens`` = tokens in the pass (batch
    for one decode step, batch x prompt for prefill). Zero for tp = 1.
    """
    if tp <= 1:
        return 0.0
    return 2.0 * layers * ring_allreduce_time(tokens * hidden * bytes_per_value, tp, bandwidth, latency)


def request_latency(ttft: float, itl: float, output_tokens: float) -> float:
    """End-to-end latency of one generation request: TTFT + output tokens x ITL.

    The prompt is processed once (time to first token), then each further
    token costs one decode step (Pope et al. 2022, Sec. 2; the usual serving
    metric decomposition, e.g. Agrawal et al. 2024, "Sarathi-Serve", Sec. 2).
    """
    return ttft + output_tokens * itl


# --- Labs: fault tolerance ---


def checkpoint_goodput(interval: float, checkpoint_time: float, mtbf: float, restart_time: float = 0.0) -> float:
    """Fraction of wall-clock time spent on useful work: 1 - waste.

    waste = delta / tau + (tau / 2 + R) / M, capped at 1 (Daly 2006, "A higher
    order estimate of the optimum checkpoint interval", Eq. 7 to first order),
    so goodput is largest at tau = sqrt(2 delta M) (Young 1974) and never negative.
    """
    return 1.0 - checkpoint_waste_fraction(interval, checkpoint_time, mtbf, restart_time)


# --- Labs: own or rent ---


def owned_cumulative_cost(upfront: float, running_rate: float, elapsed: float) -> float:
    """Cumulative cost of owning: the purchase paid up front plus running costs accrued, C0 + r t.

    The cash-flow view of a TCO comparison (Barroso, Hoelzle & Ranganathan 2018,
    "The Datacenter as a Computer", 3rd ed., Ch. 6): capital is spent on day one,
    power and maintenance accrue with time.
    """
    return upfront + running_rate * elapsed


def utilised_rental_cost(hourly_rate: float, accelerators: float, duration: float, utilization: float) -> float:
    """On-demand rental billed only for the hours used: rate x N x t x u (pay-as-you-go cloud pricing)."""
    return rental_cost(hourly_rate, accelerators, duration * utilization)


def break_even_time(upfront: float, own_running_rate: float, rent_rate: float) -> float:
    """When owning's cumulative cost falls to renting's: C0 + r_own t = r_rent t, so t* = C0 / (r_rent - r_own).

    Infinite when renting costs no more per unit time than running owned
    hardware (owning never catches up). Same source as ``owned_cumulative_cost``.
    """
    margin = rent_rate - own_running_rate
    return upfront / margin if margin > 0 else math.inf
