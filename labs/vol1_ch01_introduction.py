import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch01_introduction as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch01_introduction",
        "volume": 1,
        "chapter": 1,
        "title": "From AlexNet to today: training compute and the days it takes",
        "question": ("Training compute grew about a hundred-million-fold from AlexNet (2012) to Llama 3.1 (2024). "
                     "How many days would each landmark model take on yesterday's and today's accelerators?"),
        "minutes": 20,
        "example_preset": "model=gpt3&hw=v100&gpus=1024&efficiency=0.3",
    }


@app.cell(hide_code=True)
async def _():
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
    predict = lab.prediction("llama_days")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("llama_days", predict)
    lab.show_prediction("llama_days", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", chapter.MODELS, "llama3_405b", "Landmark model")
    hw = lab.dropdown("hw", chapter.ACCELERATORS, "h100", "Accelerator")
    gpus = lab.number("gpus", 1, chapter.MAX_GPUS, 16384, "Accelerators")
    efficiency = lab.slider("efficiency", 0.05, 0.8, 0.05, chapter.DEFAULT_EFFICIENCY, "Efficiency (fraction of peak)")
    return efficiency, gpus, hw, model


@app.cell(hide_code=True)
def _(efficiency, gpus, hw, lab, locked, model):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nChoose a fleet; every landmark's training time on it follows."),
               lab.show_controls(model, hw, gpus, efficiency)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(efficiency, gpus, hw, lab, model):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "gpus": gpus.value, "efficiency": efficiency.value})
    hw_name = chapter.Hardware.get(hw.value).name
    fleet_name = f"{gpus.value:,} × {hw_name} at {efficiency.value:.0%}"
    rows = chapter.rows(hw.value, gpus.value, efficiency.value, model.value)
    compute_chart, days_chart = chapter.charts(rows, fleet_name)
    mine = next(r for r in rows if r["which"] == "chosen")
    oldest, newest = rows[0], rows[-1]
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (compute_chart, controls, days_chart, fleet_name, hw_name, mine, newest, oldest, rows, update_ms)


@app.cell(hide_code=True)
def _(compute_chart, days_chart, lab, locked):
    mo.stop(locked is None)
    mo.vstack([lab.chart(compute_chart), lab.chart(days_chart)])
    return


@app.cell(hide_code=True)
def _(efficiency, fleet_name, gpus, hw, hw_name, locked, mine, model, newest, oldest, rows, update_ms):
    mo.stop(locked is None)
    _growth = chapter.growth(newest["model_key"], oldest["model_key"])
    _one = chapter.duration_text(chapter.days(model.value, hw.value, 1, efficiency.value))
    explanation = (
        f"**{mine['model']}** ({mine['year']}) used **{mine['flop']:.3g} FLOP**. On {fleet_name} of peak it trains in "
        f"**{mine['days_label']}**; on a single {hw_name} it would take **{_one}**. From {oldest['model']} "
        f"({oldest['year']}) to {newest['model']} ({newest['year']}) training compute grew **{_growth:.2g}×**: on this "
        f"fleet, {oldest['model']} takes {oldest['days_label']} and {newest['model']} {newest['days_label']}.")
    _est = ", ".join(chapter.ESTIMATES)
    _table = "\n".join(f"| {r['model']} | {r['year']} | {r['flop']:.3g} | {r['days_label']} |" for r in rows)
    mo.md("### " + f"{mine['model']} on your fleet: **{mine['days_label']}**\n\n" + explanation + "\n\n"
          + "| model | year | training compute (FLOP) | time on your fleet |\n|---|---|---|---|\n" + _table + "\n\n"
          + f"*Estimates, not measurements:* {_est} (outside estimates of the compute, good to a factor of about 2). "
          "Peaks are the datasheets' dense fp16/bf16 figures.\n\n"
          "<small>Python time for this update (inputs → chart spec, in this page): "
          f"<span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    return (explanation,)


@app.cell(hide_code=True)
def _(efficiency, gpus, hw, lab, locked, mine):
    mo.stop(locked is None)
    _peak = chapter.peak(hw.value).to("flop/s").magnitude
    lab.math(
        "Amodei & Hernandez (2018), *AI and Compute* (OpenAI), the GPU-time method read forwards, as "
        "`mlsysim.physics.kernels.training_duration` computes it:\n\n"
        "time = C ÷ (N × peak × efficiency)\n\n"
        f"- C = **{mine['flop']:.3g} FLOP** ({mine['model']}, from the registry)\n"
        f"- N × peak × efficiency = {gpus.value:,} × {_peak:.4g} FLOP/s × {efficiency.value:g} = "
        f"{chapter.fleet_flops(hw.value, gpus.value, efficiency.value):.4g} FLOP/s\n"
        f"- time = **{mine['days']:.4g} days** = {mine['days_label']}")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("llama_days", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Compute grew far faster than chips.** Training compute grew by about eight orders of magnitude in
      twelve years; a single accelerator's peak grew by about three. The rest came from using more chips.
    - **Yesterday's fleet cannot train today's models.** Swap the H100s for V100s: the same fleet takes
      about eight times longer, and a frontier model's run stretches from months into years.
    - **Efficiency is a multiplier like the chip count.** Halving the fraction of peak you reach doubles the
      time exactly as halving the fleet does: software is worth as much as hardware.
    - **AlexNet is now a coffee break.** What took two GPUs a week in 2012 takes one modern GPU minutes.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("days", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("days", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("gpu_days", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("gpu_days", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("gpus_needed", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("gpus_needed", q3)
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
