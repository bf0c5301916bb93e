import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch07_ml_frameworks as chapter
    from mlsysim import Hardware, Models
    from mlsysim.viz.data import fmt
    from mlsysim.wall_registry import LaunchOverheads

    chapter.prepare()  # the chart templates, efficiency tables and first solves, before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch07_ml_frameworks",
        "volume": 1,
        "chapter": 7,
        "title": "Why a small batch is slow on the fastest GPU: kernel launches, eager and fused",
        "question": ("At batch 1 the fastest GPU can spend more time launching kernels than running them. Where "
                     "does a decode step's time go (compute, memory, launch overhead), and what do fusion and "
                     "a bigger batch buy?"),
        "minutes": 25,
        "example_preset": "model=llama3_8b&hw=a100_80gb&batch=8&kpl=24&fused=4&launch=cuda_stream",
    }


@app.cell(hide_code=True)
async def _():
    # the state this browser saved for the lab, and the link's presets
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
    predict = lab.prediction("small_batch_wall")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("small_batch_wall", predict)
    lab.show_prediction("small_batch_wall", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "gpt2", "Model")
    hw = lab.dropdown("hw", {Hardware.get(h).name: h for h in chapter.HARDWARE}, "h100", "Accelerator")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 1, "Batch (sequences)")
    kpl = lab.dropdown("kpl", {str(k): str(k) for k in chapter.KERNELS_PER_LAYER}, "20", "Eager kernels per layer")
    fused = lab.dropdown("fused", {str(k): str(k) for k in chapter.FUSED_PER_LAYER}, "4", "Fused kernels per layer")
    launch = lab.dropdown("launch", {e.name: e.key for e in LaunchOverheads}, "pytorch_eager", "How kernels launch")
    return batch, fused, hw, kpl, launch, model


@app.cell(hide_code=True)
def _(batch, fused, hw, kpl, lab, launch, locked, model):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nOne decode step: every sequence in the batch gets one new token. The same "
                     "FLOPs and bytes, run eager (many small kernels) or fused (fewer, larger ones)."),
               lab.show_controls(model, hw, batch, kpl, fused, launch)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, fused, hw, kpl, lab, launch, model):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "batch": batch.value, "kpl": kpl.value,
                             "fused": fused.value, "launch": launch.value})
    n_batch, n_kpl, n_fused = int(batch.value), int(kpl.value), int(fused.value)
    eager = chapter.floats(chapter.step(model.value, hw.value, n_batch, n_kpl, launch.value, n_fused))
    fused_step = chapter.floats(chapter.step(model.value, hw.value, n_batch, min(n_fused, n_kpl), launch.value))
    split = chapter.split_chart({f"eager: {eager['kernels']:,} kernels": chapter.parts(eager),
                                 f"fused: {fused_step['kernels']:,} kernels": chapter.parts(fused_step)},
                                [f"{Models.get(model.value).name}, batch {n_batch}", f"on {Hardware.get(hw.value).name}"])
    eager_tps = n_batch / eager["time"]
    # the same step at batch 1, to say what the batch bought (three solves per redraw keep it fast)
    single = chapter.floats(chapter.step(model.value, hw.value, 1, n_kpl, launch.value, n_fused))
    update_ms = (time.perf_counter() - _t0) * 1e3
    return controls, eager, eager_tps, fused_step, n_batch, n_fused, n_kpl, single, split, update_ms


@app.cell(hide_code=True)
def _(lab, locked, split):
    mo.stop(locked is None)
    lab.chart(split)
    return


@app.cell(hide_code=True)
def _(eager, eager_tps, fused_step, hw, locked, model, n_batch, update_ms):
    mo.stop(locked is None)
    _t = chapter.duration
    wall = chapter.bound(eager)
    share = 100.0 * eager["launch_overhead"] / eager["time"]
    speedup = eager["time"] / eager["fused_time"]
    _sets = "memory" if eager["memory_time"] >= eager["compute_time"] else "compute"
    _verdict = {"software": "**launching kernels** takes longer than running them (the Software wall)",
                "memory": "**memory** sets the pace: the kernels wait for the weights to stream in",
                "compute": "**arithmetic** sets the pace: the kernels are busy computing"}[wall]
    explanation = (
        f"Eager, {eager['kernels']:,} kernels: {_verdict}. Of the **{_t(eager['time'])}** step, "
        f"**{share:.3g} %** is launch overhead ({_t(eager['launch_overhead'])}) and "
        f"{_t(eager['kernel_time'])} the kernels themselves, whose time is set by {_sets} "
        f"(compute {_t(eager['compute_time'])}, memory {_t(eager['memory_time'])}). The GPU reaches "
        f"**{eager['achieved_fraction']:.2%} of its peak**: {fmt(eager_tps)} tokens/s.")
    if eager["fused_kernels"] < eager["kernels"]:
        explanation += (f" Fused into {eager['fused_kernels']:,} kernels, the same work takes {_t(eager['fused_time'])}: "
                        f"**{speedup:.3g}× faster**.")
    else:
        explanation += " Fusing into as many kernels as eager launches saves nothing: pick fewer fused kernels per layer."
    if wall == "software":
        explanation += (f" A bigger batch adds work to each kernel but no launches, so at batch {n_batch} the GPU is "
                        "mostly waiting for the host: throughput grows almost for free with the batch.")
    _row = lambda name, key: f"| {name} | {_t(eager[key])} | {_t(fused_step[key])} |\n"  # noqa: E731
    mo.md(f"### Where the step's time goes\n\n{explanation}\n\n| | eager | fused |\n|---|---|---|\n"
          f"| kernels | {eager['kernels']:,} | {fused_step['kernels']:,} |\n"
          + _row("compute time", "compute_time") + _row("memory time", "memory_time")
          + _row("launch overhead", "launch_overhead") + _row("**step**", "time") +
          f"\n<small>The engine's assumptions: {'; '.join(eager['assumptions'])}. The launch costs are registry "
          f"estimates. Python time for this update: <span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    return explanation, share, speedup, wall


@app.cell(hide_code=True)
def _(eager, eager_tps, locked, n_batch, single):
    mo.stop(locked is None)
    _one = 1 / single["time"]
    if n_batch == 1:
        batch_text = (f"At batch 1 the eager step makes **{fmt(_one)} tokens/s**. Raise the batch: each step makes one "
                      "token per sequence, and this text compares it with batch 1.")
    else:
        batch_text = (
            f"At batch {n_batch:,} the eager step makes **{fmt(eager_tps)} tokens/s**, **{eager_tps / _one:,.3g}×** "
            f"batch 1's {fmt(_one)}, for {n_batch:,}× the sequences; the step itself takes "
            f"{eager['time'] / single['time']:,.3g}× as long. While launches or weight reads dominate, extra "
            "sequences ride along almost for free; once the arithmetic dominates, throughput stops growing.")
    mo.md(f"### What the batch buys\n\n{batch_text}")
    return (batch_text,)


@app.cell(hide_code=True)
def _(eager, lab, locked):
    mo.stop(locked is None)
    _t = chapter.duration
    lab.math(
        "The Software wall, as `mlsysim.solvers.efficiency` computes it (Calculon's size-dependent efficiency, "
        "Isaev et al. 2023; launch cost per kernel from the CUDA programming guide):\n\n"
        f"- kernel time = max(FLOPs ÷ (peak × eff_compute), bytes ÷ (bandwidth × eff_memory)) = max("
        f"{_t(eager['compute_time'])}, {_t(eager['memory_time'])}), with eff_compute = "
        f"{eager['compute_efficiency']:g} and eff_memory = {eager['memory_efficiency']:g} for kernels of this size\n"
        f"- launch overhead = kernels × launch cost = {eager['kernels']:,} × "
        f"{_t(eager['launch_overhead'] / eager['kernels'])} = **{_t(eager['launch_overhead'])}**\n"
        f"- step = kernel time + overhead = **{_t(eager['time'])}** (launches do not overlap the kernels)\n"
        f"- fused: the same FLOPs and bytes in {eager['fused_kernels']:,} kernels = **{_t(eager['fused_time'])}**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("small_batch_wall", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **At batch 1 the fastest GPU waits for the host.** Every kernel costs a launch, whatever its size; a
      decode step of small kernels can spend more time launching than computing.
    - **Fusion removes launches, not work.** The FLOPs and bytes stay; the overhead shrinks with the kernel
      count, and larger kernels also run at better efficiency.
    - **A CUDA graph lowers the cost per launch**, fusion the number of launches: compare the two controls.
    - **Batching amortises both launches and weight reads**, which is why serving systems batch requests.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("overhead_share", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("overhead_share", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("fusion_speedup", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("fusion_speedup", q2)
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
