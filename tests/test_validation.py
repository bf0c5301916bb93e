"""The validation set: data integrity, today's error thresholds, calibration and the statistics.

Tolerance: calibration must return the efficiency that made a synthetic
measurement to 1e-6 relative (the bisection converges far below that).
The accuracy thresholds are the figures measured with the current physics
(`python3 -m mlsysim.validation`, 2026-12-01), rounded up a little so that a
regression fails and an improvement passes:

    category              cases  median   p90      (today)
    distributed_training  12     16.4%    30.5%
    energy_carbon          9     10.2%    12.9%
    llm_serving           11     25.5%    66.3%
    reliability            2    299.5%   524.8%
    single_node           18     59.4%   225.9%   (98.9% / 179.6% before the CNN activation traffic,
                                                   per-kernel launches and the Software wall's default efficiency;
                                                   p90 rose: BERT-Large on V100 at the GEMM table's 0.9-0.95 of peak)
    overall               52     21.7%   136.1%

Issue 17's targets (<= 15% per category, <= 10% overall) are for after the
missing physics lands; ``test_issue_targets`` is a strict xfail until then.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlsysim import Engine, Fleets, Grids, Hardware, InputError, Models, ureg
from mlsysim import calibrate as cal
from mlsysim import measurements, validation

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report():
    return validation.run()


@pytest.fixture(scope="module")
def cases():
    return measurements.load_cases()[1]


# ---------------------------------------------------------------------------
# Data integrity
# ---------------------------------------------------------------------------


def test_every_case_has_a_precise_source(cases):
    for c in cases:
        assert c.source.get("title", "").strip(), c.id
        assert c.source.get("kind") in ("measured", "paper", "datasheet", "derived"), c.id
        assert len(c.where) > 20, f"{c.id}: 'where' must name the table/figure/row"


def test_every_unit_parses_and_every_value_is_positive(cases):
    for c in cases:
        q = ureg.Quantity(c.measured, c.unit)
        assert math.isfinite(q.magnitude) and q.magnitude > 0, c.id


def test_every_registry_name_resolves(cases):
    catalogs = {"model": Models, "hardware": Hardware, "fleet": Fleets, "grid": Grids}
    for c in cases:
        for field, catalog in catalogs.items():
            if field in c.config:
                catalog.get(c.config[field])  # raises UnknownEntryError otherwise


def test_declared_efficiencies_are_fractions_with_a_source():
    headers, _ = measurements.load_cases()
    for h in headers:
        for name, profile in h["profiles"].items():
            assert profile.get("source", "").strip(), f"{h['file']}: profile {name} has no source"
            for field in measurements.PROFILE_FIELDS:
                if field in profile:
                    assert 0.0 < profile[field] <= 1.0, f"{h['file']}: {name}.{field}"


def test_framework_defaults_lie_in_the_recommended_ranges():
    # the recommended defaults of issue 17 (Megatron-LM 0.45-0.55, ZeRO-3 0.35-0.45, TensorRT-LLM 0.35-0.45, vLLM 0.25-0.35)
    ranges = {"megatron": (0.45, 0.55), "zero3": (0.35, 0.45), "tensorrt_llm": (0.35, 0.45), "vllm": (0.25, 0.35)}
    headers, _ = measurements.load_cases()
    seen = set()
    for h in headers:
        for name, profile in h["profiles"].items():
            if name in ranges:
                lo, hi = ranges[name]
                assert lo <= profile["efficiency"] <= hi, name
                seen.add(name)
    assert seen == set(ranges)


def test_the_set_is_large_and_diverse_enough(cases):
    scored = [c for c in cases if c.scored]
    assert len(scored) >= 40
    categories = {c.category for c in scored}
    assert categories >= {"single_node", "llm_serving", "distributed_training", "energy_carbon", "reliability"}
    accelerators = {}
    for c in cases:
        if "hardware" in c.config:
            a = Hardware.get(c.config["hardware"])
            accelerators[a.name] = a.vendor
        if "fleet" in c.config:
            a = Fleets.get(c.config["fleet"]).node.accelerator
            accelerators[a.name] = a.vendor
    assert len(accelerators) >= 4, accelerators  # V100, T4, A100, H100, MI300X
    assert len(set(accelerators.values())) >= 2, accelerators


def test_case_ids_are_unique_and_pending_cases_say_what_is_missing(cases):
    assert len({c.id for c in cases}) == len(cases)
    for c in cases:
        if c.pending is not None:
            assert len(c.pending) > 10, c.id


def test_bad_case_files_fail_clearly(tmp_path):
    (tmp_path / "bad.toml").write_text(
        'category = "x"\n[profiles.p]\nefficiency = 0.5\nsource = "s"\n[sources.s]\ntitle = "t"\n'
        '[[cases]]\nid = "a"\nsource = "nope"\nwhere = "w"\nkind = "single_node"\nprofile = "p"\nmetric = "m"\n'
        'measured = { value = 1, unit = "1/s" }\n')
    with pytest.raises(InputError, match="source"):
        measurements.load_cases(tmp_path)
    with pytest.raises(InputError, match="path"):
        measurements.load_cases(tmp_path / "missing")
    good = ('category = "x"\n[profiles.p]\nefficiency = {eff}\nsource = "s"\n[sources.s]\ntitle = "t"\n'
            '[[cases]]\nid = "a"\nsource = "s"\nwhere = "w"\nkind = "single_node"\nprofile = "p"\nmetric = "m"\n'
            'measured = {{ value = {value}, unit = "{unit}" }}\n')
    for eff, value, unit, field in ((0.5, 0, "1/s", "measured.value"), (0.5, 1, "furlongs/fortnightz", "measured.unit"),
                                    (1.5, 1, "1/s", "efficiency")):
        (tmp_path / "bad.toml").write_text(good.format(eff=eff, value=value, unit=unit))
        with pytest.raises(InputError, match=field):
            measurements.load_cases(tmp_path)


def test_the_data_ships_in_the_wheel():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"validation" = "mlsysim/_validation"' in text
    # from a checkout the repo's folder is used; from the wheel (as inside Pyodide) its copy
    found = measurements.validation_dir()
    assert found in (ROOT / "validation", Path(measurements.__file__).parent / "_validation"), found
    assert {p.name for p in found.glob("*.toml")} == {p.name for p in (ROOT / "validation").glob("*.toml")}


# ---------------------------------------------------------------------------
# Today's accuracy (a regression fails; see the module docstring)
# ---------------------------------------------------------------------------

THRESHOLDS = {  # category: (median, p90) ceilings
    "distributed_training": (0.20, 0.36),
    "energy_carbon": (0.12, 0.15),
    "llm_serving": (0.30, 0.75),
    "reliability": (3.3, 5.8),
    "single_node": (0.65, 2.35),
    "overall": (0.25, 1.40),
}


def test_every_scored_case_is_predicted(report):
    for o in report.outcomes:
        if o.case.scored:
            assert o.prediction is not None and o.error is not None, f"{o.case.id}: {o.failure}"


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_error_thresholds_today(report, name):
    s = report.overall if name == "overall" else report.category(name)
    med, p90 = THRESHOLDS[name]
    assert s.median <= med, f"{name}: median |error| {s.median:.1%} > {med:.0%}"
    assert s.p90 <= p90, f"{name}: p90 |error| {s.p90:.1%} > {p90:.0%}"


@pytest.mark.xfail(strict=True, reason="issue 17's targets need the missing physics (CNN activations, per-kernel launch cost, TP serving, ...)")
def test_issue_targets(report):
    assert report.overall.median <= 0.10
    for s in report.categories:
        assert s.median <= 0.15, s.name


def test_docs_page_is_regenerated(report):
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert page == validation.to_markdown(report), "regenerate: python3 -m mlsysim.validation --markdown docs/validation.md"


def test_readme_summary_is_regenerated(report):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert validation.summary_markdown(report) in text, "regenerate: python3 -m mlsysim.validation --readme README.md"
    assert validation.update_readme(text, report) == text
    with pytest.raises(ValueError, match="summary block"):
        validation.update_readme("no markers", report)


def test_command_line(tmp_path, capsys):
    out = tmp_path / "v.md"
    assert validation.main(["--json", "--markdown", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["count"] >= 40 and len(data["cases"]) >= 50
    assert out.read_text().startswith("# Validation against public measurements")
    assert validation.main([]) == 0
    assert "== Summary" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Statistics, derived by hand
# ---------------------------------------------------------------------------


def test_median_and_percentile_by_hand():
    assert validation.median([3.0, 1.0, 2.0]) == 2.0
    assert validation.median([4.0, 1.0, 3.0, 2.0]) == 2.5  # (2 + 3) / 2
    # p90 of 1..10: rank 0.9 x 9 = 8.1 -> 9 + 0.1 x (10 - 9) = 9.1
    assert validation.percentile([float(x) for x in range(10, 0, -1)], 90) == pytest.approx(9.1)
    assert validation.percentile([5.0], 90) == 5.0
    assert validation.percentile([1.0, 2.0], 0) == 1.0 and validation.percentile([1.0, 2.0], 100) == 2.0
    with pytest.raises(ValueError):
        validation.percentile([], 50)
    with pytest.raises(ValueError):
        validation.percentile([1.0], 101)


def test_signed_error_and_request_time_by_hand():
    assert measurements.signed_error(125.0, 100.0) == pytest.approx(0.25)
    assert measurements.signed_error(50.0, 100.0) == pytest.approx(-0.5)
    # 10 ms prefill, then 100 decode steps of 2 ms: 0.01 + 100 x 0.002 = 0.21 s
    assert measurements.request_time(0.010, 100, 0.002) == pytest.approx(0.21)


# ---------------------------------------------------------------------------
# Calibration, derived by hand
# ---------------------------------------------------------------------------


def test_calibrate_recovers_a_compute_efficiency():
    # ResNet-50 inference, fp16, batch 256 on an A100 80GB at efficiency 0.3:
    # compute = 256 x 8.18e9 FLOP / (312e12 FLOP/s x 0.3) = 0.0223726 s (torchvision 8.18 GFLOP, datasheet 312 TFLOP/s)
    # memory, fused (conv + BN + ReLU in one kernel, so no separate elementwise kernels): weights 51,114,064 B +
    #   256 x 44,455,936 B of conv activations (registry: 2 x 11,113,984 values x 2 B) = 11.43 GB / 2.039e12 B/s
    #   = 5.61 ms  -> compute-bound; 56 launches x 3.25 us = 0.18 ms overlap the device
    # latency = 0.0223726 + 10e-6 (dispatch tax) s; throughput = 256 / latency
    latency = 256 * 8.18e9 / (312e12 * 0.3) + 10e-6
    measured = 256 / latency  # ~11,437 images/s
    p = cal.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256,
                       "precision": "fp16", "execution": "fused", "measured": {"value": measured, "unit": "1/s"}})
    assert p.parameter == "efficiency"
    assert p.efficiency == pytest.approx(0.3, rel=1e-6)
    assert p.bandwidth_efficiency == 1.0
    assert abs(p.residual) < 1e-6


def test_calibrate_recovers_a_bandwidth_efficiency():
    # Llama-2-7B, one token of prefill at fp16 on an H100: the weights are read once.
    # memory  = 6.738e9 params x 2 B / (3.35e12 B/s x 0.8) = 5.02836 ms
    # compute = 2 x 6.738e9 FLOP / (989.4e12 FLOP/s x 0.5) = 27.2 us  -> memory-bound
    ttft = 6.738e9 * 2 / (3.35e12 * 0.8) + 10e-6
    p = cal.calibrate({"kind": "serving_ttft", "model": "llama2_7b", "hardware": "h100", "batch": 1, "input_len": 1,
                       "precision": "fp16", "measured": {"value": ttft * 1e3, "unit": "ms"}})
    assert p.parameter == "bandwidth_efficiency"
    assert p.bandwidth_efficiency == pytest.approx(0.8, rel=1e-6)
    assert p.efficiency == 0.5  # kept at the default


def test_calibrate_says_when_no_efficiency_reproduces_the_measurement():
    # 1e9 images/s is faster than the roofline allows at 100% of peak: the fit stops at 1 and reports the gap
    p = cal.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256,
                       "precision": "fp16", "execution": "fused", "measured": {"value": 1e9, "unit": "1/s"}})
    assert p.efficiency == 1.0 and p.residual < -0.99
    assert "no efficiency" in p.reason


def test_calibrated_profile_plugs_into_the_solvers():
    latency = 256 * 8.18e9 / (312e12 * 0.3) + 10e-6
    p = cal.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256,
                       "precision": "fp16", "execution": "fused", "measured": {"value": 256 / latency, "unit": "1/s"}})
    r = Engine.solve("resnet50", "a100_80gb", batch_size=256, precision="fp16", efficiency=p.efficiency,
                     bandwidth_efficiency=p.bandwidth_efficiency, execution="fused")
    assert r.latency.to("s").magnitude == pytest.approx(latency, rel=1e-6)


def test_calibrate_rejects_what_it_cannot_fit():
    with pytest.raises(InputError, match="measurement"):
        cal.calibrate("resnet50")
    with pytest.raises(InputError, match="efficiency"):
        cal.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 1, "precision": "fp16",
                       "measured": {"value": 1, "unit": "ms"}}, efficiency=1.5)
    with pytest.raises(InputError, match="kind"):
        cal.calibrate({"kind": "fleet_mtbf", "hardware": "h100", "count": 8, "measured": {"value": 1, "unit": "hour"}})


def test_transfer_rows_use_the_fitted_value(report):
    assert len(report.transfers) >= 10
    for t in report.transfers:
        assert 0.0 < t.value <= 1.0
        assert t.parameter in ("efficiency", "bandwidth_efficiency", "utilization")
        assert math.isfinite(t.error) and math.isfinite(t.default_error)
