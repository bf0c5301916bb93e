import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import time

    import marimo as mo

    import labkit.kit as kit
    from labkit.chapters import vol2_ch14_robust_ai as chapter
    from mlsysim import Models

    # What the site's index shows for this lab (read by the build without running the notebook).
    LAB = {
        "id": "vol2_ch14_robust_ai",
        "volume": 2,
        "chapter": 14,
        "title": "The robustness budget: adversarial training and redundancy, in GPU-hours and dollars",
        "question": ("Training against attacks multiplies every step; guarding against silent hardware faults "
                     "multiplies the fleet. What does each cost, and what does it buy?"),
        "minutes": 25,
        "example_preset": "pgd_steps=10&model=mobilenetv2&scheme=triple&gpus=4096",
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
    predict = lab.prediction("pgd7_factor")
    return (predict,)


@app.cell(hide_code=True)
def _(lab, predict):
    locked = lab.locked("pgd7_factor", predict)
    lab.show_prediction("pgd7_factor", predict, locked)
    return (locked,)


@app.cell(hide_code=True)
def _(lab):
    pgd_steps = lab.slider("pgd_steps", 0, chapter.MAX_PGD, 1, 7, "PGD steps per batch (k)")
    model = lab.dropdown("model", {Models.get(m).name: m for m in chapter.MODELS}, "resnet50", "Model")
    scheme = lab.dropdown("scheme", {v: k for k, v in chapter.SCHEME_NAMES.items()}, "none", "Redundancy")
    gpus = lab.number("gpus", 8, chapter.MAX_GPUS, 1024, "GPUs (H100)")
    return gpus, model, pgd_steps, scheme


@app.cell(hide_code=True)
def _(gpus, lab, locked, model, pgd_steps, scheme):
    mo.stop(locked is None, mo.md("### Explore\n\n*Lock your prediction above to start exploring.*"))
    mo.vstack([mo.md("### Explore\n\nMove the controls; the points (published robustness, each scheme's cost), "
                     "the dashed line (your cost) and the numbers follow."),
               lab.show_controls(pgd_steps, model, scheme, gpus)]
              + [mo.md(f"> {n}") for n in lab.notes])
    return


@app.cell(hide_code=True)
def _(gpus, lab, model, pgd_steps, scheme):
    # Everything a control change recomputes, timed from the inputs to the filled chart spec.
    _t0 = time.perf_counter()
    controls = lab.remember({"pgd_steps": pgd_steps.value, "model": model.value, "scheme": scheme.value,
                             "gpus": gpus.value})
    k, n, s, m = int(pgd_steps.value), int(gpus.value), scheme.value, model.value
    adv = chapter.run(m, k)
    hours_plain = chapter.gpu_hours(m, 0, n, "none")
    hours_mine = chapter.gpu_hours(m, k, n, s)
    cost_plain = chapter.dollars(m, 0, n, "none")
    cost_mine = chapter.dollars(m, k, n, s)
    multiple = chapter.cost_multiple(m, k, n, s)
    p_one = chapter.corruption_probability(m, k, n)
    p_silent = chapter.silent_error_probability(m, k, n, s)
    p_rerun = chapter.rerun_probability(m, k, n, s)
    result_pub = chapter.published(k)
    chart = chapter.chart(m, k, n, s)
    update_ms = (time.perf_counter() - _t0) * 1e3
    return (adv, chart, controls, cost_mine, cost_plain, hours_mine, hours_plain, k, multiple, n, p_one, p_rerun,
            p_silent, result_pub, s, update_ms)


@app.cell(hide_code=True)
def _(chart, lab, locked):
    mo.stop(locked is None)
    lab.chart(chart)
    return


@app.cell(hide_code=True)
def _(adv, cost_mine, cost_plain, hours_mine, hours_plain, k, locked, model, multiple, n, p_one, p_rerun, p_silent,
      result_pub, s, update_ms):
    mo.stop(locked is None)
    _name = Models.get(model.value).name
    if result_pub is not None:
        _robust = (f"Madry et al. (2018) report, for this k on CIFAR-10, **{result_pub.robust_accuracy:g} %** robust "
                   f"accuracy (under {result_pub.attack}) and {result_pub.clean_accuracy:g} % on clean images.")
    else:
        _robust = (f"No paper in the registry reports the robust accuracy for k = {k} (published: "
                   + ", ".join(f"k = {r.train_pgd_steps}: {r.robust_accuracy:g} %" for r in chapter.PUBLISHED)
                   + "); the lab does not interpolate between them.")
    _guard = {
        "none": (f"Without redundancy, a silent corruption (probability **{100 * p_silent:.3g} %** for this run) "
                 "goes unnoticed into the model."),
        "dual": (f"Two replicas compare results: a corruption in either (probability **{100 * p_rerun:.3g} %**) shows "
                 "up as a mismatch and the work is redone, so none goes through silently."),
        "triple": (f"Three replicas vote: a wrong result needs two of them corrupted, probability "
                   f"**{100 * p_silent:.2g} %** (against {100 * p_one:.3g} % for one copy)."),
    }[s]
    explanation = (
        f"{k} PGD steps make every step cost **{adv.compute_factor:g} ×** a plain one. With "
        f"{chapter.SCHEME_NAMES[s]}, the run of {_name} on {n:,} H100s takes **{hours_mine:,.0f} GPU-hours** and "
        f"costs **USD {cost_mine:,.0f}**, against {hours_plain:,.0f} GPU-hours and USD {cost_plain:,.0f} for standard "
        f"training without redundancy: **{multiple:.3g} ×**. {_robust} {_guard}")
    mo.md(f"""
    ### The robustness bill: **USD {cost_mine:,.0f}** ({multiple:.3g} × standard training)

    {explanation}

    | | |
    |---|---|
    | compute per step | **{adv.compute_factor:g} ×** plain |
    | GPU-hours (yours / standard) | **{hours_mine:,.0f}** / {hours_plain:,.0f} |
    | cost (yours / standard) | **USD {cost_mine:,.0f}** / USD {cost_plain:,.0f} |
    | chance one copy meets a silent corruption | {100 * p_one:.3g} % |
    | chance a wrong result goes unnoticed | **{100 * p_silent:.3g} %** |

    <small>Python time for this update (inputs → chart spec, in this page): <span id="update-ms">{update_ms:.1f} ms</span></small>
    """)
    return (explanation,)


@app.cell(hide_code=True)
def _(adv, hours_mine, k, lab, locked, n, p_one, s):
    mo.stop(locked is None)
    lab.math(
        "Madry et al. (2018) for the k + 1 passes; Lyons & Vanderkulk (1962) for the vote; the corruption rate from "
        "Dubey et al. (2024), Table 5, as `mlsysim.physics.kernels` computes them:\n\n"
        "step = plain × (k + 1)  ·  GPU-hours = t × N × r  ·  p = 1 − exp(−λ N t)  ·  dual: rerun 1 − (1 − p)²  ·  "
        "triple: wrong 3p² − 2p³\n\n"
        f"- step: {adv.baseline_step_time.to('ms').magnitude:.4g} ms × {k + 1} = {adv.step_time.to('ms').magnitude:.4g} ms; "
        f"{chapter.STEPS:,} steps = {adv.training_time.to('hour').magnitude:.4g} h\n"
        f"- GPU-hours = {adv.training_time.to('hour').magnitude:.4g} h × {n:,} × {chapter.SCHEMES[s]} = **{hours_mine:,.4g}**\n"
        f"- λ = 6 ÷ (16,384 × 54 days) = {chapter.SDC_RATE * chapter.HOUR:.4g} per GPU-hour; p = **{100 * p_one:.4g} %**")
    return


@app.cell(hide_code=True)
def _(lab, locked):
    lab.reveal("pgd7_factor", locked)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    ### What to notice

    - **Adversarial robustness is paid per step.** Each PGD step is one more forward and backward pass, so
      k = 7 costs 8 × the compute of standard training, and the robust model is *less* accurate on clean images.
    - **Redundancy is paid per fleet.** A compared pair doubles the hardware and a voting triple triples it, for
      the whole run; what they buy is a silent error turned into a detected one (pair) or a masked one (triple).
    - **The two multiply.** Robust training under triple redundancy costs (k + 1) × 3 times the plain run.
    - **Published figures only.** The robust accuracy is known here for 0 and 7 PGD steps (CIFAR-10, wide ResNet);
      the cost is computed for ImageNet-sized inputs on the model you pick. The corruption rate counts only the
      corruptions Llama 3's team detected, so the true rate is at least this.
    """)
    return


@app.cell(hide_code=True)
def _():
    mo.md("### Check yourself\n\nYour numbers depend on your student ID (enter it at the top). Try each answer with the controls first.")
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q1_text, q1 = lab.question("gpu_hours", student_id)
    mo.vstack([q1_text, q1])
    return (q1,)


@app.cell(hide_code=True)
def _(lab, q1):
    lab.check("gpu_hours", q1)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q2_text, q2 = lab.question("sdc_chance", student_id)
    mo.vstack([q2_text, q2])
    return (q2,)


@app.cell(hide_code=True)
def _(lab, q2):
    lab.check("sdc_chance", q2)
    return


@app.cell(hide_code=True)
def _(lab, student_id):
    q3_text, q3 = lab.question("redundant_cost", student_id)
    mo.vstack([q3_text, q3])
    return (q3,)


@app.cell(hide_code=True)
def _(lab, q3):
    lab.check("redundant_cost", q3)
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
