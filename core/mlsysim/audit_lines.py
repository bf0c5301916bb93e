"""The audit's lines for the walls solved outside ``audit.py``: one per wall, registered by name.

Each wall's solver module has ``audit_row(ctx) -> dict | None`` (None when the configuration
gives it nothing to check: its knob is absent, or the model is of another kind). This module
registers each as a line of ``mlsysim.audit`` and declares the knobs those lines read, so
``mlsysim.audit(model, system, "serving", arrival_rate="900 1/s", sla="50 ms")`` adds the Tail
latency line and a misspelt knob is still an error.

The solver modules are imported when an audit first asks for their line, not at ``import
mlsysim``: the thirteen modules cost start-up time (in the browser too) that most scripts never
use. That deferral is the reason for the import inside ``_line``.
"""

from __future__ import annotations

import importlib

from .audit import KNOBS, AuditRow, register_line
from .walls import Wall

# wall -> the solver module (under mlsysim.solvers) whose audit_row gives its line
MODULES: dict[Wall, str] = {
    Wall.SOFTWARE: "efficiency",
    Wall.BATCHING: "batching",
    Wall.STREAMING: "streaming",
    Wall.TAIL_LATENCY: "tail_latency",
    Wall.INGESTION: "data",
    Wall.TRANSFORMATION: "transformation",
    Wall.LOCALITY: "topology",
    Wall.REASONING: "reasoning",
    Wall.FIDELITY: "compression",
    Wall.MULTI_TENANT: "orchestration",
    Wall.SAFETY: "responsible",
    Wall.SENSITIVITY: "sensitivity",
    Wall.SYNTHESIS: "synthesis",
}

# the knobs those lines read (each line applies only when its own knobs are given)
WALL_KNOBS = (
    "arrival_rate", "servers", "service_time", "sla",                       # tail latency
    "prompt_tokens", "block_size", "max_seq_len",                           # batching
    "preprocessing", "storage", "cpu_cores", "host",                        # ingestion, transformation
    "stream_link", "layers",                                                # streaming
    "message_size",                                                         # locality
    "job_arrival_rate", "job_duration", "gpus_per_job",                     # multi-tenant
    "method", "bits", "sparsity", "published",                              # fidelity
    "kernels_per_step", "fused_kernels", "launch",                          # software
    "noise_multiplier", "pgd_steps", "dp", "dp_implementation", "epsilon_budget",
    "sample_rate", "dataset_size", "steps", "epochs", "delta",              # safety
    "target_latency", "target_throughput",                                  # synthesis
    "reasoning_tokens", "answer_tokens", "samples", "price_per_hour", "latency_sla",  # reasoning
    "sensitivity",                                                          # sensitivity
)


# Lines whose solver models one accelerator and that apply without a knob: shown only when the
# configuration is one accelerator (a tensor-parallel group's memory is not one device's).
ONE_ACCELERATOR = frozenset({Wall.BATCHING})


def _line(wall: Wall, module: str):
    def line(ctx):
        if wall in ONE_ACCELERATOR and ctx.count != 1:
            return None
        row = importlib.import_module(f"mlsysim.solvers.{module}").audit_row(ctx)
        return None if row is None else AuditRow(**row)

    line.__name__ = f"{module}_line"
    return line


for _wall, _module in MODULES.items():
    register_line(_wall)(_line(_wall, _module))

for _kind in KNOBS:
    KNOBS[_kind] = tuple(dict.fromkeys(KNOBS[_kind] + WALL_KNOBS))
