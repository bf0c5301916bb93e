"""Solvers: small functions of typed inputs that return typed results."""

import importlib

from .serving import ServingModel, ServingResult  # noqa: F401
from .single_node import Engine, PerformanceProfile, SingleNodeModel  # noqa: F401
from .distributed import DistributedModel, DistributedResult  # noqa: F401
from .parallelism import OptimizerResult, ParallelismOptimizer  # noqa: F401
from .sustainability import SustainabilityModel, SustainabilityResult  # noqa: F401
from .economics import EconomicsModel, EconomicsResult  # noqa: F401
from .reliability import ReliabilityModel, ReliabilityResult  # noqa: F401
from .scaling import ScalingModel, ScalingResult, TrainingRunResult  # noqa: F401
from .ledger import LedgerResult, SystemLedger  # noqa: F401
from .scenarios import Scenario, Scenarios, SystemEvaluation  # noqa: F401

__all__ = ["Engine", "PerformanceProfile", "ServingModel", "ServingResult", "SingleNodeModel"]
__all__ += [
    "DistributedModel", "DistributedResult", "EconomicsModel", "EconomicsResult", "LedgerResult", "OptimizerResult",
    "ParallelismOptimizer", "ReliabilityModel", "ReliabilityResult", "ScalingModel", "ScalingResult", "SustainabilityModel",
    "SustainabilityResult", "SystemLedger", "TrainingRunResult", "Scenario", "Scenarios", "SystemEvaluation",
]

# The solvers of the walls added later, imported on first use (``from mlsysim.solvers import
# TailLatencyModel`` works as usual) so that ``import mlsysim`` does not pay for thirteen modules
# and their registry catalogues that most scripts never touch.
LAZY = {
    "ContinuousBatchingModel": "batching", "WeightStreamingModel": "streaming", "TailLatencyModel": "tail_latency",
    "DataModel": "data", "TransformationModel": "transformation", "TopologyModel": "topology",
    "OrchestrationModel": "orchestration", "ResponsibleEngineeringModel": "responsible",
    "CompressionModel": "compression", "DiffusionModel": "diffusion", "InferenceScalingModel": "reasoning",
    "EfficiencyModel": "efficiency", "efficiency_for": "efficiency", "SynthesisSolver": "synthesis",
    "SensitivitySolver": "sensitivity", "single_node_problem": "sensitivity", "serving_problem": "sensitivity",
}
__all__ += list(LAZY)


def __getattr__(name: str):
    if name in LAZY:
        module = importlib.import_module(f"{__name__}.{LAZY[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
