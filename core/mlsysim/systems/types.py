"""Systems: accelerators assembled into nodes, nodes into a fleet over a network fabric."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..core.errors import InputError
from ..core.types import Bandwidth, Model, Time
from ..core.units import make
from ..hardware.types import HardwareNode
from ..infrastructure.types import Datacenter, GridProfile


class Node(Model):
    """A server: N accelerators joined by a scale-up link (NVLink, ICI, Infinity Fabric)."""

    name: str = ""
    accelerator: HardwareNode
    accelerators_per_node: int = 8
    intra_node_bw: Bandwidth  # per accelerator, one direction
    intra_node_latency: Time = Field(default_factory=lambda: make(1e-6, "time"))

    @model_validator(mode="after")
    def _check(self):
        if self.accelerators_per_node < 1:
            raise InputError("accelerators_per_node", self.accelerators_per_node, "an integer >= 1")
        if self._si["intra_node_bw"] <= 0:
            raise InputError("intra_node_bw", f"{self.intra_node_bw:~P}", "a positive data rate")
        return self


class NetworkFabric(Model):
    """The scale-out network: per-accelerator injection bandwidth, latency (alpha), topology."""

    name: str = ""
    bandwidth: Bandwidth  # per accelerator (NIC) bandwidth, one direction
    latency: Time = Field(default_factory=lambda: make(5e-6, "time"))
    topology: Literal["fat-tree", "rail-optimized", "torus", "dragonfly", "ring"] = "fat-tree"
    oversubscription_ratio: float = 1.0  # 1.0 = full bisection bandwidth

    @model_validator(mode="after")
    def _check(self):
        if self._si["bandwidth"] <= 0:
            raise InputError("fabric.bandwidth", f"{self.bandwidth:~P}", "a positive data rate")
        if self.oversubscription_ratio < 1.0:
            raise InputError("oversubscription_ratio", self.oversubscription_ratio, "a ratio >= 1 (1 = non-blocking)")
        return self

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
    count: int  # number of nodes
    fabric: NetworkFabric
    datacenter: Datacenter | None = None
    grid: GridProfile | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.count < 1:
            raise InputError("count", self.count, "an integer >= 1 (nodes in the fleet)")
        return self

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
