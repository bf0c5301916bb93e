"""Scenarios and the SystemLedger: one call from a question to a three-level verdict."""

import subprocess
import sys
from pathlib import Path

import pytest

from mlsysim import Models
from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.infrastructure.types import GridProfile
from mlsysim.solvers.ledger import SystemLedger
from mlsysim.solvers.scenarios import Scenario, Scenarios
from mlsysim.workloads.types import CNNWorkload, TransformerWorkload

ROOT = Path(__file__).resolve().parents[1]
GRID = GridProfile(name="Test grid", carbon_intensity="400 gCO2e/kWh", pue=1.1, wue="1.8 L/kWh", electricity_price="0.10 USD/kWh")
GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"bf16": "1000 TFLOP/s"}),
    memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W", unit_cost="30000 USD",
    interconnect_bandwidth="450 GB/s",
)
# Llama-3-70B shape (Dubey et al. 2024, Table 3): 80 layers, d_model 8192, 64 heads, 8 KV heads (head_dim 128)
LLAMA70 = TransformerWorkload(name="Llama-3-70B shape", parameters=70e9, layers=80, hidden_dim=8192, heads=64, kv_heads=8, seq_len=8192)


# -- SystemLedger.serve ------------------------------------------------------------------------------


def test_serving_70b_needs_more_than_one_80gb_accelerator():
    # 70e9 x 2 B = 140 GB of bf16 weights > 80 GB
    one = SystemLedger.serve(LLAMA70, GPU, count=1, grid=GRID, seq_len=2048, batch_size=8)
    assert not one.feasible and one.bound == "capacity"
    four = SystemLedger.serve(LLAMA70, GPU, count=4, grid=GRID, seq_len=2048, batch_size=8, output_tokens=256)
    assert four.feasible
    # per accelerator: (140 GB + KV 2 x 80 x 8 x 128 x 2048 x 8 x 2 B) / 4
    kv = 2 * 80 * 8 * 128 * 2048 * 8 * 2
    assert four.memory_per_accelerator.m_as("B") == pytest.approx((140e9 + kv) / 4)


def test_ledger_latency_and_per_query_footprint_by_hand():
    r = SystemLedger.serve(LLAMA70, GPU, count=4, grid=GRID, seq_len=2048, batch_size=8, output_tokens=256)
    # TP over 4 on the 450 GB/s link: 2 all-reduces per layer of 8 tokens x 8192 x 2 B, alpha 2 us
    one = 2 * 3 * 2e-6 + 2 * 3 / 4 * 8 * 8192 * 2 / 450e9
    assert r.tp_comm_per_token.m_as("s") == pytest.approx(2 * 80 * one, rel=1e-12)
    # the group's ServingResult carries its all-reduces: ITL = the decode step without them + 2 x 80 x one
    assert r.serving.decode_comm_time.m_as("s") == pytest.approx(2 * 80 * one, rel=1e-12)
    core = r.serving.itl.m_as("s") - r.serving.decode_comm_time.m_as("s")
    assert r.itl.m_as("s") == pytest.approx(core + 2 * 80 * one, rel=1e-12)
    # request = TTFT + 256 x ITL; 8 queries per request time
    latency = r.ttft.m_as("s") + 256 * r.itl.m_as("s")
    assert r.request_latency.m_as("s") == pytest.approx(latency, rel=1e-12)
    assert r.queries_per_second.m_as("1/s") == pytest.approx(8 / latency, rel=1e-12)
    # energy per query: 4 x 700 W x latency x PUE 1.1 / 8; carbon x 0.4 g/Wh plus the embodied share
    energy_wh = 4 * 700 * latency / 3600 * 1.1 / 8
    assert r.energy_per_query.m_as("Wh") == pytest.approx(energy_wh, rel=1e-9)
    embodied_g = 4 * 150e3 * latency / (4 * 365.25 * 86400) / 8
    assert r.carbon_per_query.m_as("gCO2e") == pytest.approx(energy_wh * 0.4 + embodied_g, rel=1e-9)
    # cost: 4 x 30,000 USD x (1/4 + 0.05) per year + energy at 0.10 USD/kWh, over latency, per query
    capex_per_s = 4 * 30_000 * (0.25 + 0.05) / (365.25 * 86400)
    assert r.cost_per_query.m_as("USD") == pytest.approx((capex_per_s * latency + energy_wh * 8 / 1000 * 0.10) / 8, rel=1e-9)
    assert r.cost_per_million_tokens.m_as("USD") == pytest.approx(r.cost_per_query.m_as("USD") / 256 * 1e6, rel=1e-12)
    # any of 4 GPUs failing takes the group down: MTBF / 4
    assert r.group_mtbf.m_as("hour") == pytest.approx(54 * 24 * 16_384 / 419 / 4, rel=1e-9)


def test_ledger_from_registry_names():
    r = SystemLedger.serve("llama3_70b", "h100", count=4, grid="quebec", seq_len=2048, batch_size=4, output_tokens=128)
    assert r.feasible and r.accelerators == 4 and r.cost_per_query is not None and r.carbon_per_query is not None


@pytest.mark.parametrize("kwargs, field", [
    ({"count": 0}, "count"), ({"batch_size": 0}, "batch_size"), ({"output_tokens": -1}, "output_tokens"),
    ({"count": 2, "link_bandwidth": "0 GB/s"}, "link_bandwidth"),
])
def test_ledger_bad_inputs(kwargs, field):
    with pytest.raises(InputError) as exc:
        SystemLedger.serve(LLAMA70, GPU, grid=GRID, **kwargs)
    assert exc.value.field == field


# -- Scenarios --------------------------------------------------------------------------------------


def test_importing_scenarios_reads_no_registry_data():
    code = ("import mlsysim.solvers.scenarios as s, mlsysim.core.registry as r; "
            "s.Scenarios.FrontierTraining.sla; print(r._DATA is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "core")})
    assert out.stdout.strip() == "True", out.stderr


def test_a_scenario_of_hand_built_parts_scores_three_levels():
    mcu = HardwareNode(name="Test MCU", tier="tiny", compute=ComputeCore(peak_flops="0.5 GFLOP/s"),
                       memory=MemoryHierarchy(capacity="512 kB", bandwidth="1 GB/s", flash_capacity="8 MB"), tdp="0.5 W")
    cnn = CNNWorkload(name="Test CNN", parameters=3e5, inference_flops="60 MFLOP", activation_bytes="200 kB")
    sc = Scenario("Doorbell", "Within 200 ms?", model=cnn, system=mcu, sla="200 ms", grid=GRID, precision="int8")
    ev = sc.evaluate()
    # 60 MFLOP / (0.5 GFLOP/s x 0.5) = 240 ms > 200 ms: fits, misses the SLA, compute-bound
    assert ev.feasible and not ev.sla_met and not ev.passed
    perf = [c for c in ev.checks if c.level == "performance"][0]
    assert perf.passed is False and perf.value == "240 ms" and perf.wall.startswith("compute")
    assert {c.level for c in ev.checks} == {"feasibility", "performance", "macro"}
    assert all(c.wall for c in ev.checks)
    card = ev.scorecard()
    assert "binding wall" in card and "Doorbell: FAIL" in card
    # at full efficiency: 60 MFLOP / 0.5 GFLOP/s = 120 ms < 200 ms, the SLA is met
    ev2 = sc.evaluate(efficiency=1.0)
    assert ev2.sla_met and [c.value for c in ev2.checks if c.level == "performance"] == ["120 ms"]


def test_full_fine_tuning_of_8b_does_not_fit_in_128_gb():
    # Llama-3-8B: 8.03e9 x (2 + 2 + 12) B = 128.5 GB of weights, gradients and Adam state alone > 128 GB
    ev = Scenarios.LocalFineTuning.evaluate()
    assert not ev.feasible and not ev.passed
    feas = [c for c in ev.checks if c.level == "feasibility"][0]
    assert feas.wall.startswith("capacity")
    pr = ev.results["performance"]
    # weights 2 B + gradients 2 B + Adam 12 B per parameter = 16 x 8.03e9 = 128.48e9 B, before any activation
    state = pr.weight_memory + pr.gradient_memory + pr.optimizer_memory
    assert state.m_as("byte") == pytest.approx(16 * 8.03e9)
    assert pr.memory_footprint.m_as("byte") > 128e9 and pr.memory_capacity.m_as("byte") == pytest.approx(128e9)


def test_frontier_training_fits_and_names_its_wall():
    ev = Scenarios.FrontierTraining.evaluate()
    assert ev.feasible
    best = ev.results["distributed"]
    assert best.total_accelerators == 8192 and best.model == Models.get("llama3_70b").name
    perf = [c for c in ev.checks if c.level == "performance"][0]
    assert perf.passed == (best.step_time.m_as("ms") <= 500)
    assert perf.wall.split()[0] in ("compute", "network", "pipeline")
    macro = {c.name: c for c in ev.checks if c.level == "macro"}
    assert "reliability" in macro and "goodput" in macro["reliability"].value


@pytest.mark.parametrize("name", ["SmartDoorbell", "AutonomousVehicle", "LocalFineTuning", "FrontierTraining"])
def test_every_builtin_scenario_evaluates(name):
    ev = getattr(Scenarios, name).evaluate()
    assert len(ev.checks) >= 3 and ev.scorecard().count("\n") >= 4


def test_scenario_bad_inputs():
    with pytest.raises(InputError) as exc:
        Scenarios.SmartDoorbell.evaluate(batch_size=0)
    assert exc.value.field == "batch_size"
    with pytest.raises(InputError) as exc:
        Scenario("x", "?", model="resnet50", system="h100", sla="-1 ms")
    assert exc.value.field == "sla"
