"""The 22 walls of the MLSys·im taxonomy, as data.

A *wall* is one physical or economic limit a machine-learning system runs into:
compute, memory bandwidth, the KV cache, the network, failures, money, carbon ...
Every solver result names the wall that binds it in ``result.bound`` (one
``Wall``), so "which wall?" has one vocabulary across the engine; the human
phrase ("Memory Bound") is derived from the wall, never stored beside it.

``WALLS`` is the table: for each wall its number, name, the question it answers,
the equation it rests on with the equation's source, the solver that resolves
it (``None`` while the engine has none) and the textbook chapters that use it
("I.11" is Volume I, chapter 11). ``missing()`` lists the walls without a
solver, so the gap is visible in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .core.errors import InputError


class Wall(str, Enum):
    """One wall of the taxonomy; the value is its short name, as used in ``bound``."""

    COMPUTE = "compute"
    MEMORY = "memory"
    SOFTWARE = "software"
    SERVING = "serving"
    BATCHING = "batching"
    STREAMING = "streaming"
    TAIL_LATENCY = "tail_latency"
    INGESTION = "ingestion"
    TRANSFORMATION = "transformation"
    LOCALITY = "locality"
    COMPLEXITY = "complexity"
    REASONING = "reasoning"
    FIDELITY = "fidelity"
    COMMUNICATION = "communication"
    FRAGILITY = "fragility"
    MULTI_TENANT = "multi_tenant"
    CAPITAL = "capital"
    SUSTAINABILITY = "sustainability"
    CHECKPOINT = "checkpoint"
    SAFETY = "safety"
    SENSITIVITY = "sensitivity"
    SYNTHESIS = "synthesis"
    # Not a taxonomy wall: a configuration that does not fit in memory, or that
    # the hardware cannot run (no arithmetic in the precision). Results that are
    # infeasible report it, so "does not fit" is never mistaken for a speed limit.
    CAPACITY = "capacity"

    def __str__(self) -> str:  # "memory", so f-strings and JSON read naturally
        return self.value

    @property
    def info(self) -> "WallInfo":
        """This wall's row of the table (``CAPACITY`` has a row of its own)."""
        return _BY_WALL[self]

    @property
    def number(self) -> int:
        """1-22 in the taxonomy; 0 for ``CAPACITY``."""
        return self.info.number

    @property
    def title(self) -> str:
        """The wall's name as the taxonomy writes it: 'Tail latency'."""
        return self.info.name

    @property
    def phrase(self) -> str:
        """The human phrase a result shows: 'Memory Bound', 'Does Not Fit'."""
        if self is Wall.CAPACITY:
            return "Does Not Fit"
        return f"{self.info.name.title()} Bound"


@dataclass(frozen=True, slots=True)
class WallInfo:
    """One row of the wall table."""

    number: int
    wall: Wall
    name: str
    question: str
    equation: str
    source: str
    solver: str | None  # dotted name under mlsysim.solvers, or None while unresolved
    chapters: tuple[str, ...]
    note: str = ""


WALLS: tuple[WallInfo, ...] = (
    WallInfo(1, Wall.COMPUTE, "Compute", "Is the accelerator's arithmetic the limit?",
             "t_compute = ops / (peak x efficiency)", "Williams, Waterman & Patterson 2009, 'Roofline'",
             "SingleNodeModel", ("I.6", "I.11")),
    WallInfo(2, Wall.MEMORY, "Memory", "Is moving bytes to and from memory the limit?",
             "t_memory = bytes / (bandwidth x efficiency)", "Williams, Waterman & Patterson 2009, 'Roofline'",
             "SingleNodeModel", ("I.5", "I.8", "I.11")),
    WallInfo(3, Wall.SOFTWARE, "Software", "How much of peak does the software stack actually reach?",
             "efficiency(op size, kind) and kernels x launch cost", "Calculon (Isaev et al. 2023) efficiency tables",
             "EfficiencyModel", ("I.7",)),
    WallInfo(4, Wall.SERVING, "Serving", "Do the weights and the KV cache fit, and how fast is each token?",
             "KV = 2 L h_kv d_head s b bytes; ITL = (W + KV) / BW", "Pope et al. 2022, 'Efficiently Scaling Transformer Inference'",
             "ServingModel", ("I.13", "II.10")),
    WallInfo(5, Wall.BATCHING, "Batching", "How many sequences can share a step, and what does it cost each?",
             "paged KV blocks; iteration-level scheduling", "Yu et al. 2022 (Orca); Kwon et al. 2023 (vLLM)",
             "ContinuousBatchingModel", ("I.13", "II.10")),
    WallInfo(6, Wall.STREAMING, "Streaming", "Can weights streamed from outer memory keep the compute busy?",
             "t_layer = max(compute, weight bytes / link bandwidth)", "Rajbhandari et al. 2021 (ZeRO-Infinity)",
             "WeightStreamingModel", ("II.4", "II.10")),
    WallInfo(7, Wall.TAIL_LATENCY, "Tail latency", "How does waiting in a queue grow as the load approaches capacity?",
             "Erlang C: P(wait) for M/M/c", "Harchol-Balter 2013; Dean & Barroso 2013, 'The Tail at Scale'",
             "TailLatencyModel", ("I.13", "II.10")),
    WallInfo(8, Wall.INGESTION, "Ingestion", "Can storage and network feed the accelerators fast enough?",
             "supply = min(storage, network, CPU) samples/s vs demand", "Mohan et al. 2021, 'Analyzing and Mitigating Data Stalls'",
             "DataModel", ("I.4", "II.4")),
    WallInfo(9, Wall.TRANSFORMATION, "Transformation", "What does preprocessing cost in CPU, power and machines?",
             "cores = demand x CPU seconds per sample", "Zhao et al. 2022 (Meta DSI pipeline)",
             "TransformationModel", ("I.4",)),
    WallInfo(10, Wall.LOCALITY, "Locality", "What does the network's shape do to collectives?",
             "bisection bandwidth, hops, oversubscription per tier", "Leiserson 1985; Al-Fares et al. 2008; Kim et al. 2008",
             "TopologyModel", ("II.3",)),
    WallInfo(11, Wall.COMPLEXITY, "Complexity", "How big a model and how many tokens for a compute budget?",
             "C = 6 N D; N_opt = sqrt(C / (6 r))", "Kaplan et al. 2020; Hoffmann et al. 2022 (Chinchilla)",
             "ScalingModel", ("I.1", "I.3", "I.9")),
    WallInfo(12, Wall.REASONING, "Reasoning", "What does thinking longer at inference time cost per query?",
             "cost = (prompt + reasoning + output tokens) x samples", "Snell et al. 2024; Wei et al. 2022",
             "InferenceScalingModel", ("II.10",)),
    WallInfo(13, Wall.FIDELITY, "Fidelity", "What do fewer bits and fewer weights buy, and what do they cost in accuracy?",
             "size = params x bits / 8; published accuracy deltas", "Frantar et al. 2022 (GPTQ); Dettmers et al. 2022",
             "CompressionModel", ("I.10",)),
    WallInfo(14, Wall.COMMUNICATION, "Communication", "How long do the collectives of a parallel step take?",
             "ring all-reduce 2 (N-1)/N M / BW + 2 (N-1) alpha", "Patarasuk & Yuan 2009; Thakur et al. 2005",
             "DistributedModel", ("II.1", "II.5", "II.6")),
    WallInfo(15, Wall.FRAGILITY, "Fragility", "How often does a large fleet fail during a job?",
             "MTBF_fleet = MTBF_node / N", "Dubey et al. 2024 (Llama 3, 419 interruptions in 54 days)",
             "ReliabilityModel", ("II.1", "II.7", "II.12")),
    WallInfo(16, Wall.MULTI_TENANT, "Multi-tenant", "How long does a job wait in a shared, busy cluster?",
             "queueing delay vs utilisation; allocation fragmentation", "Jeon et al. 2019 (Philly); Weng et al. 2022 (PAI)",
             "OrchestrationModel", ("II.8",)),
    WallInfo(17, Wall.CAPITAL, "Capital", "Own or rent, and what does an accelerator-hour cost?",
             "TCO = capex amortised + energy x price", "Barroso, Hölzle & Ranganathan 2018, 'The Datacenter as a Computer'",
             "EconomicsModel", ("I.3", "II.2")),
    WallInfo(18, Wall.SUSTAINABILITY, "Sustainability", "How much energy, carbon and water does the work take?",
             "CO2e = IT energy x PUE x grid intensity", "Patterson et al. 2021, 'Carbon Emissions and Large Neural Network Training'",
             "SustainabilityModel", ("II.15",)),
    WallInfo(19, Wall.CHECKPOINT, "Checkpoint", "How often to checkpoint, and how much time does it waste?",
             "tau_opt = sqrt(2 delta M)", "Young 1974; Daly 2006",
             "ReliabilityModel", ("II.4", "II.7")),
    WallInfo(20, Wall.SAFETY, "Safety", "What do privacy and robustness cost in compute, memory and epsilon?",
             "DP-SGD per-example gradients; RDP accountant; (k+1)x for k PGD steps", "Abadi et al. 2016; Mironov 2017; Madry et al. 2018",
             "ResponsibleEngineeringModel", ("I.15", "II.13", "II.14")),
    WallInfo(21, Wall.SENSITIVITY, "Sensitivity", "Which input moves the answer most: which upgrade buys the most?",
             "elasticity = d ln(output) / d ln(input)", "finite differences on the engine's float functions",
             "SensitivitySolver", ("II.9",)),
    WallInfo(22, Wall.SYNTHESIS, "Synthesis", "From a target, what hardware meets it?",
             "the iron law solved for bandwidth, FLOP/s, memory and count", "Williams et al. 2009, inverted",
             "SynthesisSolver", ("I.16", "II.17")),
)

CAPACITY_INFO = WallInfo(0, Wall.CAPACITY, "Capacity", "Does the configuration fit (memory, precision support)?",
                         "footprint <= capacity", "-", None, ())

_BY_WALL: dict[Wall, WallInfo] = {row.wall: row for row in WALLS} | {Wall.CAPACITY: CAPACITY_INFO}
_BY_NUMBER: dict[int, WallInfo] = {row.number: row for row in WALLS}


def get(key: int | str | Wall) -> WallInfo:
    """A wall's row by number (1-22), short name ('tail_latency'), title ('Tail latency') or ``Wall``."""
    if isinstance(key, Wall):
        return key.info
    if isinstance(key, int) and not isinstance(key, bool):
        if key in _BY_NUMBER:
            return _BY_NUMBER[key]
    elif isinstance(key, str):
        norm = key.strip().lower().replace(" ", "_").replace("-", "_")
        for row in WALLS:
            if norm in (row.wall.value, row.name.lower().replace(" ", "_")):
                return row
    raise InputError("wall", key, "a wall number 1-22 or a name such as 'memory' or 'tail latency'")


def missing() -> list[Wall]:
    """The walls that no solver resolves yet, in taxonomy order."""
    return [row.wall for row in WALLS if row.solver is None]
