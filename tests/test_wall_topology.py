"""Wall 10, locality: bisection, hops and collectives of fat-tree, rail, torus, dragonfly and ring fabrics,
by hand and against the sizes the topologies' papers print."""

from types import SimpleNamespace

import pytest

from mlsysim import Fleets
from mlsysim.core.errors import InputError, UnknownEntryError
from mlsysim.physics import kernels
from mlsysim.solvers.topology import TopologyModel, audit_row
from mlsysim.walls import Wall

M = TopologyModel()


def test_al_fares_48_port_fat_tree_holds_27648_hosts():
    # Al-Fares et al. 2008, Sec. 3.2: "a fat-tree built with 48-port switches supports 27,648 hosts" = 48^3 / 4
    assert kernels.fat_tree_max_hosts(48) == 27_648
    r = M.solve(topology="fat-tree", endpoints=27_648, bandwidth="12.5 GB/s")
    assert r.shape == "48-ary fat-tree" and r.feasible  # 46^3/4 = 24,334 < 27,648: 48 is the smallest radix
    assert r.full_bisection_ratio == pytest.approx(1.0)  # non-blocking: N/2 links cross the bisection


def test_k4_fat_tree_hops_and_bisection_by_hand():
    # k = 4: 16 hosts, 2 per edge switch, 4 per pod. From one host: 1 other on its edge switch (2 links),
    # 2 elsewhere in its pod (4 links), 12 in other pods (6 links): mean = (2 + 8 + 72) / 15 = 5.4667
    r = M.solve(topology="fat-tree", endpoints=16, bandwidth="50 GB/s", radix=4)
    assert r.diameter == 6 and r.mean_hops == pytest.approx(82 / 15)
    # bisection 16/2 = 8 links x 50 GB/s = 400 GB/s
    assert r.bisection_links == 8 and r.bisection_bandwidth.m_as("GB/s") == pytest.approx(400)
    # all-to-all: 4 x 400 x 15 / 256 = 93.75 GB/s > 50 GB/s injection -> injection-bound: the communication wall
    assert r.all_to_all_bandwidth.m_as("GB/s") == pytest.approx(50) and r.bound is Wall.COMMUNICATION
    # ring all-reduce of 1 GB, no latency: 2 x 15/16 x 1 GB / 50 GB/s = 37.5 ms
    assert r.allreduce_time.m_as("ms") == pytest.approx(37.5)


def test_oversubscribed_fat_tree_cuts_bisection_and_all_to_all():
    # 4:1 oversubscribed: bisection 8 / 4 = 2 links = 100 GB/s; all-to-all 4 x 100 x 15 / 256 = 23.44 GB/s
    r = M.solve(topology="fat-tree", endpoints=16, bandwidth="50 GB/s", radix=4, oversubscription=[2, 2])
    assert r.oversubscription == 4 and r.bisection_bandwidth.m_as("GB/s") == pytest.approx(100)
    assert r.all_to_all_bandwidth.m_as("GB/s") == pytest.approx(23.4375)
    # all-to-all of 1 GB: 15/16 x 1 GB / 23.4375 GB/s = 40 ms (vs 18.75 ms non-blocking)
    assert r.all_to_all_time.m_as("ms") == pytest.approx(40.0)
    # ring all-reduce at 50 / 4 = 12.5 GB/s: 2 x 15/16 / 12.5 = 150 ms
    assert r.allreduce_time.m_as("ms") == pytest.approx(150.0)
    assert r.bound is Wall.LOCALITY


def test_torus_bisection_and_hops_by_hand():
    # 16 x 16 x 16 torus (the TPU v4 pod's 4096 chips, Jouppi et al. 2023): bisection 2 N / k = 2 x 4096 / 16 = 512
    # links; diameter 3 x 8 = 24 hops; mean 3 x 16/4 = 12 hops
    r = M.solve(topology="torus", endpoints=4096, bandwidth="300 GB/s", torus_dims=[16, 16, 16])
    assert r.bisection_links == 512 and r.diameter == 24 and r.mean_hops == 12
    # each chip's 300 GB/s over 6 links = 50 GB/s per link; bisection 512 x 50 = 25.6 TB/s
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(50) and r.bisection_bandwidth.m_as("TB/s") == pytest.approx(25.6)
    # all-to-all per chip: 4 x 25.6e12 x 4095 / 4096^2 = 24.99 GB/s, a twelfth of injection: locality binds
    assert r.all_to_all_bandwidth.m_as("GB/s") == pytest.approx(4 * 25.6e3 * 4095 / 4096**2)
    assert r.bound is Wall.LOCALITY
    # odd side: 3-ring mean distance (0 + 1 + 1) / 3 = 2/3 = (9 - 1)/12
    assert kernels.torus_hops((3,)) == (1.0, pytest.approx(2 / 3))


def test_kim_dragonfly_radix_64_scales_past_256k():
    # Kim et al. 2008, Sec. 3.1: balanced a = 2p = 2h; radix k = p + h + a - 1 = 64 -> p = h = 16, a = 32:
    # N = a p (a h + 1) = 32 x 16 x 513 = 262,656 terminals ("over 256K")
    assert kernels.dragonfly_max_endpoints(32, 16, 16) == 262_656
    # 513 groups: bisection 256 x 257 = 65,792 global links
    r = M.solve(topology="dragonfly", endpoints=262_656, bandwidth="25 GB/s", routers_per_group=32, terminals_per_router=16, global_links_per_router=16)
    assert r.groups == 513 and r.bisection_links == 65_792 and r.feasible
    # minimal routing: at most 5 links; mean 3 + 2 x 31/32 = 4.9375
    assert r.diameter == 5 and r.mean_hops == pytest.approx(4.9375)


def test_ring_bisection_is_two_links():
    # 8-node ring, 50 GB/s per node over 2 links (25 each): bisection 2 x 25 = 50 GB/s; diameter 4; mean 8/4 = 2
    r = M.solve(topology="ring", endpoints=8, bandwidth="50 GB/s")
    assert r.bisection_bandwidth.m_as("GB/s") == pytest.approx(50) and r.diameter == 4 and r.mean_hops == 2
    # all-to-all per node 4 x 50 x 7 / 64 = 21.875 GB/s
    assert r.all_to_all_bandwidth.m_as("GB/s") == pytest.approx(21.875)


def test_fleet_topology_is_read():
    # Research256: 32 DGX H100 on a non-blocking fat-tree, 50 GB/s per GPU, 5 us
    r = M.solve(Fleets.Research256)
    assert r.topology == "fat-tree" and r.endpoints == 256 and r.full_bisection_ratio == pytest.approx(1.0)
    # hierarchical all-reduce of 1 GB: in-server 2 x 7/8 x 1 GB / 450 GB/s + 14 x 1 us = 3.8889 + 0.014 ms;
    # across 32 servers: 2 x 31/32 x 0.125 GB / 50 GB/s + 62 x 5 us = 4.84375 + 0.31 ms; total 9.0566 ms
    assert r.allreduce_time.m_as("ms") == pytest.approx(3.888889 + 0.014 + 4.84375 + 0.31, rel=1e-5)
    # Frontier8K names its fabric rail-optimized; an override of the topology is honoured
    assert M.solve("frontier8k").topology == "rail-optimized"
    assert M.solve("frontier8k", topology="torus").topology == "torus"


def test_too_many_endpoints_for_the_shape_is_a_result():
    r = M.solve(topology="fat-tree", endpoints=100, bandwidth="50 GB/s", radix=4)
    assert not r.feasible and r.bound is Wall.CAPACITY and "16" in r.reason
    r = M.solve(topology="torus", endpoints=100, bandwidth="50 GB/s", torus_dims=[4, 4])
    assert not r.feasible


@pytest.mark.parametrize("kw", [dict(topology="mesh"), dict(topology=3), dict(endpoints=1), dict(endpoints=2.5), dict(endpoints="8"),
                                dict(bandwidth="-1 GB/s"), dict(bandwidth="1 ms"), dict(bandwidth=50), dict(bandwidth="nan GB/s"),
                                dict(latency="-1 us"), dict(latency="1 GB"), dict(oversubscription=0.5), dict(oversubscription="2"),
                                dict(oversubscription=float("inf")), dict(radix=5), dict(radix=0), dict(message_size="-1 GB"),
                                dict(message_size="1 s"), dict(all_to_all_size="0 GB"), dict(hop_latency="-1 ns")])
def test_bad_input(kw):
    base = dict(topology="fat-tree", endpoints=16, bandwidth="50 GB/s")
    field = next(iter(kw))
    with pytest.raises(InputError, match=field):
        M.solve(**{**base, **kw})


def test_bad_shape_parameters():
    with pytest.raises(InputError, match=r"oversubscription\[1\]"):
        M.solve(topology="fat-tree", endpoints=16, bandwidth="50 GB/s", oversubscription=[2, 0.5])
    with pytest.raises(InputError, match=r"torus_dims\[0\]"):
        M.solve(topology="torus", endpoints=16, bandwidth="50 GB/s", torus_dims=[1, 16])
    with pytest.raises(InputError, match="torus_dims"):
        M.solve(topology="torus", endpoints=16, bandwidth="50 GB/s", torus_dims="4x4")
    with pytest.raises(InputError, match="routers_per_group"):
        M.solve(topology="dragonfly", endpoints=16, bandwidth="50 GB/s", routers_per_group=4)
    with pytest.raises(InputError, match="terminals_per_router"):
        M.solve(topology="dragonfly", endpoints=16, bandwidth="50 GB/s", routers_per_group=4, terminals_per_router=0, global_links_per_router=2)
    with pytest.raises(InputError, match="system"):
        M.solve(42)
    with pytest.raises(UnknownEntryError):
        M.solve("no-such-fleet")
    for missing, kw in (("topology", dict(endpoints=4, bandwidth="1 GB/s")), ("endpoints", dict(topology="ring", bandwidth="1 GB/s")),
                        ("bandwidth", dict(topology="ring", endpoints=4))):
        with pytest.raises(InputError, match=missing):
            M.solve(**kw)


def test_audit_row():
    ctx = SimpleNamespace(model=None, hardware=None, fleet=None, workload="training", batch_size=1, precision="bf16", seq_len=None,
                          count=None, grid=None, duration=None, knobs={})
    assert audit_row(ctx) is None
    ctx.fleet = Fleets.Research256
    row = audit_row(ctx)
    assert row["wall"] is Wall.LOCALITY and row["binds"] is False and row["figure"].m_as("GB/s") == pytest.approx(50)
