import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch04_data_engineering as chapter
    from mlsysim import CpuHosts, Hardware, Models, Preprocessing, Storage

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch04_data_engineering",
        "volume": 1,
        "chapter": 4,
        "title": "Is the GPU starved? Storage, CPU preprocessing and the accelerators' appetite",
        "question": ("Storage reads the samples, CPU cores decode and augment them, and the accelerators consume "
                     "them. Each stage supplies so many samples per second: which one sets the training speed, "
                     "and what does it take to keep the GPUs fed?"),
        "minutes": 25,
        "example_preset": "hw=a100_80gb&gpus=16&storage=s3&cores=64",
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
    predict = lab.prediction("what_binds")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("what_binds", predict)
    lab.show_prediction("what_binds", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "resnet50", "Model (training)")
    hw = lab.dropdown("hw", {Hardware.get(h).name: h for h in chapter.ACCELERATORS}, "h100", "Accelerator")
    gpus = lab.number("gpus", 1, chapter.MAX_GPUS, 8, "Accelerators")
    precision = lab.dropdown("precision", {p: p for p in ("fp16", "bf16", "fp32")}, "fp16", "Precision")
    storage = lab.dropdown("storage", {s.name: s.key for s in Storage.list()}, "local_nvme", "Storage")
    cores = lab.number("cores", 1, chapter.MAX_CORES, 32, "CPU cores for preprocessing")
    cpu_ms = lab.slider("cpu_ms", 0.5, 50.0, 0.1, chapter.DEFAULT_CPU_MS, "CPU time per image (ms of one core)")
    return cores, cpu_ms, gpus, hw, model, precision, storage


@app.cell(hide_code=True)
def _(cores, cpu_ms, gpus, hw, lab, locked, model, precision, storage):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the bars (what each stage supplies), the dashed line "
                     "(what the accelerators consume) and the numbers follow."),
               lab.show_controls(model, hw, gpus, precision, storage, cores, cpu_ms)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(cores, cpu_ms, gpus, hw, lab, model, precision, storage):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "gpus": gpus.value, "precision": precision.value,
                             "storage": storage.value, "cores": cores.value, "cpu_ms": cpu_ms.value})
    data, transform = chapter.pipeline(model.value, hw.value, gpus.value, precision.value, storage.value,
                                       cores.value, cpu_ms.value)
    per_gpu = chapter.trainer(model.value, hw.value, precision.value).throughput.to("1/s").magnitude
    chart = chapter.chart(data, gpus.value, Hardware.get(hw.value).name)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, data, per_gpu, transform, update_ms


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(cores, cpu_ms, data, gpus, hw, locked, model, per_gpu, storage, transform, update_ms):
    mo.stop(locked is None)
    _need = data.demand.to("1/s").magnitude
    _got = data.delivered.to("1/s").magnitude
    _name = Hardware.get(hw.value).name
    _host = CpuHosts.get(chapter.HOST)
    _feed = (f"Keeping them fed takes **{data.cores_needed:,.4g} cores** at {cpu_ms.value:g} ms per image: "
             f"**{transform.hosts_needed:,} × {_host.name}** ({_host.cores} cores each), drawing "
             f"{transform.preprocessing_power.to('kW').magnitude:.3g} kW beside the accelerators' "
             f"{transform.trainers_power.to('kW').magnitude:.3g} kW.")
    if data.binding_stage == "accelerator":
        _slow = min(chapter.stages(data), key=lambda r: r["rate"])
        binding = "the accelerators"
        explanation = (
            f"Every stage keeps up: the slowest, the {_slow['stage']}, supplies **{_slow['rate']:,.0f} samples/s**, "
            f"at least the **{_need:,.0f} samples/s** that {gpus.value} × {_name} consume "
            f"({per_gpu:,.0f} each). The GPUs set the pace ({data.bound.value} bound) and never wait for data. "
            f"{_feed}")
    else:
        _stage = chapter.STAGE_NAMES[data.binding_stage]
        binding = f"the {_stage}"
        explanation = (
            f"The **{_stage}** binds: it supplies **{data.supply.to('1/s').magnitude:,.0f} samples/s** of the "
            f"**{_need:,.0f} samples/s** that {gpus.value} × {_name} could consume ({per_gpu:,.0f} each). Training "
            f"runs at {_got:,.0f} samples/s and the GPUs **wait {data.stall_fraction:.1%} of the time**: faster GPUs "
            f"would wait longer, not train faster. {_feed}")
        if data.binding_stage == "cpu":
            explanation += (f" You give it {cores.value:,} of those cores: add cores, or make each image cheaper "
                            "(smaller crops, decoding on the GPU, data stored pre-processed).")
        else:
            explanation += (f" More cores would not help: {Storage.get(storage.value).name} reads only "
                            f"{data.storage_supply.to('1/s').magnitude:,.0f} images/s; read from a faster tier, or "
                            "add drives, or store smaller samples.")
    _rows = "\n".join(f"| {r['stage']} | {r['rate']:,.0f} samples/s | {r['binds']} |" for r in chapter.stages(data))
    mo.md(f"""
    ### What sets the pace: **{binding}**

    {explanation}

    | stage | supplies | |
    |---|---|---|
    {_rows}
    | accelerators ({gpus.value} × {per_gpu:,.0f}) | **needs {_need:,.0f} samples/s** | |

    The CPU cost per image ({chapter.DEFAULT_CPU_MS:g} ms by default) and the mean image size
    ({data.sample_size.to("kB").magnitude:.4g} kB) are the registry's ImageNet profile; the CPU cost is an
    estimate (measure your own pipeline). The bandwidths are datasheet figures, sequential reads.

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return binding, explanation


@app.cell(hide_code=True)
def _(cores, cpu_ms, data, lab, locked, storage, transform):
    mo.stop(locked is None)
    _ms = cpu_ms.value
    lab.math(
        "Each stage's supply, and the stall (Mohan et al. 2021, *Analyzing and Mitigating Data Stalls in DNN "
        "Training*, PVLDB 14(5)), as `mlsysim.physics.kernels` computes them:\n\n"
        "storage = read bandwidth ÷ bytes per sample  ·  CPU = cores ÷ core-seconds per sample  ·  "
        "stall = 1 − min(supply) ÷ demand\n\n"
        f"- storage = {Storage.get(storage.value).read_bandwidth.to('MB/s').magnitude:,.4g} MB/s ÷ "
        f"{data.sample_size.to('kB').magnitude:.4g} kB = **{data.storage_supply.to('1/s').magnitude:,.0f} samples/s**\n"
        f"- CPU = {cores.value:,} cores ÷ {_ms:g} ms = **{data.cpu_supply.to('1/s').magnitude:,.0f} samples/s**\n"
        + (f"- stall = 1 − {data.supply.to('1/s').magnitude:,.0f} ÷ {data.demand.to('1/s').magnitude:,.0f} = "
           f"**{data.stall_fraction:.1%}**\n" if data.stall_fraction > 0 else
           f"- stall = **0**: the slowest stage, {data.supply.to('1/s').magnitude:,.0f} samples/s, is at least the demand, "
           f"{data.demand.to('1/s').magnitude:,.0f} samples/s\n")
        + f"- cores needed = demand × core-seconds = {data.demand.to('1/s').magnitude:,.0f} × {_ms:g} ms = "
        f"**{data.cores_needed:,.4g}** (Little's law); hosts = ⌈cores ÷ {CpuHosts.get(chapter.HOST).cores}⌉ = "
        f"**{transform.hosts_needed:,}**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("what_binds", locked)
    return


@app.cell(hide_code=True)
def _():
    _jpeg = Preprocessing.get(chapter.PROFILE)
    mo.md(f"""
    ### What to notice

    - **The pipeline runs at its slowest stage.** Whatever the GPUs could do, training goes no
      faster than the stage with the shortest bar; the rest of the time they wait.
    - **Faster accelerators make it worse.** Move to a faster GPU or add GPUs: the demand line
      moves right and the same pipeline starves them more.
    - **Decoding is expensive.** At {_jpeg.cpu_time_per_sample.to("ms").magnitude:g} ms of a core per
      JPEG, one fast GPU consumes the output of many cores (the text gives how many): the CPU hosts
      draw power of their own (compare their kW with the accelerators').
    - **Fix one stage and the next one binds.** Add cores until the CPU bar passes the dashed line:
      then the storage bar may be the shortest, and only a faster tier, more drives or smaller
      samples move it.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("cores_needed", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("cores_needed", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("stall", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("stall", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("hosts", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("hosts", q3)
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
