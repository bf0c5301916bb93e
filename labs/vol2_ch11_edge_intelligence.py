import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import math
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch11_edge_intelligence as chapter
    from mlsysim import Hardware, Models, Networks
    from mlsysim.viz.data import fmt

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch11_edge_intelligence",
        "volume": 2,
        "chapter": 11,
        "title": "Edge thermodynamics: how long does the battery last, and should the phone offload?",
        "question": ("A phone, an edge box or a microcontroller runs a model over and over on a battery. How many "
                     "hours does the battery last at a given rate, can the device shed that heat for good, and from "
                     "which rate on does sending each request to the cloud drain the battery slower?"),
        "minutes": 30,
        "example_preset": "hw=snapdragon_8_gen3&model=bert_base&network=5g&rate=2",
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
    predict = lab.prediction("battery_winner")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("battery_winner", predict)
    lab.show_prediction("battery_winner", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _d = chapter.DEFAULTS
    hw = lab.dropdown("hw", chapter.devices(), _d["hw"], "Device")
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, _d["model"], "Model")
    rate = lab.number("rate", chapter.MIN_RATE, chapter.MAX_RATE, _d["rate"], "Inferences per second", step=0.001)
    battery = lab.dropdown("battery", chapter.batteries(), _d["battery"], "Battery")
    network = lab.dropdown("network", {n.name: n.key for n in Networks.list()}, _d["network"], "Network to the cloud")
    km = lab.number("km", 0, 40000, _d["km"], "Distance to the datacenter (km)")
    payload = lab.number("payload_kb", 0, 10000, _d["payload_kb"], "Request size (kB)", step=0.1)
    return battery, hw, km, model, network, payload, rate


@app.cell(hide_code=True)
def _(battery, hw, km, lab, locked, model, network, payload, rate):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nPick a device, a model and how often it runs; then the battery and the way "
                     "to the cloud. The curves, the verdict and the bars follow."),
               lab.show_controls(hw, model, rate, battery, network, km, payload)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(battery, hw, km, lab, model, network, payload, rate):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"hw": hw.value, "model": model.value, "rate": rate.value, "battery": battery.value,
                             "network": network.value, "km": km.value, "payload_kb": payload.value})
    s = chapter.setting(model.value, hw.value, battery.value, network.value, float(km.value), float(payload.value))
    e = chapter.evaluate(s, float(rate.value))
    net_name = Networks.get(network.value).name
    hours_chart = chapter.hours_chart(s, float(rate.value), net_name)
    latency_chart = chapter.latency_chart(s, e)
    energy_chart = chapter.energy_chart(s, e)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return controls, e, energy_chart, hours_chart, latency_chart, net_name, s, update_ms


@app.cell(hide_code=True)
def _(energy_chart, hours_chart, lab, latency_chart, locked):
    mo.stop(locked is None)
    mo.vstack([lab.chart(hours_chart), lab.chart(latency_chart), lab.chart(energy_chart)])
    return


@app.cell(hide_code=True)
def _(e, hw, locked, model, net_name, rate, s, update_ms):
    mo.stop(locked is None)
    _dev, _mod, _r = Hardware.get(hw.value).name, Models.get(model.value).name, float(rate.value)
    _W, _J = chapter.power_text, chapter.energy_text
    _ways = {"device": "**computing on the device**", "offload": f"**offloading over {net_name}**"}
    if e["winner"] is None:
        _verdict = (f"At **{fmt(_r)} per second** neither way keeps up: the device computes at most "
                    f"{fmt(s.max_dev)} per second{'' if s.fits else ' (and the model does not fit)'}, the uplink "
                    f"carries at most {fmt(s.max_uplink)} requests per second.")
    elif e["dev_ok"] and e["off_ok"]:
        _lose = "offload" if e["winner"] == "device" else "device"
        _h = {"device": e["h_dev"], "offload": e["h_off"]}
        _verdict = (f"At **{fmt(_r)} per second**, {_ways[e['winner']]} drains the battery slower: it lasts "
                    f"**{fmt(_h[e['winner']])} h**, against {fmt(_h[_lose])} h {_ways[_lose].replace('**', '')}.")
    elif e["winner"] == "offload":
        _why = (f"the model does not fit ({s.reason})" if not s.fits else
                f"the device computes at most {fmt(s.max_dev)} per second")
        _verdict = (f"At **{fmt(_r)} per second** only **offloading over {net_name}** works: {_why}. The battery "
                    f"lasts **{fmt(e['h_off'])} h**.")
    else:
        _verdict = (f"At **{fmt(_r)} per second** only **computing on the device** works: the uplink carries at most "
                    f"{fmt(s.max_uplink)} requests of this size per second. The battery lasts **{fmt(e['h_dev'])} h**.")
    if not s.fits:
        _flip = "The device cannot run the model at all, so there is nothing to flip."
    elif s.flip == 0:
        _flip = (f"**At every rate offloading wins**: one inference on the device ({_J(s.e_dev)} above idle) "
                 f"costs more than a whole isolated request, radio tail included ({_J(e['e_off'])} here).")
    elif math.isinf(s.flip):
        _flip = (f"**At no rate does offloading win**: one inference on the device ({_J(s.e_dev)} above "
                 f"idle) costs less than just sending the request ({_J(s.e_tx)}), let alone keeping the "
                 "radio connected.")
    else:
        _reach = ("" if s.flip <= s.max_dev else
                  f" That is faster than the device can compute ({fmt(s.max_dev)} per second), so within its reach "
                  "the device always wins.")
        _flip = (f"**The answer flips at {fmt(s.flip)} inferences per second**: below it the device wins, above it "
                 f"offloading does. Below one request per {fmt(s.t_connected)} s each request pays the radio's whole "
                 f"tail; faster than that the radio never sleeps, its {_W(s.p_radio)} is shared by every request, "
                 f"and each one adds only {_J(s.e_tx)} to send.{_reach}")
    if not s.fits:
        _heat = ""
    elif not e["dev_ok"]:
        _heat = (f"**Heat:** the device cannot compute this fast at all: at most {fmt(s.max_dev)} per second in a "
                 f"burst at its {_W(s.p_burst)} TDP, and about **{fmt(min(s.max_thermal, s.max_dev))} per second** "
                 f"sustained within the {_W(s.p_sustained)} its case sheds for good.")
    elif not e["sustained"]:
        _heat = (f"**Heat:** at this rate the device draws {_W(e['p_dev'])}, more than the "
                 f"{_W(s.p_sustained)} its case can shed for good: it can burst like this (up to its "
                 f"{_W(s.p_burst)} TDP) only until it heats up, then it throttles to about **{fmt(s.max_thermal)} "
                 "per second**.")
    else:
        _heat = (f"**Heat:** on the device it draws {_W(e['p_dev'])}, within the {_W(s.p_sustained)} its case "
                 f"sheds for good; it could sustain up to **{fmt(min(s.max_thermal, s.max_dev))} per second**.")
    explanation = "\n\n".join(x for x in (_verdict, _flip, _heat) if x)
    mo.md(f"""
    ### {"Neither keeps up" if e["winner"] is None else ("The device wins" if e["winner"] == "device" else "Offloading wins")} here

    {_mod} on the {_dev}. {explanation}

    | | on the device | offloaded |
    |---|---|---|
    | average power | {_W(e["p_dev"])}{"" if e["dev_ok"] else " (cannot run)"} | {_W(e["p_off"])}{"" if e["off_ok"] else " (uplink full)"} |
    | battery life | **{fmt(e["h_dev"])} h** | **{fmt(e["h_off"])} h** |
    | battery energy per inference | {_J(e["e_dev"])} | {_J(e["e_off"])} |
    | time to an answer | {fmt(e["lat_dev"] * 1e3)} ms | {fmt(e["lat_off"] * 1e3)} ms |

    Idle and sustained powers, the radio's figures and some battery capacities are estimates (see the registry's
    `edge/energy.toml`); the device's energy is TDP × time, an upper bound.

    <small>Python time for this update (inputs → chart specs, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(e, lab, locked, rate, s):
    mo.stop(locked is None)
    _r, _W, _J = float(rate.value), chapter.power_text, chapter.energy_text
    lab.math(
        "Energy conservation over a long run of inferences (the duty-cycle model of battery-powered devices), the "
        "linear power model (Fan, Weber & Barroso 2007) and the radio's tail (Huang et al., MobiSys 2012), as "
        "`mlsysim.physics.kernels` computes them:\n\n"
        "- energy above idle: E_dev = TDP × t − P_idle × t = "
        f"{_J(s.e_active)} − {_W(s.p_idle)} × {fmt(s.t_dev * 1e3)} ms = **{_J(s.e_dev)}**\n"
        f"- on the device: P = P_idle + E_dev × r = {_W(s.p_idle)} + {_J(s.e_dev)} × {fmt(_r)}/s = "
        f"**{_W(e['p_dev'])}**\n"
        f"- offloaded: P = P_idle + P_radio × min(1, r × t_c) + E_tx × r, with t_c = round trip + tail = "
        f"{fmt(s.round_trip * 1e3)} ms + {fmt(s.tail)} s and E_tx = bytes × energy per byte = {_J(s.e_tx)}: "
        f"**{_W(e['p_off'])}**\n"
        f"- battery life = capacity ÷ P = {fmt(s.capacity / 3600)} Wh ÷ P = **{fmt(e['h_dev'])} h** on the device, "
        f"**{fmt(e['h_off'])} h** offloaded (`kernels.battery_life`)\n"
        f"- sustained rate: P_idle + E_dev × r = P_sustained ⇒ r = ({_W(s.p_sustained)} − {_W(s.p_idle)}) ÷ "
        f"{_J(s.e_dev)} = **{fmt(s.max_thermal)}/s** (`kernels.thermal_sustained_rate`)\n"
        "- the flip: E_dev × r = P_radio + E_tx × r ⇒ r* = P_radio ÷ (E_dev − E_tx) "
        "(`kernels.offload_energy_break_even_rate`; 0 if a device inference costs more than a whole isolated "
        "request, never if it costs less than sending one)")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("battery_winner", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **At low rates the idle power decides.** A phone that runs a small CNN once a second spends
      almost all its battery just being awake: the curves are flat until the inferences' own energy
      rivals the idle draw.
    - **The radio's tail makes sporadic offloading expensive.** After the last byte a cellular radio
      stays connected for about ten seconds; a request every few seconds pays that tail again and again.
      Offloading gets cheap only when requests come so often that the radio never sleeps.
    - **Burst is not sustained.** A phone can draw its peak power for a while, but its case sheds only
      a few watts for good; above that rate it throttles, whatever the battery says.
    - **Small models stay on the device.** Sending a photo costs more energy than a phone NPU spends
      classifying it; only a model that is heavy for the device (a language model) can flip.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("battery_hours", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("battery_hours", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("flip_rate", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("flip_rate", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("sustained_rate", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("sustained_rate", q3)
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
