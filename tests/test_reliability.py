"""ReliabilityModel against the Llama 3 interruption record and the Young-Daly formula by hand."""

import math

import pytest

from mlsysim.core.errors import InputError
from mlsysim.core.units import Q_
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import formulas
from mlsysim.solvers import ReliabilityModel
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import TransformerWorkload

GPU = HardwareNode(name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"))


def fleet(nodes: int, per_node: int = 8) -> Fleet:
    return Fleet(name=f"{nodes}x{per_node}", node=Node(accelerator=GPU, accelerators_per_node=per_node, intra_node_bw="450 GB/s"),
                 count=nodes, fabric=NetworkFabric(bandwidth="50 GB/s"))


# Dubey et al. 2024, "The Llama 3 Herd of Models", Sec. 3.3.4 and Table 5: 419 unexpected
# interruptions in a 54-day snapshot of pre-training on 16,384 H100 GPUs.
LLAMA3_GPUS, LLAMA3_DAYS, LLAMA3_INTERRUPTIONS = 16_384, 54, 419


def test_llama3_fleet_mtbf_and_per_gpu_mtbf():
    r = ReliabilityModel().solve(fleet(2048), f"{LLAMA3_DAYS} day", checkpoint_time="60 s")
    # fleet MTBF = 54 x 24 h / 419 = 3.093 h; per GPU = 3.093 h x 16,384 = 50,676 h = 5.78 years
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(54 * 24 / 419, rel=1e-9)
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(3.1, abs=0.01)
    assert r.accelerator_mtbf.m_as("year") == pytest.approx(5.78, abs=0.01)
    assert r.node_mtbf.m_as("hour") == pytest.approx(54 * 24 * 16_384 / 419 / 8, rel=1e-9)
    assert r.expected_failures == pytest.approx(LLAMA3_INTERRUPTIONS, rel=1e-9)
    assert r.failure_probability == pytest.approx(1 - math.exp(-419), abs=1e-12)


def test_mtbf_scales_inversely_with_fleet_size():
    # the same GPUs, 8,192 of them: twice the fleet MTBF, half the failures per day
    r = ReliabilityModel().solve(fleet(1024), "1 day", checkpoint_time="60 s")
    assert r.fleet_mtbf.m_as("hour") == pytest.approx(2 * 54 * 24 / 419, rel=1e-9)
    assert r.expected_failures == pytest.approx(24 / (2 * 54 * 24 / 419), rel=1e-9)
    assert r.failure_probability == pytest.approx(1 - math.exp(-24 / (2 * 54 * 24 / 419)), rel=1e-9)


def test_young_daly_interval_waste_and_goodput():
    # delta = 60 s, fleet MTBF = 3 h = 10,800 s: tau* = sqrt(2 x 60 x 10,800) = 1,138.42 s
    tau = math.sqrt(2 * 60 * 10_800)
    r = ReliabilityModel().solve(GPU, "10 day", accelerator_mtbf="3 hour", checkpoint_time="60 s", restart_time="0 s")
    assert r.checkpoint_interval.m_as("s") == pytest.approx(tau, rel=1e-12)
    assert r.checkpoint_interval.m_as("s") == pytest.approx(1138.42, rel=1e-5)
    assert formulas.calc_young_daly_interval(Q_("60 s"), Q_("3 hour")).m_as("s") == pytest.approx(tau, rel=1e-12)
    # waste = delta / tau + (tau / 2) / M = 0.05270 + 0.05270 = 0.10541 (the two terms are equal at the optimum)
    waste = 60 / tau + tau / 2 / 10_800
    assert r.waste_fraction == pytest.approx(waste, rel=1e-12)
    assert r.waste_fraction == pytest.approx(0.10541, rel=1e-4)
    assert r.goodput == pytest.approx(1 - waste, rel=1e-12)
    assert r.wasted_time.m_as("hour") == pytest.approx(240 * waste, rel=1e-12)
    # a 10-minute restart adds 600 / 10,800 of waste per failure interval
    r2 = ReliabilityModel().solve(GPU, "10 day", accelerator_mtbf="3 hour", checkpoint_time="60 s", restart_time="10 minute")
    assert r2.waste_fraction == pytest.approx(waste + 600 / 10_800, rel=1e-12)


def test_checkpoint_time_from_the_model_and_storage_bandwidth():
    model = TransformerWorkload(name="70B", parameters=70e9, layers=80, hidden_dim=8192, heads=64)
    # 70e9 x (2 B weights + 12 B Adam state) = 980 GB; at Llama 3's 2 TB/s sustained storage: 0.49 s
    r = ReliabilityModel().solve(fleet(1024), "30 day", model=model)
    assert r.checkpoint_size.m_as("GB") == pytest.approx(980)
    assert r.checkpoint_time.m_as("s") == pytest.approx(0.49)
    r2 = ReliabilityModel().solve(fleet(1024), "30 day", model=model, storage_bandwidth="100 GB/s")
    assert r2.checkpoint_time.m_as("s") == pytest.approx(9.8)
    assert r2.accelerators == 8192 and r2.wasted_accelerator_hours.m_as("hour") == pytest.approx(r2.wasted_time.m_as("hour") * 8192)


@pytest.mark.parametrize("kwargs, field", [
    ({"job_duration": "-5 hour", "checkpoint_time": "60 s"}, "job_duration"),
    ({"job_duration": "5 hour"}, "checkpoint_time"),
    ({"job_duration": "5 hour", "checkpoint_time": "60 s", "accelerator_mtbf": "0 hour"}, "accelerator_mtbf"),
    ({"job_duration": "5 hour", "checkpoint_time": "-1 s"}, "checkpoint_time"),
    ({"job_duration": "5 hour", "checkpoint_size": "1 TB", "storage_bandwidth": "0 GB/s"}, "storage_bandwidth"),
])
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        ReliabilityModel().solve(fleet(4), **kwargs)
    assert exc.value.field == field
