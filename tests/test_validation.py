"""The validation set: data integrity, today's error thresholds, calibration and the statistics.

Tolerance: calibration must return the efficiency that made a synthetic
measurement to 1e-6 relative (the bisection converges far below that).
The accuracy thresholds are the figures measured with the current physics
(`python3 -m mlsysim.validation`, 2026-12-01), rounded up a little so that a
regression fails and an improvement passes:

    category              cases  median   p90      (today)
    distributed_training  17      6.3%    16.6%   (13.0% / 27.1% before Llama 3's stage balance, FSDP, async
                                                    PP sends, ZeRO-3 overlap and the causal MFU convention; 16.4% / 30.5%
                                                    over 12 before attention FLOPs, CP, interleaving, CNN DP)
    energy_carbon          9      2.5%     8.9%   (10.2% / 12.9% before the Llama cases took the PUE their
                                                  source applies)
    llm_serving           22      9.7%    27.8%   (25.8% / 67.0% over 20 before the Software wall's size tables per
                                                kernel, the per-pass launches, the decoder's norm/residual/activation
                                                traffic and the pre-XQA per-query-head KV reads that score the two
                                                Llama-70B cases once pending; 25.5% / 66.3% over 11 before
                                                input/output lengths, the per-operator decode and the 9 TP cases)
    reliability            7     48.3%   121.6%   (with Meta's RSC-1 and RSC-2 hardware rates each predicted from the other and
                                                   GLM-130B from their mean A100 rate: two A100 fleets of one operator differ
                                                   2.8x; 23.1% / 62.7% over 5 with a B200 cluster's GPU failures and GLM-130B's
                                                   logged restart downtime (wall clock = MTBF + downtime); 28.5% / 69.1% over 4 with
                                                   Meta RSC's one-node rate for its 1,024-GPU jobs and for OPT's A100s,
                                                   Llama 3's classes where a source counts only some; 94.3% / 102.4%
                                                   over 2 with Llama 3's H100 classes for every fleet)
    single_node           18      8.8%    21.3%   (7.9% / 22.7% before SQuAD's own model (span head), the masked-LM loss and the operators outside BERT's
                                                   layers; 10.8% / 22.7% before the tensor cores' partial overlap per layer; 12.9% / 25.8% before the A100 80GB's
                                                   measured HBM ceiling and the backward convolutions at DeepBench's measured time;
                                                   19.1% / 54.4% before the eager host floor (48 us per operator from
                                                   Fernandez et al. 2023's released latencies, autocast's weight-cast
                                                   operators), the roofline per layer with fp32 Winograd and
                                                   torch.matmul's copies of BERT's permuted Q, K, V;
                                                   20.7% / 56.0% before the weight update's traffic (fused Adam and
                                                   apex O2's fp32 master copy per micro-batch) and autocast's weight
                                                   casts for the ResNet-50 AMP rows; 23.5% / 82.4% before the V100/T4 sustained-bandwidth ceilings
                                                   (Jia et al. 2018, 2019) and NCHW transposes on tensor cores;
                                                   59.4% / 225.9% before a Transformer's memory-bound kernels
                                                   (Ivanov et al. 2021's BERT encoder operators), the V100's measured
                                                   GEMM ceiling (Markidis et al. 2018) and the HBM table for separate
                                                   kernels; 98.9% / 179.6% before the CNN activation traffic)
    vendors                9      7.3%    22.2%   (7 cases, 59.7% / 116.4%, before the weight-only kernels, size-dependent
                                                  streams and the two TP 8 rows; bottleneck right in 4 of 4)
    overall               82      8.6%    27.2%   (9.3% / 27.8% before this round's single-node physics; 8.9% / 26.1% over 80 before the two RSC cases; 9.9% / 32.8% over 79 before the eager host floor, the CNN roofline per layer, BERT's operand copies and the B200 case; 10.1% / 32.8% before the weight update's traffic; 13.3% / 47.5% over 77 before the serving tables; 17.9% / 64.4% before the
                                                  distributed round three; 22.4% / 102.2% over 73 before the weight-only kernels
                                                  and the single-node Transformer traffic; docs/validation.md has each)

Issue 17's targets: <= 10% overall (met, ``test_issue_target_overall``) and <= 15% per category (met by
five of six, each with its own test; ``test_issue_targets`` is a strict xfail until reliability meets
it too).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlsysim import Engine, Fleets, Grids, Hardware, InputError, Models, ureg
from mlsysim import calibrate as cal
from mlsysim import measurements, validation
from mlsysim.solvers import defaults as engine_defaults

# In the browser's runtime the engine ships as bytecode: the comments that hold each default's
# source are not there, so the table generated from them can only be checked where they are.
SOURCELESS = pytest.mark.skipif(Path(engine_defaults.__file__).suffix != ".py",
                                reason="the engine runs from bytecode here: the defaults' source comments are not shipped")

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
    # A profile that declares compute = "table" has no one efficiency: each kernel reaches the Software wall's
    # measured table for its size and precision (TensorRT-LLM: DeepGEMM's H100 FP8 shapes, the A100 matmul
    # ceiling), so the one-number range does not apply to it; it must then declare no efficiency at all.
    headers, _ = measurements.load_cases()
    seen = set()
    for h in headers:
        for name, profile in h["profiles"].items():
            if name in ranges:
                if profile.get("compute") == "table":
                    assert "efficiency" not in profile, name
                else:
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
    # and among the SCORED cases: four generations (V100, T4, A100, H100, MI250X) and two vendors (NVIDIA, AMD)
    scored_parts = {Hardware.get(c.config["hardware"]).name: Hardware.get(c.config["hardware"]).vendor
                    for c in scored if "hardware" in c.config}
    assert len(scored_parts) >= 4 and len(set(scored_parts.values())) >= 2, scored_parts


def test_predicted_bottleneck_matches_every_source_that_names_one(report):
    # issue 17: the bound (memory, compute, network, capacity) right in every case whose source says which it is
    checked = [o for o in report.outcomes if o.case.scored and o.bound_agrees is not None]
    assert len(checked) >= 2
    assert report.overall.bound_checked == len(checked)
    wrong = [(o.case.id, o.prediction.bound, o.case.source_bound) for o in checked if not o.bound_agrees]
    assert not wrong, wrong
    for o in report.outcomes:  # a source's bound is one of the walls the predictions use
        if o.case.source_bound is not None:
            assert o.case.source_bound in ("memory", "compute", "network", "capacity"), o.case.id


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
    "distributed_training": (0.08, 0.19),  # 6.3% / 16.6% with Llama 3's stage balance (chunks of one layer fit), its
    # FSDP (ZeRO-2-like) and asynchronous pipeline sends, DeepSpeed ZeRO-3's overlapped traffic, the causal MFU
    # convention (13.0% / 27.1% before, 2026-12-01)
    "energy_carbon": (0.04, 0.10),
    "llm_serving": (0.11, 0.30),  # 9.7% / 27.8% with the size tables per kernel, launches, decoder traffic, pre-XQA KV reads
    "reliability": (0.50, 1.25),  # 48.3% / 121.6% over 7 with RSC-1 and RSC-2 predicted from each other and GLM-130B from
    # their mean A100 hardware rate (rule 2); 23.1% / 62.7% over 5 with the B200 cluster's GPU failures and GLM-130B's
    # restart downtime (28.5% / 69.1% over 4 before); rates from the same fleet at another size or the same generation
    # (94.3% / 102.4% over 2 with Llama 3's H100 classes for every fleet; 299.5% / 524.8% with one per-GPU MTBF)
    "single_node": (0.10, 0.23),  # 8.8% / 21.3% with SQuAD's own model (span head), the masked-LM loss as DeepLearningExamples
    # runs it and the operators outside BERT's layers (7.9% / 22.7% before); 7.9% / 22.7% with the tensor cores' partial overlap per layer (0.644, Azure's A100
    # GEMM of a conv's shape; 10.8% / 22.7% before); 10.8% / 22.7% with the A100 80GB's measured HBM ceiling (Azure STREAM, 0.812) and the
    # backward convolutions at DeepBench's measured 2.39x / 2.51x their forwards (12.9% / 25.8% before);
    # 12.9% / 25.8% with the eager host floor (48 us per operator, Fernandez et al. 2023) and
    # autocast's weight-cast operators, the roofline layer by layer (ResNet-50's layer_shapes) with Winograd for fp32 3x3 convs,
    # and torch.matmul's copies of BERT's permuted Q, K, V (19.1% / 54.4% before); 19.1% / 54.4% with the weight update's traffic and autocast's casts (20.7% / 56.0% before); 20.7% / 56.0% with V100/T4 sustained-bandwidth ceilings and NCHW transposes (23.5% / 82.4% before); BERT's memory-bound kernels, V100 GEMM ceiling, HBM table for separate kernels
    "vendors": (0.10, 0.25),  # gpt-fast batch-1 decoding (A100, MI250X) and two TP 8 rows: 7.3% / 22.2% with the weight-only kernels'
    # achieved bandwidth and size-dependent streams (60.5% / 117.4% before, int8/int4 as pure bandwidth)
    "overall": (0.10, 0.30),  # 8.6% / 27.2% over 82 with this round's single-node physics; 9.3% / 27.8% over 82 with the two RSC hardware-rate cases; 8.9% / 26.1% over 80 with the eager host floor, the CNN roofline per layer, BERT's operand copies and the B200 case; 9.9% / 32.8% over 79 with the weight update's traffic; 10.1% / 32.8% over 79 (13.3% / 47.5% over 77 before the serving tables; 22.4% / 102.2% before the weight-only kernels)
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


@pytest.mark.xfail(strict=True, reason="issue 17's per-category target (<= 15%) is not met by reliability (48.3%: a failure rate "
                   "belongs to a fleet; two A100 clusters of one operator differ 2.8x, validation/reliability.toml)")
def test_issue_targets(report):
    assert report.overall.median <= 0.10
    for s in report.categories:
        assert s.median <= 0.15, s.name


def test_committed_ceilings_fail_the_check(tmp_path, capsys):
    # a category whose cases are 13-178% off (median 48.3%) exceeds a 15% ceiling, and only that one
    src = Path(measurements.validation_dir()) / "reliability.toml"
    text = src.read_text(encoding="utf-8")
    (tmp_path / "reliability.toml").write_text(text.replace("ceiling = { median = 0.50, p90 = 1.25 }",
                                                            "ceiling = { median = 0.15, p90 = 0.15 }"), encoding="utf-8")
    report = validation.run(tmp_path, transfers=False)
    failures = validation.exceeded(report)
    assert len(failures) == 2 and all("reliability" in f and "15.0%" in f for f in failures), failures
    assert validation.main(["--path", str(tmp_path), "--check"]) == 1
    assert "exceeds the committed ceiling" in capsys.readouterr().err
    # the shipped data meets every ceiling it commits to (this is what scripts/test.sh runs)
    assert validation.exceeded(validation.run(transfers=False)) == []
    assert "mlsysim validate --check" in (ROOT / "scripts" / "test.sh").read_text()
    bad = text.replace("ceiling = { median = 0.50, p90 = 1.25 }", "ceiling = { median = -1 }")
    (tmp_path / "reliability.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match="ceiling.median"):
        measurements.load_cases(tmp_path)


def test_issue_target_overall(report):
    # issue 17's overall target (median <= 10%), met once training charges the weight update's traffic per
    # micro-batch (BERT-Large SQuAD fine-tuning, one FusedAdam step per batch: +20.2% -> +8.2%)
    assert report.overall.median <= 0.10


def test_issue_target_distributed_training(report):
    # issue 17's per-category target, met by distributed training (attention FLOPs in both FLOP
    # conventions, context parallelism, interleaved schedules); the other categories are in the xfail above
    assert report.category("distributed_training").median <= 0.15


def test_issue_target_single_node(report):
    # issue 17's per-category target, met by single node once a CNN's roofline is applied layer by layer (the early
    # convs of ResNet-50 are memory-bound in fp16 while the pass as a whole is not) and its fp32 3x3 convolutions run
    # Winograd (cuDNN's choice off the tensor cores): 19.1% -> 14.3% over 18 cases
    assert report.category("single_node").median <= 0.15


def test_issue_target_llm_serving(report):
    # issue 17's per-category target, met by LLM serving once each kernel reads the Software wall's table for its
    # size and precision (FP8 GEMMs reach far less of their doubled peak), the decoder's memory-bound kernels move
    # their activations, each pass pays its launches and TensorRT-LLM v0.6's decode attention reads GQA KV heads per query head
    assert report.category("llm_serving").median <= 0.15


def test_issue_target_energy_carbon(report):
    # issue 17's per-category target, met by the energy and carbon cases with each source's own PUE and grid
    assert report.category("energy_carbon").median <= 0.15


def test_issue_target_vendors(report):
    # issue 17's per-category target, met by the vendor cases once int8/int4 decode streams its weights at the
    # weight-only kernels' measured fraction of the 16-bit kernel's bandwidth (registry/walls/weight_only.toml)
    assert report.category("vendors").median <= 0.15


def test_distributed_cases_say_which_flop_convention_they_use(cases):
    # Megatron-LM's TFLOP/s per GPU count hardware FLOPs (Narayanan et al. 2021, Eq. 3, with the recompute
    # pass); Llama 3's MFU counts model FLOPs (Chowdhery et al. 2022, App. B). Each case names its own.
    for c in cases:
        if c.kind == "distributed":
            assert c.config.get("flop_convention") in measurements.FLOP_CONVENTIONS, c.id
            if c.config.get("recompute") == "full" and "flops_per_step" in c.config:
                assert c.config["flop_convention"] == "hardware", c.id


@SOURCELESS
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
    # ResNet-50 inference, fp16, batch 256 on an A100 80GB at efficiency 0.15, fused (conv + BN + ReLU in one
    # kernel, so no separate elementwise kernels), the roofline layer by layer (the registry's layer_shapes):
    # the ridge is 312e12 x 0.15 / 2.039e12 = 22.95 flop/B and the least intense layer, a 1x1 conv 64 -> 64 on
    # 56x56, does 2 x 64 x 64 flops per output position for (64 + 64) x 2 B of activations: 32 flop/B (its
    # weights, 8 kB, are shared by the 256 images), so every layer is compute-bound and the time is the layers'
    # flops: sum of 2 C_in k^2 C_out H^2 over the 54 layers = 8,178,368,512 per image (torchvision's 8.18 G);
    # 56 launches x 3.25 us = 0.18 ms overlap the device
    # latency = 256 x 8,178,368,512 / (312e12 x 0.15) + 10e-6 (dispatch tax) s; throughput = 256 / latency
    # (re-derived for the per-layer roofline: at 0.3 of peak the ridge, 45.9 flop/B, would make the 1x1 convs
    # of conv2_x memory-bound)
    # With the tensor cores' partial overlap (0.644 of each layer's shorter side, here its traffic, is not hidden:
    # Azure's A100 cuBLASLt GEMM 802,816 x 192 x 768, defaults.DEFAULT_TENSOR_CORE_NON_OVERLAP) add 0.644 x the
    # layers' traffic at the datasheet 2.039e12 B/s: weights 2 x 25,502,912 B + 256 x 2 x (11,113,984 + 10,662,400 +
    # 3,048) B of inputs and outputs = 11,202,075,008 B -> 5.494 ms x 0.644 = 3.538 ms
    traffic = 2 * 25_502_912 + 256 * 2 * (11_113_984 + 10_662_400 + 3048)
    latency = 256 * 8_178_368_512 / (312e12 * 0.15) + 0.644 * traffic / 2.039e12 + 10e-6
    measured = 256 / latency  # ~5,300 images/s
    p = cal.calibrate({"kind": "single_node", "model": "resnet50", "hardware": "a100_80gb", "batch": 256,
                       "precision": "fp16", "execution": "fused", "measured": {"value": measured, "unit": "1/s"}})
    assert p.parameter == "efficiency"
    assert p.efficiency == pytest.approx(0.15, rel=1e-6)
    assert p.bandwidth_efficiency == 1.0
    assert abs(p.residual) < 1e-6


def test_calibrate_recovers_a_bandwidth_efficiency():
    # Llama-2-7B, one token of prefill at fp16 on an H100: the weights are read once.
    # memory  = 6.738e9 params x 2 B / (3.35e12 B/s x 0.8) = 5.02836 ms
    # compute = 2 x 6.738e9 FLOP / (989.4e12 FLOP/s x 0.5) = 27.2 us  -> memory-bound
    # then the attention operator writes the token's KV cache, 2 x 32 layers x 32 heads x 128 x 2 B = 524,288 B
    # (0.196 us at 3.35e12 x 0.8; its 4 x 32 x 1 x 4096 = 524,288 flop take 1 ns): memory-bound too
    ttft = (6.738e9 * 2 + 524288) / (3.35e12 * 0.8) + 10e-6
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


# ---------------------------------------------------------------------------
# Calibration transfer against issue 17's targets (batch/precision 10%, generation 20%)
# ---------------------------------------------------------------------------

# What the transfers reach today (2026-12-01), rounded up: a regression fails, an improvement passes.
# Each target is predicted with the whole calibrated profile (the fitted parameter and the values the
# fit held), so a case transferred to itself reproduces its measurement.
# A single-node fit sets the parameter its bound names and leaves the other to the engine's size- and
# precision-dependent default (the Software wall's tables at the target's own kernels), instead of holding it at
# 0.5 / 1.0 as before.
#   batch or precision: 1 of 4 within 10%, median |error| 20.5%, worst 36.1% (29.3% before the TF32 case's NCHW
#                       transposes; 33.9% / 42.2% with the other
#                       parameter held at 0.5 / 1.0; 29.2% / 56.3% when the target took only the fitted
#                       parameter; 39.1% / 66.3% before the CNN traffic)
#   GPU generation:     2 of 2 within 20%, median |error| 9.7%, worst 10.0% (13.0% / 16.7% held; 15.9% / 30.7% before)
# With the roofline layer by layer and fp32 Winograd: batch or precision 1 of 4 within 10%, median 11.9%, worst 35.5%
# (A100 AMP -> TF32 -13.5% -> -11.0%, V100 AMP b256 -> FP32 b256 -26.7% -> -12.8%); GPU generation still 2 of 2 within
# 20%, median 12.6%, worst 13.4% (the declared A100 AMP prediction moves less than the V100's, so the fit moves them apart)
# With a factor on the GEMM table for the compute-bound BERT fit (calibrate.TRANSFER_FIT; the memory side keeps its
# tables): BERT fp16 s128 -> fp32 s128 -34.7% -> -21.0%, so batch or precision: 1 of 4 within 10%, median 11.9%,
# worst 21.0% (|errors| 9.2, 11.0, 12.8, 21.0: median (11.0 + 12.8) / 2 = 11.9); GPU generation unchanged (memory-bound fits)
# With the A100 80GB's measured HBM ceiling and the measured backward convolutions: A100 AMP -> TF32 -11.0% -> -9.4% (met),
# so batch or precision 2 of 4 within 10%, median 11.1% (|errors| 9.2, 9.4, 12.8, 21.0: (9.4 + 12.8) / 2), worst 21.0%;
# GPU generation 2 of 2 within 20%, median 13.05% (A100 AMP -> V100 AMP -11.9% -> -12.7%, V100 -> T4 +13.4%), worst 13.4%
# With the tensor cores' partial overlap per layer (0.644 of the shorter side, Azure's A100 GEMM of a conv's shape):
# A100 AMP -> TF32 -5.7%, V100 AMP b256 -> b64 +8.6%, -> FP32 b256 -7.8% (met; -12.8% before), BERT fp16 -> fp32 -21.0%:
# batch or precision 3 of 4 within 10%, median (7.8 + 8.6) / 2 = 8.2%, worst 21.0%. GPU generation 2 of 2 within 20% but
# wider: A100 AMP -> V100 AMP -14.2%, V100 AMP -> T4 AMP +18.1% (the V100 fit's bandwidth efficiency, 0.846 of the datasheet
# with the declared row now -1.0%, is carried to the T4, whose own table stops at its measured 0.6875): median 16.1%, worst 18.1%
# With the masked-LM loss as DeepLearningExamples runs it and the operators outside BERT's layers: BERT fp16 s128 -> fp32
# s128 -21.0% -> -20.3% (|errors| 5.7, 7.8, 8.6, 20.3: median (7.8 + 8.6) / 2 = 8.2%, worst 20.3%); the fitted factor (0.823)
# stands in for ~46 ms a micro-batch outside the encoder layers, not a GEMM rate (tests/test_bert_pretraining_step.py)
TRANSFER_CEILINGS = {"batch or precision": (0.09, 0.21), "GPU generation": (0.17, 0.19)}  # (median, worst)


def test_transfer_summary_by_hand():
    def row(err, cls):
        return cal.TransferRow("a", "efficiency", 0.5, 0.0, "b", "x", 1.0, 0.0, err, cls)

    rows = [row(0.05, "batch or precision"), row(-0.30, "batch or precision"), row(0.12, "batch or precision"),
            row(0.15, "GPU generation"), row(0.5, None)]
    assert rows[0].met is True and rows[1].met is False and rows[4].met is None and rows[3].target_error == 0.20
    bp, gen = cal.summarise_transfers(rows)
    # |errors| 0.05, 0.12, 0.30: one within 10%, median 0.12, worst 0.30
    assert (bp.count, bp.met, bp.median, bp.worst) == (3, 1, 0.12, 0.30)
    assert (gen.count, gen.met, gen.median) == (1, 1, 0.15)
    with pytest.raises(InputError, match="target_class"):
        cal.transfer(measurements.find("megatron-18b", measurements.load_cases()[1]),
                     [(measurements.find("megatron-1t", measurements.load_cases()[1]), "x", "model size")])


@pytest.mark.parametrize("name", sorted(TRANSFER_CEILINGS))
def test_transfer_ceilings_today(report, name):
    found = {s.target_class: s for s in cal.summarise_transfers(list(report.transfers))}
    s = found[name]
    med, worst = TRANSFER_CEILINGS[name]
    assert s.count >= 2, name
    assert s.median <= med, f"{name}: median |error| {s.median:.1%} > {med:.0%}"
    assert s.worst <= worst, f"{name}: worst |error| {s.worst:.1%} > {worst:.0%}"


def test_transfer_to_another_gpu_generation_meets_its_target(report):
    # issue 17: calibrated on one GPU, the same workload on another generation within 20% (2 of 2 today)
    rows = [r for r in report.transfers if r.target_class == "GPU generation"]
    assert rows and all(r.met for r in rows), [(r.target, r.error) for r in rows]


def test_resnet_batch_and_precision_transfers_meet_their_target(report):
    # issue 17: calibrated on one measurement, another batch size or precision of the same workload within 10%: ResNet-50's
    # three rows (A100 AMP -> TF32, V100 AMP b256 -> b64 and -> FP32 b256) since the backward convolutions at DeepBench's
    # measured time and the tensor cores' partial overlap (-11.0% / +9.2% / -12.8% before)
    rows = [r for r in report.transfers if r.target_class == "batch or precision" and r.calibrated_on.startswith("rn50-")]
    assert len(rows) == 3 and all(r.met for r in rows), [(r.target, r.error) for r in rows]


@pytest.mark.xfail(strict=True, reason="issue 17's batch/precision transfer target (10%) is not met by BERT-Large fp16 -> fp32 "
                                       "(-20.3%): the factor fitted at fp16 stands in for ~46 ms a micro-batch outside the "
                                       "encoder layers that no code or measurement at hand names (tests/test_bert_pretraining_step.py)")
def test_transfer_targets_met(report):
    assert all(r.met for r in report.transfers if r.met is not None)


@SOURCELESS
def test_every_default_is_documented_with_its_source():
    from mlsysim.solvers import defaults
    names = sorted(n for n in vars(defaults) if n.startswith("DEFAULT_"))
    table = validation.documented_defaults()
    assert sorted(n for n, _, _ in table) == names  # each exactly once
    for name, value, source in table:
        assert len(source) > 40 and source != "(no source written)", name
        assert not source.startswith(name), name  # the "NAME = value:" prefix of the docstring is stripped
    assert dict((n, v) for n, v, _ in table)["DEFAULT_PUE"] == "1.1"
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    assert "## Defaults and their sources" in page and "Megatron-LM training | 0.45-0.55" in page


def test_cli_validate_check_passes_on_the_shipped_data(capsys):
    from mlsysim.cli import main as cli_main
    assert cli_main(["validate", "--check"]) == 0
    assert "== Summary" in capsys.readouterr().out


def test_defaults_table_without_the_source_still_names_every_default(monkeypatch):
    # as in the browser, where mlsysim/solvers/defaults.py ships as .pyc: every DEFAULT_* is listed,
    # with its docstring paragraph where it has one and a pointer to the file otherwise
    full = validation.documented_defaults()
    monkeypatch.setattr(engine_defaults, "__file__", engine_defaults.__file__ + "c")
    fallback = validation.documented_defaults()
    assert sorted(n for n, _, _ in fallback) == sorted(n for n, _, _ in full)
    by_name = {n: s for n, _, s in fallback}
    assert "Williams et al. 2009" in by_name["DEFAULT_BANDWIDTH_EFFICIENCY"]
    assert "defaults.py" in by_name["DEFAULT_LIFETIME_YEARS"]
