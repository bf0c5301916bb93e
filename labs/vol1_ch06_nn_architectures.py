import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch06_nn_architectures as chapter
    from mlsysim import Hardware, Models
    from mlsysim.viz.data import fmt

    chapter.prepare()  # the chart templates, registry entries and first solves, before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch06_nn_architectures",
        "volume": 1,
        "chapter": 6,
        "title": "Three architectures on one roofline, and what attention's s² does as the context grows",
        "question": ("A CNN, a Transformer and a recommendation model ask very different things of the same "
                     "accelerator. Why does each sit where it does on the roofline, and what does attention's "
                     "s² cost as the context grows?"),
        "minutes": 25,
        "example_preset": "hw=a100_80gb&cnn=mobilenetv2&transformer=gpt2&batch=16&seq=8192&precision=bf16",
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
    predict = lab.prediction("leftmost")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("leftmost", predict)
    lab.show_prediction("leftmost", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _devices = [h for h in Hardware.list() if h.tier in ("cloud", "workstation", "edge")]
    hw = lab.dropdown("hw", {f"{h.name} ({h.tier})": h.key for h in _devices}, "h100", "Accelerator")
    cnn = lab.dropdown("cnn", {Models.get(m).name: m for m in chapter.CNNS}, "resnet50", "CNN")
    transformer = lab.dropdown("transformer", {Models.get(m).name: m for m in chapter.TRANSFORMERS}, "llama3_8b",
                               "Transformer")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch")
    seq = lab.dropdown("seq", {f"{s:,}": str(s) for s in chapter.CONTEXTS}, "2048", "Prompt / context (tokens)")
    precision = lab.dropdown("precision", {p: p for p in chapter.PRECISIONS}, "fp16", "Precision")
    return batch, cnn, hw, precision, seq, transformer


@app.cell(hide_code=True)
def _(batch, cnn, hw, lab, locked, precision, seq, transformer):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nFour workloads on one accelerator: a CNN, a Transformer reading a prompt "
                     "(prefill) and generating one token (decode), and DLRM. The points and the numbers follow."),
               lab.show_controls(hw, cnn, transformer, batch, seq, precision)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, cnn, hw, lab, precision, seq, transformer):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"hw": hw.value, "cnn": cnn.value, "transformer": transformer.value,
                             "batch": batch.value, "seq": seq.value, "precision": precision.value})
    n_batch, context = int(batch.value), int(seq.value)
    device = Hardware.get(hw.value)
    results = chapter.family_solves(cnn.value, transformer.value, hw.value, n_batch, precision.value, context)
    has_peak = all(r.compute_precision is not None for r in results.values())
    _r0 = results["CNN"]
    fallback = next((a for a in _r0.assumptions if "lists no" in a and "peak" in a), None)
    roofline = None
    if has_peak:
        _sub = ([f"{precision.value} requested: no {precision.value} peak listed,",
                 f"so the {_r0.compute_precision} peak is used"] if fallback else None)
        roofline = chapter.roofline_chart(results, hw.value, context, chapter.EFFICIENCY,
                                          f"Four workloads on {device.name} ({_r0.compute_precision}), batch {n_batch}",
                                          _sub)
    share = chapter.attention_share(transformer.value, context)
    parity = chapter.parity_context(transformer.value)
    attention = chapter.attention_chart(transformer.value, context,
                                        f"{Models.get(transformer.value).name}: forward FLOPs per token")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return attention, context, controls, device, fallback, has_peak, n_batch, parity, results, roofline, share, update_ms


@app.cell(hide_code=True)
def _(device, has_peak, lab, locked, precision, results, roofline):
    mo.stop(locked is None)
    (lab.chart(roofline) if has_peak else
     mo.callout(mo.md(f"**Nothing to draw: {device.name} has no {precision.value} arithmetic.** "
                      f"{results['CNN'].reason}. Pick another precision."), kind="warn"))
    return


@app.cell(hide_code=True)
def _(context, device, fallback, has_peak, hw, locked, n_batch, results, transformer, update_ms):
    mo.stop(locked is None or not has_peak)
    _ai = {f: chapter.intensity(r) for f, r in results.items()}
    leftmost, rightmost = min(_ai, key=_ai.get), max(_ai, key=_ai.get)
    _ridge, eff_ridge = chapter.ridges(results["CNN"], hw.value)
    _bounds = {f: chapter.bound(r) for f, r in results.items()}
    explanation = (
        f"Furthest left is the **{leftmost}** at **{fmt(_ai[leftmost])} flop/byte**, furthest right the "
        f"**{rightmost}** at **{fmt(_ai[rightmost])} flop/byte**. The ridge that decides, at "
        f"{chapter.EFFICIENCY:.0%} of peak, is at **{eff_ridge:.3g} flop/byte** (at 100 % of peak {_ridge:.3g}): "
        + "; ".join(f"the {f} is **{b} bound**" for f, b in _bounds.items()) + ".")
    explanation += (
        f" The same Transformer moves from {fmt(_ai['Transformer decode'])} to {fmt(_ai['Transformer prefill'])} "
        f"flop/byte between decode and prefill: one read of its weights serves {n_batch} token(s) in decode and "
        f"{n_batch * context:,} in prefill.")
    _dlrm = results["recommendation"]
    if _dlrm.bytes_moved.to("byte").magnitude >= _dlrm.weight_memory.to("byte").magnitude * (1 - 1e-9):
        explanation += (
            f" DLRM does almost no arithmetic per parameter: the engine charges all "
            f"{_dlrm.weight_memory.to('GB').magnitude:,.4g} GB of its embedding tables as read by every batch, an upper "
            "bound (a lookup reads only the rows the batch touches), which puts it even further left than a "
            "tuned system.")
    _unfit = [f for f, r in results.items() if not r.feasible]
    if _unfit:
        explanation += (" **Does not fit** on the " + device.name + ": " + ", ".join(
            f"the {f} ({results[f].reason})" for f in _unfit) + "; its point is drawn as a cross.")
    if fallback:
        explanation += f"\n\n**Precision:** {fallback}, so the roof and the numbers use that peak."
    _rows = "\n".join(
        f"| {chapter.label(f, r, context)} | {fmt(_ai[f])} | {chapter.bound(r)} | {r.latency.to('ms').magnitude:.4g} ms | "
        f"{r.throughput.to('1/s').magnitude:,.4g} {'tokens' if f.startswith('Transformer') else 'samples'}/s |"
        for f, r in results.items())
    mo.md(f"### Where each sits\n\n{explanation}\n\n| workload | flop/byte | bound | time per batch | throughput |\n"
          f"|---|---|---|---|---|\n{_rows}\n\n<small>Throughput counts tokens processed for the Transformer "
          "(prefill: the prompt's tokens; decode: one per sequence), images or samples for the others. Python time "
          f"for this update: <span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    return eff_ridge, explanation, leftmost, rightmost


@app.cell(hide_code=True)
def _(attention, lab, locked):
    mo.stop(locked is None)
    lab.chart(attention)
    return


@app.cell(hide_code=True)
def _(context, locked, n_batch, parity, results, share, transformer):
    mo.stop(locked is None)
    _name = Models.get(transformer.value).name
    _w, _a = chapter.attention_split(transformer.value, context)
    _w2, _a2 = chapter.attention_split(transformer.value, 2 * context)
    _verb = "already exceeded" if context > parity else "reaches"
    attention_text = (
        f"At a context of {context:,} tokens, attention is **{share:.0%}** of {_name}'s forward FLOPs per token "
        f"({_a / 1e9:.3g} of {(_w + _a) / 1e9:.3g} GFLOP); it {_verb} the weights' 2P at **{parity:,.0f} tokens**. Per token, attention grows "
        f"with the context ({_a2 / _a:.3g}× when it doubles); over a whole prompt of s tokens it grows as s², while the "
        f"weights' work grows as s.")
    _pre = results["Transformer prefill"]
    _two_p = chapter.weights_only_flops(transformer.value, n_batch, context)
    if _pre.ops is not None and abs(_pre.ops.to("flop").magnitude - _two_p) <= 1e-9 * _two_p:
        attention_text += (f" The roofline's prefill point counts 2P per token only: with attention its FLOPs would be "
                           f"{(_w + _a) / _w:.3g}× larger at the same bytes.")
    mo.md(f"### Attention's s²\n\n{attention_text}")
    return (attention_text,)


@app.cell(hide_code=True)
def _(context, eff_ridge, has_peak, lab, locked, results, transformer):
    mo.stop(locked is None or not has_peak)
    _m = Models.get(transformer.value)
    _pre = results["Transformer prefill"]
    lab.math(
        "The roofline (Williams, Waterman & Patterson 2009) and the attention term, as `mlsysim.physics.kernels` "
        "computes them:\n\n"
        f"- intensity = ops ÷ bytes; the prefill's = {_pre.ops.to('GFLOP').magnitude:,.4g} GFLOP ÷ "
        f"{_pre.bytes_moved.to('GB').magnitude:.4g} GB = **{chapter.intensity(_pre):.4g} flop/byte**, against the "
        f"effective ridge **{eff_ridge:.4g} flop/byte**\n"
        f"- weights per token = 2P = 2 × {_m.active_parameters_si:.4g} (Kaplan et al. 2020, Table 1)\n"
        f"- attention per token = 4 L s d_attn = 4 × {_m.layers} × {context:,} × {_m.heads * _m.head_dim} "
        "(Narayanan et al. 2021, Sec. 5.1: QKᵀ and ·V over the full window)\n"
        f"- equal when s = P ÷ (2 L d_attn) = **{chapter.parity_context(transformer.value):,.0f} tokens**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("leftmost", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Reuse sets the place on the roofline.** A convolution reuses each filter at every pixel; a Transformer
      reuses each weight once per token in flight; an embedding row is used once per lookup. More reuse, further
      right.
    - **The same Transformer sits in two places.** Prefill reads the weights once for the whole prompt and is
      compute bound; decode reads them for one token per sequence and is memory bound, until the batch is large.
    - **Batch moves the CNN and decode right**, and DLRM too, but DLRM's bytes are its tables: it stays far left.
    - **Attention's s² is small at short contexts and dominant at long ones.** Per token it grows with the
      context; the crossover is a few times the model width (about 6 d for a dense model).
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("parity_context", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("parity_context", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("cnn_throughput", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("cnn_throughput", q2)
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
