"""ScalingModel: Chinchilla compute-optimal sizes, and the reverse (what a training run takes)."""

import math

import pytest

from mlsysim.core.errors import InputError, UnitError
from mlsysim.core.units import Q_
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.infrastructure.types import GridProfile
from mlsysim.solvers import DistributedModel, ScalingModel
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import TransformerWorkload


def test_compute_optimal_size_for_5e23_flop():
    # C = 6 P D, D = 20 P -> P* = sqrt(5e23 / 120) = 6.455e10 (~64.5B), D* = 20 P* = 1.291e12
    r = ScalingModel().solve(Q_("5e23 flop"))
    assert r.optimal_parameters.m_as("count") == pytest.approx(math.sqrt(5e23 / 120), rel=1e-12)
    assert r.optimal_parameters.m_as("count") == pytest.approx(64.5e9, rel=0.001)
    assert r.optimal_tokens.m_as("count") == pytest.approx(20 * math.sqrt(5e23 / 120), rel=1e-12)
    assert 6 * r.optimal_parameters.m_as("count") * r.optimal_tokens.m_as("count") == pytest.approx(5e23, rel=1e-12)


def test_chinchilla_itself_is_compute_optimal_for_gophers_budget():
    # Hoffmann et al. 2022, Sec. 4: Chinchilla (70B params, 1.4T tokens) uses Gopher's budget, 5.76e23 FLOPs.
    r = ScalingModel().solve("5.76e23 flop")
    assert r.optimal_parameters.m_as("count") == pytest.approx(70e9, rel=0.02)  # sqrt(5.76e23/120) = 69.3e9
    assert r.optimal_tokens.m_as("count") == pytest.approx(1.4e12, rel=0.02)


def test_parametric_loss():
    # L = 1.69 + 406.4 / P^0.34 + 410.7 / D^0.28 (Hoffmann et al. 2022, Eq. 10)
    r = ScalingModel().solve("5e23 flop")
    p, d = math.sqrt(5e23 / 120), 20 * math.sqrt(5e23 / 120)
    assert r.loss == pytest.approx(1.69 + 406.4 / p**0.34 + 410.7 / d**0.28, rel=1e-12)
    assert 1.9 < r.loss < 2.0


@pytest.mark.parametrize("budget, exc_type", [("-5e23 flop", InputError), ("5e23 byte", UnitError), (5e23, UnitError)])
def test_bad_budget(budget, exc_type):
    with pytest.raises(exc_type) as exc:
        ScalingModel().solve(budget)
    assert exc.value.field == "compute_budget"


GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"bf16": "1000 TFLOP/s"}),
    memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W", unit_cost="30000 USD",
)
GRID = GridProfile(name="Test grid", carbon_intensity="400 gCO2e/kWh", pue=1.2, electricity_price="0.10 USD/kWh")
FLEET = Fleet(name="4x8", node=Node(accelerator=GPU, accelerators_per_node=8, intra_node_bw="450 GB/s"), count=4,
              fabric=NetworkFabric(bandwidth="50 GB/s"), grid=GRID)
MODEL = TransformerWorkload(name="1B", parameters=1e9, layers=16, hidden_dim=2048, heads=16, seq_len=2048)


def test_training_run_time_cost_and_carbon():
    run = ScalingModel().training_run(MODEL, FLEET, tokens=1e9, batch_size=32, parallelism={"tp_size": 1},
                                      checkpoint_time="10 s")
    step = DistributedModel().solve(MODEL, FLEET, 32).step_time.m_as("s")
    # 32 x 2048 = 65,536 tokens per step -> ceil(1e9 / 65,536) = 15,259 steps
    assert run.steps == 15_259
    # model FLOPs (PaLM App. B): (6 x 1e9 + 12 x 16 layers x 2048 d_attn x 2048 seq) x 1e9 tokens
    # = (6e9 + 805,306,368) x 1e9 = 6.805306368e18
    assert run.training_compute.m_as("flop") == pytest.approx((6 * 1e9 + 12 * 16 * 2048 * 2048) * 1e9, rel=1e-12)
    assert run.training_compute.m_as("flop") == pytest.approx(6.805306368e18, rel=1e-12)
    assert run.ideal_duration.m_as("s") == pytest.approx(15_259 * step, rel=1e-12)
    assert run.duration.m_as("s") == pytest.approx(15_259 * step / run.goodput, rel=1e-12)
    wall_h = run.duration.m_as("hour")
    # carbon: 32 x 700 W x wall x PUE 1.2 x 0.4 kg/kWh, plus 32 x 150 kg x wall / 4 years
    assert run.carbon.m_as("kgCO2e") == pytest.approx(32 * 0.7 * wall_h * 1.2 * 0.4 + 32 * 150 * wall_h / (4 * 8766), rel=1e-9)
    # cost: 32 x 30,000 USD x (1/4 + 0.05) per year x wall, plus energy at 0.10 USD/kWh
    assert run.cost.m_as("USD") == pytest.approx(32 * 30_000 * (0.25 + 0.05) * wall_h / 8766 + 32 * 0.7 * wall_h * 1.2 * 0.10, rel=1e-9)


def test_training_run_defaults_to_the_optimizers_layout_and_20_tokens_per_parameter():
    run = ScalingModel().training_run(MODEL, FLEET, batch_size=32, checkpoint_time="10 s")
    assert run.feasible and run.tokens.m_as("count") == pytest.approx(20e9)
    assert run.config["tp"] * run.config["pp"] * run.config["dp"] * run.config["ep"] == 32


def test_training_run_of_a_model_that_does_not_fit():
    big = TransformerWorkload(name="1T", parameters=1e12, layers=128, hidden_dim=25600, heads=160, seq_len=2048)
    run = ScalingModel().training_run(big, FLEET, tokens=1e9, batch_size=32)
    assert not run.feasible and run.bound == "capacity" and run.cost is None
