import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch09_data_selection as chapter

    chapter.allocation(1e22, 20)  # the solver's first call (its imports), paid before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch09_data_selection",
        "volume": 1,
        "chapter": 9,
        "title": "A bigger model or more tokens? Spending a fixed compute budget",
        "question": ("A training budget of C FLOP buys P parameters trained on C / 6P tokens. Which split gives the "
                     "lowest loss, and how much compute does cleaner data (fewer tokens for the same loss) save?"),
        "minutes": 25,
        "example_preset": "budget=1e23&tpp=80&efficiency=2",
    }


@app.cell(hide_code=True)
async def _():
    # the state this browser saved for the lab, and the link's presets
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
    predict = lab.prediction("tenfold")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("tenfold", predict)
    lab.show_prediction("tenfold", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    budget = lab.dropdown("budget", {f"{c:.0e} FLOP": chapter.budget_key(c) for c in chapter.BUDGETS}, "1e22", "Compute budget")
    tpp = lab.dropdown("tpp", {f"{r:g} tokens per parameter": f"{r:g}" for r in chapter.TOKENS_PER_PARAMETER}, "20",
                       "Your allocation")
    efficiency = lab.dropdown("efficiency", {("raw data" if k == 1 else f"{k:g}x (cleaned)"): f"{k:g}"
                                             for k in chapter.DATA_EFFICIENCY}, "1", "Data efficiency")
    return budget, efficiency, tpp


@app.cell(hide_code=True)
def _(budget, efficiency, lab, locked, tpp):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nEvery point of the curve spends the whole budget: a bigger model sees fewer "
                     "tokens. Pick a budget, an allocation, and how much better your data is."),
               lab.show_controls(budget, tpp, efficiency)] + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(budget, efficiency, lab, tpp):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"budget": budget.value, "tpp": tpp.value, "efficiency": efficiency.value})
    c, r, k = float(budget.value), float(tpp.value), float(efficiency.value)
    mine = chapter.allocation(c, r)
    p_mine, d_mine = mine.optimal_parameters.magnitude, mine.optimal_tokens.magnitude
    loss_mine = chapter.loss_at(c, p_mine, k)
    p_opt, d_opt, loss_opt = chapter.optimum(c, k)
    rule = chapter.allocation(c, 20)
    chart = chapter.iso_flop_chart(c, r, k)
    raw_equivalent = chapter.raw_budget_equivalent(c, k) if k > 1 else None
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (c, chart, controls, d_mine, d_opt, k, loss_mine, loss_opt, mine, p_mine, p_opt, r, raw_equivalent,
            rule, update_ms)


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(c, d_mine, d_opt, k, locked, loss_mine, loss_opt, p_mine, p_opt, r, raw_equivalent, rule, update_ms):
    mo.stop(locked is None)
    _at_opt = abs(loss_mine - loss_opt) <= 1e-4
    if _at_opt:
        explanation = (f"{r:g} tokens per parameter gives **{p_mine:.3g} parameters on {d_mine:.3g} tokens**, "
                       f"a loss of **{loss_mine:.4f}**: at the bottom of the curve.")
    else:
        _side = "too big a model on too few tokens" if p_mine > p_opt else "too small a model on too many tokens"
        explanation = (f"{r:g} tokens per parameter gives **{p_mine:.3g} parameters on {d_mine:.3g} tokens**, a loss "
                       f"of **{loss_mine:.4f}**: {_side}. The curve's minimum is **{loss_opt:.4f} at {p_opt:.3g} "
                       f"parameters on {d_opt:.3g} tokens**, {loss_mine - loss_opt:.4f} nats lower.")
    explanation += (f" The rule of 20 tokens per parameter (ScalingModel's default, Hoffmann et al.'s Approaches 1 and "
                    f"2) puts {rule.optimal_parameters.magnitude:.3g} parameters here; the minimum of the fitted loss "
                    f"itself (their Approach 3) sits at {d_opt / p_opt:.3g} tokens per parameter.")
    if raw_equivalent is not None:
        explanation += (f" With data {k:g}x as efficient, raw data would need **{raw_equivalent:.3g} FLOP** to reach "
                        f"the same optimal loss: the cleaning is worth that much compute.")
    mo.md(f"""
    ### The lowest loss at {c:.0e} FLOP: **{loss_opt:.4f}** nats per token

    {explanation}

    <small>The loss is Hoffmann et al.'s parametric fit (Eq. 10) on their data, in nats per token: an estimate
    whose constants other fits revise (Besiroglu et al. 2024). Data efficiency k counts one cleaned token as k raw ones.
    Python time for this update: <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(c, d_mine, k, lab, locked, loss_mine, p_mine, p_opt, r):
    mo.stop(locked is None)
    lab.math(
        "Compute-optimal scaling (Hoffmann et al. 2022, *Chinchilla*), as `mlsysim.physics.kernels` computes it:\n\n"
        f"- budget: C = 6 P D = {c:.3g} FLOP; with D = {r:g} P, P = √(C / (6 × {r:g})) = **{p_mine:.4g}**, "
        f"D = **{d_mine:.4g}**\n"
        f"- loss: `L = 1.69 + 406.4 / P^0.34 + 410.7 / (k D)^0.28` with k = {k:g}: **{loss_mine:.4f}** (Eq. 10)\n"
        "- the curve's minimum (Eq. 4): `P_opt = G (C / 6)^(0.28 / 0.62)`, `G = (0.34 × 406.4 / (0.28 × 410.7 / k^0.28))"
        f"^(1 / 0.62)`: **{p_opt:.4g}** parameters")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("tenfold", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The curve is flat near its bottom**: a factor of two either way in model size costs little loss;
      a factor of ten costs a lot.
    - **The optimum grows as the square root of the budget** (about, for both the model and the tokens):
      more compute goes half into size and half into data.
    - **Rules differ from fits**: "20 tokens per parameter" and the fitted loss's own minimum disagree,
      which is why the fit's constants are estimates to be checked, not laws.
    - **Cleaner data is compute**: a data-efficiency factor moves the whole curve down, and the raw-data
      budget that matches it is what the cleaning saves.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("loss", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("loss", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("clean_optimum", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("clean_optimum", q2)
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
