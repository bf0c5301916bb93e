"""Every lab's notebook under plain Python (no browser): it runs top to bottom, and the roofline
lab's words agree with its numbers and with the engine for every kind of configuration."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
sys.path.insert(0, str(LABS))
sys.path.insert(0, str(ROOT))

pytest.importorskip("marimo")
from labkit import storage  # noqa: E402
from labkit.questions import chapter_module  # noqa: E402
from mlsysim import Engine, Hardware  # noqa: E402
from sitebuild.labindex import lab_meta  # noqa: E402

LAB_FILES = sorted(p for p in LABS.glob("*.py") if not p.name.startswith("_"))


def run_lab(stem: str, controls: dict | None = None, locked: bool = True, answers: dict | None = None):
    """Run a notebook as a student who saved ``controls`` (and locked the first option of every
    prediction) would see it; return (the text of every output, the notebook's definitions)."""
    chapter = chapter_module(stem)
    store = storage.MemoryStore()
    state = {"controls": controls or {}, "answers": answers or {},
             "predictions": {p.id: {"value": p.options[0] if p.options else 1.0, "at": "t"}
                             for p in chapter.PREDICTIONS} if locked else {}}
    store.put(stem, state)
    storage._store = store
    try:
        module = importlib.import_module(stem)
        outputs, defs = module.app.run()
    finally:
        storage._store = None
    text = "\n".join(getattr(o, "text", "") or "" for o in outputs if o is not None)
    return text, defs, store



def graded_first_wrong(stem: str) -> list[str]:
    """Run the notebook with every check-yourself answer set to labkit's expected value for the empty
    student id's variant, the first one 1.5x off, and grade its download offline as an instructor
    would (``labkit.grading``): each answer's "yes" or "no", in the questions' order."""
    from labkit import grading

    answers = {}
    for i, q in enumerate(chapter_module(stem).QUESTIONS):
        v = q.variant("", stem)
        answers[q.id] = {"value": q.expected(v) * (1.5 if i == 0 else 1.0), "variant": v, "at": "t"}
    _, d, _ = run_lab(stem, answers=answers)
    return [r.correct for r in grading.grade_record(d["lab"].work(), "work.json")]


@pytest.mark.parametrize("lab", LAB_FILES, ids=lambda p: p.stem)
def test_every_lab_runs_top_to_bottom_and_has_what_the_index_needs(lab):
    meta = lab_meta(lab)
    chapter = chapter_module(lab.stem)
    assert chapter.QUESTIONS, "a lab has at least one check-yourself question"
    assert chapter.PREDICTIONS, "a lab has a prediction to lock first"
    text, defs, store = run_lab(lab.stem)
    assert meta["title"] in text
    assert "Traceback" not in text
    # the kit saved what it restored and the state says the lab was started
    import asyncio

    saved = asyncio.run(store.get(lab.stem))
    assert saved["progress"] == "started"
    # with the prediction not locked, the exploration is held back
    text_unlocked, _, _ = run_lab(lab.stem, locked=False)
    assert "Lock your prediction" in text_unlocked


CONFIGS = [
    # (hw, model, precision, batch, efficiency), chosen to cover each verdict and each caveat
    ("h100", "llama3_8b", "fp16", 1, 0.5),      # memory bound decode
    ("h100", "llama3_8b", "fp16", 148, 0.5),    # just compute bound (the effective ridge is 147.7)
    ("h100", "llama3_8b", "fp16", 200, 1.0),    # memory bound again at 100 %: ridge 295
    ("h100", "resnet50", "fp16", 1, 0.5),       # a CNN: samples/s; eager kernel launches bind at batch 1
    ("a100_80gb", "llama3_8b", "fp8", 64, 0.5),  # no fp8 on an A100: fp16 peak used, and said
    ("esp32_s3", "llama3_8b", "fp8", 1, 0.5),   # no arithmetic in this precision at all
    ("t4", "llama3_70b", "fp16", 1, 0.5),       # does not fit
]


@pytest.mark.parametrize("hw,model,precision,batch,eff", CONFIGS)
def test_roofline_explanation_agrees_with_the_engine(hw, model, precision, batch, eff):
    controls = {"hw": hw, "model": model, "precision": precision, "batch": batch, "efficiency": eff}
    text, d, _ = run_lab("vol1_ch11_roofline", controls)
    assert d["controls"] == controls  # the saved controls came back
    seq_len = 1 if model.startswith("llama") else None
    r = Engine.solve(model, hw, batch_size=batch, precision=precision, efficiency=eff, seq_len=seq_len)
    engine_bound = str(getattr(r.bound, "value", r.bound))
    assert d["bound"] == engine_bound
    assert f"The bottleneck: <strong>{engine_bound}</strong>" in text
    explanation = d["explanation"]
    if r.compute_precision is None:
        assert "cannot run this precision" in explanation and d["chart"] is None
        return
    # the ridge that decides is peak x efficiency / bandwidth (bandwidth efficiency 1)
    peak = r.peak_flops.to("flop/s").magnitude
    bw = Hardware.get(hw).memory.bandwidth.to("byte/s").magnitude
    eff_ridge, ai = peak * eff / bw, r.arithmetic_intensity.to("flop/byte").magnitude
    if engine_bound == "memory":
        assert ai < eff_ridge and "left of the ridge that decides" in explanation
        assert f"{eff_ridge:.3g} flop/byte" in explanation
    elif engine_bound == "compute":
        assert ai >= eff_ridge and "right of the ridge that decides" in explanation
        assert f"{eff_ridge:.3g} flop/byte" in explanation
    elif engine_bound == "software":  # ResNet-50 at batch 1, eager: 174 launches x 48 us = 8.352 ms outlast the device
        assert f"{r.kernels:g} kernels" in explanation and "launch" in explanation
    else:
        assert "does not fit" in explanation
        assert d["chart"].datasets["points"][0]["status"] == "does not fit"
    # both ridges are on the chart, with the numbers the text uses
    labels = [row["label"] for row in d["chart"].datasets["ridges"]]
    assert labels == [f"peak ridge {d['ridge']:.3g} flop/B", f"{eff:.0%} ridge {eff_ridge:.3g} flop/B"]
    # tokens/s for LLM decode, samples/s otherwise; the step time is the time per token, said so
    assert ("tokens/s</strong>" in text) == model.startswith("llama")
    assert ("samples/s</strong>" in text) == (not model.startswith("llama"))
    if model.startswith("llama"):
        assert "time per output token is the step time" in text
    # a precision the chip lacks is said on the chart and in the text
    if r.compute_precision != precision:
        assert "lists no" in explanation
        title = d["chart"].spec["title"]
        assert f"({r.compute_precision})" in title["text"] and precision in " ".join(title["subtitle"])


def test_the_batch_control_reaches_every_check_yourself_answer():
    _, d, _ = run_lab("vol1_ch11_roofline")
    chapter = chapter_module("vol1_ch11_roofline")
    crossover = chapter.QUESTIONS[0]
    answers = {crossover.expected(dict(hw=h, efficiency=e)) for h in crossover.variants["hw"]
               for e in crossover.variants["efficiency"]}
    assert d["batch"].start == 1 and d["batch"].step == 1 and d["batch"].stop >= max(answers)
    effs = crossover.variants["efficiency"]
    assert all(abs(round((e - 0.1) / 0.05) * 0.05 + 0.1 - e) < 1e-9 for e in effs)  # on the slider's steps
    hw_options = set(d["hw"].options.values())
    assert set(crossover.variants["hw"]) <= hw_options


def test_a_url_preset_sets_the_controls_once():
    from labkit.kit import Lab

    chapter = chapter_module("vol1_ch11_roofline")
    meta = {"id": "vol1_ch11_roofline", "volume": 1, "chapter": 11, "title": "t", "question": "q", "minutes": 1}
    store = storage.MemoryStore()
    lab = Lab(meta, chapter, None, None, {"hw": "a100_80gb", "batch": "64", "precision": "fp8"}, store)
    assert lab.dropdown("hw", {"H100": "h100", "A100": "a100_80gb"}, "h100", "hw").value == "a100_80gb"
    assert lab.number("batch", 1, 100, 1, "b").value == 64
    # a bad value is refused with a note, and the default used
    lab2 = Lab(meta, chapter, None, None, {"batch": "lots"}, store)
    assert lab2.number("batch", 1, 100, 1, "b").value == 1 and "batch=lots" in lab2.notes[0]
    # once applied and then changed by the student, the saved value wins over the same link
    saved = {"controls": {"batch": 7}, "preset": "batch=64&hw=a100_80gb&precision=fp8"}
    lab3 = Lab(meta, chapter, saved, None, {"hw": "a100_80gb", "batch": "64", "precision": "fp8"}, store)
    assert lab3.number("batch", 1, 100, 1, "b").value == 7


def test_every_accelerator_model_and_precision_gives_a_chart_or_a_reason():
    """The update cell for every registry entry: a chart with a finite roof, or no chart and the
    engine's reason; never a crash, a zero ridge or a nan (marimo's cell objects, pinned marimo)."""
    import asyncio
    import math
    from types import SimpleNamespace as Control

    from labkit import kit
    from mlsysim import Models

    module = importlib.import_module("vol1_ch11_roofline")
    update = next(c for c in module.app._cell_manager.cells() if "result" in c.defs)
    storage._store = storage.MemoryStore()
    try:
        lab = asyncio.run(kit.open_lab(module.LAB, chapter_module("vol1_ch11_roofline")))

        async def sweep():
            n = 0
            for hw in Hardware.list():
                for m in Models.list():
                    for p in ("fp32", "bf16", "fp16", "fp8", "int8"):
                        b = 1 if (n % 2) else 4096
                        _, out = await update.run(lab=lab, hw=Control(value=hw.key), model=Control(value=m.key),
                                                  precision=Control(value=p), batch=Control(value=b),
                                                  efficiency=Control(value=0.5))
                        n += 1
                        if out["chart"] is None:
                            assert not out["has_peak"] and out["result"].reason, (hw.key, m.key, p)
                            continue
                        ridges = [r["ai"] for r in out["chart"].datasets["ridges"]]
                        assert all(math.isfinite(r) and r > 0 for r in ridges), (hw.key, m.key, p, ridges)
            return n

        assert asyncio.run(sweep()) == len(Hardware.list()) * len(Models.list()) * 5
    finally:
        storage._store = None
