import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch09_performance_engineering as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch09_performance_engineering",
        "volume": 2,
        "chapter": 9,
        "title": "The optimisation trap: which upgrade buys the most?",
        "question": ("More FLOP/s, more bandwidth, better kernels or a bigger batch: for this workload, which one upgrade "
                     "makes it fastest, and why does the knob that matters most today stop mattering after the upgrade?"),
        "minutes": 25,
        "example_preset": "workload=resnet&hw=h100&batch=1&factor=2&goal=throughput",
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
    predict = lab.prediction("double_flops")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("double_flops", predict)
    lab.show_prediction("double_flops", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    workload = lab.dropdown("workload", {v[0]: k for k, v in chapter.WORKLOADS.items()}, "resnet", "Workload")
    hw = lab.dropdown("hw", {chapter.hw_name(h): h for h in chapter.ACCELERATORS}, "h100", "Accelerator")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch size")
    factor = lab.slider("factor", 1.1, 4.0, 0.1, 2.0, "Upgrade factor (each knob × or ÷ this)")
    goal = lab.dropdown("goal", chapter.GOALS, "throughput", "What you want better")
    return batch, factor, goal, hw, workload


@app.cell(hide_code=True)
def _(batch, factor, goal, hw, lab, locked, workload):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the tornado is re-ranked by the solver's elasticities."),
               lab.show_controls(workload, hw, batch, factor, goal)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, factor, goal, hw, lab, workload):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"workload": workload.value, "hw": hw.value, "batch": batch.value,
                             "factor": factor.value, "goal": goal.value})
    analysis = chapter.analyse(workload.value, hw.value, batch.value, factor.value, goal.value)
    base_run = chapter.fits(workload.value, hw.value, batch.value)
    rows = analysis["rows"]
    chart = chapter.chart(analysis, factor.value, {"text": f"Each knob × or ÷ {factor.value:g}: {goal.value}",
                                                   "subtitle": [chapter.WORKLOADS[workload.value][0], f"on the {chapter.hw_name(hw.value)}"]})
    update_ms = (time.perf_counter() - _t0) * 1e3
    return analysis, base_run, chart, controls, rows, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(analysis, base_run, batch, factor, goal, locked, rows, update_ms, workload):
    mo.stop(locked is None)
    _unit = chapter.WORKLOADS[workload.value][4]
    _base = analysis["base"]
    _best = analysis["best"]
    _top = rows[0]
    _flat = [r["label"] for r in rows[:-1] if r["elasticity"] is not None and abs(r["elasticity"]) < 0.01]
    _both = rows[-1]
    explanation = (
        f"At batch {batch.value} a step takes **{_base['latency'] * 1e3:.4g} ms** and delivers "
        f"**{_base['throughput']:,.4g} {_unit}**. The solver ranks the knobs by elasticity of {goal.value}: "
        f"**{_top['label']}** first ({_top['elasticity']:+.3g})"
        + (f"; {', '.join(_flat)} {'has' if len(_flat) == 1 else 'have'} elasticity **≈ 0**: upgrading "
           f"{'it' if len(_flat) == 1 else 'them'} buys nothing" if _flat else "") + ". "
        f"Multiplying one knob by {factor.value:g}, the best single upgrade is **{_best['label']}**: "
        f"**{_best['speedup']:.3g}×** better {goal.value}.")
    _trapped = [r for r in rows if chapter.jumps_wall(r)]
    if _trapped:
        _r = _trapped[0]
        explanation += (
            f"\n\n**The trap:** {_r['label']}'s elasticity says it governs "
            f"{100 * chapter.time_share(analysis['sensitivity'], _r['knob']):.3g} % of the step time, so Amdahl promises "
            f"**{_r['amdahl']:.3g}×**; the engine gives only **{_r['speedup']:.3g}×**. The upgrade moved the step onto "
            f"another wall, which now binds. Raising peak FLOP/s and bandwidth together gives **{_both['speedup']:.3g}×**.")
    _capped = [r["label"] for r in rows if r["capped"]]
    if _capped:
        explanation += (f"\n\n{', '.join(_capped).capitalize()} cannot go past 100 %: raised only to its bound "
                        f"(its bar shows what that buys).")
    if goal.value == "latency":
        _b = next(r for r in rows if r["knob"] == "batch_size")
        explanation += (f"\n\nA {factor.value:g}× bigger batch makes each step **{_b['speedup']:.3g}×** as fast "
                        "(below 1: slower): batching buys throughput, never latency.")
    if not base_run.feasible:
        explanation += (f"\n\n**Does not fit:** the engine says *{base_run.reason}*: these are the numbers of a step "
                        "that could not run on one device.")
    _table = chapter.table(rows)
    mo.md(f"""
    ### Best single upgrade: **{_best['label']}**, {_best['speedup']:.3g}× better {goal.value}

    {explanation}

    | knob | elasticity | × {factor.value:g}: engine | × {factor.value:g}: Amdahl from the elasticity | ÷ {factor.value:g}: engine |
    |---|---|---|---|---|
    {_table}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(analysis, factor, lab, locked, rows):
    mo.stop(locked is None)
    _r = next(r for r in rows if r["knob"] == "peak_flops")
    _f = chapter.time_share(analysis["sensitivity"], "peak_flops")
    lab.math(
        "Elasticity by central differences (`SensitivitySolver`), Amdahl (1967) and the roofline (Williams et al. 2009), "
        "as `mlsysim.physics.kernels` computes them:\n\n"
        "E = d ln y / d ln x ≈ [ln y(x(1+h)) − ln y(x(1−h))] ÷ [ln(1+h) − ln(1−h)], h = 1 %  ·  "
        "f = −E_latency  ·  S = 1 ÷ ((1 − f) + f ÷ s)\n\n"
        f"- peak FLOP/s: E_latency = **{analysis['sensitivity'].elasticities['latency']['peak_flops']:.4g}**, so "
        f"f = **{_f:.4g}** of the step time scales as 1/peak\n"
        f"- Amdahl at s = {factor.value:g}: S = 1 ÷ ({1 - _f:.4g} + {_f:.4g} ÷ {factor.value:g}) = **{_r['amdahl']:.4g}×**\n"
        f"- the engine's roofline at {factor.value:g}× peak: **{_r['speedup']:.4g}×**"
        + (" — less, because the step left the compute wall: T = max(compute, memory) + overhead, and the memory "
           "term now binds" if chapter.jumps_wall(_r) else " — the same: the step stays on its wall") + "\n\n"
        "An elasticity is a slope at today's configuration; a large upgrade is a long step along a curve with a kink.")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("double_flops", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Most knobs are worth nothing.** On a roofline, a step is bound by one wall: the knobs of the other wall
      have elasticity 0, and upgrading them buys exactly nothing, however big the upgrade.
    - **Elasticities are local.** An elasticity of 0.6 means "1 % more gives 0.6 % faster, here". A 2× upgrade
      moves the step far enough that another wall can take over: the gain stops where the next wall starts.
    - **Amdahl is the ceiling.** The part of the step time a knob does not touch (the other wall, fixed overheads)
      still takes its time: S = 1 / ((1 − f) + f / s) can never exceed 1 / (1 − f).
    - **Balanced upgrades.** Near the ridge, raising FLOP/s and bandwidth together buys what either alone promised:
      a new chip generation does both for a reason.
    - **Batch is for throughput.** A bigger batch raises throughput while a step stays memory bound, and never
      shortens a step: for latency it is a cost, not an upgrade.
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
    q2_text, q2 = lab.question("share", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("share", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("amdahl", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("amdahl", q3)
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
