import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _():
    import json
    import math
    import time

    import altair as alt
    import marimo as mo

    import mlsysim
    from mlsysim import Engine, Hardware, Models

    return Engine, Hardware, Models, alt, json, math, mlsysim, mo, time


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # The roofline: is your accelerator starved for arithmetic or for bytes?

    *Chapter 11, Hardware Acceleration: a worked example with `mlsysim`.*

    **The question.** An accelerator has two speed limits: how fast it can compute
    (peak FLOP/s) and how fast it can feed its compute units from memory (bandwidth,
    bytes/s). A workload does some number of operations per byte it moves: its
    **arithmetic intensity** (flop/byte). Which limit binds, and what does that mean
    for latency? Move the controls and watch the workload's point move on the roofline.
    """)
    return


@app.cell(hide_code=True)
def _(Hardware, Models, mlsysim, mo):
    _tier_order = ["cloud", "workstation", "mobile", "edge", "tiny"]
    _hws = sorted(Hardware.list(), key=lambda h: (_tier_order.index(h.tier) if h.tier in _tier_order else 99, h.name))
    accelerator = mo.ui.dropdown(
        options={f"{h.name} ({h.tier})": h.key for h in _hws},
        value=next((f"{h.name} ({h.tier})" for h in _hws if h.key == "h100"), None),
        label="Accelerator",
    )
    model = mo.ui.dropdown(
        options={m.name: m.key for m in Models.list()},
        value=next((m.name for m in Models.list() if m.key == "llama3_8b"), None),
        label="Workload",
    )
    batch = mo.ui.slider(steps=[2**i for i in range(0, 13)], value=1, label="Batch size", show_value=True)
    precision = mo.ui.dropdown(
        options=[p for p in ("fp32", "bf16", "fp16", "fp8", "int8") if p in mlsysim.PRECISIONS],
        value="fp16",
        label="Precision",
    )
    efficiency = mo.ui.slider(0.1, 1.0, step=0.05, value=0.5, label="Compute efficiency", show_value=True)
    mo.hstack([mo.vstack([accelerator, model, precision], align="start"),
               mo.vstack([batch, efficiency], align="start")], justify="start", gap=3)
    return accelerator, batch, efficiency, model, precision


@app.cell(hide_code=True)
def _(alt):
    # The chart is authored once with Altair, over named data; an update only fills in the data.
    # (Building Altair objects costs tens of ms in the browser; filling in a spec costs well under 1 ms.)
    _x = alt.X("ai:Q", scale=alt.Scale(type="log"), title="Arithmetic intensity (flop/byte)")
    _y = alt.Y("tflops:Q", scale=alt.Scale(type="log"), title="Attainable TFLOP/s")
    _roof, _eff = alt.Data(name="roof"), alt.Data(name="effective_roof")
    _ridge, _pt = alt.Data(name="ridge"), alt.Data(name="workload")
    roofline_template = alt.layer(
        alt.Chart(_roof).mark_line(color="#1f4e79", strokeWidth=3).encode(x=_x, y=_y),
        alt.Chart(_eff).mark_line(color="#1f4e79", strokeDash=[6, 4], opacity=0.6).encode(x=_x, y=_y),
        alt.Chart(_eff).mark_text(align="right", dx=-4, dy=-8, color="#1f4e79", opacity=0.8).encode(
            x=_x, y=_y, text="label:N"),
        alt.Chart(_ridge).mark_point(shape="diamond", size=120, filled=True, color="#1f4e79").encode(x=_x, y=_y),
        alt.Chart(_ridge).mark_text(dy=-12, color="#1f4e79").encode(x=_x, y=_y, text="label:N"),
        alt.Chart(_pt).mark_point(size=220, filled=True, color="#d62728").encode(x=_x, y=_y),
        alt.Chart(_pt).mark_text(dy=18, color="#d62728", fontWeight="bold").encode(x=_x, y=_y, text="label:N"),
    ).properties(width=620, height=360).to_dict(validate=True)
    # SVG, so the chart's text is in the page (readable by screen readers and by the tests).
    roofline_template["usermeta"] = {"embedOptions": {"renderer": "svg", "actions": False}}
    return (roofline_template,)


@app.cell(hide_code=True)
def _(
    Hardware,
    Models,
    accelerator,
    batch,
    efficiency,
    json,
    math,
    mlsysim,
    model,
    precision,
    roofline_template,
    time,
):
    # Everything a control change recomputes, timed from the inputs to the chart's JSON spec.
    _t0 = time.perf_counter()
    hw = Hardware.get(accelerator.value)
    wl = Models.get(model.value)
    # An LLM is served one token at a time: one decode step reads all the weights to produce
    # one token per sequence in the batch (seq_len=1). A CNN processes whole images.
    is_llm = isinstance(wl, mlsysim.TransformerWorkload)
    point = mlsysim.sweep(
        models=[wl], hardware=[hw], batch_sizes=[batch.value], precisions=[precision.value],
        efficiency=efficiency.value, seq_len=1 if is_llm else None,
    ).rows()[0]

    peak = point["peak_flops"]  # flop/s, dense, in the compute precision
    bw = point["bandwidth"]  # byte/s
    supported = peak > 0  # the registry gives no peak for a precision it lists no figure for
    ridge = peak / bw if supported else float("nan")  # flop/byte
    ai = point["arithmetic_intensity"]
    if not supported:
        peak = ridge = bw = float("nan")
    def _spec():
        """The roofline's Vega-Lite spec for this point (the chart was authored once, above)."""
        _lo = 10 ** math.floor(math.log10(min(ai, ridge) / 20))
        _hi = 10 ** math.ceil(math.log10(max(ai, ridge) * 20))
        _n = 48
        _xs = sorted([_lo * (_hi / _lo) ** (i / (_n - 1)) for i in range(_n)] + [ridge])  # a sharp corner
        _attainable = mlsysim.physics.kernels.attainable_flops  # the engine's float kernel
        _data = {
            "roof": [{"ai": x, "tflops": _attainable(x, peak, bw) / 1e12} for x in _xs],
            "effective_roof": [
                {"ai": _lo, "tflops": peak * efficiency.value / 1e12, "label": ""},
                {"ai": _hi, "tflops": peak * efficiency.value / 1e12,
                 "label": f"{efficiency.value:.0%} of peak"},
            ],
            "ridge": [{"ai": ridge, "tflops": peak / 1e12, "label": f"ridge {ridge:.0f} flop/B"}],
            "workload": [{"ai": ai, "tflops": point["attained_flops"] / 1e12,
                          "label": f"{point['model']}, batch {point['batch_size']}"}],
        }
        _xscale = {"type": "log", "domain": [_lo, _hi]}
        spec = dict(roofline_template, title=f"Roofline of {hw.name} ({precision.value})", layer=[
            dict(_l, data={"values": _data[_l["data"]["name"]]},
                 encoding=dict(_l["encoding"], x=dict(_l["encoding"]["x"], scale=_xscale)))
            for _l in roofline_template["layer"]
        ])
        return spec

    # nothing to draw without a peak in this precision; the cells below say why
    spec_json = json.dumps(_spec()) if supported else None
    update_ms = (time.perf_counter() - _t0) * 1e3
    return ai, bw, hw, is_llm, peak, point, ridge, spec_json, supported, update_ms, wl


@app.cell(hide_code=True)
def _(hw, mo, precision, spec_json):
    class VegaLite:
        """Shows a Vega-Lite spec that was serialised (and timed) in the cell above."""

        def __init__(self, text):
            self.text = text

        def _mime_(self):
            return "application/vnd.vegalite.v6+json", self.text

    (VegaLite(spec_json) if spec_json is not None else
     mo.callout(mo.md(f"**The registry lists no {precision.value} peak for {hw.name}.** "
                      "Pick another precision to see its roofline."), kind="warn"))
    return


@app.cell(hide_code=True)
def _(ai, mo, point, ridge, supported, update_ms):
    mo.stop(not supported, mo.md(f"### The bottleneck: none to show\n\nNo {point['precision']} peak "
                                 f"for {point['hardware']}. <small>Python time for this update: "
                                 f'<span id="update-ms">{update_ms:.1f} ms</span></small>'))
    _memory = point["bottleneck"] == "Memory Bound"
    _lat = point["latency_s"]
    _lat_txt = f"{_lat * 1e3:.3g} ms" if _lat >= 1e-3 else f"{_lat * 1e6:.3g} µs"
    _why = (
        f"its arithmetic intensity, **{ai:.3g} flop/byte**, is left of where compute catches up with memory: "
        "the compute units wait for bytes. More FLOP/s would not help; more bandwidth, fewer bytes "
        "(lower precision) or more work per byte (a bigger batch) would."
        if _memory else
        f"its arithmetic intensity, **{ai:.3g} flop/byte**, is right of the ridge ({ridge:.3g} flop/byte at peak): "
        "memory keeps up and the arithmetic units set the pace. Only more (or more efficiently used) FLOP/s helps."
    )
    _fit = "" if point["feasible"] else "\n\n**It does not fit** in the accelerator's memory at this batch size."
    mo.md(f"""
    ### The bottleneck: **{point['bottleneck']}**

    {point['model']} on {point['hardware']} at batch {point['batch_size']} ({point['precision']}) is
    **{point['bottleneck'].lower()}**: {_why}{_fit}

    | | |
    |---|---|
    | latency per step | **{_lat_txt}** |
    | throughput | **{point['throughput_per_s']:,.0f} samples/s** |
    | attained | {point['attained_flops'] / 1e12:.3g} TFLOP/s of {point['peak_flops'] / 1e12:.4g} TFLOP/s peak |
    | memory bandwidth | {point['bandwidth'] / 1e12:.3g} TB/s |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return


@app.cell(hide_code=True)
def _(Hardware, Models, mlsysim, mo):
    _m = Models.Language.Llama3_8B
    _serve = mlsysim.solvers.ServingModel()
    _h100, _a100 = Hardware.Cloud.H100, Hardware.Cloud.A100
    _sh = _serve.solve(_m, _h100, seq_len=2048, batch_size=1, precision="fp16")
    _sa = _serve.solve(_m, _a100, seq_len=2048, batch_size=1, precision="fp16")
    flops_ratio = (_h100.peak_flops("fp16") / _a100.peak_flops("fp16")).to("").magnitude
    bw_ratio = (_h100.memory.bandwidth / _a100.memory.bandwidth).to("").magnitude
    itl_ratio = (_sa.itl / _sh.itl).to("").magnitude
    mo.md(f"""
    ### Same model, newer chip: why decode barely speeds up

    Serving {_m.name} one request at a time (batch 1, fp16, 2048-token context), every new token
    reads all the weights and the KV cache once. Compare the {_h100.name} with the {_a100.name}:

    | | {_a100.name} | {_h100.name} | H100 / A100 |
    |---|---|---|---|
    | peak FLOP/s (fp16, dense) | {_a100.peak_flops("fp16").to("TFLOP/s").magnitude:.0f} TFLOP/s | {_h100.peak_flops("fp16").to("TFLOP/s").magnitude:.0f} TFLOP/s | **{flops_ratio:.2f}×** |
    | memory bandwidth | {_a100.memory.bandwidth.to("TB/s").magnitude:.2f} TB/s | {_h100.memory.bandwidth.to("TB/s").magnitude:.2f} TB/s | **{bw_ratio:.2f}×** |
    | time per output token | {_sa.itl.to("ms").magnitude:.2f} ms | {_sh.itl.to("ms").magnitude:.2f} ms | **{itl_ratio:.2f}× faster** |

    The H100 has **{flops_ratio:.2f}×** the arithmetic but decodes only **{itl_ratio:.2f}×** faster:
    the bandwidth ratio ({bw_ratio:.2f}×), not the FLOP/s ratio. Decode is memory bound, so the
    extra arithmetic sits idle.
    """)
    return bw_ratio, flops_ratio, itl_ratio


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### What to notice

    - **Batch size moves the point right.** An LLM decode step reads the weights once for the
      whole batch, so doubling the batch doubles the flops per byte. Until the point reaches
      the ridge, throughput grows almost for free while latency per step stays flat.
    - **Precision moves both the point and the roof.** Halving bytes per value doubles the
      intensity *and* (on hardware that supports it) doubles peak FLOP/s, which moves the
      ridge right as well.
    - **Efficiency lowers the compute roof** (the dashed line), which moves the point where
      compute starts to bind to the left: a poorly tuned kernel becomes compute bound sooner.
    - **Left of the ridge, buy bandwidth; right of it, buy FLOP/s.**
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ### Check yourself

    On the **NVIDIA H100** at **fp16** and **50 % compute efficiency**, decoding
    **Llama-3-8B** (one token per sequence per step): from which batch size on is the step
    **compute bound**? Estimate it from the ridge point (peak × efficiency ÷ bandwidth) before
    you try it with the controls above.
    """)
    return


@app.cell(hide_code=True)
def _(mo):
    guess = mo.ui.number(start=1, stop=8192, step=1, value=1, label="Your answer: batch size")
    guess
    return (guess,)


@app.cell(hide_code=True)
def _(Hardware, Models, guess, mlsysim, mo):
    # The notebook's own answer: sweep every batch size and find the first compute-bound one.
    _rows = mlsysim.sweep(
        models=[Models.Language.Llama3_8B], hardware=[Hardware.Cloud.H100],
        batch_sizes=list(range(1, 4097)), precisions=["fp16"], efficiency=0.5, seq_len=1,
    ).rows()
    crossover = next((r["batch_size"] for r in _rows if r["bottleneck"] == "Compute Bound"), None)
    _g = guess.value
    if _g is None or _g == 1:
        _msg = mo.md("*Enter your estimate above; the notebook checks it against the engine.*")
    elif crossover is not None and abs(_g - crossover) <= 0.1 * crossover:
        _msg = mo.callout(mo.md(f"**Right.** The engine finds the step becomes compute bound at batch "
                                f"**{crossover}** (your answer {_g} is within 10 %)."), kind="success")
    else:
        _hint = "too low: the point is still left of the effective ridge" if crossover and _g < crossover else "too high"
        _msg = mo.callout(mo.md(f"**Not yet**, {_g} is {_hint}. Hint: at batch *b* a decode step does about "
                                f"2 × parameters × *b* flops while reading about 2 bytes × parameters."), kind="warn")
    _msg
    return (crossover,)


if __name__ == "__main__":
    app.run()
