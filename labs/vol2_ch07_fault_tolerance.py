import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch07_fault_tolerance as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch07_fault_tolerance",
        "volume": 2,
        "chapter": 7,
        "title": "When failure is routine: fleet MTBF, the Young-Daly interval and goodput",
        "question": ("A GPU fails once in years; a job on sixteen thousand of them fails every few hours. "
                     "How often should it checkpoint, and how much of the fleet's time is left for work?"),
        "minutes": 25,
        "example_preset": "gpus=4096&mtbf_years=3&checkpoint_s=120&interval_min=30",
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
    predict = lab.prediction("fleet_failures")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("fleet_failures", predict)
    lab.show_prediction("fleet_failures", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    gpus = lab.number("gpus", 1, chapter.MAX_GPUS, 16384, "Fleet size (GPUs)")
    mtbf_years = lab.slider("mtbf_years", 0.5, 20.0, 0.1, 5.8, "Per-GPU MTBF (years)")
    checkpoint_s = lab.number("checkpoint_s", 1, 3600, 60, "Checkpoint write time (s)")
    interval_min = lab.slider("interval_min", 1, chapter.MAX_INTERVAL_MIN, 1, 60, "Checkpoint interval (minutes)")
    return checkpoint_s, gpus, interval_min, mtbf_years


@app.cell(hide_code=True)
def _(checkpoint_s, gpus, interval_min, lab, locked, mtbf_years):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the curve, the two marks and the numbers follow."),
               lab.show_controls(gpus, mtbf_years, checkpoint_s, interval_min)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(checkpoint_s, gpus, interval_min, lab, mtbf_years):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"gpus": gpus.value, "mtbf_years": mtbf_years.value,
                             "checkpoint_s": checkpoint_s.value, "interval_min": interval_min.value})
    result = chapter.solve(gpus.value, mtbf_years.value, checkpoint_s.value)
    interval_s = interval_min.value * chapter.MINUTE
    best_min = result.checkpoint_interval.to("minute").magnitude
    mtbf_h = result.fleet_mtbf.to("hour").magnitude
    goodput_best = 100.0 * result.goodput
    goodput_mine = 100.0 * chapter.goodput_at(result, interval_s)
    chart = chapter.chart(result, interval_s, f"Goodput of {gpus.value:,} GPUs against the checkpoint interval")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return best_min, chart, controls, goodput_best, goodput_mine, interval_s, mtbf_h, result, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(best_min, checkpoint_s, goodput_best, goodput_mine, gpus, interval_min, interval_s, locked, mtbf_h,
      result, update_ms):
    mo.stop(locked is None)
    _gap = goodput_best - goodput_mine
    if interval_min.value < best_min:
        _side = (f"shorter than the optimum, **{best_min:.3g} min**: the job stops to write checkpoints more "
                 "often than the failures justify, and that writing costs more than the rework it saves")
    elif interval_min.value > best_min:
        _side = (f"longer than the optimum, **{best_min:.3g} min**: each failure throws away, on average, half an "
                 "interval of work, and that rework costs more than the checkpoints it saves")
    else:
        _side = f"the optimum, **{best_min:.3g} min**"
    explanation = (
        f"{gpus.value:,} GPUs fail, together, every **{mtbf_h:.3g} hours**: about "
        f"**{result.expected_failures:,.0f} failures** in a 30-day run. Writing a checkpoint takes "
        f"{checkpoint_s.value:g} s, so the interval that loses least is the Young-Daly one, "
        f"**{best_min:.3g} min**, for a goodput of **{goodput_best:.1f} %**. Your interval, "
        f"{interval_min.value} min, is {_side}: goodput **{goodput_mine:.1f} %**, "
        f"{_gap:.1f} points below the best.")
    _mtbf_s = result.fleet_mtbf.to("s").magnitude
    if max(interval_s, result.checkpoint_interval.to("s").magnitude) >= _mtbf_s:
        explanation += ("\n\n**Outside the model's range:** an interval this close to the fleet MTBF breaks the "
                        "first-order model (it assumes at most one failure per interval); the true loss is larger.")
    if goodput_best <= 0:
        explanation = (
            f"{gpus.value:,} GPUs fail, together, every **{mtbf_h:.3g} hours**, about as long as (or less than) "
            f"it takes to write a checkpoint ({checkpoint_s.value:g} s) and restart: **no useful work at all**, "
            f"at any interval (the Young-Daly one would be **{best_min:.3g} min**). Fewer GPUs per job, more "
            "reliable parts or faster checkpoints are the only way out.")
    elif goodput_mine <= 0:
        explanation += "\n\n**No useful work at all** at your interval: the job fails before it finishes one."
    mo.md(f"""
    ### Goodput at your interval: **{goodput_mine:.1f} %** (best {goodput_best:.1f} % at {best_min:.3g} min)

    {explanation}

    | | |
    |---|---|
    | fleet MTBF | **{mtbf_h:.4g} h** |
    | expected failures in 30 days | **{result.expected_failures:,.1f}** |
    | Young-Daly interval | **{best_min:.4g} min** |
    | goodput at the optimum | **{goodput_best:.2f} %** |
    | goodput at your interval | **{goodput_mine:.2f} %** |
    | GPU-hours lost in 30 days at the optimum | {result.wasted_accelerator_hours.to("hour").magnitude:,.0f} |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(checkpoint_s, gpus, goodput_mine, interval_s, lab, locked, mtbf_years, result):
    mo.stop(locked is None)
    _m = result.fleet_mtbf.to("s").magnitude
    _r = result.restart_time.to("s").magnitude
    lab.math(
        "Young (1974), *Commun. ACM* 17(9), and Daly (2006), *Future Gener. Comput. Syst.* 22(3), to first order, "
        "as `mlsysim.physics.kernels` computes them:\n\n"
        "M = MTBF per GPU ÷ N  ·  τ* = √(2 δ M)  ·  goodput(τ) = 1 − δ/τ − (τ/2 + R)/M\n\n"
        f"- M = {mtbf_years.value:g} years ÷ {gpus.value:,} = **{result.fleet_mtbf.to('hour').magnitude:.4g} h** "
        f"= {_m:,.0f} s\n"
        f"- τ* = √(2 × {checkpoint_s.value:g} s × {_m:,.0f} s) = **{result.checkpoint_interval.to('minute').magnitude:.4g} min**\n"
        f"- at your τ = {interval_s:,.0f} s: goodput = 1 − {checkpoint_s.value:g}/{interval_s:,.0f} − "
        f"({interval_s / 2:,.0f} + {_r:.0f})/{_m:,.0f} = **{goodput_mine:.2f} %** (R = restart time, the engine's default)")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("fleet_failures", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Failure rates add.** Double the GPUs and the job fails twice as often: the fleet MTBF is the
      per-GPU MTBF divided by N, so a very reliable part still makes an unreliable fleet.
    - **The curve is flat near the top.** Goodput falls off slowly either side of the optimum: an
      interval within a factor of two of τ* loses little. Far from it, the loss is large.
    - **The optimum grows only as a square root.** Halving the checkpoint write time (faster storage) or
      doubling the MTBF moves the optimum by √2, not 2; the waste at the optimum shrinks the same way.
    - **The restart is a fixed toll.** Every failure also costs the restart time R, whatever the
      interval: no checkpoint policy removes it; only fewer failures or faster recovery does.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("fleet_mtbf", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("fleet_mtbf", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("young_daly", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("young_daly", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("goodput_opt", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("goodput_opt", q3)
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
