"""Timings of the walls' solvers (batching, streaming, tail latency, ingestion, transformation,
locality, multi-tenant): one representative solve each, median over many runs, in microseconds.

    PYTHONPATH=core python3 benchmarks/bench_walls_a.py

``cases()`` returns (name, callable) pairs so ``benchmarks/run.py`` can time them too.
Target: under 100 us per solve.
"""

from __future__ import annotations

import statistics
import sys
import time


def cases() -> list:
    from mlsysim import Hardware, Models
    from mlsysim.core.units import Q_
    from mlsysim.solvers.batching import ContinuousBatchingModel
    from mlsysim.solvers.data import DataModel
    from mlsysim.solvers.orchestration import OrchestrationModel
    from mlsysim.solvers.streaming import WeightStreamingModel
    from mlsysim.solvers.tail_latency import TailLatencyModel
    from mlsysim.solvers.topology import TopologyModel
    from mlsysim.solvers.transformation import TransformationModel

    out = []
    tail = TailLatencyModel()
    # text inputs, as typed in the README (a Quantity argument is checked as fast: its value is formatted
    # only for an error message)
    out.append(("TailLatencyModel.solve c=4, p99 SLA, fan-out 100",
                lambda: tail.solve("900 Hz", "3 ms", servers=4, sla="30 ms", fan_out=100)))
    batching = ContinuousBatchingModel()
    llama, h100 = Models.Language.Llama3_8B, Hardware.Cloud.H100
    out.append(("ContinuousBatchingModel.solve Llama-3-8B/H100, as many as fit",
                lambda: batching.solve(llama, h100, max_seq_len=2048)))
    topology = TopologyModel()
    bw, gb = Q_(50, "GB/s"), Q_(1, "GB")
    out.append(("TopologyModel.solve 3-D torus of 4096, all-reduce + all-to-all",
                lambda: topology.solve(topology="torus", endpoints=4096, bandwidth=bw, torus_dims=[16, 16, 16], message_size=gb)))
    data = DataModel()
    demand = Q_(5000, "1/s")
    out.append(("DataModel.solve NVMe + ImageNet decode on 16 cores",
                lambda: data.solve(demand, preprocessing="imagenet", cpu_cores=16)))
    transformation = TransformationModel()
    big, watts = Q_(40000, "1/s"), Q_(700, "W")
    out.append(("TransformationModel.solve ImageNet decode for 8 trainers",
                lambda: transformation.solve(big, preprocessing="imagenet", accelerators=8, trainer_power=watts)))
    streaming = WeightStreamingModel()
    llama70 = Models.Language.Llama3_70B
    out.append(("WeightStreamingModel.solve Llama-3-70B over PCIe Gen5 into an H100",
                lambda: streaming.solve(llama70, h100, link="pcie_gen5_x16", seq_len=2048)))
    orchestration = OrchestrationModel()
    jobs, hours = Q_(6, "1/hour"), Q_(4, "hour")
    out.append(("OrchestrationModel.solve 8-GPU jobs on 32 nodes",
                lambda: orchestration.solve(jobs, hours, gpus_per_job=8, nodes=32)))
    return out


def median_us(fn, repeats: int = 2000, rounds: int = 7) -> float:
    """Median over ``rounds`` of the mean time of ``repeats`` calls, in microseconds (after a warm-up)."""
    for _ in range(50):
        fn()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(repeats):
            fn()
        samples.append((time.perf_counter_ns() - t0) / repeats / 1e3)
    return statistics.median(samples)


def main(argv: list[str]) -> int:
    repeats = 200 if "--quick" in argv else 2000
    worst = 0.0
    for name, fn in cases():
        us = median_us(fn, repeats)
        worst = max(worst, us)
        print(f"{us:9.1f} us  {name}")
    print(f"slowest {worst:.1f} us (target < 100 us)")
    return 0 if worst < 100.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
