import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch12_ml_ops_at_scale as chapter
    from mlsysim.viz.data import fmt
    from mlsysim.wall_registry import SDCRates

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch12_ml_ops_at_scale",
        "volume": 2,
        "chapter": 12,
        "title": "The silent fleet: how often does a big job meet a corrupting chip?",
        "question": ("Some chips compute wrong answers and report nothing. How many silent corruptions does a "
                     "job on thousands of GPUs meet, and what does it cost to catch them?"),
        "minutes": 25,
        "example_preset": "source=meta_fleet&gpus=16384&days=60&check_min=5&interval_h=6",
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
    predict = lab.prediction("any_corruption")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("any_corruption", predict)
    lab.show_prediction("any_corruption", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _d = chapter.DEFAULTS
    source = lab.dropdown("source", chapter.SOURCES, _d["source"], "Published SDC count")
    gpus = lab.number("gpus", chapter.PER_SERVER, chapter.MAX_GPUS, _d["gpus"], "GPUs in the job", step=chapter.PER_SERVER)
    days = lab.number("days", 1, 365, _d["days"], "Job length (days)")
    check_min = lab.number("check_min", 0.5, 60, _d["check_min"], "One check (minutes)", step=0.5)
    interval_h = lab.slider("interval_h", 0.5, 72.0, 0.5, _d["interval_h"], "Check every (hours)")
    return check_min, days, gpus, interval_h, source


@app.cell(hide_code=True)
def _(check_min, days, gpus, interval_h, lab, locked, source):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the lines, your job's mark and the numbers follow."),
               lab.show_controls(source, gpus, days, check_min, interval_h)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(check_min, days, gpus, interval_h, lab, source):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"source": source.value, "gpus": gpus.value, "days": days.value,
                             "check_min": check_min.value, "interval_h": interval_h.value})
    job = chapter.exposure(source.value, gpus.value, days.value)
    checks = chapter.detection(job, check_min.value, interval_h.value)
    one_at = chapter.gpus_for_one(source.value, days.value)
    chart = chapter.chart(source.value, gpus.value, days.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, checks, controls, job, one_at, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(check_min, checks, days, gpus, interval_h, job, locked, one_at, source, update_ms):
    mo.stop(locked is None)
    _s = SDCRates.get(source.value)
    _pct = chapter.chance_text(job.at_least_one)
    if job.basis == "events":
        _what = "silent corruptions"
        explanation = (
            f"{gpus.value:,} GPUs for {chapter.days_text(days.value)} at the {chapter.SHORT[source.value]} "
            f"(**{job.rate:.3g} per GPU-day**, {_s.events:g} in {_s.devices:,.0f} GPUs × {_s.observed_days:g} days) "
            f"expect **{job.expected:.3g} {_what}**; the chance of at least one is **{_pct}**. "
            f"One expected corruption comes at about **{one_at:,.0f} GPUs** for this length: the count grows with "
            "GPUs × days, since every GPU-day is another draw.")
    else:
        _what = "defective machines"
        explanation = (
            f"{gpus.value:,} GPUs sit in {chapter.machines(gpus.value):,} machines; if **{_s.events:g} in "
            f"{_s.devices:,.0f}** machines has a silent-error defect, the job expects **{job.expected:.3g} {_what}** "
            f"and holds at least one with probability **{_pct}**, however long it runs: a defective part is "
            f"wrong from its first day. One expected defective machine comes at about **{one_at:,.0f} GPUs**.")
    _side = ("shorter than" if interval_h.value < checks.best_interval_h * 0.999 else
             "longer than" if interval_h.value > checks.best_interval_h * 1.001 else "at")
    explanation += (
        f"\n\n**Catching them.** A {check_min.value:g}-minute check every {interval_h.value:g} h costs "
        f"**{100 * checks.overhead:.3g} %** of the job; each corruption a check finds rolls the job back a whole "
        f"interval (it cannot tell when in the interval the error came), **{100 * checks.rework:.3g} %** expected: "
        f"**{100 * checks.total:.3g} %** in all. Your interval is {_side} the one that loses least, "
        f"**{checks.best_interval_h:.3g} h** ({100 * checks.best_total:.3g} %). Without checks nothing is spent, "
        f"and whatever the {job.expected:.3g} expected {_what} corrupt stays in the model, unseen.")
    if checks.per_interval > 0.5:
        explanation += ("\n\n**Outside the model's range:** more than one corruption in every two intervals; the "
                        "first-order cost (at most one per interval) understates the loss. Check more often.")
    mo.md(f"""
    ### Your job expects **{job.expected:.3g} {_what}** (at least one: {_pct})

    {explanation}

    | | |
    |---|---|
    | expected {_what} | **{job.expected:.4g}** |
    | P(at least one) | **{_pct}** |
    | checking, share of the job | {100 * checks.overhead:.3g} % |
    | rework after a find, share | {100 * checks.rework:.3g} % |
    | best interval | **{checks.best_interval_h:.3g} h** ({100 * checks.best_total:.3g} % lost) |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(check_min, checks, days, gpus, interval_h, job, lab, locked, source):
    mo.stop(locked is None)
    _s = SDCRates.get(source.value)
    if job.basis == "events":
        _count = (f"- λ = {_s.events:g} ÷ ({_s.devices:,.0f} GPUs × {_s.observed_days:g} d) = **{job.rate:.4g} per GPU-day** "
                  f"(maximum likelihood of a Poisson rate)\n"
                  f"- μ = λ N T = {job.rate:.4g} × {gpus.value:,} × {days.value} = **{job.expected:.4g}**; "
                  f"P(≥ 1) = 1 − e^(−μ) = **{100 * job.at_least_one:.4g} %**\n")
    else:
        _count = (f"- p = {_s.events:g} ÷ {_s.devices:,.0f}; machines n = {chapter.machines(gpus.value):,}\n"
                  f"- expected defective = n p = **{job.expected:.4g}**; P(≥ 1) = 1 − (1 − p)^n = "
                  f"**{100 * job.at_least_one:.4g} %** (Feller 1968)\n")
    lab.math(
        "Independent devices' corruptions add (a superposed Poisson process, Ross 2014 §5.3); periodic checks "
        "lose c/τ to checking and a whole interval per corruption found (Young 1974's square-root law, "
        "with τ instead of τ/2):\n\n"
        "μ = λ N T  ·  P(≥ 1) = 1 − e^(−μ)  ·  lost = c/τ + μ τ / D  ·  τ* = √(c D / μ)\n\n"
        + _count +
        f"- lost = {check_min.value:g} min ÷ {interval_h.value:g} h + {job.expected:.4g} × {interval_h.value:g} h ÷ "
        f"{days.value} d = **{100 * checks.total:.4g} %**; τ* = **{checks.best_interval_h:.4g} h**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("any_corruption", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(rf"""
    ### What to notice

    - **Rare per chip, routine per job.** One corruption per {fmt(chapter.gpu_days_per_event('llama3_405b'))}
      GPU-days sounds negligible; a frontier job spends that many GPU-days in a few days.
    - **A rate and a prevalence scale differently.** A rate grows with GPUs × days; a defective machine
      is wrong from its first day, so under the prevalence only the job's size matters.
    - **The two sources are different kinds of number**, and both are floors: Llama 3 counts only the
      corruptions that interrupted training, and Meta's 1 in 1,000 is a rounded figure measured
      mostly on CPUs (an estimate for GPU servers).
    - **A silent error costs a whole interval.** A crash is noticed at once and loses half an
      interval on average (chapter 7); a silent one is found only at the next check, and nothing
      since the last clean check can be trusted.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("expected", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("expected", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("at_least_one", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("at_least_one", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("best_interval", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("best_interval", q3)
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
