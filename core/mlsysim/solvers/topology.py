"""Locality: what the network's shape does to bisection bandwidth, hops and collectives (Wall 10).

Fabrics, with N endpoints each injecting ``bandwidth`` (one direction):

- **fat-tree** (folded Clos of k-port switches): k^3/4 hosts, full bisection N/2
  links unless a tier is oversubscribed; 2/4/6 links within an edge switch / pod /
  across pods (Leiserson 1985; Al-Fares et al. 2008).
- **rail-optimized**: a fat-tree whose leaves are rails (GPU i of every server on
  leaf i), so same-rail traffic crosses one switch; NVIDIA DGX SuperPOD reference
  architecture. Counted as a fat-tree; cross-rail hops ride the server's NVLink.
- **torus** k_1 x ... x k_n (TPU v4: 3-D): each endpoint's bandwidth is split over
  its 2n links; bisection 2N/k_max links (Dally & Towles 2004, Sec. 5.2).
- **dragonfly** (Kim et al. 2008): groups of a routers with p terminals and h
  global links each, one global link per pair of groups; balanced a = 2p = 2h.
- **ring**: 2 links across any bisection.

Collectives use the engine's alpha-beta kernels with the bandwidth the fabric
leaves: ring all-reduce at the injection bandwidth divided by the tiers'
oversubscription (as ``NetworkFabric.effective_bandwidth_si``) -- a ring's
neighbours exchange over few links, so it needs no bisection -- and all-to-all at
min(injection, 4 B_bis (N-1)/N^2), the bisection bound. A ``Fleet`` supplies
N, bandwidth, latency, ``fabric.topology`` and ``fabric.oversubscription_ratio``;
its servers' scale-up links make the all-reduce hierarchical.
"""

from __future__ import annotations

import math

from ..core import checks
from ..core.errors import InputError
from ..physics import kernels
from ..registries import Fleets
from ..results import Result, quantity
from ..systems.types import Fleet
from ..walls import Wall
from .contract import floats, plan

TOPOLOGIES = ("fat-tree", "rail-optimized", "torus", "dragonfly", "ring")
TREES = ("fat-tree", "rail-optimized")


@plan
class TopologyPlan:
    topology: str
    endpoints: int
    bandwidth: float  # per endpoint, one direction
    latency: float  # per message (alpha), before hops
    hop_latency: float  # per link traversed
    oversubscription: float  # product over tiers (trees, dragonfly)
    radix: int  # fat-tree switch ports (0 otherwise)
    dims: tuple[int, ...]  # torus (empty otherwise)
    routers_per_group: int  # dragonfly (0 otherwise)
    terminals_per_router: int
    global_links_per_router: int
    message_bytes: float
    all_to_all_bytes: float
    local: int  # accelerators per server on a scale-up link (1 = none)
    intra_bandwidth: float
    intra_latency: float


@floats
class TopologyFloats:
    capacity: float  # endpoints the topology's parameters can hold
    groups: int  # dragonfly groups (0 otherwise)
    link_bandwidth: float
    bisection_links: float
    bisection_bandwidth: float
    diameter: float  # links (switch-based fabrics) or hops (torus, ring)
    mean_hops: float
    full_bisection_ratio: float  # bisection / (N/2 x injection)
    allreduce_bandwidth: float
    all_to_all_bandwidth: float
    allreduce_time: float
    all_to_all_time: float


def _shape(p: TopologyPlan) -> tuple[float, float, float, float, float, int]:
    """(capacity, link bandwidth, bisection links, diameter, mean hops, groups) of the fabric."""
    n = p.endpoints
    if p.topology in TREES:
        diameter, mean = kernels.fat_tree_link_hops(p.radix, n)
        return kernels.fat_tree_max_hosts(p.radix), p.bandwidth, kernels.tree_bisection_links(n, p.oversubscription), diameter, mean, 0
    if p.topology == "torus":
        diameter, mean = kernels.torus_hops(p.dims)
        return float(math.prod(p.dims)), p.bandwidth / (2 * len(p.dims)), kernels.torus_bisection_links(p.dims), diameter, mean, 0
    if p.topology == "dragonfly":
        a, t, h = p.routers_per_group, p.terminals_per_router, p.global_links_per_router
        groups = math.ceil(n / (a * t))
        diameter, mean = kernels.dragonfly_link_hops(a)
        if groups > 1:
            links = kernels.dragonfly_bisection_links(groups) / p.oversubscription
        elif math.ceil(n / t) > 1:  # one group: routers fully connected by local links
            links = kernels.dragonfly_bisection_links(math.ceil(n / t)) / p.oversubscription
            diameter, mean = 3.0, 2.0 + (a - 1.0) / a
        else:  # every endpoint on one router: a crossbar, every terminal link crosses the cut (as one switch of a tree)
            links = kernels.tree_bisection_links(n, p.oversubscription)
            diameter, mean = 2.0, 2.0
        return kernels.dragonfly_max_endpoints(a, t, h), p.bandwidth, links, diameter, mean, groups
    # ring: two links cross any cut; each endpoint's bandwidth split over its two neighbours
    return float(n), p.bandwidth / 2.0, 2.0, float(n // 2), n / 4.0, 0


def evaluate(p: TopologyPlan) -> TopologyFloats:
    """Bisection, hops and the two collectives' times on the fabric."""
    capacity, link_bw, links, diameter, mean, groups = _shape(p)
    n = p.endpoints
    bisection = links * link_bw
    alpha = p.latency + p.hop_latency * mean
    trees = p.topology in TREES or p.topology == "dragonfly"
    ar_bw = p.bandwidth / p.oversubscription if trees else p.bandwidth
    a2a_bw = min(p.bandwidth, kernels.all_to_all_bisection_bandwidth(bisection, n)) if n > 1 else p.bandwidth
    if p.local > 1 and n % p.local == 0:
        ar = kernels.hierarchical_allreduce_time(p.message_bytes, p.local, n // p.local, p.intra_bandwidth, p.intra_latency, ar_bw, alpha)
    else:
        ar = kernels.ring_allreduce_time(p.message_bytes, n, ar_bw, alpha)
    a2a = kernels.all_to_all_time(p.all_to_all_bytes, n, a2a_bw, alpha)
    return TopologyFloats(capacity, groups, link_bw, links, bisection, diameter, mean, bisection / (n / 2.0 * p.bandwidth) if n > 1 else 1.0,
                          ar_bw, a2a_bw, ar, a2a)


class TopologyResult(Result):
    """Bisection bandwidth, hop counts, oversubscription and collective times of one fabric."""

    _plain_names = ("topology", "shape", "endpoints", "capacity", "groups", "bisection_links", "full_bisection_ratio", "oversubscription",
                    "diameter", "mean_hops", "feasible", "reason", "bound", "assumptions")

    bandwidth = quantity("bandwidth", "GB/s", "injection per endpoint, one direction")
    link_bandwidth = quantity("bandwidth", "GB/s", "one link, one direction")
    bisection_bandwidth = quantity("bandwidth", "TB/s", "one direction across the narrowest half-half cut")
    allreduce_bandwidth = quantity("bandwidth", "GB/s", "per endpoint, what a ring all-reduce gets")
    all_to_all_bandwidth = quantity("bandwidth", "GB/s", "per endpoint, what a uniform all-to-all gets (bisection-bound)")
    allreduce_time = quantity("time", "ms", "all-reduce of message_size (hierarchical when servers have a scale-up link)")
    all_to_all_time = quantity("time", "ms", "all-to-all of all_to_all_size held by each endpoint")
    message_size = quantity("bytes", "GB")
    all_to_all_size = quantity("bytes", "GB")


def _smallest_even_radix(n: int) -> int:
    k = 2
    while kernels.fat_tree_max_hosts(k) < n:
        k += 2
    return k


def _balanced_dragonfly(n: int) -> tuple[int, int, int]:
    h = 1
    while kernels.dragonfly_max_endpoints(2 * h, h, h) < n:
        h += 1
    return 2 * h, h, h


def _oversubscription(value) -> tuple[float, list[float]]:
    if isinstance(value, (list, tuple)):
        tiers = [checks.number(v, f"oversubscription[{i}]", 1.0, accepted="a ratio >= 1 (1 = non-blocking)") for i, v in enumerate(checks.sequence(value, "oversubscription", "ratios >= 1"))]
    else:
        tiers = [checks.number(value, "oversubscription", 1.0, accepted="a ratio >= 1 (1 = non-blocking), or a list of one per tier")]
    return math.prod(tiers), tiers


class TopologyModel:
    """A fabric's bisection, hops and oversubscription, and what they do to all-reduce and all-to-all."""

    def solve(self, system=None, topology: str | None = None, endpoints: int | None = None, bandwidth=None, latency=None,
              oversubscription=None, radix: int | None = None, torus_dims=None, routers_per_group: int | None = None,
              terminals_per_router: int | None = None, global_links_per_router: int | None = None,
              message_size="1 GB", all_to_all_size=None, hop_latency="0 s") -> TopologyResult:
        """``system``: a Fleet (or fleet name) supplying endpoints, bandwidth, latency, topology and oversubscription;
        any of those given explicitly override it. Without a system, ``topology``, ``endpoints`` and ``bandwidth``
        are required. ``oversubscription``: one ratio, or one per tier above the leaves (their product cuts the
        bisection). ``hop_latency`` is charged per link of the mean path on top of ``latency``."""
        assumptions = []
        local, intra_bw, intra_lat = 1, 0.0, 0.0
        fleet = None
        if system is not None:
            fleet = system if isinstance(system, Fleet) else (Fleets.get(system) if isinstance(system, str) else None)
            if fleet is None:
                raise InputError("system", system, "a Fleet (e.g. Fleets.Research256) or a fleet name")
            fab = fleet.fabric
            topology = fab.topology if topology is None else topology
            endpoints = fleet.total_accelerators if endpoints is None else endpoints
            bandwidth = fab.bandwidth if bandwidth is None else bandwidth
            latency = fab.latency if latency is None else latency
            oversubscription = fab.oversubscription_ratio if oversubscription is None else oversubscription
            local = fleet.node.accelerators_per_node
            intra_bw, intra_lat = fleet.node._si["intra_node_bw"], fleet.node._si["intra_node_latency"]
            assumptions.append(f"{fleet.name}: {fab.topology} fabric, {local} accelerators per server on a scale-up link")
        topo = checks.choice(topology, "topology", TOPOLOGIES) if topology is not None else None
        if topo is None:
            raise InputError("topology", None, "one of " + ", ".join(repr(t) for t in TOPOLOGIES) + " (or a system whose fabric names one)")
        if endpoints is None:
            raise InputError("endpoints", None, "the number of endpoints (an integer >= 2), or a system")
        n = checks.integer(endpoints, "endpoints", 2)
        if bandwidth is None:
            raise InputError("bandwidth", None, "the per-endpoint injection bandwidth, e.g. '50 GB/s', or a system")
        bw = checks.quantity(bandwidth, "bandwidth", "bandwidth")
        alpha = 0.0 if latency is None else checks.quantity(latency, "latency", "time", minimum=0.0, low_open=False)
        hop = checks.quantity(hop_latency, "hop_latency", "time", minimum=0.0, low_open=False)
        over, tiers = _oversubscription(1.0 if oversubscription is None else oversubscription)
        msg = checks.quantity(message_size, "message_size", "bytes")
        a2a = msg if all_to_all_size is None else checks.quantity(all_to_all_size, "all_to_all_size", "bytes")

        k, dims, a, t, h = 0, (), 0, 0, 0
        if topo in TREES:
            k = _smallest_even_radix(n) if radix is None else checks.integer(radix, "radix", 2)
            if k % 2:
                raise InputError("radix", radix, "an even number of switch ports >= 2")
            shape = f"{k}-ary fat-tree"
            if radix is None:
                assumptions.append(f"radix {k}: the smallest even k with k^3/4 >= {n} endpoints")
            if topo == "rail-optimized":
                assumptions.append("rail-optimized counted as a fat-tree whose leaves are rails; cross-rail hops ride NVLink (not counted)")
        elif topo == "torus":
            if torus_dims is None:
                side = 2
                while side**3 < n:
                    side += 1
                dims = (side, side, side)
                assumptions.append(f"torus {side}x{side}x{side}: the smallest 3-D cube holding {n} endpoints")
            else:
                dims = tuple(checks.int_list(torus_dims, "torus_dims", 2))
            shape = "x".join(str(d) for d in dims) + " torus"
            assumptions.append(f"each endpoint's bandwidth is split over its {2 * len(dims)} torus links; multi-dimensional rings use all of them")
        elif topo == "dragonfly":
            given = (routers_per_group, terminals_per_router, global_links_per_router)
            if all(v is None for v in given):
                a, t, h = _balanced_dragonfly(n)
                assumptions.append(f"balanced dragonfly a = 2p = 2h with h = {h}, the smallest holding {n} endpoints (Kim et al. 2008)")
            elif any(v is None for v in given):
                raise InputError("routers_per_group", routers_per_group, "all three of routers_per_group, terminals_per_router and global_links_per_router, or none")
            else:
                a = checks.positive_int(routers_per_group, "routers_per_group")
                t = checks.positive_int(terminals_per_router, "terminals_per_router")
                h = checks.positive_int(global_links_per_router, "global_links_per_router")
            shape = f"dragonfly a={a} p={t} h={h}"
            assumptions.append("global and local links run at the terminal bandwidth; minimal routing")
        else:
            shape = f"{n}-node ring"
        if over > 1.0:
            assumptions.append(f"oversubscription {' x '.join(f'{x:g}' for x in tiers)} = {over:g}: the bisection and a ring all-reduce are cut by it")
        if hop > 0.0:
            assumptions.append(f"{hop * 1e9:.3g} ns per link on the mean path added to each message's latency")
        else:
            assumptions.append("per-message latency as given; hop counts reported but not charged (hop_latency=0)")
        if local > 1 and n % local:
            assumptions.append(f"{n} endpoints are not whole servers of {local}: all-reduce taken as one flat ring")

        p = TopologyPlan(topo, n, bw, alpha, hop, over, k, dims, a, t, h, msg, a2a, local, intra_bw, intra_lat)
        out = checks.finite_floats(evaluate(p), "bisection and collective times",
                                   "latency, hop_latency, message_size, all_to_all_size, bandwidth",
                                   (latency, hop_latency, message_size, all_to_all_size, bandwidth))
        reason = ""
        if out.capacity < n:
            reason = f"a {shape} holds {out.capacity:.6g} endpoints, fewer than {n}"
        bound = Wall.LOCALITY if (out.all_to_all_bandwidth < bw * (1 - 1e-12) or over > 1.0) else Wall.COMMUNICATION
        if reason:
            bound = Wall.CAPACITY
        return TopologyResult.view(
            out, topology=topo, shape=shape, endpoints=n, capacity=out.capacity, groups=out.groups, bisection_links=out.bisection_links,
            full_bisection_ratio=out.full_bisection_ratio, oversubscription=over, diameter=out.diameter, mean_hops=out.mean_hops,
            feasible=not reason, reason=reason, bound=bound, assumptions=assumptions,
            _bandwidth=bw, _message_size=msg, _all_to_all_size=a2a,
        )


def audit_row(ctx) -> dict | None:
    """The audit's locality line, for a fleet: all-to-all bandwidth per accelerator against its injection bandwidth."""
    if ctx.fleet is None:
        return None
    knobs = ctx.knobs or {}
    r = TopologyModel().solve(ctx.fleet, message_size=knobs.get("message_size", "1 GB"))
    return {"wall": Wall.LOCALITY, "figure": r.all_to_all_bandwidth, "limit": r.bandwidth, "binds": r.bound is Wall.LOCALITY,
            "note": f"{r.shape}: bisection {r.bisection_bandwidth:.3g~P}, {r.full_bisection_ratio:.2f} of full, mean {r.mean_hops:.2f} hops"}
