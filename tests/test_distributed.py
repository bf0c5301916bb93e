"""DistributedModel and ParallelismOptimizer against hand derivations.

Every expected number is written out as its formula with the numbers put in.
The fleets and models are built here from the types (not the registry), with
round numbers so the arithmetic can be followed by hand:
an accelerator of 1000 TFLOP/s dense bf16 and 80 GB, nodes joined by a
450 GB/s link (alpha 1 us), a fabric of 50 GB/s per accelerator (alpha 5 us).
"""

import math

import pytest

from mlsysim.core.errors import InputError
from mlsysim.core.units import Q_
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.physics import formulas
from mlsysim.solvers import DistributedModel, ParallelismOptimizer
from mlsysim.systems.types import Fleet, NetworkFabric, Node
from mlsysim.workloads.types import TransformerWorkload

PEAK = 1000e12  # flop/s
INTRA_BW, INTRA_LAT = 450e9, 1e-6
FABRIC_BW, FABRIC_LAT = 50e9, 5e-6

GPU = HardwareNode(
    name="Test GPU", compute=ComputeCore(peak_flops="1000 TFLOP/s", precision_flops={"bf16": "1000 TFLOP/s"}),
    memory=MemoryHierarchy(capacity="80 GB", bandwidth="3 TB/s"), tdp="700 W",
)


def fleet(per_node: int, nodes: int, oversubscription: float = 1.0) -> Fleet:
    node = Node(accelerator=GPU, accelerators_per_node=per_node, intra_node_bw="450 GB/s", intra_node_latency="1 us")
    fabric = NetworkFabric(bandwidth="50 GB/s", latency="5 us", oversubscription_ratio=oversubscription)
    return Fleet(name=f"{nodes}x{per_node}", node=node, count=nodes, fabric=fabric)


def transformer(params: float, layers: int, hidden: int, heads: int, seq_len: int = 2048) -> TransformerWorkload:
    return TransformerWorkload(name=f"T{params:.0e}", parameters=params, layers=layers, hidden_dim=hidden, heads=heads, seq_len=seq_len)


GPT3 = transformer(175e9, 96, 12288, 96)  # Brown et al. 2020, Table 2.1: 175B, 96 layers, d_model 12288, 96 heads
SMALL = transformer(1e9, 16, 2048, 16)
MID = transformer(8e9, 32, 4096, 32)


def s(q, unit="s"):
    return q.m_as(unit)


# -- data parallel all-reduce ---------------------------------------------------------


@pytest.mark.parametrize("n", [2, 8, 64])
def test_ring_allreduce_of_350_gb_of_gradients(n):
    # GPT-3's 175e9 bf16 gradients = 350 GB. One accelerator per node, tp = pp = 1:
    # a flat ring over n workers: 2 (n-1)/n x 350 GB / 50 GB/s + 2 (n-1) x 5 us.
    expected = 2 * (n - 1) / n * 350e9 / 50e9 + 2 * (n - 1) * 5e-6
    r = DistributedModel().solve(GPT3, fleet(1, n), batch_size=n)
    assert r.dp_size == n
    assert s(r.dp_comm_time) == pytest.approx(expected, rel=1e-12)
    assert s(formulas.calc_ring_allreduce_time(Q_("350 GB"), n, Q_("50 GB/s"), Q_("5 us"))) == pytest.approx(expected, rel=1e-12)
    # 175e9 x 16 B of weights, gradients and Adam state cannot fit in 80 GB
    assert not r.feasible and r.bound == "capacity" and "80 GB" in r.reason


def test_hierarchical_allreduce_inside_then_across_nodes():
    # 1e9 params -> 2e9 B of bf16 gradients; 4 nodes x 8, tp = 1: dp = 32, 8 local peers, 4 nodes.
    # in node:  2 x 7 x 1 us + 2 x 7/8 x 2e9 / 450e9         = 14 us + 7.7778 ms
    # across:   2 x 3 x 5 us + 2 x 3/4 x (2e9 / 8) / 50e9    = 30 us + 7.5 ms
    expected = 14e-6 + 2 * 7 / 8 * 2e9 / 450e9 + 30e-6 + 2 * 3 / 4 * 2.5e8 / 50e9
    r = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32)
    assert s(r.dp_comm_time) == pytest.approx(expected, rel=1e-12)
    assert s(r.dp_comm_time) == pytest.approx(0.0153218, rel=1e-5)
    # a 2:1 oversubscribed fabric halves the cross-node bandwidth: that term doubles
    r2 = DistributedModel().solve(SMALL, fleet(8, 4, oversubscription=2.0), batch_size=32)
    assert s(r2.dp_comm_time) == pytest.approx(expected + 2 * 3 / 4 * 2.5e8 / 50e9, rel=1e-12)


def test_overlap_hides_the_allreduce_behind_the_backward_pass():
    base = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32)
    ov = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32, overlap_comm=True, overlap_efficiency=0.5)
    # exposed = max(0, T_dp - 0.5 x (2/3) x T_compute)
    expected = max(0.0, s(base.dp_comm_time) - 0.5 * 2 / 3 * s(base.compute_time))
    assert s(ov.dp_exposed_time) == pytest.approx(expected, rel=1e-12)
    assert s(ov.step_time) == pytest.approx(s(base.step_time) - s(base.dp_exposed_time) + expected, rel=1e-12)


def test_zero3_moves_one_and_a_half_times_the_gradient_volume():
    # Rajbhandari et al. 2020, Sec. 7: stage 3 = 3 Psi against 2 Psi for all-reduce.
    z0 = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32)
    z3 = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32, zero_stage=3)
    assert s(z3.dp_comm_time) == pytest.approx(1.5 * s(z0.dp_comm_time), rel=1e-12)


# -- compute, tensor and pipeline parallelism -----------------------------------------------


def test_compute_time_is_6PD_plus_attention_over_the_fleet():
    # executed FLOPs per token (selective recompute, causal kernels, the defaults):
    #   6P = 6 x 1e9, plus 4 attention passes (forward, backward x2, the recomputed core) of
    #   4 x 16 layers x 1024 keys (causal half of 2048) x 2048 (d_attn) = 134,217,728 each:
    #   6e9 + 4 x 134,217,728 = 6.536870912e9
    # x (32 x 2048 tokens) / (32 x 1000 TFLOP/s x 0.5) = 6.536870912e9 x 2048 / 5e14 = 0.026775 s
    r = DistributedModel().solve(SMALL, fleet(8, 4), batch_size=32, efficiency=0.5)
    assert s(r.compute_time) == pytest.approx(6.536870912e9 * 32 * 2048 / (32 * PEAK * 0.5), rel=1e-12)
    assert s(r.compute_time) == pytest.approx(0.026775023255552, rel=1e-12)
    assert r.scaling_efficiency == pytest.approx(s(r.compute_time) / s(r.step_time), rel=1e-12)
    # MFU counts model FLOPs (PaLM App. B: 6P + 3 passes of the FULL window, 4 x 16 x 2048 x 2048 = 268,435,456):
    # 6e9 + 3 x 268,435,456 = 6.805306368e9 per token, more than the causal kernels execute, so
    # MFU = efficiency x scaling efficiency x model / hardware FLOPs; HFU counts what ran
    assert r.mfu == pytest.approx(0.5 * r.scaling_efficiency * 6.805306368e9 / 6.536870912e9, rel=1e-12)
    assert r.hfu == pytest.approx(0.5 * r.scaling_efficiency, rel=1e-12)
    assert r.model_flops.m_as("flop") == pytest.approx(6.805306368e9 * 32 * 2048, rel=1e-12)
    assert r.hardware_flops.m_as("flop") == pytest.approx(6.536870912e9 * 32 * 2048, rel=1e-12)
    assert "Chowdhery" in r.flop_convention and "Narayanan" in r.flop_convention
    assert r.throughput.m_as("1/s") == pytest.approx(32 / s(r.step_time), rel=1e-12)
    assert r.token_throughput.m_as("1/s") == pytest.approx(32 * 2048 / s(r.step_time), rel=1e-12)


def test_tensor_parallel_traffic_is_four_allreduces_per_layer_per_microbatch():
    # tp = 8 in one node, batch 8 -> dp = 1, 8 micro-batches of 1 x 2048 tokens, 16 layers.
    # one all-reduce of 2048 x 2048 x 2 B over 8: 2 x 7 x 1 us + 2 x 7/8 x 8,388,608 B / 450 GB/s
    one = 2 * 7 * 1e-6 + 2 * 7 / 8 * 2048 * 2048 * 2 / 450e9
    r = DistributedModel().solve(SMALL, fleet(8, 1), batch_size=8, tp_size=8)
    assert r.microbatch_count == 8 and r.dp_size == 1
    assert s(r.tp_comm_time) == pytest.approx(8 * 4 * 16 * one, rel=1e-12)
    assert s(r.tp_comm_time) == pytest.approx(0.023871, rel=1e-4)


def test_pipeline_bubble_for_4_stages_and_64_microbatches():
    # GPipe / 1F1B: (P-1) / (M + P - 1) = 3 / 67
    r = DistributedModel().solve(SMALL, fleet(1, 4), batch_size=64, pp_size=4)
    assert r.microbatch_count == 64
    assert r.bubble_fraction == pytest.approx(3 / 67, rel=1e-12)
    assert formulas.calc_pipeline_bubble(4, 64) == pytest.approx(3 / 67, rel=1e-12)
    # the bubble adds (P-1)/M of the pipelined work: compute x 3/64 (no TP or EP here)
    assert s(r.bubble_time) == pytest.approx(s(r.compute_time) * 3 / 64, rel=1e-12)
    # interleaving V = 2 halves the idle slots: 3 / (2 x 64 + 3)
    r2 = DistributedModel().solve(SMALL, fleet(1, 4), batch_size=64, pp_size=4, virtual_stages=2)
    assert r2.bubble_fraction == pytest.approx(3 / 131, rel=1e-12)


# -- memory --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage, w, g, o", [
    # Rajbhandari et al. 2020, Fig. 1, Psi = 8e9, N_d = 8, 2 B weights, 2 B gradients, K = 12
    (0, 16e9, 16e9, 96e9),
    (1, 16e9, 16e9, 96e9 / 8),
    (2, 16e9, 16e9 / 8, 96e9 / 8),
    (3, 16e9 / 8, 16e9 / 8, 96e9 / 8),
])
def test_zero_stages_shard_optimizer_gradients_weights(stage, w, g, o):
    r = DistributedModel().solve(MID, fleet(8, 1), batch_size=8, zero_stage=stage)
    assert r.weight_memory.m_as("B") == pytest.approx(w)
    assert r.gradient_memory.m_as("B") == pytest.approx(g)
    assert r.optimizer_memory.m_as("B") == pytest.approx(o)
    # selective recompute (no s x s scores), tp = 1: 34 s b h per layer (Korthikanti et al. 2022, Sec. 5)
    acts = 34 * 2048 * 1 * 4096 * 32
    assert r.activation_memory.m_as("B") == pytest.approx(acts)
    assert r.memory_per_accelerator.m_as("B") == pytest.approx(w + g + o + acts)
    assert r.feasible == (w + g + o + acts <= 80e9)


def test_activations_with_tensor_sequence_and_pipeline_parallelism():
    # tp = 4 with sequence parallelism: 34 s b h / 4 per layer; pp = 2: 16 layers per stage,
    # and 1F1B keeps min(P, M) = 2 micro-batches in flight on the first stage -> 34 s b h L / 4.
    r = DistributedModel().solve(MID, fleet(8, 1), batch_size=8, tp_size=4, pp_size=2)
    assert r.activation_memory.m_as("B") == pytest.approx(34 * 2048 * 4096 / 4 * 16 * 2)
    # no recompute, no SP (Korthikanti Eq. 2): s b h (10 + 24/t + 5 a s / (h t)) per layer
    r2 = DistributedModel().solve(MID, fleet(8, 1), batch_size=8, tp_size=4, pp_size=2, recompute="none", sequence_parallel=False)
    per_layer = 2048 * 4096 * (10 + 24 / 4 + 5 * 32 * 2048 / (4096 * 4))
    assert r2.activation_memory.m_as("B") == pytest.approx(per_layer * 16 * 2)


# -- mixture of experts ----------------------------------------------------------------------

# Mixtral 8x7B (Jiang et al. 2024): 46.7e9 parameters, 12.9e9 active, 8 experts, top-2, 32 layers, d_model 4096.
MIXTRAL = TransformerWorkload(name="Mixtral-8x7B shape", parameters=46.7e9, active_parameters=12.9e9, experts=8, experts_per_token=2,
                              layers=32, hidden_dim=4096, heads=32, kv_heads=8, seq_len=2048)
PER_EXPERT = (46.7e9 - 12.9e9) / (8 - 2)  # each expert's parameters: (total - active) / (E - k) = 5.633e9
EXPERTS = 8 * PER_EXPERT  # 45.07e9
SHARED = 46.7e9 - EXPERTS  # 1.633e9 (attention, embeddings, routers)


def test_expert_parallel_all_to_all_and_split_gradient_allreduce():
    # one node of 8, tp = 1, ep = 2 -> dp = 4; batch 8 -> 2 sequences per replica, 2 micro-batches
    r = DistributedModel().solve(MIXTRAL, fleet(8, 1), batch_size=8, ep_size=2)
    assert (r.dp_size, r.microbatch_count) == (4, 2)
    # all-to-all of 2048 tokens x 4096 x 2 B x top-2 over 2 ranks: 1 x 1 us + 1/2 x M / 450 GB/s,
    # 4 per layer (dispatch + combine, forward + backward), 32 layers, 2 micro-batches
    a2a = 1e-6 + 1 / 2 * 2048 * 4096 * 2 * 2 / 450e9
    assert s(r.ep_comm_time) == pytest.approx(2 * 4 * 32 * a2a, rel=1e-12)
    # gradients: shared weights over all 8 ranks, each expert group's over its 4 replicas (all in one node)
    shared = 2 * 7 * 1e-6 + 2 * 7 / 8 * SHARED * 2 / 450e9
    expert = 2 * 3 * 1e-6 + 2 * 3 / 4 * EXPERTS / 2 * 2 / 450e9
    assert s(r.dp_comm_time) == pytest.approx(shared + expert, rel=1e-9)
    # memory: the shared weights and half the experts, 2 B each
    assert r.weight_memory.m_as("B") == pytest.approx((SHARED + EXPERTS / 2) * 2, rel=1e-9)
    # compute uses the active parameters: (6 x 12.9e9 + 4 attention passes x 4 x 32 layers x 1024 causal keys
    # x 4096 d_attn = 4 x 536,870,912) x 8 x 2048 / (8 x 1000 TFLOP/s x 0.5)
    assert s(r.compute_time) == pytest.approx((6 * 12.9e9 + 4 * 536_870_912) * 8 * 2048 / (8 * PEAK * 0.5), rel=1e-12)


def test_expert_parallel_size_must_divide_the_experts():
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(MIXTRAL, fleet(8, 2), batch_size=16, ep_size=16)
    assert exc.value.field == "ep_size" and "8 experts" in str(exc.value)


def test_optimizer_searches_expert_parallelism_for_moe():
    res = ParallelismOptimizer().solve(MIXTRAL, fleet(8, 4), batch_size=64)
    assert res.feasible
    assert {c["ep"] for c in res.ranked} > {1}
    for c in res.ranked[:10]:
        assert _resolve(MIXTRAL, fleet(8, 4), 64, c).feasible


# -- behaviour across configurations ---------------------------------------------------------


def test_scaling_efficiency_falls_as_dp_grows_at_fixed_global_batch():
    # global batch 256: more replicas -> less compute each, a longer all-reduce
    effs = [DistributedModel().solve(SMALL, fleet(8, nodes), batch_size=256).scaling_efficiency for nodes in (1, 2, 4, 8, 16, 32)]
    assert all(a > b for a, b in zip(effs, effs[1:])), effs
    assert effs[0] < 1.0


def test_tensor_parallel_across_nodes_warns_and_says_so():
    with pytest.warns(UserWarning, match="spans more than one node"):
        r = DistributedModel().solve(SMALL, fleet(8, 2), batch_size=16, tp_size=16)
    assert any("spans more than one node" in a for a in r.assumptions)
    # its all-reduces now run at the fabric's 50 GB/s: 16 micro-batches x 4 x 16 layers x ring over 16
    one = 2 * 15 * 5e-6 + 2 * 15 / 16 * 2048 * 2048 * 2 / 50e9
    assert s(r.tp_comm_time) == pytest.approx(1 * 4 * 16 * one * 16, rel=1e-12)


def test_communication_bound_layout_says_network():
    # 350 GB all-reduced over 50 GB/s takes seconds; 8 sequences of compute take far less
    r = DistributedModel().solve(GPT3, fleet(1, 8), batch_size=8)
    assert s(r.dp_exposed_time) > s(r.compute_time)
    # (it does not fit, so the binding wall is capacity first)
    assert r.bound == "capacity"


# -- the optimizer -------------------------------------------------------------------------


def _resolve(model, f, batch, cfg):
    return DistributedModel().solve(model, f, batch, tp_size=cfg["tp"], pp_size=cfg["pp"], ep_size=cfg["ep"],
                                    microbatch_count=cfg["microbatches"], zero_stage=cfg["zero_stage"],
                                    virtual_stages=cfg.get("virtual_stages", 1))


def test_optimizer_returns_only_configurations_that_fit():
    model = transformer(13e9, 40, 5120, 40)  # 13e9 x 16 B = 208 GB of state: tp = 1 alone cannot fit
    f = fleet(8, 16)
    res = ParallelismOptimizer().solve(model, f, batch_size=256)
    assert res.feasible and res.best_config is not None
    assert res.rejected["memory"] > 0
    assert res.feasible_count == len(res.ranked)
    assert res.total_searched == res.feasible_count + sum(res.rejected.values())
    cfg = res.best_config
    assert cfg["tp"] * cfg["pp"] * cfg["dp"] * cfg["ep"] == 128
    best = _resolve(model, f, 256, cfg)
    assert best.feasible
    assert s(best.step_time) == pytest.approx(res.step_time.m_as("s"), rel=1e-12)
    assert s(res.best.step_time) == pytest.approx(s(best.step_time), rel=1e-12)
    steps = [c["step_time_s"] for c in res.ranked]
    assert steps == sorted(steps)
    for c in res.ranked:
        r = _resolve(model, f, 256, c)
        assert r.feasible, c
        assert s(r.step_time) == pytest.approx(c["step_time_s"], rel=1e-12)
        assert r.memory_per_accelerator.m_as("GB") == pytest.approx(c["memory_gb"], rel=1e-12)


def test_optimizer_searches_8192_accelerators_quickly():
    # Llama-3-70B shape (Dubey et al. 2024, Table 3: 80 layers, d_model 8192, 64 heads, 8 KV heads)
    llama70 = TransformerWorkload(name="Llama-3-70B", parameters=70.6e9, layers=80, hidden_dim=8192, heads=64, kv_heads=8, seq_len=8192)
    f = fleet(8, 1024)
    res = ParallelismOptimizer().solve(llama70, f, batch_size=1024, precision="bf16", efficiency=0.5)
    assert res.feasible
    assert res.search_seconds < 0.5  # the target for this search; measured ~1 ms
    assert res.best.feasible and res.best.total_accelerators == 8192
    assert res.best_config["tp"] <= 8  # TP stays in the node unless asked


def test_optimizer_reports_when_nothing_fits():
    res = ParallelismOptimizer().solve(GPT3, fleet(1, 2), batch_size=2)
    assert not res.feasible and res.best_config is None and res.best is None and res.bound == "capacity"
    assert "memory" in res.reason


# -- bad input ---------------------------------------------------------------------------------


def test_impossible_decomposition_names_the_sizes():
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(SMALL, fleet(8, 2), batch_size=16, tp_size=3)
    assert exc.value.field == "tp_size*pp_size*ep_size"
    assert "3*1*1" in str(exc.value) and "16 accelerators" in str(exc.value)


@pytest.mark.parametrize("kwargs, field", [
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 12}, "batch_size"),  # 16 replicas cannot share 12 sequences
    ({"batch_size": 16, "ep_size": 2}, "ep_size"),  # a dense model has no experts
    ({"batch_size": 16, "microbatch_count": 3, "tp_size": 8}, "microbatch_count"),
    ({"batch_size": 16, "zero_stage": 4}, "zero_stage"),
    ({"batch_size": 16, "efficiency": 0}, "efficiency"),
    ({"batch_size": 16, "pp_size": 32, "tp_size": 1}, "tp_size*pp_size*ep_size"),
])
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(SMALL, fleet(8, 2), **kwargs)
    assert exc.value.field == field


def test_tensor_parallel_size_must_divide_the_heads():
    twelve_heads = transformer(1e9, 16, 1536, 12)
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(twelve_heads, fleet(8, 1), batch_size=8, tp_size=8)
    assert exc.value.field == "tp_size" and "12 attention heads" in str(exc.value)
    res = ParallelismOptimizer().solve(twelve_heads, fleet(8, 1), batch_size=8)
    assert {c["tp"] for c in res.ranked} <= {1, 2, 4}


def test_more_stages_than_layers_is_rejected():
    tiny = transformer(1e8, 2, 1024, 8)
    with pytest.raises(InputError) as exc:
        DistributedModel().solve(tiny, fleet(1, 4), batch_size=4, pp_size=4)
    assert exc.value.field == "pp_size"
    assert math.isfinite(DistributedModel().solve(tiny, fleet(1, 4), batch_size=4, pp_size=2).step_time.m_as("s"))
