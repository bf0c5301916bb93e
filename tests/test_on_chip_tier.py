"""The on-chip SRAM tier of the single-node roofline, derived by hand from the registry's datasheet figures.

Gaudi 3: 96 MB SRAM at 12.8 TB/s, 128 GB HBM at 3.67 TB/s. Movidius Myriad X (NUC + NCS2):
2.5 MB CMX at 450 GB/s, 12.8 GB/s main memory. ResNet-50 weights in fp16: 25,557,032 parameters
x 2 B = 51,114,064 B, its conv activations (registry, from He et al. 2016 Table 1) 2 x 11,113,984 x 2 B
= 44,455,936 B (each written once, read once): working set 95,570,000 B; eager (a cloud part's default)
adds 118,218,752 B of BN / ReLU / add / pool traffic, so 213,788,752 B move. MobileNetV2 in fp16:
3,504,872 x 2 B = 7,009,744 B + 2 x 6,678,112 x 2 B = 26,712,448 B of activations = 33,722,192 B (fused,
an edge part's default: no separate elementwise kernels).
(Before activations were modelled these tests charged the weights alone.)
"""

import pytest

import mlsysim
from mlsysim import SingleNodeModel
from pass_as_one_kernel import RESNET50_TOTALS  # the whole pass as one kernel, as these tests derive it


def test_resnet50_fits_in_gaudi3_sram():
    r = SingleNodeModel().solve(RESNET50_TOTALS, "gaudi3", batch_size=1, precision="fp16")
    # 95.57 MB <= 96 MB: 213,788,752 B / 12.8e12 B/s = 16.70 us (not / 3.67e12 = 58.25 us)
    assert r.memory_time.m_as("s") == pytest.approx(213_788_752 / 12.8e12, rel=1e-9)
    assert any("on-chip tier: " in a and "96 MB" in a for a in r.assumptions)


def test_opt_out_charges_hbm():
    r = SingleNodeModel().solve(RESNET50_TOTALS, "gaudi3", batch_size=1, precision="fp16", on_chip=False)
    # HBM: the GEMM-class bytes (weights 51,114,064 + 2 x 11,113,984 x 2 conv outputs = 95,570,000 B) over 54 conv/fc
    # kernels = 1.77 MB each, so 0.6 of 3.67 TB/s (the Software wall's HBM table, Calculon's step from 1 MB),
    # the eager elementwise kernels' 59,109,376 x 2 = 118,218,752 B at the same table: 120 kernels
    # (174 eager - 54 conv/fc) of 0.985 MB each, below 1 MB, so 0.3 of the bandwidth (Calculon's table)
    assert r.memory_time.m_as("s") == pytest.approx(95_570_000 / (0.6 * 3.67e12) + 118_218_752 / (0.3 * 3.67e12), rel=1e-9)
    assert not any("on-chip" in a for a in r.assumptions)


def test_mobilenetv2_does_not_fit_in_myriad_x_cmx():
    r = SingleNodeModel().solve("mobilenetv2", "nuc_movidius", batch_size=1, precision="fp16")
    # 33.72 MB > 2.5 MB: main memory, 33,722,192 B / 12.8e9 B/s = 2.6345 ms
    assert r.memory_time.m_as("s") == pytest.approx(33_722_192 / 12.8e9, rel=1e-9)
    assert any("on-chip tier not used" in a for a in r.assumptions)


def test_training_never_uses_the_tier():
    # training keeps gradients and optimizer state too: main memory, 3 passes x (95,570,000 B GEMM-class at 0.6 of
    # 3.67e12 B/s: 1.77 MB per conv/fc kernel, the HBM table's step from 1 MB
    # + 118,218,752 B elementwise at 0.3 of it: 3 x 120 launches of 0.985 MB, the HBM table's step below 1 MB)
    # + the weight update, one Adam step per batch with fp32 master weights: 40 B x 25,557,032 = 1,022,281,280 B in one
    # fused pass, > 100 MB: 0.9 of the bandwidth (the HBM table's top step)
    r = SingleNodeModel().solve(RESNET50_TOTALS, "gaudi3", batch_size=1, precision="fp16", is_training=True)
    assert r.memory_time.m_as("s") == pytest.approx(3 * 95_570_000 / (0.6 * 3.67e12) + 3 * 118_218_752 / (0.3 * 3.67e12)
                                                    + 40 * 25_557_032 / (0.9 * 3.67e12), rel=1e-9)


def test_no_tier_without_an_sram_bandwidth():
    # the H100 lists its 50 MB L2 but no SRAM bandwidth: ResNet-50 stays at 3.35 TB/s HBM
    r = SingleNodeModel().solve(RESNET50_TOTALS, "h100", batch_size=1, precision="fp16")
    bw = r.bandwidth.m_as("B/s")  # GEMM-class bytes at the HBM table's 0.6 (1.77 MB per conv/fc kernel), elementwise at its 0.3 (0.985 MB kernels)
    assert r.memory_time.m_as("s") == pytest.approx(95_570_000 / (0.6 * bw) + 118_218_752 / (0.3 * bw), rel=1e-9)


def test_sweep_agrees_with_solve():
    s = mlsysim.sweep(models=[RESNET50_TOTALS], hardware=["gaudi3"], batch_sizes=[1], precisions=["fp16"])
    assert s.rows()[0]["memory_time_s"] == pytest.approx(213_788_752 / 12.8e12, rel=1e-9)
