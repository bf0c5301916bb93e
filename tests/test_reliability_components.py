"""Job interruptions from component classes (accelerator, node, job), derived by hand.

Tolerance: 1e-9 relative for closed forms; the published comparisons state theirs.
Rates from Llama 3's root-cause table (Dubey et al. 2024, Table 5: 419 unexpected
interruptions, 16,384 H100 = 2,048 nodes, 54 days = 1,296 h): accelerator class 268,
node class (host + network) 88, job class (software + unknown) 63.
"""

import math
from dataclasses import replace

import pytest

from mlsysim import InputError, ureg
from mlsysim import measurements
from mlsysim.physics import kernels
from mlsysim.solvers import ReliabilityModel

GPU_H = 16384 * 1296 / 268  # 79,230.09 GPU-hours per accelerator-class interruption
NODE_H = 2048 * 1296 / 88  # 30,161.45 node-hours per node-class interruption
JOB_H = 1296 / 63  # 20.571 h per job-class interruption


def test_unit_mtbf_by_hand():
    assert kernels.unit_mtbf(16384, 1296, 268) == pytest.approx(79230.09, rel=1e-6)
    assert kernels.unit_mtbf(2048, 1296, 88) == pytest.approx(30161.45, rel=1e-6)
    assert kernels.unit_mtbf(10, 100, 0) == math.inf  # nothing observed: no rate


def test_classes_add_as_rates():
    # Llama 3 itself: 16,384 / 79,230 + 2,048 / 30,161 + 1 / 20.57 = 0.20679 + 0.06790 + 0.04861 = 0.32330 /h
    # -> 3.0931 h = 1,296 / 419, the measured interval: the split loses nothing
    assert kernels.job_interruption_mtbf(16384, 2048, GPU_H, NODE_H, JOB_H) == pytest.approx(1296 / 419, rel=1e-9)
    # a class left out (infinite MTBF) contributes nothing
    assert kernels.job_interruption_mtbf(8, 1, 100.0, math.inf, math.inf) == pytest.approx(12.5)
    assert kernels.job_interruption_mtbf(0, 0, math.inf, math.inf, math.inf) == math.inf


def test_solver_with_classes_for_opt175b():
    # 992 A100 in 124 nodes: 992 / 79,230 + 124 / 30,161 + 1 / 20.571
    # = 0.012521 + 0.004111 + 0.048611 = 0.065243 /h -> 15.33 h (OPT's logbook measured 7.5 h)
    r = ReliabilityModel().solve(measurements.fleet_of("selene_a100", 992), ureg.Quantity(30, "day"),
                                 checkpoint_time=ureg.Quantity(0, "s"), accelerator_mtbf=ureg.Quantity(GPU_H, "hour"),
                                 node_mtbf=ureg.Quantity(NODE_H, "hour"), job_mtbf=ureg.Quantity(JOB_H, "hour"))
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(1 / (992 / GPU_H + 124 / NODE_H + 1 / JOB_H), rel=1e-9)
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(15.33, abs=0.01)
    # one node: 8 / 79,230 + 1 / 30,161 -> 7,454 h
    assert r.node_mtbf.m_as("hour") == pytest.approx(1 / (8 / GPU_H + 1 / NODE_H), rel=1e-9)
    assert any("component classes" in a for a in r.assumptions)


def test_without_classes_nothing_changes():
    # the all-causes default: 50,676 h / 16,384 = 3.093 h, as before the classes existed
    r = ReliabilityModel().solve("h100", ureg.Quantity(30, "day"), count=16384, checkpoint_time=ureg.Quantity(0, "s"))
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(54 * 24 / 419, rel=1e-9)
    assert not any("component classes" in a for a in r.assumptions)


def test_bad_class_rates_are_named():
    for field in ("node_mtbf", "job_mtbf"):
        with pytest.raises(InputError, match=field):
            ReliabilityModel().solve("h100", ureg.Quantity(30, "day"), count=8, checkpoint_time=ureg.Quantity(0, "s"),
                                     **{field: ureg.Quantity(-1, "hour")})


def test_reliability_case_files_declare_classes(tmp_path):
    text = ('category = "r"\n[profiles.p]\naccelerator_mtbf_hours = {v}\nnode_mtbf_hours = 1.0\njob_mtbf_hours = 1.0\n'
            'source = "s"\n[sources.s]\ntitle = "t"\n[[cases]]\nid = "a"\nsource = "s"\nwhere = "w"\nkind = "job_mtti"\n'
            'fleet = "selene_a100"\ngpus = 8\nprofile = "p"\nmetric = "m"\nmeasured = {{ value = 1, unit = "hour" }}\n')
    (tmp_path / "r.toml").write_text(text.format(v=-5))
    with pytest.raises(InputError, match="accelerator_mtbf_hours"):
        measurements.load_cases(tmp_path)
    (tmp_path / "r.toml").write_text(text.format(v=8.0) + 'classes = ["gpus"]\n')
    _, cases = measurements.load_cases(tmp_path)
    with pytest.raises(InputError, match="classes"):
        measurements.predict(cases[0])


def test_classes_without_an_accelerator_rate_are_refused():
    # the all-cause default (5.78 years per GPU) already holds Llama 3's node and job shares:
    # adding a node class on top of it would count them twice, so the solver asks for the class rate
    with pytest.raises(InputError, match="accelerator_mtbf"):
        ReliabilityModel().solve("h100", ureg.Quantity(30, "day"), count=16, checkpoint_time=ureg.Quantity(0, "s"),
                                 node_mtbf=ureg.Quantity(1000, "hour"))


# Published comparisons. Tolerance: each case's error as derived below, to 0.5 percentage points.
# Kokolis et al. 2024 (Meta's RSC research clusters, A100): 8-GPU jobs' MTTF 47.7 days, 1,024-GPU jobs' 7.9 hours.
RSC_NODE_H = 47.7 * 24  # 1,144.8 node-hours per interruption, from the one-node jobs


def test_meta_rsc_one_node_rate_predicts_its_1024_gpu_jobs():
    # 1,024 GPUs = 128 nodes of 8: 1,144.8 / 128 = 8.944 h against the measured 7.9 h (+13.2%):
    # within one fleet the 1/N law holds to 13% over 128x the nodes
    (case,) = [c for c in measurements.load_cases()[1] if c.id == "meta-rsc-1024gpu-mttf"]
    pred = measurements.predict(case)
    assert pred.value == pytest.approx(RSC_NODE_H / 128, rel=1e-6)
    assert (pred.value - 7.9) / 7.9 == pytest.approx(0.132, abs=0.005)
    # OPT-175B (992 A100 = 124 nodes, Azure) from the same A100 node rate: 1,144.8 / 124 = 9.232 h vs 7.5 h (+23.1%)
    (opt,) = [c for c in measurements.load_cases()[1] if c.id == "opt175b-jmtti"]
    assert measurements.predict(opt).value == pytest.approx(RSC_NODE_H / 124, rel=1e-6)


def _with_llama3_hardware_classes(case):
    """The case as rule 3 predicted it before round seven: Llama 3's H100 accelerator and node classes."""
    return replace(case, config={**case.config, "classes": ["accelerator", "node"]},
                   profile={"accelerator_mtbf_hours": 79230.09, "node_mtbf_hours": 30161.45, "job_mtbf_hours": 20.5714})


def test_glm130b_hardware_interruptions_from_the_rsc_a100_rate():
    # GLM-130B's log: 11 hardware/infrastructure interruptions in 1,292 h (2022-05-06 04:00 to 06-29 00:00)
    # on 96 DGX-A100 = 768 GPUs -> 117.45 h measured. Rule 2 (round seven): an A100 fleet counting the same
    # hardware classes, Meta's RSC r_f; neither cluster is nearer, so the mean rate (6.50 + 2.34) / 2 = 4.42 per
    # 1,000 node-days -> 24,000 / 4.42 = 5,429.86 node-hours; / 96 nodes = 56.561 h running, + 4.15 h mean
    # downtime (45.65 h over the 11, from the log's entry and run-id times) = 60.71 h on the wall clock (-48.3%)
    (case,) = [c for c in measurements.load_cases()[1] if c.id == "glm130b-hardware-interruptions"]
    assert case.measured == pytest.approx(1292 / 11, rel=1e-3)
    pred = measurements.predict(case)
    assert pred.value == pytest.approx(24000 / 4.42 / 96 + 4.15, rel=1e-6)
    assert pred.value == pytest.approx(60.71, abs=0.01)
    assert (pred.value - case.measured) / case.measured == pytest.approx(-0.483, abs=0.005)
    # rule 3 as it stood: 768 / 79,230.09 + 96 / 30,161.45 = 0.0096932 + 0.0031829 = 0.0128761 /h -> 77.66 h running,
    # + 4.15 = 81.81 h (-30.3%; -33.9% before the downtime was counted)
    old = measurements.predict(_with_llama3_hardware_classes(case))
    assert old.value == pytest.approx(1 / (768 / GPU_H + 96 / NODE_H) + 4.15, rel=1e-6)
    assert old.value == pytest.approx(81.81, abs=0.01)
    assert (old.value - case.measured) / case.measured == pytest.approx(-0.303, abs=0.005)


def test_meta_rsc_clusters_predict_each_other():
    # Kokolis et al. 2024 (as summarised): r_f = 6.50 (RSC-1) and 2.34 (RSC-2) hardware failures per 1,000 node-days
    # of jobs on more than 128 GPUs. One node's hours per failure: 24,000 / 6.50 = 3,692.31, 24,000 / 2.34 = 10,256.41.
    # Each cluster from the other (rule 2): RSC-1 predicted 10,256.41 vs 3,692.31 (+177.8%, = 6.50 / 2.34 - 1);
    # RSC-2 predicted 3,692.31 vs 10,256.41 (-64.0%, = 2.34 / 6.50 - 1)
    cases = {c.id: c for c in measurements.load_cases()[1]}
    rsc1, rsc2 = cases["meta-rsc1-hardware-rate"], cases["meta-rsc2-hardware-rate"]
    assert rsc1.measured == pytest.approx(24000 / 6.50, rel=1e-5) and rsc2.measured == pytest.approx(24000 / 2.34, rel=1e-5)
    p1, p2 = measurements.predict(rsc1).value, measurements.predict(rsc2).value
    assert p1 == pytest.approx(24000 / 2.34, rel=1e-5) and p2 == pytest.approx(24000 / 6.50, rel=1e-5)
    assert (p1 - rsc1.measured) / rsc1.measured == pytest.approx(6.50 / 2.34 - 1, rel=1e-4)  # +177.8%
    assert (p2 - rsc2.measured) / rsc2.measured == pytest.approx(2.34 / 6.50 - 1, rel=1e-4)  # -64.0%
    assert rsc1.scored and rsc2.scored
    # the "about 10 hours at 4K" is kept out of the statistics: not known to be a measured point
    assert not cases["meta-rsc-4096gpu-mttf"].scored