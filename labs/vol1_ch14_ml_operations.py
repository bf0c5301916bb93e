import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch14_ml_operations as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch14_ml_operations",
        "volume": 1,
        "chapter": 14,
        "title": "How often to retrain: the cost of a retrain against the cost of drift",
        "question": ("A deployed model slowly gets worse as the world changes. Retrain too often and you pay for "
                     "GPUs and reviews; too rarely and you pay in lost accuracy. Where is the interval that costs least?"),
        "minutes": 25,
        "example_preset": "model=llama3_8b&tokens=1e10&gpus=8&fixed_cost=1000&drift=1&value=500&interval_days=30",
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
    predict = lab.prediction("interval_guess")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("interval_guess", predict)
    lab.show_prediction("interval_guess", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", chapter.model_options(), "llama3_8b", "Model retrained")
    tokens = lab.dropdown("tokens", chapter.TOKENS, "1e10", "Data per retrain")
    gpus = lab.dropdown("gpus", {str(n): str(n) for n in chapter.GPUS}, "8", "H100s per retrain")
    hourly_rate = lab.number("hourly_rate", 0.5, 20, 3.0, "Cloud price per GPU-hour (USD)", step=0.5)
    fixed_cost = lab.number("fixed_cost", 0, 100_000, 1000, "Fixed cost per retrain: evaluation, review, rollout (USD)", step=100)
    drift = lab.slider("drift", 0.1, 5.0, 0.1, 1.0, "Accuracy lost per week (points)")
    value = lab.number("value", 10, 100_000, 500, "Value of one accuracy point per day (USD)", step=10)
    interval_days = lab.slider("interval_days", 1, chapter.MAX_INTERVAL_DAYS, 1, 30, "Your retraining interval (days)")
    return drift, fixed_cost, gpus, hourly_rate, interval_days, model, tokens, value


@app.cell(hide_code=True)
def _(drift, fixed_cost, gpus, hourly_rate, interval_days, lab, locked, model, tokens, value):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the curve, the two marks and the numbers follow."),
               lab.show_controls(model, tokens, gpus, hourly_rate, fixed_cost, drift, value, interval_days)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(drift, fixed_cost, gpus, hourly_rate, interval_days, lab, model, tokens, value):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "tokens": tokens.value, "gpus": gpus.value,
                             "hourly_rate": hourly_rate.value, "fixed_cost": fixed_cost.value, "drift": drift.value,
                             "value": value.value, "interval_days": interval_days.value})
    plan = chapter.solve(model.value, float(tokens.value), int(gpus.value), float(hourly_rate.value),
                         float(fixed_cost.value), float(drift.value), float(value.value), float(interval_days.value))
    chart = chapter.chart(plan, interval_days.value, float(drift.value), float(value.value),
                          "Cost per day against the retraining interval")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, plan, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(interval_days, locked, plan, update_ms):
    mo.stop(locked is None)
    _mine = interval_days.value
    if _mine < plan.best_days * 0.98:
        _side = (f"shorter than the optimum: retraining is **{plan.retrain_share:.0%}** of your daily cost, more than the "
                 "drift it prevents")
    elif _mine > plan.best_days * 1.02:
        _side = (f"longer than the optimum: the accuracy lost to drift is **{1 - plan.retrain_share:.0%}** of your daily "
                 "cost, more than the retrains it saves")
    else:
        _side = "at the optimum, where retraining and drift cost the same"
    _gpu_share = plan.compute_cost / plan.retrain_cost
    explanation = (
        f"One retrain takes **{plan.compute_hours:,.3g} hours** of GPU time, **{chapter.money(plan.compute_cost)}** "
        f"({_gpu_share:.0%} of the {chapter.money(plan.retrain_cost)} a retrain costs in all; the rest is the fixed cost) and "
        f"{plan.carbon_kg:,.3g} kg CO2e. The interval that costs least is **{plan.best_days:.3g} days**, "
        f"**{chapter.money(plan.best_rate)}/day**. Yours, {_mine} days, is {_side}: **{chapter.money(plan.rate)}/day**.")
    mo.md(f"""
    ### Your policy: **{chapter.money(plan.rate)}/day** (best {chapter.money(plan.best_rate)}/day every {plan.best_days:.3g} days)

    {explanation}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(drift, interval_days, lab, locked, plan, value):
    mo.stop(locked is None)
    lab.math(
        "Harris (1913)'s square-root law, with drift as the holding cost, as `mlsysim.physics.kernels` computes it:\n\n"
        "cost per day(T) = C ÷ T + v d T ÷ 2  ·  T* = √(2 C ÷ (v d))\n\n"
        f"- C = GPU time + fixed = {plan.compute_cost:,.0f} + {plan.retrain_cost - plan.compute_cost:,.0f} = "
        f"**{plan.retrain_cost:,.0f} USD**; d = {drift.value:g} points/week = {drift.value / 7:.4g} points/day; "
        f"v = {value.value:,} USD per point per day\n"
        f"- T* = √(2 × {plan.retrain_cost:,.0f} ÷ ({value.value:,} × {drift.value / 7:.4g})) = **{plan.best_days:.4g} days**\n"
        f"- at your T = {interval_days.value} days: {plan.retrain_cost:,.0f} ÷ {interval_days.value} + "
        f"{value.value:,} × {drift.value / 7:.4g} × {interval_days.value} ÷ 2 = **{plan.rate:,.0f} USD/day**\n\n"
        "The GPU time of a retrain: 6 × parameters × tokens FLOPs (Kaplan et al. 2020) at the engine's default "
        "efficiency of the H100's bf16 peak; its price is the cloud rate × GPUs × hours.")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("interval_guess", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The optimum grows only as a square root.** Four times the retraining cost doubles the best interval;
      so does a quarter of the drift. Cheaper retrains (fewer tokens, smaller models) pay off by allowing
      more frequent ones, not proportionally.
    - **At the optimum the two costs are equal.** The dashed line (retraining alone) meets half the curve's
      height there: if retraining is most of your bill you retrain too often, if drift is, too rarely.
    - **The fixed cost often dominates.** For a small model the GPU time is a sliver of a retrain's cost;
      evaluation, review and rollout set the interval.
    - **The same law sets checkpoint intervals.** Young's interval (Volume II) is this square root with a
      checkpoint as the order and lost work as the holding cost.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("best_interval", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("best_interval", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("best_rate", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("best_rate", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("gpu_hours", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("gpu_hours", q3)
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
