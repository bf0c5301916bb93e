"""mlsysim: analytical models of machine-learning systems, with units.

    >>> from mlsysim import Engine, Hardware, Models
    >>> Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, batch_size=1, precision="fp16").bottleneck
    'Memory Bound'

Layers: workloads (demand), hardware (supply), infrastructure (grid,
datacenter), systems (node, fleet, fabric), physics (the formula library),
solvers, results. The registry's data files are read on first use.
"""

from __future__ import annotations

import importlib as _importlib

from . import formulas, physics, walls  # noqa: F401
from .core.errors import InputError, MlsysimError, UnitError, UnknownEntryError
from .core.loader import RegistryDataError, check_registry_folder, registry_problems, use_registry
from .core.types import Source
from .core.units import Q_, ureg
from .hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from .infrastructure.types import Datacenter, GridProfile
from .registries import Fleets, Grids, Hardware, Models
from .solvers import LAZY as _solvers_lazy
from .solvers import (
    DistributedModel, EconomicsModel, Engine, ParallelismOptimizer, PerformanceProfile, ReliabilityModel, ScalingModel,
    Scenario, Scenarios, ServingModel, ServingResult, SingleNodeModel, SustainabilityModel, SystemEvaluation, SystemLedger,
)
from .sweep import SweepResult, sweep
from .audit import Audit, AuditRow, audit, register_line
from . import audit_lines  # noqa: F401,E402  (registers the other walls' audit lines)
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
    "RegistryDataError", "check_registry_folder", "registry_problems", "use_registry",
    "Accelerator", "Audit", "AuditRow", "Server", "Wall", "audit", "register_line", "walls",
]


# The later walls' solvers and catalogues, loaded on first use (see mlsysim.solvers.LAZY).
_LAZY = {name: "mlsysim.solvers" for name in _solvers_lazy} | {
    "DiffusionWorkload": "mlsysim.workloads.diffusion", "DiffusionModels": "mlsysim.workloads.diffusion",
    "Storage": "mlsysim.pipeline_registry", "Preprocessing": "mlsysim.pipeline_registry",
    "CpuHosts": "mlsysim.pipeline_registry", "Links": "mlsysim.pipeline_registry",
    "Networks": "mlsysim.pipeline_registry",
    "Persona": "mlsysim.personas", "Personas": "mlsysim.personas", "CloudTitan": "mlsysim.personas",
    "EdgeGuardian": "mlsysim.personas", "MobileNomad": "mlsysim.personas", "TinyPioneer": "mlsysim.personas",
}
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsysim' has no attribute {name!r}")
