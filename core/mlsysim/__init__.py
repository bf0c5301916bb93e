"""mlsysim: analytical models of machine-learning systems, with units.

    >>> from mlsysim import Engine, Hardware, Models
    >>> Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, batch_size=1, precision="fp16").bottleneck
    'Memory Bound'

Layers: workloads (demand), hardware (supply), infrastructure (grid,
datacenter), systems (node, fleet, fabric), physics (the formula library),
solvers, results. The registry's data files are read on first use.
"""

from __future__ import annotations

from . import formulas, physics, walls  # noqa: F401
from .core.errors import InputError, MlsysimError, UnitError, UnknownEntryError
from .core.types import Source
from .core.units import Q_, ureg
from .hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from .infrastructure.types import Datacenter, GridProfile
from .registries import Fleets, Grids, Hardware, Models
from .solvers import (
    DistributedModel, EconomicsModel, Engine, ParallelismOptimizer, PerformanceProfile, ReliabilityModel, ScalingModel,
    Scenario, Scenarios, ServingModel, ServingResult, SingleNodeModel, SustainabilityModel, SystemEvaluation, SystemLedger,
)
from .sweep import SweepResult, sweep
from .audit import Audit, AuditRow, audit, register_line
from .systems.types import Fleet, NetworkFabric, Node
from .walls import Wall
from .workloads.precision import PRECISIONS
from .workloads.types import CNNWorkload, ComputationGraph, TransformerWorkload, Workload

# Clearer names for newcomers: a HardwareNode is one accelerator, a Node is a server of several.
Accelerator = HardwareNode
Server = Node

__version__ = "0.4.0.dev0"

__all__ = [
    "CNNWorkload", "ComputationGraph", "ComputeCore", "Datacenter", "Engine", "Fleet", "Fleets", "GridProfile",
    "Grids", "Hardware", "HardwareNode", "InputError", "MemoryHierarchy", "MlsysimError", "Models", "NetworkFabric",
    "Node", "PRECISIONS", "PerformanceProfile", "Q_", "ServingModel", "ServingResult", "SingleNodeModel", "Source",
    "SweepResult", "TransformerWorkload", "UnitError", "UnknownEntryError", "Workload", "formulas", "physics",
    "sweep", "ureg", "DistributedModel", "EconomicsModel", "ParallelismOptimizer", "ReliabilityModel", "ScalingModel",
    "Scenario", "Scenarios", "SustainabilityModel", "SystemEvaluation", "SystemLedger",
    "Accelerator", "Audit", "AuditRow", "Server", "Wall", "audit", "register_line", "walls",
]
