import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch01_introduction as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch01_introduction",
        "volume": 2,
        "chapter": 1,
        "title": "From one server to sixteen thousand GPUs: what grows faster than the speed-up?",
        "question": ("Put a training run on 1,000 times more GPUs and it should finish 1,000 times sooner. "
                     "What grows as fast, or faster: the communication, the failures, the cost?"),
        "minutes": 25,
        "example_preset": "gpus=4096&model=llama3_70b&mtbf_years=3",
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
    predict = lab.prediction("fastest_growth")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("fastest_growth", predict)
    lab.show_prediction("fastest_growth", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    gpus = lab.number("gpus", chapter.PER_SERVER, chapter.MAX_GPUS, 1024, "GPUs (8 per server)", step=chapter.PER_SERVER)
    model = lab.dropdown("model", chapter.MODELS, "llama3_8b", "Model")
    mtbf_years = lab.slider("mtbf_years", 1.0, 20.0, 0.1, chapter.DEFAULT_MTBF_YEARS, "Per-GPU MTBF (years)")
    return gpus, model, mtbf_years


@app.cell(hide_code=True)
def _(gpus, lab, locked, model, mtbf_years):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nGrow the fleet; both charts and the numbers follow. Each run trains the model "
                     f"on its published {chapter.tokens_label(model.value)} tokens, one sequence per replica per step "
                     "(the batch grows with the fleet), on H100 servers of the registry's 8,192-GPU cluster."),
               lab.show_controls(gpus, model, mtbf_years)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(gpus, lab, model, mtbf_years):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"gpus": gpus.value, "model": model.value, "mtbf_years": mtbf_years.value})
    n = chapter.gpus_used(gpus.value)
    result = chapter.run(model.value, n, mtbf_years.value)
    base_n = chapter.smallest_fit(model.value, mtbf_years.value)
    grew = chapter.growth(model.value, base_n, n, mtbf_years.value) if result.feasible and base_n else None
    eff_chart, time_chart = chapter.charts(model.value, n, mtbf_years.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return base_n, controls, eff_chart, grew, n, result, time_chart, update_ms


@app.cell(hide_code=True)
def _(eff_chart, lab, locked, time_chart):
    mo.stop(locked is None)
    mo.vstack([lab.chart(eff_chart), lab.chart(time_chart)])
    return


@app.cell(hide_code=True)
def _(base_n, gpus, grew, locked, model, n, result, update_ms):
    mo.stop(locked is None)
    _name = model.selected_key
    _rounded = (f" ({gpus.value:,} asked for: whole servers of {chapter.PER_SERVER} give {n:,})"
                if n != gpus.value else "")
    if not result.feasible:
        explanation = (f"**{_name} does not fit on {n:,} GPUs**{_rounded} with this layout: {result.reason}. "
                       f"The smallest fleet of the charts it fits on is {base_n:,} GPUs." if base_n else
                       f"**{_name} does not fit on {n:,} GPUs** with this layout: {result.reason}.")
        _head = "does not fit"
    else:
        d, rel = result.distributed, result.reliability
        _eff, _good = 100 * d.scaling_efficiency, 100 * result.goodput
        _comm = ("the gradients' all-reduce" if d.tp_size == 1 else
                 "the tensor-parallel all-reduces inside the server and the gradients' all-reduce across servers")
        _limit = {"compute": "compute still sets the pace", "network": "communication now takes more than the compute",
                  "pipeline": "the pipeline bubble takes more than the compute"}[d.limiter]
        explanation = (
            f"On **{n:,} GPUs**{_rounded}, {_name} spends **{_eff:.1f} %** of each step computing ({_limit}); "
            f"the rest waits for communication ({_comm}). The fleet fails every **{rel.fleet_mtbf.to('hour').magnitude:,.4g} h**, "
            f"so **{rel.expected_failures:,.1f} failures** are expected during the run, and checkpoints plus rework "
            f"leave a goodput of **{_good:.1f} %**. The run takes **{result.duration.to('day').magnitude:,.4g} days** "
            f"and costs **{result.cost.to('USD').magnitude:,.0f} USD** to own (TCO of those days).")
        if grew is not None and n > base_n:
            explanation += (
                f"\n\nFrom {base_n:,} GPUs (the smallest fleet it fits on) to {n:,}: the run finishes "
                f"**{grew['run']:,.3g}× sooner**, failures come **{grew['failures']:,.3g}× more often**, and the run "
                f"costs **{grew['cost']:.3g}×** as much. "
                + ("The failure rate grows faster than the speed-up." if grew["failures"] > grew["run"] else
                   "The speed-up keeps up with the failure rate."))
        _head = f"{_eff:.1f} % computing, {_good:.1f} % goodput"
    _rows = "" if not result.feasible else f"""
    | | |
    |---|---|
    | step time | **{result.distributed.step_time.to('ms').magnitude:,.4g} ms** (compute {result.distributed.compute_time.to('ms').magnitude:,.4g} ms) |
    | scaling efficiency (compute ÷ step) | **{100 * result.distributed.scaling_efficiency:.2f} %** |
    | fleet MTBF | **{result.reliability.fleet_mtbf.to('hour').magnitude:,.4g} h** |
    | failures expected in the run | **{result.reliability.expected_failures:,.2f}** |
    | goodput (Young-Daly checkpoints) | **{100 * result.goodput:.2f} %** |
    | run length, wall clock | **{result.duration.to('day').magnitude:,.4g} days** (ideal {result.ideal_duration.to('day').magnitude:,.4g}) |
    | cost of the run (owned, TCO at the engine's default electricity price and PUE) | **{result.cost.to('USD').magnitude:,.0f} USD** |
    """
    mo.md(f"""
    ### At {n:,} GPUs: **{_head}**

    {explanation}
    {_rows}
    <small>Python time for this update (inputs → chart specs, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(lab, locked, mtbf_years, n, result):
    mo.stop(locked is None or not result.feasible)
    _d, _r = result.distributed, result.reliability
    _m, _delta = _r.fleet_mtbf.to("s").magnitude, _r.checkpoint_time.to("s").magnitude
    _tau = _r.checkpoint_interval.to("s").magnitude
    lab.math(
        "A data-parallel step (Narayanan et al. 2021), fleet failures (failure rates add) and Young (1974) / "
        "Daly (2006) checkpointing, as `mlsysim` computes them:\n\n"
        "efficiency = compute ÷ (compute + exposed communication)  ·  M = MTBF per GPU ÷ N  ·  "
        "goodput = 1 − δ/τ* − (τ*/2 + R)/M, τ* = √(2 δ M)  ·  wall clock = steps × step ÷ goodput\n\n"
        f"- efficiency = {_d.compute_time.to('ms').magnitude:,.4g} ms ÷ {_d.step_time.to('ms').magnitude:,.4g} ms = "
        f"**{100 * _d.scaling_efficiency:.3g} %**\n"
        f"- M = {mtbf_years.value:g} years ÷ {n:,} = **{_r.fleet_mtbf.to('hour').magnitude:,.4g} h**; "
        f"failures = {result.ideal_duration.to('hour').magnitude:,.4g} h ÷ {_r.fleet_mtbf.to('hour').magnitude:,.4g} h = "
        f"**{_r.expected_failures:,.3g}**\n"
        f"- δ = {_delta:.3g} s (the checkpoint of weights and Adam state at the default 2 TB/s), τ* = "
        f"√(2 × {_delta:.3g} × {_m:,.0f}) = {_tau:,.0f} s; goodput = 1 − {_delta:.3g}/{_tau:,.0f} − "
        f"({_tau / 2:,.0f} + {_r.restart_time.to('s').magnitude:.0f})/{_m:,.0f} = **{100 * result.goodput:.3g} %**\n"
        f"- wall clock = {result.steps:,} × {result.step_time.to('s').magnitude:.4g} s ÷ {result.goodput:.4f} = "
        f"**{result.duration.to('day').magnitude:,.4g} days**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("fastest_growth", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Communication takes its toll once.** The efficiency drops when the all-reduce first leaves the
      server (NVLink to InfiniBand), then hardly moves: a ring all-reduce sends about twice the gradients
      whatever the number of GPUs. Only its latency term, one α per server, keeps growing.
    - **Failures grow with N, exactly.** Failure rates add, so the fleet MTBF falls as 1/N, faster than the
      run's length, which falls as N × efficiency. The failures *per run* barely change; what grows is
      the share of time lost to checkpoints and rework, because they come every few hours instead of every
      few months.
    - **Cost is the price of the lost share.** The same GPU-hours of useful work are bought at every size;
      the bill grows only by what communication and failures waste.
    - **A bigger model has more to communicate per step** and a bigger checkpoint to write: compare the two models.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("scaling_efficiency", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("scaling_efficiency", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("failures", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("failures", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("run_days", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("run_days", q3)
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
