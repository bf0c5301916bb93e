"""The lab kit without a browser: variants, the sealed record, and the grader."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "labs"))

from labkit import catalog, grading, questions, record  # noqa: E402
from labkit.chapters import vol1_ch11_roofline as ch11  # noqa: E402

LAB = {"id": "vol1_ch11_roofline", "title": "Roofline"}


def test_variants_are_per_student_stable_and_cover_the_options():
    q = ch11.QUESTIONS[0]
    assert q.variant("s1", "vol1_ch11_roofline") == q.variant("s1", "vol1_ch11_roofline")
    seen = {tuple(sorted(q.variant(f"s{i}", "vol1_ch11_roofline").items())) for i in range(200)}
    # 5 accelerators x 4 efficiencies = 20 variants; 200 students reach (nearly) all of them
    assert len(seen) >= 18
    # the seed is a hash of id, lab and question: another lab or question gives other numbers
    assert questions.variant_seed("s1", "a", "q") != questions.variant_seed("s1", "b", "q")
    assert questions.variant_seed(" s1 ", "a", "q") == questions.variant_seed("s1", "a", "q")


def test_crossover_answer_is_the_effective_ridge_by_hand():
    # H100 SXM: 989.4 TFLOP/s dense fp16, 3.35 TB/s (registry). At 50 % efficiency the effective ridge
    # is 989.4e12 x 0.5 / 3.35e12 = 147.7 flop/byte; a decode step of an 8B model at fp16 does
    # 2 flop per parameter per sequence and reads 2 bytes per parameter once: ~b flop/byte at batch b.
    # So the first compute-bound batch is 148.
    assert ch11.first_compute_bound_batch("h100", 0.5) == 148
    # 60 %: 989.4e12 x 0.6 / 3.35e12 = 177.2 -> 178
    assert ch11.first_compute_bound_batch("h100", 0.6) == 178


def test_tokens_per_second_by_hand():
    # Llama-3-8B: 8.03e9 parameters x 2 bytes = 16.06 GB read per step at fp16; on the H100 (3.35 TB/s)
    # that is 16.06e9 / 3.35e12 = 4.79 ms (+ 0.01 ms dispatch) -> 1 / 4.80 ms = 208 tokens/s at batch 1.
    q = ch11.QUESTIONS[1]
    assert q.expected({"hw": "h100", "batch": 1}) == pytest.approx(208, rel=0.01)


def test_prediction_reveal_says_how_far_off():
    p = questions.Prediction("n", "How many?", truth=lambda: 100.0, unit="ms")
    assert "within 10 %" in p.how_far_off(105)
    assert "2x too high" in p.how_far_off(200)
    assert "2x too low" in p.how_far_off(50)
    choice = ch11.PREDICTIONS[0]
    assert choice.truth() == "memory bandwidth"  # batch-1 decode reads all weights per token
    assert choice.how_far_off("memory bandwidth").startswith("**Right**")
    assert "Not quite" in choice.how_far_off("compute (FLOP/s)")


def test_catalog_has_both_volumes_in_order():
    chapters = catalog.chapters()
    assert len(chapters) == 16 + 17
    assert catalog.chapter_title(1, 11) == "Hardware Acceleration"
    assert catalog.chapter_title(2, 17) == "Conclusion"
    prev, nxt = catalog.neighbours(1, 16)
    assert prev[0] == "v1-ch15" and nxt[0] == "v2-ch1"
    assert catalog.neighbours(1, 1)[0] is None and catalog.neighbours(2, 17)[1] is None
    with pytest.raises(KeyError):
        catalog.chapter_title(1, 17)


def _work(student="s42", answers=None):
    state = {"student_id": student, "controls": {"hw": "h100", "batch": 148}, "predictions":
             {"decode_wall": {"value": "memory bandwidth", "at": "t"}}, "answers": answers or {}}
    return record.build(LAB, state, "0.4.0")


def _correct_answers(student):
    out = {}
    for q in ch11.QUESTIONS:
        v = q.variant(student, "vol1_ch11_roofline")
        out[q.id] = {"value": q.expected(v), "variant": v, "at": "t"}
    return out


def test_seal_detects_an_edit():
    rec = _work(answers=_correct_answers("s42"))
    assert record.verify(rec)
    edited = json.loads(json.dumps(rec))
    edited["answers"]["crossover"]["value"] = 1
    assert not record.verify(edited)
    assert not record.verify({k: v for k, v in rec.items() if k != "signature"})


def test_grader_rederives_answers(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(record.to_json(_work("s42", _correct_answers("s42"))))
    wrong = _correct_answers("s7")
    wrong["crossover"]["value"] = 1
    bad_answer = tmp_path / "wrong.json"
    bad_answer.write_text(record.to_json(_work("s7", wrong)))
    out_csv = tmp_path / "grades.csv"
    assert grading.main([str(good), str(bad_answer), "--csv", str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["correct"] for r in rows] == ["yes", "yes", "no", "yes"]
    assert list(rows[0]) == grading.COLUMNS
    assert rows[0]["student_id"] == "s42" and rows[0]["lab"] == "vol1_ch11_roofline"
    assert "crossover" in capsys.readouterr().out


def test_grader_reports_bad_files_without_crashing(tmp_path):
    rec = _work("s1", _correct_answers("s1"))
    tampered = json.loads(json.dumps(rec))
    tampered["answers"]["crossover"]["value"] += 10
    other_variant = _correct_answers("s1")
    other_variant["crossover"]["variant"] = {"hw": "h100", "efficiency": 0.123}
    files = {
        "tampered.json": json.dumps(tampered),
        "garbage.json": "{not json",
        "other.json": json.dumps({"hello": 1}),
        "unknown_lab.json": record.to_json(record.build({"id": "ch99_nothing"}, {"student_id": "s1"}, "x")),
        "variant.json": record.to_json(_work("s1", other_variant)),
        "empty.json": record.to_json(_work("s1", {})),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    rows = {name: grading.grade_file(tmp_path / name) for name in files}
    assert "edited after download" in rows["tampered.json"][0].note
    assert "cannot read it as JSON" in rows["garbage.json"][0].note
    assert "not a lab-work file" in rows["other.json"][0].note
    assert "unknown lab" in rows["unknown_lab.json"][0].note
    assert "another variant" in rows["variant.json"][0].note and rows["variant.json"][0].correct == "no"
    assert [r.note for r in rows["empty.json"]] == ["not answered", "not answered"]
    assert grading.main([str(tmp_path / n) for n in files]) == 1
    assert grading.main([str(tmp_path / "missing.json")]) == 1


def test_markdown_report_has_the_work():
    rec = _work("s42", _correct_answers("s42"))
    md = record.markdown_report(rec, {q.id: q for q in ch11.QUESTIONS})
    assert "s42" in md and "crossover" in md and "memory bandwidth" in md and "| batch | 148 |" in md


def test_importing_the_kit_core_needs_neither_marimo_nor_altair():
    import subprocess

    code = ("import sys; sys.path.insert(0, 'labs'); import labkit.grading, labkit.chapters.vol1_ch11_roofline; "
            "import mlsysim.viz; assert 'marimo' not in sys.modules and 'altair' not in sys.modules, "
            "[m for m in sys.modules if m.startswith(('marimo', 'altair'))]")
    root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(root / "core"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env=env)


def test_the_build_reads_and_checks_each_labs_metadata(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sitebuild.common import BuildError
    from sitebuild.labindex import index_sections, lab_meta

    good = ("import marimo\napp = marimo.App()\nwith app.setup:\n    LAB = {'id': 'ch03_flow', 'volume': 1, "
            "'chapter': 3, 'title': 'T', 'question': 'Q?', 'minutes': 20}\n")
    (tmp_path / "ch03_flow.py").write_text(good)
    meta = lab_meta(tmp_path / "ch03_flow.py")
    assert meta["chapter"] == 3 and meta["stem"] == "ch03_flow"
    page = index_sections([meta])
    assert page.count("<li ") == 33 and page.count('class="coming"') == 32
    assert 'data-lab-progress="ch03_flow"' in page and "20 min" in page
    for bad, why in [(good.replace("'minutes': 20", "'minutes': '20'"), "minutes"),
                     (good.replace("'chapter': 3", "'chapter': 17"), "chapters 1-16"),
                     (good.replace("'id': 'ch03_flow'", "'id': 'other'"), "stem"),
                     ("import marimo\n", "no `LAB")]:
        (tmp_path / "ch03_flow.py").write_text(bad)
        with pytest.raises(BuildError, match=why):
            lab_meta(tmp_path / "ch03_flow.py")
