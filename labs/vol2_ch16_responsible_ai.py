import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch16_responsible_ai as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch16_responsible_ai",
        "volume": 2,
        "chapter": 16,
        "title": "The fairness budget at fleet scale",
        "question": ("A fleet serves a model to many kinds of users. What does it cost to check it for every "
                     "subgroup, and to screen every request with a safety filter beside it?"),
        "minutes": 25,
        "example_preset": "groups=8&gap=2&traffic=1000&model=llama3_8b&filter=llama3_8b&hw=h100",
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
    predict = lab.prediction("filter_share")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("filter_share", predict)
    lab.show_prediction("filter_share", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    groups = lab.number("groups", 2, chapter.MAX_GROUPS, 8, "User subgroups to check")
    gap = lab.slider("gap", 0.5, 10, 0.5, 2, "Accuracy gap to detect (points)")
    traffic = lab.number("traffic", 1, chapter.MAX_TRAFFIC, 1000, "Traffic (requests/s)")
    model = lab.dropdown("model", chapter.model_options(), "llama3_8b", "Served model")
    guard = lab.dropdown("filter", chapter.filter_options(), "llama3_8b", "Safety filter model")
    hw = lab.dropdown("hw", chapter.accelerator_options(), "h100", "Accelerator (one per replica)")
    return gap, groups, guard, hw, model, traffic


@app.cell(hide_code=True)
def _(gap, groups, guard, hw, lab, locked, model, traffic):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls: the groups and the gap set the test set, the traffic "
                     "and the models set the fleets. Every replica is one accelerator, owned and busy all month."),
               lab.show_controls(groups, gap, traffic, model, guard, hw)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(gap, groups, guard, hw, lab, model, traffic):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"groups": groups.value, "gap": gap.value, "traffic": traffic.value,
                             "model": model.value, "filter": guard.value, "hw": hw.value})
    settings = {"groups": int(groups.value), "gap_pts": float(gap.value), "traffic": float(traffic.value),
                "model": model.value, "filter_model": guard.value, "accelerator": hw.value}
    b = chapter.budget(**settings)
    rows = chapter.curve(b, hw.value)
    chart = chapter.chart(b, rows, settings["traffic"], f"A month of serving, with a safety filter, on "
                                                        f"{b['serve'].hardware}")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return b, chart, controls, rows, settings, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(b, locked, settings, update_ms):
    mo.stop(locked is None)
    _s, _ev = settings, b["evaluation"]
    evaluation_md = (f"**Checking every subgroup.** {_s['groups']} subgroups, a {_s['gap_pts']:g}-point gap below 90 % "
                     f"(95 % confidence, 80 % power, {_ev['comparisons']} comparison(s) against a reference group): "
                     f"**{_ev['per_group']:,}** labelled samples per group, **{_ev['total']:,}** in all. ")
    if _ev["fits"]:
        evaluation_md += (f"Running them through {_ev['profile'].model} on one {_ev['profile'].hardware} takes "
                          f"{_ev['seconds']:,.4g} s and costs **{_ev['usd']:.3g} USD**.")
    else:
        evaluation_md += f"{_ev['profile'].model} does not run on one {_ev['profile'].hardware}: {_ev['profile'].reason}."
    if b["fits"]:
        serving_md = (f"**Screening every request.** At {_s['traffic']:,g} requests/s the served model needs "
                      f"**{b['main']}** replicas ({b['main_usd']:,.0f} USD a month); the filter, "
                      f"{b['screen'].model}, screens {b['rate']:,.4g} prompts/s per replica and needs **{b['guard']}** "
                      f"more (**{b['guard_usd']:,.0f} USD** a month).")
    else:
        _why = b["serve"].reason or b["screen"].reason
        serving_md = f"**Screening every request.** It does **not** run on one {b['serve'].hardware} per replica: {_why}."
    mo.md(f"""
    ### The two budgets

    {evaluation_md}

    {serving_md}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return evaluation_md, serving_md


@app.cell(hide_code=True)
def _(b, lab, locked, settings):
    mo.stop(locked is None)
    _s = settings
    _fleet = (f"Yours: ⌈{_s['traffic']:,g} × {chapter.OUTPUT} ÷ {b['serve'].decode_throughput.magnitude:,.4g}⌉ = "
              f"{b['main']} model replicas; ⌈{_s['traffic']:,g} ÷ {b['rate']:,.4g}⌉ = {b['guard']} filter replicas."
              if b["fits"] else "Yours: it does not fit, so no fleet.")
    lab.math(
        "**Test samples** per subgroup (Fleiss, Levin & Paik 2003, eq. 4.14; Bonferroni's α/m over m = groups − 1 "
        "comparisons, Dunn 1961), the same formula as the Volume I chapter 15 lab:\n\n"
        "$$n = \\frac{\\left[z_{1-\\alpha/2m}\\sqrt{2\\bar p\\bar q} + z_{1-\\beta}\\sqrt{p_1q_1 + p_2q_2}\\right]^2}"
        "{(p_1 - p_2)^2}$$\n\n"
        "**Replicas** for a load (the utilisation law U = λw ÷ (mμ) ≤ 1, Jain 1991, ch. 33), no headroom for "
        "queueing: $m = \\lceil \\lambda w / \\mu \\rceil$. The served model: λ requests/s × w = "
        f"{chapter.OUTPUT} output tokens each, μ = its decode tokens/s at batch {chapter.BATCH} (`ServingModel`, "
        "decode only). The filter: w = 1 prompt, μ = batch ÷ the prefill time of "
        f"{chapter.BATCH} prompts of {chapter.PROMPT} tokens.\n\n" + _fleet + "\n\n"
        "**Cost** = replicas × a month of one owned accelerator (`EconomicsModel`: CapEx share + energy + "
        "maintenance). The accelerator prices are the registry's estimates (source `gpu_price_estimates`).")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("filter_share", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The evaluation is paid once; the filter every second.** At a 2-point gap, checking every subgroup costs
      under a hundred dollars of compute, less than a single filter replica's month; the filter's replicas are
      a standing bill that grows with the traffic.
    - **Reading is cheaper than writing.** A filter as large as the served model still needs far fewer replicas:
      it reads each prompt in one prefill pass (compute bound, many tokens at once) while the model writes its
      answer one decode step at a time (memory bound).
    - **A small filter is almost free.** Switch the filter to BERT-Base: one replica screens a large service.
    - **Fine gaps cost labels, not compute.** Halve the gap and the test set grows about four times; the
      compute stays cheap, but every sample of a small subgroup must be collected and labelled.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("filter_replicas", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("filter_replicas", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("eval_samples", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("eval_samples", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("guard_month", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("guard_month", q3)
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
