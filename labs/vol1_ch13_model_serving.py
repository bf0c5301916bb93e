import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch13_model_serving as chapter
    from mlsysim import Hardware
    from mlsysim.walls import Wall

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch13_model_serving",
        "volume": 1,
        "chapter": 13,
        "title": "Serving under load: why p99 explodes near capacity, and how many replicas an SLA takes",
        "question": ("Requests arrive at random and wait when every replica is busy. Why does the p99 latency "
                     "explode as the load nears capacity, and how many replicas (and which batching policy) "
                     "keep it within a service-level target?"),
        "minutes": 30,
        "example_preset": "hw=h200&policy=32&replicas=2&rate=20&sla_s=30",
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
    predict = lab.prediction("p99_near_full")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("p99_near_full", predict)
    lab.show_prediction("p99_near_full", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    hw = lab.dropdown("hw", {Hardware.get(h).name: h for h in chapter.ACCELERATORS}, "h100", "Accelerator per replica")
    precision = lab.dropdown("precision", {p: p for p in ("fp16", "fp8")}, "fp16", "Precision")
    policy = lab.dropdown("policy", {k: str(v) for k, v in chapter.POLICIES.items()}, "1", "Batching policy")
    replicas = lab.number("replicas", 1, chapter.MAX_REPLICAS_CONTROL, 1, "Replicas")
    rate = lab.number("rate", 0, 10000, 0.4, "Arrival rate (requests/s)", step=0.001)
    sla = lab.slider("sla_s", 5, 120, 1, 30, "p99 SLA (s)")
    return hw, policy, precision, rate, replicas, sla


@app.cell(hide_code=True)
def _(hw, lab, locked, policy, precision, rate, replicas, sla):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nRaise the arrival rate towards capacity and watch the p99; then add replicas "
                     "or change the batching policy until it is under the SLA."),
               lab.show_controls(hw, precision, policy, replicas, rate, sla)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(hw, lab, policy, precision, rate, replicas, sla):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"hw": hw.value, "precision": precision.value, "policy": policy.value,
                             "replicas": replicas.value, "rate": rate.value, "sla_s": sla.value})
    batch = int(policy.value)
    result = chapter.queue(hw.value, precision.value, batch, replicas.value, rate.value)
    service_s, per_replica, service_src = chapter.service(hw.value, precision.value, batch)
    needed = chapter.replicas_needed(hw.value, precision.value, batch, rate.value, sla.value)
    chart = chapter.chart(result, sla.value, f"Response time against load: {replicas.value} × {Hardware.get(hw.value).name}")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return batch, chart, controls, needed, per_replica, result, service_s, service_src, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(batch, locked, needed, per_replica, policy, rate, replicas, result, service_s, service_src, sla, update_ms):
    mo.stop(locked is None)
    _cap = result.capacity.to("1/s").magnitude
    _slots = f"{replicas.value} replica{'s' if replicas.value > 1 else ''}" + (
        f" × {per_replica} slots" if batch > 1 else "")
    if result.stable:
        _p50, _p99 = result.p50_response.to("s").magnitude, result.p99_response.to("s").magnitude
        meets = _p99 <= sla.value
        verdict = "meets the SLA" if meets else "misses the SLA"
        explanation = (
            f"One request takes **{service_s:.3g} s** to serve ({service_src}); {_slots} can serve at most "
            f"**{_cap:.4g} requests/s**. At {rate.value:g} requests/s the servers are busy **{result.utilization:.0%}** "
            f"of the time; a request waits with probability {result.wait_probability:.0%}, and the p99 response is "
            f"**{_p99:.3g} s** (p50 {_p50:.3g} s): it **{verdict}** of {sla.value} s. "
            + (f"The mean wait, {result.mean_wait.to('s').magnitude:.3g} s, is longer than the service itself: the "
               "queue, not the server, sets the tail." if result.bound is Wall.TAIL_LATENCY else
               f"The mean wait, {result.mean_wait.to('s').magnitude:.3g} s, is shorter than the service: the tail is "
               "mostly the spread of the service times themselves."))
    else:
        meets, verdict = False, "misses the SLA"
        explanation = (
            f"One request takes **{service_s:.3g} s** to serve ({service_src}); {_slots} can serve at most "
            f"**{_cap:.4g} requests/s**, and {rate.value:g} requests/s is at or beyond that: utilisation "
            f"{result.utilization:.3g}. **The queue grows without bound**; no percentile exists (the p99 is not "
            "large, it is undefined). Add replicas or a batching policy with more capacity.")
    if needed is None:
        explanation += (f"\n\n**No number of replicas meets a {sla.value} s p99 with this policy**: even an idle "
                        "replica's own service time has a p99 beyond the SLA. A faster accelerator, a smaller "
                        "batch (shorter service) or a looser SLA is needed.")
    else:
        explanation += (f"\n\nAt {rate.value:g} requests/s the fewest replicas meeting the {sla.value} s p99 with "
                        f"{policy.selected_key}: **{needed}**" + (" (you have enough)." if replicas.value >= needed
                                                                  else f" (you have {replicas.value})."))
    mo.md(f"""
    ### p99 at your load: **{"%.3g s" % result.p99_response.to("s").magnitude if result.stable else "unbounded"}** ({verdict})

    {explanation}

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return explanation, meets


@app.cell(hide_code=True)
def _(lab, locked, rate, result, service_s):
    mo.stop(locked is None)
    _servers = result.servers
    lab.math(
        "The M/M/c queue (Poisson arrivals, exponential service, c servers; Harchol-Balter 2013, *Performance "
        "Modeling and Design of Computer Systems*, Ch. 14), as `mlsysim.physics.kernels` computes it:\n\n"
        "ρ = λ S ÷ c  ·  P(wait) = Erlang C(c, λ S)  ·  P(T > t) from the wait-plus-service mixture; p99: P(T > t) = 0.01\n\n"
        f"- S = {service_s:.4g} s, c = {_servers} servers, λ = {rate.value:g} requests/s → ρ = **{result.utilization:.3g}**\n"
        + (f"- P(wait) = **{result.wait_probability:.3g}**; mean wait = C ÷ (c μ − λ) = "
           f"**{result.mean_wait.to('s').magnitude:.4g} s**; p99 response = **{result.p99_response.to('s').magnitude:.4g} s**\n"
           "- as ρ → 1 the wait grows like 1 ÷ (1 − ρ) (exactly so for one server): halve the idle headroom "
           "and the tail about doubles"
           if result.stable else "- ρ ≥ 1: unstable, the queue grows without bound"))
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("p99_near_full", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The tail is a queue, not a slow server.** Far from capacity the p99 is a few service
      times (exponential service has a long tail of its own); near capacity it grows like
      1 ÷ (1 − ρ) and dwarfs the service time.
    - **Capacity is not a target.** A fleet sized to exactly the arrival rate is unstable; the SLA
      decides how much idle headroom you pay for.
    - **More replicas share one queue better.** With c servers a request waits only when all are
      busy: the same utilisation gives a shorter tail on many servers than on one.
    - **Batching trades latency for capacity.** Continuous batching gives each replica many slots,
      each a little slower: capacity multiplies, but a request's own service time grows, and if its
      p99 alone passes the SLA no number of replicas helps.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("p99", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("p99", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("replicas", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("replicas", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("capacity", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("capacity", q3)
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
