import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch03_ml_workflow as chapter
    from mlsysim import Models
    from mlsysim.viz.data import fmt

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch03_ml_workflow",
        "volume": 1,
        "chapter": 3,
        "title": "The experiment budget: how many training runs does a week buy?",
        "question": ("A project has a deadline, a budget and a carbon allowance, and every experiment is a "
                     "training run that spends all three. How many runs do you get, and which limit ends "
                     "the project first?"),
        "minutes": 25,
        "example_preset": "model=gpt2&tokens_b=20&gpus=256&days=5&budget_usd=40000&rate=3&carbon_t=1.5",
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
    predict = lab.prediction("binding")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("binding", predict)
    lab.show_prediction("binding", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _d = chapter.DEFAULTS
    model = lab.dropdown("model", chapter.MODELS, _d["model"], "Model")
    tokens_b = lab.number("tokens_b", 1, 15000, _d["tokens_b"], "Tokens per experiment (billions)")
    gpus = lab.number("gpus", chapter.PER_SERVER, chapter.MAX_GPUS, _d["gpus"], "H100 GPUs", step=chapter.PER_SERVER)
    days = lab.number("days", 1, 90, _d["days"], "Project length (days)")
    budget_usd = lab.number("budget_usd", 500, 10_000_000, _d["budget_usd"], "Budget (USD)", step=500)
    rate = lab.slider("rate", 0.5, 10.0, 0.1, _d["rate"], "Rental (USD per GPU-hour)")
    carbon_t = lab.number("carbon_t", 0.1, 1000, _d["carbon_t"], "Carbon cap (t CO2e)", step=0.1)
    return budget_usd, carbon_t, days, gpus, model, rate, tokens_b


@app.cell(hide_code=True)
def _(budget_usd, carbon_t, days, gpus, lab, locked, model, rate, tokens_b):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nOne experiment = one training run on the whole cluster, one after another. "
                     "Move the controls; the three limits, the mark and the numbers follow."),
               lab.show_controls(model, tokens_b, gpus, days, budget_usd, rate, carbon_t)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(budget_usd, carbon_t, days, gpus, lab, model, rate, tokens_b):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "tokens_b": tokens_b.value, "gpus": gpus.value, "days": days.value,
                             "budget_usd": budget_usd.value, "rate": rate.value, "carbon_t": carbon_t.value})
    n_gpus = chapter.gpus_used(gpus.value)
    plan = chapter.project(model.value, tokens_b.value, n_gpus, days.value, budget_usd.value, rate.value,
                           carbon_t.value)
    rents = chapter.rentable(budget_usd.value, rate.value, days.value)
    chart = chapter.chart(model.value, tokens_b.value, n_gpus, days.value, budget_usd.value, rate.value,
                          carbon_t.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, n_gpus, plan, rents, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(days, locked, model, n_gpus, plan, rents, tokens_b, update_ms):
    mo.stop(locked is None)
    _name = Models.get(model.value).name
    if not plan.feasible:
        explanation = (f"**{_name} does not fit on {n_gpus:,} GPUs** with this layout: {plan.run.reason}. "
                       "No experiment runs, so no limit is spent: add GPUs (whole servers) or pick a smaller model.")
        _table = ""
    else:
        _r, _a = plan.run, plan.allowed
        _h = _r.duration.to("hour").magnitude
        _usd = plan.cost_usd
        _kg = _r.carbon.to("kg").magnitude
        _order = sorted(chapter.LIMITS, key=lambda k: _a[k])
        _next = _order[1]
        explanation = (
            f"One experiment, {_name} on {tokens_b.value:g} billion tokens on {n_gpus:,} GPUs, takes **{_h:.3g} h** "
            f"of wall clock, costs **{_usd:,.0f} USD** to rent and emits **{_kg:,.3g} kg CO2e**. The deadline allows "
            f"{fmt(_a['time'])} runs, the budget {fmt(_a['money'])}, the carbon cap {fmt(_a['carbon'])}: "
            f"**{chapter.NAMES[plan.binding]} ends the project first, after {plan.runs} complete runs** "
            f"({chapter.NAMES[_next]} would allow {plan.whole[_next]}).")
        if plan.binding == "time" and _next == "money":
            explanation += (
                f"\n\nMore GPUs finish each run sooner, so they buy more runs, but only up to the GPUs the budget "
                f"can rent for the whole {days.value} days: **{fmt(rents)}**. You have {n_gpus:,}; past that, the "
                "budget binds instead. Fewer tokens per experiment or a smaller model also buy more runs.")
        elif plan.binding == "time":
            explanation += (
                "\n\nMore GPUs finish each run sooner, so they buy more runs, until the carbon cap binds: it "
                f"allows about {fmt(_a['carbon'])} runs whatever the GPU count. Fewer tokens per experiment or a "
                "smaller model buy more runs under every limit.")
        elif plan.binding == "money":
            explanation += (
                f"\n\nMore GPUs would not help: a run on more GPUs finishes sooner but costs about as much (a little "
                f"more, since communication wastes part of every GPU-hour). The budget rents only **{fmt(rents)} GPUs** "
                f"for the whole {days.value} days and you have {n_gpus:,}, so the money runs out before the days do. "
                "Cheaper experiments (fewer tokens, a smaller model, a lower rate) or more money would help.")
        else:
            explanation += (
                "\n\nMore GPUs would not help: a run's energy barely changes with the GPU count, only how fast it "
                "is spent. Fewer tokens per experiment, a smaller model or a cleaner grid would.")
        _share = chapter.full_run_share(model.value, tokens_b.value)
        if _share is not None:
            explanation += (f"\n\nEach experiment is **{_share['percent']:.3g} %** of the {_share['full']} tokens "
                            f"{_name} was trained on: a full run is a different budget.")
        _rows = "\n".join(
            f"| {'**' + chapter.NAMES[k] + '**' if k == plan.binding else chapter.NAMES[k]} | {_a[k]:,.4g} | "
            f"{plan.whole[k]:,} |" for k in chapter.LIMITS)
        _table = f"""
    | one experiment | |
    |---|---|
    | wall-clock time | **{_h:.4g} h** (goodput {_r.goodput:.3f}) |
    | rental | **{_usd:,.0f} USD** |
    | carbon | **{_kg:,.4g} kg CO2e** |

    | limit | runs it allows | complete runs |
    |---|---|---|
    {_rows}
    """
    _title = (f"{chapter.NAMES[plan.binding]} binds: {plan.runs} complete runs" if plan.feasible
              else "it does not fit")
    mo.md(f"""
    ### What ends the project: **{_title}**

    {explanation}
    {_table}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(budget_usd, carbon_t, days, lab, locked, n_gpus, plan, rate, rents):
    mo.stop(locked is None or not plan.feasible)
    _r = plan.run
    _h = _r.duration.to("hour").magnitude
    lab.math(
        "Each limit L spent c per experiment allows L ÷ c runs; the project gets the fewest, in whole runs "
        "(`kernels.complete_experiments`, `kernels.binding_limit`):\n\n"
        "runs = min(floor(T ÷ t), floor(B ÷ (r N t)), floor(C ÷ carbon per run))\n\n"
        f"- one run: t = steps × step time ÷ goodput = {_r.steps:,} × {_r.step_time.to('s').magnitude:.4g} s ÷ "
        f"{_r.goodput:.3f} = **{_h:.4g} h** (`ScalingModel.training_run`)\n"
        f"- deadline: {days.value} d × 24 h ÷ {_h:.4g} h = **{plan.allowed['time']:.4g}**\n"
        f"- budget: {budget_usd.value:,} USD ÷ ({rate.value:g} USD/GPU-h × {n_gpus:,} × {_h:.4g} h) = "
        f"**{plan.allowed['money']:.4g}**\n"
        f"- carbon cap: {carbon_t.value:g} t ÷ {_r.carbon.to('t').magnitude:.4g} t (energy × grid intensity + an embodied "
        f"share, `SustainabilityModel`) = **{plan.allowed['carbon']:.4g}**\n"
        f"- the deadline against the budget: t cancels, so the budget binds once N > B ÷ (r T) = "
        f"**{rents:,.4g} GPUs** (`kernels.accelerators_rentable`)")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("binding", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(rf"""
    ### What to notice

    - **GPUs buy time, not money.** Doubling the GPUs roughly halves each run's wall-clock time, so the
      deadline's line climbs; the budget's and the carbon cap's lines stay almost flat (they fall a
      little, since communication wastes part of every GPU-hour at scale).
    - **The crossover is B ÷ (r T).** Once the cluster costs more to rent for the whole project than
      the budget, money ends the project first, whatever the model or the tokens.
    - **Cheaper experiments move every line.** Halving the tokens per experiment (or the model size)
      doubles the runs every limit allows: iteration speed is bought by small experiments, not by
      big clusters.
    - **The carbon line depends on the grid**: here {chapter.site_text()}. The rental rate is yours to
      set (public on-demand prices vary several-fold); the embodied carbon per GPU is an estimate.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("week_runs", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("week_runs", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("budget_runs", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("budget_runs", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("crossover", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("crossover", q3)
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
