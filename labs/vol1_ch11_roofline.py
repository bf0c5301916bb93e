import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    import mlsysim
    from labkit.chapters import vol1_ch11_roofline as chapter
    from mlsysim import Engine, Hardware, Models, viz
    from mlsysim.physics import kernels

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch11_roofline",
        "volume": 1,
        "chapter": 11,
        "title": "The roofline: is your accelerator starved for arithmetic or for bytes?",
        "question": ("An accelerator has two speed limits, arithmetic (FLOP/s) and memory bandwidth "
                     "(bytes/s). Which one sets the pace of a workload, and what would make it faster?"),
        "minutes": 25,
        "example_preset": "hw=a100_80gb&batch=64&precision=fp8",
    }


@app.cell(hide_code=True)
async def _():
    # the state this browser saved for the lab, and the link's presets
    lab = await kit.open_lab(LAB, chapter)
    return (lab,)


@app.cell(hide_code=True)
def _(lab):
    student = lab.student_input()
    return (student,)


@app.cell(hide_code=True)
def _(lab, student):
    student_id = lab.set_student(student.value)
    mo.vstack([lab.header(), student])
    return (student_id,)


@app.cell(hide_code=True)
def _(lab):
    predict = lab.prediction("decode_wall")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("decode_wall", predict)
    lab.show_prediction("decode_wall", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _tiers = ["cloud", "workstation", "mobile", "edge", "tiny"]
    _hws = sorted(Hardware.list(), key=lambda h: (_tiers.index(h.tier) if h.tier in _tiers else 99, h.name))
    hw = lab.dropdown("hw", {f"{h.name} ({h.tier})": h.key for h in _hws}, "h100", "Accelerator")
    model = lab.dropdown("model", {m.name: m.key for m in Models.list()}, "llama3_8b", "Workload")
    precision = lab.dropdown("precision", {p: p for p in ("fp32", "bf16", "fp16", "fp8", "int8")}, "fp16", "Precision")
    # every batch size, so the check-yourself answers (e.g. 148) can be tried exactly
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch size")
    efficiency = lab.slider("efficiency", 0.1, 1.0, 0.05, 0.5, "Compute efficiency")
    return batch, efficiency, hw, model, precision


@app.cell(hide_code=True)
def _(batch, efficiency, hw, lab, locked, model, precision):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the point, the roofs and the numbers follow."),
               lab.show_controls(hw, model, precision, batch, efficiency)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, efficiency, hw, lab, model, precision):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"hw": hw.value, "model": model.value, "precision": precision.value,
                             "batch": batch.value, "efficiency": efficiency.value})
    device = Hardware.get(hw.value)
    workload = Models.get(model.value)
    # An LLM is served one token at a time: a decode step reads all the weights to make one token
    # per sequence in the batch (seq_len=1). Other models process whole inputs.
    is_llm = isinstance(workload, mlsysim.TransformerWorkload)
    result = Engine.solve(workload, device, batch_size=batch.value, precision=precision.value,
                          efficiency=efficiency.value, seq_len=1 if is_llm else None)
    bound = str(getattr(result.bound, "value", result.bound))  # "memory", "compute", "software" or "capacity"
    has_peak = result.compute_precision is not None
    fallback = next((a for a in result.assumptions if "lists no" in a and "peak" in a), None)
    peak = result.peak_flops.to("flop/s").magnitude
    bw = device.memory.bandwidth.to("byte/s").magnitude
    ai = result.arithmetic_intensity.to("flop/byte").magnitude if has_peak else None
    # the ridge at peak, and the effective ridge at the chosen efficiency (bandwidth efficiency 1, the default)
    ridge = kernels.ridge_point(peak, bw) if has_peak else None
    eff_ridge = kernels.ridge_point(kernels.effective_flops(peak, efficiency.value), bw) if has_peak else None
    per = "token" if is_llm else "sample"
    chart = None
    if has_peak:
        _title = f"Roofline of {device.name} ({result.compute_precision})"
        _sub = ([f"{precision.value} requested: no {precision.value} peak listed,",
                 f"so the {result.compute_precision} peak is used"] if fallback else None)
        chart = viz.roofline_spec(peak, bw, [viz.profile_point(result, f"{workload.name}, batch {batch.value}")],
                                  efficiency.value, 1.0, title=_title, subtitle=_sub)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (ai, bound, bw, chart, controls, device, eff_ridge, fallback, has_peak, is_llm, peak, per, result,
            ridge, update_ms, workload)


@app.cell(hide_code=True)
def _(chart, device, has_peak, lab, locked, precision, result):
    mo.stop(locked is None)
    (lab.chart(chart) if has_peak else
     mo.callout(mo.md(f"**Nothing to draw: {device.name} has no {precision.value} arithmetic.** "
                      f"{result.reason}. Pick another precision."), kind="warn"))
    return


@app.cell(hide_code=True)
def _(ai, bound, eff_ridge, efficiency, fallback, has_peak, is_llm, locked, per, result, ridge, update_ms,
      workload, device, batch):
    mo.stop(locked is None)
    _lat = result.latency.to("s").magnitude
    _thr = result.throughput.to("1/s").magnitude
    _unit = "tokens/s" if is_llm else "samples/s"
    if not has_peak:
        explanation = f"{device.name} cannot run this precision: {result.reason}."
    elif bound == "memory":
        explanation = (
            f"Its arithmetic intensity, **{ai:.3g} flop/byte**, is left of the ridge that decides, the one at "
            f"**{efficiency.value:.0%} of peak: {eff_ridge:.3g} flop/byte** (peak × efficiency ÷ bandwidth; the "
            f"ridge at 100 % of peak is {ridge:.3g} flop/byte). The arithmetic units wait for bytes: more FLOP/s "
            "would not help; more bandwidth, fewer bytes per value (lower precision) or more work per byte "
            "(a bigger batch) would.")
    elif bound == "compute":
        explanation = (
            f"Its arithmetic intensity, **{ai:.3g} flop/byte**, is right of the ridge that decides, the one at "
            f"**{efficiency.value:.0%} of peak: {eff_ridge:.3g} flop/byte** (the ridge at 100 % of peak is "
            f"{ridge:.3g} flop/byte). Memory keeps up and the arithmetic sets the pace: only more, or better "
            "used, FLOP/s helps.")
    elif bound == "software":
        explanation = (
            f"Its arithmetic intensity is **{ai:.3g} flop/byte**, but neither side of the roofline sets the pace: the "
            f"framework launches **{result.kernels:g} kernels**, one by one, and launching them takes "
            f"**{result.launch_time.to('ms').magnitude:.3g} ms**, longer than the accelerator needs to run them. More "
            "FLOP/s or bandwidth would not help; fewer kernels (fusion, compilation), cheaper launches (CUDA graphs) "
            "or more work per kernel (a bigger batch) would.")
    else:
        explanation = (f"**It does not fit**: {result.reason}. The point is drawn as a cross: the time shown "
                       "is what the step would take if the memory were large enough, which it is not.")
    if fallback:
        explanation += f"\n\n**Precision:** {fallback}, so the roof and the numbers use that peak."
    _fits = "" if result.feasible else " (if it fitted)"
    _per_token = ""
    if is_llm:
        _per_token = (f"\n\nFor LLM decode one step makes one token for each of the {batch.value} sequences, so the "
                      f"**time per output token is the step time, {_lat * 1e3:.3g} ms**, here. A serving model "
                      "(chapter 13) quotes a slightly longer time per token: it also reads the KV cache of the "
                      "whole context at every step, which this one-token roofline leaves out.")
    if not has_peak:
        _out = mo.md(f"""
    ### The bottleneck: **{bound}** (no {result.precision} arithmetic on this chip)

    {workload.name} on {device.name}: {explanation} Nothing runs, so there is no time per step and no
    throughput to show: 0 {_unit} would be a made-up number.

    <small>Python time for this update: <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    else:
        _out = mo.md(f"""
    ### The bottleneck: **{bound}**{"" if result.feasible else " (capacity: it does not fit)"}

    {workload.name} on {device.name} at batch {batch.value}: {explanation}{_per_token}

    | | |
    |---|---|
    | time per step{_fits} | **{_lat * 1e3:.4g} ms** |
    | throughput{_fits} | **{_thr:,.4g} {_unit}** |
    | arithmetic intensity | {ai:.3g} flop/byte |
    | attained | {result.ops.to("flop").magnitude / _lat / 1e12 if _lat > 0 and _lat != float("inf") else 0:.3g} TFLOP/s of {result.peak_flops.to("TFLOP/s").magnitude:.4g} TFLOP/s peak |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    _out
    return (explanation,)


@app.cell(hide_code=True)
def _(ai, bw, eff_ridge, efficiency, has_peak, lab, locked, peak, result):
    mo.stop(locked is None or not has_peak)
    _lat = result.latency.to("s").magnitude
    lab.math(
        "The roofline (Williams, Waterman & Patterson 2009, *CACM* 52(4)), as `mlsysim.physics.kernels` computes it:\n\n"
        "attainable = min(peak × efficiency, intensity × bandwidth)\n\n"
        f"- effective ridge = {peak / 1e12:.4g} TFLOP/s × {efficiency.value:g} ÷ {bw / 1e12:.4g} TB/s = "
        f"**{eff_ridge:.4g} flop/byte**\n"
        f"- intensity = ops ÷ bytes = {result.ops.to('GFLOP').magnitude:.4g} GFLOP ÷ "
        f"{result.bytes_moved.to('GB').magnitude:.4g} GB = **{ai:.3g} flop/byte**\n"
        f"- compute time = ops ÷ (peak × efficiency) = **{result.compute_time.to('ms').magnitude:.4g} ms**; "
        f"memory time = bytes ÷ bandwidth = **{result.memory_time.to('ms').magnitude:.4g} ms**\n"
        f"- time per step = max of the two + dispatch {result.dispatch_tax.to('ms').magnitude:.3g} ms = "
        f"**{_lat * 1e3:.4g} ms**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("decode_wall", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Batch size moves the point right.** A decode step reads the weights once for the whole
      batch, so doubling the batch doubles the flops per byte. Until the point reaches the ridge
      that decides, throughput grows almost for free while the time per step stays flat.
    - **Two ridges.** The ridge at peak is where the hardware's two roofs meet; the effective ridge
      (peak × efficiency ÷ bandwidth) is where *your* kernel's compute roof meets memory, and it is
      the one that decides the bound. A poorly tuned kernel turns compute bound sooner.
    - **Precision moves both the point and the roof**, on hardware that has the lower precision. On
      hardware that does not (an A100 at fp8), the bytes shrink but the roof stays: the chart says so.
    - **Left of the ridge, buy bandwidth; right of it, buy FLOP/s.**
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("crossover", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("crossover", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("tokens_per_s", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("tokens_per_s", q2)
    return


@app.cell(hide_code=True)
def _(lab):
    start_over = lab.start_over_button()
    return (start_over,)


@app.cell(hide_code=True)
def _(controls, lab, start_over):
    lab.footer(controls, start_over)
    return


if __name__ == "__main__":
    app.run()
