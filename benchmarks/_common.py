"""Shared, standard-library-only pieces of the benchmark harness.

Imported both by ``run.py`` (our package, the project's interpreter) and by
``baseline_driver.py`` (mlsysim==0.3.0, run with the baseline virtualenv's
interpreter), so that both sides time the same inputs the same way.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

# --------------------------------------------------------------------------
# Inputs (identical on both sides)
# --------------------------------------------------------------------------

SINGLE_NODE = dict(
    model="Models.Vision.ResNet50",
    hardware="Hardware.Cloud.H100",
    kwargs=dict(batch_size=1, precision="fp16", efficiency=0.5),
)

SERVING = dict(
    model="Models.Language.Llama3_8B",
    hardware="Hardware.Cloud.H100",
    kwargs=dict(seq_len=2048, batch_size=32, precision="fp16", efficiency=0.5),
)

# The sweep grid: same models, hardware and precisions on both sides; the
# batch-size axis is longer for us (the baseline needs ~1 ms per
# configuration, so its grid is cut to keep the run short).  The figure
# compared is configurations per second, which does not depend on the grid
# size once the grid is large enough to amortise fixed costs.
SWEEP_MODELS = [
    "Models.Vision.ResNet50",
    "Models.Language.Llama3_8B",
]
SWEEP_HARDWARE = [
    "Hardware.Cloud.H100",
    "Hardware.Cloud.A100",
    "Hardware.Cloud.A100_40GB",
    "Hardware.Cloud.H200",
    "Hardware.Cloud.B200",
    "Hardware.Cloud.MI300X",
    "Hardware.Cloud.V100",
    "Hardware.Cloud.T4",
]
SWEEP_PRECISIONS = ["fp32", "fp16", "int8"]
SWEEP_EFFICIENCY = 0.5

OPTIMIZER = dict(
    model="Models.Language.Llama3_70B",
    accelerators=8192,
    kwargs=dict(batch_size=1024, precision="bf16", efficiency=0.5),
)

# What a fresh process runs for the import measurement: import the package
# and touch the registry.  ru_maxrss is read before anything else is imported
# for printing; on Linux it is in KiB.
IMPORT_SNIPPET = (
    "import time, resource\n"
    "t0 = time.perf_counter()\n"
    "import mlsysim\n"
    "mlsysim.Hardware.Cloud.H100\n"
    "t1 = time.perf_counter()\n"
    "rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('IMPORT', t1 - t0, rss_kib, getattr(mlsysim, '__version__', '?'))\n"
)


# --------------------------------------------------------------------------
# Timing and lookup functions
# --------------------------------------------------------------------------

def resolve(root: Any, dotted: str) -> Any:
    """``resolve(mlsysim, "Hardware.Cloud.H100")`` -> the registry entry."""
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def bench_call(fn: Callable[[], Any], *, repeat: int, warmup: int = 3,
               min_sample_ns: int = 2_000_000) -> Dict[str, Any]:
    """Time ``fn()`` timeit-style with ``time.perf_counter_ns``.

    After ``warmup`` calls, the number of calls per sample is doubled until a
    sample takes at least ``min_sample_ns``; then ``repeat`` samples are taken
    and the median per-call time is returned (with min and spread).
    """
    for _ in range(max(warmup, 0)):
        fn()
    number = 1
    clock = time.perf_counter_ns
    while True:
        t0 = clock()
        for _ in range(number):
            fn()
        dt = clock() - t0
        if dt >= min_sample_ns or number >= 1 << 20:
            break
        number *= 2
    samples: List[float] = []
    for _ in range(max(repeat, 1)):
        t0 = clock()
        for _ in range(number):
            fn()
        samples.append((clock() - t0) / number)
    return {
        "median_ns": statistics.median(samples),
        "min_ns": min(samples),
        "max_ns": max(samples),
        "samples": len(samples),
        "calls_per_sample": number,
    }


def bench_once(fn: Callable[[], Any], *, repeat: int, warmup: int = 1) -> Dict[str, Any]:
    """Median wall of ``repeat`` single calls (for calls of milliseconds or more)."""
    for _ in range(max(warmup, 0)):
        fn()
    clock = time.perf_counter_ns
    samples = []
    for _ in range(max(repeat, 1)):
        t0 = clock()
        fn()
        samples.append(clock() - t0)
    return {
        "median_ns": statistics.median(samples),
        "min_ns": min(samples),
        "max_ns": max(samples),
        "samples": len(samples),
        "calls_per_sample": 1,
    }


def clean_env(drop_pythonpath: bool) -> Dict[str, str]:
    env = dict(os.environ)
    if drop_pythonpath:
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
    env.pop("PYTHONSTARTUP", None)
    return env


def measure_import(python: str, *, runs: int, cwd: Optional[str] = None,
                   drop_pythonpath: bool = False, timeout: float = 120.0) -> Dict[str, Any]:
    """Import ``mlsysim`` (and touch the registry) in ``runs`` fresh processes.

    Returns the median wall time of the whole process as seen by the parent
    (interpreter start-up included), the median in-process import time, and
    the median max RSS reported by the child.
    """
    if cwd is None:
        import tempfile
        cwd = tempfile.gettempdir()
    env = clean_env(drop_pythonpath)
    walls, inproc, rss = [], [], []
    version = "?"
    for _ in range(max(runs, 1)):
        t0 = time.perf_counter_ns()
        proc = subprocess.run([python, "-c", IMPORT_SNIPPET], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter_ns() - t0
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"import mlsysim failed in a fresh process: {tail}")
        line = [l for l in proc.stdout.splitlines() if l.startswith("IMPORT ")][-1]
        _, t_imp, rss_kib, version = line.split(" ", 3)
        walls.append(wall / 1e9)
        inproc.append(float(t_imp))
        rss.append(int(rss_kib) * 1024 / 1e6)  # MB (10^6 bytes)
    return {
        "wall_s": statistics.median(walls),
        "wall_s_all": walls,
        "inprocess_import_s": statistics.median(inproc),
        "max_rss_mb": statistics.median(rss),
        "runs": len(walls),
        "version": version,
    }


def measure_startup(python: str, *, runs: int, drop_pythonpath: bool = False) -> float:
    """Median wall of ``python -c pass`` (interpreter start-up, for reference)."""
    env = clean_env(drop_pythonpath)
    walls = []
    for _ in range(max(runs, 1)):
        t0 = time.perf_counter_ns()
        subprocess.run([python, "-c", "pass"], env=env, check=True)
        walls.append((time.perf_counter_ns() - t0) / 1e9)
    return statistics.median(walls)


def find_fleet(root: Any, accelerators: int) -> Optional[Any]:
    """Find a registry fleet with exactly ``accelerators`` accelerators.

    Looks in the usual places (``Fleets``, ``Systems.Clusters``, ``Clusters``)
    and prefers a name containing ``8K``/``8k``.
    """
    spaces = []
    for path in ("Fleets", "Systems.Clusters", "Clusters", "Systems.Fleets"):
        try:
            spaces.append(resolve(root, path))
        except AttributeError:
            pass
    found = []

    def consider(name, obj):
        try:
            n = getattr(obj, "total_accelerators", None)
            n = int(getattr(n, "magnitude", n)) if n is not None else None
        except Exception:
            return
        if n == accelerators:
            found.append((0 if "8k" in str(name).lower() else 1, str(name), obj))

    for space in spaces:
        for name in dir(space):
            if not name.startswith("_") and name not in ("list", "get"):
                try:
                    consider(name, getattr(space, name))
                except Exception:
                    pass
        lister = getattr(space, "list", None)
        if callable(lister):
            try:
                for obj in lister():
                    consider(getattr(obj, "name", ""), obj)
            except Exception:
                pass
    if not found:
        return None
    found.sort(key=lambda t: (t[0], t[1]))
    return found[0][2]


def scale_counts(mode: str) -> Dict[str, int]:
    """Repetition counts for ``full``, ``quick`` and ``tiny`` (smoke test) runs."""
    if mode == "tiny":
        return dict(repeat=3, warmup=1, min_sample_ns=200_000, import_runs=1, baseline_import_runs=1,
                    sweep_batches=16, sweep_repeat=1, baseline_sweep_batches=2,
                    optimizer_repeat=0)
    if mode == "quick":
        return dict(repeat=15, warmup=5, min_sample_ns=1_000_000, import_runs=5, baseline_import_runs=3,
                    sweep_batches=1024, sweep_repeat=3, baseline_sweep_batches=4,
                    optimizer_repeat=3)
    return dict(repeat=51, warmup=20, min_sample_ns=5_000_000, import_runs=11, baseline_import_runs=5,
                sweep_batches=4096, sweep_repeat=7, baseline_sweep_batches=8,
                optimizer_repeat=7)


def sweep_batch_sizes(n: int) -> List[int]:
    return list(range(1, n + 1))


def python_info() -> str:
    return f"{sys.implementation.name} {'.'.join(map(str, sys.version_info[:3]))}"


def bench_solves(mlsysim: Any, single_node_cls: Any, serving_cls: Any, bench: Dict[str, Any]) -> Dict[str, Any]:
    """Time SingleNodeModel.solve and ServingModel.solve on the shared inputs.

    Both versions of mlsysim take these calls with the same signatures, so
    ours and the baseline are timed by this one function. Each entry also
    carries the solve's answer, to show both versions were given the same case.
    """
    out: Dict[str, Any] = {}
    sn = single_node_cls()
    m = resolve(mlsysim, SINGLE_NODE["model"])
    hw = resolve(mlsysim, SINGLE_NODE["hardware"])
    kw = SINGLE_NODE["kwargs"]
    r = sn.solve(m, hw, **kw)
    out["single_node"] = bench_call(lambda: sn.solve(m, hw, **kw), **bench)
    out["single_node"]["check_latency_ms"] = float(r.latency.to("ms").magnitude)

    sv = serving_cls()
    m2 = resolve(mlsysim, SERVING["model"])
    hw2 = resolve(mlsysim, SERVING["hardware"])
    kw2 = SERVING["kwargs"]
    r2 = sv.solve(m2, hw2, **kw2)
    out["serving"] = bench_call(lambda: sv.solve(m2, hw2, **kw2), **bench)
    out["serving"]["check_ttft_ms"] = float(r2.ttft.to("ms").magnitude)
    out["serving"]["check_itl_ms"] = float(r2.itl.to("ms").magnitude)
    return out
