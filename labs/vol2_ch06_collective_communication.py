import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch06_collective_communication as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch06_collective_communication",
        "volume": 2,
        "chapter": 6,
        "title": "Ring or tree? The alpha-beta model of an all-reduce, and where the two cross",
        "question": ("Every all-reduce pays a latency per message (α) and a time per byte (1/β). A ring pays "
                     "many latencies and few bytes, a tree few latencies and many bytes: at what message size "
                     "does the winner change, and what does splitting it by server buy?"),
        "minutes": 25,
        "example_preset": "algorithm=tree&gpus=256&message=100000&alpha_us=10&bw_gbps=25",
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
    predict = lab.prediction("crossover_guess")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("crossover_guess", predict)
    lab.show_prediction("crossover_guess", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    algorithm = lab.dropdown("algorithm", chapter.ALGORITHMS, "ring", "Algorithm")
    gpus = lab.dropdown("gpus", chapter.GPU_OPTIONS, "1024", "GPUs (N)")
    message = lab.dropdown("message", chapter.SIZE_OPTIONS, "1000000", "Message per GPU (M)")
    alpha_us = lab.slider("alpha_us", 0.5, 20.0, 0.5, chapter.DEFAULT_ALPHA_US, "Latency per message α (µs)")
    bw_gbps = lab.slider("bw_gbps", 5, 200, 5, chapter.DEFAULT_BW_GBPS, "Bandwidth β (GB/s per GPU)")
    return algorithm, alpha_us, bw_gbps, gpus, message


@app.cell(hide_code=True)
def _(algorithm, alpha_us, bw_gbps, gpus, lab, locked, message):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nThe chart draws all three algorithms and marks where ring and tree cross; "
                     "your choice is the diamond. α and β are the links between servers; inside a server the "
                     f"hierarchical all-reduce uses NVLink (the registry's {chapter.INTRA_BW / 1e9:g} GB/s per GPU)."),
               lab.show_controls(algorithm, gpus, message, alpha_us, bw_gbps)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(algorithm, alpha_us, bw_gbps, gpus, lab, message):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"algorithm": algorithm.value, "gpus": gpus.value, "message": message.value,
                             "alpha_us": alpha_us.value, "bw_gbps": bw_gbps.value})
    n, nbytes = int(gpus.value), float(message.value)
    t = chapter.times(n, nbytes, alpha_us.value, bw_gbps.value)
    cross = chapter.crossover(n, alpha_us.value, bw_gbps.value)
    best = chapter.fastest(t)
    chart = chapter.chart(algorithm.value, n, nbytes, alpha_us.value, bw_gbps.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return best, chart, controls, cross, n, nbytes, t, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(algorithm, best, cross, locked, n, nbytes, t, update_ms):
    mo.stop(locked is None)
    _size = chapter.size_label(nbytes)
    _ms = {a: 1e3 * v for a, v in t.items()}
    _mine = algorithm.value
    if cross <= 0:
        _where = (f"On {n} GPUs the ring takes no more latencies than the tree, so **the ring is never slower** "
                  "than the tree, at any message size.")
    elif nbytes < cross:
        _where = (f"Your {_size} is **below the crossover, {chapter.size_label(cross)}**: the latencies dominate, "
                  f"and the tree's 2 log₂ N of them beat the ring's 2(N−1).")
    elif nbytes > cross:
        _where = (f"Your {_size} is **above the crossover, {chapter.size_label(cross)}**: the bytes dominate, and "
                  "the ring, which sends each byte about twice in all, beats the tree, which sends the whole "
                  "message at every level.")
    else:
        _where = f"Your {_size} is **at the crossover**: ring and tree take the same time."
    explanation = (
        f"All-reduce of **{_size}** per GPU on **{n:,} GPUs**: ring **{_ms['ring']:,.4g} ms**, tree "
        f"**{_ms['tree']:,.4g} ms**, hierarchical **{_ms['hierarchical']:,.4g} ms**. {_where} "
        f"The fastest of the three here is the **{chapter.NAMES[best]}**"
        + ("." if best == _mine else f", not your {chapter.NAMES[_mine]}."))
    if n > chapter.PER_SERVER:
        _local, _nodes = chapter.servers(n)
        explanation += (
            f"\n\nThe hierarchical all-reduce splits the work by server: inside each of the {_nodes:,} servers the "
            f"{_local} GPUs reduce-scatter over NVLink, then {_local} rings, one per GPU and NIC, each all-reduce "
            f"1/{_local} of the message across the servers with 2({_nodes:,}−1) latencies instead of 2({n:,}−1).")
    else:
        explanation += ("\n\nAll the GPUs are in one server: the hierarchical all-reduce is a ring on NVLink, with "
                        "no traffic between servers.")
    _head = f"{chapter.NAMES[_mine]}: {_ms[_mine]:,.4g} ms"
    mo.md(f"""
    ### {_head} (fastest: {chapter.NAMES[best]}, {_ms[best]:,.4g} ms)

    {explanation}

    | | ring | tree | hierarchical |
    |---|---|---|---|
    | time for {_size} | **{_ms['ring']:,.4g} ms** | **{_ms['tree']:,.4g} ms** | **{_ms['hierarchical']:,.4g} ms** |
    | ring = tree at | {chapter.size_label(cross) if cross > 0 else "never (ring always at least as fast)"} | | |

    <small>The tree is the textbook binary tree, not pipelined (NCCL's pipelined trees do better on large messages).
    Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(alpha_us, bw_gbps, cross, lab, locked, n, nbytes, t):
    mo.stop(locked is None)
    _depth = chapter.tree_depth(n)
    _local, _nodes = chapter.servers(n)
    lab.math(
        "The alpha-beta model (Hockney 1994) of the all-reduces of Thakur, Rabenseifner & Gropp (2005, Sec. 4) and "
        "the two-level one of Jia et al. (2018, Sec. 3.3), as `mlsysim.physics.kernels` computes them:\n\n"
        "ring = 2(N−1) α + 2 (N−1)/N × M/β  ·  tree = 2 L (α + M/β), L = ⌈log₂ N⌉  ·  "
        "crossover M* = α β (N−1−L) ÷ (L − (N−1)/N)\n\n"
        f"- ring = 2 × {n - 1:,} × {alpha_us.value:g} µs + 2 × {(n - 1) / n:.4f} × {chapter.size_label(nbytes)} ÷ "
        f"{bw_gbps.value:g} GB/s = **{1e3 * t['ring']:,.4g} ms**\n"
        f"- tree = 2 × {_depth} × ({alpha_us.value:g} µs + {chapter.size_label(nbytes)} ÷ {bw_gbps.value:g} GB/s) = "
        f"**{1e3 * t['tree']:,.4g} ms**\n"
        f"- M* = {alpha_us.value:g} µs × {bw_gbps.value:g} GB/s × {n - 1 - _depth:,} ÷ ({_depth} − {(n - 1) / n:.4f}) = "
        f"**{chapter.size_label(cross) if cross > 0 else '0 (the tree never wins)'}**\n"
        f"- hierarchical = 2({_local}−1) α_in + 2 ({_local}−1)/{_local} × M ÷ {chapter.INTRA_BW / 1e9:g} GB/s + "
        f"ring(M/{_local}, {_nodes:,} servers) = **{1e3 * t['hierarchical']:,.4g} ms**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("crossover_guess", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Two regimes.** Left of the crossover each line is flat: the time is the latencies. Right of it the
      lines rise with the message: the time is the bytes. The ring's latency bill grows with N, so on a
      big fleet the crossover moves to large messages.
    - **α moves the crossover, and so does β.** The crossover is α β times a factor of N: a faster link or
      a slower handshake both make more messages "small". Double either and watch the dashed line.
    - **Hierarchy cuts both bills.** Splitting by server takes the ring's latencies from 2(N−1) to about
      2 × (servers − 1), and sends only 1/8 of the message per NIC across the fabric.
    - **Gradients are large, tensor-parallel activations and MoE tokens often are not**: the same fleet
      wants different algorithms for different traffic, which is why NCCL picks per call.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("crossover", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("crossover", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("ring_time", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("ring_time", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("hierarchical", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("hierarchical", q3)
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
