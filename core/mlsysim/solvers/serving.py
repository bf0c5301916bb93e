"""LLM serving: prefill (TTFT), decode (ITL), whole requests, the KV-cache wall and tensor parallelism.

A request of ``input_tokens`` prompt tokens and ``output_tokens`` output tokens:

- **Prefill** of the prompt, once: the weight GEMMs (2 P_active per token) and the
  causal attention (``kernels.attention_flops_per_token`` at (s + 1) / 2 keys per
  token), which writes the KV cache. Usually compute-bound. It emits the first
  output token: TTFT = prefill + dispatch tax (+ TP all-reduces).
- **Decode**, output_tokens - 1 steps: each reads the weights once for the batch
  and every sequence's KV cache, which grows from input + 1 to input + output - 1
  tokens; ITL is the mean step over the generation (the step at the mean context
  input + output / 2, exact because each operator's time is linear in the context).
  Usually memory-bound (Pope et al. 2022, "Efficiently Scaling Transformer
  Inference", Sec. 2-3).

Each phase is two operators on their own rooflines, run one after the other
(``kernels.sequential_roofline``): the weight GEMMs and the attention over the KV
cache. A phase's wall is compute when its summed compute time exceeds its summed
memory time, else memory (communication when the TP all-reduces take longer).

Whole request (static batch, as TensorRT-LLM's gptSessionBenchmark runs it):
T = TTFT + (output_tokens - 1) x ITL; requests/s = batch / T; output tokens/s =
batch x output / T; tokens/s = batch x (input + output) / T.

``seq_len`` is the older single-length API: with no ``output_tokens`` the prompt
is ``seq_len`` tokens and ITL is one decode step over a cache of ``seq_len`` tokens
(the last token's step, the worst case); no whole-request figures then.

int8 / int4 weights are multiplied by a weight-only kernel by default (``weight_kernel``;
``registry/walls/weight_only.toml``): dequantised on the fly to the 16-bit activations, at the
16-bit peak, their group scales read with them, the weights streaming at the kernel's measured
fraction of the 16-bit kernel's bandwidth (gpt-fast / torchao int8 and tinygemm int4 on A100:
0.797 and 0.530). ``weight_kernel='native'`` is integer arithmetic on the packed weights.
``size_dependent_streams=True`` streams each weight matrix at the Software wall's HBM table's
fraction for its size relative to a large stream, so ``bandwidth_efficiency`` can be a STREAM figure.

``kv_precision`` defaults to 16 bits when the weights are narrower (FP8/INT8/FP4
weights with an FP16 KV cache is the common deployment) and to the weights'
precision otherwise; ``assumptions`` says which applied.

``efficiency="table"`` replaces the one declared efficiency by the Software wall's tables, kernel by
kernel (``weight_streams.pass_tables``): each weight GEMM at its flop per accelerator in the weights'
precision (``registry/walls/efficiency*.toml``: FP8 GEMMs on an H100 reach 0.11-0.69 of their
doubled peak by size, DeepGEMM's measurements), the attention in 16 bits, the weight and KV streams
and the decoder's norm / residual / rotary / activation traffic (``kernels.decoder_elementwise_values``,
a third, memory-bound operator) at the HBM table's fraction for their bytes. ``kernels_per_layer``
charges each pass layers x kernels x the launch cost of a ``[[launch_overheads]]`` entry;
``kv_per_query_head`` reads a GQA model's KV heads once per query head, as a decode kernel with one
thread block per query head does (TensorRT-LLM before its XQA kernel).

Tensor parallelism (``tp=N``, Megatron-LM, Shoeybi et al. 2019, Sec. 3): every
weight matrix and the KV heads are split N ways, so each accelerator holds and
reads 1/N of the weights and of the KV cache and does 1/N of the arithmetic;
each pass adds 2 all-reduces of the activations per layer over the node's
scale-up link (``kernels.tensor_parallel_inference_comm_time``, ring all-reduce).

The module runs past ~500 lines because the tensor-parallel group helpers the audit, the ledger and
the labs import from here (``tensor_parallel_group``, ``serve_group``) sit next to the solver whose plan
they build; the size tables are read in ``weight_streams``.

The contract: ``ServingModel.solve`` checks its arguments into a ``ServingPlan``,
``evaluate(plan)`` returns ``ServingFloats`` and the result is their view; the
audit, ``SystemLedger`` and the sensitivity adapter call ``evaluate`` with plans
of their own.
"""

from __future__ import annotations

from ..core.errors import InputError
from ..hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from ..physics import kernels
from ..results import Result, lazy_notes, quantity
from ..walls import Wall
from ..workloads.precision import BYTES_PER_VALUE
from . import _inputs, _system
from ._device import DeviceRates, device_rates, fallback_note
from .contract import floats, plan
from .efficiency import efficiency_table_name, launch_overhead_entry
from .weight_streams import (PassTables, WeightOnlyKernel, arithmetic_precision, check_weight_kernel, is_gated,
                             matrix_parameters, pass_tables, stored_bytes_factor, stream_size_factor, weight_note)
from .defaults import DEFAULT_BANDWIDTH_EFFICIENCY, DEFAULT_EFFICIENCY, DEFAULT_LINK_LATENCY_S

DEFAULT_SEQ_LEN = 2048  # the single-length API's default context (tokens)
SIXTEEN_BIT_KV = "fp16"  # the KV cache's precision when the weights are narrower than 16 bits
TABLE = "table"  # efficiency="table": every kernel at the Software wall's table for its size (weight_streams.pass_tables)
FLAT = PassTables(1.0, 1.0, 1.0, 1.0)  # one declared efficiency for every kernel: the device's rate and bandwidth as they are
ACTIVATION_BYTES = 2.0  # activations between the kernels are 16-bit (FP8 weights quantise only the GEMM inputs)
TP_KERNELS_PER_LAYER = 2  # the two all-reduces of a tensor-parallel layer are kernels of their own (Shoeybi et al. 2019, Sec. 3)


def default_kv_precision(precision: str) -> str:
    """The KV cache's precision when none is given: 16-bit under narrower weights, else the weights' own (checked names)."""
    return precision if BYTES_PER_VALUE[precision] >= 2.0 else SIXTEEN_BIT_KV


class ServingResult(Result):
    """Prefill and decode latencies, whole-request rates, KV cache, memory footprint and feasibility."""

    _plain_names = ("model", "hardware", "precision", "kv_precision", "seq_len", "input_tokens", "output_tokens", "batch_size",
                    "tp", "prefill_bottleneck", "decode_bottleneck", "bound", "feasible", "reason", "assumptions")

    assumptions = lazy_notes()

    ttft = quantity("time", "ms", "time to first token (prefill of the whole prompt, with its TP all-reduces)")
    itl = quantity("time", "ms", "inter-token latency: the mean decode step over the generation (the step at seq_len without output_tokens)")
    kv_cache_size = quantity("bytes", "GB", "KV cache at the longest context (input + output, or seq_len) for the whole batch")
    weight_memory = quantity("bytes", "GB", "all weights (all experts) resident, over all tp accelerators")
    memory_footprint = quantity("bytes", "GB", "weights + KV cache, over all tp accelerators")
    memory_per_accelerator = quantity("bytes", "GB", "memory_footprint / tp")
    memory_capacity = quantity("bytes", "GB", "of the tp accelerators together")
    decode_throughput = quantity("rate", None, "tokens per second across the batch during decode (batch / ITL)")
    prefill_compute_time = quantity("time", "ms")
    prefill_memory_time = quantity("time", "ms")
    decode_compute_time = quantity("time", "ms")
    decode_memory_time = quantity("time", "ms")
    decode_bytes = quantity("bytes", "GB", "bytes read per decode step (all tp accelerators)")
    prefill_comm_time = quantity("time", "ms", "TP all-reduces of the prefill (0 for tp=1)")
    decode_comm_time = quantity("time", "ms", "TP all-reduces of one decode step (0 for tp=1)")
    request_latency = quantity("time", "s", "TTFT + (output_tokens - 1) x ITL; None without output_tokens")
    requests_per_second = quantity("rate", None, "batch / request latency; None without output_tokens")
    tokens_per_second = quantity("rate", None, "input + output tokens of the batch / request latency; None without output_tokens")
    output_tokens_per_second = quantity("rate", None, "output tokens of the batch / request latency; None without output_tokens")

    @property
    def floats(self) -> "ServingFloats":
        """The solve's figures as plain floats in SI units (s, byte, 1/s): the ``ServingFloats`` this view reads.

        For sweeps that read a few figures of many solves without building Quantities
        (``r.floats.ttft``, ``r.floats.itl``, ``r.floats.request_latency``, None without output_tokens).
        """
        return self._outs[0]

    @property
    def prefill_bottleneck(self) -> str:
        return self.prefill_wall.phrase

    @property
    def decode_bottleneck(self) -> str:
        return self.decode_wall.phrase


@plan
class ServingPlan:
    """A checked serving solve: the model's floats, the request's shape and the device's ceilings."""

    active: float  # active parameters
    weight_memory: float  # resident weight bytes (all experts), whole model
    prefill_weight_bytes: float  # weight bytes the prefill pass reads (experts touched by prompt x batch tokens)
    decode_weight_bytes: float  # weight bytes one decode step reads (experts touched by batch tokens)
    kv_cache_size: float  # KV cache bytes of the batch at the longest context
    seq: int  # the longest context: input + output, or seq_len (single-length API)
    batch: int
    device: DeviceRates  # ONE accelerator's ceilings
    prompt: float = 0.0  # prompt tokens prefilled (0: seq)
    output: float = 0.0  # output tokens per request (0: single-length API, decode over a cache of seq)
    layers: float = 0.0
    attention_width: float = 0.0  # heads x head_dim (0: attention FLOPs left out)
    kv_bytes_per_token: float = 0.0  # one token's K and V over all layers (0: kv_cache_size / (seq x batch))
    tp: int = 1
    hidden: float = 0.0  # activation width all-reduced per token
    activation_bytes: float = 2.0  # bytes per activation value in the all-reduces
    link_bandwidth: float = 1.0  # byte/s per accelerator on the scale-up link
    link_latency: float = 0.0  # s per all-reduce step
    weight_stream_fraction: float = 1.0  # achieved weight-stream bandwidth over the 16-bit kernel's (weight-only dequant kernels < 1)
    prefill_tables: PassTables = FLAT  # fractions the prefill's kernels reach by size (efficiency="table")
    decode_tables: PassTables = FLAT  # the same for one decode step at the mean context
    pass_launch: float = 0.0  # s the host spends launching one pass's kernels (layers x kernels per layer x launch cost)
    kv_read_factor: float = 1.0  # times a decode step reads each KV head (heads / kv_heads for a kernel with a block per query head)
    elementwise_bytes_per_token: float = 0.0  # the group's norm, residual, rotary and activation traffic per token (efficiency="table")


@floats
class ServingFloats:
    ttft: float
    itl: float
    memory_footprint: float
    decode_throughput: float
    prefill_compute_time: float
    prefill_memory_time: float
    decode_compute_time: float
    decode_memory_time: float
    decode_bytes: float
    prefill_comm_time: float = 0.0
    decode_comm_time: float = 0.0
    memory_per_accelerator: float = 0.0
    memory_capacity: float = 0.0
    request_latency: float | None = None
    requests_per_second: float | None = None
    tokens_per_second: float | None = None
    output_tokens_per_second: float | None = None


def serving_plan(model, device: DeviceRates, seq: int, batch: int, precision: str, kv_precision: str, *, prompt: float = 0.0,
                 output: float = 0.0, tp: int = 1, link_bandwidth: float = 1.0, link_latency: float = 0.0,
                 weight_kernel: WeightOnlyKernel | None = None, group_size: int | None = None,
                 size_dependent_streams: bool = False, tables_of=None, framework_factor: float = 1.0,
                 pass_launch: float = 0.0, kv_per_query_head: bool = False) -> ServingPlan:
    """The plan of a checked solve. ``seq`` is the longest context (input + output, or the single length).

    ``weight_kernel``: a weight-only quantised kernel (``registry/walls/weight_only.toml``): the weights
    carry their group scales (``group_size``, default the kernel's) and stream at its bandwidth fraction.
    ``size_dependent_streams``: each weight matrix streams at the Software wall's HBM-table fraction
    for its bytes (per accelerator under TP), relative to a large stream (``stream_size_factor``).
    ``tables_of``: the hardware entry whose Software-wall tables give every kernel's fraction by size
    (``efficiency="table"``; the device then carries the datasheet peak), times ``framework_factor``.
    ``pass_launch``: s of kernel launches per pass. ``kv_per_query_head``: the decode attention kernel
    reads each KV head once per query head that shares it (``kernels.decode_kv_read_factor``).
    """
    prompt = prompt or float(seq)
    kv_bytes = BYTES_PER_VALUE[kv_precision]  # checked names
    kv_token = kernels.kv_cache_bytes(model.layers, model.kv_heads, model.head_dim, 1, 1, kv_bytes)
    resident = model.weight_bytes_si(precision)
    prefill_read = model.expected_weight_bytes_read_si(precision, prompt * batch)
    decode_read = model.expected_weight_bytes_read_si(precision, batch)
    scaled = stored_bytes_factor(weight_kernel, precision, group_size)  # a weight-only kernel's group scales ride along
    resident, prefill_read, decode_read = resident * scaled, prefill_read * scaled, decode_read * scaled
    per_value_bytes = BYTES_PER_VALUE[precision] * scaled
    fraction = 1.0 if weight_kernel is None else weight_kernel.bandwidth_fraction
    shapes = matrix_parameters(model) if size_dependent_streams or tables_of is not None else None
    if size_dependent_streams:
        matrices, head = shapes
        fraction *= stream_size_factor([m * per_value_bytes / tp for m in matrices], float(model.layers), head * per_value_bytes / tp)
    tables = (FLAT, FLAT)
    kv_factor = kernels.decode_kv_read_factor(model.heads, model.kv_heads, kv_per_query_head)
    elementwise = 0.0
    if tables_of is not None:
        elementwise = tp * float(model.layers) * ACTIVATION_BYTES * kernels.decoder_elementwise_values(
            float(model.hidden_dim), float(model.kv_heads * model.head_dim), float(model.ffn_width), is_gated(shapes[0]), tp)
        arithmetic = device.compute_precision or precision
        width, layers = float(model.heads * model.head_dim), float(model.layers)
        context = kernels.decode_mean_context(prompt, output) if output else float(seq)
        tables = (
            pass_tables(model, shapes, tables_of, arithmetic, prompt * batch,
                        prompt * batch * kernels.attention_flops_per_token(layers, kernels.causal_prefill_mean_context(prompt), width),
                        kv_token * prompt * batch, tp, per_value_bytes, framework_factor, elementwise * prompt * batch),
            pass_tables(model, shapes, tables_of, arithmetic, float(batch), batch * kernels.attention_flops_per_token(layers, context, width),
                        kv_token * context * batch * kv_factor, tp, per_value_bytes, framework_factor, elementwise * batch),
        )
    return ServingPlan(
        model.active_parameters_si, resident, prefill_read, decode_read, kv_token * seq * batch, seq, batch, device,
        prompt, output, float(model.layers), float(model.heads * model.head_dim), kv_token, tp, float(model.hidden_dim),
        max(kv_bytes, 2.0), link_bandwidth, link_latency, fraction, tables[0], tables[1], pass_launch, kv_factor,
        elementwise,
    )


def with_device(p: ServingPlan, device: DeviceRates) -> ServingPlan:
    """The same request on other ceilings (what a sweep over peak or bandwidth changes)."""
    return ServingPlan(p.active, p.weight_memory, p.prefill_weight_bytes, p.decode_weight_bytes, p.kv_cache_size, p.seq, p.batch,
                       device, p.prompt, p.output, p.layers, p.attention_width, p.kv_bytes_per_token, p.tp, p.hidden,
                       p.activation_bytes, p.link_bandwidth, p.link_latency, p.weight_stream_fraction, p.prefill_tables,
                       p.decode_tables, p.pass_launch, p.kv_read_factor, p.elementwise_bytes_per_token)


def evaluate(p: ServingPlan) -> ServingFloats:
    """Prefill of every prompt token in one pass, then the mean decode step; each with its TP all-reduces."""
    d, tp = p.device, p.tp
    rate, bandwidth = d.rate * tp, d.bandwidth * tp  # each of tp accelerators does 1/tp of the work on 1/tp of the bytes
    prompt = p.prompt or p.seq
    kv_token = p.kv_bytes_per_token or p.kv_cache_size / (p.seq * p.batch)
    flops_token = kernels.inference_flops_per_token(p.active)
    tokens = prompt * p.batch
    prefill_attention = tokens * kernels.attention_flops_per_token(p.layers, kernels.causal_prefill_mean_context(prompt), p.attention_width)
    stream = p.weight_stream_fraction  # weight bytes stream at this fraction of the bandwidth
    pt, dt = p.prefill_tables, p.decode_tables
    p_time, p_compute, p_memory = kernels.sequential_roofline_rates(
        flops_token * tokens, p.prefill_weight_bytes, rate * pt.gemm, bandwidth * stream * pt.weights,
        prefill_attention, kv_token * tokens, rate * pt.attention, bandwidth * pt.kv)
    ew = p.elementwise_bytes_per_token
    if ew:  # the decoder's memory-bound kernels, one after another (efficiency="table")
        p_elementwise = tokens * ew / (bandwidth * pt.elementwise)
        p_time, p_memory = p_time + p_elementwise, p_memory + p_elementwise
    p_comm = 0.0 if tp == 1 else kernels.tensor_parallel_inference_comm_time(p.layers, tokens, p.hidden, p.activation_bytes, tp,
                                                                             p.link_bandwidth, p.link_latency)
    ttft = p_time + d.tax + p_comm + p.pass_launch
    context = kernels.decode_mean_context(prompt, p.output) if p.output else float(p.seq)
    kv_read = kv_token * context * p.batch * p.kv_read_factor
    decode_attention = p.batch * kernels.attention_flops_per_token(p.layers, context, p.attention_width)
    d_time, d_compute, d_memory = kernels.sequential_roofline_rates(
        flops_token * p.batch, p.decode_weight_bytes, rate * dt.gemm, bandwidth * stream * dt.weights,
        decode_attention, kv_read, rate * dt.attention, bandwidth * dt.kv)
    if ew:
        d_elementwise = p.batch * ew / (bandwidth * dt.elementwise)
        d_time, d_memory = d_time + d_elementwise, d_memory + d_elementwise
    d_comm = 0.0 if tp == 1 else kernels.tensor_parallel_inference_comm_time(p.layers, p.batch, p.hidden, p.activation_bytes, tp,
                                                                             p.link_bandwidth, p.link_latency)
    itl = d_time + d.tax + d_comm + p.pass_launch
    footprint = p.weight_memory + p.kv_cache_size
    if p.output:
        t = kernels.request_latency(ttft, itl, p.output - 1.0)  # the prefill emits the first output token
        rps, tps, out_tps = p.batch / t, p.batch * (prompt + p.output) / t, p.batch * p.output / t
    else:
        t = rps = tps = out_tps = None
    return ServingFloats(ttft, itl, footprint, p.batch / itl, p_compute, p_memory, d_compute, d_memory,
                         p.decode_weight_bytes + kv_read + p.batch * ew,
                         p_comm, d_comm, footprint / tp, d.memory_capacity * tp, t, rps, tps, out_tps)


def verdict(hw_name: str, precision: str, p: ServingPlan) -> str:
    """Why the configuration cannot be served ('' when it can)."""
    d = p.device
    if d.compute_precision is None:
        return f"{hw_name} has no {precision} compute"
    footprint = (p.weight_memory + p.kv_cache_size) / p.tp
    if footprint > d.memory_capacity:
        each = f" per accelerator (1/{p.tp} of each)" if p.tp > 1 else ""
        return (f"weights {p.weight_memory / p.tp / 1e9:.4g} GB + KV cache {p.kv_cache_size / p.tp / 1e9:.4g} GB = {footprint / 1e9:.4g} GB"
                f"{each} exceed {hw_name}'s {d.memory_capacity / 1e9:.4g} GB")
    return ""


_PHASES = ("each phase = weight GEMMs (2 x active parameters per token) then attention over the KV cache "
           "(4 x layers x context x heads x head_dim per token), each on its own roofline")


def _phase_wall(compute: float, memory: float, comm: float) -> Wall:
    if comm > max(compute, memory):
        return Wall.COMMUNICATION
    return Wall.COMPUTE if compute >= memory else Wall.MEMORY


def result(model, hw_name: str, p: ServingPlan, precision: str, kv_precision: str, efficiency: float | str,
           bandwidth_efficiency: float, kv_note: str | None = None, weight_kernel_note: str | None = None) -> ServingResult:
    """Evaluate a plan and view it as a ``ServingResult``."""
    out = evaluate(p)
    name = f"{p.tp} x {hw_name}" if p.tp > 1 else hw_name
    reason = verdict(hw_name, precision, p)

    def notes() -> list[str]:  # written when first read (results.lazy_notes), from values fixed by now
        compute = efficiency if isinstance(efficiency, str) else f"efficiency={efficiency:g} of dense peak"
        assumptions = [f"{compute}; bandwidth_efficiency={bandwidth_efficiency:g}", _PHASES]
        if p.output:
            assumptions.append(f"prompt {p.prompt:g} tokens prefilled causally; {p.output:g} output tokens, the first from the prefill, "
                               f"then {p.output - 1:g} decode steps at the mean KV cache of {kernels.decode_mean_context(p.prompt, p.output):g} tokens")
        else:
            assumptions.append(f"single length: a {p.seq}-token prompt, and each decode step reads a KV cache of {p.seq} tokens (the last token's step)")
        assumptions.append(kv_note or f"KV cache in {kv_precision}")
        if p.tp > 1:
            assumptions.append(f"tensor parallel over {p.tp} accelerators (Megatron-LM): weights and KV heads split {p.tp} ways; "
                               f"2 ring all-reduces per layer per pass on a {p.link_bandwidth / 1e9:.4g} GB/s link (alpha {p.link_latency * 1e6:.3g} us)")
        if weight_kernel_note:
            assumptions.append(weight_kernel_note)
        if model.is_moe:
            assumptions.append("MoE: each pass reads the experts its tokens are routed to (uniform routing); all experts resident")
        note = fallback_note(hw_name, precision, p.device)
        if note:
            assumptions.append(note)
        return assumptions

    prefill_wall = _phase_wall(out.prefill_compute_time, out.prefill_memory_time, out.prefill_comm_time)
    decode_wall = _phase_wall(out.decode_compute_time, out.decode_memory_time, out.decode_comm_time)
    if reason:
        bound = Wall.CAPACITY
    elif p.output:  # the phase that takes longer over the whole request
        bound = prefill_wall if out.ttft >= (p.output - 1.0) * out.itl else decode_wall
    else:
        bound = decode_wall
    return ServingResult.view(
        out, p, p.device, model=model.name, hardware=name, precision=precision, kv_precision=kv_precision, seq_len=p.seq,
        input_tokens=int(p.prompt) if p.output else None, output_tokens=int(p.output) if p.output else None, batch_size=p.batch,
        tp=p.tp, prefill_wall=prefill_wall, decode_wall=decode_wall, bound=bound, feasible=not reason, reason=reason,
        _assumptions=notes,
    )


def check_kv_precision(kv_precision, precision: str) -> tuple[str, str]:
    """(the KV cache's precision, the assumption to state): given, or 16-bit under narrower weights."""
    if kv_precision is not None:
        kv = _inputs.check_precision(kv_precision, "kv_precision")
        return kv, f"KV cache in {kv} (given)"
    kv = default_kv_precision(precision)
    if kv == precision:
        return kv, f"KV cache in {kv}, the weights' precision (default; pass kv_precision to change)"
    return kv, (f"KV cache in {kv} under {precision} weights (default: a 16-bit cache is the common deployment of "
                "narrow weights; pass kv_precision='fp8' for an FP8 cache)")


def link(hw, tp: int, link_bandwidth, link_latency) -> tuple[float, float]:
    """(byte/s, s) of the scale-up link the TP all-reduces use: given, or the accelerator's listed interconnect."""
    if tp == 1:
        return 1.0, 0.0  # one accelerator: no all-reduces (the kernels return 0 for tp = 1)
    if link_bandwidth is not None:
        bw = _system.positive(link_bandwidth, "link_bandwidth", "bandwidth")
    elif hw._si.get("interconnect_bandwidth") is not None:
        bw = hw._si["interconnect_bandwidth"]
    else:
        raise InputError("link_bandwidth", None, f"the scale-up link bandwidth per accelerator ({hw.name} lists none)")
    lat = DEFAULT_LINK_LATENCY_S if link_latency is None else _system.nonneg(link_latency, "link_latency", "time")
    return bw, lat


class ServingModel:
    """Prefill/decode rooflines for a Transformer on one accelerator or a tensor-parallel group."""

    def solve(
        self,
        model,
        hardware,
        seq_len: int | None = None,
        batch_size: int = 1,
        precision: str = "fp16",
        efficiency: float | str = DEFAULT_EFFICIENCY,
        kv_precision: str | None = None,
        bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        tp: int = 1,
        link_bandwidth=None,
        link_latency=None,
        weight_kernel: str | None = None,
        group_size: int | None = None,
        size_dependent_streams: bool = False,
        framework_factor: float | None = None,
        kernels_per_layer: int | None = None,
        launch: str = "cuda_stream",
        kv_per_query_head: bool = False,
    ) -> ServingResult:
        """``input_tokens`` and ``output_tokens``: one request's prompt and generation (whole-request figures
        need ``output_tokens``). ``seq_len`` (default 2048): the single length of the older API, the prompt when
        ``input_tokens`` is not given. ``tp``: accelerators in one tensor-parallel group, on a link of
        ``link_bandwidth`` per accelerator (default: the accelerator's listed interconnect) and ``link_latency``
        per all-reduce step (default 2 us). ``weight_kernel``: how int8/int4 weights are multiplied
        (default: the weight-only dequantising kernel of ``registry/walls/weight_only.toml`` for that
        precision, 16-bit arithmetic; ``"native"``: integer arithmetic, no dequantisation), with
        ``group_size`` weights per scale group (default: the kernel's). ``size_dependent_streams``:
        each weight matrix streams at the HBM table's fraction for its size (registry/walls/efficiency.toml)
        relative to a large stream, so ``bandwidth_efficiency`` is the large-stream (STREAM) figure;
        default False: every byte at ``bandwidth_efficiency``, the roofline's convention.

        ``efficiency="table"``: no one number; every kernel of a pass reaches the Software wall's table for its
        size (``registry/walls/efficiency*.toml``): each weight GEMM by its flop per accelerator in the weights'
        precision, the attention in 16 bits, the weight and KV streams by their bytes (the HBM table, times
        ``bandwidth_efficiency``), all GEMMs times ``framework_factor`` (default 1) where a framework's source
        gives one. ``kernels_per_layer``: kernels one layer launches per pass (plus 2 all-reduces under TP),
        each at the ``launch`` cost of registry/walls/efficiency.toml's [[launch_overheads]] (default
        ``cuda_stream``: a runtime enqueueing kernels on a stream); None: no launch cost beyond the dispatch tax.
        ``kv_per_query_head``: the decode attention kernel runs one thread block per query head, each reading
        its KV head (TensorRT-LLM's masked multi-head attention before its XQA kernel), so a grouped-query
        model's KV cache is read heads / kv_heads times per step; default False (a GQA-aware kernel)."""
        model = _inputs.transformer(model)
        hw = _inputs.hardware(hardware)
        if seq_len is not None and input_tokens is not None:
            raise InputError("seq_len", seq_len, "None when input_tokens is given (seq_len is the single length of the older API)")
        prompt = _inputs.positive_int(input_tokens if input_tokens is not None else (DEFAULT_SEQ_LEN if seq_len is None else seq_len),
                                      "input_tokens" if input_tokens is not None else "seq_len")
        output = 0 if output_tokens is None else _inputs.positive_int(output_tokens, "output_tokens")
        batch = _inputs.positive_int(batch_size, "batch_size")
        n = _inputs.positive_int(tp, "tp")
        precision = _inputs.check_precision(precision)
        kv_precision, kv_note = check_kv_precision(kv_precision, precision)
        tabled = isinstance(efficiency, str)
        if tabled and efficiency != TABLE:
            raise InputError("efficiency", efficiency, f"a fraction in (0, 1] or '{TABLE}' (the Software wall's size tables)")
        efficiency = efficiency if tabled else _inputs.fraction(efficiency, "efficiency")
        if framework_factor is not None and not tabled:
            raise InputError("framework_factor", framework_factor, f"None unless efficiency='{TABLE}' (it scales the tables)")
        factor = 1.0 if framework_factor is None else _inputs.fraction(framework_factor, "framework_factor")
        per_layer = 0 if kernels_per_layer is None else _inputs.positive_int(kernels_per_layer, "kernels_per_layer")
        over = launch_overhead_entry(launch) if per_layer else None
        bandwidth_efficiency = _inputs.fraction(bandwidth_efficiency, "bandwidth_efficiency")
        bw, lat = link(hw, n, link_bandwidth, link_latency)
        kernel = check_weight_kernel(weight_kernel, precision)
        groups = None if group_size is None else _inputs.positive_int(group_size, "group_size")
        if groups is not None and kernel is None:
            raise InputError("group_size", group_size, "None unless the weights are int8/int4 with a weight-only kernel")
        arithmetic = arithmetic_precision(kernel, precision)
        kernels_per_pass = per_layer + (TP_KERNELS_PER_LAYER if n > 1 and per_layer else 0)
        launch_time = kernels.pass_launch_time(float(model.layers), float(kernels_per_pass), over._si["launch_time"]) if over else 0.0
        p = serving_plan(model, device_rates(hw, arithmetic, 1.0 if tabled else efficiency, bandwidth_efficiency), prompt + output, batch,
                         precision, kv_precision, prompt=float(prompt), output=float(output), tp=n, link_bandwidth=bw, link_latency=lat,
                         weight_kernel=kernel, group_size=groups, size_dependent_streams=bool(size_dependent_streams),
                         tables_of=hw if tabled else None, framework_factor=factor, pass_launch=launch_time,
                         kv_per_query_head=bool(kv_per_query_head))
        notes = [weight_note(kernel, groups)]
        if tabled:
            t = p.prefill_tables
            efficiency = (f"efficiency from the Software wall's size tables (prefill: GEMMs {t.gemm:.3g} of the {p.device.compute_precision} "
                          f"peak, attention {t.attention:.3g}; decode GEMMs {p.decode_tables.gemm:.3g}; weight streams "
                          f"{p.decode_tables.weights:.3g} and KV {p.decode_tables.kv:.3g} of the bandwidth; framework factor {factor:g})")
        if p.kv_read_factor > 1.0:
            notes.append(f"decode attention with one thread block per query head: the KV cache is read {p.kv_read_factor:g} times "
                         f"per step ({model.heads} query heads over {model.kv_heads} KV heads)")
        if per_layer:
            notes.append(f"{kernels_per_pass} kernels per layer per pass launched at {over._si['launch_time'] * 1e6:.3g} us each ({over.key}): "
                         f"{launch_time * 1e3:.3g} ms per pass")
        if size_dependent_streams:
            notes.append("size-dependent streams: each weight matrix (fused QKV, output, FFN, head; per accelerator) streams at the "
                         f"{efficiency_table_name('memory', None)} table's fraction for its bytes over the table's large-stream value")
        return result(model, hw.name, p, precision, kv_precision, efficiency, bandwidth_efficiency, kv_note,
                      "; ".join(n for n in notes if n) or None)



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


@floats
class GroupFloats:
    """Serving on a tensor-parallel group of N accelerators: the group's passes plus its all-reduces (s, byte)."""

    ttft: float  # prefill + its all-reduces
    itl: float  # decode step + its all-reduces
    itl_core: float  # decode step without communication
    request_latency: float  # ttft + output tokens x itl
    tp_comm_per_token: float  # all-reduces of one decode step
    memory_footprint: float  # weights + KV cache of the whole group


def serve_group(model, hw, n: int, seq: int, batch: int, precision: str, efficiency: float,
                link_bandwidth: float, link_latency: float, output_tokens: int,
                kv_precision: str | None = None) -> tuple[ServingResult, GroupFloats]:
    """One model served by ``n`` copies of ``hw`` as one Megatron tensor-parallel group (checked inputs).

    The single-length API: each decode step reads a KV cache of ``seq`` tokens and
    the request is TTFT + ``output_tokens`` x ITL (what the audit and the ledger report).
    """
    kv, note = check_kv_precision(kv_precision, precision)
    kernel = check_weight_kernel(None, precision)  # int8/int4 weights: the weight-only kernel, as ServingModel.solve
    p = serving_plan(model, device_rates(hw, arithmetic_precision(kernel, precision), efficiency), seq, batch, precision, kv, tp=n,
                     link_bandwidth=link_bandwidth, link_latency=link_latency, weight_kernel=kernel)
    sr = result(model, hw.name, p, precision, kv, efficiency, DEFAULT_BANDWIDTH_EFFICIENCY, note, weight_note(kernel, None))
    out = sr._outs[0]
    return sr, GroupFloats(out.ttft, out.itl, out.itl - out.decode_comm_time, kernels.request_latency(out.ttft, out.itl, output_tokens),
                           out.decode_comm_time, out.memory_footprint)
