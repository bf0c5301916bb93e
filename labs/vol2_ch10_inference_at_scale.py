import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch10_inference_at_scale as chapter
    from mlsysim import Hardware, Models
    from mlsysim.walls import Wall

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch10_inference_at_scale",
        "volume": 2,
        "chapter": 10,
        "title": "The inference economy: dollars per million tokens against time to answer",
        "question": ("Batch size, accelerators per replica, precision, the batching policy and reasoning tokens all move "
                     "the price of a million tokens and the time an answer takes. Under a latency target, which "
                     "configuration is cheapest, and which wall stops it from being cheaper still?"),
        "minutes": 30,
        "example_preset": "model=llama3_70b&hw=h200&precision=fp8&kv=fp8&policy=continuous&tp=4&batch=64&k=4&target_s=20",
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
    predict = lab.prediction("batch_discount")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("batch_discount", predict)
    lab.show_prediction("batch_discount", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", chapter.model_options(), "llama3_70b", "Model")
    hw = lab.dropdown("hw", chapter.accelerator_options(), "h100", "Accelerator")
    precision = lab.dropdown("precision", {p: p for p in chapter.PRECISIONS}, "fp16", "Weights")
    kv = lab.dropdown("kv", {p: p for p in chapter.KV_PRECISIONS}, "fp16", "KV cache")
    policy = lab.dropdown("policy", chapter.POLICIES, "continuous", "Batching policy")
    tp = lab.dropdown("tp", {str(t): str(t) for t in chapter.TPS}, "4", "Accelerators per replica")
    batch = lab.dropdown("batch", {str(b): str(b) for b in chapter.BATCHES}, "16", "Batch (sequences in flight)")
    k = lab.dropdown("k", {f"{r}×" + (" (no reasoning)" if r == 1 else ""): str(r) for r in chapter.REASONING}, "1",
                     "Tokens generated per answer token")
    target = lab.slider("target_s", 1, 120, 1, 10, "Target: answer within (s)")
    return batch, hw, k, kv, model, policy, precision, target, tp


@app.cell(hide_code=True)
def _(batch, hw, k, kv, lab, locked, model, policy, precision, target, tp):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nEvery point is one replica size and batch; the black ring is yours, the diamond the "
                     "cheapest within the target. Change the model, precision, policy or reasoning and the cloud moves."),
               lab.show_controls(model, hw, precision, kv, policy, tp, batch, k, target)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, hw, k, kv, lab, model, policy, precision, target, tp):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "precision": precision.value, "kv": kv.value,
                             "policy": policy.value, "tp": tp.value, "batch": batch.value, "k": k.value,
                             "target_s": target.value})
    config = (model.value, hw.value, precision.value, kv.value, policy.value, int(k.value))
    points = chapter.sweep(*config)
    you = chapter.point(model.value, hw.value, int(tp.value), int(batch.value), *config[2:])
    best = chapter.cheapest_under(points, target.value)
    per_size = {t: chapter.cheapest_under([p for p in points if p["tp"] == t], target.value) for t in chapter.TPS}
    query = chapter.reasoning_query(model.value, hw.value, precision.value, int(k.value))
    plain = chapter.reasoning_query(model.value, hw.value, precision.value, 1)
    chart = chapter.chart(points, you, best, target.value,
                          {"text": "Cost against time to answer",
                           "subtitle": f"{Models.get(model.value).name} on {Hardware.get(hw.value).name}"})
    update_ms = (time.perf_counter() - _t0) * 1e3
    return best, chart, config, controls, per_size, plain, points, query, update_ms, you


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(best, config, hw, k, locked, per_size, plain, points, query, target, update_ms, you):
    mo.stop(locked is None)
    _hw = Hardware.get(hw.value).name
    _k = int(k.value)
    _fmt = lambda p: f"{p['tp']} × {_hw} at batch {p['batch']}"  # noqa: E731
    if best is None:
        headline = f"nothing answers within {target.value} s"
        explanation = (f"No configuration that fits finishes an answer of {_k * chapter.ANSWER} generated tokens within "
                       f"**{target.value} s**: even the fastest needs more. Loosen the target, use fewer reasoning "
                       "tokens, narrower weights or a faster accelerator.")
    else:
        headline = f"{_fmt(best)}, {best['usd_per_m']:.3g} USD per million answer tokens"
        one = chapter.point(config[0], hw.value, best["tp"], 1, *config[2:])
        explanation = (
            f"Within **{target.value} s** the cheapest is **{_fmt(best)}**: an answer in **{best['latency']:.3g} s**, "
            f"**{best['usd_per_m']:.3g} USD per million answer tokens**. The engine names its wall: "
            f"**{chapter.wall_words(best)}**. ")
        if best["bound"] is Wall.MEMORY:
            explanation += (
                f"Each decode step reads all the weights once for the whole batch, so {best['batch']} sequences share "
                f"the read: a step takes {best['itl'] * 1e3:.3g} ms against {one['itl'] * 1e3:.3g} ms at batch 1, "
                f"while the price per token is {one['usd_per_m'] / best['usd_per_m']:.3g}× lower. ")
        elif best["bound"] is Wall.COMPUTE:
            explanation += (
                "The arithmetic sets the pace: a bigger batch adds work in proportion to its tokens (the prefill of "
                f"{best['batch']} × {chapter.PROMPT} prompt tokens takes {best['ttft']:.3g} s of the answer's "
                f"{best['latency']:.3g} s). ")
        elif best["bound"] is Wall.COMMUNICATION:
            explanation += "The all-reduces between the replica's accelerators take longer than the arithmetic. "
        _next = next((p for p in points if p["tp"] == best["tp"] and p["batch"] == 2 * best["batch"]), None)
        if _next is None:
            explanation += f"Batch {best['batch']} is the largest the lab tries."
        elif not _next["feasible"]:
            explanation += f"It cannot double its batch: **capacity**, {_next['reason']}."
        elif _next["latency"] > target.value:
            explanation += (f"Doubling its batch would be cheaper ({_next['usd_per_m']:.3g} USD per million) but slower: "
                            f"{_next['latency']:.3g} s, beyond the target.")
        else:
            explanation += (f"Doubling its batch would not be cheaper ({_next['usd_per_m']:.3g} USD per million): the "
                            "extra sequences cost as much time as they add tokens.")
    if you["feasible"]:
        yours = (f"Yours, **{_fmt(you)}**: answer in **{you['latency']:.3g} s** (TTFT {you['ttft']:.3g} s + "
                 f"{_k * chapter.ANSWER - 1} × ITL {you['itl'] * 1e3:.3g} ms), **{you['usd_per_m']:.3g} USD per million "
                 f"answer tokens**, {chapter.wall_words(you)}"
                 + (", within the target." if you["latency"] <= target.value else f", beyond the {target.value} s target."))
    else:
        yours = f"Yours, **{_fmt(you)}**, does not fit: **capacity**, {you['reason']}."
    if _k > 1:
        if query.feasible and plain.feasible:
            reasoning = (f"\n\n**Reasoning, {_k}× the tokens.** InferenceScalingModel puts one query alone on one {_hw} at "
                         f"**{query.latency.to('s').magnitude:.3g} s** and **{query.flops_per_query.to('TFLOP').magnitude:.3g} "
                         f"TFLOP** against {plain.latency.to('s').magnitude:.3g} s and "
                         f"{plain.flops_per_query.to('TFLOP').magnitude:.3g} TFLOP without reasoning: every answer now "
                         f"pays for {_k - 1} thinking tokens per answer token, in time and in money.")
        else:
            reasoning = (f"\n\n**Reasoning, {_k}× the tokens.** One query alone does not fit on one {_hw} "
                         f"(InferenceScalingModel: {query.reason or plain.reason}); the replicas above split it.")
    else:
        reasoning = ""
    _note = next((a for a in you["serving"].assumptions if "lists no" in a), None)
    if _note:
        reasoning += f"\n\n**Precision:** {_note}, so only the bytes shrink, not the arithmetic time."
    _rows = "\n".join(
        f"| {t} | " + (f"batch {p['batch']} | {p['latency']:.3g} s | {p['usd_per_m']:.3g} | {chapter.wall_words(p)} |"
                       if p else "none within the target | | | |") for t, p in per_size.items())
    mo.md(f"""
    ### Cheapest within {target.value} s: **{headline}**

    {explanation}

    {yours}{reasoning}

    | accelerators per replica | cheapest batch within the target | answer in | USD per million | wall |
    |---|---|---|---|---|
    {_rows}

    Sequences whose KV caches fit on your replica: **{you['fits']:,}**; a replica costs
    **{you['usd_per_hour']:.3g} USD per hour** (owned, busy all the time).

    <small>How the numbers are made: times are ServingModel's for a batch of requests that start together (the
    prefill of every prompt, then the decode steps); the batching policy decides how many sequences fit
    (ContinuousBatchingModel: paged blocks against whole-context reservations); the hourly cost is the owned
    TCO of the accelerators alone (EconomicsModel), a lower bound of a rented price.</small>

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return explanation, reasoning, yours


@app.cell(hide_code=True)
def _(k, lab, locked, tp, you):
    mo.stop(locked is None or not you["feasible"])
    _k = int(k.value)
    lab.math(
        "The price of a token is the cost of the time it takes (Barroso, Hölzle & Ranganathan 2018, *The Datacenter as a "
        "Computer*, Ch. 6): `kernels.cost_per_million_tokens`; the time is ServingModel's prefill plus decode "
        "(Pope et al. 2022, *Efficiently Scaling Transformer Inference*):\n\n"
        "T = TTFT + (generated − 1) × ITL  ·  answer tokens/s = B × 256 ÷ T  ·  USD per million = 10⁶ × (USD/s) ÷ (tokens/s)\n\n"
        f"- T = {you['ttft']:.4g} s + ({_k} × {chapter.ANSWER} − 1) × {you['itl'] * 1e3:.4g} ms = "
        f"**{you['latency']:.4g} s**\n"
        f"- answer tokens/s = {you['batch']} × {chapter.ANSWER} ÷ {you['latency']:.4g} s = **{you['answer_tps']:,.4g}**\n"
        f"- a replica = {tp.value} × {you['usd_per_hour'] / int(tp.value):.4g} USD/hour = {you['usd_per_hour']:.4g} USD/hour\n"
        f"- USD per million = 10⁶ × {you['usd_per_hour']:.4g} ÷ 3600 ÷ {you['answer_tps']:,.4g} = "
        f"**{you['usd_per_m']:.4g} USD**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("batch_discount", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Batching is the discount.** A memory-bound decode step reads the weights once for the whole
      batch: more sequences share the same bytes, so the price per token falls almost as fast as
      the batch grows, and the step barely slows, until the step turns compute bound or the KV
      caches stop fitting.
    - **More accelerators per replica buy time, not price.** Tensor parallelism splits the weight
      reads, so each token comes sooner, but the replica costs N times as much per hour and adds
      all-reduces. It pays when the target forbids the big batch a small replica would need, or
      when the model does not fit at all.
    - **Narrower numbers are cheaper twice.** fp8 weights halve the bytes a memory-bound step reads;
      an fp8 KV cache doubles the sequences that fit, so the batch can grow.
    - **The policy decides the capacity.** Reserving the whole context for every sequence (static)
      wastes most of the KV memory; paged blocks (continuous, vLLM) fit many more sequences.
    - **Reasoning multiplies the bill.** k times the tokens per answer is about k times the time and
      the price of every answer, and a longer KV cache per sequence.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("cheapest", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("cheapest", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("price", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("price", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("room", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("room", q3)
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
