"""Time the published mlsysim==0.3.0 on the benchmark inputs; print JSON.

Run with the baseline virtualenv's interpreter (``benchmarks/run.py`` does
this), never with the project's own: both packages are called ``mlsysim``.

    benchmarks/.baseline/venv/bin/python benchmarks/baseline_driver.py [--quick|--tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["full", "quick", "tiny"], default="full")
    args = ap.parse_args(argv)
    counts = C.scale_counts(args.mode)
    out = {"python": C.python_info(), "mode": args.mode}

    # Import in fresh processes first (before this process imports anything).
    out["import"] = C.measure_import(sys.executable, runs=counts["baseline_import_runs"],
                                     drop_pythonpath=True)
    out["python_startup_s"] = C.measure_startup(sys.executable, runs=counts["baseline_import_runs"],
                                                drop_pythonpath=True)

    import warnings
    warnings.simplefilter("ignore")  # 0.3.0 warns about missing int8 peaks; keep stderr clean
    import mlsysim
    from mlsysim import Engine  # noqa: F401
    from mlsysim.solvers import ParallelismOptimizer, ServingModel, SingleNodeModel

    out["version"] = mlsysim.__version__
    if mlsysim.__version__ != "0.3.0":
        print(json.dumps({"error": f"baseline venv has mlsysim {mlsysim.__version__}, "
                                   f"expected 0.3.0"}))
        return 2

    bench = dict(repeat=counts["repeat"], warmup=counts["warmup"],
                 min_sample_ns=counts["min_sample_ns"])

    out.update(C.bench_solves(mlsysim, SingleNodeModel, ServingModel, bench))

    # Sweep: 0.3.0's Engine.sweep takes one model, so loop over the models.
    models = [C.resolve(mlsysim, n) for n in C.SWEEP_MODELS]
    hws = [C.resolve(mlsysim, n) for n in C.SWEEP_HARDWARE]
    bss = C.sweep_batch_sizes(counts["baseline_sweep_batches"])
    precs = list(C.SWEEP_PRECISIONS)
    n_cfg = len(models) * len(hws) * len(bss) * len(precs)

    def sweep():
        rows = []
        for model in models:
            rows.extend(mlsysim.Engine.sweep(model, hws, batch_sizes=bss, precisions=precs,
                                             efficiency=C.SWEEP_EFFICIENCY))
        return rows

    n_rows = len(sweep())
    res = C.bench_once(sweep, repeat=counts["sweep_repeat"], warmup=0)
    res.update(configs=n_cfg, rows=n_rows,
               configs_per_s=n_cfg / (res["median_ns"] / 1e9))
    out["sweep"] = res

    # ParallelismOptimizer over the 8,192-accelerator fleet ------------------
    fleet = C.find_fleet(mlsysim, C.OPTIMIZER["accelerators"])
    if fleet is None:
        out["optimizer"] = {"error": "no 8192-accelerator fleet in 0.3.0's registry"}
    else:
        po = ParallelismOptimizer()
        m = C.resolve(mlsysim, C.OPTIMIZER["model"])
        kw = C.OPTIMIZER["kwargs"]
        best = po.solve(m, fleet, **kw)
        res = C.bench_once(lambda: po.solve(m, fleet, **kw),
                           repeat=counts["optimizer_repeat"], warmup=0)
        res["fleet"] = fleet.name
        res["best"] = str(getattr(best, "best_config", ""))
        out["optimizer"] = res

    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
