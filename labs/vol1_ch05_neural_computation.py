import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol1_ch05_neural_computation as chapter
    from mlsysim import viz

    viz.load_templates()  # the chart templates, loaded before the first redraw

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol1_ch05_neural_computation",
        "volume": 1,
        "chapter": 5,
        "title": "Where the work goes: the FLOPs and bytes of one layer, and the memory of learning",
        "question": ("A dense layer, attention and a convolution of the same width do very different amounts of "
                     "arithmetic per byte they move. Where do the FLOPs and the bytes of one layer go, and why "
                     "does training need so much more memory than inference?"),
        "minutes": 25,
        "example_preset": "kind=attention&width=1024&batch=4&seq=4096&precision=fp16&layers=24",
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
    predict = lab.prediction("train_vs_infer")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("train_vs_infer", predict)
    lab.show_prediction("train_vs_infer", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    kind = lab.dropdown("kind", {v: k for k, v in chapter.KINDS.items()}, "dense", "Layer explained")
    width = lab.dropdown("width", {str(w): str(w) for w in chapter.WIDTHS}, "4096", "Width d")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 8, "Batch (inputs)")
    seq = lab.dropdown("seq", {str(s): str(s) for s in chapter.SEQ_LENS}, "1024",
                       "Positions per input (tokens, or pixels of a square map)")
    precision = lab.dropdown("precision", {p: p for p in chapter.PRECISIONS}, "bf16", "Precision")
    layers = lab.dropdown("layers", {str(n): str(n) for n in chapter.LAYER_COUNTS}, "32", "Layers in the network")
    return batch, kind, layers, precision, seq, width


@app.cell(hide_code=True)
def _(batch, kind, lab, layers, locked, precision, seq, width):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nThe same width, batch and positions for all three layer kinds; the layer "
                     "explained is also the one the network below is built of."),
               lab.show_controls(kind, width, batch, seq, precision, layers)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, kind, lab, layers, precision, seq, width):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"kind": kind.value, "width": width.value, "batch": batch.value, "seq": seq.value,
                             "precision": precision.value, "layers": layers.value})
    shape = dict(width=int(width.value), batch=int(batch.value), seq=int(seq.value), precision=precision.value)
    costs = chapter.all_layers(**shape)
    cost = costs[kind.value]
    n_layers = int(layers.value)
    infer = chapter.memory(cost, n_layers, training=False)
    train = chapter.memory(cost, n_layers, training=True)
    bytes_chart = chapter.bytes_chart(costs, f"One forward pass of each layer, d = {shape['width']}, "
                                             f"{shape['batch']} × {shape['seq']} positions, {precision.value}")
    memory_chart = chapter.memory_chart(infer, train, f"{n_layers} × {chapter.KINDS[kind.value]}: "
                                                      "inference against training")
    # the scores' s^2 at twice the positions, for the explanation (within the control's range)
    doubled = (chapter.layer("attention", shape["width"], shape["batch"], 2 * shape["seq"], precision.value)
               if kind.value == "attention" else None)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return bytes_chart, controls, cost, costs, doubled, infer, memory_chart, n_layers, shape, train, update_ms


@app.cell(hide_code=True)
def _(bytes_chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(bytes_chart)
    return


@app.cell(hide_code=True)
def _(cost, costs, doubled, kind, locked, shape):
    mo.stop(locked is None)
    _mb = chapter.size
    _by = sorted(costs.values(), key=lambda c: c.intensity)
    most, least = _by[-1], _by[0]
    _parts = cost.parts()
    largest = max(_parts, key=_parts.get)
    explanation = (
        f"Per byte moved, the **{chapter.SHORT[most.kind]}** does the most arithmetic, **{most.intensity:,.4g} flop/byte**, "
        f"and the **{chapter.SHORT[least.kind]}** the least, **{least.intensity:,.4g} flop/byte**. The "
        f"{chapter.KINDS[kind.value]} does **{cost.flops / 1e9:,.4g} GFLOP** and moves **{_mb(cost.bytes_moved)}**; "
        f"the largest share of its bytes is the **{largest}** ({_mb(_parts[largest])}, "
        f"{_parts[largest] / cost.bytes_moved:.0%}).")
    if kind.value == "dense":
        explanation += (" Each weight is read once and used once per position in the batch: "
                        + ("more positions would raise the work per byte." if largest == "weights" else
                           "the activations already outweigh the weights, so more positions raise it little."))
    elif kind.value == "conv":
        explanation += (f" Each of its {cost.parameters:,.0f} weights is reused at every pixel of every map: "
                        + ("of the three, it does the most arithmetic per byte." if most.kind == "conv" else
                           "yet here another layer does more per byte."))
    else:
        explanation += (
            f" It has no weights at all: its inputs are other activations. At twice the positions its scores "
            f"would move {_mb(doubled.score_bytes)} ({doubled.score_bytes / cost.score_bytes:.3g}×) and the rest "
            f"{_mb(doubled.activation_bytes)} ({doubled.activation_bytes / cost.activation_bytes:.3g}×), its FLOPs "
            f"would grow {doubled.flops / cost.flops:.3g}×: the s × s scores are quadratic in the context.")
    _rows = "\n".join(f"| {chapter.KINDS[c.kind]} | {c.flops / 1e9:,.4g} | {_mb(c.weight_bytes)} | "
                       f"{_mb(c.activation_bytes)} | {_mb(c.score_bytes)} | {c.intensity:,.4g} |" for c in costs.values())
    _note = (f"<small>Attention uses heads of {chapter.HEAD_DIM} ({chapter.heads(shape['width'])} heads at "
             f"d = {shape['width']}); the convolution runs on a √{shape['seq']} × √{shape['seq']} map. Bytes are the "
             "least each layer must move (every operand read once, every result written once); real kernels move "
             "more.</small>")
    mo.md(f"### Where the work goes\n\n{explanation}\n\n| layer | GFLOP | weights | activations | scores | flop/byte |\n"
          f"|---|---|---|---|---|---|\n{_rows}\n\n{_note}")
    return explanation, largest, least, most


@app.cell(hide_code=True)
def _(lab, locked, memory_chart):
    mo.stop(locked is None)
    lab.chart(memory_chart)
    return


@app.cell(hide_code=True)
def _(infer, kind, locked, n_layers, train, update_ms):
    mo.stop(locked is None)
    _gb = chapter.size
    total_infer, total_train = sum(infer.values()), sum(train.values())
    ratio = total_train / total_infer
    train_largest = max(train, key=train.get)
    memory_text = (
        f"{n_layers} of these layers: inference keeps **{_gb(total_infer)}**, training **{_gb(total_train)}**, "
        f"**{ratio:,.3g}×** as much. The largest part of training's memory is the **{train_largest}** "
        f"({_gb(train[train_largest])}).")
    memory_text += (" Inference frees each layer's activations as soon as the next layer has its input; "
                    "training must keep every layer's until the backward pass has used them, so they grow with the "
                    "number of layers.")
    if kind.value != "attention":
        memory_text += (f" And every weight brings a gradient and {chapter.adam_bytes():g} bytes of Adam state "
                        "(an fp32 copy, momentum and variance) along.")
    mo.md(f"""
    ### Why training needs more memory

    {memory_text}

    <small>Mixed-precision Adam: weights and gradients at the chosen precision, optimizer state 12 B per
    parameter (Rajbhandari et al. 2020). Saved activations as Korthikanti et al. 2022 count them (dropout left out).
    Python time for this update: <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return memory_text, ratio, train_largest


@app.cell(hide_code=True)
def _(cost, kind, lab, locked, precision, shape):
    mo.stop(locked is None)
    _d, _b, _s = shape["width"], shape["batch"], shape["seq"]
    _eq = {
        "dense": (f"Y = X W, one GEMM with m = b s = {_b * _s:,}, n = k = d = {_d}: FLOPs = 2 m n k; bytes = "
                  "(m k + k n + m n) × bytes per value (X and W read, Y written once)"),
        "attention": (f"S = Q Kᵀ and O = P V per head (d_h = {chapter.HEAD_DIM}): FLOPs = 4 b s² d "
                      "(Narayanan et al. 2021, Sec. 5.1); bytes = b a (4 s d_h + 2 s²) × bytes per value, the "
                      "2 s² being the scores written and read back (Dao et al. 2022, Sec. 2.2)"),
        "conv": (f"a 3×3 convolution as one GEMM (Chetlur et al. 2014, Sec. 3): m = b × √s × √s = {_b * _s:,} pixels, "
                 f"n = {_d} filters, k = 9 × {_d} taps: FLOPs = 2 m n k; bytes = input + 9 d² filters + output"),
    }[kind.value]
    lab.math(
        "One layer, as `mlsysim.physics.kernels` computes it:\n\n"
        f"- {_eq}\n"
        f"- FLOPs = **{cost.flops / 1e9:,.4g} GFLOP**; bytes = {cost.weight_bytes / 1e6:,.4g} + "
        f"{cost.activation_bytes / 1e6:,.4g} + {cost.score_bytes / 1e6:,.4g} MB = **{cost.bytes_moved / 1e6:,.4g} MB** "
        f"at {precision.value}\n"
        f"- intensity = FLOPs ÷ bytes = **{cost.intensity:,.4g} flop/byte**\n"
        "- training keeps, per layer, weights + gradients + 12 B/parameter of Adam state + the saved activations "
        f"({cost.saved_bytes / 1e6:,.4g} MB: " +
        ("the layer's input, for the weight gradient Xᵀ dY" if kind.value != "attention"
         else "Q, K, V and the softmax output P") + "); inference keeps the weights and one layer's activations")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("train_vs_infer", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Reuse decides the intensity.** A convolution reuses each small filter at every pixel; a dense layer
      reuses each weight once per position; attention's core has no weights and multiplies activations by
      activations, so it moves the most bytes per FLOP.
    - **Batch and positions help weights, not scores.** Raise the batch: dense and convolution layers do more
      work per byte until the activations dominate; attention's intensity does not move.
    - **Attention's s² shows up in bytes and memory first.** Double the positions: the scores grow four times,
      everything else twice. This is why long contexts need fused attention that keeps the scores on chip.
    - **Training multiplies memory twice**: every weight brings its gradient and Adam's fp32 copy, momentum and
      variance along, and every layer's activations must be kept until the backward pass has used them, so they
      add up over the layers instead of being freed as inference goes.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("intensity", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("intensity", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("training_gb", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("training_gb", q2)
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
