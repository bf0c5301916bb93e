import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch05_distributed_training as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch05_distributed_training",
        "volume": 2,
        "chapter": 5,
        "title": "The parallelism puzzle: TP, PP and DP for a model on a fleet",
        "question": ("Llama-3-70B on 256 GPUs: how do you split it (tensor, pipeline and data parallel), "
                     "what fits in 80 GB, what is fastest, and does your layout beat the optimizer's?"),
        "minutes": 30,
        "example_preset": "model=llama3_8b&fleet=frontier8k&tp=4&pp=2&microbatches=1&zero=2&recompute=full",
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
    predict = lab.prediction("best_kind")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("best_kind", predict)
    lab.show_prediction("best_kind", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    _opts = lambda xs: {str(x): str(x) for x in xs}
    model = lab.dropdown("model", chapter.MODELS, "llama3_70b", "Model")
    fleet = lab.dropdown("fleet", chapter.FLEETS, "research256", "Fleet")
    recompute = lab.dropdown("recompute", chapter.RECOMPUTE, "selective", "Activation recompute")
    tp = lab.dropdown("tp", _opts(chapter.TP_OPTIONS), "8", "TP (tensor parallel)")
    pp = lab.dropdown("pp", _opts(chapter.PP_OPTIONS), "4", "PP (pipeline stages)")
    microbatches = lab.dropdown("microbatches", _opts(chapter.MICROBATCH_OPTIONS), "128", "Micro-batches per replica")
    zero = lab.dropdown("zero", _opts([0, 1, 2, 3]), "1", "ZeRO stage")
    return fleet, microbatches, model, pp, recompute, tp, zero


@app.cell(hide_code=True)
def _(fleet, lab, locked, microbatches, model, pp, recompute, tp, zero):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md(f"### Explore\n\nThe global batch is {chapter.BATCH:,} sequences; DP is what is left: "
                     "GPUs ÷ (TP × PP). Choose a layout; the optimizer's best is drawn beside it."),
               lab.show_controls(model, fleet, recompute, tp, pp, microbatches, zero)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(fleet, lab, microbatches, model, pp, recompute, tp, zero):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "fleet": fleet.value, "tp": tp.value, "pp": pp.value,
                             "microbatches": microbatches.value, "zero": zero.value, "recompute": recompute.value})
    mine = chapter.layout(model.value, fleet.value, int(tp.value), int(pp.value), int(microbatches.value),
                          int(zero.value), recompute.value)
    search = chapter.best(model.value, fleet.value, recompute.value)
    top = search.best
    valid = not isinstance(mine, chapter.InputError)
    chart = chapter.chart(mine, top, f"{chapter.model_of(model.value).name}: where a step's time goes")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return chart, controls, mine, search, top, update_ms, valid


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(locked, mine, search, top, update_ms, valid):
    mo.stop(locked is None)
    _s = lambda q: q.to("s").magnitude
    if top is None:
        _best = f"**No layout fits** this model on this fleet: {search.reason}."
    else:
        _best = (f"The optimizer searched **{search.total_searched}** layouts; **{search.feasible_count}** fit. "
                 f"It ranks first **{chapter.describe(top)}**: **{_s(top.step_time):.3g} s** per step, "
                 f"{top.memory_per_accelerator.to('GB').magnitude:.3g} GB per GPU, scaling efficiency "
                 f"{top.scaling_efficiency:.0%}, bound by the **{top.bound.value}** wall.")
    if not valid:
        _yours = f"**Not a layout:** `{mine.field}` = {mine.value} must be {mine.accepted}."
        _rows = ""
    else:
        _gb, _cap = mine.memory_per_accelerator.to("GB").magnitude, mine.memory_capacity.to("GB").magnitude
        _fit = (f"fits: **{_gb:.3g} GB** of {_cap:.3g} GB per GPU" if mine.feasible else
                f"**does not fit**: it needs **{_gb:.3g} GB** per GPU and a GPU has {_cap:.3g} GB")
        _yours = (f"Your layout, **{chapter.describe(mine)}**, {_fit}. Its step takes **{_s(mine.step_time):.3g} s**: "
                  f"compute {_s(mine.compute_time):.3g} s, and the pipeline bubble is "
                  f"**{mine.bubble_fraction:.1%}** of the pipeline's time. What sets the step: "
                  f"**{mine.limiter}**; the binding wall: **{mine.bound.value}**.")
        if mine.feasible and top is not None:
            _ratio = _s(mine.step_time) / _s(top.step_time)
            _yours += (" It is the optimizer's best." if _ratio <= 1.0005 else
                       f" It is **{_ratio:.2f}×** slower than the optimizer's best.")
        _rows = "\n".join(f"| {n} | {v:.4g} s |" for n, v in chapter.parts_s(mine).items())
        _rows = (f"| your layout's step | **{_s(mine.step_time):.4g} s** |\n{_rows}\n"
                 f"| memory per GPU (weights + gradients + optimizer + activations) | **{_gb:.4g} GB** of {_cap:.4g} |")
    explanation = f"{_yours}\n\n{_best}"
    _table = f"| | |\n|---|---|\n{_rows}\n\n" if _rows else ""
    mo.md("### Your layout against the optimizer's\n\n" + explanation + "\n\n" + _table
          + "<small>Python time for this update (inputs → chart spec, in this page): "
          f"<span id=\"update-ms\">{update_ms:.1f} ms</span></small>")
    return (explanation,)


@app.cell(hide_code=True)
def _(lab, locked, mine, valid):
    mo.stop(locked is None or not valid)
    _p, _m = mine.pp_size, mine.microbatch_count
    lab.math(
        "Megatron-LM's 3-D layout (Narayanan et al. 2021, SC '21), as `mlsysim.physics.kernels` computes it:\n\n"
        "DP = N ÷ (TP × PP)  ·  bubble = (P − 1)/(M + P − 1)  ·  compute = 6 × parameters × tokens ÷ (N × peak × "
        "efficiency)  ·  weights, gradients and Adam state split over TP × PP, and over DP by ZeRO\n\n"
        f"- DP = {mine.total_accelerators:,} ÷ ({mine.tp_size} × {_p}) = **{mine.dp_size}**; each replica takes "
        f"{mine.global_batch // mine.dp_size} sequences in {_m} micro-batches of {mine.microbatch_size}\n"
        f"- bubble = ({_p} − 1)/({_m} + {_p} − 1) = **{mine.bubble_fraction:.2%}**\n"
        f"- compute = 6 × parameters × {mine.global_batch:,} × {mine.seq_len:,} tokens = "
        f"{mine.model_flops.to('PFLOP').magnitude:,.0f} PFLOP ÷ the fleet's rate = "
        f"**{mine.compute_time.to('s').magnitude:.4g} s**\n"
        f"- memory = {mine.weight_memory.to('GB').magnitude:.3g} + {mine.gradient_memory.to('GB').magnitude:.3g} + "
        f"{mine.optimizer_memory.to('GB').magnitude:.3g} + {mine.activation_memory.to('GB').magnitude:.3g} GB = "
        f"**{mine.memory_per_accelerator.to('GB').magnitude:.4g} GB** (H100/A100 capacity and link speeds are "
        "datasheet values; efficiency is the engine's default estimate)")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("best_kind", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **TP lives inside a node.** Tensor parallelism all-reduces twice per layer per micro-batch: over
      NVLink it is cheap, over InfiniBand it would dominate. The optimizer keeps TP ≤ 8.
    - **Pipelines cost a bubble.** PP splits the memory with little traffic, but (P − 1)/(M + P − 1) of
      the time idles; many micro-batches shrink it. Use PP when memory forces you to.
    - **ZeRO trades memory for traffic.** Sharding optimizer state (1), gradients (2) and weights (3) over
      DP lets a 70B model fit with no pipeline; stage 3 adds parameter all-gathers.
    - **Recompute buys memory with compute.** Full recompute adds about a third to the compute time;
      it pays only when it lets a faster layout fit.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("bubble", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("bubble", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("memory", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("memory", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("best_step", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("best_step", q3)
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
