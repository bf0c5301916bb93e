"""Timing of the walls' solvers added on this branch: one representative solve each.

``cases()`` returns (name, callable) pairs; ``python3 benchmarks/bench_walls_b.py`` prints the
median of many runs in microseconds (target: < 100 us per solve).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from mlsysim import Hardware, Models  # noqa: E402
from mlsysim.solvers.compression import CompressionModel  # noqa: E402
from mlsysim.solvers.diffusion import DiffusionModel  # noqa: E402
from mlsysim.solvers.efficiency import EfficiencyModel  # noqa: E402
from mlsysim.solvers.reasoning import InferenceScalingModel  # noqa: E402
from mlsysim.physics import kernels  # noqa: E402
from mlsysim.solvers.responsible import ResponsibleEngineeringModel  # noqa: E402
from mlsysim.solvers.sensitivity import SensitivitySolver, serving_problem, single_node_problem  # noqa: E402
from mlsysim.solvers.synthesis import SynthesisSolver  # noqa: E402


ROOFLINE_KNOBS = {"peak_flops": 989.4e12, "bandwidth": 3.35e12, "efficiency": 0.5, "batch_size": 32.0}


def _roofline(k):
    """ResNet-50's forward pass as a float function of the knobs (the protocol SensitivitySolver takes)."""
    t = kernels.roofline_time(8.18e9 * k["batch_size"], 51.1e6, k["peak_flops"] * k["efficiency"], k["bandwidth"]) + 10e-6
    return {"latency": t, "throughput": k["batch_size"] / t}


def cases():
    h100, resnet = Hardware.get("h100"), Models.get("resnet50")
    safety = ResponsibleEngineeringModel()
    llama = Models.get("llama2_7b")
    llama3 = Models.get("llama3_8b")
    llama70 = Models.get("llama3_70b")
    five = [Hardware.get(k) for k in ("h100", "h200", "b200", "mi300x", "a100")]
    out = [
        ("ResponsibleEngineeringModel (MNIST-style DP-SGD, accountant)",
         lambda: safety.solve(resnet, h100, batch_size=256, noise_multiplier=1.12, dataset_size=60000, epochs=60)),
        ("CompressionModel (GPTQ 4-bit Llama-2-7B on H100)",
         lambda: CompressionModel().solve(llama, h100, method="gptq", bits=4)),
        ("DiffusionModel (SDXL, 50 guided steps, H100)",
         lambda: DiffusionModel().solve("sdxl", h100)),
        ("InferenceScalingModel (Llama-3-8B, best-of-8, 2k reasoning tokens, H100)",
         lambda: InferenceScalingModel().solve(llama3, h100, reasoning_tokens=2000, samples=8)),
        ("EfficiencyModel (4096^3 GEMM on H100, eager launch)",
         lambda: EfficiencyModel().solve(h100, m=4096, n=4096, k=4096)),
        ("SynthesisSolver (Llama-3-70B in 2 s, 5 cloud parts)",
         lambda: SynthesisSolver().solve(llama70, target_latency="2 s", seq_len=2048, hardware=five)),
        ("SynthesisSolver (same, whole catalogue of %d parts)" % len(list(Hardware)),
         lambda: SynthesisSolver().solve(llama70, target_latency="2 s", seq_len=2048)),
        ("SensitivitySolver (float roofline function, 4 knobs)",
         lambda: SensitivitySolver().solve(function=_roofline, knobs=dict(ROOFLINE_KNOBS))),
        ("SensitivitySolver (ServingModel adapter, 6 knobs, on the float path)",
         lambda: SensitivitySolver().solve(serving_problem(llama3, h100))),
        ("SensitivitySolver (SingleNodeModel adapter, 5 knobs, on the float path)",
         lambda: SensitivitySolver().solve(single_node_problem(resnet, h100))),
    ]
    return out


def median_us(fn, runs: int = 300) -> float:
    fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


if __name__ == "__main__":
    for name, fn in cases():
        us = median_us(fn)
        print(f"{name:70s} {us:8.1f} us  {'ok' if us < 100 else 'SLOW'}")
