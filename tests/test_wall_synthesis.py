"""Synthesis wall (22): the iron law solved for its inputs, and the registry parts that qualify.

Hand derivation, Llama-3-70B (70.55e9 parameters), one 2048-token forward pass, fp16, target 2 s:
  ops = 2 x 70.55e9 x 2048 = 288.97 TFLOP  ->  peak >= 288.97e12 / (2 s x 0.5) = 288.97 TFLOP/s
  bytes = weights 141.1 GB                  ->  bandwidth >= 141.1e9 / (2 s x 1.0) = 70.55 GB/s
  memory = 141.1 GB
  MI300X (192 GB, 1307.4 TFLOP/s): 1 device, 288.97e12 / (1307.4e12 x 0.5) + 10 us = 0.442 s
  H100 (80 GB, 989.4 TFLOP/s): ceil(141.1 / 80) = 2 devices, 288.97e12 / 2 / (989.4e12 x 0.5) + 10 us = 0.292 s
"""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.synthesis import SynthesisSolver, audit_row
from mlsysim.walls import WALLS, Wall

OPS = 2 * 70.55e9 * 2048


def _by_key(r):
    return {c.key: c for c in r.candidates}


def test_minimum_specs_by_hand():
    r = SynthesisSolver().solve("llama3_70b", target_latency="2 s", seq_len=2048)
    assert r.required_flops.m_as("flop/s") == pytest.approx(OPS / (2 * 0.5))
    assert r.required_bandwidth.m_as("B/s") == pytest.approx(141.1e9 / 2)
    assert r.required_memory.m_as("GB") == pytest.approx(141.1)
    assert r.bound is Wall.SYNTHESIS and r.feasible


def test_parts_are_sized_by_memory_and_latency():
    r = SynthesisSolver().solve("llama3_70b", target_latency="2 s", seq_len=2048, hardware=["mi300x", "h100", "t4"])
    c = _by_key(r)
    assert c["mi300x"].count == 1 and c["mi300x"].latency.m_as("s") == pytest.approx(OPS / (1307.4e12 * 0.5) + 10e-6)
    assert c["h100"].count == 2 and c["h100"].latency.m_as("s") == pytest.approx(OPS / 2 / (989.4e12 * 0.5) + 10e-6)
    # T4: 16 GB -> 9 for memory; 65 TFLOP/s: 288.97e12 / 9 / 32.5e12 = 0.988 s <= 2 s
    assert c["t4"].count == 9 and c["t4"].qualifies


def test_latency_can_need_more_devices_than_memory():
    # target 0.1 s on H100: compute 288.97e12 / 494.7e12 = 0.584 s -> ceil(0.584 / (0.1 - 10 us)) = 6 > 2 for memory
    r = SynthesisSolver().solve("llama3_70b", target_latency="0.1 s", seq_len=2048, hardware=["h100"])
    assert r.candidates[0].group == kernels.units_needed(OPS / (989.4e12 * 0.5), 0.1 - 10e-6) == 6
    assert r.candidates[0].latency.m_as("s") <= 0.1


def test_throughput_target_adds_replicas():
    # ResNet-50 batch 64 on an H100: 8.18e9 x 64 / 494.7e12 = 1.058 ms (+10 us) -> 59,900 images/s per device;
    # 200,000 images/s needs ceil(200000 x 1.068 ms / 64) = 4 replicas
    r = SynthesisSolver().solve("resnet50", target_throughput="200000 1/s", batch_size=64, hardware=["h100"])
    lat = 8.18e9 * 64 / (989.4e12 * 0.5) + 10e-6
    assert r.candidates[0].latency.m_as("s") == pytest.approx(lat)
    assert r.candidates[0].replicas == math.ceil(200000 * lat / 64) == 4


def test_budget_and_ordering():
    r = SynthesisSolver().solve("llama3_70b", target_latency="2 s", seq_len=2048, budget="20000 USD", tier="cloud")
    c = _by_key(r)
    assert not c["h100"].qualifies and "budget" in c["h100"].why_not  # 2 x 30,000 USD
    assert c["mi300x"].qualifies  # one MI300X at its listed price
    costs = [x.cost.m for x in r.candidates if x.qualifies]
    assert costs == sorted(costs)
    assert all(Hardware.get(k).tier == "cloud" for k in (x.key for x in r.candidates))


def test_impossible_target_is_a_result():
    r = SynthesisSolver().solve("resnet50", target_latency="5 us", hardware=["h100", "a100"])
    assert not r.feasible and r.qualifying == [] and "no part" in r.reason
    assert all("dispatch tax" in c.why_not for c in r.candidates)


def test_memory_need_only_and_unsupported_precision():
    r = SynthesisSolver().solve("resnet50", memory_need="100 GB", hardware=["h100", "coral_edge_tpu"], precision="fp16")
    c = _by_key(r)
    assert c["h100"].count == 2 and r.required_flops is None
    assert not c["coral_edge_tpu"].qualifies and "no fp16 compute" in c["coral_edge_tpu"].why_not


def test_units_needed_kernel():
    assert kernels.units_needed(3.0000000004, 1.0) == 3
    assert kernels.units_needed(3.1, 1.0) == 4
    assert kernels.units_needed(0.2, 1.0) == 1
    assert kernels.required_flops(100.0, 2.0, 0.5) == 100.0
    assert kernels.required_bandwidth(100.0, 2.0, 0.5) == 100.0


def test_wall_row_and_audit():
    assert next(w for w in WALLS if w.wall is Wall.SYNTHESIS).solver == "SynthesisSolver"
    ctx = SimpleNamespace(model=Models.get("llama3_70b"), hardware=Hardware.get("h100"), fleet=None, workload="inference",
                          batch_size=1, precision="fp16", seq_len=2048, count=1, grid=None, duration=None,
                          knobs={"target_latency": "0.1 s"})
    row = audit_row(ctx)
    assert row["wall"] is Wall.SYNTHESIS and not row["binds"]  # 6 H100s meet it
    assert row["figure"].m_as("flop/s") == pytest.approx(OPS / (0.1 * 0.5))
    assert "6 x" in row["note"]
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({}, "target_latency"), ({"target_latency": "0 s"}, "target_latency"), ({"target_latency": "2 GB"}, "target_latency"),
    ({"target_latency": 2}, "target_latency"), ({"target_throughput": "-5 1/s"}, "target_throughput"),
    ({"budget": "1e400 USD"}, "budget"), ({"budget": "-1 USD"}, "budget"), ({"memory_need": "0 GB"}, "memory_need"),
    ({"target_latency": "1 s", "batch_size": 0}, "batch_size"), ({"target_latency": "1 s", "precision": "fp2"}, "precision"),
    ({"target_latency": "1 s", "efficiency": 0}, "efficiency"), ({"target_latency": "1 s", "bandwidth_efficiency": 1.5}, "bandwidth_efficiency"),
    ({"target_latency": "1 s", "seq_len": 0}, "seq_len"), ({"target_latency": "1 s", "tier": "space"}, "tier"),
    ({"target_latency": "1 s", "hardware": "h100"}, "hardware"), ({"target_latency": "1 s", "hardware": [3]}, "hardware[0]"),
    ({"target_latency": "1 s", "max_count": 0}, "max_count"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        SynthesisSolver().solve("resnet50", **kwargs)
    assert err.value.field == field
