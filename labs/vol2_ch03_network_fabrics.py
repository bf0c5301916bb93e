import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch03_network_fabrics as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch03_network_fabrics",
        "volume": 2,
        "chapter": 3,
        "title": "Network fabrics: fat-tree, rail, torus or dragonfly, and what each does to a collective",
        "question": ("A fabric is a bisection, an oversubscription and a number of hops. Which of them decides "
                     "how long an all-reduce takes, and which an all-to-all?"),
        "minutes": 25,
        "example_preset": "topology=torus&gpus=2048&oversubscription=2&collective=all_to_all&message=100000000",
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
    predict = lab.prediction("torus_allreduce")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("torus_allreduce", predict)
    lab.show_prediction("torus_allreduce", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    topology = lab.dropdown("topology", chapter.TOPOLOGIES, "fat-tree", "Fabric")
    gpus = lab.number("gpus", chapter.MIN_GPUS, chapter.MAX_GPUS, 1024, "GPUs (one NIC each)")
    oversubscription = lab.slider("oversubscription", 1.0, 8.0, 0.5, 1.0, "Oversubscription of switch tiers (x:1)")
    collective = lab.dropdown("collective", chapter.COLLECTIVES, "allreduce", "Collective")
    message = lab.dropdown("message", chapter.SIZE_OPTIONS, "1000000000", "Message per GPU")
    return collective, gpus, message, oversubscription, topology


@app.cell(hide_code=True)
def _(collective, gpus, lab, locked, message, oversubscription, topology):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nPick a fabric and a collective; the chart draws all four fabrics (yours "
                     f"thick) and marks your message. Every GPU injects {chapter.NIC} (the registry's cluster NIC)."),
               lab.show_controls(topology, gpus, oversubscription, collective, message)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(collective, gpus, lab, message, oversubscription, topology):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"topology": topology.value, "gpus": gpus.value, "oversubscription": oversubscription.value,
                             "collective": collective.value, "message": message.value})
    nbytes = float(message.value)
    result = chapter.solve(topology.value, gpus.value, oversubscription.value, nbytes)
    reference = chapter.solve("fat-tree", gpus.value, 1.0, nbytes)  # non-blocking fat-tree, same GPUs
    chart = chapter.chart(topology.value, gpus.value, oversubscription.value, collective.value, nbytes)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, nbytes, reference, result, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(collective, gpus, locked, nbytes, oversubscription, reference, result, topology, update_ms):
    mo.stop(locked is None)
    _name = chapter.NAMES[topology.value]
    _size = chapter.size_label(nbytes)
    _bw = chapter.BANDWIDTH.to("GB/s").magnitude
    _ar, _a2a = result.allreduce_time.to("ms").magnitude, result.all_to_all_time.to("ms").magnitude
    _ar_bw, _a2a_bw = result.allreduce_bandwidth.to("GB/s").magnitude, result.all_to_all_bandwidth.to("GB/s").magnitude
    _bisection_bound = _a2a_bw < _bw * (1 - 1e-9)
    explanation = (
        f"Your {gpus.value:,}-GPU **{result.shape}** has a bisection of **{result.bisection_bandwidth.to('TB/s').magnitude:,.3g} TB/s**, "
        f"**{100 * result.full_bisection_ratio:.3g} %** of full bisection, and a mean path of "
        f"**{result.mean_hops:.3g} hops** (at most {result.diameter:g}). ")
    if result.allreduce_bandwidth.to("GB/s").magnitude < _bw * (1 - 1e-9):
        explanation += (f"A ring all-reduce only talks to neighbours, but here every GPU's traffic climbs the "
                        f"oversubscribed tiers at once: each gets **{_ar_bw:.3g} GB/s** of its {_bw:.3g}, and the "
                        f"all-reduce of {_size} takes **{_ar:,.4g} ms**. ")
    else:
        explanation += (f"A ring all-reduce only talks to neighbours, so the bisection does not limit it: it runs at "
                        f"the full {_ar_bw:.3g} GB/s and takes **{_ar:,.4g} ms** for {_size}. ")
    if _bisection_bound:
        explanation += (f"An all-to-all sends half of all the data across the bisection, which allows only "
                        f"**{_a2a_bw:.3g} GB/s** per GPU: **{_a2a:,.4g} ms**, bound by the bisection (the locality wall).")
    else:
        explanation += (f"An all-to-all sends half of all the data across the bisection, and this one is wide "
                        f"enough for the NIC's full {_a2a_bw:.3g} GB/s: **{_a2a:,.4g} ms**.")
    if topology.value == "torus" and oversubscription.value > 1:
        explanation += "\n\nA torus has no switch tiers to oversubscribe: the oversubscription control changes nothing on it."
    if topology.value == "rail-optimized":
        explanation += ("\n\nThe engine counts a rail-optimised fabric as a fat-tree whose leaves are rails (its "
                        "same-rail traffic crosses one switch, cross-rail traffic rides NVLink, not modelled here): "
                        "its line lies on the fat-tree's.")
    if not result.feasible:
        explanation += f"\n\n**Capacity:** {result.reason}."
    _mine = _ar if collective.value == "allreduce" else _a2a
    _ref = (reference.allreduce_time if collective.value == "allreduce" else reference.all_to_all_time).to("ms").magnitude
    _ref_note = "" if topology.value == "fat-tree" and oversubscription.value == 1 else f" (a non-blocking fat-tree: {_ref:,.4g} ms)"
    mo.md(f"""
    ### {"All-reduce" if collective.value == "allreduce" else "All-to-all"} of {_size}: **{_mine:,.4g} ms**{_ref_note}

    {explanation}

    | | your fabric | non-blocking fat-tree |
    |---|---|---|
    | shape | {result.shape} | {reference.shape} |
    | bisection | **{result.bisection_bandwidth.to('TB/s').magnitude:,.4g} TB/s** ({result.full_bisection_ratio:.3g} of full) | {reference.bisection_bandwidth.to('TB/s').magnitude:,.4g} TB/s |
    | hops: diameter / mean | {result.diameter:g} / {result.mean_hops:.3g} | {reference.diameter:g} / {reference.mean_hops:.3g} |
    | all-reduce: rate per GPU, time | {_ar_bw:.4g} GB/s, **{_ar:,.4g} ms** | {reference.allreduce_bandwidth.to('GB/s').magnitude:.4g} GB/s, {reference.allreduce_time.to('ms').magnitude:,.4g} ms |
    | all-to-all: rate per GPU, time | {_a2a_bw:.4g} GB/s, **{_a2a:,.4g} ms** | {reference.all_to_all_bandwidth.to('GB/s').magnitude:.4g} GB/s, {reference.all_to_all_time.to('ms').magnitude:,.4g} ms |
    | binding wall | **{result.bound.value if hasattr(result.bound, 'value') else result.bound}** | {reference.bound.value if hasattr(reference.bound, 'value') else reference.bound} |

    <small>Hops are counted, not charged: the per-message latency is the registry's {chapter.LATENCY.to('us').magnitude:g} µs estimate whatever the path.
    Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(gpus, lab, locked, nbytes, result):
    mo.stop(locked is None)
    _n = gpus.value
    _alpha = chapter.LATENCY.to("us").magnitude
    lab.math(
        "Bisection and the alpha-beta collectives (Dally & Towles 2004, Sec. 3.3 and 5.2; Al-Fares et al. 2008; "
        "Kim et al. 2008; Thakur, Rabenseifner & Gropp 2005), as `mlsysim.solvers.topology` computes them:\n\n"
        "bisection = links across the narrowest half-half cut × link bandwidth  ·  "
        "ring all-reduce = 2(N−1) α + 2 (N−1)/N × M ÷ β_ring  ·  all-to-all = (N−1) α + (N−1)/N × M ÷ β_a2a, "
        "β_a2a = min(β, 4 B_bis (N−1)/N²)\n\n"
        f"- bisection = {result.bisection_links:,.4g} links × {result.link_bandwidth.to('GB/s').magnitude:.4g} GB/s = "
        f"**{result.bisection_bandwidth.to('TB/s').magnitude:,.4g} TB/s**\n"
        f"- β_ring = {result.allreduce_bandwidth.to('GB/s').magnitude:.4g} GB/s: all-reduce = 2 × {_n - 1:,} × {_alpha:g} µs + "
        f"2 × {(_n - 1) / _n:.4f} × {chapter.size_label(nbytes)} ÷ β_ring = **{result.allreduce_time.to('ms').magnitude:,.4g} ms**\n"
        f"- β_a2a = min({chapter.BANDWIDTH.to('GB/s').magnitude:.4g}, 4 × {result.bisection_bandwidth.to('GB/s').magnitude:,.4g} × "
        f"{_n - 1:,} ÷ {_n:,}²) GB/s = {result.all_to_all_bandwidth.to('GB/s').magnitude:.4g} GB/s: all-to-all = "
        f"**{result.all_to_all_time.to('ms').magnitude:,.4g} ms**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("torus_allreduce", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **The all-reduce does not care about the bisection.** A ring passes data to neighbours only; a
      torus with a small fraction of a fat-tree's bisection runs it just as fast. Oversubscribed switch tiers do
      hurt it, because every GPU's traffic crosses them at once.
    - **The all-to-all is the bisection's test.** Half of all the data must cross the middle of the
      fabric; a torus's bisection grows like N^(2/3), slower than the N/2 a full fat-tree gives, so its
      all-to-all falls behind as the fabric grows. Move the GPU count and watch the lines part.
    - **Small messages pay latency, large ones bandwidth.** Left of the knee every fabric takes (N−1) or
      2(N−1) latencies whatever its shape; the shapes differ only once the bytes dominate.
    - **A dragonfly trades bisection for fewer, longer cables**: less than full bisection (one global
      link per pair of groups), and short paths: compare the mean hops in the table.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("bisection", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("bisection", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("all_to_all", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("all_to_all", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("allreduce_oversubscribed", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("allreduce_oversubscribed", q3)
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
