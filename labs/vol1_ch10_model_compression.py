import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch10_model_compression as chapter
    from mlsysim import Hardware, Models, TransformerWorkload
    from mlsysim.solvers.defaults import DEFAULT_EFFICIENCY

    chapter.prepare()  # the catalogues and first solves, before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch10_model_compression",
        "volume": 1,
        "chapter": 10,
        "title": "Compression: smaller weights, faster steps, and what the papers say it costs",
        "question": ("Int8, 4-bit, 2:4 sparsity, distillation: each makes a model smaller. When does smaller also "
                     "mean faster, on a phone, an edge box and a datacenter GPU, and how much quality do the "
                     "published measurements say it costs?"),
        "minutes": 30,
        "example_preset": "model=llama1_7b&method=gptq&bits=4&sparsity=none&hw=jetson_orin_nx_16gb&batch=1",
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
    predict = lab.prediction("big_batch")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("big_batch", predict)
    lab.show_prediction("big_batch", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "llama1_7b", "Model")
    method = lab.dropdown("method", {v: k for k, v in chapter.METHODS.items()}, "gptq", "Method")
    bits = lab.dropdown("bits", {f"{b}-bit": str(b) for b in chapter.BITS}, "4", "Bits (RTN, GPTQ)")
    sparsity = lab.dropdown("sparsity", {v: k for k, v in chapter.SPARSITY.items()}, "none", "Sparsity")
    hw = lab.dropdown("hw", {f"{Hardware.get(h).name} ({tier})": h for tier, hs in chapter.DEVICES.items() for h in hs},
                      "jetson_orin_nx_16gb", "Device")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch")
    return batch, bits, hw, method, model, sparsity


@app.cell(hide_code=True)
def _(batch, bits, hw, lab, locked, method, model, sparsity):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nPick a recipe (method, bits, sparsity) and a device. The chart puts every "
                     "recipe at its time per step and its **published** quality; yours is ringed."),
               lab.show_controls(model, method, bits, sparsity, hw, batch)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, bits, hw, lab, method, model, sparsity):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "method": method.value, "bits": bits.value,
                             "sparsity": sparsity.value, "hw": hw.value, "batch": batch.value})
    n_batch = int(batch.value)
    chosen = chapter.recipe(method.value, bits.value, sparsity.value)
    rows, mine, why_not = chapter.compare(model.value, hw.value, chosen, n_batch, int(bits.value))
    base = rows[0]  # the uncompressed fp16 recipe
    device, workload = Hardware.get(hw.value), Models.get(model.value)
    chart = chapter.frontier_chart(rows, mine, {"text": f"{workload.name}, batch {n_batch}", "subtitle": device.name})
    update_ms = (time.perf_counter() - _t0) * 1e3
    return base, chart, chosen, controls, device, mine, n_batch, rows, update_ms, why_not, workload


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(base, chosen, device, hw, locked, mine, n_batch, rows, update_ms, why_not, workload):
    mo.stop(locked is None)
    _t, _gb = chapter.duration, lambda b: f"{b / 1e9:.3g} GB"
    step = "step (one token per sequence)" if isinstance(workload, TransformerWorkload) else "forward pass"
    if mine is None:
        explanation = (f"**{chosen.label} cannot be solved for {workload.name}**: the engine expects {why_not}. "
                       "Distillation needs a published student model; pick another method.")
        speed_text = quality_text = ""
    else:
        _bound, _base_bound = chapter.step_bound(mine), chapter.step_bound(base)
        _uncompressed = chosen == chapter.Recipe("none")
        if _uncompressed:
            explanation = f"Uncompressed, {workload.name}'s fp16 weights take **{_gb(mine['compressed_size'])}**."
        else:
            explanation = (f"The recipe **{chosen.label}** stores {workload.name}'s weights in "
                           f"**{_gb(mine['compressed_size'])}** instead of {_gb(mine['original_size'])} "
                           f"({mine['compression_ratio']:.3g}× smaller).")
        if not base["feasible"]:
            explanation += (f" fp16 weights, {_gb(base['compressed_size'])}, **do not fit** in {device.name}'s "
                            f"{_gb(base['memory_capacity'])}: here compression decides whether the model runs at all.")
        if not mine["feasible"]:
            if not _uncompressed:
                explanation += f" **This recipe does not fit either**: {mine['reason']}."
            speed_text = (f"The times shown are what a step would take if it fitted: {_t(mine['compressed_time'])}"
                          + ("." if _uncompressed else f" against fp16's {_t(base['compressed_time'])}."))
        elif _uncompressed:
            speed_text = (f"The fp16 {step} takes **{_t(mine['compressed_time'])}** and is **{_bound} bound** "
                          f"(compute {_t(mine['compute_time'])}, memory {_t(mine['memory_time'])}). Pick a method "
                          "to compare.")
        else:
            _gain = mine["speedup"]
            _how = f"**{_gain:.3g}× faster**" if _gain >= 1.05 else f"**no faster** (×{_gain:.3g})"
            _would = "takes" if base["feasible"] else "would take (if it fitted)"
            speed_text = (f"The fp16 {step} {_would} **{_t(base['compressed_time'])}** and is **{_base_bound} bound**; "
                          f"{chosen.label} takes **{_t(mine['compressed_time'])}**, {_how}, and is **{_bound} bound** "
                          f"(compute {_t(mine['compute_time'])}, memory {_t(mine['memory_time'])}).")
            if _base_bound == "memory" and _bound == "memory":
                speed_text += (" Both steps wait for bytes, so the step shrinks with the bytes it reads (the weights; "
                               "activations, where a model has them, do not shrink).")
            elif _base_bound == "memory":
                speed_text += (" The compressed step turned compute bound on the way: the gain stops short of the "
                               "size ratio, and a bigger batch shrinks it further.")
            elif _gain < 1.05:
                speed_text += (" **Smaller weights bought no time**: the step is compute bound, and this recipe does "
                               "the same arithmetic at the same rate (a weight-only format still multiplies in fp16). "
                               "Only a faster rate helps here: int8 multiplies (LLM.int8()) or 2:4 sparse tensor cores.")
            else:
                speed_text += (" The fp16 step was compute bound: the gain comes from a faster arithmetic rate (int8 or "
                               "2:4 sparse tensor cores), not from the smaller weights.")
        _row = chapter.published_row(mine["published"])
        if _uncompressed:
            quality_text = "Uncompressed: the reference every published quality figure is measured against."
        elif _row is None:
            quality_text = (f"**No published quality figure** for {chosen.label} on {workload.name} in the registry, "
                            "so the lab gives none (the dashed line: it is somewhere on it). The engine's note: "
                            f"{mine['assumptions'][-1]}.")
        elif _row.metric == "quality_retained":
            quality_text = (f"Quality: LLM.int8()'s figure is the **paper's claim**, \"no performance degradation\" for "
                            "LLMs up to 175B parameters (Dettmers et al. 2022, abstract), recorded as 100 % kept. It is "
                            f"not a measurement of {workload.name}.")
        else:
            _src = _row.provenance("compressed_value")
            quality_text = (f"Quality, **published**: {_row.name}, {chapter.METRICS.get(_row.metric, _row.metric)} "
                            f"**{_row.baseline_value:g} → {_row.compressed_value:g}** ([{chapter.cite(_src)}]({_src.url}), "
                            f"{_src.kind}): **{chapter.kept(mine):.3g} % kept** (the chart's height: baseline ÷ "
                            "compressed for a perplexity, compressed ÷ baseline for a score).")
            if _row.speedup:
                quality_text += (f" The paper measured a {_row.speedup:g}× speed-up; the engine's roofline gives "
                                 f"{mine['speedup']:.3g}× on this device.")
    _est = chapter.estimates(hw.value, chosen)
    est_text = (f"Registry values of {device.name} that are estimates, not datasheet figures: {', '.join(_est)}."
                if _est else f"{device.name}'s figures used here are datasheet values.")
    _missing = [r["label"] for r in rows if chapter.kept(r) is None]
    mo.md(f"### What compression bought\n\n{explanation}\n\n{speed_text}\n\n{quality_text}\n\n"
          + (f"Not on the chart (no published quality figure): {', '.join(_missing)}.\n\n" if _missing else "")
          + f"<small>{est_text} Compute efficiency {DEFAULT_EFFICIENCY:.0%} (the engine's default). Python time for "
          f"this update: <span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    return est_text, explanation, quality_text, speed_text


@app.cell(hide_code=True)
def _(device, lab, locked, mine):
    mo.stop(locked is None or mine is None)
    _t = chapter.duration
    lab.math(
        "The Fidelity wall, as `mlsysim.solvers.compression` computes it:\n\n"
        "- size = parameters × bits ÷ 8; with 2:4 sparsity, parameters ÷ 2 × (bits + 2) ÷ 8 (two bits of "
        "position per kept weight, NVIDIA A100 whitepaper)\n"
        f"- here: **{mine['compressed_size'] / 1e9:.4g} GB** of weights\n"
        "- time per step = max(ops ÷ (peak × efficiency), bytes ÷ bandwidth) (the roofline, Williams et al. 2009)\n"
        f"- memory time = bytes ÷ {device.memory.bandwidth.to('GB/s').magnitude:.4g} GB/s = "
        f"**{_t(mine['memory_time'])}**; compute time = **{_t(mine['compute_time'])}** (weight-only formats "
        "multiply at the fp16 peak, LLM.int8() at the int8 peak, 2:4 at the sparse peak where the chip lists one)\n"
        f"- step = max of the two = **{_t(mine['compressed_time'])}**; speed-up = fp16 step ÷ this step\n"
        "- quality: a published before/after row of `registry/walls/compression.toml`, or nothing")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("big_batch", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Smaller is faster only while the step waits for bytes.** At batch 1 a decode step reads every weight
      to make one token: 4-bit weights make it about 4× faster on every device. As the batch grows, the
      arithmetic catches up; once the step is compute bound, weight-only 4-bit buys nothing.
    - **The same recipe, different devices.** The batch at which a step turns compute bound is set by the
      device's arithmetic per byte of bandwidth, not by its size: compare the Jetson with the H100. Where fp16
      does not fit at all (LLaMA-7B on a phone), compression decides whether the model runs, not how fast.
    - **Quality is not a formula.** Every point's height is a number someone measured for one model on one
      benchmark (GPTQ and RTN on LLaMA-7B, DistilBERT on GLUE); LLM.int8()'s is a claim. Llama-2-7B has the
      same shape as LLaMA-7B, yet no figure: it was not measured.
    - **At 3 bits the methods part ways**: round-to-nearest loses most of the model, GPTQ keeps most of it,
      at the same size and speed.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("speedup", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("speedup", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("crossover", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("crossover", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("size", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("size", q3)
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
