import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch15_responsible_engineering as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch15_responsible_engineering",
        "volume": 1,
        "chapter": 15,
        "title": "How many test samples does fairness take?",
        "question": ("To show that a model is 2 points less accurate on one subgroup than on another, how many "
                     "test samples does each subgroup need, and what does running that evaluation cost?"),
        "minutes": 25,
        "example_preset": "accuracy=90&gap=2&confidence=0.95&power=0.8&groups=4&model=llama3_8b&hw=h100&tokens=512",
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
    predict = lab.prediction("samples")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("samples", predict)
    lab.show_prediction("samples", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    accuracy = lab.slider("accuracy", 70, 98, 1, 90, "Accuracy on the reference group (%)")
    gap = lab.slider("gap", 0.5, 10, 0.5, 2, "Gap to detect (accuracy points)")
    confidence = lab.dropdown("confidence", chapter.CONFIDENCES, "0.95", "Confidence (1 − false-alarm rate)")
    power = lab.dropdown("power", chapter.POWERS, "0.8", "Power (chance of catching a real gap)")
    groups = lab.number("groups", 2, chapter.MAX_GROUPS, 4, "Subgroups")
    model = lab.dropdown("model", chapter.model_options(), "llama3_8b", "Model under test")
    hw = lab.dropdown("hw", chapter.accelerator_options(), "h100", "Accelerator")
    tokens = lab.dropdown("tokens", {f"{t:,}": str(t) for t in chapter.TOKENS}, "512",
                          "Tokens per test sample (language models)")
    return accuracy, confidence, gap, groups, hw, model, power, tokens


@app.cell(hide_code=True)
def _(accuracy, confidence, gap, groups, hw, lab, locked, model, power, tokens):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls: the statistics set how many samples, the model and the "
                     "accelerator set what running them costs."),
               lab.show_controls(accuracy, gap, confidence, power, groups, model, hw, tokens)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(accuracy, confidence, gap, groups, hw, lab, model, power, tokens):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"accuracy": accuracy.value, "gap": gap.value, "confidence": confidence.value,
                             "power": power.value, "groups": groups.value, "model": model.value, "hw": hw.value,
                             "tokens": tokens.value})
    settings = {"accuracy_pct": float(accuracy.value), "gap_pts": min(float(gap.value), float(accuracy.value) - 0.5),
                "confidence": float(confidence.value), "power": float(power.value), "groups": int(groups.value),
                "model": model.value, "accelerator": hw.value, "tokens": int(tokens.value)}
    d = chapter.evaluate(**settings)
    rows = chapter.curve(settings["accuracy_pct"], settings["confidence"], settings["power"], settings["groups"], d)
    chart = chapter.chart(d, rows, settings["gap_pts"], f"Test samples and evaluation cost: {d['profile'].model} on "
                                                        f"{d['profile'].hardware}")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, d, rows, settings, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(d, locked, settings, update_ms):
    mo.stop(locked is None)
    _s = settings
    _half = chapter.total(_s["accuracy_pct"], _s["gap_pts"] / 2, _s["confidence"], _s["power"], _s["groups"])
    _two = chapter.per_group(_s["accuracy_pct"], _s["gap_pts"], _s["confidence"], _s["power"], 2)
    stats = (f"Each of the **{_s['groups']}** subgroups needs **{d['per_group']:,}** test samples to detect a "
             f"{_s['gap_pts']:g}-point gap below {_s['accuracy_pct']:g} %, **{d['total']:,}** in all. "
             + (f"With {d['comparisons']} comparisons against the reference group, each is tested at "
                f"{1 - _s['confidence']:.2g} ÷ {d['comparisons']} so the whole family keeps its {_s['confidence']:.0%} "
                f"confidence: that raises each group's need from {_two:,} (two groups) to {d['per_group']:,}. "
                if d["comparisons"] > 1 else "")
             + f"Halving the gap to {_s['gap_pts'] / 2:g} point{'' if _s['gap_pts'] == 2 else 's'} would take **{_half:,}** samples in all.")
    if d["fits"]:
        run = (f"{d['profile'].model} evaluates {d['profile'].throughput.magnitude:,.4g} samples/s on one "
               f"{d['profile'].hardware} (batch {chapter.BATCH}, bound by {d['profile'].bound.title.lower()}): the "
               f"evaluation runs **{d['seconds']:,.4g} s** and costs **{d['usd']:.3g} USD** of owned accelerator time.")
    else:
        run = f"{d['profile'].model} does **not** run on one {d['profile'].hardware}: {d['profile'].reason}."
    mo.md(f"""
    ### What the numbers say

    {stats}

    {run}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return run, stats


@app.cell(hide_code=True)
def _(d, lab, locked, settings):
    mo.stop(locked is None)
    _s = settings
    _p1, _p2 = _s["accuracy_pct"] / 100, (_s["accuracy_pct"] - _s["gap_pts"]) / 100
    lab.math(
        "Samples per group to tell accuracy p₁ from p₂ (a two-sided test of two proportions, normal "
        "approximation; Fleiss, Levin & Paik 2003, *Statistical Methods for Rates and Proportions*, eq. 4.14), "
        "with Bonferroni's α/m over m comparisons (Dunn 1961):\n\n"
        "$$n = \\frac{\\left[z_{1-\\alpha/2m}\\sqrt{2\\bar p\\bar q} + z_{1-\\beta}\\sqrt{p_1q_1 + p_2q_2}\\right]^2}"
        "{(p_1 - p_2)^2}, \\quad \\bar p = \\tfrac{p_1 + p_2}{2},\\ q = 1 - p$$\n\n"
        f"Yours: p₁ = {_p1:.4g}, p₂ = {_p2:.4g}, α = {1 - _s['confidence']:.2g}, m = {d['comparisons']}, power "
        f"1 − β = {_s['power']:.0%} → n = **{d['per_group']:,}** (rounded up), × {_s['groups']} groups = "
        f"**{d['total']:,}**.\n\n"
        "Time = samples ÷ throughput (the roofline's samples/s for a batch of "
        f"{chapter.BATCH}); cost = the accelerator's TCO for that time (straight-line CapEx share + energy + "
        "maintenance, `EconomicsModel`)"
        + (f": {d['total']:,} ÷ {d['profile'].throughput.magnitude:,.4g}/s = {d['seconds']:,.4g} s → "
           f"{d['usd']:.4g} USD. " if d["fits"] else ". ")
        + "The accelerator prices are the registry's estimates (source `gpu_price_estimates`).")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("samples", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Samples grow as one over the gap squared.** Halve the gap and you need about four times the samples:
      small gaps, the ones that matter in a fair model, are the expensive ones to see.
    - **Near 50 % accuracy it is hardest; near 100 % easier.** The variance p(1 − p) is largest at one half:
      move the reference accuracy and watch the curve shift.
    - **More subgroups cost twice.** Each group needs its own samples, and testing more groups at once
      tightens each test (Bonferroni), so every group needs more than it would alone.
    - **Running the evaluation is cheap; collecting it is not.** For a 2-point gap over four groups, every
      model and accelerator here finishes within hours on one accelerator, for under a dollar; the
      labelled samples of a rare subgroup, which the engine does not price, are usually the real budget.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("per_group", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("per_group", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("all_groups", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("all_groups", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("eval_cost", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("eval_cost", q3)
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
