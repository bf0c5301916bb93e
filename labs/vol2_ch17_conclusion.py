import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch17_conclusion as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch17_conclusion",
        "volume": 2,
        "chapter": 17,
        "title": "Fleet synthesis: from targets to the fleet",
        "question": ("Turn the question around: given the latency, the traffic, the budget and a carbon cap, "
                     "which fleet meets them all, and which target decides it?"),
        "minutes": 30,
        "example_preset": "model=llama3_70b&latency_ms=1000&rate=10&budget=200000&grid=poland&carbon_cap=20",
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
    predict = lab.prediction("cheapest_part")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("cheapest_part", predict)
    lab.show_prediction("cheapest_part", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", chapter.model_options(), "llama3_70b", "Model")
    precision = lab.dropdown("precision", chapter.PRECISIONS, "fp16", "Precision")
    latency_ms = lab.number("latency_ms", 50, chapter.MAX_LATENCY_MS, 1000, "Latency target per batch of 4 (ms)", step=50)
    rate = lab.number("rate", 1, chapter.MAX_RATE, 10, "Traffic (requests/s)")
    budget = lab.number("budget", 0, 10_000_000, 0, "Budget for the fleet, USD (0 = none)", step=1000)
    grid = lab.dropdown("grid", chapter.grid_options(), "us_average", "Grid region")
    carbon_cap = lab.number("carbon_cap", 0, 10_000, 0, "Carbon cap per month, t CO2e (0 = none)", step=0.5)
    return budget, carbon_cap, grid, latency_ms, model, precision, rate


@app.cell(hide_code=True)
def _(budget, carbon_cap, grid, lab, latency_ms, locked, model, precision, rate):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nSet the targets; every cloud part in the registry is sized to them and "
                     "plotted by price and carbon. Prices are the registry's unit prices (estimates)."),
               lab.show_controls(model, precision, latency_ms, rate, budget, grid, carbon_cap)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(budget, carbon_cap, grid, lab, latency_ms, model, precision, rate):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "precision": precision.value, "latency_ms": latency_ms.value,
                             "rate": rate.value, "budget": budget.value, "grid": grid.value,
                             "carbon_cap": carbon_cap.value})
    result = chapter.solve(model.value, float(latency_ms.value), float(rate.value), float(budget.value),
                           precision.value)
    rows = chapter.design_space(result, grid.value, float(carbon_cap.value))
    best = chapter.chosen(rows)
    chart = chapter.chart(rows, float(budget.value), float(carbon_cap.value),
                          f"Every part sized to the targets: {result.model}")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return best, chart, controls, result, rows, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(best, budget, carbon_cap, latency_ms, locked, rate, result, rows, update_ms):
    mo.stop(locked is None)
    _misses = [f"{r['part']} ({r['why_not']})" for r in rows if not r["meets"]]
    _why = "; ".join(_misses[:4]) + (f"; and {len(_misses) - 4} more" if len(_misses) > 4 else "")
    _left_out = len(result.candidates) - len(rows)
    if best is not None:
        verdict = (f"**{best['count']} × {best['part']}** ({best['group']} per model instance × {best['replicas']} "
                   f"instances) is the cheapest fleet that meets every target: **{best['cost']:,.0f} USD**, "
                   f"{best['latency_ms']:.4g} ms per batch, {best['carbon']:.3g} t CO2e a month. "
                   f"{sum(r['meets'] for r in rows)} of {len(rows)} priced parts meet every target"
                   + (f"; the others miss: {_why}." if _why else "."))
    else:
        verdict = f"**No fleet meets every target.** Each misses at least one: {_why}. Relax a target and watch which part comes in first."
    if _left_out:
        verdict += (f" ({_left_out} parts are left out: no unit price in the registry, or no {result.precision} "
                    "arithmetic.)")
    _req = (f"one accelerator would need **{result.required_flops.magnitude:,.0f} TFLOP/s**, "
            f"**{result.required_bandwidth.magnitude:.3g} TB/s** and **{result.required_memory.magnitude:,.0f} GB**")
    mo.md(f"""
    ### The fleet: {"**" + best["part"] + "**" if best else "none"}

    {verdict}

    To do one batch in {latency_ms.value:,} ms alone, {_req}; a part short of any of these needs a group.

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (verdict,)


@app.cell(hide_code=True)
def _(latency_ms, locked, rate, result):
    mo.stop(locked is None)
    _h = next((c for c in result.candidates if c.key == "h100"), None)
    _ex = "" if _h is None else (
        f"\n\nFor the H100: group **{_h.group}**, replicas ⌈{rate.value} × {_h.latency.to('ms').magnitude:.4g} ms ÷ 4⌉ "
        f"= **{_h.replicas}**, fleet **{_h.count}**.")
    lab.math(
        "The iron law solved for its inputs (`mlsysim.solvers.synthesis`):\n\n"
        "required FLOP/s ≥ ops ÷ (T × efficiency) · required bandwidth ≥ bytes ÷ T · memory ≥ weights + activations\n\n"
        "group = max(⌈memory ÷ capacity⌉, ⌈max(compute, memory time) ÷ T⌉) · replicas = ⌈traffic × group latency ÷ batch⌉ "
        "· fleet = group × replicas · price = fleet × unit price\n\n"
        "carbon per month = (facility energy × grid intensity) + embodied share (`SustainabilityModel`)."
        f"{_ex}")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("cheapest_part", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Different targets pick different winners.** Change the model, the precision or the latency and watch
      the red diamond move between parts and vendors: the cheapest fleet depends on which target is hardest.
    - **A carbon cap is a grid choice as much as a hardware choice.** The same fleet's carbon moves with the
      grid region; the price does not. Set a cap and change only the region.
    - **Memory decides the smallest group.** A part that cannot hold the weights needs several of them per
      model instance before speed matters at all.
    - **This is a lower bound.** The group's work is split evenly and the communication between its members is
      left out; Volume II's chapters on the network and on serving at scale add it back.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("h100_count", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("h100_count", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("cheapest_cost", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("cheapest_cost", q2)
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
