"""mlsysim.audit: each wall's figure derived by hand for one configuration.

A made-up accelerator keeps the arithmetic short: 1000 TFLOP/s dense fp16,
2 TB/s, 80 GB, 500 W, 20,000 USD, no dispatch tax. Grid: 100 gCO2e/kWh,
PUE 1.5, 0.10 USD/kWh. Defaults used (solvers/defaults.py): efficiency 0.5,
utilisation 1.0, idle 0.15 of TDP, 4-year lifetime, 5%/year maintenance,
150 kgCO2e embodied per cloud accelerator, Llama-3 MTBF 54 x 24 x 16384 / 419 h
per accelerator, 2 TB/s checkpoint storage, 10 min restart.
"""

import json
import math

import pytest

import mlsysim
from mlsysim import Q_, Wall, audit
from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.infrastructure.types import GridProfile
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import TransformerWorkload, Workload

GPU = HardwareNode(name="Audit GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"fp16": "1000 TFLOP/s"}),
                   memory=MemoryHierarchy(capacity="80 GB", bandwidth="2 TB/s"), tdp="500 W", unit_cost="20000 USD")
GRID = GridProfile(name="Audit grid", carbon_intensity="100 gCO2e/kWh", pue=1.5, electricity_price="0.1 USD/kWh")
NET = Workload(name="Net", parameters=Q_(1e9, "count"), inference_flops="1 TFLOP")
LM = TransformerWorkload(name="LM", parameters=Q_(1e9, "count"), layers=16, hidden_dim=2048, heads=16, kv_heads=4, seq_len=1024)
YEAR = 365.25 * 86400
KWH = 3.6e6


def test_module_attribute_is_the_function():
    assert callable(mlsysim.audit) and mlsysim.audit is audit


def test_inference_rows_by_hand():
    a = audit(NET, GPU, "inference", batch_size=4, grid=GRID)
    # compute = 4 x 1e12 flop / (1000e12 x 0.5) = 8 ms; memory = 1e9 x 2 B / 2e12 B/s = 1 ms; latency 8 ms
    assert a.row("compute").figure.m_as("s") == pytest.approx(8e-3)
    assert a.row("compute").limit.m_as("s") == pytest.approx(8e-3)
    assert a.row("memory").figure.m_as("s") == pytest.approx(1e-3)
    assert a.row("compute").binds and not a.row("memory").binds
    # capacity: 2 GB of weights in 80 GB
    cap = a.row("capacity")
    assert cap.figure.m_as("byte") == pytest.approx(2e9) and cap.limit.m_as("byte") == pytest.approx(80e9) and not cap.binds
    # carbon over the 8 ms batch: 500 W x 8 ms = 4 J IT, x 1.5 = 6 J; 6 J x 100 g / 3.6e6 J = 1.6667e-4 g
    # embodied: 150,000 g x 8 ms / (4 x 365.25 x 86,400 s) = 9.507e-6 g
    carbon = 6 / KWH * 100 + 150_000 * 8e-3 / (4 * YEAR)
    assert a.row("sustainability").figure.m_as("gCO2e") == pytest.approx(carbon)
    # TCO over 8 ms: 20,000 x 8e-3 / (4 yr) + 6 J x 0.1 USD/kWh + 20,000 x 0.05 x 8e-3 / 1 yr
    tco = 20_000 * 8e-3 / (4 * YEAR) + 6 / KWH * 0.1 + 20_000 * 0.05 * 8e-3 / YEAR
    assert a.row("capital").figure.m_as("USD") == pytest.approx(tco)
    assert a.binding is Wall.COMPUTE and a.feasible and a.reason == ""
    assert [r.wall.number for r in a.rows] == sorted(r.wall.number for r in a.rows)


def test_a_budget_binds_before_the_speed_wall():
    # the TCO of one 8 ms batch is 1.69e-6 USD (above): a 1e-6 USD budget is exceeded
    a = audit(NET, GPU, "inference", batch_size=4, grid=GRID, budget="1e-6 USD")
    assert a.row("capital").binds and not a.feasible and a.binding is Wall.CAPITAL
    assert "exceeds the budget" in a.reason


def test_serving_rows_by_hand():
    a = audit(LM, GPU, "serving", batch_size=8, seq_len=1024)
    # KV = 2 x 16 layers x 4 kv heads x 128 dims x 1024 tokens x 8 seqs x 2 B = 268,435,456 B
    kv = 2 * 16 * 4 * 128 * 1024 * 8 * 2
    assert a.row("serving").figure.m_as("byte") == pytest.approx(kv)
    assert a.row("serving").limit.m_as("byte") == pytest.approx(80e9 - 2e9)  # what the 2 GB of weights leave
    # decode: memory (2e9 + KV) / 2e12 = 1.1342 ms; compute = GEMMs 2 x 1e9 x 8 + attention over the 1024-token
    # cache 4 x 16 layers x 1024 x 2048 (16 heads x 128) x 8 = 1.0737e9 flop, at 5e14 flop/s: 0.032 + 0.0021 ms
    assert a.row("memory").figure.m_as("s") == pytest.approx((2e9 + kv) / 2e12)
    assert a.row("compute").figure.m_as("s") == pytest.approx((2 * 1e9 * 8 + 4 * 16 * 1024 * 2048 * 8) / 5e14)
    assert a.binding is Wall.MEMORY and a.feasible
    assert a.row("capacity").figure.m_as("byte") == pytest.approx(2e9 + kv)


def test_kv_cache_that_does_not_fit_binds_capacity_first():
    # batch 2,000: KV = 268,435,456 / 8 x 2,000 = 67.1 GB + 2 GB weights fits; 4,000 -> 134 GB does not
    a = audit(LM, GPU, "serving", batch_size=4000, seq_len=1024)
    assert not a.feasible and a.binding is Wall.CAPACITY and a.row("serving").binds
    assert not a.row("memory").binds and not a.row("compute").binds


def test_training_on_a_fleet_rows_by_hand():
    node = Node(accelerator=GPU, accelerators_per_node=2, intra_node_bw="100 GB/s")
    fleet = Fleet(name="Two", node=node, count=1, fabric=NetworkFabric(bandwidth="50 GB/s"), grid=GRID)
    a = audit(LM, fleet, "training", batch_size=2, tp_size=1, pp_size=1, duration="1 day")
    # compute = executed FLOPs / (2 x 1000e12 x 0.5). Per token: 6 x 1e9 (6P) + 4 passes (3 + the selective
    # recompute of the attention core) x 4 x 16 layers x 512 keys (causal half of 1024) x 2048 (d_attn = 16 x 128)
    # = 6e9 + 4 x 67,108,864 = 6.268435456e9; x 2 x 1024 tokens / 1e15 = 12.8378 ms
    compute = (6 * 1e9 + 4 * 4 * 16 * 512 * 2048) * 2 * 1024 / (2 * 5e14)
    assert compute == pytest.approx(0.012837755813888, rel=1e-12)
    assert a.row("compute").figure.m_as("s") == pytest.approx(compute)
    # DP all-reduce of 2e9 B of gradients in one node over 2 ranks: 2 x 1 us + 2 x (1/2) x 2e9 / 100e9 = 20.002 ms
    comm = 2 * 1e-6 + 2e9 / 100e9
    assert a.row("communication").figure.m_as("s") == pytest.approx(comm)
    assert a.row("communication").limit.m_as("s") == pytest.approx(compute + comm)
    assert a.binding is Wall.COMMUNICATION and a.row("communication").binds
    # memory per accelerator: 2 + 2 + 12 GB + activations 34 x 1024 x 2048 x 16 layers B (selective recompute)
    assert a.row("capacity").figure.m_as("byte") == pytest.approx(16e9 + 34 * 1024 * 2048 * 16)
    # fleet MTBF = (54 x 24 x 16384 / 419 h) / 2 = 25,338 h against a 24 h job
    mtbf = 54 * 24 * 16384 / 419 / 2
    assert a.row("fragility").figure.m_as("hour") == pytest.approx(mtbf) and not a.row("fragility").binds
    assert a.row("fragility").limit.m_as("hour") == pytest.approx(24)
    # checkpoint 1e9 x (2 + 12) B / 2 TB/s = 7 ms; Young-Daly sqrt(2 x 7e-3 s x MTBF) = 1,130 s
    assert a.row("checkpoint").figure.m_as("s") == pytest.approx(math.sqrt(2 * 7e-3 * mtbf * 3600))


def test_accelerators_that_fail_too_often_make_the_job_infeasible():
    node = Node(accelerator=GPU, accelerators_per_node=2, intra_node_bw="100 GB/s")
    fleet = Fleet(name="Two", node=node, count=1, fabric=NetworkFabric(bandwidth="50 GB/s"))
    a = audit(LM, fleet, "training", batch_size=2, tp_size=1, duration="1 day", accelerator_mtbf="1 min")
    # fleet MTBF 30 s < the 10 min restart alone: nothing gets done
    assert a.row("fragility").binds and not a.feasible and a.binding is Wall.FRAGILITY


def test_as_dict_is_json_and_table_reads():
    a = audit(NET, GPU, "inference", batch_size=4, grid=GRID)
    d = json.loads(json.dumps(a.as_dict()))
    assert d["binding"] == "compute" and d["feasible"] is True
    assert {r["wall"] for r in d["rows"]} >= {"capacity", "compute", "memory", "capital", "sustainability"}
    assert all(isinstance(r["figure"], float) for r in d["rows"])
    t = a.table()
    assert "Compute" in t and "BINDS" in t and "binding wall: Compute" in t


def test_a_new_wall_adds_its_line_without_editing_the_audit():
    import sys

    import mlsysim.audit as audit_mod  # the package attribute is the function; the module is in sys.modules

    mod = sys.modules["mlsysim.audit"]
    before = len(mod.LINES)

    @mod.register_line(Wall.TAIL_LATENCY)
    def tail(ctx):
        return mod.AuditRow(Wall.TAIL_LATENCY, None, None, False, "queueing not modelled yet")

    try:
        a = audit(NET, GPU, "inference")
        assert a.row("tail_latency").note == "queueing not modelled yet"
    finally:
        del mod.LINES[before:]
    assert audit_mod is audit


@pytest.mark.parametrize("kwargs, field", [
    (dict(workload="train"), "workload"),
    (dict(nosuch=3), "nosuch"),
    (dict(batch_size=0), "batch_size"),
    (dict(budget="-5 USD"), "budget"),
    (dict(duration="-1 day"), "duration"),
    (dict(count=2.5), "count"),
])
def test_bad_arguments_name_themselves(kwargs, field):
    with pytest.raises(InputError) as exc:
        audit(NET, GPU, **kwargs)
    assert exc.value.field == field


def test_training_on_several_accelerators_needs_a_fleet():
    with pytest.raises(InputError) as exc:
        audit(LM, GPU, "training", count=4)
    assert exc.value.field == "system"


def test_share_is_figure_over_limit_in_the_same_dimension():
    a = audit(NET, GPU, "inference", batch_size=4, grid=GRID, budget="1e-6 USD")
    # capacity: 2 GB of weights in 80 GB = 0.025; memory: 1 ms of the 8 ms batch = 0.125
    assert a.row("capacity").share == pytest.approx(2 / 80)
    assert a.row("memory").share == pytest.approx(1 / 8)
    # capital: the 1.69e-6 USD of the batch (derived above) against the 1e-6 USD budget
    tco = 20_000 * 8e-3 / (4 * YEAR) + 6 / KWH * 0.1 + 20_000 * 0.05 * 8e-3 / YEAR
    assert a.row("capital").share == pytest.approx(tco / 1e-6)
    # without a carbon budget the sustainability line has no limit, so no share
    assert a.row("sustainability").limit is None and a.row("sustainability").share is None
