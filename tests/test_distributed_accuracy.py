"""Distributed-training accuracy physics, derived by hand: attention FLOPs and the two FLOP
conventions, context parallelism, interleaved schedules, the multi-tier fabric, CNN data parallelism.

Same round-number machines as tests/test_distributed.py: 1000 TFLOP/s bf16 and 80 GB per
accelerator, a 450 GB/s node link (alpha 1 us), a 50 GB/s fabric per accelerator (alpha 5 us).
Tolerance: 1e-12 relative for closed forms (float rounding only), 1e-9 where sums of many terms.
"""

import pytest

from mlsysim.core.errors import InputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import kernels
from mlsysim.solvers import DistributedModel, ParallelismOptimizer
from mlsysim.solvers.distributed import virtual_stage_options
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import CNNWorkload, TransformerWorkload

PEAK = 1000e12
GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"bf16": "1000 TFLOP/s"}),
    memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W",
)


def fleet(per_node: int, nodes: int, pod_size: int | None = None, pod_oversubscription: float = 1.0) -> Fleet:
    node = Node(accelerator=GPU, accelerators_per_node=per_node, intra_node_bw="450 GB/s", intra_node_latency="1 us")
    fabric = NetworkFabric(bandwidth="50 GB/s", latency="5 us", pod_size=pod_size, pod_oversubscription=pod_oversubscription)
    return Fleet(name=f"{nodes}x{per_node}", node=node, count=nodes, fabric=fabric)


SMALL = TransformerWorkload(name="1B", parameters=1e9, layers=16, hidden_dim=2048, heads=16, seq_len=2048)
MID = TransformerWorkload(name="8B", parameters=8e9, layers=32, hidden_dim=4096, heads=32, seq_len=2048)


def s(q, unit="s"):
    return q.m_as(unit)


# -- kernels ------------------------------------------------------------------------------------


def test_recompute_adds_passes():
    # full: one more forward of everything; selective: the attention core only (Korthikanti et al. 2022, Sec. 5)
    assert kernels.recompute_extra_passes("none") == (0.0, 0.0)
    assert kernels.recompute_extra_passes("selective") == (0.0, 1.0)
    assert kernels.recompute_extra_passes("full") == (1.0, 1.0)


def test_model_flops_of_gpt3_follow_palm_appendix_b():
    # PaLM App. B: 6N + 12 L H Q T per token. GPT-3: N = 175e9, L = 96, H x Q = 12,288, T = 2,048:
    # 1.05e12 + 12 x 96 x 12,288 x 2,048 = 1.05e12 + 28,991,029,248 = 1.078991029248e12
    att = kernels.attention_flops_per_token(96, 2048, 12288)
    assert kernels.training_flops_per_token(175e9, att) == pytest.approx(1.078991029248e12, rel=1e-12)


def test_hardware_flops_with_full_recompute_are_megatron_eq3_without_the_logits():
    # Narayanan et al. 2021, Eq. 3 per token: 96 l h^2 (1 + s/(6h) + V/(16 l h)) = 96 l h^2 + 16 l s h + 6 V h.
    # With P = 12 l h^2 (the layers' weights), 4 dense and 4 attention passes give 8P + 4 x 4 l s h
    # = 96 l h^2 + 16 l s h: Eq. 3 minus its logit layer 6 V h. The 1.7B row: l = 24, h = 2304, s = 2048, V = 51,200.
    l, h, seq, vocab = 24, 2304, 2048, 51200
    ours = kernels.training_flops_per_token(12 * l * h * h, kernels.attention_flops_per_token(l, seq, h), 4.0, 4.0)
    eq3 = 96 * l * h * h * (1 + seq / (6 * h) + vocab / (16 * l * h))
    assert ours + 6 * vocab * h == pytest.approx(eq3, rel=1e-12)


def test_all_gather_and_context_parallel_exchange_by_hand():
    # ring all-gather of 1 GB over 4 ranks at 100 GB/s, alpha 1 us: 3 x 1 us + 3/4 x 1e9 / 100e9 = 7.503 ms
    assert kernels.all_gather_time(1e9, 4, 100e9, 1e-6) == pytest.approx(0.007503, rel=1e-12)
    assert kernels.all_gather_time(1e9, 1, 100e9, 1e-6) == 0.0
    # CP: an all-gather of K, V forward and a reduce-scatter of dK, dV backward per layer: 2 layers x 2 x 7.503 ms
    assert kernels.context_parallel_comm_time(2, 1e9, 4, 100e9, 1e-6) == pytest.approx(0.030012, rel=1e-12)
    assert kernels.context_parallel_comm_time(2, 1e9, 1, 100e9, 1e-6) == 0.0


def test_three_tier_allreduce_by_hand():
    # 8 GB over 2 pods x 4 nodes x 8 GPUs; node link 400 GB/s (1 us), fabric 50 GB/s (5 us), 1:7 above the pods.
    #   in node:    2 x 7 x 1 us + 2 x 7/8 x 8e9 / 400e9                  = 35.014 ms
    #   in pod:     1 GB per rank over 4 nodes: 2 x 3 x 5 us + 2 x 3/4 x 1e9 / 50e9 = 30.030 ms
    #   across pods: 0.25 GB over 2 pods at 50/7 GB/s: 2 x 5 us + 2 x 1/2 x 2.5e8 x 7 / 50e9 = 35.010 ms
    t = kernels.multi_tier_allreduce_time(8e9, 8, 4, 2, 400e9, 1e-6, 50e9, 5e-6, 50e9 / 7)
    assert t == pytest.approx(0.035014 + 0.030030 + 0.035010, rel=1e-12)
    # one pod: the two-tier all-reduce
    one = kernels.multi_tier_allreduce_time(8e9, 8, 4, 1, 400e9, 1e-6, 50e9, 5e-6, 50e9 / 7)
    assert one == kernels.hierarchical_allreduce_time(8e9, 8, 4, 400e9, 1e-6, 50e9, 5e-6)


# -- FLOP conventions in the solver ----------------------------------------------------------------


def test_full_recompute_and_dense_attention_count_megatron_hardware_flops():
    # 1B shape, 16 layers, d_attn 2048, s = 2048, full window (attention="full"), full recompute:
    #   attention per pass per token: 4 x 16 x 2048 x 2048 = 268,435,456
    #   hardware: 4 x 2e9 + 4 x 268,435,456 = 9.073741824e9;  model: 6e9 + 3 x 268,435,456 = 6.805306368e9
    r = DistributedModel().solve(SMALL, fleet(8, 1), batch_size=8, recompute="full", attention="full")
    tokens = 8 * 2048
    assert s(r.hardware_flops, "flop") == pytest.approx(9.073741824e9 * tokens, rel=1e-12)
    assert s(r.model_flops, "flop") == pytest.approx(6.805306368e9 * tokens, rel=1e-12)
    # compute is what runs: hardware FLOPs / (8 x 1000 TFLOP/s x 0.5)
    assert s(r.compute_time) == pytest.approx(9.073741824e9 * tokens / (8 * PEAK * 0.5), rel=1e-12)
    assert r.hfu / r.mfu == pytest.approx(9.073741824 / 6.805306368, rel=1e-12)


def test_inference_and_training_flops_of_the_workload():
    # forward per token at 2048 keys: 2 x 1e9 + 268,435,456; training with no recompute, full window = model FLOPs
    assert SMALL.forward_flops_per_token_si() == pytest.approx(2e9 + 268_435_456, rel=1e-12)
    assert SMALL.training_flops_per_token_si() == pytest.approx(6.805306368e9, rel=1e-12)
    # causal kernels do half the attention: 6e9 + 3 x 134,217,728
    assert SMALL.training_flops_per_token_si(causal=True) == pytest.approx(6e9 + 3 * 134_217_728, rel=1e-12)


# -- context parallelism --------------------------------------------------------------------------


def test_context_parallel_step_by_hand():
    # 8B shape (32 layers, h = 4096, 32 heads of 128, MHA) on 2 nodes of 8: tp = 4, cp = 4 -> dp = 1; batch 1, 1 micro-batch
    r = DistributedModel().solve(MID, fleet(8, 2), batch_size=1, tp_size=4, cp_size=4)
    assert (r.cp_size, r.dp_size, r.microbatch_count) == (4, 1, 1)
    # CP group tp x cp = 16 > 8 per node: the fabric. K and V of 2048 tokens, 32/4 = 8 heads of 128 per TP rank, 2 B:
    # 2 x 2048 x 8 x 128 x 2 = 8,388,608 B; all-gather over 4: 3 x 5 us + 3/4 x 8,388,608 / 50e9; x 2 x 32 layers
    ag = 3 * 5e-6 + 3 / 4 * 8_388_608 / 50e9
    assert s(r.cp_comm_time) == pytest.approx(2 * 32 * ag, rel=1e-12)
    # TP all-reduces carry the rank's 2048 / 4 = 512 tokens: 4 x 32 x (2 x 3 x 1 us + 2 x 3/4 x 512 x 4096 x 2 / 450e9)
    assert s(r.tp_comm_time) == pytest.approx(4 * 32 * (6e-6 + 1.5 * 512 * 4096 * 2 / 450e9), rel=1e-12)
    # activations (selective + SP): 34 s b h / t per layer with s = 512: 34 x 512 x 4096 / 4 x 32 layers
    assert r.activation_memory.m_as("B") == pytest.approx(34 * 512 * 4096 / 4 * 32, rel=1e-12)
    # gradients: the 4 CP ranks hold the same weights (8e9 / 4 params, 4e9 B) and all-reduce them,
    # 2 per node (stride tp = 4), 2 nodes: 2 x 1 us + 2 x 1/2 x 4e9 / 450e9 + (2 x 5 us + 2 x 1/2 x 2e9 / 50e9)
    assert s(r.dp_comm_time) == pytest.approx(2e-6 + 4e9 / 450e9 + 10e-6 + 2e9 / 50e9, rel=1e-12)
    assert "cp_comm" in r.breakdown and sum(s(q) for q in r.breakdown.values()) == pytest.approx(s(r.step_time), rel=1e-12)
    # the same compute as without CP: the work is split over all 16 ranks either way
    plain = DistributedModel().solve(MID, fleet(8, 2), batch_size=4, tp_size=4)
    assert s(r.compute_time) == pytest.approx(s(plain.compute_time) / 4, rel=1e-12)


def test_context_parallel_size_must_divide_the_sequence():
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(MID, fleet(8, 2), batch_size=1, tp_size=4, cp_size=3, seq_len=2048)
    assert exc.value.field in ("cp_size", "tp_size*cp_size*pp_size*ep_size")
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(MID, fleet(8, 1), batch_size=1, cp_size=3, seq_len=2048)
    assert exc.value.field == "tp_size*cp_size*pp_size*ep_size"
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(MID, fleet(8, 1), batch_size=1, cp_size=8, seq_len=2044)
    assert exc.value.field == "cp_size" and "2044" in str(exc.value)


# -- interleaved schedules -------------------------------------------------------------------------


def test_virtual_stage_options_give_whole_layers_per_chunk():
    assert virtual_stage_options(16, 4) == [1, 2, 4]  # 4 layers per stage
    assert virtual_stage_options(126, 16) == [1, 2, 4, 8]  # Llama 3 405B: the heaviest stage has ceil(126/16) = 8
    assert virtual_stage_options(80, 1) == [1]


def test_interleaving_shrinks_the_bubble_and_auto_takes_the_fastest():
    # 1B on 8 GPUs, pp = 4, dp = 2, batch 16 -> 8 micro-batches. Bubble (p-1)/(v m + p-1):
    # v = 1: 3/11, v = 2: 3/19, v = 4: 3/35 (Narayanan et al. 2021, Sec. 2.2.2)
    for v, f in ((1, 3 / 11), (2, 3 / 19), (4, 3 / 35)):
        r = DistributedModel().solve(SMALL, fleet(8, 1), batch_size=16, pp_size=4, virtual_stages=v)
        assert r.bubble_fraction == pytest.approx(f, rel=1e-12)
    # 'auto': v = 4 saves 3/11 - 3/35 of the busy time's share (~19%) for 4x the p2p sends of
    # 8 x 2048 x 2048 x 2 B = 8.4 MB at 450 GB/s (~19 us each): the fastest, and it fits
    auto = DistributedModel().solve(SMALL, fleet(8, 1), batch_size=16, pp_size=4, virtual_stages="auto")
    assert auto.virtual_stages == 4 and auto.feasible
    assert any("virtual_stages='auto'" in a for a in auto.assumptions)
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(SMALL, fleet(8, 1), batch_size=16, pp_size=4, virtual_stages="many")
    assert exc.value.field == "virtual_stages"


def test_interleaving_needs_whole_rounds_of_pp_micro_batches():
    # Megatron-LM's interleaved schedule runs micro-batches in rounds of pp: 6 micro-batches on pp = 4 is not one
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(SMALL, fleet(8, 1), batch_size=12, pp_size=4, virtual_stages=2)
    assert exc.value.field == "microbatch_count" and "pp_size=4" in str(exc.value)
    # 'auto' then keeps the plain 1F1B schedule: bubble 3 / (6 + 3)
    auto = DistributedModel().solve(SMALL, fleet(8, 1), batch_size=12, pp_size=4, virtual_stages="auto")
    assert auto.virtual_stages == 1 and auto.bubble_fraction == pytest.approx(3 / 9, rel=1e-12)


def test_optimizer_considers_virtual_stages():
    f = fleet(8, 4)
    res = ParallelismOptimizer().solve(MID, f, batch_size=64)
    plain = ParallelismOptimizer().solve(MID, f, batch_size=64, interleave=False)
    # a superset of layouts: never slower; every plain layout is v = 1
    assert res.step_time.m_as("s") <= plain.step_time.m_as("s") * (1 + 1e-12)
    assert {c["virtual_stages"] for c in plain.ranked} == {1}
    assert any(c["virtual_stages"] > 1 for c in res.ranked if c["pp"] > 1)
    assert res.total_searched == res.feasible_count + sum(res.rejected.values())
    for c in res.ranked[:20]:
        r = DistributedModel().solve(MID, f, 64, tp_size=c["tp"], pp_size=c["pp"], microbatch_count=c["microbatches"],
                                     zero_stage=c["zero_stage"], virtual_stages=c["virtual_stages"])
        assert s(r.step_time) == pytest.approx(c["step_time_s"], rel=1e-12)
    assert res.best.virtual_stages == res.best_config["virtual_stages"]


# -- multi-tier fabric ---------------------------------------------------------------------------


def test_data_parallel_group_spanning_pods_uses_the_slower_tier():
    # 1B on 4 nodes of 8 = 32 GPUs, pods of 16 (2 nodes), 1:4 above them -> 12.5 GB/s across pods. dp = 32.
    # 2e9 B of gradients: in node 2 x 7 x 1 us + 2 x 7/8 x 2e9 / 450e9; in pod 2.5e8 B over 2 nodes:
    # 2 x 5 us + 2 x 1/2 x 2.5e8 / 50e9; across the 2 pods 1.25e8 B at 12.5 GB/s: 2 x 5 us + 1.25e8 / 12.5e9
    r = DistributedModel().solve(SMALL, fleet(8, 4, pod_size=16, pod_oversubscription=4.0), batch_size=32)
    expected = (14e-6 + 1.75 * 2e9 / 450e9) + (10e-6 + 2.5e8 / 50e9) + (10e-6 + 1.25e8 / 12.5e9)
    assert s(r.dp_comm_time) == pytest.approx(expected, rel=1e-12)
    # the same fleet as one pod: two tiers only, faster
    one = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32)
    assert s(one.dp_comm_time) == pytest.approx(14e-6 + 1.75 * 2e9 / 450e9 + 2 * 3 * 5e-6 + 1.5 * 2.5e8 / 50e9, rel=1e-12)
    assert s(one.dp_comm_time) < s(r.dp_comm_time)
    # a DP group inside one pod never touches the upper tier: tp 8 x dp 2 = 16 = one pod
    inside = DistributedModel().solve(SMALL, fleet(8, 4, pod_size=16, pod_oversubscription=4.0), batch_size=32, tp_size=8, pp_size=2)
    same = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32, tp_size=8, pp_size=2)
    assert s(inside.dp_comm_time) == s(same.dp_comm_time)


# -- CNN data parallelism ----------------------------------------------------------------------------

CNN = CNNWorkload(name="ResNet-50 shape", parameters=25_557_032, inference_flops="8.18 GFLOP")  # torchvision: 25.6M, 8.18 GFLOP/image


def test_cnn_data_parallel_step_by_hand():
    # 16 GPUs (2 nodes of 8), 256 images each: compute = 3 x 8.18e9 x 4096 / (16 x 1000e12 x 0.5) = 12.56448 ms
    r = DistributedModel().solve(CNN, fleet(8, 2), batch_size=4096)
    assert s(r.compute_time) == pytest.approx(3 * 8.18e9 * 256 / 5e14, rel=1e-12)
    assert s(r.compute_time) == pytest.approx(0.01256448, rel=1e-12)
    assert r.microbatch_count == 1 and r.tp_size == r.pp_size == 1
    # gradients: 25,557,032 x 2 B = 51,114,064 B, in node over 8 then across the 2 nodes:
    # 2 x 7 x 1 us + 2 x 7/8 x 51,114,064 / 450e9 + 2 x 1 x 5 us + 2 x 1/2 x (51,114,064 / 8) / 50e9
    grad = 51_114_064
    dp = 14e-6 + 1.75 * grad / 450e9 + 10e-6 + grad / 8 / 50e9
    assert s(r.dp_comm_time) == pytest.approx(dp, rel=1e-12)
    assert s(r.step_time) == pytest.approx(0.01256448 + dp, rel=1e-12)  # not overlapped by default
    # overlapped with the backward pass (2/3 of compute x 0.8 = 6.7 ms > 0.35 ms): nothing exposed
    o = DistributedModel().solve(CNN, fleet(8, 2), batch_size=4096, overlap_comm=True)
    assert s(o.dp_exposed_time) == 0.0 and o.scaling_efficiency == 1.0
    # memory: weights 2 B + gradients 2 B + Adam 12 B per parameter (no activation bytes listed)
    assert r.memory_per_accelerator.m_as("B") == pytest.approx(16 * 25_557_032, rel=1e-12)
    assert r.mfu == pytest.approx(0.5 * r.scaling_efficiency, rel=1e-12)


def test_cnn_splits_by_data_parallelism_only():
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(CNN, fleet(8, 2), batch_size=4096, tp_size=2)
    assert exc.value.field == "tp_size" and "data parallelism" in str(exc.value)
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(CNNWorkload(name="no flops", parameters=1e6), fleet(8, 2), batch_size=16)
    assert exc.value.field == "model"
    best = ParallelismOptimizer().solve(CNN, fleet(8, 2), batch_size=4096)
    assert best.best_config["tp"] == best.best_config["pp"] == 1 and best.best_config["dp"] == 16


def test_training_run_takes_context_parallelism_and_counts_model_flops():
    from mlsysim.solvers import ScalingModel

    run = ScalingModel().training_run(SMALL, fleet(8, 1), tokens=1e9, batch_size=4, checkpoint_time="10 s",
                                      parallelism={"cp_size": 2, "attention": "full"})
    assert run.feasible and run.config["cp"] == 2 and run.config["dp"] == 4
    # model FLOPs (PaLM App. B) per token at s = 2048: 6 x 1e9 + 12 x 16 x 2048 x 2048 = 6.805306368e9
    assert run.training_compute.m_as("flop") == pytest.approx(6.805306368e9 * 1e9, rel=1e-12)
