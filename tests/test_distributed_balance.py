"""Distributed training, round three, derived by hand: stages with one layer fewer where the layers do
not split evenly (the first stage's activation memory), chunks of one layer for the interleaved
schedule, the causal model-FLOP convention, and the Table 4 layouts of Llama 3 405B.

Same round-number machines as tests/test_distributed_accuracy.py: 1000 TFLOP/s bf16 and 80 GB per
accelerator, a 450 GB/s node link (alpha 1 us), a 50 GB/s fabric per accelerator (alpha 5 us).
Tolerance: 1e-12 relative for closed forms (float rounding only); the published rows within 10%.
"""

import pytest

from mlsysim import measurements
from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import kernels
from mlsysim.solvers import DistributedModel, ParallelismOptimizer
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import TransformerWorkload

GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"bf16": "1000 TFLOP/s"}),
    memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W",
)


def fleet(per_node: int, nodes: int) -> Fleet:
    node = Node(accelerator=GPU, accelerators_per_node=per_node, intra_node_bw="450 GB/s", intra_node_latency="1 us")
    return Fleet(name=f"{nodes}x{per_node}", node=node, count=nodes, fabric=NetworkFabric(bandwidth="50 GB/s", latency="5 us"))


# 15 layers: on 4 stages the heaviest holds ceil(15/4) = 4, and 4 x 4 - 15 = 1 slot is left over
UNEVEN = TransformerWorkload(name="1B-15", parameters=1e9, layers=15, hidden_dim=2048, heads=16, seq_len=2048)
EVEN = TransformerWorkload(name="1B-16", parameters=1e9, layers=16, hidden_dim=2048, heads=16, seq_len=2048)


def test_first_stage_layers_by_hand():
    # Llama 3 405B, 126 layers on 16 stages: 7 + 14 x 8 + 7 = 126 (Dubey et al. 2024, Sec. 3.3.2)
    assert kernels.first_stage_layers(126, 16) == 7
    # BLOOM 176B, 70 layers on 12 stages: 5 + 10 x 6 + 5 = 70 (embeddings counted as layers, 72 slots of 6)
    assert kernels.first_stage_layers(70, 12) == 5
    assert kernels.first_stage_layers(96, 12) == 8  # even split: 8 each
    assert kernels.first_stage_layers(15, 4) == 3  # 3 + 4 + 4 + 4
    assert kernels.first_stage_layers(16, 1) == 16  # no pipeline: the whole model


def test_first_stage_activations_of_an_uneven_split_by_hand():
    # 4 GPUs, one stage each, batch 4 = 4 micro-batches of one 2048-token sequence, tp = 1, selective recompute:
    # per layer 34 s b h = 34 x 2048 x 1 x 2048 = 142,606,336 bytes (Korthikanti et al. 2022, Sec. 5), 1F1B keeps
    # min(P, M) = 4 micro-batches on the first stage, which holds 3 layers (15 = 3 + 4 + 4 + 4):
    # 4 x 3 x 142,606,336 = 1,711,276,032 bytes; with 16 layers (4 per stage) 4 x 4 x 142,606,336 = 2,281,701,376
    uneven = DistributedModel().solve(UNEVEN, fleet(4, 1), batch_size=4, pp_size=4)
    even = DistributedModel().solve(EVEN, fleet(4, 1), batch_size=4, pp_size=4)
    assert uneven.activation_memory.m_as("B") == pytest.approx(1_711_276_032, rel=1e-12)
    assert even.activation_memory.m_as("B") == pytest.approx(2_281_701_376, rel=1e-12)
    assert any("heaviest stage has 4" in a and "the first holds 3" in a for a in uneven.assumptions)
    # the pace is still the heaviest stage's: 4 layers of 15 per stage -> compute x 16/15, the same step as 16 layers
    # of the same total FLOPs would take per layer
    assert uneven.compute_time.m_as("s") == pytest.approx(
        even.compute_time.m_as("s") * (uneven._hardware_flops / even._hardware_flops) * (16 / 15), rel=1e-12)


def test_chunks_of_one_layer_are_accepted_where_the_stages_are_uneven():
    # v = 4 chunks of one layer on the 4-layer stages (the 3-layer first stage's fourth slot is the embedding's):
    # 4 x 4 = 16 > 15 layers, which the layout check used to reject. Activations x (1 + (P-1)/(P v)) = 1 + 3/16
    r = DistributedModel().solve(UNEVEN, fleet(4, 1), batch_size=4, pp_size=4, virtual_stages=4)
    assert r.virtual_stages == 4
    assert r.activation_memory.m_as("B") == pytest.approx(1_711_276_032 * (1 + 3 / 16), rel=1e-12)
    assert r.bubble_fraction == pytest.approx(3 / (4 * 4 + 3), rel=1e-12)  # (P-1) / (V M + P-1)
    with pytest.raises(InputError) as exc:  # 5 chunks of a 4-layer stage: one would be empty
        DistributedModel().solve(UNEVEN, fleet(4, 1), batch_size=4, pp_size=4, virtual_stages=5)
    assert exc.value.field == "virtual_stages" and "ceil(15/4) = 4" in str(exc.value)


def test_causal_mfu_counts_the_keys_a_causal_mask_leaves():
    # EVEN: P = 1e9, 16 layers, d_attn = 16 x 128 = 2048, s = 2048. Per token (Chowdhery et al. 2022, App. B):
    # full window 6e9 + 3 x 4 x 16 x 2048 x 2048 = 6e9 + 805,306,368; causal (s/2 keys) 6e9 + 402,653,184
    r = DistributedModel().solve(EVEN, fleet(8, 1), batch_size=8)
    tokens = 8 * 2048
    assert r.model_flops.m_as("flop") == pytest.approx((6e9 + 805_306_368) * tokens, rel=1e-12)
    assert r.causal_model_flops.m_as("flop") == pytest.approx((6e9 + 402_653_184) * tokens, rel=1e-12)
    assert r.causal_mfu / r.mfu == pytest.approx((6e9 + 402_653_184) / (6e9 + 805_306_368), rel=1e-12)
    assert "causal_mfu" in r.flop_convention


def test_an_unknown_flop_convention_names_the_three():
    raw = {"kind": "distributed", "model": "gpt3", "fleet": "selene_a100", "gpus": 384, "batch": 1536, "seq_len": 2048,
           "precision": "fp16", "tp": 8, "pp": 12, "flop_convention": "palm", "measured": {"value": 0.5, "unit": "dimensionless"}}
    with pytest.raises(InputError) as exc:
        measurements.predict(measurements.make_case(raw))
    assert "model_causal" in str(exc.value) and "hardware" in str(exc.value)


LLAMA_ROWS = {  # Dubey et al. 2024, Table 4: BF16 MFU of Llama 3 405B pre-training
    "llama3-405b-8k-gpus": 0.43, "llama3-405b-16k-gpus": 0.41, "llama3-405b-16k-gpus-cp16": 0.38,
}


@pytest.mark.parametrize("case_id", sorted(LLAMA_ROWS))
def test_llama3_table4_rows_within_ten_percent(case_id):
    _, cases = measurements.load_cases()
    case = measurements.find(case_id, cases)
    assert case.measured == LLAMA_ROWS[case_id]
    p = measurements.predict(case)
    assert p.feasible and p.bound == "compute"
    assert abs(p.value / case.measured - 1) <= 0.10, f"{case_id}: predicted {p.value:.3f}"


def test_llama3_first_stage_fits_with_chunks_of_one_layer():
    # Table 4's 8,192-GPU row: TP 8, PP 16, DP 64, 32 sequences of 8,192 tokens per replica (micro-batches of one).
    # First stage: 7 layers (126 = 7 + 14 x 8 + 7), per layer 34 s b h / t = 34 x 8192 x 16384 / 8 = 570,425,344 bytes
    # (7 layers: 3,992,977,408 bytes per micro-batch),
    # 16 micro-batches in flight x (1 + 15/(16 x 8)) for v = 8: 7 x 570,425,344 x 16 x 1.1171875 = 71,374,471,168 bytes,
    # which fits in 80 GB; the even-split count of 8 layers (81.6 GB) did not, so no v > 1 was feasible before
    fleet_ = measurements.fleet_of("meta_llama3_h100", 8192)
    r = DistributedModel().solve("llama3_405b", fleet_, batch_size=2048, seq_len=8192, tp_size=8, pp_size=16, zero_stage=3,
                                 virtual_stages="auto")
    assert r.virtual_stages == 8 and r.feasible
    assert r.activation_memory.m_as("B") == pytest.approx(71_374_471_168, rel=1e-12)


def test_asynchronous_pipeline_sends_leave_the_critical_path():
    # 4 nodes of one GPU, pp = 4, 4 micro-batches of one 2048-token sequence: each stage sends 2 V M = 8 messages of
    # 2048 x 2048 x 2 bytes = 8,388,608 bytes over the 50 GB/s fabric, 5 us + 167.77216 us each = 1.38217728 ms.
    # Compute per stage: 4 x 2048 tokens x (3 x 2e9 + 4 x 4 x 16 x 1024 x 2048) / (4 x 1000e12 x 0.5) = 26.8 ms,
    # far more than the sends: asynchronous, they vanish and the step is exactly 1.38217728 ms shorter
    blocking = DistributedModel().solve(EVEN, fleet(1, 4), batch_size=4, pp_size=4)
    asynchronous = DistributedModel().solve(EVEN, fleet(1, 4), batch_size=4, pp_size=4, overlap_p2p=True)
    sends = 8 * (5e-6 + 8_388_608 / 50e9)
    assert blocking.pp_comm_time.m_as("s") == pytest.approx(sends, rel=1e-12)
    assert asynchronous.pp_comm_time.m_as("s") == 0.0
    assert blocking.step_time.m_as("s") - asynchronous.step_time.m_as("s") == pytest.approx(sends, rel=1e-9)
    assert any("PP sends asynchronous" in a for a in asynchronous.assumptions)
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(EVEN, fleet(1, 4), batch_size=4, pp_size=4, overlap_p2p="yes")
    assert exc.value.field == "overlap_p2p"


def test_optimizer_searches_uneven_pipeline_splits():
    # 15 layers on 4 GPUs: pp = 4 (4 + 4 + 4 + 3) was rejected for 15 % 4 != 0; it is a candidate now, and pp = 5 (3 each)
    # and pp = 3 still are; pp = 16 > 15 layers is not (n = 16 GPUs gives pp in 1, 2, 4, 8, 16)
    res = ParallelismOptimizer().solve(UNEVEN, fleet(4, 4), batch_size=16, zero_stages=(0,), microbatch_sizes=(1,))
    assert 4 in {c["pp"] for c in res.ranked} and 8 in {c["pp"] for c in res.ranked}
    assert 16 not in {c["pp"] for c in res.ranked}


def test_optimizer_finds_llama3_table4_layout():
    # Dubey et al. 2024, Table 4, 8,192 GPUs at 8,192 tokens, 16M tokens per batch: TP 8, CP 1, PP 16, DP 64, with an
    # interleaved schedule (Sec. 3.3.2) and FSDP without reshard after forward (ZeRO-2-like). Llama 3 405B has 126 layers,
    # which 16 stages split only unevenly; before uneven splits were searched the best was pp = 2 with ZeRO-3
    fleet_ = measurements.fleet_of("meta_llama3_h100", 8192)
    best = ParallelismOptimizer().solve("llama3_405b", fleet_, batch_size=2048, seq_len=8192).best_config
    assert (best["tp"], best["pp"], best["dp"], best["zero_stage"]) == (8, 16, 64, 2)
    assert best["virtual_stages"] > 1


def test_optimizer_takes_asynchronous_pipeline_sends():
    # the same search with the sends hidden: the pp = 4 layout of the test above (4 micro-batches of one sequence, v = 1)
    # is exactly its 8 sends of 1.38217728 ms shorter; the best step is never longer
    blocking = ParallelismOptimizer().solve(EVEN, fleet(1, 4), batch_size=4, zero_stages=(0,), microbatch_sizes=(1,))
    asynchronous = ParallelismOptimizer().solve(EVEN, fleet(1, 4), batch_size=4, zero_stages=(0,), microbatch_sizes=(1,),
                                                overlap_p2p=True)

    def pp4(res):
        return next(c["step_time_s"] for c in res.ranked if c["pp"] == 4 and c["virtual_stages"] == 1)

    assert pp4(blocking) - pp4(asynchronous) == pytest.approx(8 * (5e-6 + 8_388_608 / 50e9), rel=1e-9)
    assert asynchronous.best.step_time <= blocking.best.step_time
    with pytest.raises(InputError) as exc:
        ParallelismOptimizer().solve(EVEN, fleet(1, 4), batch_size=4, overlap_p2p=1)
    assert exc.value.field == "overlap_p2p"
