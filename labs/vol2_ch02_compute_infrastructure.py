import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch02_compute_infrastructure as chapter
    from mlsysim.solvers.defaults import DEFAULT_LIFETIME_YEARS

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch02_compute_infrastructure",
        "volume": 2,
        "chapter": 2,
        "title": "Own or rent? Capex, power, cooling, utilisation and the break-even month",
        "question": ("Buying GPUs costs millions on day one; renting costs by the hour, forever. For a given fleet, "
                     "how busy must it be, and for how long, before owning is the cheaper choice?"),
        "minutes": 25,
        "example_preset": "gpus=1024&utilization=0.9&price=0.12&pue=1.5&years=3&rate=2",
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
    predict = lab.prediction("break_even_when")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("break_even_when", predict)
    lab.show_prediction("break_even_when", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    gpus = lab.number("gpus", 1, chapter.MAX_GPUS, 256, "Fleet size (H100s)")
    utilization = lab.slider("utilization", 0.05, 1.0, 0.05, 0.5, "Utilisation")
    price = lab.slider("price", 0.02, 0.40, 0.01, 0.08, "Electricity (USD/kWh)")
    pue = lab.slider("pue", 1.0, 2.0, 0.05, 1.3, "PUE")
    years = lab.slider("years", 1, 8, 1, 4, "Years shown")
    rate = lab.slider("rate", 0.5, 10.0, 0.1, 2.5, "Cloud rate (USD per GPU-hour)")
    return gpus, price, pue, rate, utilization, years


@app.cell(hide_code=True)
def _(gpus, lab, locked, price, pue, rate, utilization, years):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; both cost lines and the break-even follow."),
               lab.show_controls(gpus, utilization, price, pue, years, rate)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(gpus, lab, price, pue, rate, utilization, years):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"gpus": gpus.value, "utilization": utilization.value, "price": price.value,
                             "pue": pue.value, "years": years.value, "rate": rate.value})
    costs = chapter.Costs(gpus.value, utilization.value, price.value, pue.value, rate.value)
    chart = costs.chart(years.value, f"Owning against renting {gpus.value:,} H100s")
    crossing = chart.datasets["breakeven"][0]["month"] if chart.datasets["breakeven"] else None
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, costs, crossing, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(costs, crossing, gpus, locked, rate, update_ms, utilization, years):
    mo.stop(locked is None)
    _t = costs.break_even_months
    _base = (f"Buying {gpus.value:,} H100s costs **{costs.upfront / 1e6:,.4g} M USD** on day one; running them at "
             f"{utilization.value:.0%} utilisation then costs **{costs.own_per_month:,.0f} USD a month** (energy "
             f"{costs.energy_per_month:,.0f}, maintenance {costs.maintenance_per_month:,.0f}). Renting the same GPUs "
             f"for the hours they are busy, at {rate.value:g} USD per GPU-hour, costs **{costs.rent_per_month:,.0f} "
             "USD a month**.")
    if _t == float("inf"):
        verdict = "never"
        explanation = (_base + " Renting costs no more per month than merely powering and maintaining owned GPUs: "
                       "**owning never catches up**.")
    else:
        verdict = f"{_t:.3g} months"
        explanation = (_base + f" Each month renting costs {costs.margin_per_month:,.0f} USD more, "
                       f"so the purchase is paid back after **{_t:.3g} months**")
        explanation += (f": owning is cheaper from **month {crossing}** on the chart." if crossing is not None else
                        f", beyond the {years.value} years shown: over this horizon **renting is cheaper**.")
        if _t > DEFAULT_LIFETIME_YEARS * 12:
            explanation += (f" That is past the {DEFAULT_LIFETIME_YEARS:g}-year life the engine assumes for a GPU: "
                            "in practice the hardware is obsolete before it pays for itself.")
    mo.md(f"""
    ### Break-even: **{verdict}**

    {explanation}

    | | |
    |---|---|
    | purchase (day one) | **{costs.upfront:,.0f} USD** |
    | power at the meter | {costs.power.facility_power.to("kW").magnitude:,.4g} kW (IT {costs.power.it_power.to("kW").magnitude:,.4g} kW × PUE {costs.power.pue:g}) |
    | owning, per month | **{costs.own_per_month:,.0f} USD** |
    | renting, per month | **{costs.rent_per_month:,.0f} USD** |
    | after {years.value} years: own / rent | {costs.own(12 * years.value) / 1e6:,.4g} / {costs.rent(12 * years.value) / 1e6:,.4g} M USD |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(costs, lab, locked, price, pue, rate, utilization):
    mo.stop(locked is None)
    _e = costs.month.facility_energy.to("kWh").magnitude
    lab.math(
        "Cash flows of a TCO comparison (Barroso, Hölzle & Ranganathan 2018, *The Datacenter as a Computer*, "
        "ch. 6), as `mlsysim.physics.kernels` computes them:\n\n"
        "own(t) = C₀ + (energy + maintenance) × t  ·  rent(t) = rate × N × hours × u × t  ·  "
        "t* = C₀ ÷ (rent per month − own per month)\n\n"
        f"- energy per month = {_e:,.0f} kWh ({costs.power.accelerator_power.to('W').magnitude:.4g} W per GPU at "
        f"{utilization.value:g} utilisation × N × PUE {pue.value:g}) "
        f"× {price.value:g} USD/kWh = **{costs.energy_per_month:,.0f} USD**\n"
        f"- rent per month = {rate.value:g} USD/h × N × {chapter.MONTH_S / 3600:g} h × {utilization.value:g} = **{costs.rent_per_month:,.0f} USD**\n"
        f"- t* = {costs.upfront:,.0f} ÷ ({costs.rent_per_month:,.0f} − {costs.own_per_month:,.0f}) = "
        f"**{costs.break_even_months:.4g} months**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("break_even_when", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Utilisation decides.** The cloud bills only busy hours; an owned GPU costs its purchase whether
      it works or idles. Halve the utilisation and the break-even roughly doubles.
    - **Fleet size does not move the break-even**: purchase, power and rent all scale with N.
    - **Electricity and PUE matter less than they seem.** At a few cents per kWh a GPU's power bill is
      a small fraction of its rental price; the purchase dominates owning.
    - **A break-even past the GPU's useful life is no break-even**: the next generation arrives first.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("break_even_months", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("break_even_months", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("own_total", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("own_total", q2)
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
