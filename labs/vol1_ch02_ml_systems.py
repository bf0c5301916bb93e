import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch02_ml_systems as chapter
    from mlsysim import Models, Networks

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch02_ml_systems",
        "volume": 1,
        "chapter": 2,
        "title": "Cloud, edge, phone or microcontroller: where should one inference run?",
        "question": ("The same model can run on a datacenter GPU, an edge box, a phone or a microcontroller. "
                     "Where does it fit, where is it fast, what does one inference cost in energy, and when "
                     "does sending it across the network beat computing on the device?"),
        "minutes": 25,
        "example_preset": "model=gpt2&mobile=pixel8&network=lte&km=3000",
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
    predict = lab.prediction("where_faster")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("where_faster", predict)
    lab.show_prediction("where_faster", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "mobilenetv2", "Model")
    cloud = lab.dropdown("cloud", chapter.devices("cloud"), chapter.DEFAULTS["cloud"], "Cloud GPU")
    edge = lab.dropdown("edge", chapter.devices("edge"), chapter.DEFAULTS["edge"], "Edge box")
    mobile = lab.dropdown("mobile", chapter.devices("mobile"), chapter.DEFAULTS["mobile"], "Phone")
    tiny = lab.dropdown("tiny", chapter.devices("tiny"), chapter.DEFAULTS["tiny"], "Microcontroller")
    network = lab.dropdown("network", {n.name: n.key for n in Networks.list()}, "5g", "Network to the cloud")
    km = lab.number("km", 0, chapter.MAX_KM, 1000, "Distance to the datacenter (km)")
    hops = lab.slider("hops", 0, 40, 1, chapter.DEFAULT_HOPS, "Router hops")
    payload = lab.number("payload_kb", 0, 10000, round(chapter.DEFAULT_PAYLOAD_KB, 1), "Request size (kB)", step=0.1)
    return cloud, edge, hops, km, mobile, model, network, payload, tiny


@app.cell(hide_code=True)
def _(cloud, edge, hops, km, lab, locked, mobile, model, network, payload, tiny):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nPick the model and a device per tier, then move the datacenter away; "
                     "the chart, the verdict and the table follow."),
               lab.show_controls(model, cloud, edge, mobile, tiny, network, km, hops, payload)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(cloud, edge, hops, km, lab, mobile, model, network, payload, tiny):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "cloud": cloud.value, "edge": edge.value, "mobile": mobile.value,
                             "tiny": tiny.value, "network": network.value, "km": km.value, "hops": hops.value,
                             "payload_kb": payload.value})
    devices = {"cloud": cloud.value, "edge": edge.value, "mobile": mobile.value, "tiny": tiny.value}
    cmp = chapter.compare(model.value, devices, network.value, km.value, hops.value, payload.value)
    chart = chapter.chart(cmp, network.value, km.value, hops.value, payload.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, cmp, controls, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(cmp, km, locked, model, network, update_ms):
    mo.stop(locked is None)
    _cloud, _fast = cmp["rows"][0], cmp["fastest"]
    _p = {k: v * 1e3 for k, v in cmp["parts"].items()}
    _net = Networks.get(network.value).name
    _lines = []
    for _r in cmp["rows"][1:]:
        _name = f"the **{_r['device']}** ({_r['tier']})"
        if not _r["fits"]:
            _lines.append(f"- {_name}: **does not fit** ({_r['reason']}); it cannot run the model at all.")
        elif _r["break_even_km"] <= 0:
            _lines.append(f"- {_name}: {_r['compute_ms']:.3g} ms on the device. The cloud **never** beats it: the "
                          f"round trip's fixed part (access, hops, upload) is already longer, at any distance.")
        else:
            _side = "so here the cloud answers first" if km.value < _r["break_even_km"] else "so here the device answers first"
            _lines.append(f"- {_name}: {_r['compute_ms']:.3g} ms on the device. The cloud beats it for a datacenter "
                          f"closer than **{_r['break_even_km']:,.0f} km**, {_side}.")
    _verdict = (f"the **{_fast['device']}** ({_fast['tier']}), in **{_fast['total_ms']:.3g} ms**" if _fast
                else "nowhere: no device fits it")
    explanation = (
        f"{Models.get(model.value).name} answers fastest on {_verdict}. Reached over {_net}, the datacenter "
        f"{km.value:,} km away answers in **{_cloud['total_ms']:.3g} ms**: the {_cloud['device']} computes for only "
        f"{_cloud['compute_ms']:.3g} ms; the rest is the network, **{cmp['network_s'] * 1e3:.3g} ms** (access "
        f"{_p['access']:.3g} ms, light in fibre {_p['propagation']:.3g} ms, router hops {_p['hops']:.3g} ms, "
        f"upload {_p['upload']:.3g} ms).\n\n" + "\n".join(_lines))
    _rows = "\n".join(
        f"| {r['tier']} | {r['device']} | {r['total_ms']:.3g} ms{'' if r['fits'] else ' (if it fitted)'} | "
        f"{r['energy_mj']:.3g} mJ | {chapter.size_text(r['footprint_mb'])} of {chapter.size_text(r['capacity_mb'])} | "
        f"{'yes' if r['fits'] else '**no**'} |"
        for r in cmp["rows"])
    mo.md(f"""
    ### Fastest here: {"**" + _fast["tier"] + "**" if _fast else "**nowhere**"}

    {explanation}

    | tier | device | time to answer | energy per inference (device, TDP × time) | memory | fits |
    |---|---|---|---|---|---|
    {_rows}

    The cloud's time includes the network; its energy is the GPU's alone (the phone's radio is not counted).
    Energies are upper bounds: TDP × time. The network figures are typical values (registry estimates).

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(cmp, hops, km, lab, locked, network, payload):
    mo.stop(locked is None)
    _n = Networks.get(network.value)
    _p = {k: v * 1e3 for k, v in cmp["parts"].items()}
    lab.math(
        "The round trip, as the sum of a network's delays (Kurose & Ross, *Computer Networking*, 8th ed., Sec. 1.4), "
        "as `mlsysim.physics.kernels.network_round_trip` computes it:\n\n"
        "round trip = access + 2 × (d ÷ v + hops × per-hop delay) + request bytes ÷ uplink,  v = c ÷ n\n\n"
        f"- v = c ÷ {_n.group_index} (the fibre's group index) ≈ {chapter._link(network.value)[0] / 1e6:.4g} km/ms\n"
        f"- round trip = {_p['access']:.3g} + 2 × ({km.value:,} km ÷ v + {hops.value} × "
        f"{_n.hop_delay.to('ms').magnitude:g} ms) + {payload.value:g} kB ÷ {_n.uplink_bandwidth.to('Mbit/s').magnitude:g} "
        f"Mbit/s = {_p['access']:.3g} + {_p['propagation']:.3g} + {_p['hops']:.3g} + {_p['upload']:.3g} = "
        f"**{cmp['network_s'] * 1e3:.4g} ms**\n"
        f"- the cloud answers first while t_cloud + round trip < t_device, i.e. for d < d* = (t_device − t_cloud − "
        f"t_fixed) × v ÷ 2 (`kernels.offload_break_even_distance`)\n"
        "- on each device: time = max(compute, memory) + dispatch (the roofline, `Engine.solve`); energy = TDP × time")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("where_faster", locked)
    return


@app.cell(hide_code=True)
def _():
    _far = chapter.round_trip_parts("5g", 10000, 0, 0)["propagation"] * 1e3  # light alone, 10,000 km and back
    mo.md(f"""
    ### What to notice

    - **A small model is fastest where it already is.** A fast GPU saves microseconds of arithmetic;
      the network costs milliseconds before the first byte is computed. Most of that is the access
      network and the upload, not the speed of light.
    - **Light is slow at planetary scale.** In fibre, light alone takes **{_far:.3g} ms** to reach a
      datacenter 10,000 km away and come back: a delay no hardware can remove.
    - **Offloading pays when the device is slow or cannot hold the model**: a language model on a
      phone, anything bigger than a keyword spotter on a microcontroller. Then the break-even
      distance is thousands of kilometres.
    - **Memory decides first.** A microcontroller with hundreds of kilobytes cannot run a model of
      megabytes at any speed: the capacity wall comes before the latency question.
    - **Energy per inference spans orders of magnitude**, and a fast chip with a high TDP is not
      always the frugal one: compare the rows.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("round_trip", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("round_trip", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("break_even", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("break_even", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("energy", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("energy", q3)
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
