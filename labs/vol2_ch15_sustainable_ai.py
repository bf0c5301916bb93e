import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch15_sustainable_ai as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch15_sustainable_ai",
        "volume": 2,
        "chapter": 15,
        "title": "The carbon budget: one training run on every grid, embodied against operational, and water",
        "question": ("The same run, on the same GPUs, emits a hundred times more carbon on one grid than on another. "
                     "Where does a run's footprint come from, and when does making the GPUs outweigh powering them?"),
        "minutes": 25,
        "example_preset": "grid=poland&gpus=4096&days=90&pue=1.4&lifetime=3",
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
    predict = lab.prediction("quebec_bound")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("quebec_bound", predict)
    lab.show_prediction("quebec_bound", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    grid = lab.dropdown("grid", chapter.grids(), "quebec", "Grid region")
    gpus = lab.number("gpus", 1, chapter.MAX_GPUS, 1024, "Fleet size (H100s)")
    days = lab.number("days", 1, 365, 30, "Duration (days)")
    pue = lab.slider("pue", 1.0, 2.0, 0.01, 1.15, "PUE")
    lifetime = lab.slider("lifetime", 1.0, 10.0, 0.5, 4.0, "Hardware lifetime (years)")
    return days, gpus, grid, lifetime, pue


@app.cell(hide_code=True)
def _(days, gpus, grid, lab, lifetime, locked, pue):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; every region is recomputed, the one you chose is highlighted."),
               lab.show_controls(grid, gpus, days, pue, lifetime)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(days, gpus, grid, lab, lifetime, pue):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"grid": grid.value, "gpus": gpus.value, "days": days.value, "pue": pue.value,
                             "lifetime": lifetime.value})
    results = chapter.compare(gpus.value, days.value, pue.value, lifetime.value)
    result = next(r for r in results.values() if r.grid == chapter.Grids.get(grid.value).name)
    ranked = sorted(results.values(), key=lambda r: chapter.tonnes(r.total_carbon))
    cleanest, dirtiest = ranked[0], ranked[-1]
    share = chapter.embodied_share(result)
    carbon_chart = chapter.carbon_chart(results)
    water_chart = chapter.water_chart(results, result.grid)
    share_chart = chapter.share_chart(result)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (carbon_chart, cleanest, controls, dirtiest, ranked, result, results, share, share_chart, update_ms,
            water_chart)


@app.cell(hide_code=True)
def _(carbon_chart, lab, locked, share_chart, water_chart):
    mo.stop(locked is None)
    mo.vstack([lab.chart(share_chart), lab.chart(carbon_chart), lab.chart(water_chart)])
    return


@app.cell(hide_code=True)
def _(cleanest, days, dirtiest, gpus, locked, ranked, result, share, update_ms):
    mo.stop(locked is None)
    _t = chapter.tonnes
    _bound = str(result.dominant)  # "operational" or "embodied"
    _rank = [r.grid for r in ranked].index(result.grid) + 1
    _wettest = max((r for r in ranked if r.water is not None), key=lambda r: r.water.to("L").magnitude)
    explanation = (
        f"{gpus.value:,} H100s for {days.value} days draw **{result.facility_energy.to('MWh').magnitude:,.4g} MWh** "
        f"at the meter. In **{result.grid}** ({result.carbon_intensity.to('gCO2e/kWh').magnitude:g} gCO2e/kWh) that "
        f"is **{_t(result.operational_carbon):,.4g} t CO2e** of operational carbon, against "
        f"**{_t(result.embodied_carbon):,.4g} t** embodied (this run's share of making the GPUs): the larger part is "
        f"**{_bound}**, and embodied carbon is **{share:.0f} %** of the total. Of {len(ranked)} regions this one "
        f"ranks {_rank} from the cleanest; the same run emits **{_t(cleanest.total_carbon):,.4g} t** in "
        f"{cleanest.grid} and **{_t(dirtiest.total_carbon):,.4g} t** in {dirtiest.grid}.")
    if result.water is not None:
        explanation += (f" Cooling consumes **{result.water.to('m^3').magnitude:,.4g} m³** of water here; the "
                        f"thirstiest region, {_wettest.grid}, would use {_wettest.water.to('m^3').magnitude:,.4g} m³.")
    mo.md(f"""
    ### In {result.grid}: **{_t(result.total_carbon):,.4g} t CO2e**, mostly **{_bound}**

    {explanation}

    | | |
    |---|---|
    | facility energy | **{result.facility_energy.to("MWh").magnitude:,.4g} MWh** (IT {result.it_energy.to("MWh").magnitude:,.4g} MWh × PUE {result.pue:g}) |
    | operational carbon | **{_t(result.operational_carbon):,.4g} t CO2e** |
    | embodied carbon | **{_t(result.embodied_carbon):,.4g} t CO2e** ({share:.0f} % of the total) |
    | water | **{"not listed" if result.water is None else f"{result.water.to('m^3').magnitude:,.4g} m³"}** |

    <small>Python time for this update (inputs → chart specs, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(days, gpus, lab, lifetime, locked, result):
    mo.stop(locked is None)
    lab.math(
        "The Green Grid (2007, PUE; 2011, WUE), Patterson et al. (2021), Luccioni et al. (2023), as "
        "`mlsysim.physics.kernels` and `SustainabilityModel` compute them:\n\n"
        "operational = N × P × t × PUE × intensity  ·  embodied = N × E × t ÷ lifetime  ·  water = N × P × t × WUE\n\n"
        f"- power per GPU P = {result.accelerator_power.to('W').magnitude:g} W; IT energy = {gpus.value:,} × "
        f"{result.accelerator_power.to('W').magnitude:g} W × {days.value} days = "
        f"**{result.it_energy.to('MWh').magnitude:,.4g} MWh**\n"
        f"- operational = {result.it_energy.to('MWh').magnitude:,.4g} MWh × {result.pue:g} × "
        f"{result.carbon_intensity.to('gCO2e/kWh').magnitude:g} gCO2e/kWh = "
        f"**{chapter.tonnes(result.operational_carbon):,.4g} t**\n"
        f"- embodied = {gpus.value:,} × E × {days.value} days ÷ {lifetime.value:g} years = "
        f"**{chapter.tonnes(result.embodied_carbon):,.4g} t** (E = {chapter.DEFAULT_EMBODIED_CARBON_KG:g} kgCO2e per GPU, "
        "an estimate)\n"
        + (f"- water = IT energy × WUE = **{result.water.to('m^3').magnitude:,.4g} m³**" if result.water is not None else ""))
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("quebec_bound", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The grid is the biggest lever.** Same GPUs, same hours: the carbon spans two orders of
      magnitude between hydro (Quebec, Norway) and coal (Poland, India). Moving the job beats any
      efficiency tweak.
    - **On a clean grid, the factory dominates.** Where electricity is nearly carbon-free, the GPUs'
      manufacturing (embodied carbon) is most of the footprint; keeping hardware longer shrinks it.
    - **PUE scales the electricity, not the factory**: it multiplies operational carbon only.
    - **Water follows climate, not carbon.** A clean grid can be thirsty, and hot humid regions that
      cool by evaporation use several times the water of cold ones.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("operational_t", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("operational_t", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("water_m3", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("water_m3", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("embodied_share", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("embodied_share", q3)
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
