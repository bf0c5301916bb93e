import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch16_conclusion as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch16_conclusion",
        "volume": 1,
        "chapter": 16,
        "title": "The architect's audit: every wall at once",
        "question": ("One deployment meets every wall of this book at once: memory, compute, bandwidth, the KV "
                     "cache, the network, failures, money and carbon. Which one binds first, and what moves it?"),
        "minutes": 30,
        "example_preset": "workload=serving&model=llama3_70b&hw=h100&precision=fp16&batch=8&context=4096&count=2",
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
    predict = lab.prediction("first_wall")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("first_wall", predict)
    lab.show_prediction("first_wall", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    workload = lab.dropdown("workload", chapter.WORKLOADS, "serving", "What it does")
    model = lab.dropdown("model", chapter.model_options(), "llama3_8b", "Model")
    hw = lab.dropdown("hw", chapter.accelerator_options(), "h100", "Accelerator")
    precision = lab.dropdown("precision", chapter.PRECISIONS, "fp16", "Precision of the weights")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 8, "Batch (sequences at once)")
    context = lab.dropdown("context", {f"{c:,} tokens": str(c) for c in chapter.CONTEXTS}, "4096", "Context")
    count = lab.dropdown("count", {f"{n}": str(n) for n in chapter.COUNTS}, "1",
                         "Accelerators (one tensor-parallel group)")
    grid = lab.dropdown("grid", chapter.grid_options(), "us_average", "Grid region")
    budget = lab.number("budget", 0, 1_000_000, 0, "Monthly budget, USD (0 = none)", step=100)
    carbon_budget = lab.number("carbon_budget", 0, 1000, 0, "Monthly carbon budget, t CO2e (0 = none)", step=0.1)
    return batch, budget, carbon_budget, context, count, grid, hw, model, precision, workload


@app.cell(hide_code=True)
def _(batch, budget, carbon_budget, context, count, grid, hw, lab, locked, model, precision, workload):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the scorecard, the table and the verdict follow. "
                     "The money, energy and failure lines cover one month of running."),
               lab.show_controls(workload, model, hw, precision, batch, context, count, grid, budget, carbon_budget)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, budget, carbon_budget, context, count, grid, hw, lab, model, precision, workload):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"workload": workload.value, "model": model.value, "hw": hw.value,
                             "precision": precision.value, "batch": batch.value, "context": context.value,
                             "count": count.value, "grid": grid.value, "budget": budget.value,
                             "carbon_budget": carbon_budget.value})
    settings = {"model": model.value, "accelerator": hw.value, "workload": workload.value, "batch": int(batch.value),
                "precision": precision.value, "context": int(context.value), "count": int(count.value),
                "grid": grid.value, "budget_usd": float(budget.value), "carbon_budget_t": float(carbon_budget.value)}
    result = chapter.solve(**settings)
    moves = chapter.what_moves_it(result, settings)
    chart = chapter.chart(result, f"{result.context.model.name} on {result.context.hardware.name}")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, moves, result, settings, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(locked, moves, result, settings, update_ms):
    mo.stop(locked is None)
    _wall = chapter.binding_title(result)
    _one = settings["count"] == 1 or settings["workload"] == "training"
    _where = "one accelerator" if _one else f"{settings['count']} accelerators"
    if result.feasible:
        verdict = (f"It runs on {_where}, and **{_wall}** sets its speed: the {chapter.step_ms(result):.4g} ms "
                   f"{'decode step' if settings['workload'] == 'serving' else 'step'} is that wall's. "
                   f"It uses {chapter.memory_gb(result):,.1f} GB of memory and costs "
                   f"{chapter.cost_usd(result):,.0f} USD and {chapter.carbon_t(result):.3g} t CO2e a month.")
    else:
        verdict = f"It does **not** run as set: the **{_wall}** wall binds first. {result.reason}."
    _lines = [f"| {m['change']} | {m['binding']}{'' if m['feasible'] else ' (does not run)'} | "
              f"{m['step_ms']:.4g} ms | {m['cost_usd']:,.0f} USD | {m['carbon_t']:.3g} t |" for m in moves]
    moves_md = ("| change | binding wall after it | step | money / month | carbon / month |\n|---|---|---|---|---|\n"
                + "\n".join(_lines)) if _lines else "*No single change within the controls' range moves this wall.*"
    mo.md(f"""
    ### The binding wall: **{_wall}**

    {verdict}

    **What moves it** (the engine's audit again, after one change each):

    {moves_md}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (verdict,)


@app.cell(hide_code=True)
def _(lab, locked, result):
    mo.stop(locked is None)
    mo.md("#### The audit, line by line\n\n" + chapter.table_md(result))
    return


@app.cell(hide_code=True)
def _(lab, locked, result, settings):
    mo.stop(locked is None)
    _speed = ", ".join(f"{w.title.lower()} {result.row(w).figure.to('ms').magnitude:.4g} ms"
                       for w in chapter.SPEED_WALLS if result.row(w) is not None and result.row(w).figure is not None)
    lab.math(
        "How `mlsysim.audit` decides (its docstring, and each wall's solver for the figures):\n\n"
        "1. **Constraints first.** Capacity (weights + KV cache + activations ≤ memory), the KV cache's room, "
        "failures, a money or carbon budget: the first one exceeded makes the deployment infeasible, and it is "
        "the binding wall whatever the speed.\n"
        "2. **Otherwise the speed walls compete for the step.** Compute (FLOPs ÷ (peak × efficiency)), memory "
        "(bytes ÷ bandwidth) and the tensor-parallel all-reduces: the step is the slower of compute and memory "
        "plus the communication, and the largest part is the binding wall.\n\n"
        f"Your configuration: {_speed or 'no step (it does not fit)'}"
        + (f" → step **{chapter.step_ms(result):.4g} ms**" if result.feasible else "")
        + f"; binding: **{chapter.binding_title(result)}**.\n\n"
        "Each bar of the scorecard is one wall's figure ÷ its limit; a constraint above 100 % binds.")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("first_wall", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **A wall that binds hides the others.** When the model does not fit, nothing else matters yet; once it
      fits, the speed walls decide, and a budget can still say no.
    - **Each fix moves the problem.** More accelerators cure capacity and memory time but add the all-reduces
      of communication; a larger batch amortises the weights but fills the KV cache; 8-bit weights halve the
      weights' bytes (watch whether the KV cache line moves with them). The table of moves shows where each
      one lands.
    - **The same deployment has a carbon price set by geography.** Change only the grid region: the speed does
      not move and the money moves only by the price of electricity, but the carbon moves far more.
    - **This is the whole book in one table.** Every line is a chapter: the roofline (11), training memory (8),
      serving (13), the network (Volume II), failures, money and carbon.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("fewest_fit", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("fewest_fit", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("decode_step", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("decode_step", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("month_carbon", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("month_carbon", q3)
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
