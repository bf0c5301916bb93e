"""Fast (no browser): the roofline lab's update cell handles every registry entry, and the
notebook runs top to bottom under plain CPython, as `marimo edit` would run it."""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace as Control

import pytest

LABS = Path(__file__).resolve().parents[2] / "labs"
sys.path.insert(0, str(LABS))

alt = pytest.importorskip("altair")
import mlsysim  # noqa: E402
from mlsysim import Hardware, Models  # noqa: E402


def _lab():
    import ch11_roofline

    return ch11_roofline


def test_the_notebook_runs_top_to_bottom():
    _, defs = _lab().app.run()
    assert defs["crossover"] == next(
        r["batch_size"] for r in mlsysim.sweep(
            models=[Models.Language.Llama3_8B], hardware=[Hardware.Cloud.H100], batch_sizes=list(range(1, 4097)),
            precisions=["fp16"], efficiency=0.5, seq_len=1).rows() if r["bottleneck"] == "Compute Bound")
    # the comparison the chapter makes: decode speeds up by the bandwidth ratio, not the FLOP/s ratio
    assert defs["flops_ratio"] > 2.5
    assert abs(defs["itl_ratio"] - defs["bw_ratio"]) / defs["bw_ratio"] < 0.05
    spec = json.loads(defs["spec_json"])
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    assert defs["update_ms"] < 30


def test_every_accelerator_model_and_precision_gives_a_chart_or_a_reason():
    # marimo's cell objects (pinned marimo) let one cell run with chosen inputs
    cells = list(_lab().app._cell_manager.cells())
    template = next(c for c in cells if "roofline_template" in c.defs)
    update = next(c for c in cells if "spec_json" in c.defs)
    _, d = template.run(alt=alt)
    combos = 0
    for hw in Hardware.list():
        for m in Models.list():
            for p in ("fp32", "bf16", "fp16", "fp8", "int8"):
                for b in (1, 4096):
                    _, out = update.run(
                        Hardware=Hardware, Models=Models, accelerator=Control(value=hw.key), batch=Control(value=b),
                        efficiency=Control(value=0.5), json=json, math=math, mlsysim=mlsysim,
                        model=Control(value=m.key), precision=Control(value=p),
                        roofline_template=d["roofline_template"], time=time)
                    assert (out["spec_json"] is None) == (not out["supported"]), (hw.key, m.key, p, b)
                    combos += 1
    assert combos >= 2 * 5 * 2
