"""Wall 9, transformation: cores, hosts and power preprocessing needs beside the trainers, by hand
from the registry's per-sample costs and the CPU and accelerator datasheets."""

from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError, UnknownEntryError
from mlsysim.solvers.single_node import SingleNodeModel
from mlsysim.solvers.transformation import TransformationModel, audit_row
from mlsysim.walls import Wall

M = TransformationModel()


def test_cores_hosts_and_power_by_hand():
    # 40,000 images/s x 5.2 ms per image = 208 busy cores; a dual EPYC 9654 host has 2 x 96 = 192 cores
    # -> ceil(208 / 192) = 2 hosts x 2 x 360 W = 1,440 W
    r = M.solve("40000 1/s", preprocessing="imagenet", accelerators=8, trainer_power="700 W")
    assert r.cores_needed == pytest.approx(208) and r.hosts_needed == 2
    assert r.preprocessing_power.m_as("W") == pytest.approx(1440)
    # trainers: 8 x 700 W = 5,600 W; ratio 1,440 / 5,600 = 0.257
    assert r.trainers_power.m_as("W") == pytest.approx(5600) and r.power_ratio == pytest.approx(1440 / 5600)
    # energy per image on a busy host: 5.2 ms x 720 W / 192 cores = 19.5 mJ
    assert r.energy_per_sample.m_as("mJ") == pytest.approx(19.5)


def test_preprocessing_heavier_than_the_trainers_binds():
    # 400,000 images/s x 5.2 ms: 2,080 cores -> ceil(2080/192) = 11 hosts = 7,920 W vs 8 x 700 W: ratio 1.414
    r = M.solve("400000 1/s", preprocessing="imagenet", accelerators=8, hardware="h100")
    assert r.hosts_needed == 11 and r.power_ratio == pytest.approx(7920 / 5600)
    assert r.bound is Wall.TRANSFORMATION and "7.92 kW" in r.reason


def test_offloaded_to_the_accelerators():
    # 8 GPUs training at 16,000 samples/s: t_train = 8 / 16,000 = 0.5 ms per sample per GPU-time;
    # + 0.25 ms of GPU decode -> 8 / 0.75 ms = 10,667 samples/s, 2/3 of the demand
    r = M.solve("16000 1/s", cpu_time_per_sample="5 ms", accelerators=8, accelerator_time_per_sample="0.25 ms")
    assert r.offloaded_throughput.m_as("1/s") == pytest.approx(8 / 0.75e-3)
    assert r.offload_slowdown == pytest.approx(2 / 3)


def test_demand_and_power_from_a_single_node_result():
    prof = SingleNodeModel().solve(Models.ResNet50, Hardware.Cloud.H100, batch_size=256, is_training=True)
    r = M.solve(prof, preprocessing="imagenet", accelerators=8)
    # trainer power from the H100's 700 W TDP (its datasheet), demand = 8 x the solve's throughput
    assert r.trainers_power.m_as("W") == pytest.approx(8 * 700)
    assert r.demand.m_as("1/s") == pytest.approx(8 * prof.throughput.m_as("1/s"))
    assert r.cores_needed == pytest.approx(8 * prof.throughput.m_as("1/s") * 5.2e-3)  # Little's law at 5.2 ms per image


def test_no_trainer_power_is_said():
    r = M.solve("1000 1/s", cpu_time_per_sample="1 ms")
    assert r.trainers_power is None and r.power_ratio is None
    assert any("no trainer power" in a for a in r.assumptions)


@pytest.mark.parametrize("kw", [dict(demand="-1 1/s"), dict(demand=5), dict(demand="1 GB"), dict(cpu_time_per_sample="0 ms"),
                                dict(cpu_time_per_sample="1 GB"), dict(accelerators=0), dict(accelerators=1.5), dict(trainer_power="-700 W"),
                                dict(trainer_power="700 GB"), dict(accelerator_time_per_sample="-1 ms"), dict(host=42), dict(hardware=3.0),
                                dict(preprocessing=1)])
def test_bad_input(kw):
    base = dict(demand="1000 1/s", cpu_time_per_sample="1 ms")
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(**{**base, **kw})


def test_missing_cost_and_unknown_names():
    with pytest.raises(InputError, match="cpu_time_per_sample"):
        M.solve("1000 1/s")
    with pytest.raises(UnknownEntryError):
        M.solve("1000 1/s", cpu_time_per_sample="1 ms", host="no-such-host")


def test_audit_row():
    ctx = SimpleNamespace(model=Models.ResNet50, hardware=Hardware.Cloud.H100, fleet=None, workload="inference", batch_size=256,
                          precision="fp16", seq_len=None, count=8, grid=None, duration=None, knobs={"preprocessing": "imagenet"})
    assert audit_row(ctx) is None
    ctx.workload = "training"
    row = audit_row(ctx)
    assert row["wall"] is Wall.TRANSFORMATION and row["limit"].m_as("W") == pytest.approx(5600)
