"""Sensitivity wall (21): elasticities d ln(output) / d ln(input) by central differences, ranked.

Hand derivations:
- a power law f = a^2 b^-0.5 has elasticities 2 and -0.5 exactly (central differences in log space
  are exact for power laws);
- Llama-3-8B decode on an H100 at seq 2048, batch 1, is memory bound: ITL = M / BW + tax with
  M = 16.06e9 + 2 x 32 x 8 x 128 x 2048 x 2 B = 16.328e9 B, so d ln ITL / d ln BW = -(M / BW) / ITL
  = -4.8742 ms / 4.8842 ms = -0.99795, and the prefill (compute bound) has d ln TTFT / d ln seq = ~1;
- carbon = TDP x latency x PUE x intensity: elasticity 1 with respect to PUE and to intensity.
"""

import math
from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.sensitivity import SensitivityProblem, SensitivitySolver, audit_row, serving_problem, single_node_problem
from mlsysim.walls import WALLS, Wall, missing
from pass_as_one_kernel import RESNET50_TOTALS  # the whole pass as one kernel, as these tests derive it


def test_power_law_is_exact():
    r = SensitivitySolver().solve(function=lambda k: {"t": k["a"] ** 2 * k["b"] ** -0.5}, knobs={"a": 3.0, "b": 7.0})
    assert r.elasticities["t"]["a"] == pytest.approx(2.0, abs=1e-12)
    assert r.elasticities["t"]["b"] == pytest.approx(-0.5, abs=1e-12)
    assert [k for k, _ in r.ranking["t"]] == ["a", "b"]
    assert kernels.log_elasticity(8.0, 1.0, 2.0, 1.0) == pytest.approx(3.0)


def test_serving_decode_is_bandwidth_bound_by_hand():
    r = SensitivitySolver().solve(serving_problem("llama3_8b", "h100", seq_len=2048, batch_size=1))
    mem = (16.06e9 + 2 * 32 * 8 * 128 * 2048 * 2) / 3.35e12
    assert r.elasticities["itl"]["bandwidth"] == pytest.approx(-mem / (mem + 10e-6), rel=1e-4)
    assert r.elasticities["itl"]["peak_flops"] == pytest.approx(0.0, abs=1e-12)  # compute does not bind decode
    # prefill is compute bound: T ~ s (2P + 4 L d (s + 1) / 2) with causal attention, so
    # d log T / d log s = 1 + s x 4 L d / 2 / (2P + 4 L d (s + 1) / 2)
    #                   = 1 + 2048 x 262,144 / (1.606e10 + 524,288 x 1024.5) = 1.0323 (Llama-3-8B: L = 32, d = 4096)
    assert r.elasticities["ttft"]["seq_len"] == pytest.approx(1 + 2048 * 262144 / (1.606e10 + 524288 * 1024.5), rel=1e-3)
    assert r.best_upgrade["itl"] == "bandwidth"  # bandwidth_efficiency is already 1: it cannot be raised
    assert r.best_upgrade["ttft"] in ("peak_flops", "efficiency")
    assert r.bound is Wall.SENSITIVITY


def test_single_node_with_grid_and_price():
    r = SensitivitySolver().solve(single_node_problem(RESNET50_TOTALS, "h100", batch_size=256, grid="quebec", price_per_hour="3 USD/hour"))
    assert r.elasticities["carbon"]["carbon_intensity"] == pytest.approx(1.0, abs=1e-9)
    assert r.elasticities["carbon"]["pue"] == pytest.approx(1.0, abs=1e-9)
    assert r.elasticities["cost"]["price"] == pytest.approx(1.0, abs=1e-9)
    # ResNet-50 batch 256 on an H100, eager, efficiency 0.5: compute 256 x 8.18e9 / 494.7e12 = 4.2330 ms binds the
    # convolutions (their traffic (51,114,064 + 256 x 44,455,936) B / 3.35e12 = 3.4125 ms), then the BN / ReLU / add
    # kernels move 256 x 118,218,752 B / 3.35e12 = 9.0340 ms; + 10 us: latency 13.277 ms, above the host's 174 x 48 us
    # = 8.352 ms of launches (at batch 64, 3.327 ms of device work, the launches bind). Elasticities:
    # peak -4.2330 / 13.277 = -0.319, bandwidth -9.0340 / 13.277 = -0.680 (before the activation traffic: compute
    # bound, peak ~ -1)
    assert r.elasticities["latency"]["peak_flops"] == pytest.approx(-4.2330 / 13.277, abs=0.01)
    assert r.elasticities["latency"]["bandwidth"] == pytest.approx(-9.0340 / 13.277, abs=0.01)
    assert r.best_upgrade["throughput"] == "bandwidth"  # tie with bandwidth_efficiency goes to the knob listed first
    assert any("one-sided" in a for a in r.assumptions)  # bandwidth_efficiency = 1.0 sits at its bound


def test_integer_knob_moves_to_neighbouring_integers():
    seen = []

    def f(k):
        seen.append(k["n"])
        return {"t": k["n"] ** 1.5}

    r = SensitivitySolver().solve(function=f, knobs={"n": 10.0}, integer_knobs={"n"})
    assert sorted(set(seen)) == [9.0, 10.0, 11.0]
    assert r.elasticities["t"]["n"] == pytest.approx(1.5, abs=1e-12)


def test_non_positive_output_gives_no_elasticity():
    r = SensitivitySolver().solve(function=lambda k: {"good": k["x"], "bad": k["x"] - 1.0}, knobs={"x": 1.0})
    assert r.elasticities["good"]["x"] == pytest.approx(1.0)
    assert r.elasticities["bad"]["x"] is None and any("bad" in a for a in r.assumptions)


def test_all_walls_have_solvers_in_this_branch_set():
    got = {w.solver for w in WALLS}
    for name in ("EfficiencyModel", "InferenceScalingModel", "CompressionModel", "ResponsibleEngineeringModel",
                 "SensitivitySolver", "SynthesisSolver"):
        assert name in got
    assert Wall.SENSITIVITY not in missing()


def test_audit_row():
    ctx = SimpleNamespace(model=Models.get("resnet50"), hardware=Hardware.get("h100"), fleet=None, workload="inference",
                          batch_size=256, precision="fp16", seq_len=None, count=1, grid=None, duration=None, knobs={"sensitivity": True})
    row = audit_row(ctx)
    # batch 256 eager: bandwidth is the best upgrade (elasticity -0.680, derived in test_single_node_with_grid_and_price)
    assert row["wall"] is Wall.SENSITIVITY and "bandwidth" in row["note"]
    assert audit_row(SimpleNamespace(**{**vars(ctx), "knobs": {}})) is None


@pytest.mark.parametrize("kwargs,field", [
    ({"function": 3, "knobs": {"a": 1.0}}, "function"), ({"function": lambda k: {"t": 1.0}, "knobs": {}}, "knobs"),
    ({"function": lambda k: {"t": 1.0}, "knobs": [1.0]}, "knobs"), ({"function": lambda k: {"t": 1.0}, "knobs": {"a": 0}}, "knobs['a']"),
    ({"function": lambda k: {"t": 1.0}, "knobs": {"a": math.nan}}, "knobs['a']"), ({"function": lambda k: {"t": 1.0}, "knobs": {"a": -2}}, "knobs['a']"),
    ({"function": lambda k: {"t": 1.0}, "knobs": {"a": 1.0}, "relative_step": 0}, "relative_step"),
    ({"function": lambda k: {"t": 1.0}, "knobs": {"a": 1.0}, "relative_step": 0.9}, "relative_step"),
    ({"function": lambda k: {"t": 1.0}, "knobs": {"a": 1.0}, "outputs": ["u"]}, "outputs"),
    ({"function": lambda k: {"t": 1.0}, "knobs": {"a": 1.0}, "outputs": "t"}, "outputs"),
    ({"function": lambda k: 5.0, "knobs": {"a": 1.0}}, "function"), ({"problem": "x"}, "problem"),
    ({"problem": "x", "function": abs}, "function"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError) as err:
        SensitivitySolver().solve(**kwargs)
    assert err.value.field == field


def test_adapter_bad_input():
    with pytest.raises(InputError, match="price_per_hour"):
        single_node_problem("resnet50", "h100", price_per_hour="3 USD")
    with pytest.raises(InputError, match="pue"):
        single_node_problem("resnet50", "h100", grid="quebec", pue=0.5)
    with pytest.raises(InputError, match="model"):
        serving_problem("resnet50", "h100")
    assert isinstance(single_node_problem("resnet50", "h100"), SensitivityProblem)
