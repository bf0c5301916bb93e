"""Formula kernels: each equation of mlsysim once, on plain floats.

Units inside are the canonical ones of ``mlsysim.core.units.KINDS``: flop,
byte, second, flop/s, byte/s, W, J, gCO2e/J, L/J, USD. The public,
unit-checked versions of these functions are in ``mlsysim.physics.formulas``;
solvers and sweeps call these kernels directly so that a slider move or a
search over thousands of configurations pays no unit arithmetic.

Why one long module: the project's rule is that every equation lives exactly once,
here, so a reader (or a reviewer hunting a duplicate) has one place to look. It is
sectioned instead of split: the engine's first walls (workload arithmetic, roofline,
communication, reliability, scaling, energy and money, distributed training, fleet
scale), then one section per later wall ("# --- Wall N: Name ---") and per lab
topic ("# --- Labs: topic ---"). Search for the header to find a wall's equations.
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


def attention_flops_per_token(layers: float, context: float, attention_width: float) -> float:
    """Forward attention compute per token that 2P leaves out: 4 n_layer n_ctx d_attn.

    Per layer a token's query is multiplied with ``context`` keys (QK^T) and the
    scores with as many values (AV), each context x d_attn multiply-adds, so
    2 x 2 x context x d_attn FLOPs (Narayanan et al. 2021, "Efficient Large-Scale
    Language Model Training on GPU Clusters Using Megatron-LM", Sec. 5.1: the
    attention term of 96 B s l h^2 (1 + s/6h + ...) is 4 B s^2 h per layer per pass).
    ``context`` is the number of keys attended to: the full window n_ctx for a
    training sequence as dense kernels compute it (Megatron's convention); n_ctx/2
    for the useful causal work, which gives Kaplan et al. 2020 ("Scaling Laws",
    Table 1) 2 n_layer n_ctx d_attn; the prefix length for one decode step.
    ``attention_width`` is d_attn = heads x head_dim.
    """
    return 4.0 * layers * context * attention_width


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


def training_passes(full_recompute: bool = False) -> float:
    """Forward-pass equivalents of one training step: 3 (forward 1 + backward 2), 4 with full recomputation.

    The backward pass costs twice the forward (Kaplan et al. 2020, Sec. 2.1:
    C = 2PD forward + 4PD backward); full activation recomputation runs the
    forward pass once more before the backward (Korthikanti et al. 2022, Sec. 5).
    """
    return 4.0 if full_recompute else 3.0


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


def arithmetic_intensities(ops: list, nbytes: list) -> list:
    """``arithmetic_intensity`` element by element over two lists (a sweep's columns), without a call per element."""
    return [o / n if n > 0 else math.inf for o, n in zip(ops, nbytes)]


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


def pipeline_bubble_time(busy_time: float, bubble_fraction: float) -> float:
    """Idle time of a pipelined step whose stages are busy ``busy_time``: T x f / (1 - f).

    The bubble fraction f is of the whole step (``pipeline_bubble_fraction``), so
    step = busy + bubble with bubble = f x step, i.e. bubble = busy x f / (1 - f)
    (Narayanan et al. 2021, Megatron-LM, Sec. 2.2.1). f < 1 for any M >= 1.
    """
    return busy_time * bubble_fraction / (1.0 - bubble_fraction)


def moe_expert_split(total_parameters: float, active_parameters: float, experts: int, experts_per_token: int) -> tuple[float, float]:
    """(shared parameters, parameters of one expert) of a Mixture-of-Experts model.

    total = shared + E x per_expert and active = shared + k x per_expert, so
    per_expert = (total - active) / (E - k) and shared = total - E x per_expert
    (Shazeer et al. 2017; Fedus et al. 2022). Needs E > k; a dense model is
    (total, 0).
    """
    if experts <= experts_per_token:
        return total_parameters, 0.0
    per_expert = (total_parameters - active_parameters) / (experts - experts_per_token)
    return total_parameters - experts * per_expert, per_expert


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
    """Probability of at least one failure in ``duration``: 1 - exp(-t / MTBF) (exponential failures),
    the Poisson count's chance of being nonzero at mean t / MTBF (``poisson_at_least_one``)."""
    return poisson_at_least_one(duration / mtbf)


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
    waste = checkpoint_overhead_fraction(checkpoint_time, interval) + failure_loss_fraction(interval, mtbf, restart_time)
    return waste if waste < 1.0 else 1.0


def checkpoint_overhead_fraction(checkpoint_time: float, interval: float) -> float:
    """Share of time spent writing checkpoints: delta / tau (Young 1974; Daly 2006)."""
    return checkpoint_time / interval


def failure_loss_fraction(interval: float, mtbf: float, restart_time: float = 0.0) -> float:
    """Share of time lost to failures: (tau / 2 + R) / M.

    A failure, at rate 1/M, loses on average half an interval of work since the
    last checkpoint plus the restart time R (Daly 2006, Eq. 7, first order).
    """
    return (interval / 2.0 + restart_time) / mtbf


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


# --- Wall 20: Safety ---


def per_example_gradient_bytes(batch: float, parameters: float, bytes_per_value: float) -> float:
    """Extra memory of DP-SGD's per-example gradients: batch x parameters x bytes.

    DP-SGD clips each example's gradient before averaging (Abadi et al. 2016,
    Algorithm 1), so a vectorised implementation holds one gradient per example
    of the batch at once (Yousefpour et al. 2021, "Opacus", Sec. 3) instead of
    the one summed gradient of plain SGD.
    """
    return batch * parameters * bytes_per_value


def _log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow."""
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


def subsampled_gaussian_rdp(sample_rate: float, noise_multiplier: float, order: int) -> float:
    """Renyi DP of one step of the Poisson-subsampled Gaussian mechanism at an integer order alpha >= 2.

    Mironov, Talwar & Zhang 2019, "Renyi Differential Privacy of the Sampled
    Gaussian Mechanism", Sec. 3.3: for integer alpha the RDP is exactly
    log(A_alpha) / (alpha - 1), with the binomial expansion
    A_alpha = sum_k C(alpha, k) (1-q)^(alpha-k) q^k exp((k^2 - k) / (2 sigma^2)),
    summed here as a log-sum-exp so large orders do not overflow. q = 1 is the
    plain Gaussian mechanism, alpha / (2 sigma^2) (Mironov 2017, Prop. 7).
    """
    q, a = sample_rate, order
    half_inv_s2 = 0.5 / (noise_multiplier * noise_multiplier)
    if q >= 1.0:
        return a * half_inv_s2
    log_1q = math.log1p(-q)
    ratio = math.log(q) - log_1q
    lg = math.lgamma
    lg_a = lg(a + 1.0)
    terms = [lg_a - lg(k + 1.0) - lg(a - k + 1.0) + k * ratio + (k * k - k) * half_inv_s2 for k in range(a + 1)]
    top = max(terms)
    exp = math.exp
    log_a = a * log_1q + top + math.log(sum([exp(t - top) for t in terms]))
    return log_a / (a - 1)


def rdp_to_epsilon(rdp: float, order: int, delta: float) -> float:
    """(epsilon, delta)-DP from RDP at order alpha: epsilon = rdp + log(1/delta) / (alpha - 1).

    Mironov 2017, "Renyi Differential Privacy", Prop. 3 (the standard conversion).
    """
    return rdp + math.log(1.0 / delta) / (order - 1)


def dp_sgd_epsilon(sample_rate: float, noise_multiplier: float, steps: float, delta: float, max_order: int = 256) -> tuple[float, int]:
    """Privacy budget of DP-SGD: (epsilon, best order) after ``steps`` steps, minimised over integer orders.

    RDP composes additively over steps (Mironov 2017, Prop. 1), so at order alpha
    the run has steps x rdp(alpha); epsilon = min over alpha in 2..max_order of the
    conversion ``rdp_to_epsilon``. epsilon(alpha) is the slope from the point
    (1, -log(1/delta)) to the convex curve (alpha - 1) x steps x RDP(alpha)
    (RDP's (alpha-1)-scaled log-moment is convex in alpha), so it falls, then
    rises: the search starts where the small-q bound RDP ~ q^2 alpha / sigma^2
    (Abadi et al. 2016, Lemma 3) puts the minimum, alpha - 1 = sqrt(log(1/delta)
    sigma^2 / (steps q^2)), brackets it by doubling steps downhill, and narrows
    the bracket by ternary search; a dozen orders are evaluated instead of all.
    """
    seen: dict[int, float] = {}

    def eps(a: int) -> float:
        if a not in seen:
            seen[a] = rdp_to_epsilon(steps * subsampled_gaussian_rdp(sample_rate, noise_multiplier, a), a, delta)
        return seen[a]

    guess = 1.0 + math.sqrt(math.log(1.0 / delta) * noise_multiplier**2 / (steps * sample_rate**2))
    start = int(min(max(round(guess), 2), max_order))
    lo, hi = start, start
    if start < max_order and eps(start + 1) < eps(start):  # downhill to the right
        step = 1
        while hi < max_order and eps(min(hi + step, max_order)) < eps(hi):
            lo, hi = hi, min(hi + step, max_order)
            step *= 2
        hi = min(hi + step, max_order)
    else:  # downhill to the left (or flat)
        step = 1
        while lo > 2 and eps(max(lo - step, 2)) < eps(lo):
            hi, lo = lo, max(lo - step, 2)
            step *= 2
        lo = max(lo - step, 2)
    while hi - lo > 2:
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if eps(m1) <= eps(m2):
            hi = m2
        else:
            lo = m1
    best = min(range(lo, hi + 1), key=eps)
    return eps(best), best


def adversarial_training_factor(pgd_steps: int) -> float:
    """Compute of adversarial training relative to plain training: k + 1 for k PGD steps.

    Each PGD step is one forward and backward pass to the input; the weight
    update is one more (Madry et al. 2018, "Towards Deep Learning Models
    Resistant to Adversarial Attacks", Sec. 3-5; the K+1 count is stated in
    Shafahi et al. 2019, "Adversarial Training for Free!", Sec. 1).
    """
    return pgd_steps + 1.0


# --- Wall 13: Fidelity ---


def quantized_weight_bytes(parameters: float, bits: float) -> float:
    """Weights stored at ``bits`` per value: P x bits / 8 (packed; scales and zero points left out).

    Group-wise formats add one fp16 scale per group of g weights, 16 / g bits per
    weight (0.125 bits at g = 128; Frantar et al. 2023, "GPTQ", Sec. 5).
    """
    return parameters * bits / 8.0


def two_four_sparse_weight_bytes(parameters: float, bits: float) -> float:
    """2:4 structured sparsity stores the 2 kept values of every 4 plus a 2-bit index each.

    P/2 x (bits + 2) / 8 bytes (NVIDIA A100 Tensor Core GPU Architecture whitepaper,
    2020, "Fine-Grained Structured Sparsity"; Mishra et al. 2021, "Accelerating Sparse
    Deep Neural Networks", Sec. 3): 9 of 16 bits per fp16 weight, 56%.
    """
    return parameters / 2.0 * (bits + 2.0) / 8.0


# --- Diffusion workloads ---


def guidance_passes(classifier_free_guidance: bool) -> float:
    """Backbone passes per latent per step: 2 with classifier-free guidance, else 1.

    Ho & Salimans 2022, "Classifier-Free Diffusion Guidance", Algorithm 2: each
    step evaluates the model with and without the condition and mixes them.
    """
    return 2.0 if classifier_free_guidance else 1.0


def diffusion_image_flops(steps: float, backbone_flops: float, passes: float, text_flops: float, vae_flops: float) -> float:
    """Compute per generated image: steps x passes x backbone + passes x text encoder + VAE decoder.

    The denoiser runs every step (Ho et al. 2020, DDPM, Algorithm 2; Rombach et
    al. 2022, latent diffusion), the prompt (and, with guidance, the empty
    negative prompt) is encoded once, and the final latent is decoded once.
    """
    return steps * passes * backbone_flops + passes * text_flops + vae_flops


# --- Wall 12: Reasoning ---


def test_time_flops(active_parameters: float, prompt_tokens: float, generated_tokens: float, samples: float, shared_prompt: bool = True) -> float:
    """Inference compute of one query that samples N answers of ``generated_tokens`` each.

    2P per token (Kaplan et al. 2020, Table 1) over the prompt (once when the N samples
    share its KV cache, else N times) and over N x (reasoning + answer) tokens: the
    test-time compute of best-of-N and self-consistency (Wang et al. 2023) that Snell
    et al. 2024, "Scaling LLM Test-Time Compute Optimally", Sec. 7, matches against
    pre-training compute.
    """
    prompt = prompt_tokens if shared_prompt else samples * prompt_tokens
    return inference_flops_per_token(active_parameters) * (prompt + samples * generated_tokens)


def compute_matched_samples(big_active_parameters: float, small_active_parameters: float, big_samples: float) -> float:
    """Samples a small model can draw for the compute of ``big_samples`` from a big one.

    At 2P flops per token and equal tokens per sample, compute is proportional to
    P x samples, so N_small = N_big x P_big / P_small (Snell et al. 2024, Sec. 7,
    FLOPs-matched comparison of a smaller model with more test-time compute).
    """
    return big_samples * big_active_parameters / small_active_parameters


# --- Wall 3: Software ---


def table_efficiency(points: list, size: float) -> float:
    """Efficiency of an operation of ``size`` from a size-ordered table [[size, efficiency], ...].

    The entry with the largest size <= ``size`` applies (a step function starting at size 0),
    as Calculon's processor model reads its gflops_efficiency / MB_efficiency tables
    (Isaev et al. 2023, "Calculon", Sec. 3; calculon-ai/calculon, systems/*.json).
    """
    eff = points[0][1]
    for threshold, value in points:
        if size >= threshold:
            eff = value
        else:
            break
    return eff


def gemm_flops(m: float, n: float, k: float, batch: float = 1.0) -> float:
    """Work of a (batched) GEMM C[m,n] = A[m,k] B[k,n]: 2 m n k per matrix (one multiply and one add)."""
    return 2.0 * batch * m * n * k


def gemm_bytes(m: float, n: float, k: float, bytes_per_value: float, batch: float = 1.0) -> float:
    """Minimum traffic of a GEMM: read A and B once, write C once, (mk + kn + mn) values per matrix."""
    return batch * (m * k + k * n + m * n) * bytes_per_value


def launch_overhead(kernels: float, launch_time: float) -> float:
    """Framework overhead of a step: kernels launched x cost per launch.

    A GPU step issues one launch per kernel from the host (NVIDIA CUDA C++ Programming
    Guide, "CUDA Graphs": the per-kernel setup "is an overhead cost which must be paid for
    each kernel"); fusion and compilation lower the count, CUDA graphs the cost per launch.
    """
    return kernels * launch_time


# --- Wall 22: Synthesis ---


def required_flops(ops: float, target_time: float, efficiency: float) -> float:
    """The iron law solved for the peak: ops / (peak x eff) <= T  =>  peak >= ops / (T x eff).

    Williams, Waterman & Patterson 2009's roofline, read backwards: the least dense
    peak that finishes ``ops`` in ``target_time`` at the given efficiency.
    """
    return ops / (target_time * efficiency)


def required_bandwidth(nbytes: float, target_time: float, bandwidth_efficiency: float) -> float:
    """The iron law solved for bandwidth: bytes / (BW x eff) <= T  =>  BW >= bytes / (T x eff)."""
    return nbytes / (target_time * bandwidth_efficiency)


def units_needed(demand: float, per_unit: float) -> int:
    """Least whole number of units whose capacity covers the demand: ceil(demand / per_unit), at least 1.

    A relative tolerance of 1e-9 keeps float round-off (3.0000000004) from adding a unit.
    """
    ratio = demand / per_unit
    n = math.ceil(ratio - 1e-9 * ratio)
    return n if n > 1 else 1


# --- Wall 21: Sensitivity ---


def log_elasticity(f_plus: float, f_minus: float, x_plus: float, x_minus: float) -> float:
    """Elasticity d ln f / d ln x from two evaluations: (ln f+ - ln f-) / (ln x+ - ln x-).

    A central difference in log space (x- < x0 < x+); exact for a power law f = c x^e,
    second-order accurate otherwise. An elasticity of -1 means 1% more x gives 1% less f.
    """
    return (math.log(f_plus) - math.log(f_minus)) / (math.log(x_plus) - math.log(x_minus))

# --- Wall 7: Tail latency ---
# (the walls' equations are appended here, each once, so this module holds every equation of the engine: hence its length)
# M/M/c: Poisson arrivals at rate lam, c servers, exponential service at rate mu
# each (Harchol-Balter 2013, "Performance Modeling and Design of Computer
# Systems", Ch. 14; Kleinrock 1975, Vol. 1, Sec. 3.5). Offered load a = lam / mu
# (Erlangs), utilisation rho = a / c; stable only when rho < 1.

QUEUE_BISECTION_STEPS = 200  # bisection on floats halves the bracket each step: 200 steps reach float precision from any bracket


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability by the stable recursion B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1}).

    Harchol-Balter 2013, Sec. 14.6 (the recursion avoids the factorials and
    powers of the closed form, which overflow for large c).

    Zero is a fixed point of the recursion, so once B underflows to 0 the
    remaining steps are skipped (a light load on a million servers is instant).
    """
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
        if b == 0.0:
            break
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability an arrival waits in an M/M/c queue, C = B / (1 - rho (1 - B)).

    From Erlang B with rho = a / c (Harchol-Balter 2013, Sec. 14.6). Returns 1
    when rho >= 1 (every arrival waits: the queue grows without bound).
    """
    rho = offered_load / servers
    if rho >= 1.0:
        return 1.0
    b = erlang_b(servers, offered_load)
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float, wait_probability: float | None = None) -> float:
    """Mean time in queue of M/M/c: E[W] = C / (c mu - lam) (Harchol-Balter 2013, Sec. 14.5). inf when unstable.

    ``wait_probability`` is Erlang C when the caller already has it.
    """
    headroom = servers * service_rate - arrival_rate
    if headroom <= 0.0:
        return math.inf
    c_wait = erlang_c(servers, arrival_rate / service_rate) if wait_probability is None else wait_probability
    return c_wait / headroom


def mmc_response_tail(t: float, wait_probability: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """P(response time > t) for M/M/c, FCFS, from the exact mixture.

    Response T = W + S with S ~ Exp(mu). W = 0 with probability 1 - C; given
    that it waits, W ~ Exp(theta) with theta = c mu - lam (Harchol-Balter 2013,
    Sec. 14.5). So P(T > t) = (1 - C) e^{-mu t} + C P(Exp(theta) + Exp(mu) > t),
    and the hypoexponential tail is (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu),
    or (1 + mu t) e^{-mu t} when theta = mu.
    """
    mu = service_rate
    theta = servers * mu - arrival_rate
    e_mu = math.exp(-mu * t)
    if abs(theta - mu) <= 1e-12 * mu:
        hypo = (1.0 + mu * t) * e_mu
    else:
        hypo = (theta * e_mu - mu * math.exp(-theta * t)) / (theta - mu)
    return (1.0 - wait_probability) * e_mu + wait_probability * hypo


def mmc_response_density(t: float, wait_probability: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """The density of M/M/c response time at t: minus the derivative of ``mmc_response_tail``.

    (1 - C) mu e^{-mu t} + C theta mu (e^{-mu t} - e^{-theta t}) / (theta - mu),
    or C mu^2 t e^{-mu t} for the second term when theta = mu.
    """
    mu = service_rate
    theta = servers * mu - arrival_rate
    e_mu = math.exp(-mu * t)
    if abs(theta - mu) <= 1e-12 * mu:
        hypo = mu * mu * t * e_mu
    else:
        hypo = theta * mu * (e_mu - math.exp(-theta * t)) / (theta - mu)
    return (1.0 - wait_probability) * mu * e_mu + wait_probability * hypo


def mmc_response_percentile(quantile: float, servers: int, arrival_rate: float, service_rate: float, wait_probability: float | None = None) -> float:
    """The q-quantile of M/M/c response time: the t with P(T > t) = 1 - q, found numerically.

    No closed form exists for c > 1 (the mixture above is not invertible
    analytically); the tail is monotone in t, so a root search on
    ln P(T > t) = ln(1 - q) is exact to float precision. Newton steps on the
    log tail (nearly linear in t for these sums of exponentials), kept inside
    a bracket that shrinks every step and falling back to bisection when a
    step leaves it; stops at a relative change of 1e-12 or after
    ``QUEUE_BISECTION_STEPS`` steps. inf when unstable. For c = 1 it equals
    -ln(1 - q) / (mu - lam), the exponential sojourn of M/M/1.
    ``wait_probability`` is Erlang C when the caller already has it.
    """
    theta = servers * service_rate - arrival_rate
    if theta <= 0.0:
        return math.inf
    c_wait = erlang_c(servers, arrival_rate / service_rate) if wait_probability is None else wait_probability
    log_target = math.log(1.0 - quantile)
    lo, hi = 0.0, math.inf
    t = -log_target / min(service_rate, theta)
    for _ in range(QUEUE_BISECTION_STEPS):
        tail = mmc_response_tail(t, c_wait, servers, arrival_rate, service_rate)
        if tail <= 0.0:  # underflow far beyond the quantile
            hi, nxt = t, 0.5 * (lo + t)
        else:
            excess = math.log(tail) - log_target
            if excess > 0.0:
                lo = t
            else:
                hi = t
            nxt = t + excess * tail / mmc_response_density(t, c_wait, servers, arrival_rate, service_rate)
            if abs(nxt - t) <= 1e-12 * t:
                return nxt
            if not lo < nxt < hi:
                nxt = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * t
        if math.isfinite(hi) and hi - lo <= 1e-12 * hi:
            return t
        t = nxt
    return t


def mmc_max_arrival_rate(sla: float, quantile: float, servers: int, service_rate: float) -> float:
    """Highest arrival rate whose q-quantile response time is at most ``sla``, by a bracketed root search on the load.

    The q-quantile is <= sla exactly when P(T > sla) <= 1 - q, and that tail
    rises monotonically with the load, from the service time's own tail
    e^{-mu sla} at lam = 0 to 1 at lam = c mu; so the answer is the root of
    g(lam) = ln P(T > sla) - ln(1 - q) on [0, c mu], found by regula falsi with
    the Illinois modification (Dowell & Jarratt 1971: superlinear, and the
    bracket never loses the root). The rate returned always meets the SLA.
    Returns 0 when even an idle system misses it (-ln(1 - q) / mu > sla).
    Stops at a relative bracket width of 1e-12 or after ``QUEUE_BISECTION_STEPS`` steps.
    """
    log_target = math.log(1.0 - quantile)

    def excess(lam: float) -> float:
        tail = mmc_response_tail(sla, erlang_c(servers, lam / service_rate), servers, lam, service_rate)
        return (math.log(tail) if tail > 0.0 else -math.inf) - log_target

    lo, hi = 0.0, servers * service_rate
    g_lo, g_hi = -service_rate * sla - log_target, -log_target
    if g_lo > 0.0:
        return 0.0
    side = 0
    for _ in range(QUEUE_BISECTION_STEPS):
        if hi - lo <= 1e-12 * hi:
            break
        mid = (lo * g_hi - hi * g_lo) / (g_hi - g_lo) if math.isfinite(g_lo) else 0.5 * (lo + hi)
        if not lo < mid < hi:
            mid = 0.5 * (lo + hi)
        g_mid = excess(mid)
        if g_mid <= 0.0:
            lo, g_lo = mid, g_mid
            if side == -1:
                g_hi *= 0.5
            side = -1
        else:
            hi, g_hi = mid, g_mid
            if side == 1:
                g_lo *= 0.5
            side = 1
        if g_mid == 0.0:
            break
    return lo


def fan_out_slow_probability(slow_probability: float, fan_out: float) -> float:
    """P(a request touching n servers is slow) = 1 - (1 - p)^n, each server slow independently with p.

    Dean & Barroso 2013, "The Tail at Scale", CACM 56(2), p. 76: with 1% of
    requests slow per server and a fan-out of 100, 63% of user requests are slow.
    The at-least-one of n independent trials (``binomial_at_least_one``).
    """
    return binomial_at_least_one(slow_probability, fan_out)


# --- Wall 5: Batching ---


def paged_kv_tokens(tokens: float, block_size: int) -> float:
    """Token slots a paged KV cache allocates for one sequence: ceil(tokens / B) x B.

    vLLM allocates fixed-size blocks of B tokens on demand, so only the last
    block of a sequence is partly empty (Kwon et al. 2023, "Efficient Memory
    Management for Large Language Model Serving with PagedAttention", SOSP, Sec. 4.2).
    """
    return math.ceil(tokens / block_size) * block_size


def paged_mean_empty_slots(block_size: int) -> float:
    """Expected empty slots in a sequence's last block: (B - 1) / 2.

    With the token count uniform over its residues mod B, the last block holds
    1..B tokens with equal chance, so (B - 1) / 2 slots are empty on average:
    "half a block" of internal fragmentation per sequence (Kwon et al. 2023, Sec. 4.2).
    """
    return (block_size - 1) / 2.0


def continuous_batching_mean_context(prompt_tokens: float, output_tokens: float) -> float:
    """Mean tokens a sequence holds in the KV cache during its decode: prompt + (n + 1) / 2.

    At decode step k = 1..n it holds prompt + k tokens; under iteration-level
    (continuous) scheduling finished sequences leave at once and new ones join
    (Yu et al. 2022, "Orca", OSDI, Sec. 3.1), so the sequences in a batch are
    spread evenly over their steps and the mean of prompt + k over k is the
    batch's mean context.
    """
    return prompt_tokens + (output_tokens + 1.0) / 2.0


def sequences_that_fit(free_bytes: float, bytes_per_sequence: float) -> int:
    """How many sequences' KV caches fit in the memory left after the weights: floor(free / per sequence), >= 0."""
    if free_bytes <= 0.0:
        return 0
    return int(free_bytes // bytes_per_sequence)


def kv_memory_waste(used_tokens: float, allocated_tokens: float) -> float:
    """Fraction of allocated KV-cache slots holding no token: 1 - used / allocated.

    Kwon et al. 2023, Fig. 2: systems that reserve contiguous memory for the
    maximum length store token states in only 20.4%-38.2% of their KV cache
    memory; vLLM's paging wastes under 4% (only in the last block).
    """
    return 1.0 - used_tokens / allocated_tokens


def static_batch_slot_efficiency(mean_output_tokens: float, max_output_tokens: float) -> float:
    """Useful fraction of a static (request-level) batch's decode slots: mean output / longest output.

    Request-level scheduling keeps a batch until its longest sequence ends;
    slots of sequences that finished early idle (Yu et al. 2022, "Orca", Sec. 2.2).
    """
    return mean_output_tokens / max_output_tokens


def batch_generation_cycle(output_tokens: float, step_time: float, prefills: float, prefill_time: float) -> float:
    """Wall time for a batch's slots to generate ``output_tokens`` each, with ``prefills`` prompts processed in between.

    n decode steps plus the prefill work of the requests that enter: each
    prefill occupies the accelerator for its own roofline time (Orca schedules
    prefill and decode tokens in the same iterations, Yu et al. 2022, Sec. 3.2;
    the prefill's cost adds to the decode steps it joins, Agrawal et al. 2024,
    "Sarathi-Serve", Sec. 2).
    """
    return output_tokens * step_time + prefills * prefill_time


# --- Wall 10: Locality ---
# Link counts are in units of one endpoint's link (its injection bandwidth); a
# bisection is the fewest links whose removal splits the endpoints into halves.


def fat_tree_max_hosts(radix: int) -> float:
    """Hosts of a three-tier k-ary fat-tree of k-port switches: k^3 / 4.

    k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 core switches; each
    edge switch serves k/2 hosts (Al-Fares, Loukissas & Vahdat 2008, "A Scalable,
    Commodity Data Center Network Architecture", SIGCOMM, Sec. 3.2). Full
    bisection bandwidth: every host can send at line rate to any other.
    """
    return radix**3 / 4.0


def fat_tree_link_hops(radix: int, hosts: float) -> tuple[float, float]:
    """(diameter, mean) links between two hosts of a k-ary fat-tree holding ``hosts`` hosts.

    Same edge switch: 2 links (host-edge-host); same pod: 4 (via aggregation);
    other pod: 6 (via core) (Al-Fares et al. 2008, Sec. 3.2). The mean is over
    uniformly random distinct pairs, with the k/2 hosts of an edge switch and
    the k^2/4 of a pod filled in order.
    """
    if hosts <= 1:
        return 0.0, 0.0
    edge = min(radix / 2.0, hosts)
    pod = min(radix * radix / 4.0, hosts)
    diameter = 2.0 if hosts <= edge else (4.0 if hosts <= pod else 6.0)
    mean = (2.0 * (edge - 1.0) + 4.0 * (pod - edge) + 6.0 * (hosts - pod)) / (hosts - 1.0)
    return diameter, mean


def tree_bisection_links(endpoints: float, oversubscription: float) -> float:
    """Bisection of a (folded-Clos) fat-tree: N/2 host links, divided by the oversubscription of the tiers above.

    A non-blocking fat-tree has full bisection bandwidth, N/2 links (Leiserson
    1985, "Fat-trees"; Al-Fares et al. 2008); an oversubscribed tier (uplinks /
    downlinks = 1 / o) cuts what crosses it by o.
    """
    return endpoints / 2.0 / oversubscription


def torus_bisection_links(dims: tuple[int, ...]) -> float:
    """Bisection of a k_1 x ... x k_n torus: 2 N / k_max links (the cut across its longest dimension).

    Cutting a k-ary n-cube in half across one dimension severs 2 k^(n-1) = 2N/k
    channels, two per ring because of the wrap-around link (Dally & Towles 2004,
    "Principles and Practices of Interconnection Networks", Sec. 5.2). A
    dimension of 2 has one link per pair, so N/2 there.
    """
    n = 1.0
    for k in dims:
        n *= k
    k_max = max(dims)
    return n / 2.0 if k_max == 2 else 2.0 * n / k_max


def torus_hops(dims: tuple[int, ...]) -> tuple[float, float]:
    """(diameter, mean) hops of a torus with minimal routing: sum floor(k/2); sum k/4 (even k) or (k^2 - 1)/(4k) (odd k).

    Dally & Towles 2004, Sec. 5.2.2 (mean over uniformly random pairs, self included).
    """
    diameter = float(sum(k // 2 for k in dims))
    mean = sum(k / 4.0 if k % 2 == 0 else (k * k - 1.0) / (4.0 * k) for k in dims)
    return diameter, mean


def dragonfly_max_endpoints(routers_per_group: int, terminals_per_router: int, global_links_per_router: int) -> float:
    """Endpoints of a dragonfly with one global link between every pair of groups: a p (a h + 1).

    a routers per group, p terminals and h global links per router; at most
    g = a h + 1 groups (Kim, Dally, Scott & Abts 2008, "Technology-Driven,
    Highly-Scalable Dragonfly Topology", ISCA, Sec. 3.1). Balanced: a = 2p = 2h.
    """
    a, p, h = routers_per_group, terminals_per_router, global_links_per_router
    return a * p * (a * h + 1.0)


def dragonfly_bisection_links(groups: int) -> float:
    """Global links crossing a dragonfly's bisection: floor(g/2) x ceil(g/2), one link per pair of groups.

    With g groups fully connected by one global channel each (Kim et al. 2008,
    Sec. 3.1), halving the groups cuts every channel between the halves.
    """
    return float((groups // 2) * (groups - groups // 2))


def dragonfly_link_hops(routers_per_group: int) -> tuple[float, float]:
    """(diameter, mean) links between terminals in different groups of a dragonfly, minimal routing.

    terminal -> router, at most one local hop to the router holding the global
    channel, the global hop, at most one local hop, router -> terminal: 5 links
    at most (Kim et al. 2008, Sec. 3.2); each local hop is needed unless the
    router is the right one (probability 1/a), so the mean is 3 + 2 (a - 1)/a.
    """
    a = routers_per_group
    return 5.0, 3.0 + 2.0 * (a - 1.0) / a


def all_to_all_bisection_bandwidth(bisection_bandwidth: float, endpoints: float) -> float:
    """Per-endpoint rate a uniform all-to-all can sustain through a bisection: 4 B_bis (N-1) / N^2.

    Each of N endpoints sends M/N to every other; (N/2)(N/2)(M/N) = N M / 4 bytes
    cross the cut each way, so the exchange takes at least N M / (4 B_bis),
    which ``all_to_all_time``'s (N-1)/N x M / beta equals at this beta
    (the bisection bound of Dally & Towles 2004, Sec. 3.3.1).
    """
    return 4.0 * bisection_bandwidth * (endpoints - 1.0) / (endpoints * endpoints)


# --- Wall 8: Ingestion ---


def stage_sample_rate(bandwidth: float, bytes_per_sample: float) -> float:
    """Samples per second a byte-moving stage (storage, network) supplies: bandwidth / bytes per sample."""
    return bandwidth / bytes_per_sample


def cpu_sample_rate(cores: float, core_seconds_per_sample: float) -> float:
    """Samples per second CPU preprocessing supplies: cores / core-seconds per sample (perfect parallelism across cores)."""
    return cores / core_seconds_per_sample


def data_stall_fraction(supply: float, demand: float) -> float:
    """Fraction of time the accelerators wait for data: 1 - supply / demand when supply < demand, else 0.

    The pipeline runs at its slowest stage; when that is below what the
    accelerators consume, they idle for the rest (Mohan et al. 2021, "Analyzing
    and Mitigating Data Stalls in DNN Training", PVLDB 14(5), Sec. 3: data stall
    time = epoch time beyond the accelerators' own compute time).
    """
    return 1.0 - supply / demand if supply < demand else 0.0


def cores_needed(sample_rate: float, core_seconds_per_sample: float) -> float:
    """CPU cores a preprocessing stage needs to supply ``sample_rate``: rate x core-seconds per sample (Little's law)."""
    return sample_rate * core_seconds_per_sample


# --- Wall 9: Transformation ---


def hosts_needed(cores: float, cores_per_host: float) -> int:
    """Whole machines a preprocessing fleet needs for ``cores`` busy cores: ceil(cores / cores per host)."""
    return math.ceil(cores / cores_per_host) if cores > 0.0 else 0


def preprocessing_energy_per_sample(core_seconds_per_sample: float, host_power: float, cores_per_host: float) -> float:
    """Energy one sample's preprocessing costs on a fully busy host: core-seconds x host power / cores (J)."""
    return core_seconds_per_sample * host_power / cores_per_host


def offloaded_throughput(accelerators: float, train_seconds_per_sample: float, preprocess_seconds_per_sample: float) -> float:
    """Samples/s when the accelerators also preprocess: N / (t_train + t_preprocess) per sample, serially.

    Offloading decode and augmentation to the accelerator (e.g. NVIDIA DALI's
    GPU operators) frees CPU cores but spends accelerator time on every sample;
    with no overlap the two add.
    """
    return accelerators / (train_seconds_per_sample + preprocess_seconds_per_sample)


# --- Wall 6: Streaming ---


def streamed_layers_time(layers: int, compute_per_layer: float, load_per_layer: float, prefetch: bool) -> float:
    """Time to run ``layers`` layers whose weights arrive over a link, one layer at a time.

    With prefetch (double buffering) layer l+1 loads while layer l computes:
    load + (L - 1) max(compute, load) + compute. Without it each layer loads
    then computes: L (compute + load). ZeRO-Infinity prefetches the next
    layers' parameters this way (Rajbhandari et al. 2021, "ZeRO-Infinity",
    SC21, Sec. 6.2, overlap-centric design); Cerebras streams one layer's
    weights at a time into the wafer (Cerebras weight streaming whitepaper, 2021).
    """
    if prefetch:
        slower = compute_per_layer if compute_per_layer > load_per_layer else load_per_layer
        return load_per_layer + (layers - 1) * slower + compute_per_layer
    return layers * (compute_per_layer + load_per_layer)


def streaming_efficiency_no_overlap(intensity: float, bandwidth: float, peak_flops: float) -> float:
    """ZeRO-Infinity's efficiency of compute fed over a link without overlap: ait x bw / (ait x bw + peak).

    Rajbhandari et al. 2021, Sec. 4.1 (ait = arithmetic intensity of the step
    with respect to the bytes moved over the link). Equal to
    compute / (compute + transfer) with compute = ops / peak, transfer = bytes / bw.
    """
    return intensity * bandwidth / (intensity * bandwidth + peak_flops)


def streaming_break_even_batch(weight_bytes: float, link_bandwidth: float, ops_per_sample: float, flops: float) -> float:
    """Batch at which computing on a layer takes as long as streaming its weights: W rate / (B ops per sample).

    compute = b x ops / rate equals load = W / B at b* = W rate / (B ops); a
    larger batch hides the link behind compute (the per-layer split cancels).
    """
    return weight_bytes * flops / (link_bandwidth * ops_per_sample)


# --- Wall 16: Multi-tenant ---


def gang_job_slots(nodes: int, gpus_per_node: int, gpus_per_job: int) -> int:
    """Jobs of k GPUs that fit at once when each job is gang-scheduled (all k GPUs at once, or none).

    k <= g: a job stays inside one node (its GPUs share the node's scale-up
    link), floor(g / k) jobs per node; k > g: a job takes ceil(k / g) whole
    nodes, floor(N / ceil(k / g)) jobs. The locality-preserving placement that
    Jeon et al. 2019 ("Analysis of Large-Scale Multi-Tenant GPU Clusters for DNN
    Training Workloads", USENIX ATC, Sec. 3) find schedulers enforce, at the
    price of fragmentation and queueing.
    """
    if gpus_per_job <= gpus_per_node:
        return nodes * (gpus_per_node // gpus_per_job)
    per_job = -(-gpus_per_job // gpus_per_node)
    return nodes // per_job


def partition_slots(gpus: int, slices_per_gpu: int, slices_per_job: int) -> int:
    """Jobs that fit when each GPU is split into equal partitions (MIG): gpus x floor(slices / slices per job).

    NVIDIA Multi-Instance GPU: an A100 or H100 splits into up to seven GPU
    instances (NVIDIA MIG User Guide); a job of s slices takes s of them on one GPU.
    """
    return gpus * (slices_per_gpu // slices_per_job)


def allocation_fragmentation(slots: int, units_per_job: float, total_units: float) -> float:
    """Share of the cluster no job can use because of the allocation rule: 1 - slots x units per job / total."""
    return 1.0 - slots * units_per_job / total_units


def mmc_wait_percentile(quantile: float, wait_probability: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """The q-quantile of M/M/c waiting time: P(W > t) = C e^{-(c mu - lam) t}, so t_q = ln(C / (1 - q)) / (c mu - lam).

    Zero when C <= 1 - q (at least a fraction q never waits); inf when unstable
    (Harchol-Balter 2013, Sec. 14.5: given that it waits, W is exponential with rate c mu - lam).
    """
    theta = servers * service_rate - arrival_rate
    if theta <= 0.0:
        return math.inf
    if wait_probability <= 1.0 - quantile:
        return 0.0
    return math.log(wait_probability / (1.0 - quantile)) / theta

# --- Labs: data selection ---


def iso_flop_loss(compute: float, parameters: float, data_efficiency: float = 1.0) -> float:
    """Loss of a model of ``parameters`` trained with the whole budget C: D = C / (6 P) tokens.

    One point of an iso-FLOP profile (Hoffmann et al. 2022, "Chinchilla", Sec. 3.2 and Fig. 3):
    L(P, D) of the fitted Eq. 10 at D = C / (6 P). ``data_efficiency`` k >= 1 counts a token of
    cleaner data as k raw tokens (k times fewer tokens for the same loss, the definition of a
    data-quality multiplier used by data-pruning studies, e.g. Sorscher et al. 2022, "Beyond
    neural scaling laws"): L(P, k D).
    """
    return chinchilla_loss(parameters, data_efficiency * compute / (6.0 * parameters))


def iso_flop_optimum(compute: float, data_efficiency: float = 1.0, a: float = 406.4, b: float = 410.7,
                     alpha: float = 0.34, beta: float = 0.28) -> tuple[float, float]:
    """(P_opt, D_opt) minimising the fitted loss at compute C with D = C / (6 P).

    Hoffmann et al. 2022, Eq. 4: P_opt = G (C / 6)^(beta / (alpha + beta)),
    G = (alpha A / (beta B))^(1 / (alpha + beta)), D_opt = C / (6 P_opt). With a data-efficiency
    multiplier k the data term is B / (k D)^beta, i.e. B becomes B / k^beta.
    """
    b_eff = b / data_efficiency**beta
    g = (alpha * a / (beta * b_eff)) ** (1.0 / (alpha + beta))
    p = g * (compute / 6.0) ** (beta / (alpha + beta))
    return p, compute / (6.0 * p)

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


# --- Labs: training compute ---


def training_duration(ops: float, accelerators: float, peak_flops: float, efficiency: float) -> float:
    """Wall-clock time to spend ``ops`` of training compute on a fleet: C / (N x peak x efficiency).

    The "GPU-time" method of Amodei & Hernandez (2018), "AI and Compute" (OpenAI, appendix), read
    forwards: compute = GPUs x peak x days x utilisation. Seconds when ``peak_flops`` is in FLOP/s.
    """
    return ops / (accelerators * peak_flops * efficiency)


def accelerators_for_duration(ops: float, duration: float, peak_flops: float, efficiency: float) -> float:
    """Accelerators needed to spend ``ops`` of training compute within ``duration``: C / (T x peak x efficiency).

    The same relation as ``training_duration`` (Amodei & Hernandez 2018) solved for N; fractional
    (round up for a real fleet).
    """
    return ops / (duration * peak_flops * efficiency)


# --- Accuracy: serving ---


def causal_prefill_mean_context(prompt_tokens: float) -> float:
    """Mean keys a prompt token attends to in a causal prefill: (s + 1) / 2.

    Token t of an s-token prompt attends to the t keys up to itself (causal mask),
    so the prefill's attention work is sum_t attention_flops_per_token(l, t, d)
    = s x attention_flops_per_token(l, (s + 1) / 2, d); kernels that skip the masked
    half (FlashAttention's causal mode, Dao et al. 2022, Sec. 3.1) do this much.
    """
    return (prompt_tokens + 1.0) / 2.0


def decode_mean_context(prompt_tokens: float, output_tokens: float) -> float:
    """Mean KV-cache length over the decode steps of one request: prompt + n / 2.

    The prefill emits the first of the n output tokens; decode step j = 1..n-1
    reads a cache of prompt + j tokens, whose mean is prompt + n / 2 (n >= 2).
    Each operator's time in a step is linear in the context (weights: constant;
    attention: flops and KV bytes proportional to it), so the step at this mean
    context is the mean step (Pope et al. 2022, "Efficiently Scaling Transformer
    Inference", Sec. 2: the KV cache grows by one token per step).
    """
    return prompt_tokens + output_tokens / 2.0


def sequential_roofline(ops_a: float, bytes_a: float, ops_b: float, bytes_b: float, flops: float, bandwidth: float) -> tuple[float, float, float]:
    """Two operators run one after the other, each on its own roofline: (time, compute time, memory time).

    time = max(ops_a / F, bytes_a / B) + max(ops_b / F, bytes_b / B). A
    Transformer step is a sequence of kernels: the weight GEMMs (intensity ~ the
    batch) and the attention over the KV cache (intensity ~ 1 per byte of cache in
    decode); each is bound by its own side of the roofline and they do not
    overlap (per-operator rooflines summed, as the operator-level simulators
    LLMCompass, Zhang et al. 2024, ISCA, and Vidur, Agrawal et al. 2024, MLSys,
    predict a step). The compute and memory times returned are the sums over
    both operators; a rate of 0 (no arithmetic in that precision) takes forever.
    """
    return sequential_roofline_rates(ops_a, bytes_a, flops, bandwidth, ops_b, bytes_b, flops, bandwidth)


# --- Accuracy: reliability by component class ---


def unit_mtbf(units: float, hours: float, interruptions: float) -> float:
    """Mean time between interruptions of ONE unit of a class: units x observed time / interruptions.

    The exposure estimate of a constant failure rate (unit-hours per event), as
    used to turn a fleet's root-cause table into per-unit rates (e.g. Llama 3's
    Table 5: 268 GPU-class interruptions over 16,384 GPUs x 1,296 h). Infinite
    when no interruption of the class was observed.
    """
    return math.inf if interruptions <= 0 else units * hours / interruptions


def job_interruption_mtbf(gpus: float, nodes: float, gpu_mtbf: float, node_mtbf: float, job_mtbf: float) -> float:
    """Mean time between interruptions of a synchronous job from independent component classes.

    Rates of independent exponential failure processes add (series system,
    e.g. Trivedi 2002, Sec. 3.5): lambda = N_gpu / MTBF_gpu + N_node / MTBF_node
    + 1 / MTBF_job, where the node class holds host and network (one NIC rail set
    and its switch share per node) and the job class holds what does not scale
    with the hardware (software bugs, dependencies, unexplained timeouts). An
    infinite MTBF leaves a class out. Returns 1 / lambda.
    """
    rate = gpus / gpu_mtbf + nodes / node_mtbf + 1.0 / job_mtbf
    return math.inf if rate <= 0 else 1.0 / rate


# --- Labs: orchestration ---


def arrival_rate_for_gpu_load(gpu_load: float, total_gpus: float, gpus_per_job: float, duration: float) -> float:
    """Job arrival rate that keeps a share ``gpu_load`` of a cluster's GPUs busy: lam = rho N / (k D).

    Little's law (Little 1961, *Operations Research* 9(3)): jobs in service = lam D, each holding k
    GPUs, so busy GPUs = lam D k; setting that to rho N and solving for lam. Jobs per unit time in
    the unit of ``duration``. ``gpus_per_job`` may be a fraction (a MIG partition of one GPU).
    """
    return gpu_load * total_gpus / (gpus_per_job * duration)


# --- Accuracy: distributed training ---


def recompute_extra_passes(recompute: str) -> tuple[float, float]:
    """(extra dense passes, extra attention passes) that activation recomputation adds to a training step.

    Full recomputation runs each layer's forward pass once more before its
    backward pass: one more 2P and one more attention pass per token
    (Korthikanti et al. 2022, Sec. 5; Narayanan et al. 2021, Eq. 3, 4 passes).
    Selective recomputation re-runs only the attention core (QK^T, softmax,
    AV), whose activations are the large s x s ones: one more attention pass,
    no dense one (Korthikanti et al. 2022, Sec. 5, Table 4). ``"none"``: (0, 0).
    """
    if recompute == "full":
        return 1.0, 1.0
    if recompute == "selective":
        return 0.0, 1.0
    return 0.0, 0.0


def training_flops_per_token(parameters: float, attention_flops: float, dense_passes: float = 3.0, attention_passes: float = 3.0) -> float:
    """Training compute per token: dense_passes x 2P + attention_passes x (attention per token per pass).

    With 3 and 3 it is the *model FLOPs* of Chowdhery et al. 2022 (PaLM),
    App. B: 6N + 12 L H Q T per token, where 12 L H Q T = 3 x 4 n_layer n_ctx
    d_attn (``attention_flops_per_token`` at the full window, forward plus a
    backward of twice the forward). Add ``recompute_extra_passes`` for the
    *hardware FLOPs* a recomputing run executes (Narayanan et al. 2021, Eq. 3:
    4 passes of both with full recomputation).
    """
    return dense_passes * 2.0 * parameters + attention_passes * attention_flops


def all_gather_time(message_bytes: float, workers: int, bandwidth: float, latency: float) -> float:
    """Ring all-gather of a ``message_bytes`` result (each worker holds 1/N of it): (N-1) alpha + (N-1)/N M / B.

    Half of a ring all-reduce, whose reduce-scatter and all-gather each move
    (N-1)/N of the message (Thakur et al. 2005, "Optimization of Collective
    Communication Operations in MPICH", Sec. 4). A reduce-scatter costs the same.
    """
    if workers <= 1:
        return 0.0
    return (workers - 1) * latency + (workers - 1) / workers * message_bytes / bandwidth


def context_parallel_comm_time(layers: float, kv_bytes: float, cp: int, bandwidth: float, latency: float) -> float:
    """Context parallelism: per layer, all-gather the sequence's K and V forward, reduce-scatter their gradients backward.

    Each of ``cp`` ranks holds 1/cp of every sequence and needs all keys and
    values for its queries. Llama 3 all-gathers K and V before attention and
    reduce-scatters dK, dV in the backward pass (Dubey et al. 2024, "The Llama 3
    Herd of Models", Sec. 3.3.2); ring attention moves the same (cp-1)/cp of
    them in cp-1 neighbour steps, overlapped with blockwise attention (Liu et
    al. 2023, "Ring Attention with Blockwise Transformers", Sec. 3).
    ``kv_bytes``: K and V of one whole micro-batch of sequences for one layer on
    one tensor-parallel rank (2 x tokens x kv_heads/tp x head_dim x bytes).
    Zero for cp = 1.
    """
    if cp <= 1:
        return 0.0
    return 2.0 * layers * all_gather_time(kv_bytes, cp, bandwidth, latency)


def multi_tier_allreduce_time(
    message_bytes: float, local: int, nodes_per_pod: int, pods: int, intra_bandwidth: float, intra_latency: float,
    inter_bandwidth: float, inter_latency: float, pod_bandwidth: float,
) -> float:
    """Three-tier all-reduce: in node (scale-up link), across nodes in a pod, across pods on the slower tier.

    ``hierarchical_allreduce_time`` applied twice: the in-node reduce-scatter
    leaves 1/L of the message per rank, whose all-reduce across the nodes is
    itself hierarchical -- across the nodes of a pod on the pod's fabric, then
    across pods at ``pod_bandwidth`` per accelerator (the fabric above the pod,
    cut by its oversubscription, e.g. 1:7 in Llama 3's 24K-GPU cluster, Dubey et
    al. 2024, Sec. 3.3.1) (Jia et al. 2018, Sec. 3.3, one level deeper).
    Reduces to the two-tier form for one pod.
    """
    if pods <= 1:
        return hierarchical_allreduce_time(message_bytes, local, nodes_per_pod, intra_bandwidth, intra_latency, inter_bandwidth, inter_latency)
    in_node = hierarchical_allreduce_time(message_bytes, local, 1, intra_bandwidth, intra_latency, inter_bandwidth, inter_latency)
    return in_node + hierarchical_allreduce_time(message_bytes / local, nodes_per_pod, pods, inter_bandwidth, inter_latency,
                                                 pod_bandwidth, inter_latency)


# --- Labs: scale-out and collectives ---


def speedup(reference_time: float, time: float) -> float:
    """How many times shorter ``time`` is than ``reference_time``: S = T_ref / T.

    The speed-up of Amdahl (1967) and of Hennessy & Patterson, "Computer Architecture", 6th ed.,
    Sec. 1.9: the time of the reference configuration over the time of the new one. Used for any
    pair of times (a run's duration, a fleet's mean time between failures).
    """
    return reference_time / time


def ring_tree_crossover_bytes(workers: int, bandwidth: float, latency: float) -> float:
    """The message size below which a binary-tree all-reduce beats a ring: alpha beta (N-1-L) / (L - (N-1)/N).

    Equate ``ring_allreduce_time`` = 2(N-1) alpha + 2 (N-1)/N M / beta with ``tree_allreduce_time``
    = 2 L (alpha + M / beta), L = ceil(log2 N) (Thakur, Rabenseifner & Gropp 2005, Sec. 4; the
    alpha-beta model of Hockney 1994) and solve for M. The ring pays N-1 latencies, the tree L;
    the tree sends the whole message L times, the ring about twice in all. Zero when the tree
    never wins (N <= 3: the ring takes no more latencies than the tree).
    """
    if workers <= 1:
        return 0.0
    n = float(workers)
    depth = float(math.ceil(math.log2(workers)))
    extra_latencies = n - 1.0 - depth
    if extra_latencies <= 0.0:
        return 0.0
    return latency * bandwidth * extra_latencies / (depth - (n - 1.0) / n)


# --- Labs: ML operations ---


def retraining_cost_rate(interval: float, retrain_cost: float, degradation: float, value_per_point: float) -> float:
    """Mean cost per unit time of retraining every ``interval``: C / T + v d T / 2.

    Between retrains the deployed model loses accuracy linearly at ``degradation`` d (points per
    unit time, the first-order model of gradual drift); each point lost costs ``value_per_point`` v
    per unit time, so one interval loses v d T^2 / 2 and a retrain costs C. Averaged over the
    interval: C / T + v d T / 2, the cost rate of Harris's economic order quantity (Harris 1913,
    "How Many Parts to Make at Once", Factory 10(2)) with the retrain as the order and the
    accuracy lost as the holding cost.
    """
    return retrain_cost / interval + value_per_point * degradation * interval / 2.0


def optimal_retraining_interval(retrain_cost: float, degradation: float, value_per_point: float) -> float:
    """T* = sqrt(2 C / (v d)), the interval minimising ``retraining_cost_rate`` (Harris 1913's
    square-root law: d/dT (C/T + v d T / 2) = 0); at T* the two costs are equal, each C / T*."""
    return math.sqrt(2.0 * retrain_cost / (value_per_point * degradation))


# --- Accuracy: single-node CNN activation traffic and per-kernel launch cost ---


def conv_output_elements(channels: float, height: float, width: float, layers: float = 1.0) -> float:
    """Values one convolution writes per sample: C_out x H_out x W_out (times ``layers`` alike).

    The output shape of each stage of a CNN is printed by its paper (He et al. 2016, Table 1
    for ResNet; Sandler et al. 2018, Table 2 for MobileNetV2); the tensor of a batch of N
    holds N x C x H x W values, each of ``bytes_per_value`` bytes.
    """
    return channels * height * width * layers


def activation_traffic_bytes(values: float, bytes_per_value: float, accesses: float) -> float:
    """Bytes moved for activations: values x bytes per value x accesses (reads + writes) per value.

    Fusion assumption of the single-node solver (stated in its results): each convolution's
    output is written once and read once by the next layer (2 accesses) when batch norm and
    the activation function run inside the convolution (folded BN, fused epilogue: what
    TensorRT and compiled graphs do); eager frameworks also run BN, ReLU, residual adds and
    pooling as separate kernels, each reading and writing its tensor (their values are
    counted layer by layer in the registry's ``elementwise_values``).
    """
    return values * bytes_per_value * accesses


def sequential_kernels_time(gemm_time: float, elementwise_time: float) -> float:
    """Device time of a layer sequence: GEMM-class kernels, then the memory-bound kernels between them.

    Kernels on one stream run one after another (NVIDIA CUDA C++ Programming Guide,
    "Streams": operations in a stream execute in issue order), so a separate elementwise
    kernel cannot hide behind a convolution: the roofline (Williams et al. 2009) applies per
    kernel and the times add. ``gemm_time`` is already max(compute, traffic) of the GEMMs.
    """
    return gemm_time + elementwise_time


def host_bound_time(device_time: float, kernels: float, launch_time: float) -> float:
    """Time of a step whose host issues ``kernels`` launches of ``launch_time`` each, asynchronously.

    CUDA kernel launches are asynchronous to the host (PyTorch docs, "CUDA semantics:
    asynchronous execution"), so host dispatch and device execution overlap and the slower
    binds: max(device, kernels x launch). At batch 1 eager inference of a CNN the launches
    bind (the framework tax, Fernandez et al. 2023, EMNLP, "The Framework Tax").
    """
    host = launch_overhead(kernels, launch_time)
    return host if host > device_time else device_time


# --- Labs: neural computation ---


def conv2d_flops(batch: float, out_h: float, out_w: float, in_channels: float, out_channels: float,
                 kernel_h: float, kernel_w: float) -> float:
    """Work of a 2-D convolution as the one GEMM it lowers to (im2col / implicit GEMM): 2 M N K.

    M = batch x out_h x out_w output pixels, N = out_channels filters, K = in_channels x kernel_h x
    kernel_w taps per output (Chetlur et al. 2014, "cuDNN: Efficient Primitives for Deep Learning",
    Sec. 3, Fig. 1: convolution as matrix multiplication).
    """
    return gemm_flops(batch * out_h * out_w, out_channels, in_channels * kernel_h * kernel_w)


def conv2d_bytes(batch: float, in_h: float, in_w: float, in_channels: float, out_h: float, out_w: float,
                 out_channels: float, kernel_h: float, kernel_w: float, bytes_per_value: float) -> float:
    """Minimum traffic of a 2-D convolution: the input map and the filters read once, the output written once.

    An implicit GEMM builds the lowered (im2col) matrix tile by tile on chip, so the K x M copy never
    goes to memory (Chetlur et al. 2014, "cuDNN", Sec. 3); values x bytes per value.
    """
    values = (batch * in_h * in_w * in_channels + kernel_h * kernel_w * in_channels * out_channels
              + batch * out_h * out_w * out_channels)
    return values * bytes_per_value


def attention_core_bytes(batch: float, heads: float, seq_len: float, head_dim: float, bytes_per_value: float) -> float:
    """Memory traffic of unfused attention's two products per head, S = Q K^T then O = P V.

    Each is a GEMM read and written once (``gemm_bytes``): Q K^T reads s x d_h twice and writes the
    s x s scores, P V reads s x s and s x d_h and writes s x d_h, so 4 s d_h + 2 s^2 values per head.
    The s^2 score matrix is what FlashAttention keeps on chip (Dao et al. 2022, "FlashAttention",
    Sec. 2.2, Algorithm 0); the softmax's own read and write of S are left out here.
    """
    per_head = (gemm_bytes(seq_len, seq_len, head_dim, bytes_per_value)
                + gemm_bytes(seq_len, head_dim, seq_len, bytes_per_value))
    return batch * heads * per_head


def attention_saved_values(batch: float, heads: float, seq_len: float, head_dim: float) -> float:
    """Values attention keeps for the backward pass: Q, K and V (3 s d_h) and the softmax output P (s^2) per head.

    The gradient of S = Q K^T needs Q and K, that of O = P V needs P and V (Korthikanti et al. 2022,
    "Reducing Activation Recomputation in Large Transformer Models", Sec. 4.1: Q, K 4sbh, V 2sbh and
    the softmax output 2as^2b bytes at 2 bytes per value; their dropout mask and output are left out).
    """
    return batch * heads * (3.0 * seq_len * head_dim + seq_len * seq_len)


def linear_saved_values(tokens: float, in_features: float) -> float:
    """Values a linear (or convolution) layer keeps for the backward pass: its input, tokens x in_features.

    The weight gradient of Y = X W is X^T dY, so X must be kept (Korthikanti et al. 2022, Sec. 4.1:
    "the input to each linear layer is stored"); the input gradient dY W^T needs only the weights.
    """
    return tokens * in_features


def attention_score_bytes(batch: float, heads: float, seq_len: float, bytes_per_value: float) -> float:
    """The part of ``attention_core_bytes`` that grows with s^2: the s x s scores written by Q K^T and
    read back by P V, 2 s^2 values per head (Dao et al. 2022, "FlashAttention", Sec. 2.2)."""
    return batch * heads * 2.0 * seq_len * seq_len * bytes_per_value


def dense_parameters(in_features: float, out_features: float) -> float:
    """Weights of a dense (fully connected) layer, in x out (the bias's out values left out)."""
    return in_features * out_features


def conv2d_parameters(in_channels: float, out_channels: float, kernel_h: float, kernel_w: float) -> float:
    """Weights of a 2-D convolution, k_h x k_w x c_in x c_out (one filter per output channel; bias left out)."""
    return kernel_h * kernel_w * in_channels * out_channels


def attention_parity_context(parameters: float, layers: float, attention_width: float) -> float:
    """The context at which attention's forward FLOPs per token equal the weights' 2P.

    Solving 4 n_layer n_ctx d_attn = 2 N (``attention_flops_per_token`` = ``inference_flops_per_token``)
    gives n_ctx = N / (2 n_layer d_attn); with N ~ 12 n_layer d^2 that is about 6 d_model. Kaplan et
    al. 2020 ("Scaling Laws", Sec. 2.1) make the same comparison with the causal half, 2 n_layer n_ctx
    d_attn, and find the context term small for n_ctx < 12 d_model.
    """
    return parameters / (2.0 * layers * attention_width)


# --- Labs: network round trip ---


def signal_speed(speed_of_light: float, group_index: float) -> float:
    """Speed of a light pulse in a medium of group index n: v = c / n (m/s for c in m/s).

    Standard optics (the group velocity of a guided mode); for SMF-28 fibre n = 1.4682 at 1550 nm
    (Corning datasheet), so v is about 2.04e8 m/s, 4.9 us per km.
    """
    return speed_of_light / group_index


def network_round_trip(distance: float, signal_speed: float, hops: float, hop_delay: float,
                       access_round_trip: float, payload_bytes: float, uplink_bandwidth: float) -> float:
    """Time for a request to reach a datacenter ``distance`` away and its answer to come back (s).

    access round trip + 2 (distance / v + hops x per-hop delay) + payload / uplink bandwidth:
    the nodal-delay decomposition of Kurose & Ross, *Computer Networking: A Top-Down Approach*,
    8th ed., Sec. 1.4 (propagation = distance / speed, per-hop processing and queueing, and
    transmission = bits / rate, paid once on the slowest link, the device's uplink). The answer is
    taken as small (a label or a box), so its transmission is left out.
    """
    return (access_round_trip + 2.0 * (distance / signal_speed + hops * hop_delay)
            + payload_bytes / uplink_bandwidth)


def offload_break_even_distance(on_device_time: float, remote_time: float, fixed_round_trip: float,
                                signal_speed: float) -> float:
    """Farthest datacenter for which sending the request there beats computing on the device (m).

    Remote total = remote compute + fixed part of the round trip (access, hops, upload) +
    2 d / v; it equals the on-device time at d* = (t_device - t_remote - t_fixed) v / 2
    (``network_round_trip`` solved for the distance). Zero or negative: computing on the device
    is faster at any distance, because the fixed part alone is already slower.
    """
    return (on_device_time - remote_time - fixed_round_trip) * signal_speed / 2.0


# --- Labs: subgroup evaluation ---

from statistics import NormalDist  # noqa: E402  (standard library; the normal quantile below)


def normal_quantile(p: float) -> float:
    """z such that P(Z <= z) = p for a standard normal Z (e.g. 1.96 for p = 0.975)."""
    return NormalDist().inv_cdf(p)


def two_proportion_sample_size(p1: float, p2: float, alpha: float, power: float) -> float:
    """Test samples per group to tell accuracy p1 from p2 with a two-sided test at level alpha and
    the given power, normal approximation without continuity correction:

        n = [z(1 - alpha/2) sqrt(2 pbar qbar) + z(power) sqrt(p1 q1 + p2 q2)]^2 / (p1 - p2)^2,
        pbar = (p1 + p2) / 2, q = 1 - p

    Fleiss, Levin & Paik (2003), "Statistical Methods for Rates and Proportions", 3rd ed., eq. 4.14.
    Fractional (round up for a real test set); infinite when p1 = p2 (no gap can be detected).
    """
    gap = p1 - p2
    if gap == 0:
        return math.inf
    pbar = 0.5 * (p1 + p2)
    # z(1 - alpha/2) as -z(alpha/2) (the normal is symmetric): 1 - alpha/2 rounds to 1.0 once alpha < 2.2e-16
    # (a Bonferroni alpha over ~1e15 comparisons), where the quantile is undefined; alpha/2 itself stays exact
    za, zb = -normal_quantile(alpha / 2.0), normal_quantile(power)
    root = za * math.sqrt(2.0 * pbar * (1.0 - pbar)) + zb * math.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))
    return root * root / (gap * gap)


def bonferroni_alpha(alpha: float, comparisons: float) -> float:
    """The per-comparison level that keeps the family-wise error at most alpha over m comparisons:
    alpha / m (Dunn 1961, "Multiple comparisons among means", JASA 56:52-64)."""
    return alpha / comparisons


def evaluation_duration(samples: float, throughput: float) -> float:
    """Time to push ``samples`` through a system that processes ``throughput`` samples per unit time:
    N / X (the definition of throughput). Seconds when ``throughput`` is per second."""
    return samples / throughput


# --- Labs: safety filter ---


def batch_throughput(batch: float, batch_time: float) -> float:
    """Items per unit time of a server that finishes ``batch`` items every ``batch_time``: B / t
    (the definition of throughput; e.g. prompts screened per second from one prefill pass)."""
    return batch / batch_time


def replicas_for_load(arrival_rate: float, work_per_request: float, replica_rate: float) -> int:
    """Fewest replicas that keep up with the load: ceil(lambda w / mu), from the utilisation law
    U = lambda w / (m mu) <= 1 (Jain 1991, "The Art of Computer Systems Performance Analysis",
    ch. 33, operational laws). No headroom for queueing: a floor, not a p99 target. At least 1."""
    return max(1, math.ceil(arrival_rate * work_per_request / replica_rate - 1e-9))


# --- Labs: edge energy ---


def energy_above_idle(active_energy: float, idle_power: float, busy_time: float) -> float:
    """Energy one inference adds to what the device draws anyway: E_active - P_idle t (J), >= 0.

    The inference takes t at its active power (E_active = P_active t); an idle device would have
    drawn P_idle t in that time. The linear power model of Fan, Weber & Barroso 2007
    (``utilization_power``), integrated over one busy period.
    """
    return max(0.0, active_energy - idle_power * busy_time)


def average_power(base_power: float, energy_per_event: float, rate: float) -> float:
    """Long-run average power of a device doing ``rate`` events per second on top of a base draw:
    P = P_base + E r (W for W, J and 1/s). Energy conservation over a long run of events (the
    duty-cycle lifetime model of battery-powered nodes, e.g. Polastre, Hill & Culler 2004, "Versatile
    low power media access for wireless sensor networks", SenSys)."""
    return base_power + energy_per_event * rate


def radio_connected_fraction(rate: float, connected_time: float) -> float:
    """Fraction of the time a cellular radio stays connected when requests come ``rate`` per second
    and each keeps it connected ``connected_time`` (the round trip plus the tail): min(1, r t).

    After the last byte the radio stays in its high-power state for the tail (the RRC inactivity
    timer; Huang et al. 2012, "A Close Examination of Performance and Power Characteristics of 4G
    LTE Networks", MobiSys, its RRC power model). Requests closer together than ``connected_time`` share one
    connected period, so the fraction saturates at 1: the radio never sleeps. Evenly spaced requests.
    """
    return min(1.0, rate * connected_time)


def transmit_energy(payload_bytes: float, energy_per_byte: float) -> float:
    """Energy to send a payload: bytes x energy per byte (J). Huang et al. 2012's uplink term
    alpha_u x throughput, integrated over the transfer (alpha_u in W per bit/s = J per bit)."""
    return payload_bytes * energy_per_byte


def battery_life(capacity: float, power: float) -> float:
    """How long a battery lasts at a constant average draw: t = E / P (s for J and W). The usable
    capacity as rated; ageing, temperature and high-drain losses (Peukert) are left out."""
    return capacity / power


def thermal_sustained_rate(sustained_power: float, idle_power: float, energy_per_event: float) -> float:
    """Highest inference rate whose average power stays within what the case can shed for good:
    P_idle + E r <= P_sustained  =>  r = (P_sustained - P_idle) / E (1/s), >= 0.

    ``average_power`` solved for the rate. Above it the device heats until it throttles: it can
    burst faster (up to its TDP) only for as long as its thermal mass absorbs the excess. Infinite
    when an inference adds no energy (E = 0).
    """
    if energy_per_event <= 0.0:
        return math.inf
    return max(0.0, (sustained_power - idle_power) / energy_per_event)


def offload_energy_break_even_rate(device_energy: float, connected_power: float, connected_time: float,
                                   transmit_energy_per_request: float) -> float:
    """The inference rate above which offloading to the cloud drains the battery slower than
    computing on the device (1/s); 0: offloading is cheaper at every rate; inf: never.

    On the device: P_idle + E_dev r. Offloaded: P_idle + P_c min(1, r t_c) + E_tx r
    (``radio_connected_fraction``, ``transmit_energy``). Below r = 1/t_c both grow linearly, with
    slopes E_dev and E_off = P_c t_c + E_tx: if E_dev > E_off offloading wins at every rate (0). Above
    1/t_c the radio is always connected and each request adds only E_tx, so the two powers are equal
    where E_dev r = P_c + E_tx r: r* = P_c / (E_dev - E_tx), which lies above 1/t_c exactly when
    E_dev <= E_off. If E_dev <= E_tx the device wins at every rate (inf).
    """
    if device_energy > connected_power * connected_time + transmit_energy_per_request:
        return 0.0
    if device_energy <= transmit_energy_per_request:
        return math.inf
    return connected_power / (device_energy - transmit_energy_per_request)


def radio_connected_time(round_trip: float, tail_time: float) -> float:
    """How long one request keeps a cellular radio connected: the round trip (upload, wait, answer)
    plus the tail after the last byte (Huang et al. 2012: the RRC inactivity timer) (s)."""
    return round_trip + tail_time


def offload_energy_per_request(rate: float, connected_power: float, connected_time: float,
                               transmit_energy_per_request: float) -> float:
    """Battery energy one offloaded request costs at ``rate`` requests per second (J): the radio's
    connected power over its share of the connected time, P_c min(1, r t_c) / r, plus the energy
    to send it. At low rates each request pays a whole tail (P_c t_c + E_tx); once the tails overlap
    (r t_c >= 1) the connected power is shared by every request. ``radio_connected_fraction``."""
    if rate <= 0.0:
        return connected_power * connected_time + transmit_energy_per_request
    return connected_power * radio_connected_fraction(rate, connected_time) / rate + transmit_energy_per_request


# --- Labs: inference economy ---


def cost_per_million_tokens(cost_rate: float, token_rate: float) -> float:
    """What a million tokens cost from a server that costs ``cost_rate`` per unit time while it
    produces ``token_rate`` tokens per unit time: 1e6 x c / X (USD = USD/s / (1/s) x 1e6).

    The unit cost of a service is the cost of the time the work takes divided by the work done in
    it (Barroso, Hoelzle & Ranganathan 2018, "The Datacenter as a Computer", 3rd ed., Ch. 6); per
    million tokens is how serving prices are quoted. Infinite when nothing is produced.
    """
    return 1e6 * cost_rate / token_rate if token_rate > 0 else math.inf


# --- Accuracy: single-node Transformer and training traffic ---

# The memory-bound operators of one Transformer encoder layer, per token, as Ivanov et al. 2021
# ("Data Movement Is All You Need: A Case Study on Optimizing Transformers", MLSys; the BERT
# encoder's dataflow graph, operators grouped by class) classify them: statistical normalizations (softmax,
# layernorm) and element-wise operators (biases, dropout, activations, residual connections),
# each reading its input tensor from and writing its output to main memory. h = hidden width,
# f = FFN width, a s = heads x sequence = the attention-score values of one token (the s x s
# score matrix per head is this per token, which is why long sequences move so much more).


def transformer_elementwise_values(hidden: float, ffn: float, heads: float, seq: float, fused: bool,
                                   dropout: bool) -> float:
    """Values one token's element-wise and normalization kernels read + write in one encoder layer's forward pass.

    Eager (every operator its own kernel, as PyTorch runs BERT without fused kernels; the operator
    list of Ivanov et al. 2021's BERT encoder graph): biases of the QKV, output and FFN-down projections 2 (3h + h + h), the FFN-up bias 2f,
    GELU 2f, the attention context's transpose copy 2h, two residual adds 2 x 3h, two layernorms 2 x 2h
    (= 22h + 4f), and on the a s scores: scale, mask add and softmax, 2 a s each (= 6 a s); with
    ``dropout`` (training) the attention-probability dropout 2 a s and the two hidden dropouts 2 x 2h.
    Fused (apex / Megatron-LM kernels: bias folded into the GEMM or the next kernel, bias + GELU one
    kernel, scale + mask + softmax (+ dropout) one kernel, bias + dropout + residual add one kernel):
    bias-GELU 2f, the transpose copy 2h, two bias-dropout-adds 2 x 3h, two layernorms 2 x 2h (= 12h + 2f)
    and the one softmax kernel 2 a s. Dropout masks are counted apart (``transformer_dropout_mask_values``).
    """
    scores = heads * seq
    if fused:
        return 12.0 * hidden + 2.0 * ffn + 2.0 * scores
    values = 22.0 * hidden + 4.0 * ffn + 6.0 * scores
    if dropout:
        values += 4.0 * hidden + 2.0 * scores
    return values


def transformer_dropout_mask_values(hidden: float, heads: float, seq: float) -> float:
    """Dropout-mask values one token writes per layer in training: a s (attention probabilities) + 2h (two hidden dropouts).

    PyTorch's dropout keeps a one-byte mask per element for the backward pass; each is written forward
    and read backward.
    """
    return heads * seq + 2.0 * hidden


def transformer_attention_io_values(hidden: float, heads: float, seq: float) -> float:
    """Values one token's attention batched GEMMs read + write per layer: QK^T reads Q and K (2h) and writes
    a s scores; AV reads the a s probabilities and V (h) and writes the context (h): 4h + 2 a s.

    With head width d = 64 these GEMMs do 2 d = 128 flop per score value (2 bytes at fp16) they move, 64
    flop/byte, below a V100's or A100's ridge point (~140 flop/byte), so they run at the speed of their
    traffic, and this traffic is charged with the memory-bound kernels.
    """
    return 4.0 * hidden + 2.0 * heads * seq


def transformer_gemm_io_values(hidden: float, ffn: float) -> float:
    """Values one token's weight GEMMs read + write per layer: QKV (h in, 3h out), output projection (h, h),
    FFN up (h, f), FFN down (f, h): 8h + 2f (the inputs and outputs of the four projections of Vaswani et al.
    2017, Sec. 3.3; each written once and read once by the next kernel)."""
    return 8.0 * hidden + 2.0 * ffn


def elementwise_training_factor() -> float:
    """Traffic of forward + backward over forward for an element-wise or normalization kernel: 2.5.

    Forward y = f(x) reads x and writes y (2 accesses); backward reads the incoming gradient dy and the
    saved x (or y) and writes dx (3 accesses), as PyTorch's autograd derivatives of relu, gelu, softmax,
    layer_norm and batch_norm do (each saves its input or output for backward): (2 + 3) / 2 = 2.5.
    The GEMM-class kernels keep the 3x of their flops (Kaplan et al. 2020): dgrad and wgrad each read dy.
    """
    return 2.5


def logits_traffic_values(vocab: float) -> float:
    """Values one token's output layer moves beyond its GEMM inputs, forward: the vocab logits written by the
    GEMM and read + written by the softmax / cross-entropy: 3 x vocab (Devlin et al. 2019's masked-LM head
    scores every position over the vocabulary)."""
    return 3.0 * vocab


# --- Accuracy: serving, round two (weight-only dequantisation, size-dependent streams) ---


def group_scale_bytes_per_weight(group_size: float, scale_bytes: float, values_per_group: float = 2.0) -> float:
    """Storage a group-quantised weight adds for its group's scale and zero point: values x bytes / group size.

    Group-wise weight-only quantisation stores, per group of g consecutive input
    weights, a scale and a zero point (Frantar et al. 2023, GPTQ, Sec. 5 'grouping';
    the tinygemm int4 format keeps a bfloat16 pair per group): 2 x 2 / 32 = 0.125
    byte per weight at g = 32, the '0.125 bits' Marlin's README quotes at g = 128 for
    a scale alone (16 / 128). ``group_size`` 0 is one scale per output channel: 0.
    """
    return values_per_group * scale_bytes / group_size if group_size > 0 else 0.0


def group_quantized_weight_bytes(parameters: float, bytes_per_value: float, scale_bytes_per_weight: float) -> float:
    """Bytes of group-quantised weights: parameters x (bytes per value + scale bytes per weight)."""
    return parameters * (bytes_per_value + scale_bytes_per_weight)


def size_scaled_efficiency(declared: float, at_size: float, at_largest: float) -> float:
    """A declared (large-transfer) efficiency carried to a smaller transfer by a size table's shape.

    A STREAM-like figure is measured on arrays far larger than any cache, where
    a size table (Calculon's HBM table, Isaev et al. 2023) reaches its last value;
    a transfer the table gives ``at_size`` reaches that fraction of it:
    declared x at_size / at_largest (equal to ``declared`` for large transfers).
    """
    return declared * at_size / at_largest


# --- Labs: ml workflow ---


def experiments_within(limit: float, per_experiment: float) -> float:
    """How many experiments a limit allows, as a fraction: L / c (a time, money or carbon budget L
    spent c per experiment; both in the same unit). The fractional count says how close the next
    whole run is; ``complete_experiments`` gives the whole runs. Elementary: the count of items of
    size c that fit in B, as in the knapsack problem with one item type (Kellerer, Pferschy & Pisinger
    2004, "Knapsack Problems", §1.1)."""
    return limit / per_experiment


def complete_experiments(limit: float, per_experiment: float) -> int:
    """Whole experiments that fit in a limit: floor(L / c) (a run cut short teaches nothing; Kellerer
    et al. 2004, §1.1). A count within 1e-9 of the next integer is that integer (floating-point slack)."""
    return int(math.floor(limit / per_experiment + 1e-9))


def binding_limit(allowances: dict[str, float]) -> str:
    """The limit that ends the project first: the name whose allowance (experiments it permits) is
    smallest, since the project gets min over the limits. It is the active constraint of the linear
    program max n s.t. n c_i <= L_i for every limit i (Boyd & Vandenberghe 2004, "Convex
    Optimization", §5.5.2, complementary slackness); ties go to the first name given."""
    return min(allowances, key=allowances.get)


def accelerators_rentable(budget: float, hourly_rate: float, duration: float) -> float:
    """Accelerators a budget can rent for a whole period: B / (r T), from the rental cost
    r N T = B (the ``rental_cost`` kernel solved for N; rate per accelerator per unit of ``duration``).
    With more accelerators than this, the money runs out before the period does, whatever the work:
    a run of wall-clock time t allows T / t runs by time and B / (r N t) by money, and t cancels."""
    return budget / (hourly_rate * duration)


# --- Labs: silent corruption ---


def event_rate_per_device_day(events: float, devices: float, days: float) -> float:
    """A measured rate per device per day: k / (N T), the maximum-likelihood rate of a Poisson
    process from k events in N T device-days (e.g. Llama 3's 6 silent corruptions on 16,384 GPUs in
    54 days, Dubey et al. 2024, Table 5). Independent devices' processes add (superposition)."""
    return events / (devices * days)


def expected_poisson_events(rate: float, devices: float, days: float) -> float:
    """Expected events a job of N devices for T days sees: mu = lambda N T, the mean of the
    superposed Poisson process of N independent devices (Ross, "Introduction to Probability Models",
    11th ed., §5.3: superposition; the count in time T is Poisson with mean rate x T)."""
    return rate * devices * days


def poisson_at_least_one(mean: float) -> float:
    """P(N >= 1) = 1 - exp(-mu) for a Poisson count of mean mu (Ross 2014, §5.3). Computed with
    expm1 so a tiny mean gives mu, not 0."""
    return -math.expm1(-mean)


def binomial_at_least_one(fraction: float, count: float) -> float:
    """P(at least one of n independent devices is defective) = 1 - (1 - p)^n, each defective with
    probability p (a prevalence; Feller 1968, "An Introduction to Probability Theory", vol. I, §VI.2).
    For small p it is close to the Poisson 1 - exp(-n p). A certain event (p = 1) is certain in
    any count of at least one (log1p(-1) has no value)."""
    if fraction >= 1.0:
        return 1.0 if count > 0 else 0.0
    return -math.expm1(count * math.log1p(-fraction))


def silent_check_loss_fraction(check_time: float, interval: float, events: float, duration: float) -> float:
    """Fraction of a job's time lost to detecting silent corruptions with a check every tau:
    c / tau (the checks) + mu tau / D (the rework). A silent corruption shows at the next check
    only, and the job cannot tell when in the interval it happened, so it rolls back a whole
    interval tau (a fail-stop failure loses tau / 2 on average: Young 1974). First order: at most
    one corruption per interval (mu tau / D << 1); the check is assumed to catch every corruption."""
    return check_time / interval + events * interval / duration


def best_silent_check_interval(check_time: float, events: float, duration: float) -> float:
    """The interval that minimises ``silent_check_loss_fraction``: tau* = sqrt(c D / mu), where
    c / tau = mu tau / D (d/dtau = 0); the square-root law of Young (1974) with a whole interval,
    not half, lost per event. Infinite when no event is expected (mu = 0: never check)."""
    if events <= 0:
        return math.inf
    return math.sqrt(check_time * duration / events)


def expected_defective(fraction: float, count: float) -> float:
    """Expected defective devices among n, each defective with probability p: n p (the binomial
    mean; Feller 1968, vol. I, §IX.2)."""
    return fraction * count


# --- Labs: storage tiers ---


def tier_bandwidth(clients: float, per_client_bandwidth: float, aggregate_bandwidth: float = math.inf) -> float:
    """What a storage tier delivers to ``clients`` reading (or writing) at once: min(n b, B).

    Each client is held to its own link or drives (b); a shared tier (a parallel file system, an
    object store) also has one ceiling B for everyone, its servers' total. A tier with no shared
    ceiling (node-local NVMe, B = inf) grows with the clients. The bound of serial resources, as in
    Mohan et al. 2021 ("Analyzing and Mitigating Data Stalls in DNN Training", PVLDB 14(5)): the
    slowest path sets the rate. Bytes per second when b and B are."""
    return min(clients * per_client_bandwidth, aggregate_bandwidth)


def request_bound_bandwidth(request_rate: float, bytes_per_request: float) -> float:
    """Bytes per second a request-rate-limited store serves: r x bytes per request. Amazon S3 serves
    5,500 GET/s per prefix ("Best practices design patterns: optimizing Amazon S3 performance"),
    so small objects hit the request limit long before the bandwidth one."""
    return request_rate * bytes_per_request


def accelerators_fed(per_accelerator_supply: float, aggregate_supply: float, per_accelerator_demand: float) -> float:
    """How many accelerators a tier keeps fed: none if one accelerator's share of its node's link
    (per_accelerator_supply) is below what it consumes, else aggregate / demand (inf for a tier with
    no shared ceiling). From N d <= min(N s, B) for N accelerators each consuming d and each
    supplied s (the min of tier_bandwidth). Same units for supply and demand (e.g. bytes/s)."""
    if per_accelerator_supply < per_accelerator_demand:
        return 0.0
    return aggregate_supply / per_accelerator_demand


# --- Labs: robustness ---


# the rate from a count and the chance of at least one event are the silent-corruption block's
# event_rate_per_device_day, expected_poisson_events and poisson_at_least_one


def dual_redundancy_rerun_probability(p: float) -> float:
    """Dual modular redundancy: two replicas compute the same thing and compare. A fault in either
    (probability p each, independent) shows up as a mismatch, and the work is redone:
    1 - (1 - p)^2. Silent errors become detected ones, at twice the hardware."""
    return binomial_at_least_one(p, 2)


def triple_redundancy_failure_probability(p: float) -> float:
    """Triple modular redundancy with a majority vote fails only when two or more of three replicas
    fail: 1 - R_TMR with R_TMR = 3R^2 - 2R^3 and R = 1 - p, i.e. 3p^2 - 2p^3 (Lyons & Vanderkulk
    1962, "The Use of Triple-Modular Redundancy to Improve Computer Reliability", IBM J. Res. Dev.
    6(2)). Assumes a perfect voter and independent replicas."""
    return 3.0 * p * p - 2.0 * p ** 3


def replicated_accelerator_time(wall_time: float, accelerators: float, replicas: float = 1.0) -> float:
    """Accelerator-time a job occupies: t x N x r, its wall time on N accelerators, run r times over
    (r = 2 for dual, 3 for triple modular redundancy: each replica is a whole copy of the job).
    Accelerator-seconds when ``wall_time`` is in seconds."""
    return wall_time * accelerators * replicas


# --- Accuracy: serving, kernels of different sizes and rates ---


def time_weighted_efficiency(flops: list, efficiencies: list) -> float:
    """The fraction of peak a sequence of kernels reaches together: sum(f_i) / sum(f_i / e_i).

    Kernel i does f_i flop at e_i of peak, so it takes f_i / (e_i x peak); their times add
    (one kernel after another), so the sequence reaches sum(f_i) / sum(f_i / e_i) of peak
    (the flop-weighted harmonic mean, as Calculon sums per-layer kernel times, Isaev et al.
    2023, Sec. 3). A list with no work reaches 1 (nothing to slow down).
    """
    total = sum(flops)
    if total <= 0:
        return 1.0
    return total / sum(f / e for f, e in zip(flops, efficiencies) if f > 0)


def sequential_roofline_rates(ops_a: float, bytes_a: float, rate_a: float, bandwidth_a: float,
                              ops_b: float, bytes_b: float, rate_b: float, bandwidth_b: float) -> tuple[float, float, float]:
    """``sequential_roofline`` with each operator on its own ceilings: (time, compute time, memory time).

    time = max(ops_a / F_a, bytes_a / B_a) + max(ops_b / F_b, bytes_b / B_b): the weight
    GEMMs reach their size's fraction of the weights' precision peak and stream the weights
    at their matrices' size, the attention computes in the 16-bit activations' precision and
    reads the KV cache at its own size's fraction (LLMCompass, Zhang et al. 2024, ISCA, and
    Vidur, Agrawal et al. 2024, MLSys, time each operator on its own). A rate of 0 takes forever.
    """
    if rate_a <= 0 or rate_b <= 0:
        return math.inf, math.inf, bytes_a / bandwidth_a + bytes_b / bandwidth_b
    ca, cb = ops_a / rate_a, ops_b / rate_b
    ma, mb = bytes_a / bandwidth_a, bytes_b / bandwidth_b
    return max(ca, ma) + max(cb, mb), ca + cb, ma + mb


def pass_launch_time(layers: float, kernels_per_layer: float, launch_time: float) -> float:
    """Host cost of launching one forward pass: layers x kernels per layer x cost per launch.

    A runtime that enqueues each kernel of a pass from the host pays the launch cost per
    kernel (``launch_overhead``); a Transformer pass launches the same kernels in every
    layer (norm, QKV GEMM, attention, output GEMM, norm, FFN GEMMs, activation, residual).
    """
    return launch_overhead(layers * kernels_per_layer, launch_time)


def decode_kv_read_factor(heads: int, kv_heads: int, per_query_head: bool) -> float:
    """Times one decode step reads each KV head: heads / kv_heads for a kernel with a block per query head, else 1.

    A grouped-query model (Ainslie et al. 2023, "GQA") shares each KV head among
    heads / kv_heads query heads. A kernel that runs one thread block per (sequence,
    query head), each loading the KV head it maps to (TensorRT-LLM's masked multi-head
    attention: ``hi_kv = hi / (num_heads / num_kv_heads)``), reads every KV head that
    many times; a GQA-aware kernel (TensorRT-LLM's XQA, FlashAttention, vLLM's paged
    attention with grouped queries) loads it once for the group.
    """
    return heads / kv_heads if per_query_head and kv_heads > 0 else 1.0


def decoder_elementwise_values(hidden: float, kv_width: float, ffn: float, gated: bool, tp: int) -> float:
    """Activation values one accelerator's non-attention kernels of a decoder layer read + write per token (inference).

    A fused inference runtime (TensorRT-LLM, vLLM) runs a Llama-style layer as RMSNorm, QKV GEMM,
    rotary, attention, output GEMM, residual add, RMSNorm, FFN GEMMs, activation, down GEMM, residual
    add, each kernel reading its input tensor from and writing its output to HBM (Ivanov et al. 2021's
    data-movement view, applied to the decoder). Per token, h = hidden, h_kv = kv_heads x head_dim,
    f = FFN width; under tensor parallelism (Shoeybi et al. 2019, Sec. 3) the h-wide tensors are whole
    on every accelerator and the QKV, attention and FFN intermediates are split tp ways:
      whole:  two RMSNorms 2 x 2h, two residual adds 2 x 3h, the inputs of the QKV and FFN GEMMs (h each,
              gate and up read it apart: 3 GEMMs when gated) and the outputs of the output and down GEMMs 2h
              = 14h (+ h gated);
      split:  QKV out h + 2 h_kv, attention out h, rotary on q and k 2 (h + h_kv), FFN-up out f (2f gated),
              the activation 2f (SiLU x up reads 2f, writes f: 3f gated), down-GEMM in f
              = 4h + 4 h_kv + 4f (6f gated), over tp.
    """
    whole = 14.0 * hidden + (hidden if gated else 0.0)
    split = 4.0 * hidden + 4.0 * kv_width + (6.0 if gated else 4.0) * ffn
    return whole + split / tp


# --- Accuracy: single node ---


def layout_transpose_values(conv_input_values: float, conv_output_values: float) -> float:
    """Values the NCHW <-> NHWC transposes around tensor-core convolutions read and write per sample, one pass.

    Tensor cores run convolutions in NHWC; given NCHW tensors (PyTorch's default layout), cuDNN
    transposes each convolution's input to NHWC before it and its output back to NCHW after it
    (NVIDIA's convolution performance guide, as summarised in MosaicML Composer's "Channels Last"
    method card: "the NCHW tensor must be transposed to NHWC before the convolution and transposed
    back to NCHW after"). Each transpose reads and writes its tensor once:
    2 x (sum of conv inputs + sum of conv outputs). Channels-last (NHWC) tensors need none.
    """
    return 2.0 * (conv_input_values + conv_output_values)


# --- Accuracy: distributed training, round three (stage balance) ---


def first_stage_layers(layers: int, stages: int) -> int:
    """Transformer layers on the first pipeline stage: ceil(L / P), one fewer when L / P is not whole.

    The heaviest stage holds ceil(L / P) layers and sets the pipeline's pace;
    the P ceil(L / P) - L layer slots left over go to the stages that also hold
    the embedding (the first) and the output head and loss (the last). Llama 3
    405B's 126 layers on 16 stages: "we reduce one Transformer layer each from
    the first and the last stages ... the first model chunk on the first stage
    has only the embedding" (Dubey et al. 2024, "The Llama 3 Herd of Models",
    Sec. 3.3.2), i.e. 7, 8, ..., 8, 7; BLOOM's 70 layers on 12 stages likewise
    (Megatron-DeepSpeed's partition_method "type:transformer|embedding" counts
    the two embeddings as layers: 72 slots of 6). The first stage is the one
    that keeps the most micro-batches' activations under 1F1B, so this count,
    not ceil(L / P), sets the activation memory. L for one stage.
    """
    if stages <= 1:
        return layers
    heaviest = -(-layers // stages)
    return heaviest - 1 if heaviest * stages > layers else heaviest


# --- Accuracy: single node, round four ---


def weight_update_bytes(params: float, accumulation_steps: float, state_bytes: float, model_bytes: float) -> float:
    """Bytes the weight update moves per micro-batch of training: Adam, plus mixed precision's master copy.

    Adam (Kingma & Ba 2015, Algorithm 1) reads each parameter, its gradient and both moments and writes the
    parameter and both moments back: 7 values of ``state_bytes`` per parameter per optimizer step, in one
    pass when fused (apex FusedAdam / FusedLAMB, one multi-tensor kernel). The step runs once per
    ``accumulation_steps`` micro-batches.
    Mixed precision with fp32 master weights (Micikevicius et al. 2018, "Mixed Precision Training",
    Sec. 3.1; apex amp opt_level O2, as NVIDIA's DeepLearningExamples BERT uses) adds, with
    ``model_bytes < state_bytes``: after every backward, the loss-scaled model gradient (``model_bytes``)
    is unscaled into the fp32 master gradient (``state_bytes`` written; from the second micro-batch of an
    accumulation on, read and written: apex's unscale_with_stashed), and after each optimizer step the
    master weights (``state_bytes``) are copied to the model's (``model_bytes``).
    Without master weights (``model_bytes >= state_bytes``: fp32 training), a micro-batch after the first
    of an accumulation adds its gradient to the stored one (PyTorch's AccumulateGrad: read both, write one).
    a = ``accumulation_steps``; per micro-batch:
    master weights: (7 s + s + m) / a + m + s + s (a - 1) / a;  otherwise: 7 s / a + 3 s (a - 1) / a.
    """
    a, s, m = accumulation_steps, state_bytes, model_bytes
    later = (a - 1.0) / a  # the share of micro-batches that add into a stored gradient
    if m < s:
        per_value = (7.0 * s + s + m) / a + m + s + s * later
    else:
        per_value = 7.0 * s / a + 3.0 * s * later
    return params * per_value


def autocast_cast_bytes(params: float, accumulation_steps: float, state_bytes: float, half_bytes: float,
                        training: bool) -> float:
    """Bytes PyTorch's native mixed precision (torch.cuda.amp) moves per micro-batch for its casts of the weights.

    autocast keeps the model in fp32 and casts each weight to 16 bits the first time an op in the autocast
    region uses it, caching the copy until the region exits (PyTorch docs, "Automatic Mixed Precision
    package - torch.amp": autocast "caches" casts of leaf tensors "within an autocast-enabled region"), so
    every forward pass reads each fp32 weight (``state_bytes``) and writes its 16-bit copy (``half_bytes``).
    Training adds the cast's backward, the 16-bit gradient read and written as the fp32 gradient
    (``half_bytes + state_bytes``), and once per optimizer step GradScaler.unscale_ reads and writes every
    fp32 gradient with the inf/NaN check in the same pass (torch._amp_foreach_non_finite_check_and_unscale_):
    2 ``state_bytes`` / ``accumulation_steps``. The fp32 optimizer step itself is ``weight_update_bytes``.
    Per micro-batch: P (s + m) inference; P ((s + m) + (m + s) + 2 s / a) training.
    """
    cast = state_bytes + half_bytes
    if not training:
        return params * cast
    return params * (2.0 * cast + 2.0 * state_bytes / accumulation_steps)


# --- Accuracy: reliability, round five ---


def calendar_interruption_interval(running_mtbf: float, downtime: float) -> float:
    """Mean wall-clock time between a job's interruptions when each one costs ``downtime`` before it runs again.

    An alternating renewal process of up periods (mean ``running_mtbf``) and repair periods (mean
    ``downtime``): the mean cycle is their sum, and the long-run share of time up is
    MTBF / (MTBF + MTTR) (S. M. Ross, "Introduction to Probability Models", Ch. 7, renewal theory:
    alternating renewal processes). A job accrues failures only while it runs, so a log that
    counts its interruptions over a calendar window sees one every MTBF + downtime on average.
    downtime = 0 gives the running MTBF back.
    """
    return running_mtbf + downtime


def expected_distinct_units(units: float, events: float) -> float:
    """Expected number of distinct units hit by ``events`` independent failures, each equally likely on any of ``units``.

    Occupancy (Feller 1968, "An Introduction to Probability Theory and Its Applications", Vol. I,
    Ch. II.5 and IV.2): a unit escapes one event with probability 1 - 1/n, all k with (1 - 1/n)^k, so
    E[distinct] = n (1 - (1 - 1/n)^k). A log in which fewer distinct units failed than this shows
    failures repeating on the same units beyond chance (Kokolis et al. 2024's "lemon" nodes); as many
    shows that the failures spread as independent per-unit rates predict.
    """
    if units <= 0 or events <= 0:
        return 0.0
    return units * (1.0 - (1.0 - 1.0 / units) ** events)


# --- Accuracy: BERT non-GEMM ---


def operator_class_time(layer_time: float, runtime_share: float) -> float:
    """The time one operator class takes of a measured layer: share x layer time (s).

    Ivanov, Dryden, Ben-Nun, Li & Hoefler 2021 ("Data Movement Is All You Need", MLSys; Table 1) split a
    BERT-Large encoder layer's forward + backward in PyTorch on a V100 (fp16, batch 8, sequence 512) into
    tensor contractions (99.80% of the flop, 61.0% of the runtime), statistical normalizations (0.17%, 25.5%)
    and element-wise operators (0.03%, 13.5%). With the layer's measured time this gives each class's time,
    e.g. the memory-bound classes of a 9.14 ms layer: (0.255 + 0.135) x 9.14 ms = 3.565 ms. The bandwidth those
    kernels reached is then their bytes over that time (``required_bandwidth`` at efficiency 1).
    """
    return runtime_share * layer_time


def attention_operand_copy_values(hidden: float, training: bool) -> float:
    """Values one token's attention operands copy per layer when torch.matmul makes them contiguous: 6h, 12h training.

    BERT in PyTorch (NVIDIA DeepLearningExamples' modeling.py, BertSelfAttention) views Q, K and V per head
    with ``permute`` and multiplies them with ``torch.matmul``, which hands batched operands to bmm only
    after ``.contiguous()`` (ATen, LinearAlgebra.cpp, matmul): one copy kernel per permuted operand, reading
    and writing its h values, 3 x 2h = 6h (the probabilities are already contiguous; the context's own
    ``permute(...).contiguous()`` is in ``transformer_elementwise_values``). In backward each gradient
    reaches its projection in the permuted layout and is copied once more before the projection's GEMMs:
    another 6h, so 12h in training (a copy's backward moves what its forward does, not 1.5x).
    """
    return (12.0 if training else 6.0) * hidden


# --- Accuracy: framework-bound floor ---


def autocast_cast_launches(weight_kernels: float, autocast: bool) -> float:
    """Eager operators torch.autocast adds to one forward pass: one weight cast per GEMM-class kernel.

    Under ``torch.autocast`` an op on the float16 list (conv, linear, matmul, ...) with an fp32 weight
    first casts the weight to 16 bits, a separate ``aten::_to_copy`` operator with its own kernel; the
    weight cache keeps the cast for the rest of the autocast region (PyTorch docs, "Automatic Mixed
    Precision package - torch.amp", ``cache_enabled``), so a region that wraps one forward pass casts
    each weight once per pass. Each cast is dispatched from the host like any eager operator. The
    input's and biases' casts (one each) are not counted. 0 when autocast is off.
    """
    return weight_kernels if autocast else 0.0


# --- Accuracy: CNN per layer ---

def conv_layer_flops(in_channels: float, out_channels: float, kernel: float, out_size: float) -> float:
    """Forward FLOPs of one 2-D convolution per sample: 2 C_in k^2 C_out H_out W_out (square maps, H_out = W_out).

    One multiply-add (2 FLOPs) per weight per output position (He et al. 2016, Table 1 counts the
    multiply-adds; torchvision reports 4.09 G of them for ResNet-50 v1.5). A fully connected layer is
    the case k = 1, H_out = 1. Example: ResNet-50's first 3x3 conv of conv2_x, 64 -> 64 channels on
    56x56: 2 x 64 x 9 x 64 x 3,136 = 231.2 MFLOP.
    """
    return 2.0 * in_channels * kernel * kernel * out_channels * out_size * out_size


def conv_layer_io_values(in_channels: float, out_channels: float, stride: float, out_size: float) -> float:
    """Activation values one convolution moves per sample: its input read once (C_in (s H_out)^2) and its
    output written once (C_out H_out^2), the traffic of one kernel on the roofline (Williams et al. 2009).

    The input map is s x H_out on a side for stride s with 'same' padding (ResNet's convs). Example: the
    stride-2 projection of conv3_x, 256 -> 512 channels to 28x28: 256 x 56^2 + 512 x 28^2 = 1,204,224.
    """
    return in_channels * (stride * out_size) ** 2 + out_channels * out_size * out_size


def winograd_multiply_reduction(output_tile: float, kernel: float) -> float:
    """How many times fewer multiplies Winograd's minimal filtering F(m x m, r x r) needs than a direct
    convolution: (m r)^2 / (m + r - 1)^2 (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
    Networks", CVPR, Sec. 4: F(2x2, 3x3) uses 16 multiplies where direct convolution uses 36, 2.25x;
    F(4x4, 3x3) 36 where direct uses 144, 4x). The input and output transforms add work (and error)
    that grows with the tile, so the realised speedup lies below this bound.
    """
    return (output_tile * kernel) ** 2 / (output_tile + kernel - 1.0) ** 2


def layer_roofline_time(flops: tuple, weight_bytes: tuple, io_bytes: tuple, seconds_per_flop: float,
                        seconds_per_weight_byte: float, seconds_per_io_byte: float) -> float:
    """The roofline applied kernel by kernel and summed (Williams, Waterman & Patterson 2009 apply it to
    one kernel; kernels of a pass run one after another):

        T = sum_i max(flops_i x t_flop, weights_i x t_weight + io_i x t_io)

    ``flops``, ``weight_bytes``, ``io_bytes``: one entry per layer (or per group of identical layers, whose
    times simply add); the three scales carry the batch, the passes and the rates (e.g. t_flop = passes x
    batch / FLOP/s). T >= max(sum of compute, sum of traffic): a pass of mixed layers is slower than its
    totals suggest. Example: two layers, (2 s compute, 1 s traffic) and (1 s, 3 s): 2 + 3 = 5 s, not max(3, 4) = 4 s.
    """
    total = 0.0
    for f, w, a in zip(flops, weight_bytes, io_bytes):
        c = f * seconds_per_flop
        m = w * seconds_per_weight_byte + a * seconds_per_io_byte
        total += c if c > m else m
    return total


def layer_roofline_times(flops: tuple, weight_bytes: tuple, io_bytes: tuple, batches: list, seconds_per_flop: float,
                         seconds_per_weight_byte: float, seconds_per_io_byte: float) -> list:
    """``layer_roofline_time`` for each batch size b of ``batches`` (the same sum, for a sweep), where
    ``seconds_per_flop`` and ``seconds_per_io_byte`` are per sample (multiplied by b here).

    Layer i is compute-bound from the batch b_i = w_i t_weight / (f_i t_flop - a_i t_io) on (never when
    f_i t_flop <= a_i t_io): below it its time is w_i t_weight + a_i t_io b, above it f_i t_flop b. Sorting the
    layers by b_i, each batch sums the compute of those it has passed and the traffic of the rest, so the
    work is one pass over the layers plus one over the batches. Example: layers (2 s, 0 + 1 s) and (1 s, 0 + 3 s)
    per sample give 5 b s (see ``layer_roofline_time``).
    """
    breaks = []
    mem_fixed = mem_rate = 0.0
    for f, w, a in zip(flops, weight_bytes, io_bytes):
        c, m_fixed, m_rate = f * seconds_per_flop, w * seconds_per_weight_byte, a * seconds_per_io_byte
        mem_fixed += m_fixed
        mem_rate += m_rate
        if c > m_rate:
            breaks.append((m_fixed / (c - m_rate), c, m_fixed, m_rate))
    breaks.sort()
    order = sorted(range(len(batches)), key=batches.__getitem__)
    out = [0.0] * len(batches)
    comp_rate = 0.0
    k, n = 0, len(breaks)
    for j in order:
        b = batches[j]
        while k < n and breaks[k][0] <= b:
            _, c, m_fixed, m_rate = breaks[k]
            comp_rate += c
            mem_fixed -= m_fixed
            mem_rate -= m_rate
            k += 1
        out[j] = comp_rate * b + mem_fixed + mem_rate * b
    return out


# --- Accuracy: round six, GEMM classes ---

def framework_scaled_efficiency(framework_factor: float, table_efficiency: float) -> float:
    """A framework's compute efficiency as a factor on the Software wall's size- and precision-dependent
    table: min(1, factor x table(kernel size, precision)).

    The table mode of a serving solve already scales its tables so (a framework's measured share of
    the kernels' rate, as Calculon's processor model scales its per-size efficiency tables, Isaev et
    al. 2023); a calibration that fits the factor instead of one absolute efficiency keeps the tables'
    shape when the batch, the sequence or the precision changes. Capped at 1 (no kernel exceeds peak).
    """
    scaled = framework_factor * table_efficiency
    return 1.0 if scaled > 1.0 else scaled


# --- Accuracy: CNN convolutions, 16-bit vs 32-bit ---

def weighted_time_ratio(numerator_times: tuple, denominator_times: tuple, counts: tuple) -> float:
    """sum_i n_i a_i / sum_i n_i b_i: how many times longer kernels a take than kernels b over a network that
    runs shape i n_i times (e.g. a = backward, b = forward convolution times measured per layer shape).

    Example: shapes run 3 and 1 times with (a, b) = (2.5, 1.0) and (4.0, 2.0) ms: (7.5 + 4) / (3 + 2) = 2.3.
    """
    num = sum(n * a for n, a in zip(counts, numerator_times))
    den = sum(n * b for n, b in zip(counts, denominator_times))
    return num / den


def conv_training_time_passes(backward_ratio: float) -> float:
    """Forward-pass times one training step of a convolution takes: the forward, then the data-gradient and
    weight-gradient convolutions, ``backward_ratio`` times the forward's time together: 1 + ratio.

    Counting flops gives 1 + 2 = 3 (Kaplan et al. 2020, Sec. 2.1); measured cuDNN kernels take longer
    backward than the flops say (Baidu DeepBench's V100 convolution sheets: 2.39 on the tensor cores, 2.51
    on the CUDA cores over ResNet-50's layer shapes, ``solvers.defaults``), so 3.39 and 3.51.
    """
    return 1.0 + backward_ratio


def partial_overlap_time(compute_time: float, memory_time: float, non_overlap: float) -> float:
    """One kernel whose math and memory traffic overlap only in part: max(c, m) + n x min(c, m).

    n = 0 is the roofline (Williams, Waterman & Patterson 2009: the two overlap fully); n = 1 adds them, as
    the Execution-Cache-Memory model adds the data transfers a core cannot overlap with its work (Treibig &
    Hager 2010, "Introducing a Performance Model for Bandwidth-Limited Loop Kernels", PPAM). The term
    matters near the ridge, where c and m are alike. Example: c = 0.88 ms, m = 0.93 ms, n = 0.644:
    0.93 + 0.644 x 0.88 = 1.50 ms, where the roofline gives 0.93 ms.
    """
    if compute_time > memory_time:
        return compute_time + non_overlap * memory_time
    return memory_time + non_overlap * compute_time


def non_overlap_fraction(measured_time: float, compute_time: float, memory_time: float) -> float:
    """The n of ``partial_overlap_time`` a measured kernel time implies: (t - max(c, m)) / min(c, m).

    Example: a kernel measured at 1.50 ms whose math alone takes 0.88 ms and traffic 0.93 ms:
    (1.50 - 0.93) / 0.88 = 0.648 of its shorter side was not hidden.
    """
    longer, shorter = (compute_time, memory_time) if compute_time > memory_time else (memory_time, compute_time)
    return (measured_time - longer) / shorter


def layer_overlap_time(flops: tuple, weight_bytes: tuple, io_bytes: tuple, seconds_per_flop: float,
                       seconds_per_weight_byte: float, seconds_per_io_byte: float, non_overlap: float) -> float:
    """``layer_roofline_time`` with each layer's math and traffic overlapping in part (``partial_overlap_time``):
    T = sum_i max(c_i, m_i) + n min(c_i, m_i); n = 0 gives ``layer_roofline_time``.

    Example: layers (2 s compute, 1 s traffic) and (1 s, 3 s) at n = 0.5: (2 + 0.5) + (3 + 0.5) = 6 s (5 s at n = 0).
    """
    total = 0.0
    for f, w, a in zip(flops, weight_bytes, io_bytes):
        total += partial_overlap_time(f * seconds_per_flop, w * seconds_per_weight_byte + a * seconds_per_io_byte, non_overlap)
    return total


def layer_overlap_times(flops: tuple, weight_bytes: tuple, io_bytes: tuple, batches: list, seconds_per_flop: float,
                        seconds_per_weight_byte: float, seconds_per_io_byte: float, non_overlap: float) -> list:
    """``layer_overlap_time`` for each batch size of ``batches`` (per-sample scales as in ``layer_roofline_times``).

    Since max(c, m) + n min(c, m) = (1 - n) max(c, m) + n (c + m), each batch's sum is (1 - n) x the roofline
    sum (``layer_roofline_times``) + n x (all layers' compute + traffic), both linear in b.
    Example: layers (2 s, 1 s) and (1 s, 3 s) per sample at n = 0.5: 0.5 x 5 b + 0.5 x 7 b = 6 b s.
    """
    roof = layer_roofline_times(flops, weight_bytes, io_bytes, batches, seconds_per_flop, seconds_per_weight_byte,
                                seconds_per_io_byte)
    if non_overlap == 0.0:
        return roof
    per_sample = sum(flops) * seconds_per_flop + sum(io_bytes) * seconds_per_io_byte
    fixed = sum(weight_bytes) * seconds_per_weight_byte
    return [(1.0 - non_overlap) * r + non_overlap * (fixed + per_sample * b) for r, b in zip(roof, batches)]


# --- Accuracy: BERT's task heads and DeepLearningExamples' pre-training step ---


def looked_up_free_parameters(active: float, embedding: float, tied_decoder: float = 0.0) -> float:
    """Parameters a token's forward pass multiplies when its embedding tables are only looked up:
    active - embedding + tied_decoder.

    An embedding lookup gathers one row per token and multiplies nothing, so the 2 N flop per token
    convention (Kaplan et al. 2020, Sec. 2.1, which leaves the embeddings out of N) counts the tables only
    where an output layer multiplies them: BERT's masked-LM decoder is tied to the word table (h x vocab,
    Devlin et al. 2019, Sec. 3.1), SQuAD's span head is not (Sec. 4.2: start and end vectors, h x 2).
    Example: BERT-Large for SQuAD in DeepLearningExamples (vocab padded to 30,528): 335,150,082 parameters,
    31,787,008 in the word, position and token-type tables -> 303,363,074 multiplied per token.
    """
    return active - embedding + tied_decoder


def masked_lm_loss_traffic_values(vocab: float) -> float:
    """Values one token's masked-LM head and loss move in a training step, forward + backward, beyond the
    GEMMs' inputs: 12 x vocab.

    Read off NVIDIA DeepLearningExamples' BERT code of 2019 (commit 3d3ff3e1, the pytorch:19.07 tables):
    modeling.py's BertLMPredictionHead scores EVERY position, ``self.decoder(hidden_states) + self.bias``
    (a GEMM, then a separate bias add), and BertForPreTraining's ``CrossEntropyLoss(ignore_index=-1)`` over
    ``prediction_scores.view(-1, vocab_size)`` (log_softmax, then nll_loss) on all of them, the unmasked
    positions ignored only inside the loss; amp O2 runs it on the fp16 logits (the model returns the loss,
    so amp's fp32 output cast touches a scalar). Per token:
      forward:  GEMM writes vocab (1); bias add reads + writes (2); log_softmax reads + writes (2)   = 5
      backward: nll_loss's zeroed gradient written (1); log_softmax backward reads the gradient and its
                output, writes (3); the bias gradient's reduction reads (1); the decoder's dgrad and
                wgrad GEMMs read the gradient (2)                                                     = 7
    The inference script (no labels) runs the forward's GEMM and bias add: ``logits_traffic_values``'s 3.
    """
    return 12.0 * vocab


def bert_outer_operators(output_head: str, training: bool) -> float:
    """Eager operators one BERT forward pass runs outside its encoder layers, each a kernel launch, counted
    off NVIDIA DeepLearningExamples' modeling.py of 2019 (commit 3d3ff3e1, the pytorch:19.07 tables).

    Front (BertModel.forward, BertEmbeddings.forward): the extended attention mask's ``.to(dtype)``,
    ``1.0 - mask`` and ``* -10000.0`` (3); ``torch.arange`` for the positions, the word, position and
    token-type lookups, two adds, the layernorm and the dropout (8; in eval the dropout launches nothing: 7);
    the pooler's ``F.linear`` and jit-scripted ``bias_tanh`` (2). Views (unsqueeze, expand_as, split,
    squeeze) launch nothing.
    "masked_lm" (BertPreTrainingHeads): the transform's ``F.linear``, jit ``bias_gelu`` and layernorm, the
    decoder's GEMM and its separate ``+ self.bias``, the NSP linear (6); with labels (training), the two
    CrossEntropyLoss calls (log_softmax + nll_loss each) and their sum (5).
    "span" (BertForQuestionAnswering): ``qa_outputs`` (1); with positions (training), two ``clamp_``, two
    CrossEntropyLoss calls (4) and ``(start_loss + end_loss) / 2`` (2): 8.
    masked_lm: 24 in training, 18 in inference; span: 22 and 13.
    """
    front = 3.0 + (8.0 if training else 7.0) + 2.0
    if output_head == "masked_lm":
        return front + 6.0 + (5.0 if training else 0.0)
    if output_head == "span":
        return front + 1.0 + (8.0 if training else 0.0)
    return 0.0


# --- Residency: inference peak live activations ---
def residual_kept_values(in_values: float, widest_at_input_resolution: float) -> float:
    """Values a residual connection keeps alive while one layer of a residual block runs: the block's input,
    held for the ``out += identity`` add at the block's end (He et al. 2016, Fig. 5's bottleneck; torchvision
    ``models/resnet.py``, ``Bottleneck.forward``: ``identity = x`` is kept until the add).

    Read off a layer table that lists no blocks, the block input of a bottleneck is as wide as the block's
    output: the widest output the table lists at the layer's input resolution (256 x 56^2 = 802,816 values in
    ResNet-50's conv2_x). 0 when the layer reads that tensor itself (a block's first 1x1 conv): it is stored
    once, already counted as the layer's input.
    """
    return 0.0 if in_values >= widest_at_input_resolution else widest_at_input_resolution


def layer_live_values(in_values: float, out_values: float, kept_values: float, separate_norm: bool) -> float:
    """Values live while one layer of an inference pass runs: its input, its output, what a residual
    connection keeps alive (``residual_kept_values``) and, where batch norm is its own kernel (eager
    execution), the normalised copy BN writes beside the conv's output (nn.BatchNorm2d is not in place;
    the ReLU after it is, ``inplace=True``, so it adds nothing). With BN folded into the conv (fused
    execution): input + output + kept.

    The conv's input may already be freed while its BN runs; it is counted anyway, so the figure is a bound
    per layer. At a block's projection (downsample conv + its BN) it is exact: the block input, the main
    branch's output, the projection's output and its BN's copy all live together.
    """
    return in_values + out_values + kept_values + (out_values if separate_norm else 0.0)


def inference_peak_live_values(live_values: tuple) -> float:
    """Activation values an inference pass keeps resident at its peak: the largest live set of any layer
    (``layer_live_values``), not the sum over layers.

    Without an autograd graph (``torch.no_grad``, PyTorch docs: "useful for inference ... It will reduce memory
    consumption for computations that would otherwise have requires_grad=True"; ``torch.inference_mode`` alike)
    no operator saves its inputs for backward, so a tensor is released when its last reference goes
    (``out = self.conv2(out)`` rebinds it once the conv has read it) and the CUDA caching allocator hands its
    block to the next tensor. What stays resident is the largest set of tensors alive at one moment. The sum over layers is what a training step saves for backward, and what
    the layers move (the traffic model), not what inference holds. The allocator's reserve (rounding to its
    blocks, fragmentation) and cuDNN's workspace come on top and are not counted.

    Example, ResNet-50 eager: in conv2_x's projection, block input 64 x 56^2 = 200,704, the main branch's
    and the projection's outputs and BN's copy 256 x 56^2 = 802,816 each: 200,704 + 3 x 802,816 = 2,609,152
    values per image (10.4 MB in fp32), against 2 x 11,113,984 values the summed traffic charges.
    """
    return max(live_values, default=0.0)


def transformer_inference_resident_bytes(seq_len: float, hidden: float, heads: float, value_bytes: float) -> float:
    """Activation bytes one sequence keeps resident in a Transformer encoder's inference pass: ONE layer's
    activations and attention scores, not every layer's (the argument of ``inference_peak_live_values``: a
    layer's tensors are released once the next layer has its input, so layers do not accumulate).

    Bounded by what training saves of one layer, Korthikanti et al. 2022 Eq. 1 with one layer,
    s h (34 + 5 a s / h) bytes at 16-bit values (``activation_memory_bytes``), scaled to ``value_bytes``
    per value: every tensor of the layer counted as if alive at once (the dropout masks too, which eval
    does not make), so an upper bound. Example, BERT-Large (h 1024, a 16) at s = 384 in fp16:
    384 x 1024 x (34 + 5 x 16 x 384 / 1024) = 393,216 x 64 = 25,165,824 bytes.
    """
    return activation_memory_bytes(seq_len, 1.0, hidden, heads, 1.0) * value_bytes / 2.0
