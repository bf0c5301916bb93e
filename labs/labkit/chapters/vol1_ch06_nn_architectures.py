"""Questions, solves and charts of the architectures lab (Volume I, chapter 6, NN Architectures).

Three families on one accelerator's roofline, each one ``Engine.solve`` (``SingleNodeModel``): a CNN
(registry vision models), a Transformer reading a prompt (prefill, ``seq_len`` tokens per sequence)
and generating one token (decode, ``seq_len=1``), and the registry's recommendation model (DLRM).
Attention's s^2: ``kernels.attention_flops_per_token`` (4 n_layer n_ctx d_attn) against the weights'
``inference_flops_per_token`` (2P) as the context grows, and ``kernels.attention_parity_context``
where the two are equal. The second chart's template is written here (``mlsysim.viz`` has no
FLOPs-against-context chart), in viz's style.
"""

from __future__ import annotations

from mlsysim import Engine, Hardware, Models, TransformerWorkload, viz
from mlsysim.physics import kernels
from mlsysim.solvers.defaults import DEFAULT_EFFICIENCY
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

CNNS = ["resnet50", "mobilenetv2", "alexnet", "yolov8n"]
TRANSFORMERS = ["gpt2", "llama2_7b", "llama3_8b", "llama3_70b"]
RECOMMENDER = "dlrm"
PRECISIONS = ["fp32", "fp16", "bf16", "fp8", "int8"]
CONTEXTS = [2 ** i for i in range(7, 18)]  # 128 ... 131,072 tokens
MAX_BATCH = 4096
EFFICIENCY = DEFAULT_EFFICIENCY  # the engine's default compute efficiency, used by every solve here
FAMILIES = ["CNN", "Transformer prefill", "Transformer decode", "recommendation"]


def prepare() -> None:
    """Pay at the lab's start what the first redraw would otherwise pay: the chart templates, the
    registry entries and the first solves and charts."""
    viz.load_templates()
    results = family_solves(**PREDICTION_SETUP)
    roofline_chart(results, PREDICTION_SETUP["hw"], PREDICTION_SETUP["seq"], EFFICIENCY, "warm-up")
    attention_chart(PREDICTION_SETUP["transformer"], PREDICTION_SETUP["seq"], "warm-up")


def solve(model: str, hw: str, batch: int, precision: str, seq: int | None = None):
    """One roofline solve (the engine's result)."""
    return Engine.solve(model, hw, batch_size=batch, precision=precision, seq_len=seq, efficiency=EFFICIENCY)


def family_solves(cnn: str, transformer: str, hw: str, batch: int, precision: str, seq: int) -> dict:
    """The four points of the roofline, by family."""
    return {"CNN": solve(cnn, hw, batch, precision),
            "Transformer prefill": solve(transformer, hw, batch, precision, seq),
            "Transformer decode": solve(transformer, hw, batch, precision, 1),
            "recommendation": solve(RECOMMENDER, hw, batch, precision)}


def bound(result) -> str:
    b = result.bound
    return str(getattr(b, "value", b))


def intensity(result) -> float:
    return result.arithmetic_intensity.to("flop/byte").magnitude


def label(family: str, result, seq: int) -> str:
    name = Models.get(result.model).name if hasattr(result, "model") else family
    extra = f", {seq} tokens" if family == "Transformer prefill" else ", 1 token" if family == "Transformer decode" else ""
    return f"{family}: {name}{extra}"


def attention_split(model: str, context: float) -> tuple[float, float]:
    """(weights' 2P, attention's 4 L s d_attn) forward FLOPs per token at ``context`` keys."""
    m = Models.get(model)
    weights = kernels.inference_flops_per_token(m.active_parameters_si)
    return weights, kernels.attention_flops_per_token(m.layers, context, m.heads * m.head_dim)


def parity_context(model: str) -> float:
    m = Models.get(model)
    return kernels.attention_parity_context(m.active_parameters_si, m.layers, m.heads * m.head_dim)


def attention_share(model: str, context: float) -> float:
    weights, attn = attention_split(model, context)
    return attn / (weights + attn)


# FLOPs per token against the context (log-log): the weights' flat line, attention's growing one,
# the student's context and the parity context marked. Same look as mlsysim.viz's templates.
_COLOURS = {"domain": ["weights (2P)", "attention (4 L s d)"], "range": [PALETTE["blue"], PALETTE["vermillion"]]}
TEMPLATE = {
    **lab_frame(280),
    "layer": [
        {"data": {"name": "curve"}, "mark": {"type": "line", "strokeWidth": 2, "point": True},
         "encoding": {"x": {"field": "context", "type": "quantitative", "title": "Context (tokens attended to)",
                            "scale": {"type": "log", "nice": False}, "axis": {"format": "~s"}},
                      "y": {"field": "gflop", "type": "quantitative", "title": "Forward GFLOP per token",
                            "scale": {"type": "log"}, "axis": {"format": "~g"}},
                      "color": {"field": "part", "type": "nominal", "title": None, "scale": _COLOURS}}},
        {"data": {"name": "marks"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["black"]},
         "encoding": {"x": {"field": "context", "type": "quantitative"}}},
        {"data": {"name": "marks"}, "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "angle": 0,
                                             "fontWeight": "bold"},
         "encoding": {"x": {"field": "context", "type": "quantitative"},
                      "y": {"field": "label_y", "type": "quantitative"},
                      "text": {"field": "label", "type": "nominal"}}},
    ],
}


def attention_chart(model: str, context: int, title: str) -> viz.Chart:
    rows = []
    for s in CONTEXTS:
        w, a = attention_split(model, s)
        rows += [{"context": s, "gflop": w / 1e9, "part": "weights (2P)"},
                 {"context": s, "gflop": a / 1e9, "part": "attention (4 L s d)"}]
    parity = parity_context(model)
    top = max(r["gflop"] for r in rows)
    low = min(r["gflop"] for r in rows)
    marks = [{"context": context, "label_y": top, "label": f"yours {context:,}"}]
    if CONTEXTS[0] <= parity <= CONTEXTS[-1]:
        marks.append({"context": parity, "label_y": (top * low) ** 0.5, "label": f"equal at {fmt(parity)}"})
    w, a = attention_split(model, context)
    summary = (f"Forward FLOPs per token of {Models.get(model).name}: the weights' {fmt(w / 1e9)} GFLOP whatever the "
               f"context; attention's grows with it, {fmt(a / 1e9)} GFLOP at your {context:,} tokens, and equals "
               f"the weights' at {fmt(parity)} tokens.")
    datasets = {"curve": rows, "marks": marks}
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


def weights_only_flops(model: str, batch: int, seq: int) -> float:
    """2P per token over the batch's tokens: what a forward pass costs without attention's term."""
    return kernels.inference_flops_per_token(Models.get(model).active_parameters_si) * batch * seq


def ridges(result, hw: str) -> tuple[float, float]:
    """(the ridge at peak, the effective ridge at EFFICIENCY) in flop/byte."""
    peak = result.peak_flops.to("flop/s").magnitude
    bw = Hardware.get(hw).memory.bandwidth.to("byte/s").magnitude
    return kernels.ridge_point(peak, bw), kernels.ridge_point(kernels.effective_flops(peak, EFFICIENCY), bw)


def roofline_chart(results: dict, hw: str, seq: int, efficiency: float, title: str, subtitle=None) -> viz.Chart:
    r0 = next(iter(results.values()))
    peak = r0.peak_flops.to("flop/s").magnitude
    bw = Hardware.get(hw).memory.bandwidth.to("byte/s").magnitude
    points = [viz.profile_point(r, label(f, r, seq)) for f, r in results.items()]
    return viz.roofline_spec(peak, bw, points, efficiency, 1.0, title=title, subtitle=subtitle)


# --- check yourself -----------------------------------------------------------------------------
def _names(model: str = "", hw: str = "", **_) -> dict:
    out = {}
    if model:
        out["model_name"] = Models.get(model).name
    if hw:
        out["hw_name"] = Hardware.get(hw).name
    return out


def _parity_math(model: str) -> str:
    m = Models.get(model)
    d = m.heads * m.head_dim
    return (f"4 L s d_attn = 2P gives s = P ÷ (2 L d_attn) = {m.active_parameters_si:.4g} ÷ (2 × {m.layers} × {d}) = "
            f"**{parity_context(model):,.0f} tokens** (Kaplan et al. 2020, Sec. 2.1, with the full window).")


def _throughput_math(model: str, hw: str, batch: int) -> str:
    r = solve(model, hw, batch, "fp16")
    return (f"time per batch = max(compute {r.compute_time.to('ms').magnitude:.4g} ms, memory "
            f"{r.memory_time.to('ms').magnitude:.4g} ms) + dispatch {r.dispatch_tax.to('ms').magnitude:.3g} ms = "
            f"{r.latency.to('ms').magnitude:.4g} ms; {batch} ÷ that = **{r.throughput.to('1/s').magnitude:,.4g} samples/s** "
            f"({bound(r)} bound).")


QUESTIONS = [
    Question(
        id="parity_context",
        prompt=("For **{model_name}**, from what **context length** on does attention (4 L s d_attn) cost more forward "
                "FLOPs per token than the weights (2P)?"),
        variants={"model": TRANSFORMERS},
        answer=parity_context,
        tolerance=0.05, unit="tokens", describe=_names,
        hint="Set 4 × layers × s × d_attn equal to 2 × parameters and solve for s; the second chart marks it.",
        math=_parity_math,
    ),
    Question(
        id="cnn_throughput",
        prompt=("**{model_name}** on the **{hw_name}** at **batch {batch}**, fp16 (50 % compute efficiency): how many "
                "**images per second**?"),
        variants={"model": CNNS, "hw": ["h100", "a100_80gb", "l4", "t4"], "batch": [1, 8, 64, 256]},
        answer=lambda model, hw, batch: solve(model, hw, batch, "fp16").throughput.to("1/s").magnitude,
        tolerance=0.05, unit="images/s", describe=_names,
        hint="Throughput = batch ÷ time per batch; the table under the roofline gives it for the CNN.",
        math=_throughput_math,
    ),
]

PREDICTION_SETUP = dict(cnn="resnet50", transformer="llama3_8b", hw="h100", batch=1, precision="fp16", seq=2048)
_OPTIONS = {"CNN": "the CNN (ResNet-50)", "Transformer prefill": "the Transformer reading a 2048-token prompt (Llama-3-8B)",
            "Transformer decode": "the Transformer generating one token (Llama-3-8B)",
            "recommendation": "the recommendation model (DLRM)"}


def _lowest_intensity() -> str:
    rs = family_solves(**PREDICTION_SETUP)
    return _OPTIONS[min(rs, key=lambda f: intensity(rs[f]))]


PREDICTIONS = [
    Prediction(
        id="leftmost",
        prompt=("On an NVIDIA H100 at fp16, batch 1: which workload does the **fewest FLOPs per byte** it moves "
                "(sits furthest left on the roofline)?"),
        options=list(_OPTIONS.values()),
        truth=_lowest_intensity,
    ),
]
