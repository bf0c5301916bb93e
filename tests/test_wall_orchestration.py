"""Wall 16, multi-tenant: gang-scheduled jobs on a shared GPU cluster as M/M/c on job slots, with the
fragmentation whole-node and MIG placement cause; Erlang C values from the textbook closed form."""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Fleets
from mlsysim.core.errors import InputError, UnknownEntryError
from mlsysim.physics import kernels
from mlsysim.solvers.orchestration import OrchestrationModel, audit_row
from mlsysim.walls import Wall

M = OrchestrationModel()


def test_two_slots_one_erlang_by_hand():
    # 2 nodes x 8 GPUs, 8-GPU jobs: 2 slots. 1 job/hour of 1 hour: a = 1 Erlang, C(2, 1) = 1/3
    r = M.solve("1 1/hour", "1 hour", gpus_per_job=8, nodes=2)
    assert r.slots == 2 and r.fragmentation == 0.0 and r.wait_probability == pytest.approx(1 / 3)
    # E[W] = C / (c mu - lam) = (1/3) / (2 - 1) per hour = 20 minutes; turnaround 80 minutes
    assert r.mean_wait.m_as("minute") == pytest.approx(20)
    assert r.mean_turnaround.m_as("minute") == pytest.approx(80)
    # P(W > t) = C e^{-t/h}: p50 = 0 (two thirds never wait); p95 = ln((1/3)/0.05) h = ln(6.667) h = 1.897 h
    assert r.p50_wait.m_as("hour") == 0.0
    assert r.p95_wait.m_as("hour") == pytest.approx(math.log((1 / 3) / 0.05))
    assert r.gpu_utilization == pytest.approx(0.5) and r.utilization == pytest.approx(0.5)


def test_ten_slots_eight_erlangs_textbook():
    # c = 10, a = 8: C = 0.4092 (standard Erlang C table). E[W] = 0.4092 / (10 - 8) per hour = 0.2046 h
    r = M.solve("8 1/hour", "1 hour", gpus_per_job=8, nodes=10)
    assert r.wait_probability == pytest.approx(0.4092, abs=1e-4)
    assert r.mean_wait.m_as("hour") == pytest.approx(0.4092 / 2, abs=1e-4)


def test_fragmentation_of_awkward_job_sizes():
    # 3-GPU jobs on 8-GPU nodes: floor(8/3) = 2 per node, 6 of 8 GPUs usable -> 25% fragmentation
    r = M.solve("1 1/hour", "1 hour", gpus_per_job=3, system=Fleets.Research256)
    assert r.slots == 64 and r.fragmentation == pytest.approx(0.25)
    # 12-GPU jobs take 2 whole nodes (16 GPUs) each: 32 / 2 = 16 slots, 1 - 16 x 12 / 256 = 25% unusable
    r = M.solve("1 1/hour", "1 hour", gpus_per_job=12, system="research256")
    assert r.slots == 16 and r.fragmentation == pytest.approx(0.25)
    # 16-GPU jobs fit whole nodes exactly: no fragmentation
    assert M.solve("1 1/hour", "1 hour", gpus_per_job=16, system="research256").fragmentation == 0.0


def test_mig_partitions():
    # MIG: 7 slices per GPU (NVIDIA MIG User Guide); 2-slice jobs: floor(7/2) = 3 per GPU, 8 GPUs -> 24 slots
    # usable 24 x 2/7 = 6.857 of 8 GPUs -> fragmentation 1/7 = 14.3%
    r = M.solve("10 1/hour", "1 hour", mig_slices=2, nodes=1)
    assert r.slots == 24 and r.fragmentation == pytest.approx(1 / 7)
    # GPU utilisation = 10 x 1 x (2/7) / 8 = 0.357
    assert r.gpu_utilization == pytest.approx(10 * 2 / 7 / 8)


def test_overloaded_cluster_is_a_result():
    # 20 3-GPU jobs/hour of 4 hours = 80 slot-loads on 64 slots: utilisation 1.25
    r = M.solve("20 1/hour", "4 hour", gpus_per_job=3, system="research256")
    assert r.stable is False and r.feasible is False and r.utilization == pytest.approx(1.25)
    assert r.mean_wait is None and "1.25" in r.reason and r.bound is Wall.MULTI_TENANT
    # a job bigger than the cluster never runs
    r = M.solve("1 1/hour", "1 hour", gpus_per_job=64, nodes=4)
    assert r.slots == 0 and r.bound is Wall.CAPACITY and not r.feasible and "does not fit" in repr(r)


def test_wait_percentile_kernel():
    # C = 0.5, theta = 1/s: p99 = ln(0.5 / 0.01) = ln 50 = 3.912 s; C below 1 - q -> 0
    assert kernels.mmc_wait_percentile(0.99, 0.5, 2, 1.0, 1.0) == pytest.approx(math.log(50))
    assert kernels.mmc_wait_percentile(0.9, 0.05, 2, 1.0, 1.0) == 0.0
    assert kernels.gang_job_slots(5, 8, 17) == 1  # 17 GPUs take 3 nodes: floor(5 / 3)


@pytest.mark.parametrize("kw", [dict(arrival_rate="-1 1/hour"), dict(arrival_rate=3), dict(arrival_rate="3 GB"),
                                dict(job_duration="0 s"), dict(job_duration="1 GB"), dict(job_duration="nan s"), dict(gpus_per_job=0),
                                dict(gpus_per_job=1.5), dict(nodes=0), dict(nodes="4"), dict(gpus_per_node=0), dict(mig_slices=0),
                                dict(mig_slices=8), dict(slices_per_gpu=0, mig_slices=1), dict(nodes=10**6)])
def test_bad_input(kw):
    base = dict(arrival_rate="1 1/hour", job_duration="1 hour", nodes=4)
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(**{**base, **kw})


def test_system_or_nodes():
    with pytest.raises(InputError, match="nodes"):
        M.solve("1 1/hour", "1 hour")
    with pytest.raises(InputError, match="nodes"):
        M.solve("1 1/hour", "1 hour", system="research256", nodes=4)
    with pytest.raises(InputError, match="system"):
        M.solve("1 1/hour", "1 hour", system=3)
    with pytest.raises(UnknownEntryError):
        M.solve("1 1/hour", "1 hour", system="no-such-fleet")


def test_audit_row():
    ctx = SimpleNamespace(model=None, hardware=None, fleet=Fleets.Research256, workload="training", batch_size=1, precision="bf16",
                          seq_len=None, count=None, grid=None, duration=None, knobs={})
    assert audit_row(ctx) is None
    ctx.knobs = {"job_arrival_rate": "1 1/hour", "job_duration": "1 hour", "gpus_per_job": 8}
    row = audit_row(ctx)
    assert row["wall"] is Wall.MULTI_TENANT and row["binds"] is False
    ctx.knobs = {"job_arrival_rate": "40 1/hour", "job_duration": "1 hour", "gpus_per_job": 8}
    assert audit_row(ctx)["binds"] is True  # 40 Erlangs on 32 slots: unstable
