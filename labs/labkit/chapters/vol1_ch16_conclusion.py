"""The architect's audit (Volume I, chapter 16): one deployment, every wall, the one that binds.

Every number is the engine's: ``mlsysim.audit`` composes every wall whose solver applies to the
configuration (capacity, compute, memory, the KV cache, communication, failures, money, carbon,
checkpoints) and names the binding one; ``AuditRow.share`` is how much of its limit each wall
uses. The scorecard chart's template is written here (``mlsysim.viz`` has no audit chart) and is
filled by ``viz.fill`` like viz's own.
"""

from __future__ import annotations

from mlsysim import Q_, Wall, audit, viz
from mlsysim.registries import Grids, Hardware, Models
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

MONTH = "30 day"  # the ledgers (energy, money, failures, carbon) cover one month of running
MAX_BATCH = 1024
CONTEXTS = [512, 1024, 2048, 4096, 8192, 16384, 32768]
COUNTS = [1, 2, 4, 8]

WORKLOADS = {"Serving (generating tokens)": "serving", "Inference (one batch of prompts)": "inference",
             "Training (one accelerator)": "training"}
MODELS = ["llama3_8b", "llama2_7b", "mixtral_8x7b", "llama3_70b"]
ACCELERATORS = ["h100", "h200", "a100_80gb", "a100_40gb", "l4", "mi300x"]
PRECISIONS = {"16-bit (fp16)": "fp16", "8-bit (fp8)": "fp8", "8-bit integer (int8)": "int8"}

# Walls whose figure is a load against a limit (a share above 100 % binds or sets the step); the
# others (Fragility, Checkpoint) compare times between events and are read from the table.
LOAD_WALLS = (Wall.CAPACITY, Wall.COMPUTE, Wall.MEMORY, Wall.SERVING, Wall.COMMUNICATION, Wall.TAIL_LATENCY,
              Wall.CAPITAL, Wall.SUSTAINABILITY)
SPEED_WALLS = (Wall.COMPUTE, Wall.MEMORY, Wall.COMMUNICATION)


def model_options() -> dict[str, str]:
    return {Models.get(k).name: k for k in MODELS}


def accelerator_options() -> dict[str, str]:
    return {Hardware.get(k).name: k for k in ACCELERATORS}


def grid_options() -> dict[str, str]:
    return {Grids.get(k).name: k for k in Grids.keys()}


def solve(model: str, accelerator: str, workload: str, batch: int, precision: str, context: int,
          count: int, grid: str, budget_usd: float = 0.0, carbon_budget_t: float = 0.0):
    """The engine's audit of one month of this deployment. Training runs on one accelerator here
    (a fleet's layouts are Volume II's), so ``count`` applies to serving and inference only.
    A budget of 0 means none."""
    knobs = {}
    if budget_usd > 0:
        knobs["budget"] = Q_(budget_usd, "USD")
    if carbon_budget_t > 0:
        knobs["carbon_budget"] = Q_(carbon_budget_t, "tCO2e")
    return audit(model, accelerator, workload, batch_size=int(batch), precision=precision, seq_len=int(context),
                 count=1 if workload == "training" else int(count), grid=grid, duration=MONTH, **knobs)


def binding_title(a) -> str:
    return a.binding.title if a.binding is not None else "none"


def step_ms(a) -> float:
    """The time the speed walls compete for (decode step, batch latency or training step), in ms."""
    row = next((a.row(w) for w in SPEED_WALLS if a.row(w) is not None and a.row(w).limit is not None), None)
    return float("nan") if row is None else row.limit.to("ms").magnitude


def carbon_t(a) -> float:
    return a.row(Wall.SUSTAINABILITY).figure.to("tCO2e").magnitude


def cost_usd(a) -> float:
    return a.row(Wall.CAPITAL).figure.to("USD").magnitude


def memory_gb(a) -> float:
    return a.row(Wall.CAPACITY).figure.to("GB").magnitude


# What a student would try next for each binding wall: the change, as keyword overrides of solve().
MOVES = {
    Wall.CAPACITY: [("twice the accelerators", {"count": "double"}), ("8-bit weights", {"precision": "fp8"})],
    Wall.SERVING: [("half the batch", {"batch": "half"}), ("half the context", {"context": "half"})],
    Wall.MEMORY: [("8-bit weights", {"precision": "fp8"}), ("twice the accelerators", {"count": "double"})],
    Wall.COMPUTE: [("8-bit arithmetic", {"precision": "fp8"}), ("twice the accelerators", {"count": "double"})],
    Wall.COMMUNICATION: [("half the accelerators", {"count": "half"}), ("twice the batch", {"batch": "double"})],
    Wall.CAPITAL: [("half the accelerators", {"count": "half"}), ("8-bit weights", {"precision": "fp8"})],
    Wall.SUSTAINABILITY: [("the Quebec grid", {"grid": "quebec"}), ("half the accelerators", {"count": "half"})],
}


def _moved(settings: dict, change: dict) -> dict | None:
    """``settings`` with one change applied (None when the change leaves the controls' range)."""
    out = dict(settings)
    for key, how in change.items():
        if how in ("double", "half"):
            value = out[key] * 2 if how == "double" else out[key] // 2
            allowed = {"count": COUNTS, "context": CONTEXTS}.get(key)
            if (allowed is not None and value not in allowed) or not 1 <= value <= MAX_BATCH:
                return None
            out[key] = value
        elif out[key] == how:
            return None
        else:
            out[key] = how
    if out.get("workload") == "training" and "count" in change:
        return None  # training runs on one accelerator in this lab
    return out


def what_moves_it(a, settings: dict) -> list[dict]:
    """For the binding wall, the engine's audit after each change a student would try first."""
    out = []
    for label, change in MOVES.get(a.binding, []):
        moved = _moved(settings, change)
        if moved is None:
            continue
        b = solve(**moved)
        out.append({"change": label, "binding": binding_title(b), "feasible": b.feasible, "step_ms": step_ms(b),
                    "cost_usd": cost_usd(b), "carbon_t": carbon_t(b)})
    return out


def scorecard(a) -> list[dict]:
    """One bar per load wall: its share of its limit (%), and whether it binds."""
    rows = []
    for r in a.rows:
        if r.wall in LOAD_WALLS and r.share is not None:
            rows.append({"wall": f"{r.wall.number}. {r.wall.title}", "share": 100.0 * r.share,
                         "state": "binds" if r.binds else "headroom"})
    return rows


# How the table shows each kind of figure (the engine's Quantities, converted for reading).
_SHOWN = [(Q_(1, "byte"), "GB"), (Q_(1, "s"), "ms"), (Q_(1, "tCO2e"), "tCO2e"), (Q_(1, "USD"), "USD")]


def _cell(q) -> str:
    if q is None:
        return "–"
    for example, unit in _SHOWN:
        if q.dimensionality == example.dimensionality:
            return f"{q.to(unit).magnitude:,.4g} {unit}"
    return f"{q:.4g~P}"


def table_md(a) -> str:
    """The audit's rows as a Markdown table (wall, figure, limit, binds), then each wall's note."""
    head = "| wall | figure | limit | |\n|---|---|---|---|\n"
    rows = "\n".join(f"| {r.wall.number}. {r.wall.title} | {_cell(r.figure)} | {_cell(r.limit)} | "
                     f"{'**binds**' if r.binds else ''} |" for r in a.rows)
    notes = "\n".join(f"- **{r.wall.title}**: {r.note}" for r in a.rows)
    return head + rows + "\n\n" + notes


TEMPLATE = {
    **lab_frame(260),
    "layer": [
        {"data": {"name": "walls"}, "mark": {"type": "bar"},
         "encoding": {"y": {"field": "wall", "type": "nominal", "title": None, "sort": None},
                      "x": {"field": "share", "type": "quantitative", "title": "Share of its limit (%)",
                            "scale": {"domainMin": 0}, "axis": {"format": "d"}},
                      "color": {"field": "state", "type": "nominal", "title": None,
                                "scale": {"domain": ["headroom", "binds"],
                                          "range": [PALETTE["blue"], PALETTE["vermillion"]]}}}},
        {"data": {"values": [{"x": 100}]}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
         "encoding": {"x": {"field": "x", "type": "quantitative"}}},
    ],
}


def chart(a, title: str) -> viz.Chart:
    rows = scorecard(a)
    datasets = {"walls": rows}
    worst = max(rows, key=lambda r: r["share"]) if rows else None
    summary = (f"Each wall's share of its limit; the binding wall is {binding_title(a)}"
               + (f"; the largest share is {worst['wall']} at {fmt(worst['share'])} %." if worst else "."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title=title), datasets, summary)


# --- check yourself ---------------------------------------------------------------------------


def fewest_that_fit(model: str, accelerator: str, batch: int, context: int) -> int:
    """The fewest accelerators (1, 2, 4 or 8, one tensor-parallel group) that hold the served model
    and its KV cache in fp16 (0 if none)."""
    for n in COUNTS:
        if solve(model, accelerator, "serving", batch, "fp16", context, n, "us_average").feasible:
            return n
    return 0


def _fit_math(model, accelerator, batch, context) -> str:
    lines = []
    for n in COUNTS:
        a = solve(model, accelerator, "serving", batch, "fp16", context, n, "us_average")
        cap = a.row(Wall.CAPACITY)
        lines.append(f"- {n} × : needs {memory_gb(a):,.1f} GB of {cap.limit.to('GB').magnitude:,.0f} GB "
                     f"→ {'fits' if a.feasible else 'does not fit'}")
    return ("Weights (split over the group) + KV cache (2 × layers × KV heads × head size × context × batch × "
            "2 bytes) against the group's memory:\n\n" + "\n".join(lines)
            + f"\n\nThe fewest that fit: **{fewest_that_fit(model, accelerator, batch, context)}**.")


def _step_math(count, batch, context) -> str:
    a = solve("llama3_8b", "h100", "serving", batch, "fp16", context, count, "us_average")
    parts = ", ".join(f"{w.title.lower()} {a.row(w).figure.to('ms').magnitude:.4g} ms"
                      for w in SPEED_WALLS if a.row(w) is not None and a.row(w).figure is not None)
    return (f"The decode step = the slower of compute and memory (the roofline) + the tensor-parallel all-reduces "
            f"+ a fixed dispatch cost. Here: {parts} → **{step_ms(a):.4g} ms**; the binding wall: "
            f"**{binding_title(a)}**.")


def _carbon_math(grid, count) -> str:
    a = solve("llama3_8b", "h100", "serving", 32, "fp16", 4096, count, grid)
    return (f"A month of {count} H100s on {Grids.get(grid).name}: {a.row(Wall.SUSTAINABILITY).note}. "
            f"Carbon = facility energy × grid intensity + the month's share of the embodied carbon = "
            f"**{carbon_t(a):.4g} t CO2e**.")


QUESTIONS = [
    Question(
        id="fewest_fit",
        prompt=("You serve **{model_name}** in fp16 on **{accelerator_name}**s at batch **{batch}** with a "
                "**{context:,}-token** context. What is the fewest accelerators (1, 2, 4 or 8 in one "
                "tensor-parallel group) that holds it?"),
        variants={"model": ["llama3_70b", "mixtral_8x7b", "llama2_7b"], "accelerator": ["h100", "a100_40gb", "mi300x"],
                  "batch": [1, 8, 32], "context": [2048, 4096, 8192]},
        answer=fewest_that_fit, tolerance=0.0, unit="accelerators",
        describe=lambda model, accelerator, **_: {"model_name": Models.get(model).name,
                                                  "accelerator_name": Hardware.get(accelerator).name},
        hint="Set the controls to it and step the accelerator count until the Capacity wall stops binding.",
        math=_fit_math,
    ),
    Question(
        id="decode_step",
        prompt=("Llama 3 8B served in fp16 on **{count}** H100(s) at batch **{batch}**, context **{context:,}** "
                "tokens: how long is one decode step (the time between output tokens), in **ms**?"),
        variants={"count": [1, 2, 4, 8], "batch": [1, 16, 64], "context": [2048, 8192]},
        answer=lambda count, batch, context: step_ms(solve("llama3_8b", "h100", "serving", batch, "fp16",
                                                           context, count, "us_average")),
        tolerance=0.03, unit="ms",
        hint="Read it from the speed walls' limit: compute, memory and communication all compete for it.",
        math=_step_math,
    ),
    Question(
        id="month_carbon",
        prompt=("A month of Llama 3 8B served on **{count}** H100(s) (batch 32, 4,096 tokens) on the grid of "
                "**{grid_name}**: how many **tonnes of CO2e**?"),
        variants={"grid": ["quebec", "france", "us_average", "germany", "india", "poland"], "count": [1, 2, 4, 8]},
        answer=lambda grid, count: carbon_t(solve("llama3_8b", "h100", "serving", 32, "fp16", 4096, count, grid)),
        tolerance=0.03, unit="t CO2e",
        describe=lambda grid, **_: {"grid_name": Grids.get(grid).name},
        hint="The Sustainability line of the audit, for the grid you choose.",
        math=_carbon_math,
    ),
]

PREDICTIONS = [
    Prediction(
        id="first_wall",
        prompt=("Llama 3 70B, served in fp16 on **one** H100 (80 GB) at batch 1: which wall stops it first?"),
        options=["Compute", "Memory", "Capacity", "Communication"],
        truth=lambda: binding_title(solve("llama3_70b", "h100", "serving", 1, "fp16", 4096, 1, "us_average")),
    ),
]
