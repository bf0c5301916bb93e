"""Wall 5, batching: paged vs contiguous KV memory and static vs continuous scheduling, by hand and
against the waste Kwon et al. 2023 (vLLM) measured."""

from types import SimpleNamespace

import pytest

from mlsysim import Hardware, Models
from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import kernels
from mlsysim.solvers.batching import ContinuousBatchingModel, audit_row
from mlsysim.walls import Wall
from mlsysim.workloads.types import TransformerWorkload

GPU = HardwareNode(name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="2 TB/s"))
# an 8B Llama-3-shaped model: 32 layers, 32 heads of 128, 8 KV heads (GQA)
LM = TransformerWorkload(name="Test 8B", parameters="8e9 count", layers=32, hidden_dim=4096, heads=32, kv_heads=8, seq_len=2048)
M = ContinuousBatchingModel()


def test_memory_per_sequence_and_how_many_fit_by_hand():
    r = M.solve(LM, GPU, prompt_tokens=100, output_tokens=200, batch_size=64)
    # KV per token = 2 x 32 layers x 8 kv_heads x 128 head_dim x 2 B = 131,072 B
    assert r.kv_bytes_per_token.m_as("B") == 131_072
    # free = 0.9 x 80 GB - 8e9 x 2 B = 72 - 16 = 56 GB
    assert r.free_memory.m_as("GB") == pytest.approx(56.0)
    # paged: mean context 100 + (200 + 1)/2 = 200.5 tokens, + (16 - 1)/2 = 7.5 empty slots = 208 slots
    #   208 x 131,072 = 27,262,976 B; 56e9 / 27,262,976 = 2054.05 -> 2054 sequences
    assert r.paged_bytes_per_sequence.m_as("B") == pytest.approx(27_262_976)
    assert r.max_sequences_paged == 2054
    # contiguous: 2048 slots reserved = 268,435,456 B; 56e9 / 268,435,456 = 208.6 -> 208 sequences
    assert r.contiguous_bytes_per_sequence.m_as("B") == 268_435_456
    assert r.max_sequences_contiguous == 208
    # waste: paged 7.5 / 208 = 3.61%; contiguous 1 - 200.5 / 2048 = 90.21%
    assert r.paged_waste_fraction == pytest.approx(0.036058, rel=1e-4)
    assert r.contiguous_waste_fraction == pytest.approx(0.902100, rel=1e-5)


def test_decode_step_and_throughput_by_hand():
    r = M.solve(LM, GPU, prompt_tokens=100, output_tokens=200, batch_size=64)
    # GEMMs: compute 2 x 8e9 x 64 / (0.5 x 1000 TFLOP/s) = 1.024e12 / 5e14 = 2.048 ms < weights 16e9 / 2e12 = 8 ms
    # attention over the mean cache of 200.5 tokens: 64 x 4 x 32 x 200.5 x 4096 = 6.727e9 flop = 0.0135 ms
    #   < KV read 64 x 200.5 x 131,072 / 2e12 = 0.84096 ms
    # compute 2.048 + 0.0135 = 2.0615 ms; memory = step = 8 + 0.84096 = 8.84096 ms  -> memory-bound
    assert r.step_compute_time.m_as("ms") == pytest.approx(2.048 + 64 * 4 * 32 * 200.5 * 4096 / 5e14 * 1e3)
    assert r.step_memory_time.m_as("ms") == pytest.approx(8.84096, rel=1e-5)
    assert r.step_time.m_as("ms") == pytest.approx(8.84096, rel=1e-5)
    # one prefill of 100 tokens: GEMMs 1.6e12 / 5e14 = 3.2 ms < weights 16e9 / 2e12 = 8 ms -> 8 ms; causal attention
    # 100 x 4 x 32 x 50.5 x 4096 = 2.648e9 flop (5.3 us) < its KV write 100 x 131,072 / 2e12 = 6.55 us -> 8.00655 ms
    assert r.prefill_time.m_as("ms") == pytest.approx(8.0 + 100 * 131072 / 2e12 * 1e3)
    # cycle = 200 steps x 8.84096 + 64 prefills x 8.00655 = 1768.19 + 512.42 = 2280.61 ms
    # tokens/s = 64 x 200 / 2.28061 = 5612.5; mean ITL = 2280.61 / 200 = 11.403 ms
    assert r.throughput.m_as("1/s") == pytest.approx(5612.5, rel=1e-4)
    assert r.itl.m_as("ms") == pytest.approx(11.403, rel=1e-4)
    # memory-bound at a batch below what fits: the memory wall, not batching
    assert r.bound is Wall.MEMORY and r.feasible


def test_static_batching_idles_finished_slots():
    # static batch of 64 whose longest output is 800 tokens while the mean is 200: slot efficiency 200/800 = 0.25
    r = M.solve(LM, GPU, prompt_tokens=100, output_tokens=200, max_output_tokens=800, batch_size=64)
    assert r.static_slot_efficiency == pytest.approx(0.25)
    # static step: context 100 + 801/2 = 500.5 -> memory (16e9 + 64 x 500.5 x 131,072) / 2e12 = 10.0993 ms
    # (attention over 500.5 tokens: 0.034 ms of flops < 2.0993 ms of KV reads, so the step is 8 + 2.0993 ms)
    # cycle = 800 x 10.0993 + prefill of 64 x 100 tokens at once (GEMMs 1.024e14/5e14 = 204.8 ms > 8 ms, then the
    #   attention's KV write 6400 x 131,072 / 2e12 = 0.42 ms) = 8284.67 ms
    # useful tokens/s = 64 x 200 / 8.28467 = 1545.0
    assert r.static_step_time.m_as("ms") == pytest.approx(10.0993, rel=1e-4)
    assert r.static_throughput.m_as("1/s") == pytest.approx(1545.0, rel=1e-4)
    assert r.speedup == pytest.approx(5612.5 / 1545.0, rel=1e-3)


def test_vllm_published_waste_anchor():
    # Kwon et al. 2023 (SOSP), Fig. 2: systems reserving contiguous KV memory keep token states in only
    # 20.4%-38.2% of it (60-80% wasted); vLLM wastes under 4%. With their ShareGPT means (161 prompt,
    # 338 output tokens, Sec. 6.1) and OPT's 2048-token context, reserve-to-max wastes
    # 1 - (161.31 + (337.99 + 1)/2) / 2048 = 1 - 330.8/2048 = 83.8% (their measured 20.4%-38.2% token-state share is 62-80% waste), paging
    # with 16-token blocks 7.5 / (330.8 + 7.5) = 2.2% (< 4%).
    r = M.solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, max_seq_len=2048)
    assert r.paged_waste_fraction < 0.04
    assert r.paged_waste_fraction == pytest.approx(7.5 / (161.31 + 338.99 / 2 + 7.5), rel=1e-6)
    assert 0.6 <= r.contiguous_waste_fraction <= 0.85
    # so paging fits 2048 / (330.8 + 7.5) = 6.1x more sequences (vLLM's 2-4x throughput gain is
    # this headroom, partly spent on compute)
    assert r.max_sequences_paged / r.max_sequences_contiguous == pytest.approx(2048 / (161.31 + 338.99 / 2 + 7.5), rel=0.02)


def test_kernels_block_arithmetic():
    # 17 tokens in 16-token blocks take 2 blocks = 32 slots; 16 tokens take 16
    assert kernels.paged_kv_tokens(17, 16) == 32 and kernels.paged_kv_tokens(16, 16) == 16
    # mean empty slots over residues 1..16 of the last block: (0 + 1 + ... + 15) / 16 = 7.5 = (16 - 1) / 2
    assert kernels.paged_mean_empty_slots(16) == sum(range(16)) / 16
    assert kernels.sequences_that_fit(-1.0, 5.0) == 0


def test_batch_grows_throughput_up_latency_up():
    pts = M.curve(LM, GPU, [1, 8, 64, 512], prompt_tokens=100, output_tokens=200)
    assert [p.batch for p in pts] == [1, 8, 64, 512]
    assert all(a.itl < b.itl and a.throughput < b.throughput for a, b in zip(pts, pts[1:]))
    # batch 64 matches solve's operating point
    assert pts[2].throughput == pytest.approx(M.solve(LM, GPU, prompt_tokens=100, output_tokens=200, batch_size=64).throughput.m_as("1/s"))


def test_at_most_what_fits_binds_batching_or_compute():
    r = M.solve(LM, GPU, prompt_tokens=100, output_tokens=200)
    assert r.continuous_batch == 2054 and r.static_batch == 208
    # at 2054 sequences: compute 2 x 8e9 x 2054 / 5e14 = 65.728 ms + attention 2054 x 4 x 32 x 200.5 x 4096 / 5e14
    # = 0.432 ms; memory (16e9 + 2054 x 200.5 x 131,072) / 2e12 = 35.0 ms -> compute
    assert r.step_compute_time.m_as("ms") == pytest.approx(65.728 + 0.4318, rel=1e-4)
    assert r.bound is Wall.COMPUTE
    # a slower compute part at the same bandwidth stays memory-bound at full batch: batching binds
    slow = HardwareNode(name="BW-poor", compute=ComputeCore(peak_flops="4000 TFLOP/s"), memory=MemoryHierarchy(capacity="80 GB", bandwidth="0.5 TB/s"))
    assert M.solve(LM, slow, prompt_tokens=100, output_tokens=200).bound is Wall.BATCHING


def test_does_not_fit_is_a_result():
    tiny = HardwareNode(name="Small", compute=ComputeCore(peak_flops="100 TFLOP/s"), memory=MemoryHierarchy(capacity="16 GB", bandwidth="1 TB/s"))
    r = M.solve(LM, tiny)
    assert not r.feasible and r.bound is Wall.CAPACITY and "no room" in r.reason
    assert r.max_sequences_paged == 0
    assert r.throughput is None and r.step_time is None and "Does" not in repr(r)  # nothing to time, not a zero
    r = M.solve(LM, GPU, batch_size=5000, prompt_tokens=100, output_tokens=200)
    assert not r.feasible and "2054" in r.reason
    r = M.solve(LM, GPU, prompt_tokens=2000, output_tokens=100)
    assert not r.feasible and "max_seq_len" in r.reason


@pytest.mark.parametrize("kw", [dict(prompt_tokens=-1), dict(prompt_tokens=float("nan")), dict(prompt_tokens="100"),
                                dict(output_tokens=0), dict(output_tokens=float("inf")), dict(batch_size=0), dict(batch_size=2.5),
                                dict(batch_size=True), dict(max_seq_len=0), dict(max_seq_len=-5), dict(max_output_tokens=10),
                                dict(block_size=0), dict(block_size=1.5), dict(block_size="16"), dict(memory_fraction=0),
                                dict(memory_fraction=1.2), dict(memory_fraction=float("nan")), dict(efficiency=0),
                                dict(bandwidth_efficiency=2), dict(precision="fp12"), dict(kv_precision="int3")])
def test_bad_input(kw):
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(LM, GPU, **kw)


def test_bad_model_and_hardware():
    with pytest.raises(InputError, match="model"):
        M.solve(Models.ResNet50, GPU)
    with pytest.raises(InputError, match="hardware"):
        M.solve(LM, 42)
    with pytest.raises(InputError, match="batch_sizes"):
        M.curve(LM, GPU, [])
    with pytest.raises(InputError, match=r"batch_sizes\[1\]"):
        M.curve(LM, GPU, [1, 0])


def test_audit_row():
    base = dict(model=LM, hardware=GPU, fleet=None, batch_size=64, precision="fp16", seq_len=None, count=None, grid=None, duration=None, knobs={})
    assert audit_row(SimpleNamespace(**base, workload="training")) is None
    row = audit_row(SimpleNamespace(**{**base, "knobs": {"prompt_tokens": 100, "output_tokens": 200}}, workload="serving"))
    assert row["wall"] is Wall.BATCHING and row["limit"].m_as("count") == 2054 and row["binds"] is False
