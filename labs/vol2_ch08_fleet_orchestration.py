import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch08_fleet_orchestration as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch08_fleet_orchestration",
        "volume": 2,
        "chapter": 8,
        "title": "The scheduling trap: waits, fragmentation and gang scheduling on a busy cluster",
        "question": ("Your cluster is 90 % busy, which sounds efficient. Why do its big training jobs wait hours to start, "
                     "and why can some job sizes never reach 90 % at all?"),
        "minutes": 25,
        "example_preset": "nodes=32&job=48&load=85&duration_h=4",
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
    predict = lab.prediction("busy_wait")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("busy_wait", predict)
    lab.show_prediction("busy_wait", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    nodes = lab.number("nodes", 1, chapter.MAX_NODES, 32, "Cluster size (nodes of 8 GPUs)")
    job = lab.dropdown("job", chapter.JOBS, "64", "Job size (GPUs each job needs at once)")
    load = lab.slider("load", 10, 99, 1, 90, "Cluster load (% of GPUs busy)")
    duration_h = lab.slider("duration_h", 1, 24, 1, 4, "Mean job length (hours)")
    return duration_h, job, load, nodes


@app.cell(hide_code=True)
def _(duration_h, job, lab, load, locked, nodes):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the curves, the wall and your point follow."),
               lab.show_controls(nodes, job, load, duration_h)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(duration_h, job, lab, load, nodes):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"nodes": nodes.value, "job": job.value, "load": load.value,
                             "duration_h": duration_h.value})
    share = load.value / 100  # the slider shows percent; the engine takes a fraction
    result = chapter.solve(nodes.value, job.value, share, duration_h.value)
    reference = chapter.solve(nodes.value, chapter.REFERENCE, share, duration_h.value)
    chart = (chapter.chart(result, reference if job.value != chapter.REFERENCE else None, job.value, share,
                           f"Waiting for {chapter.series_label(job.value)} on {nodes.value} × 8 GPUs")
             if result.feasible or result.slots else None)
    limit_pct = 100 * chapter.usable_share(result)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, limit_pct, reference, result, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None or chart is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(duration_h, job, limit_pct, load, locked, nodes, reference, result, update_ms):
    mo.stop(locked is None)
    _t = chapter.duration_text
    _what = chapter.series_label(job.value)
    _frag = (f"; **{100 * result.fragmentation:.3g} %** of the GPUs can never hold a job of this size "
             "(fragmentation)" if result.fragmentation > 0 else ", none left over")
    if not result.slots:
        explanation = (f"A job of {chapter.job_label(job.value)} does not fit in {nodes.value} × 8 GPUs at all: "
                       f"the engine says *{result.reason}*. Grow the cluster or shrink the job.")
    elif not result.stable:
        explanation = (
            f"**{result.placement}**: the scheduler can run **{result.slots} jobs at once**, on "
            f"{chapter.usable_gpus(result):g} of the {result.total_gpus} GPUs{_frag}. Keeping "
            f"**{load.value} %** of the GPUs busy would need **{100 * result.utilization:.3g} %** of those slots: more "
            f"than all of them, so **the queue grows without bound** and jobs wait forever. With {_what} this cluster "
            f"can sustain at most **{limit_pct:.3g} %** GPU utilisation.")
    else:
        explanation = (
            f"**{result.placement}**: the scheduler can run **{result.slots} jobs at once**, on "
            f"{chapter.usable_gpus(result):g} of the {result.total_gpus} GPUs{_frag}. Keeping "
            f"**{load.value} %** of the GPUs busy keeps **{100 * result.utilization:.3g} %** of those slots busy, so "
            f"**{chapter.share_text(result.wait_probability)} of jobs wait**, on average **{_t(result.mean_wait)}** "
            + (f"(1 job in 20 waits longer than {_t(result.p95_wait)})" if result.p95_wait.magnitude > 0
               else "(fewer than 1 job in 20 waits at all)")
            + f": a {duration_h.value}-hour job takes "
            f"{_t(result.mean_turnaround)} from submission to finish.")
        if job.value != chapter.REFERENCE and reference.stable:
            explanation += (f" At the same load, single-GPU jobs ({reference.slots} slots) wait "
                            f"**{_t(reference.mean_wait)}**" + (
                                f": many small slots pool their capacity; {result.slots} big gangs cannot."
                                if result.slots < reference.slots else "."))
    _rows = "" if not result.slots else f"""
    | | |
    |---|---|
    | placement | {result.placement} |
    | job slots (jobs at once) | **{result.slots}** |
    | fragmentation | **{100 * result.fragmentation:.3g} %** |
    | highest sustainable GPU utilisation | **{limit_pct:.4g} %** |
    | slot utilisation at your load | **{100 * result.utilization:.4g} %** |
    | share of jobs that wait | {"all (unstable)" if not result.stable else chapter.share_text(result.wait_probability)} |
    | mean wait | **{_t(result.mean_wait) if result.stable else "unbounded"}** |
    | 95th / 99th percentile wait | {f"{_t(result.p95_wait)} / {_t(result.p99_wait)}" if result.stable else "unbounded"} |
    | mean wait, 1-GPU jobs, same load | {_t(reference.mean_wait) if reference.stable else "unbounded"} |
    """
    mo.md(f"""
    ### {f"Mean wait: **{_t(result.mean_wait)}**" if result.stable else "The queue never empties"}

    {explanation}
    {_rows}
    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(duration_h, lab, load, locked, result):
    mo.stop(locked is None or not result.slots)
    _lam = result.arrival_rate.to("1/hour").magnitude
    _wait = (f"E[W] = C ÷ (c/D − λ) = {result.wait_probability:.4g} ÷ ({result.slots}/{duration_h.value} h − "
             f"{_lam:.4g}/h) = **{result.mean_wait.to('hour').magnitude:.4g} h**" if result.stable
             else f"ρ = {result.utilization:.4g} ≥ 1: no steady state, E[W] is unbounded")
    lab.math(
        "Gang placement (Jeon et al. 2019, USENIX ATC), Little's law (Little 1961) and the M/M/c queue "
        "(Erlang C; Harchol-Balter 2013, ch. 14), as `mlsysim.physics.kernels` computes them:\n\n"
        "c = slots (k ≤ 8: N·⌊8/k⌋; k > 8: ⌊N/⌈k/8⌉⌋; MIG: GPUs·⌊7/s⌋)  ·  λ = ρ_GPU·G/(k·D)  ·  "
        "ρ = λD/c  ·  E[W] = C(c, λD) ÷ (c/D − λ)\n\n"
        f"- {result.placement}: c = **{result.slots}** slots of {result.gpus_per_job:.4g} GPUs on G = {result.total_gpus} GPUs\n"
        f"- λ = {load.value / 100:g} × {result.total_gpus} ÷ ({result.gpus_per_job:.4g} × {duration_h.value} h) = "
        f"**{_lam:.4g} jobs/h**\n"
        f"- ρ = λD/c = **{result.utilization:.4g}** (slots busy), against {load.value / 100:g} of the GPUs\n"
        f"- C(c, λD) = P(wait) = **{result.wait_probability:.4g}**; {_wait}\n\n"
        "One job size, Poisson arrivals, exponential run times, first come first served: real clusters mix "
        "sizes and block big gangs behind small jobs, so these waits are a lower bound.")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("busy_wait", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The hockey stick.** Waiting time is small until the slots are nearly full, then grows without bound:
      an M/M/c queue's wait goes as 1/(1 − ρ). "90 % busy" is close to the wall for a few big slots.
    - **Gangs are few big servers.** At the same GPU utilisation, 64-GPU jobs on 256 GPUs (4 slots) wait
      hours while single-GPU jobs (256 slots) wait seconds: many small servers pool their capacity.
    - **Fragmentation moves the wall left.** 12-GPU jobs take two whole 8-GPU nodes, so a quarter of the
      cluster can never be used: "90 % busy" is a load those jobs cannot reach at any queue length.
    - **MIG trades the same way.** Slicing GPUs gives small jobs many slots (short waits), but a slice size
      that does not divide 7 wastes slices: 4g slices leave 3/7 of every GPU idle.
    - **Time scales out.** Double every job's length and, at the same utilisation, every wait doubles: the
      curve's shape depends only on the number of slots and the load.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("usable", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("usable", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("mean_wait", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("mean_wait", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("slot_load", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("slot_load", q3)
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
