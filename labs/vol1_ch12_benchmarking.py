import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch12_benchmarking as chapter
    from mlsysim.viz.data import fmt

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch12_benchmarking",
        "volume": 1,
        "chapter": 12,
        "title": "Peak vs measured: calibrate on one benchmark, predict another",
        "question": ("A datasheet gives one peak; published benchmarks give many different speeds for the same GPU. "
                     "If you fit the engine's efficiency to one measurement, how far does that fit carry: to another "
                     "batch size, another precision, another GPU generation, and where does it break?"),
        "minutes": 30,
        "example_preset": "src=rn50-infer-v100-amp-b256&tgt=rn50-infer-t4-amp-b256&scenario=single-stream",
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
    predict = lab.prediction("transfer")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("transfer", predict)
    lab.show_prediction("transfer", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _cases = chapter.options()
    source = lab.dropdown("src", _cases, chapter.DEFAULT_SOURCE, "Calibrate on")
    target = lab.dropdown("tgt", _cases, chapter.DEFAULT_TARGET, "Predict")
    scenario = lab.dropdown("scenario", {s: s for s in chapter.SCENARIOS}, "offline", "MLPerf scenario")
    return scenario, source, target


@app.cell(hide_code=True)
def _(lab, locked, scenario, source, target):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nPick the published measurement to calibrate on and a case to predict with "
                     "that calibration. Orange squares use the profile declared before looking; blue circles the "
                     "calibrated one. On the diagonal the engine is exact; the dashed lines are 10 % and 20 % off."),
               lab.show_controls(source, target, scenario)] + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(lab, scenario, source, target):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"src": source.value, "tgt": target.value, "scenario": scenario.value})
    study = chapter.study(source.value, target.value)
    chart = chapter.chart(study, scenario.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, study, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(locked, study, update_ms):
    mo.stop(locked is None)
    src, tgt, fit, row = study.source, study.target, study.fit, study.row
    _ps, _pt = chapter.point(study, src.id), chapter.point(study, tgt.id)
    _param = chapter.PARAMETER_WORDS.get(fit.parameter, fit.parameter)
    _declared = ", ".join(f"{k.replace('_', ' ')} {fmt(v) if isinstance(v, (int, float)) else v}"
                          for k, v in src.profile.items()) or "the engine's own defaults"
    fit_text = (
        f"With the profile declared in advance ({_declared}), the engine predicts **{fmt(_ps.declared, 4)} {src.unit}** "
        f"for *{chapter.label(src)}* against **{fmt(src.measured, 4)} {src.unit}** published: "
        f"**{_ps.declared_error:+.1%}**. {fit.reason[0].upper() + fit.reason[1:]}. The fit sets the **{_param}** to "
        f"**{fit.value:.3g}** (residual {fit.residual:+.1%}). " + (
            f"The calibrated profile: compute efficiency {fit.efficiency:.3g}, bandwidth efficiency "
            f"{fit.bandwidth_efficiency:.3g}." if fit.framework_factor is None else
            f"The calibrated profile is the factor, **{fit.framework_factor:.3g}**: every other case gets "
            f"{fit.framework_factor:.3g} × its own table value."))
    if row.target_error is not None:
        verdict = (f"A change of {row.target_class} is held to **{row.target_error:.0%}**: the calibrated prediction "
                   + ("**meets it**." if row.met else "**misses it**."))
    else:
        verdict = (f"No target applies (only a change of batch or precision, held to 10 %, or of the GPU alone, held "
                   f"to 20 %, has one); the calibrated error is {chapter.within(row.error)}.")
    if chapter.wall_of(fit.parameter) and _pt.bound != chapter.wall_of(fit.parameter):
        breaks = (f"At the target the engine says **{_pt.bound}-bound**, not {chapter.wall_of(fit.parameter)}-bound: "
                  f"the {_param} fitted on the first case does not set the target's time, so the calibration "
                  "cannot carry over.")
        if fit.framework_factor is None and abs(_pt.calibrated - _pt.declared) > 1e-9 * abs(_pt.declared):
            breaks += (" Its point moves only because the calibrated profile holds the other efficiencies where the "
                       f"fit held them (compute {fit.efficiency:.3g}, bandwidth {fit.bandwidth_efficiency:.3g}), "
                       "not where the target's declared profile puts them.")
    elif abs(row.error) > abs(row.default_error):
        _fitted = _param if fit.framework_factor is None else "factor on the GEMM table"  # what the fit carries over
        breaks = (f"Calibration made the target **worse** ({row.default_error:+.1%} → {row.error:+.1%}): the {_fitted} "
                  "that fits the first case is not the one the target runs at.")
    else:
        breaks = (f"Calibration **helped** ({row.default_error:+.1%} → {row.error:+.1%}): the error it removed was "
                  f"shared by both cases.")
    if tgt.id == src.id:
        breaks = "Pick another case to predict: the case the fit was made on only gives back its measurement."
    explanation = (
        f"**Predicting {chapter.label(tgt)}** (what changes: {row.change}): declared **{fmt(_pt.declared, 4)}**, "
        f"calibrated **{fmt(_pt.calibrated, 4)} {tgt.unit}** against **{fmt(tgt.measured, 4)}** published: "
        f"**{row.error:+.1%}** ({chapter.within(row.error)}). {verdict} {breaks}")
    mo.md(f"""
    ### Calibrated: {_param} **{fit.value:.3g}**; the target comes out **{row.error:+.1%}**

    {fit_text}

    {explanation}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return explanation, fit_text, verdict


@app.cell(hide_code=True)
def _(locked, scenario, study):
    mo.stop(locked is None)
    _same = chapter.same_accelerator(study)
    _speeds = " · ".join(
        f"{chapter.scenario_of(p.case)}: **{fmt(p.case.measured, 4)} {p.case.unit}** ({chapter.label(p.case)})"
        for p in _same)
    several = len({chapter.scenario_of(p.case) for p in _same}) > 1
    _speeds += (". One GPU, several \"speeds\": a batch-1 latency and a large-batch throughput are different "
                "workloads." if several else ". Only one way of measuring appears for it here: calibrate on a "
                "ResNet-50 inference case to see a batch-1 latency next to a large-batch throughput.")
    _mine = [p for p in study.points if chapter.scenario_of(p.case) == scenario.value]
    if scenario.value == "server":
        _servers = chapter.server_cases()
        _listed = "; ".join(f"*{c.id}*: " + (f"not scored, the engine lacks {c.pending}" if c.pending else "scored")
                            for c in _servers) or "none"
        scenario_text = (f"No case of this workload was measured this way. The table's server-scenario cases: "
                         f"{_listed}.")
    else:
        scenario_text = (f"{len(_mine)} of the {len(study.points)} cases on the chart were measured this way "
                         "(drawn solid, the others faint).")
    mo.md(f"""
    #### MLPerf's {scenario.value} scenario

    {chapter.SCENARIOS[scenario.value][0].upper() + chapter.SCENARIOS[scenario.value][1:]} (Reddi et al. 2020, *MLPerf Inference Benchmark*, ISCA, arXiv:1911.02549: its scenarios and metrics).
    {scenario_text}

    The same accelerator and precision as the calibration case, published: {_speeds}
    """)
    return scenario_text, several


@app.cell(hide_code=True)
def _(lab, locked, study):
    mo.stop(locked is None)
    _f, _r = study.fit, study.row
    _pt = chapter.point(study, study.target.id)
    lab.math(
        "The iron law the engine predicts with (Williams, Waterman & Patterson 2009, *Roofline*, CACM 52(4)):\n\n"
        "time = max(operations ÷ (peak × η), bytes ÷ (bandwidth × η_bw)) + launch overhead\n\n"
        f"- one measurement is one equation, so it fixes one unknown: *{study.source.id}* is "
        f"{chapter.declared(study.source.id).bound}-bound at the declared profile, so the unknown is the "
        f"{chapter.PARAMETER_WORDS.get(_f.parameter, _f.parameter)}\n"
        + (f"- `mlsysim.calibrate` bisects on log({_f.parameter}) in [1e-4, 1] until prediction = "
           f"{fmt(_f.measured, 4)}: {_f.parameter} = **{_f.value:.4g}**, predicted {fmt(_f.predicted, 4)} "
           f"(residual {_f.residual:+.2%})\n" if _f.framework_factor is None else
           f"- `mlsysim.calibrate` bisects on log(factor) in [1e-4, 1], η = factor × the Software wall's GEMM table "
           f"at each case's kernel size and precision, until prediction = {fmt(_f.measured, 4)}: factor = "
           f"**{_f.framework_factor:.4g}**, η = {_f.value:.4g} here, predicted {fmt(_f.predicted, 4)} "
           f"(residual {_f.residual:+.2%}); the target gets the factor times its own table value\n") +
        f"- the target *{study.target.id}* with it: {fmt(_pt.calibrated, 4)} against {fmt(_r.measured, 4)} "
        f"{study.target.unit}; error = (predicted − measured) ÷ measured = **{_r.error:+.2%}** "
        f"(declared: {_r.default_error:+.2%})\n"
        "- the targets (issue 17): another batch or precision within 10 %, another GPU generation within 20 % "
        "(`mlsysim.calibrate.TRANSFER_TARGETS`)")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("transfer", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **One measurement fixes one number.** The fit cannot tell a slow kernel from slow memory:
      it fixes the efficiency of whichever term binds, and holds the other where the fit began
      (the declared value, or the engine's plain default where the profile declares none). A
      compute-bound fit on a GPU the Software wall's tables describe is a factor on the GEMM table
      instead: another case gets that factor times its own table value, so the table keeps how
      efficiency changes with kernel size and precision, and the memory side keeps its tables.
    - **A calibration carries only as far as the binding wall.** Predict a case another wall
      binds (a batch-1 latency, bound by kernel launches, from a memory-bound large-batch fit) and
      the fitted efficiency does not enter its time at all: no calibration of it can help.
    - **Efficiency is a property of the work, not of the GPU.** The value that fits one precision,
      batch or sequence length is often not the one another runs at; compare the fitted values
      across cases of the same GPU.
    - **Benchmarks have scenarios.** A single-stream latency, an offline throughput and a server
      rate within a latency bound are three different speeds of one system; quote the scenario
      with the number.
    - Every case's source is in `validation/*.toml`; the declared profiles are set before looking.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour cases depend on your student ID (enter it at the top). Use the controls to find each answer.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("fit", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("fit", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("transfer", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("transfer", q2)
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
