"""Solvers: small functions of typed inputs that return typed results."""

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
