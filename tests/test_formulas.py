"""The formula library against hand arithmetic (each expected value derived in the test)."""

import math

import pytest

from mlsysim import Q_, InputError, UnitError
from mlsysim import formulas as f
from mlsysim.physics import kernels


def test_formulas_alias_is_physics():
    import mlsysim.physics as physics

    assert f.calc_ring_allreduce_time is physics.calc_ring_allreduce_time


def test_training_flops_6pd_gpt3():
    # Kaplan et al. 2020: C = 6PD. GPT-3: 6 x 175e9 x 300e9 = 3.15e23 flop
    assert f.calc_transformer_training_flops(175e9, 300e9).m_as("flop") == pytest.approx(3.15e23)


def test_inference_flops_2p_per_token():
    # Llama-3-8B, 1000 tokens: 2 x 8.03e9 x 1000 = 1.606e13 flop
    assert f.calc_inference_flops(8.03e9, 1000).m_as("flop") == pytest.approx(1.606e13)


def test_kv_cache_llama3_8b():
    # 2 x 32 layers x 8 kv heads x 128 dims x 2048 tokens x 32 seqs x 2 B = 8,589,934,592 B
    assert f.calc_kv_cache_size(32, 8, 128, 2048, 32, 2).m_as("byte") == 8_589_934_592


def test_activation_memory_korthikanti_gpt3_layer():
    # Korthikanti et al. 2022 Eq. 1 for one GPT-3 layer, s=2048, b=1, h=12288, a=96:
    # s b h (34 + 5 a s / h) = 2048 x 12288 x (34 + 5 x 96 x 2048 / 12288) = 25,165,824 x 114 = 2,868,903,936 B
    one = f.calc_activation_memory(2048, 1, 12288, 96, 1).m_as("byte")
    assert one == pytest.approx(2_868_903_936)
    # tensor + sequence parallel over t = 8 divides it by 8 (Eq. 4)
    assert f.calc_activation_memory(2048, 1, 12288, 96, 1, tensor_parallel=8, sequence_parallel=True).m_as("byte") == pytest.approx(2_868_903_936 / 8)
    # tensor parallel without SP (Eq. 2): s b h (10 + 24/8 + 5 a s / (h 8)) = 25,165,824 x (13 + 10) = 578,813,952 B
    assert f.calc_activation_memory(2048, 1, 12288, 96, 1, tensor_parallel=8).m_as("byte") == pytest.approx(578_813_952)
    # full recompute keeps 2 s b h per layer = 50,331,648 B
    assert f.calc_activation_memory(2048, 1, 12288, 96, 1, recompute="full").m_as("byte") == pytest.approx(50_331_648)
    with pytest.raises(InputError, match="recompute"):
        f.calc_activation_memory(2048, 1, 12288, 96, 1, recompute="some")


def test_effective_flops_and_roofline_time():
    assert f.calc_effective_flops(Q_("989.4 TFLOP/s"), 0.5).m_as("TFLOP/s") == pytest.approx(494.7)
    # memory side binds: 16.06e9 B / 3.35e12 B/s = 4.7940 ms vs 1.606e10 flop / 494.7e12 = 0.0325 ms
    t = f.calc_roofline_time(Q_("1.606e10 flop"), Q_("16.06 GB"), Q_("494.7 TFLOP/s"), Q_("3.35 TB/s"))
    assert t.m_as("ms") == pytest.approx(16.06e9 / 3.35e12 * 1e3)
    with pytest.raises(UnitError):
        f.calc_roofline_time(Q_("1 GFLOP"), Q_("1 GB"), Q_("3.35 TB/s"), Q_("3.35 TB/s"))
    with pytest.raises(InputError, match="bandwidth"):
        f.calc_roofline_time(Q_("1 GFLOP"), Q_("1 GB"), Q_("1 TFLOP/s"), Q_("0 GB/s"))


def test_attainable_flops_and_ridge():
    # H100: ridge = 989.4e12 / 3.35e12 = 295.34 flop/B; below it the memory ceiling binds
    assert kernels.ridge_point(989.4e12, 3.35e12) == pytest.approx(295.3432835)
    assert f.roofline_attainable_flops(Q_("100 flop/byte"), Q_("989.4 TFLOP/s"), Q_("3.35 TB/s")).m_as("TFLOP/s") == pytest.approx(335.0)
    assert f.roofline_attainable_flops(Q_("1000 flop/byte"), Q_("989.4 TFLOP/s"), Q_("3.35 TB/s")).m_as("TFLOP/s") == pytest.approx(989.4)


def test_ring_allreduce_350gb():
    # 350 GB of gradients over N = 8 workers at 50 GB/s, alpha = 5 us:
    # 2 (N-1) alpha + 2 (N-1)/N M / beta = 14 x 5e-6 + 1.75 x 350e9 / 50e9 = 7e-5 + 12.25 s
    t = f.calc_ring_allreduce_time(Q_("350 GB"), 8, Q_("50 GB/s"), Q_("5 us"))
    assert t.m_as("s") == pytest.approx(12.25007)
    # one worker communicates nothing
    assert f.calc_ring_allreduce_time(Q_("350 GB"), 1, Q_("50 GB/s"), Q_("5 us")).m_as("s") == 0.0


def test_tree_and_all_to_all():
    # tree over 8: 2 x log2(8) x (alpha + M / beta) = 6 x (1e-6 + 1e6 / 1e10) = 6 x 1.01e-4 = 6.06e-4 s
    assert f.calc_tree_allreduce_time(Q_("1 MB"), 8, Q_("10 GB/s"), Q_("1 us")).m_as("s") == pytest.approx(6.06e-4)
    # all-to-all over 4: 3 alpha + 3/4 M / beta = 3e-6 + 0.75 x 1e9 / 1e11 = 7.503e-3 s
    assert f.calc_all_to_all_time(Q_("1 GB"), 4, Q_("100 GB/s"), Q_("1 us")).m_as("s") == pytest.approx(7.503e-3)


def test_pipeline_bubble_and_amdahl():
    # P=4, M=64: (4-1)/(64+4-1) = 3/67; interleaved V=2: 3/(128+3) = 3/131
    assert f.calc_pipeline_bubble(4, 64) == pytest.approx(3 / 67)
    assert f.calc_pipeline_bubble(4, 64, 2) == pytest.approx(3 / 131)
    # f = 0.95 over 8 workers: 1 / (0.05 + 0.95/8) = 1 / 0.16875 = 5.926
    assert f.calc_amdahl_speedup(0.95, 8) == pytest.approx(1 / 0.16875)


def test_reliability_formulas():
    # two components of 1000 h in series: 1 / (1/1000 + 1/1000) = 500 h
    assert f.calc_node_mtbf(Q_("1000 hour"), Q_("1000 hour")).m_as("hour") == pytest.approx(500)
    # Llama 3 (Dubey et al. 2024 Sec. 3.3.4): 419 interruptions in 54 days -> fleet MTBF 54 x 24 / 419 = 3.093 h;
    # as 16,384 GPUs each of MTBF m: m / 16384 = 3.093 h -> m = 50,676 h (5.8 years)
    per_gpu = Q_(54 * 24 / 419 * 16384, "hour")
    assert f.calc_fleet_mtbf(per_gpu, 16384).m_as("hour") == pytest.approx(3.0931, rel=1e-4)
    # P(failure in one MTBF) = 1 - e^-1 = 0.63212
    assert f.calc_failure_probability(Q_("10 hour"), Q_("10 hour")) == pytest.approx(1 - math.exp(-1))
    # Young: sqrt(2 x 60 s x 3 h) = sqrt(2 x 60 x 10800) = sqrt(1,296,000) = 1138.4 s
    assert f.calc_young_daly_interval(Q_("60 s"), Q_("3 hour")).m_as("s") == pytest.approx(math.sqrt(1_296_000))
    assert f.calc_stacked_availability(0.99, 0.999, 0.9999) == pytest.approx(0.99 * 0.999 * 0.9999)
    # 70e9 params x (2 + 12) B = 980 GB
    assert f.calc_checkpoint_size(70e9).m_as("GB") == pytest.approx(980)


def test_chinchilla_optimal_5e23():
    # C = 6 P (20 P) = 120 P^2 -> P* = sqrt(5e23 / 120) = 6.455e10 (~65B), D* = 20 P* = 1.291e12
    p, d = f.calc_chinchilla_optimal(Q_("5e23 flop"))
    assert p.m_as("count") == pytest.approx(math.sqrt(5e23 / 120))
    assert d.m_as("count") == pytest.approx(20 * math.sqrt(5e23 / 120))


def test_energy_carbon_water():
    # 700 W for 1 h = 0.7 kWh
    assert f.calc_energy(Q_("700 W"), Q_("1 hour")).m_as("kWh") == pytest.approx(0.7)
    # GPT-3 (Patterson et al. 2021, Table 4): 1,287 MWh x 429 gCO2e/kWh = 552,123 kg = 552 t
    assert f.calc_carbon(Q_("1287 MWh"), Q_("429 gCO2e/kWh")).m_as("tCO2e") == pytest.approx(552.123)
    # 1,287 MWh x 1.8 L/kWh = 2,316,600 L
    assert f.calc_water(Q_("1287 MWh"), Q_("1.8 L/kWh")).m_as("L") == pytest.approx(2_316_600)


def test_moe_experts_touched():
    # one token reads exactly k experts; E (1 - (1 - k/E)^n) for E=8, k=2, n=2: 8 x (1 - 0.75^2) = 3.5
    assert kernels.moe_experts_touched(8, 2, 1) == pytest.approx(2)
    assert kernels.moe_experts_touched(8, 2, 2) == pytest.approx(3.5)
    assert kernels.moe_experts_touched(8, 2, 10_000) == pytest.approx(8)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "8", True])
def test_worker_counts_validated(bad):
    with pytest.raises(InputError, match="workers"):
        f.calc_ring_allreduce_time(Q_("1 GB"), bad, Q_("1 GB/s"), Q_("1 us"))
