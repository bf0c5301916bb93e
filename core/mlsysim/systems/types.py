"""Systems: accelerators assembled into nodes, nodes into a fleet over a network fabric."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..core.types import Bandwidth, Model, Time, RatioAtLeastOne, bounded_int
from ..core.units import make
from ..hardware.types import HardwareNode
from ..infrastructure.types import Datacenter, GridProfile


# Upper bounds on counts: far above any built system (the largest clusters of 2026 have ~10^5
# nodes; the largest scale-up domains ~10^3 accelerators), low enough that the layout search,
# which enumerates divisors of the accelerator count, stays bounded.
MAX_ACCELERATORS_PER_NODE = 100_000
MAX_NODES = 10_000_000


class Node(Model):
    """A server: N accelerators joined by a scale-up link (NVLink, ICI, Infinity Fabric)."""

    name: str = ""
    accelerator: HardwareNode
    accelerators_per_node: bounded_int(MAX_ACCELERATORS_PER_NODE) = 8
    intra_node_bw: Bandwidth  # per accelerator, one direction; > 0
    intra_node_latency: Time = Field(default_factory=lambda: make(1e-6, "time"))  # >= 0


class NetworkFabric(Model):
    """The scale-out network: per-accelerator injection bandwidth, latency (alpha), topology."""

    name: str = ""
    bandwidth: Bandwidth  # per accelerator (NIC) bandwidth, one direction; > 0
    latency: Time = Field(default_factory=lambda: make(5e-6, "time"))  # >= 0
    topology: Literal["fat-tree", "rail-optimized", "torus", "dragonfly", "ring"] = "fat-tree"
    oversubscription_ratio: RatioAtLeastOne = 1.0  # 1.0 = full bisection bandwidth; finite (nan fails every `<`)
    # Multi-tier fabric: pods of ``pod_size`` accelerators with the bandwidth above, traffic leaving a pod
    # shares uplinks oversubscribed by ``pod_oversubscription`` (Llama 3: pods of 3,072 GPUs, 1:7 above them,
    # Dubey et al. 2024, Sec. 3.3.1). None = one tier (every accelerator at ``bandwidth / oversubscription_ratio``).
    pod_size: bounded_int(MAX_ACCELERATORS_PER_NODE * MAX_NODES) | None = None
    pod_oversubscription: RatioAtLeastOne = 1.0

    @property
    def effective_bandwidth_si(self) -> float:
        """Bandwidth per accelerator when all communicate at once: bandwidth / oversubscription."""
        return self._si["bandwidth"] / self.oversubscription_ratio


class Fleet(Model):
    """A cluster: ``count`` identical nodes on one fabric in one datacenter."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    node: Node
    count: bounded_int(MAX_NODES)  # number of nodes
    fabric: NetworkFabric
    datacenter: Datacenter | None = None
    grid: GridProfile | None = None

    @property
    def total_accelerators(self) -> int:
        return self.count * self.node.accelerators_per_node

    @property
    def accelerator(self) -> HardwareNode:
        return self.node.accelerator

    @property
    def effective_grid(self) -> GridProfile | None:
        if self.datacenter is not None:
            return self.datacenter.grid
        return self.grid

    @property
    def effective_pue(self) -> float | None:
        if self.datacenter is not None:
            return self.datacenter.effective_pue
        return self.grid.pue if self.grid is not None else None

    def __repr__(self) -> str:
        return f"Fleet({self.name!r}, {self.total_accelerators} x {self.accelerator.name})"
