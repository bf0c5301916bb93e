"""The public API exactly as the issue and the textbook write it."""

import pytest

import mlsysim
from mlsysim import Engine, Hardware, Models, Q_
from mlsysim.core.constants import Q_ as Q2
from mlsysim.physics import calc_transformer_training_flops
from mlsysim.solvers import ServingModel, SingleNodeModel


def test_engine_solve_profile_fields():
    profile = Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, batch_size=1, precision="fp16")
    # issue 17: ResNet-50 at batch 1 is bound by the framework's kernel launches, not by compute
    assert profile.bottleneck == "Software Bound"
    for name in ("latency", "throughput", "arithmetic_intensity", "energy", "memory_footprint"):
        assert getattr(profile, name) is not None
    assert 0 < profile.mfu <= 1 and 0 < profile.hfu <= 1
    assert profile.feasible is True


def test_single_node_training_example():
    r = SingleNodeModel().solve(Models.Vision.ResNet50, Hardware.Cloud.A100, batch_size=256, efficiency=0.10, is_training=True, precision="fp16")
    assert r.throughput.m_as("1/s") > 0


def test_serving_example():
    s = ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=2048, batch_size=32, efficiency=0.5, precision="fp16")
    assert s.ttft.m_as("s") > 0 and s.itl.m_as("s") > 0
    # 16.06 GB of fp16 weights + KV 2 x 32 x 8 x 128 x 2048 x 32 x 2 B = 8.59 GB -> 24.65 GB, fits in 80 GB
    assert s.kv_cache_size.m_as("GB") > 0 and s.memory_footprint.m_as("GB") == pytest.approx(8.03e9 * 2 / 1e9 + 8.589934592)
    assert s.feasible is True and s.bound == "memory"


def test_training_flops_is_a_quantity_in_flop():
    gpt3 = Models.Language.GPT3
    c = calc_transformer_training_flops(gpt3.parameters, gpt3.training_tokens)
    assert c.check("[compute]")
    # 6 x 175e9 x 300e9 = 3.15e23 (Brown et al. 2020 Table D.1 reports 3.14e23)
    assert abs(c.m_as("flop") - 3.15e23) / 3.15e23 < 0.01
    assert gpt3.training_ops is not None and gpt3.provenance("training_ops").title


def test_both_q_imports_are_the_same_registry():
    assert Q_ is Q2
    assert mlsysim.ureg is Q_("1 s")._REGISTRY


def test_user_built_entries():
    hw = mlsysim.HardwareNode(
        name="My NPU", release_year=2025,
        compute=mlsysim.hardware.types.ComputeCore(peak_flops=Q_("275 TFLOP/s"), precision_flops={"bf16": Q_("275 TFLOP/s")}),
        memory=mlsysim.hardware.types.MemoryHierarchy(capacity=Q_("32 GB"), bandwidth=Q_("1200 GB/s")),
        tdp=Q_("200 W"),
    )
    model = mlsysim.TransformerWorkload(name="Big", architecture="Transformer", parameters=Q_("405e9 count"), layers=126, hidden_dim=16384, heads=128, kv_heads=8)
    assert model.head_dim == 128
    r = Engine.solve(model=Models.ResNet50, hardware=hw, batch_size=4, precision="bf16")
    assert r.feasible
    # 405e9 params x 2 B = 810 GB never fits in 32 GB: a result, not an exception
    s = ServingModel().solve(model, hw, seq_len=1024, batch_size=1, precision="bf16")
    assert s.feasible is False and "exceed" in s.reason


def test_registry_access_by_name_and_listing():
    assert Hardware.get("h100") is Hardware.Cloud.H100
    assert Hardware.get("H100 SXM") is Hardware.Cloud.H100
    assert Models.ResNet50 is Models.Vision.ResNet50
    assert all(h.tier == "edge" for h in Hardware.list(tier="edge"))
    assert Hardware.Edge.JetsonOrinNX.tier == "edge"
    assert "nvidia" in str(Hardware.Cloud.H100.provenance("memory.bandwidth")).lower()
