"""The sensitivity adapters on the solvers' float functions give what the public solve() gave.

The reference is the former path: a copy of the HardwareNode with the knob's peak and bandwidth
(``model_copy(update=...)``) solved through ``SingleNodeModel.solve`` / ``ServingModel.solve``.
"""

import itertools

import pytest

from mlsysim import Hardware, ServingModel, SingleNodeModel
from mlsysim.core.units import make
from mlsysim.physics import kernels
from mlsysim.solvers.sensitivity import SensitivitySolver, serving_problem, single_node_problem


def hardware_with(hw, precision, peak, bandwidth):
    _, got = hw.peak_flops_si(precision)
    table = dict(hw.compute.precision_flops)
    compute = {"sparse_flops": {}}
    if table:
        table[got] = make(peak, "flops")
        compute["precision_flops"] = table
    else:
        compute["peak_flops"] = make(peak, "flops")
    return hw.model_copy(update={"compute": hw.compute.model_copy(update=compute),
                                 "memory": hw.memory.model_copy(update={"bandwidth": make(bandwidth, "bandwidth")})})


def variants(knobs, scales=(0.9, 1.0, 1.25)):
    for a, b in itertools.product(scales, scales):
        k = dict(knobs)
        k["peak_flops"] *= a
        k["bandwidth"] *= b
        k["efficiency"] = min(1.0, k["efficiency"] * a)
        k["batch_size"] = float(max(1, round(k["batch_size"] * b)))
        yield k


@pytest.mark.parametrize("model,hw,batch,training,grid", [
    ("resnet50", "h100", 1, False, "quebec"),
    ("resnet50", "gaudi3", 1, False, None),        # the on-chip tier
    ("llama3_8b", "a100", 4, False, None),
    ("resnet50", "a100", 64, True, "poland"),
    ("ds_cnn", "nrf52840", 1, False, None),
])
def test_single_node_float_path_matches_solve(model, hw, batch, training, grid):
    prob = single_node_problem(model, hw, batch_size=batch, is_training=training, grid=grid, price_per_hour="3 USD/hour",
                               precision="int8" if hw == "nrf52840" else "fp16")
    part = Hardware.get(hw)
    prec = "int8" if hw == "nrf52840" else "fp16"
    for k in variants(prob.knobs):
        got = prob.function(k)
        r = SingleNodeModel().solve(model, hardware_with(part, prec, k["peak_flops"], k["bandwidth"]), batch_size=int(k["batch_size"]),
                                    precision=prec, efficiency=k["efficiency"], bandwidth_efficiency=k["bandwidth_efficiency"],
                                    is_training=training)
        assert got["latency"] == pytest.approx(r._latency, rel=1e-9)
        assert got["throughput"] == pytest.approx(r._throughput, rel=1e-9)
        assert got["cost"] == pytest.approx(kernels.rental_cost(k["price"], 1.0, r._latency), rel=1e-9)


@pytest.mark.parametrize("model,hw,seq,batch", [("llama3_8b", "h100", 2048, 1), ("llama3_8b", "a100", 4096, 16),
                                                ("mixtral_8x7b", "h200", 1024, 8)])
def test_serving_float_path_matches_solve(model, hw, seq, batch):
    prob = serving_problem(model, hw, seq_len=seq, batch_size=batch)
    part = Hardware.get(hw)
    for k in variants(prob.knobs):
        k["seq_len"] = float(round(k["seq_len"] * 1.1))
        got = prob.function(k)
        r = ServingModel().solve(model, hardware_with(part, "fp16", k["peak_flops"], k["bandwidth"]), seq_len=int(k["seq_len"]),
                                 batch_size=int(k["batch_size"]), efficiency=k["efficiency"], bandwidth_efficiency=k["bandwidth_efficiency"])
        for name, want in (("ttft", r._ttft), ("itl", r._itl), ("decode_throughput", r._decode_throughput)):
            assert got[name] == pytest.approx(want, rel=1e-9)


def test_readme_elasticity_unchanged():
    r = SensitivitySolver().solve(serving_problem("llama3_8b", "h100", seq_len=2048))
    assert r.elasticities["itl"]["bandwidth"] == pytest.approx(-0.998, abs=5e-4)
