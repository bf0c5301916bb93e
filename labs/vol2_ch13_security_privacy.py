import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch13_security_privacy as chapter

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch13_security_privacy",
        "volume": 2,
        "chapter": 13,
        "title": "The price of privacy: DP-SGD's epsilon, compute and memory",
        "question": ("Differentially private training promises that no single example can be recovered from the model. "
                     "How much privacy (ε) do noise, batch and steps buy, and what does it cost in time and memory?"),
        "minutes": 25,
        "example_preset": "model=resnet50&hw=h100&noise=1.1&batch=256&dataset=60000&steps=14062&budget=8",
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
    predict = lab.prediction("mnist_epsilon")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("mnist_epsilon", predict)
    lab.show_prediction("mnist_epsilon", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    model = lab.dropdown("model", {chapter.model_name(m): m for m in chapter.MODELS}, "resnet50", "Model")
    hw = lab.dropdown("hw", {chapter.Hardware.get(h).name: h for h in chapter.ACCELERATORS}, "h100", "Accelerator")
    noise = lab.slider("noise", 0.5, 5.0, 0.1, 1.1, "Noise multiplier σ")
    batch = lab.number("batch", 1, chapter.MAX_BATCH, 256, "Batch size")
    dataset = lab.number("dataset", 1000, chapter.MAX_DATASET, 60000, "Dataset size (examples)")
    steps = lab.number("steps", 1, chapter.MAX_STEPS, 14062, "Training steps")
    budget = lab.slider("budget", 0.5, 16.0, 0.5, 8.0, "Privacy budget ε")
    return batch, budget, dataset, hw, model, noise, steps


@app.cell(hide_code=True)
def _(batch, budget, dataset, hw, lab, locked, model, noise, steps):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; both charts and the numbers follow."),
               lab.show_controls(model, hw, noise, batch, dataset, steps, budget)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(batch, budget, dataset, hw, lab, model, noise, steps):
    # Everything a control change recomputes, timed from the inputs to the filled chart specs.
    _t0 = time.perf_counter()
    controls = lab.remember({"model": model.value, "hw": hw.value, "noise": noise.value, "batch": batch.value,
                             "dataset": dataset.value, "steps": steps.value, "budget": budget.value})
    _batch = min(batch.value, dataset.value)  # a batch is drawn from the dataset: at most all of it
    result = chapter.solve(model.value, hw.value, noise.value, _batch, dataset.value, steps.value, budget.value)
    baseline = chapter.plain(model.value, hw.value, _batch)
    most_steps = chapter.max_steps_within(result, budget.value)
    eps_chart = chapter.epsilon_chart(result, budget.value, f"Privacy loss against training steps (σ = {noise.value:g}, "
                                      f"q = {result.sample_rate:.3g})")
    mem_chart = chapter.memory_chart(result, model.value, hw.value, f"{chapter.model_name(model.value)} training memory "
                                     f"against the batch, fp32")
    update_ms = (time.perf_counter() - _t0) * 1e3
    return baseline, controls, eps_chart, mem_chart, most_steps, result, update_ms


@app.cell(hide_code=True)
def _(eps_chart, lab, locked, mem_chart):
    mo.stop(locked is None)
    mo.vstack([lab.chart(eps_chart), lab.chart(mem_chart)])
    return


@app.cell(hide_code=True)
def _(baseline, budget, dataset, locked, most_steps, result, update_ms):
    mo.stop(locked is None)
    _over = result.epsilon > budget.value
    explanation = (
        f"Each step samples a share **q = {result.sample_rate:.3g}** of the data (batch {result.batch_size:,} of "
        f"{dataset.value:,}), clips every example's gradient and adds noise σ = "
        f"{result.noise_multiplier:g}. After **{result.steps:,} steps** ({chapter.epochs(result):.3g} epochs) the "
        f"accountant gives **ε = {result.epsilon:.3g}** at δ = {result.delta:g}, "
        + (f"**over** your budget of {budget.value:g}: " if _over else f"within your budget of {budget.value:g}: ")
        + f"that budget allows **{chapter.steps_text(most_steps)}**. ")
    explanation += (
        f"The price: a step takes **{result.step_time.to('ms').magnitude:.4g} ms** instead of "
        f"{baseline.step_time.to('ms').magnitude:.4g} ms (**{result.compute_factor:.3g}×**, up to "
        f"{result.step_time_worst.to('ms').magnitude:.4g} ms at the measured worst), and the per-example gradients "
        f"add **{result.per_example_gradient_memory.to('GB').magnitude:.4g} GB** to the "
        f"{baseline.memory_footprint.to('GB').magnitude:.4g} GB of plain training.")
    if not chapter.fits(result):
        explanation += (f"\n\n**Does not fit:** {result.reason}. Smaller batches (at the cost of a smaller q, so more "
                        "steps for the same epochs), gradient accumulation or ghost clipping are the ways out.")
    mo.md(f"""
    ### ε = **{result.epsilon:.3g}** after {result.steps:,} steps ({"over" if _over else "within"} the budget {budget.value:g})

    {explanation}

    | | |
    |---|---|
    | sampling rate q = batch ÷ dataset | **{result.sample_rate:.4g}** |
    | ε at δ = {result.delta:g} (best RDP order α = {result.best_order}) | **{result.epsilon:.4g}** |
    | most steps within ε = {budget.value:g} | **{chapter.steps_text(most_steps)}** |
    | step time, plain → DP-SGD | {baseline.step_time.to('ms').magnitude:.4g} ms → **{result.step_time.to('ms').magnitude:.4g} ms** ({result.compute_factor:.3g}×) |
    | per-example gradients | **{result.per_example_gradient_memory.to('GB').magnitude:.4g} GB** |
    | memory, plain → DP-SGD (capacity) | {baseline.memory_footprint.to('GB').magnitude:.4g} → **{result.memory_footprint.to('GB').magnitude:.4g} GB** ({result.memory_capacity.to('GB').magnitude:.4g} GB) |
    | training time, DP-SGD | {result.training_time.to('hour').magnitude:.4g} h |

    <small>Python time for this update (inputs → chart specs, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(dataset, lab, locked, result):
    mo.stop(locked is None)
    lab.math(
        "DP-SGD (Abadi et al. 2016), the sampled Gaussian mechanism's Rényi DP (Mironov, Talwar & Zhang 2019) and the "
        "RDP-to-(ε, δ) conversion (Mironov 2017), as `mlsysim.physics.kernels` computes them:\n\n"
        "q = B ÷ N  ·  RDP_α = log A_α ÷ (α − 1), A_α = Σ_k C(α, k) (1 − q)^(α−k) q^k e^{(k² − k) / 2σ²}  ·  "
        "ε = min_α [T · RDP_α + ln(1/δ) ÷ (α − 1)]  ·  memory += B · P · 4 bytes\n\n"
        f"- q = {result.batch_size:,} ÷ {dataset.value:,} = **{result.sample_rate:.4g}**, "
        f"σ = {result.noise_multiplier:g}, T = {result.steps:,}, δ = {result.delta:g}\n"
        f"- the best order is α = **{result.best_order}**: ε = **{result.epsilon:.4g}** (steps add RDP linearly; "
        "the ln(1/δ) term falls with α, so the best α shrinks as T grows)\n"
        f"- per-example gradients: {result.batch_size:,} examples × one fp32 gradient each = "
        f"**{result.per_example_gradient_memory.to('GB').magnitude:.4g} GB**\n"
        f"- step time × {result.compute_factor:.3g}: the measured Opacus slowdown (2.6-8×, Rodriguez Beltran et al. 2024), "
        "not a derivation: it is the registry's measured range")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("mnist_epsilon", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Privacy is spent, step by step.** ε only grows with training: every step leaks a little, and a budget is a
      cap on the number of steps. Roughly, ε grows like √T at first, then faster.
    - **Noise buys privacy, and costs accuracy.** Doubling σ cuts ε several times over, but the noise also hides the
      signal in each gradient: more noise usually needs more steps to reach the same accuracy.
    - **Sampling amplifies privacy.** A small q (a small batch from a big dataset) means each example is rarely
      seen: ε scales about with q for the same steps. A larger dataset is free privacy.
    - **The memory bill is per example.** Clipping needs one gradient per example: batch × parameters × 4 bytes,
      so a batch of a few hundred ResNet-50 examples already holds tens of GB of them. Big models need ghost
      clipping, which computes the per-example norms without storing the gradients.
    - **The compute bill is measured, not derived.** Opacus's per-sample gradients make a step 2.6-8× slower
      (measured); efficient clipping halves that. ε is a theorem; the slowdown is an engineering fact.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("epsilon", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("epsilon", q1)
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
    q3_text, q3 = lab.question("max_steps", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("max_steps", q3)
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
