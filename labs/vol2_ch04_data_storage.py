import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import math
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch04_data_storage as chapter
    from mlsysim import Models, Storage

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch04_data_storage",
        "volume": 2,
        "chapter": 4,
        "title": "Storage tiers at fleet scale: feeding a thousand GPUs and absorbing their checkpoints",
        "question": ("Local NVMe, a shared file system or an object store: which can feed a thousand H100s the "
                     "samples they consume, from how many GPUs on does each fall behind, and how long does each "
                     "take to absorb a checkpoint?"),
        "minutes": 25,
        "example_preset": "tier=s3&gpus=1024&model=llama3_405b&sample_kb=250&per_object=1000&interval_min=30",
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
    predict = lab.prediction("first_short")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("first_short", predict)
    lab.show_prediction("first_short", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    tier = lab.dropdown("tier", {name: key for key, name in chapter.TIERS.items()}, "pfs_tectonic", "Your tier")
    gpus = lab.number("gpus", 8, chapter.MAX_GPUS, 1024, "GPUs (H100, 8 per node)")
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "llama3_70b", "Model checkpointed")
    sample_kb = lab.number("sample_kb", 1, 4000, round(chapter.DEFAULT_SAMPLE_KB, 1), "Sample size (kB)", step=0.1)
    per_object = lab.dropdown("per_object", {"one file per sample": "1", "shards of 100 samples": "100",
                                             "shards of 1,000 samples": "1000"}, "1000", "Samples per object")
    interval_min = lab.slider("interval_min", 1, 240, 1, 30, "Checkpoint interval (minutes)")
    return gpus, interval_min, model, per_object, sample_kb, tier


@app.cell(hide_code=True)
def _(gpus, interval_min, lab, locked, model, per_object, sample_kb, tier):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the lines (what each tier supplies), the dashed line "
                     "(what the fleet consumes), the bars (checkpoint write time) and the numbers follow."),
               lab.show_controls(tier, gpus, model, sample_kb, per_object, interval_min)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(gpus, interval_min, lab, model, per_object, sample_kb, tier):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"tier": tier.value, "gpus": gpus.value, "model": model.value,
                             "sample_kb": sample_kb.value, "per_object": per_object.value,
                             "interval_min": interval_min.value})
    _obj = int(per_object.value)
    fed = {k: chapter.gpus_fed(k, sample_kb.value, _obj) for k in chapter.TIERS}
    feeds = {k: chapter.feed(k, gpus.value, sample_kb.value, _obj) for k in chapter.TIERS}
    data = feeds[tier.value]
    ckpts = {k: chapter.checkpoint(k, gpus.value, model.value) for k in chapter.TIERS}
    ckpt = ckpts[tier.value]
    interval_s = interval_min.value * chapter.MINUTE
    goodput_mine = 100.0 * chapter.goodput_at(ckpt, interval_s)
    supply_chart = chapter.supply_chart(gpus.value, sample_kb.value, _obj)
    ckpt_chart = chapter.checkpoint_chart(ckpts, tier.value)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return ckpt, ckpt_chart, ckpts, controls, data, fed, feeds, goodput_mine, interval_s, supply_chart, update_ms


@app.cell(hide_code=True)
def _(lab, locked, supply_chart):
    mo.stop(locked is None)
    lab.chart(supply_chart)
    return


@app.cell(hide_code=True)
def _(data, fed, feeds, gpus, locked, per_object, sample_kb, tier, update_ms):
    mo.stop(locked is None)
    _names = chapter.TIERS
    _need = data.demand.to("1/s").magnitude
    _short = [k for k in _names if feeds[k].stall_fraction > 0]

    def _limit(k):
        if math.isinf(fed[k]):
            return "never falls behind: it grows with the nodes"
        if fed[k] < 1:
            return "falls behind from the first GPU"
        return f"keeps up to **{math.floor(fed[k]):,} GPUs**"

    if _short:
        _worst = max(_short, key=lambda k: feeds[k].stall_fraction)
        _verdict = (f"At {gpus.value:,} GPUs, **{', '.join(_names[k] for k in _short)}** "
                    f"{'falls' if len(_short) == 1 else 'fall'} short; the worst, the {_names[_worst]}, leaves the GPUs "
                    f"**waiting {feeds[_worst].stall_fraction:.1%} of the time**.")
    else:
        _verdict = f"At {gpus.value:,} GPUs **every tier keeps up**."
    feed_text = (
        f"{gpus.value:,} H100s training ResNet-50 consume **{_need:,.0f} samples/s** "
        f"({chapter.per_gpu_demand():,.0f} each) of {sample_kb.value:g} kB: "
        f"**{data.bandwidth_needed.to('GB/s').magnitude:,.4g} GB/s**. {_verdict} "
        + " ".join(f"The {_names[k]} {_limit(k)}." for k in _names))
    if "s3" in _short and int(per_object.value) == 1:
        feed_text += (" One file per sample is the object store's trap: each GET carries one sample, and a prefix "
                      f"serves {Storage.get('s3').request_rate.to('1/s').magnitude:,.0f} GETs/s; pack samples into shards.")
    mo.md(f"""
    ### Your tier, the {_names[tier.value]}: **{data.delivered.to('1/s').magnitude:,.0f}** of {_need:,.0f} samples/s

    {feed_text}

    | tier | supplies at {gpus.value:,} GPUs | stall | keeps up to |
    |---|---|---|---|
    """ + "\n".join(f"    | {_names[k]} | {feeds[k].storage_supply.to('1/s').magnitude:,.0f} samples/s | "
                    f"{feeds[k].stall_fraction:.1%} | {'any size' if math.isinf(fed[k]) else f'{math.floor(fed[k]):,} GPUs'} |"
                    for k in _names) + f"""

    <small>Python time for this update (inputs → chart specs, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (feed_text,)


@app.cell(hide_code=True)
def _(ckpt_chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(ckpt_chart)
    return


@app.cell(hide_code=True)
def _(ckpt, ckpts, goodput_mine, gpus, interval_min, interval_s, locked, model, tier):
    mo.stop(locked is None)
    _names = chapter.TIERS
    _t = {k: r.checkpoint_time.to("s").magnitude for k, r in ckpts.items()}
    _slow = max(_t, key=_t.get)
    _fast = min(_t, key=_t.get)
    _delta = _t[tier.value]
    _best = ckpt.checkpoint_interval.to("minute").magnitude
    ckpt_text = (
        f"A {Models.get(model.value).name} checkpoint (bf16 weights + Adam state) is "
        f"**{ckpt.checkpoint_size.to('TB').magnitude:.4g} TB**. Written by all {gpus.value // chapter.PER_NODE:,} nodes "
        f"at once it takes **{_t[_fast]:.3g} s** on the {_names[_fast]} (fastest) and **{_t[_slow]:.3g} s** on the "
        f"{_names[_slow]} (slowest). On your tier, the {_names[tier.value]}: **{_delta:.3g} s**, "
        f"**{100 * _delta / interval_s:.2g} %** of your {interval_min.value}-minute interval, for a goodput of "
        f"**{goodput_mine:.1f} %** (the Young-Daly interval on this tier is {_best:.3g} min).")
    if _delta >= interval_s:
        ckpt_text += " **The checkpoint takes longer than the interval**: the job would do nothing but write."
    if tier.value == "dgx_local_nvme":
        ckpt_text += (" Local NVMe is fast because nothing is shared, but a node that dies takes its shard with it: "
                      "the checkpoint still has to be copied to a shared tier to survive a node failure.")
    mo.md(f"### A checkpoint on your tier: **{_delta:.3g} s**\n\n{ckpt_text}")
    return (ckpt_text,)


@app.cell(hide_code=True)
def _(ckpt, data, fed, gpus, locked, per_object, sample_kb, tier):
    mo.stop(locked is None)
    _si = Storage.get(tier.value)._si
    _agg = chapter._ceiling(tier.value, sample_kb.value * 1e3, int(per_object.value))
    _nodes = gpus.value / chapter.PER_NODE
    lab_math = (
        "Each node is one client (Mohan et al. 2021 for the stall; Daly 2006 for the goodput; the S3 request rate "
        "from AWS's performance guide), as `mlsysim.physics.kernels` computes them:\n\n"
        "supply = min(nodes × b, B) ÷ bytes per sample  ·  GPUs fed = B ÷ (d × bytes)  ·  "
        "stall = 1 − supply ÷ demand  ·  checkpoint time = P × 14 B ÷ min(nodes × w, W)\n\n"
        f"- your tier: b = {_si['read_bandwidth'] / 1e9:.4g} GB/s per node, B = "
        + ("none (grows with the nodes)" if math.isinf(_agg) else f"{_agg / 1e9:,.4g} GB/s shared")
        + f"; {_nodes:,.4g} nodes → {data.storage_supply.to('1/s').magnitude:,.0f} samples/s\n"
        f"- demand d = {chapter.per_gpu_demand():,.0f} samples/s per GPU × {gpus.value:,} = "
        f"{data.demand.to('1/s').magnitude:,.0f}; stall = **{data.stall_fraction:.1%}**; GPUs fed = "
        + ("any number" if math.isinf(fed[tier.value]) else f"**{fed[tier.value]:,.0f}**")
        + f"\n- checkpoint {ckpt.checkpoint_size.to('TB').magnitude:.4g} TB ÷ "
        f"{ckpt.checkpoint_size.to('B').magnitude / ckpt.checkpoint_time.to('s').magnitude / 1e9:,.4g} GB/s = "
        f"**{ckpt.checkpoint_time.to('s').magnitude:.4g} s**")
    return (lab_math,)


@app.cell(hide_code=True)
def _(lab, lab_math, locked):
    mo.stop(locked is None)
    lab.math(lab_math)
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("first_short", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Per-node tiers scale; shared tiers saturate.** Local NVMe grows with every node you add, so it keeps up
      at any fleet size or at none. A shared file system gives each node a fast link, but all nodes share one
      ceiling: past a fleet size, adding GPUs adds only stall.
    - **Small objects hit the request rate, not the bandwidth.** An object store serves so many GETs per second;
      one JPEG per GET starves even a handful of GPUs. Shards of many samples (WebDataset, TFRecord) turn a
      request problem back into a bandwidth one.
    - **Bigger samples at the same step rate** (higher-resolution JPEGs cropped to the same input) move every
      crossover left: the GPUs fed fall as 1 / sample size.
    - **Checkpoints are a write burst, shared by all.** Sharded over every node, even a terabyte-scale checkpoint
      takes seconds on a fast tier; on a shared tier its time is set by the ceiling, not by the fleet.
    - These tier figures are partly **estimates** (the NVMe drive model, the node's storage link): the registry says
      which.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("pfs_fed", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("pfs_fed", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("checkpoint_time", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("checkpoint_time", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("pfs_stall", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("pfs_stall", q3)
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
