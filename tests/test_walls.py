"""The wall table as data: one vocabulary for ``bound`` across every solver, and the gap in code."""

import ast
import pathlib

import pytest

import mlsysim
from mlsysim import Fleets, Wall, walls
from mlsysim.solvers import (
    DistributedModel, EconomicsModel, ParallelismOptimizer, ReliabilityModel, ScalingModel, ServingModel, SingleNodeModel,
    SustainabilityModel, SystemLedger,
)


def test_the_walls_without_a_solver_are_listed():
    # the taxonomy's 22 walls; every one now names its solver (the gap would be listed here)
    assert walls.missing() == []
    assert {r.number: r.solver for r in walls.WALLS if r.number in (3, 5, 7, 10, 22)} == {
        3: "EfficiencyModel", 5: "ContinuousBatchingModel", 7: "TailLatencyModel", 10: "TopologyModel", 22: "SynthesisSolver"}
    assert len(walls.WALLS) == 22 and [r.number for r in walls.WALLS] == list(range(1, 23))


def test_every_named_solver_exists():
    for row in walls.WALLS:
        if row.solver is not None:
            assert hasattr(mlsysim.solvers, row.solver), row.solver


def test_phrases_are_derived_from_the_wall():
    assert Wall.MEMORY.phrase == "Memory Bound" and Wall.COMPUTE.phrase == "Compute Bound"
    assert Wall.CAPACITY.phrase == "Does Not Fit" and Wall.MEMORY == "memory"


def _results():
    fleet = Fleets.get("research256")
    yield SingleNodeModel().solve("resnet50", "h100")
    yield SingleNodeModel().solve("llama3_70b", "h100")  # does not fit
    yield ServingModel().solve("llama3_8b", "h100")
    yield DistributedModel().solve("llama3_8b", fleet, 256, tp_size=8)
    yield ParallelismOptimizer().solve("llama3_8b", fleet, 256)
    yield EconomicsModel().solve(fleet, "30 day")
    yield SustainabilityModel().solve(fleet, "30 day")
    yield ReliabilityModel().solve(fleet, "30 day", model="llama3_8b")
    yield ScalingModel().solve("1e23 flop")
    yield SystemLedger.serve("llama3_8b", "h100", grid="quebec")


@pytest.mark.parametrize("result", list(_results()), ids=lambda r: type(r).__name__)
def test_every_result_has_one_wall_as_bound(result):
    assert isinstance(result.bound, Wall)
    if getattr(result, "feasible", True) is False:
        assert result.bound is Wall.CAPACITY


def test_unsupported_precision_is_capacity_everywhere():
    # the Edge TPU-like entries list int8 only; fp32 has no arithmetic there
    hw = next(h for h in mlsysim.Hardware.list() if h.compute.precision_flops and "fp32" not in h.compute.precision_flops
              and not {"fp16", "bf16", "tf32"} & set(h.compute.precision_flops))
    r = SingleNodeModel().solve("resnet50", hw, precision="fp32")
    assert r.bound is Wall.CAPACITY and not r.feasible and r.bottleneck == "Unsupported Precision"


def test_no_import_cycle_in_the_engine():
    """Module-level imports of core/mlsysim form a DAG (edges to submodules, as Python resolves them)."""
    root = pathlib.Path(mlsysim.__file__).parent
    graph = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = name if rel.name == "__init__" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    edges.add(sub if (root.parent / pathlib.Path(*sub.split("."))).with_suffix(".py").exists()
                              or (root.parent / pathlib.Path(*sub.split(".")) / "__init__.py").exists() else target)
        graph[name] = edges
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [n, m]))
            if m not in state:
                visit(m, stack + [n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])
