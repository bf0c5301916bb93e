import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch08_training as chapter
    from mlsysim import Hardware, Models, TransformerWorkload
    from mlsysim.workloads.precision import bytes_per_value

    chapter.prepare()  # the chart templates and the reference cluster, loaded before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch08_training",
        "volume": 1,
        "chapter": 8,
        "title": "Does it fit? The memory of a training step",
        "question": ("Training keeps much more than the weights in memory: gradients, optimizer state and every "
                     "layer's activations. Does a model fit one accelerator, and what do activation recompute, "
                     "mixed precision and ZeRO sharding buy?"),
        "minutes": 30,
        "example_preset": "model=gpt2&hw=a100_80gb&batch=4&recompute=full",
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
    predict = lab.prediction("footprint")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("footprint", predict)
    lab.show_prediction("footprint", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _devices = [h for h in Hardware.list() if h.tier in ("cloud", "workstation")]
    hw = lab.dropdown("hw", {f"{h.name} ({h.memory.capacity.to('GB').magnitude:.0f} GB)": h.key for h in _devices},
                      "h100", "Accelerator")
    model = lab.dropdown("model", {m.name: m.key for m in Models.list() if isinstance(m, TransformerWorkload)},
                         "llama3_8b", "Model")
    precision = lab.dropdown("precision", {p: p for p in chapter.PRECISIONS}, "bf16", "Weights and gradients in")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch (sequences per accelerator)")
    seq = lab.dropdown("seq", {str(s): str(s) for s in chapter.SEQ_LENS}, "2048", "Sequence length (tokens)")
    recompute = lab.dropdown("recompute", {"none (keep every activation)": "none",
                                           "full (keep each layer's input)": "full"}, "none", "Activation recompute")
    zero = lab.dropdown("zero", {f"stage {z}": str(z) for z in range(4)}, "0", "ZeRO")
    dp = lab.dropdown("dp", {str(n): str(n) for n in chapter.DP_SIZES}, "1", "Data-parallel accelerators")
    return batch, dp, hw, model, precision, recompute, seq, zero


@app.cell(hide_code=True)
def _(batch, dp, hw, lab, locked, model, precision, recompute, seq, zero):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nOne accelerator first; then shard the training state over data-parallel "
                     "accelerators with ZeRO. The bars and the numbers follow the controls."),
               lab.show_controls(model, hw, precision, batch, seq, recompute, zero, dp)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, dp, hw, lab, model, precision, recompute, seq, zero):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "precision": precision.value,
                             "batch": batch.value, "seq": seq.value, "recompute": recompute.value,
                             "zero": zero.value, "dp": dp.value})
    setup = dict(model=model.value, hw=hw.value, precision=precision.value, batch=int(batch.value),
                 seq=int(seq.value), recompute=recompute.value)
    single = chapter.one_accelerator(**setup)
    other = chapter.one_accelerator(**dict(setup, recompute="none" if recompute.value == "full" else "full"))
    zero_stage, n_dp = int(zero.value), int(dp.value)
    sharding = n_dp > 1 or zero_stage > 0
    shard = chapter.sharded(**setup, zero=zero_stage, dp=n_dp) if sharding else None
    single_parts = chapter.parts(single)
    bars = {"one accelerator": single_parts}
    if sharding:
        bars[f"ZeRO-{zero_stage} over {n_dp}"] = chapter.parts(shard)
    capacity = single.memory_capacity.to("byte").magnitude
    device, workload = Hardware.get(hw.value), Models.get(model.value)
    chart = chapter.memory_chart(bars, capacity, f"Training memory of {workload.name} on {device.name}")
    final = shard if sharding else single
    final_parts = bars[list(bars)[-1]]
    fits = bool(final.feasible)
    largest = max(final_parts, key=final_parts.get)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (capacity, chart, controls, device, final, final_parts, fits, largest, n_dp, other, shard, sharding,
            single, single_parts, update_ms, workload, zero_stage)


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(batch, capacity, device, final, final_parts, fits, largest, locked, n_dp, other, precision, recompute,
      seq, sharding, single, single_parts, update_ms, workload, zero_stage):
    mo.stop(locked is None)
    _gb = lambda b: f"{b / 1e9:,.4g} GB"  # noqa: E731
    _where = f"ZeRO stage {zero_stage} over {n_dp} data-parallel accelerators" if sharding else "one accelerator"
    _total = sum(final_parts.values())
    if fits:
        explanation = (f"With {_where}, a training step of {workload.name} needs **{_gb(_total)} per "
                       f"accelerator**, within the {_gb(capacity)} of the {device.name}: it fits.")
    else:
        explanation = (f"With {_where}, a training step of {workload.name} needs **{_gb(_total)} per "
                       f"accelerator**, more than the {_gb(capacity)} of the {device.name}: **it does not fit**.")
    explanation += (f" The largest part is the **{largest}** ({_gb(final_parts[largest])}).")
    _alt = other.memory_footprint.to("byte").magnitude
    explanation += (f" On one accelerator, recompute {recompute.value} needs {_gb(sum(single_parts.values()))}; "
                    f"recompute {'none' if recompute.value == 'full' else 'full'} would need {_gb(_alt)} "
                    f"(a step of {other.latency.to('ms').magnitude:,.4g} ms against "
                    f"{single.latency.to('ms').magnitude:,.4g} ms now: recompute trades memory for a second forward pass).")
    if sharding and n_dp == 1:
        explanation += " ZeRO shards the state over data-parallel accelerators: with only one, it divides nothing."
    elif sharding and zero_stage == 0:
        explanation += (" Plain data parallelism (ZeRO stage 0) copies everything to every accelerator: more of "
                        "them speed the step up but save no memory.")
    _fallback = next((a for a in single.assumptions if "lists no" in a), None)
    _note = f"\n\n**Precision:** {_fallback}." if _fallback else ""
    _rows = [f"| {k} | {_gb(single_parts[k])} | {_gb(final_parts[k]) if sharding else ''} |" for k in single_parts]
    _table = "\n".join(
        [f"| batch {batch.value} × {seq.value} tokens, {precision.value} | one accelerator | {_where if sharding else ''} |",
         "|---|---|---|"] + _rows
        + [f"| **total** | **{_gb(sum(single_parts.values()))}** | {f'**{_gb(_total)}**' if sharding else ''} |"])
    _small = ("<small>Memory is the engine's: mixed-precision Adam (fp32 master weights, momentum and variance, "
              "whatever the weights' precision) and 16-bit activations (Korthikanti et al. 2022). The data-parallel "
              "fleet borrows the registry cluster's node link and fabric, which change the step time, not the memory. "
              f"Python time for this update: <span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    mo.md(f"### Verdict: **{'fits' if fits else 'does not fit'}**\n\n{explanation}{_note}\n\n{_table}\n\n{_small}")
    return (explanation,)


@app.cell(hide_code=True)
def _(final_parts, lab, locked, n_dp, precision, recompute, seq, single, workload, zero_stage):
    mo.stop(locked is None)
    _p = workload.parameters.magnitude
    _b = bytes_per_value(precision.value)
    _s, _bt = int(seq.value), single.batch_size
    _acts = ("2 s b h L (full recompute: each layer's input only)" if recompute.value == "full"
             else "s b h L (34 + 5 a s / h)")
    lab.math(
        "Training memory, as `mlsysim.physics.kernels` computes it (Rajbhandari et al. 2020, *ZeRO*, Sec. 3.1 and 5; "
        "Korthikanti et al. 2022, Eq. 1):\n\n"
        f"- weights = P × bytes = {_p:.4g} × {_b:g} B = **{single.weight_memory.to('GB').magnitude:.4g} GB**; "
        f"gradients the same, **{single.gradient_memory.to('GB').magnitude:.4g} GB**\n"
        f"- Adam state = 12 B × P = **{single.optimizer_memory.to('GB').magnitude:.4g} GB**\n"
        f"- activations = {_acts} with s = {_s}, b = {_bt}, h = {workload.hidden_dim}, a = {workload.heads}, "
        f"L = {workload.layers}: **{single.activation_memory.to('GB').magnitude:.4g} GB**\n"
        f"- ZeRO stage {zero_stage} over N = {n_dp}: stage 1 divides the Adam state by N, stage 2 also the "
        f"gradients, stage 3 also the weights: **{sum(final_parts.values()) / 1e9:.4g} GB** per accelerator in all")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("footprint", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The weights are the small part.** Mixed-precision Adam keeps an fp32 master copy, momentum and
      variance for every parameter, besides the 16-bit weights and gradients: compare the bars before a
      single activation is counted.
    - **Activations grow with batch × sequence**, and attention's term with the sequence squared. Full
      recompute keeps only each layer's input and pays with one more forward pass per step.
    - **Lower precision shrinks only weights and gradients**: the optimizer state stays fp32, so fp8
      saves less than you might expect (try it).
    - **ZeRO turns more accelerators into more memory**: plain data parallelism copies everything; stage 1
      shards the optimizer state, stage 2 the gradients too, stage 3 the weights too.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("largest_batch", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("largest_batch", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("smallest_dp", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("smallest_dp", q2)
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
