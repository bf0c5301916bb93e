"""The on-chip SRAM tier of the single-node roofline, derived by hand from the registry's datasheet figures.

Gaudi 3: 96 MB SRAM at 12.8 TB/s, 128 GB HBM at 3.67 TB/s. Movidius Myriad X (NUC + NCS2):
2.5 MB CMX at 450 GB/s, 12.8 GB/s main memory. ResNet-50 weights in fp16: 25,557,032 parameters
x 2 B = 51,114,064 B (the registry gives it no activation traffic); MobileNetV2 in fp16:
3,504,872 x 2 B = 7,009,744 B.
"""

import pytest

import mlsysim
from mlsysim import SingleNodeModel


def test_resnet50_fits_in_gaudi3_sram():
    r = SingleNodeModel().solve("resnet50", "gaudi3", batch_size=1, precision="fp16")
    # 51.114064 MB <= 96 MB: 51,114,064 B / 12.8e12 B/s = 3.9933 us (not / 3.67e12 = 13.93 us)
    assert r.memory_time.m_as("s") == pytest.approx(51_114_064 / 12.8e12, rel=1e-9)
    assert any("on-chip tier: " in a and "96 MB" in a for a in r.assumptions)


def test_opt_out_charges_hbm():
    r = SingleNodeModel().solve("resnet50", "gaudi3", batch_size=1, precision="fp16", on_chip=False)
    assert r.memory_time.m_as("s") == pytest.approx(51_114_064 / 3.67e12, rel=1e-9)   # 13.93 us
    assert not any("on-chip" in a for a in r.assumptions)


def test_mobilenetv2_does_not_fit_in_myriad_x_cmx():
    r = SingleNodeModel().solve("mobilenetv2", "nuc_movidius", batch_size=1, precision="fp16")
    # 7.009744 MB > 2.5 MB: main memory, 7,009,744 B / 12.8e9 B/s = 0.54764 ms
    assert r.memory_time.m_as("s") == pytest.approx(7_009_744 / 12.8e9, rel=1e-9)
    assert any("on-chip tier not used" in a for a in r.assumptions)


def test_training_never_uses_the_tier():
    # training keeps gradients and optimizer state too: main memory, 3 passes x 51,114,064 B / 3.67e12 B/s
    r = SingleNodeModel().solve("resnet50", "gaudi3", batch_size=1, precision="fp16", is_training=True)
    assert r.memory_time.m_as("s") == pytest.approx(3 * 51_114_064 / 3.67e12, rel=1e-9)


def test_no_tier_without_an_sram_bandwidth():
    # the H100 lists its 50 MB L2 but no SRAM bandwidth: ResNet-50 stays at 3.35 TB/s HBM
    r = SingleNodeModel().solve("resnet50", "h100", batch_size=1, precision="fp16")
    assert r.memory_time.m_as("s") == pytest.approx(51_114_064 / r.bandwidth.m_as("B/s"), rel=1e-9)


def test_sweep_agrees_with_solve():
    s = mlsysim.sweep(models=["resnet50"], hardware=["gaudi3"], batch_sizes=[1], precisions=["fp16"])
    assert s.rows()[0]["memory_time_s"] == pytest.approx(51_114_064 / 12.8e12, rel=1e-9)
