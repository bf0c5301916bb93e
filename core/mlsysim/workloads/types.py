"""Demand side: what a model asks of the hardware (pure data, validated).

A workload *lowers* for a precision to a ``ComputationGraph``: the operations,
the bytes of weights, the bytes moved, and their ratio (arithmetic intensity).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from ..core import checks
from ..core.errors import InputError
from ..core.types import Bytes, Count, Model, Ops, PositiveInt, Year, _checked_by
from ..core.units import make
from ..physics import kernels
from .precision import bytes_per_value, check_precision


class Workload(Model):
    """A model described by its parameter count and per-sample forward compute."""

    name: str
    key: str = ""
    attr: str = ""
    family: str = ""  # registry namespace: Language, Vision, Tiny, Recommendation, ...
    architecture: str = "Dense"
    release_year: Year | None = None
    aliases: tuple[str, ...] = ()
    parameters: Count  # > 0 (every Count and Ops field is finite and > 0)
    inference_flops: Ops | None = None  # forward-pass compute per sample
    activation_bytes: Bytes | None = None  # activation traffic per sample at fp16 (read+write), if known; >= 0
    training_tokens: Count | None = None
    training_ops: Ops | None = None  # published total training compute

    @model_validator(mode="after")
    def _check(self):
        if self._si["parameters"] <= 0:
            raise InputError("parameters", f"{self.parameters:~P}", "a positive count")
        return self

    # -- lowering ------------------------------------------------------------
    def forward_ops_per_sample_si(self, seq_len: int | None = None) -> float:
        if self.inference_flops is None:
            raise InputError(f"{self.name}.inference_flops", None, "the forward compute per sample (e.g. '8.2 GFLOP')")
        return self._si["inference_flops"]

    def weight_bytes_si(self, precision: str) -> float:
        return kernels.weight_bytes(self._si["parameters"], bytes_per_value(precision))

    def activation_bytes_per_sample_si(self, precision: str, seq_len: int | None = None) -> float:
        act = self._si.get("activation_bytes", 0.0)
        return act * bytes_per_value(precision) / 2.0  # stored at fp16

    def lower(self, precision: str = "fp16", batch_size: int = 1, seq_len: int | None = None) -> "ComputationGraph":
        """The forward pass of one batch as operations and bytes."""
        precision = check_precision(precision)
        batch_size = checks.positive_int(batch_size, "batch_size")
        seq_len = None if seq_len is None else checks.positive_int(seq_len, "seq_len")
        ops = self.forward_ops_per_sample_si(seq_len) * batch_size
        weights = self.weight_bytes_si(precision)
        moved = weights + batch_size * self.activation_bytes_per_sample_si(precision, seq_len)
        return ComputationGraph(workload=self.name, precision=precision, ops=ops, weight_bytes=weights, bytes_moved=moved)

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class CNNWorkload(Workload):
    """A convolutional network: parameters and forward FLOPs per sample (image), and its layers' activations.

    ``activation_values``: values the convolutions write per sample (the sum of C x H x W
    over the conv layers, from the paper's per-stage shapes); ``elementwise_values``: values
    the separate batch-norm, activation, residual-add and pooling kernels of an eager
    framework read and write per sample; ``kernels`` / ``fused_kernels``: kernel launches of
    one forward pass eager / with conv + BN + activation (+ add) fused; ``conv_layers``: the
    GEMM-class layers (convs and fully connected), over which the forward work is spread;
    ``conv_input_values``: values the convolutions read per sample (the sum of their inputs'
    C x H x W), which NCHW tensor-core convolutions transpose.
    All counted layer by layer in the registry (the notes show the arithmetic).
    ``layer_shapes``: the GEMM-class layers themselves, one row per group of identical layers,
    ``(in_channels, out_channels, kernel, stride, out_size, count)`` (square kernels and maps; a fully
    connected layer is kernel 1, out_size 1), for the roofline applied layer by layer.
    ``residual``: the layers sit in residual blocks whose input is kept for the block's add (a ResNet), which
    ``peak_live_activation_values`` counts.
    """

    architecture: str = "CNN"
    activation_values: Count | None = None
    conv_input_values: Count | None = None
    elementwise_values: Count | None = None
    conv_layers: PositiveInt | None = None
    kernels: PositiveInt | None = None
    fused_kernels: PositiveInt | None = None
    layer_shapes: tuple[tuple[int, ...], ...] | None = None
    residual: Annotated[bool, _checked_by(checks.boolean)] = False  # True or False (no 'yes', no 1)

    @model_validator(mode="after")
    def _check_kernels(self):
        if self.kernels is not None and self.fused_kernels is not None and self.fused_kernels > self.kernels:
            raise InputError("fused_kernels", self.fused_kernels, f"at most kernels={self.kernels} (fusion merges kernels)")
        for row in self.layer_shapes or ():
            if len(row) != len(LAYER_SHAPE_FIELDS) or not all(type(v) is int and v >= 1 for v in row):
                raise InputError("layer_shapes", list(row), f"{len(LAYER_SHAPE_FIELDS)} integers >= 1: "
                                 f"({', '.join(LAYER_SHAPE_FIELDS)})")
        return self

    def layer_table_si(self, precision: str, winograd_reduction: float = 1.0) -> tuple[tuple, tuple, tuple]:
        """(flops, weight bytes, activation bytes) of one forward pass per sample, one entry per row of
        ``layer_shapes`` (its ``count`` identical layers together): ``kernels.conv_layer_flops``, the
        weights C_in k^2 C_out once, ``kernels.conv_layer_io_values`` (input read, output written once).

        ``winograd_reduction`` > 1: the 3x3 stride-1 convolutions execute that many times fewer flops
        (``kernels.winograd_multiply_reduction``); the model's own flops are unchanged. Empty without shapes.
        """
        key = (precision, winograd_reduction)
        cached = self.__dict__.get("_layer_tables", {}).get(key)
        if cached is not None:  # a solve reads it every call: built once per instance (the entry is frozen)
            return cached
        b = bytes_per_value(precision)
        flops, weights, io = [], [], []
        for c_in, c_out, k, stride, size, count in self.layer_shapes or ():
            f = kernels.conv_layer_flops(c_in, c_out, k, size) * count
            flops.append(f / winograd_reduction if k == 3 and stride == 1 else f)
            weights.append(kernels.weight_bytes(c_in * k * k * c_out * count, b))
            io.append(kernels.activation_traffic_bytes(kernels.conv_layer_io_values(c_in, c_out, stride, size) * count, b, 1.0))
        table = (tuple(flops), tuple(weights), tuple(io))
        if "_layer_tables" not in self.__dict__:
            object.__setattr__(self, "_layer_tables", {})  # in the instance __dict__, like _si (see core.types.Model)
        self.__dict__["_layer_tables"][key] = table
        return table

    def peak_live_activation_values(self, separate_norm: bool) -> float:
        """Activation values per sample an inference pass keeps resident at its peak, from ``layer_shapes``
        (``kernels.inference_peak_live_values`` over ``kernels.layer_live_values``): each layer's input
        C_in (s H_out)^2 and output C_out H_out^2, with ``residual`` the block input a residual add keeps
        (``kernels.residual_kept_values``: the widest output listed at the layer's input resolution), and with
        ``separate_norm`` (eager) batch norm's copy of the output. 0 when the entry lists no layers. Built once per
        instance and mode (the entry is frozen), as ``layer_table_si``: every inference solve reads it."""
        cached = self.__dict__.get("_peak_live", {}).get(separate_norm)
        if cached is not None:
            return cached
        rows = self.layer_shapes or ()
        widest: dict[int, float] = {}
        for _, c_out, _, _, size, _ in rows:
            widest[size] = max(widest.get(size, 0.0), float(c_out * size * size))
        live = []
        for c_in, c_out, _, stride, size, _ in rows:
            ins, outs = float(c_in * (stride * size) ** 2), float(c_out * size * size)
            kept = kernels.residual_kept_values(ins, widest.get(stride * size, 0.0)) if self.residual else 0.0
            live.append(kernels.layer_live_values(ins, outs, kept, separate_norm))
        peak = kernels.inference_peak_live_values(tuple(live))
        if "_peak_live" not in self.__dict__:
            object.__setattr__(self, "_peak_live", {})  # in the instance __dict__, like _layer_tables
        self.__dict__["_peak_live"][separate_norm] = peak
        return peak

    def activation_bytes_per_sample_si(self, precision: str, seq_len: int | None = None) -> float:
        """Activation traffic of the GEMM-class layers per sample: each conv output written once, read once by the next layer.

        Falls back to the entry's ``activation_bytes`` (stored at fp16) when the layers are not listed.
        """
        values = self._si.get("activation_values")
        if values is None:
            return super().activation_bytes_per_sample_si(precision, seq_len)
        return kernels.activation_traffic_bytes(values, bytes_per_value(precision), 2.0)

    def layout_transpose_bytes_per_sample_si(self, precision: str) -> float:
        """Bytes the NCHW <-> NHWC transposes around tensor-core convolutions move per sample, one pass
        (``kernels.layout_transpose_values``; 0 when the conv inputs or outputs are not listed)."""
        ins, outs = self._si.get("conv_input_values"), self._si.get("activation_values")
        if ins is None or outs is None:
            return 0.0
        return kernels.activation_traffic_bytes(kernels.layout_transpose_values(ins, outs), bytes_per_value(precision), 1.0)

    def elementwise_bytes_per_sample_si(self, precision: str) -> float:
        """Bytes the eager framework's separate BN / activation / add / pooling kernels move per sample (0 when not listed)."""
        values = self._si.get("elementwise_values")
        return 0.0 if values is None else kernels.activation_traffic_bytes(values, bytes_per_value(precision), 1.0)


LAYER_SHAPE_FIELDS = ("in_channels", "out_channels", "kernel", "stride", "out_size", "count")  # a row of CNNWorkload.layer_shapes
LAYER_OPS = ("bert_encoder",)  # Transformer layer operator lists whose memory-bound traffic the engine counts
# The task head on top of an encoder (TransformerWorkload.output_head): "masked_lm", BERT's pre-training head (a
# vocabulary decoder tied to the word embeddings, over every position); "span", SQuAD's start / end head (h x 2)
OUTPUT_HEADS = ("masked_lm", "span")


class TransformerWorkload(Workload):
    """A decoder/encoder Transformer, dense or Mixture-of-Experts.

    For MoE, ``parameters`` is the total (all experts, all resident in memory)
    and ``active_parameters`` those used per token (shared + ``experts_per_token``
    experts).
    """

    architecture: str = "Transformer"
    # every integer field: an integer >= 1 (checks.positive_int: no bools, no 2.5, no 1e300)
    layers: PositiveInt
    hidden_dim: PositiveInt
    heads: PositiveInt
    kv_heads: PositiveInt | None = None  # grouped-query attention; None = multi-head (kv_heads = heads)
    head_dim: PositiveInt | None = None  # None = hidden_dim / heads
    ffn_dim: PositiveInt | None = None
    vocab_size: PositiveInt | None = None
    seq_len: PositiveInt = 2048  # context length used when none is given to a solver
    experts: PositiveInt = 1
    experts_per_token: PositiveInt = 1
    active_parameters: Count | None = None
    # the layer's operator list for its activation traffic (``memory_bound_bytes_per_sample_si``):
    # "bert_encoder" (post-layernorm encoder, Ivanov et al. 2021); None: not listed, traffic not counted
    layer_ops: str | None = None
    # the input embedding tables (word, position, token type), looked up per token rather than multiplied: when
    # given, they leave the 2 N flop per token (``matmul_parameters_si``); None: every parameter counts (2 N)
    embedding_parameters: Count | None = None
    # the task head (OUTPUT_HEADS); None: as before, a vocabulary output layer's logits wherever vocab_size is given
    output_head: str | None = None

    @model_validator(mode="after")
    def _check_shape(self):
        if self.layer_ops is not None and self.layer_ops not in LAYER_OPS:
            raise InputError("layer_ops", self.layer_ops, f"one of {', '.join(LAYER_OPS)} or None (no operator list)")
        if self.output_head is not None and self.output_head not in OUTPUT_HEADS:
            raise InputError("output_head", self.output_head, f"one of {', '.join(OUTPUT_HEADS)} or None (a vocabulary output layer where vocab_size is given)")
        if self.output_head == "masked_lm" and self.vocab_size is None:
            raise InputError("vocab_size", None, "the vocabulary the masked-LM head scores (output_head='masked_lm')")
        embedding = self._si.get("embedding_parameters")
        if embedding is not None and embedding >= self._si["parameters"]:
            raise InputError("embedding_parameters", f"{self.embedding_parameters:~P}",
                             f"fewer than parameters={self.parameters:~P} (the embedding tables are part of the model)")
        if self.kv_heads is None:
            object.__setattr__(self, "kv_heads", self.heads)
        if self.head_dim is None:
            if self.hidden_dim % self.heads:
                raise InputError("head_dim", None, f"given explicitly, since hidden_dim={self.hidden_dim} is not a multiple of heads={self.heads}")
            object.__setattr__(self, "head_dim", self.hidden_dim // self.heads)
        if self.kv_heads < 1 or self.heads % self.kv_heads:
            raise InputError("kv_heads", self.kv_heads, f"a divisor of heads={self.heads} (1 = multi-query, {self.heads} = multi-head)")
        if self.experts_per_token > self.experts:
            raise InputError("experts_per_token", self.experts_per_token, f"at most experts={self.experts}")
        if self.experts > 1 and self.experts_per_token == self.experts:
            raise InputError("experts_per_token", self.experts_per_token,
                             f"fewer than experts={self.experts} (routing every token to every expert is a dense model: set experts=1)")
        active = self._si.get("active_parameters", self._si["parameters"])
        if active > self._si["parameters"]:
            raise InputError("active_parameters", f"{self.active_parameters:~P}", f"positive and at most parameters={self.parameters:~P}")
        if self.experts > 1 and self.active_parameters is None:
            raise InputError("active_parameters", None, "the parameters used per token, required for a Mixture-of-Experts model")
        if self.experts > 1:
            least = min_active_parameters(self._si["parameters"], self.experts, self.experts_per_token)
            if active < least * (1 - 1e-12):
                raise InputError(
                    "active_parameters", f"{self.active_parameters:~P}",
                    f"at least experts_per_token / experts x parameters = {self.experts_per_token}/{self.experts} x "
                    f"{self._si['parameters']:.4g} = {least:.4g} (the {self.experts_per_token} experts a token uses hold that "
                    "much even with no shared layers)")
        return self

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def active_parameters_si(self) -> float:
        return self._si.get("active_parameters", self._si["parameters"])

    @property
    def moe_split_si(self) -> tuple[float, float]:
        """(shared parameters, parameters per expert); (parameters, 0) for a dense model."""
        return kernels.moe_expert_split(self._si["parameters"], self.active_parameters_si, self.experts, self.experts_per_token)

    @property
    def matmul_parameters_si(self) -> float:
        """Parameters one token's forward pass multiplies, 2 flop each (Kaplan et al. 2020, Sec. 2.1).

        Without ``embedding_parameters``: the active parameters (2 N, the convention). With them: the active
        parameters less the embedding tables a token only looks up (``kernels.looked_up_free_parameters``), plus,
        for ``output_head="masked_lm"``, the tied vocabulary decoder's h x vocab (it multiplies the word table
        again; Devlin et al. 2019, Sec. 3.1, and DeepLearningExamples' BertLMPredictionHead).
        """
        embedding = self._si.get("embedding_parameters")
        if embedding is None:
            return self.active_parameters_si
        tied = self.hidden_dim * self.vocab_size if self.output_head == "masked_lm" else 0.0
        return kernels.looked_up_free_parameters(self.active_parameters_si, embedding, tied)

    @property
    def attention_width(self) -> int:
        """d_attn = heads x head_dim (the width of the query and output projections)."""
        return self.heads * self.head_dim

    def attention_flops_per_token_si(self, context: float) -> float:
        """Attention compute per token per forward pass against ``context`` keys: 4 n_layer n_ctx d_attn."""
        return kernels.attention_flops_per_token(self.layers, context, self.attention_width)

    def forward_flops_per_token_si(self, context: float | None = None) -> float:
        """Forward compute per token: 2 x the multiplied parameters + attention over ``context`` keys (default: seq_len).

        The full window, as dense kernels and the model-FLOPs convention count it
        (Chowdhery et al. 2022, App. B; Kaplan et al. 2020, Table 1, with n_ctx keys).
        """
        return kernels.inference_flops_per_token(self.matmul_parameters_si) + self.attention_flops_per_token_si(context or self.seq_len)

    def forward_ops_per_sample_si(self, seq_len: int | None = None) -> float:
        """2 x the multiplied parameters per token (``matmul_parameters_si``), over ``seq_len`` tokens (Kaplan et al. 2020).

        The attention term is left out here (the single-node and serving solvers
        add it where they model it); ``forward_flops_per_token_si`` includes it.
        """
        return kernels.inference_flops_per_token(self.matmul_parameters_si) * (seq_len or self.seq_len)

    def training_flops_per_token_si(self, seq_len: int | None = None, recompute: str = "none", causal: bool = False) -> float:
        """Training compute per token of a ``seq_len`` sequence.

        ``recompute="none"``, ``causal=False``: the *model FLOPs* of Chowdhery et
        al. 2022 (PaLM), App. B, 6 N + 12 n_layer d_attn n_ctx. ``recompute``
        ('selective' or 'full') adds the passes a recomputing run executes
        (*hardware FLOPs*, Narayanan et al. 2021, Eq. 3); ``causal=True`` counts
        the n_ctx/2 keys a causal kernel that skips masked blocks computes
        (Dao 2023, FlashAttention-2, Sec. 3.1).
        """
        s = seq_len or self.seq_len
        dense_extra, attention_extra = kernels.recompute_extra_passes(recompute)
        passes = kernels.training_passes()
        att = self.attention_flops_per_token_si(s / 2 if causal else s)
        return kernels.training_flops_per_token(self.matmul_parameters_si, att, passes + dense_extra, passes + attention_extra)

    @property
    def ffn_width(self) -> int:
        """The FFN's inner width: ``ffn_dim``, or 4 x hidden_dim when the entry lists none (Vaswani et al. 2017, Sec. 3.3)."""
        return self.ffn_dim or 4 * self.hidden_dim

    def gemm_io_bytes_per_sample_si(self, precision: str, seq_len: int | None = None) -> float:
        """Activation bytes the weight GEMMs read and write in one forward pass of a ``seq_len`` sequence:
        layers x s x (8h + 2f) values (``kernels.transformer_gemm_io_values``); 0 without ``layer_ops``."""
        if self.layer_ops is None:
            return 0.0
        s = seq_len or self.seq_len
        per_token = kernels.transformer_gemm_io_values(self.hidden_dim, self.ffn_width)
        return self.layers * s * per_token * bytes_per_value(precision)

    def memory_bound_bytes_per_sample_si(self, precision: str, seq_len: int | None = None, fused: bool = False,
                                         training: bool = False) -> float:
        """Bytes the memory-bound kernels move for one sequence in one step (training: forward + backward).

        Per token and layer: the element-wise and normalization kernels
        (``kernels.transformer_elementwise_values``: eager or fused), the attention batched GEMMs' score
        traffic (``kernels.transformer_attention_io_values``), and in training the one-byte dropout masks
        written forward and read backward; plus the task head's logits (``kernels.logits_traffic_values`` at
        ``output_logits_per_token``: the vocabulary where the entry lists one, 2 for SQuAD's span head; in training,
        a masked-LM head's own step count, ``kernels.masked_lm_loss_traffic_values``). Training multiplies the element-wise traffic by
        ``kernels.elementwise_training_factor()`` and the attention GEMMs' by their 3 passes.
        Eager only: torch.matmul's copies of the permuted Q, K and V (``kernels.attention_operand_copy_values``),
        counted forward + backward by their kernel.
        0 when the entry lists no ``layer_ops`` (its operators, and so their traffic, unknown).
        """
        if self.layer_ops is None:
            return 0.0
        s = seq_len or self.seq_len
        b = bytes_per_value(precision)
        h, f, a = self.hidden_dim, self.ffn_width, self.heads
        elementwise = kernels.transformer_elementwise_values(h, f, a, s, fused, training) * b
        attention = kernels.transformer_attention_io_values(h, a, s) * b
        width = self.output_logits_per_token
        logits = kernels.logits_traffic_values(width) * b / self.layers if width else 0.0
        if training:
            ew = kernels.elementwise_training_factor()
            if self.output_head == "masked_lm":  # the head and loss as the pre-training code runs them, the step's own count
                per_layer = ew * elementwise + kernels.masked_lm_loss_traffic_values(width) * b / self.layers
            else:
                per_layer = ew * (elementwise + logits)
            per_layer += kernels.training_passes() * attention + 2.0 * kernels.transformer_dropout_mask_values(h, a, s)
        else:
            per_layer = elementwise + logits + attention
        if not fused:
            per_layer += kernels.attention_operand_copy_values(h, training) * b
        return self.layers * s * per_layer

    @property
    def output_logits_per_token(self) -> int:
        """Logits the task head writes per token: 2 for SQuAD's span head (start and end, Devlin et al. 2019,
        Sec. 4.2), the vocabulary for a masked-LM head or a vocabulary output layer, 0 when the entry lists neither."""
        if self.output_head == "span":
            return 2
        return self.vocab_size or 0

    def expected_weight_bytes_read_si(self, precision: str, tokens: float) -> float:
        """Weight bytes one forward step reads when it processes ``tokens`` tokens.

        Dense: all weights. MoE: shared weights plus the experts the tokens are
        routed to (expected count under uniform routing; see
        ``kernels.moe_experts_touched``).
        """
        b = bytes_per_value(precision)
        if not self.is_moe:
            return kernels.weight_bytes(self._si["parameters"], b)
        shared, per_expert = self.moe_split_si
        touched = kernels.moe_experts_touched(self.experts, self.experts_per_token, tokens)
        return kernels.weight_bytes(shared + touched * per_expert, b)

    def lower(self, precision: str = "fp16", batch_size: int = 1, seq_len: int | None = None) -> "ComputationGraph":
        precision = check_precision(precision)
        batch_size = checks.positive_int(batch_size, "batch_size")
        s = self.seq_len if seq_len is None else checks.positive_int(seq_len, "seq_len")
        ops = self.forward_ops_per_sample_si(s) * batch_size
        weights = self.weight_bytes_si(precision)
        moved = self.expected_weight_bytes_read_si(precision, batch_size * s)
        return ComputationGraph(workload=self.name, precision=precision, ops=ops, weight_bytes=weights, bytes_moved=moved)


def min_active_parameters(total: float, experts: int, experts_per_token: int) -> float:
    """The fewest active parameters a top-k-of-E Mixture-of-Experts model can have.

    With S shared parameters and e per expert, total = S + E e and active = S + k e
    (Shazeer et al. 2017; Fedus et al. 2022). S >= 0 gives e <= total / E, and since
    active - k e = S = total - E e, active = total - (E - k) e >= total - (E - k) total / E
    = k total / E. Example: 47e9 total with top-2 of 8 needs active >= 2/8 x 47e9 = 11.75e9.
    """
    return experts_per_token * total / experts


class ComputationGraph:
    """A lowered workload: operations, weight bytes, bytes moved (floats, SI inside)."""

    __slots__ = ("workload", "precision", "_ops", "_weight_bytes", "_bytes_moved")

    def __init__(self, workload: str, precision: str, ops: float, weight_bytes: float, bytes_moved: float):
        self.workload, self.precision = workload, precision
        self._ops, self._weight_bytes, self._bytes_moved = ops, weight_bytes, bytes_moved

    @property
    def total_ops(self):
        return make(self._ops, "ops")

    @property
    def weight_bytes(self):
        return make(self._weight_bytes, "bytes")

    @property
    def bytes_moved(self):
        return make(self._bytes_moved, "bytes")

    @property
    def arithmetic_intensity(self):
        return make(kernels.arithmetic_intensity(self._ops, self._bytes_moved), "intensity")

    def __repr__(self) -> str:
        return f"ComputationGraph({self.workload!r}, {self.precision}, ops={self._ops:.3g} flop, bytes={self._bytes_moved:.3g} B)"

