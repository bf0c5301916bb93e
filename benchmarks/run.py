"""Benchmarks of mlsysim against the published mlsysim==0.3.0, in one run.

    python3 benchmarks/run.py            # full run (about 1-2 minutes)
    python3 benchmarks/run.py --quick    # fewer repetitions (under 30 s)
    python3 benchmarks/run.py --json results.json

Our figures are taken in this process, with this interpreter.  The baseline's
are taken by ``baseline_driver.py`` run with the interpreter of a separate
virtualenv at ``benchmarks/.baseline/venv`` that holds ``mlsysim==0.3.0`` from
PyPI (created on the first run).  Both packages are named ``mlsysim``, so the
published one is never installed into the project's environment.

Every timing is a median over many repetitions (``time.perf_counter_ns``,
after warm-up); ratios compare the two sides measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common as C  # noqa: E402

BASELINE_SPEC = "mlsysim==0.3.0"
DEFAULT_VENV = os.path.join(HERE, ".baseline", "venv")

TARGET_SOLVE_SPEEDUP = 20.0
TARGET_SWEEP_RATE = 1_000_000.0
TARGET_IMPORT_WALL_S = 0.3
TARGET_IMPORT_RSS_MB = 60.0
TARGET_OPTIMIZER_S = 0.5
TARGET_WALL_SOLVE_US = 100.0

NOT_AVAILABLE = "not available"


# ==========================================================================
# Baseline (mlsysim==0.3.0 in its own virtualenv)
# ==========================================================================

class BaselineUnavailable(Exception):
    """The baseline could not be installed or run; the message is one line."""


def _one_line(text: str, limit: int = 160) -> str:
    lines = [l.strip() for l in (text or "").strip().splitlines() if l.strip()]
    # pip's last line is usually the informative one; skip its notices.
    lines = [l for l in lines if not l.startswith(("[notice]", "WARNING: Location"))]
    line = lines[-1] if lines else "no output"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _show(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def venv_python(venv_dir: str) -> str:
    return os.path.join(venv_dir, "bin", "python")


def _baseline_version(python: str) -> Optional[str]:
    code = ("import importlib.metadata as m\n"
            "try: print(m.version('mlsysim'))\n"
            "except m.PackageNotFoundError: print('none')\n")
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True,
                           timeout=60, env=C.clean_env(True), cwd="/")
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_baseline(venv_dir: str = DEFAULT_VENV, *, install: bool = True,
                    log=_progress) -> str:
    """Return the baseline interpreter, creating the venv on first use.

    Raises ``BaselineUnavailable`` with a one-line reason if it cannot.
    """
    py = venv_python(venv_dir)
    if os.path.exists(py) and _baseline_version(py) == "0.3.0":
        return py
    if not install:
        raise BaselineUnavailable(f"no {BASELINE_SPEC} in {venv_dir} (install disabled)")
    log(f"baseline: installing {BASELINE_SPEC} into {_show(venv_dir)} "
        f"(first run only, about a minute)...")
    try:
        # (Re)create it: a venv that failed the check above is missing, stale or broken.
        p = subprocess.run([sys.executable, "-m", "venv", "--clear", venv_dir],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise BaselineUnavailable(f"could not create the virtualenv {venv_dir}: "
                                      f"{_one_line(p.stderr or p.stdout)}")
        p = subprocess.run([py, "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", BASELINE_SPEC],
                           capture_output=True, text=True, timeout=600,
                           env=C.clean_env(True))
    except subprocess.TimeoutExpired:
        raise BaselineUnavailable(f"pip install {BASELINE_SPEC} timed out (offline?)")
    except OSError as e:
        raise BaselineUnavailable(f"could not create the virtualenv {venv_dir}: {e}")
    if p.returncode != 0:
        raise BaselineUnavailable(f"pip install {BASELINE_SPEC} failed (offline?): "
                                  f"{_one_line(p.stderr or p.stdout)}")
    version = _baseline_version(py)
    if version != "0.3.0":
        raise BaselineUnavailable(f"the virtualenv {venv_dir} has mlsysim {version}, not 0.3.0")
    return py


def run_baseline(python: str, mode: str, timeout: float = 600.0) -> Dict[str, Any]:
    """Run ``baseline_driver.py`` with the baseline interpreter; parse its JSON."""
    driver = os.path.join(HERE, "baseline_driver.py")
    try:
        p = subprocess.run([python, driver, "--mode", mode], capture_output=True,
                           text=True, timeout=timeout, env=C.clean_env(True), cwd="/")
    except subprocess.TimeoutExpired:
        raise BaselineUnavailable(f"the baseline driver took over {timeout:.0f} s")
    except OSError as e:
        raise BaselineUnavailable(f"could not run the baseline driver: {e}")
    try:
        data = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise BaselineUnavailable(f"the baseline driver failed (exit {p.returncode}): "
                                  f"{_one_line(p.stderr)}")
    if "error" in data:
        raise BaselineUnavailable(data["error"])
    return data


def get_baseline(venv_dir: str = DEFAULT_VENV, mode: str = "full", *,
                 install: bool = True, log=_progress) -> Tuple[Optional[Dict[str, Any]], str]:
    """Baseline figures and a one-line status (``None`` and the reason if missing)."""
    try:
        py = ensure_baseline(venv_dir, install=install, log=log)
        data = run_baseline(py, mode)
    except BaselineUnavailable as e:
        return None, (f"baseline {BASELINE_SPEC} unavailable: {e}; "
                      f"showing our figures only.")
    return data, f"baseline: mlsysim {data.get('version')} ({data.get('python')}) in {_show(venv_dir)}"


# ==========================================================================
# Our side
# ==========================================================================

# Representative figures for the bare float kernel (per model: forward FLOPs
# per sample, parameters, activation values per sample; per accelerator:
# peak FLOP/s by precision, memory bandwidth in byte/s).
_K_MODELS = [(8.2e9, 25.6e6, 1.1e7), (6.0e8, 3.5e6, 6.7e6),
             (1.6e10, 8.0e9, 4.2e6), (1.4e11, 7.06e10, 1.6e7)]
_K_HW = [({"fp32": 67e12, "fp16": 989e12, "int8": 1979e12}, 3.35e12),
         ({"fp32": 19.5e12, "fp16": 312e12, "int8": 624e12}, 2.0e12),
         ({"fp32": 67e12, "fp16": 989e12, "int8": 1979e12}, 4.8e12),
         ({"fp32": 80e12, "fp16": 2250e12, "int8": 4500e12}, 8.0e12)]
_K_BYTES = {"fp32": 4.0, "fp16": 2.0, "int8": 1.0}


def float_kernel(batch_sizes: List[int], precisions: List[str], efficiency: float) -> List[float]:
    """The roofline in bare Python floats: max(compute time, memory time)."""
    out: List[float] = []
    append = out.append
    for flops, params, act in _K_MODELS:
        for peaks, bw in _K_HW:
            for prec in precisions:
                bpp = _K_BYTES[prec]
                peak = peaks[prec] * efficiency
                weights = params * bpp
                act_b = act * bpp
                for b in batch_sizes:
                    t_compute = flops * b / peak
                    t_memory = (weights + act_b * b) / bw
                    append(t_compute if t_compute > t_memory else t_memory)
    return out


def import_ours():
    """Import our package (never the baseline's) or raise with a clear reason."""
    import mlsysim
    if getattr(mlsysim, "__version__", "") == "0.3.0":
        raise RuntimeError("the mlsysim importable here is the published 0.3.0, "
                           "not this project's; reinstall with `pip install -e .`")
    return mlsysim


def measure_ours(mode: str = "full", *, skip_import: bool = False) -> Dict[str, Any]:
    counts = C.scale_counts(mode)
    out: Dict[str, Any] = {"python": C.python_info(), "mode": mode}

    if not skip_import:
        out["import"] = C.measure_import(sys.executable, runs=counts["import_runs"])
        out["python_startup_s"] = C.measure_startup(sys.executable, runs=counts["import_runs"])

    mlsysim = import_ours()
    from mlsysim import solvers
    out["version"] = getattr(mlsysim, "__version__", "?")
    bench = dict(repeat=counts["repeat"], warmup=counts["warmup"],
                 min_sample_ns=counts["min_sample_ns"])

    out.update(C.bench_solves(mlsysim, solvers.SingleNodeModel, solvers.ServingModel, bench))

    # Sweep (our mlsysim.sweep over the grid) and the bare float kernel.
    models = [C.resolve(mlsysim, n) for n in C.SWEEP_MODELS]
    hws = [C.resolve(mlsysim, n) for n in C.SWEEP_HARDWARE]
    bss = C.sweep_batch_sizes(counts["sweep_batches"])
    precs = list(C.SWEEP_PRECISIONS)
    n_cfg = len(models) * len(hws) * len(bss) * len(precs)

    def sweep():
        res = mlsysim.sweep(models=models, hardware=hws, batch_sizes=bss,
                            precisions=precs, efficiency=C.SWEEP_EFFICIENCY)
        len(res)
        return res

    first = sweep()
    res = C.bench_once(sweep, repeat=counts["sweep_repeat"], warmup=1)
    res.update(configs=n_cfg, len=len(first),
               configs_per_s=n_cfg / (res["median_ns"] / 1e9))
    # Materialising the rows is timed once, apart.
    t0 = time.perf_counter_ns()
    n_rows = len(first.rows())
    res["rows_s"] = (time.perf_counter_ns() - t0) / 1e9
    res["rows"] = n_rows
    out["sweep"] = res

    # The same sweep on exactly the baseline's (small) grid: here the fixed
    # cost per (model, accelerator, precision) is not amortised.
    bss_small = C.sweep_batch_sizes(counts["baseline_sweep_batches"])
    n_small = len(models) * len(hws) * len(bss_small) * len(precs)
    res = C.bench_call(lambda: len(mlsysim.sweep(models=models, hardware=hws, batch_sizes=bss_small,
                                                 precisions=precs, efficiency=C.SWEEP_EFFICIENCY)),
                       **bench)
    res.update(configs=n_small, configs_per_s=n_small / (res["median_ns"] / 1e9))
    out["sweep_small"] = res

    k_cfg = len(_K_MODELS) * len(_K_HW) * len(bss) * len(precs)
    res = C.bench_once(lambda: float_kernel(bss, precs, C.SWEEP_EFFICIENCY),
                       repeat=counts["sweep_repeat"], warmup=1)
    res.update(configs=k_cfg, configs_per_s=k_cfg / (res["median_ns"] / 1e9))
    out["kernel"] = res

    # ParallelismOptimizer (may not exist yet).
    po_cls = getattr(solvers, "ParallelismOptimizer", None)
    fleet = C.find_fleet(mlsysim, C.OPTIMIZER["accelerators"])
    if po_cls is None:
        out["optimizer"] = {"error": "mlsysim.solvers.ParallelismOptimizer does not exist"}
    elif fleet is None:
        out["optimizer"] = {"error": "no 8192-accelerator fleet in the registry"}
    else:
        po = po_cls()
        m = C.resolve(mlsysim, C.OPTIMIZER["model"])
        kw = C.OPTIMIZER["kwargs"]
        t0 = time.perf_counter_ns()
        best = po.solve(m, fleet, **kw)
        first_ns = time.perf_counter_ns() - t0
        if counts["optimizer_repeat"] > 0:
            res = C.bench_once(lambda: po.solve(m, fleet, **kw),
                               repeat=counts["optimizer_repeat"], warmup=0)
        else:  # smoke test: the first (cold) call is the only sample
            res = {"median_ns": first_ns, "min_ns": first_ns, "max_ns": first_ns,
                   "samples": 1, "calls_per_sample": 1}
        res["first_call_ns"] = first_ns
        res["fleet"] = getattr(fleet, "name", "?")
        res["best"] = str(getattr(best, "best_config", getattr(best, "best", "")))
        res["searched"] = getattr(best, "total_searched", None)
        out["optimizer"] = res
    out["walls"] = measure_walls(bench)
    return out


def wall_cases() -> List[Tuple[str, Any]]:
    """Every case of ``bench_walls_a.cases()`` and ``bench_walls_b.cases()``: (name, callable)."""
    import bench_walls_a
    import bench_walls_b
    return list(bench_walls_a.cases()) + list(bench_walls_b.cases())


def measure_walls(bench: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Each wall solver's representative solve, timed like the solves above (median ns per call)."""
    out = []
    for name, fn in wall_cases():
        res = C.bench_call(fn, **bench)
        res["name"] = name
        out.append(res)
    return out


def build_wall_rows(ours: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The walls' table: one row per case, against the per-solve target (no baseline: 0.3.0 has none of them)."""
    rows = []
    for i, w in enumerate(ours.get("walls", [])):
        ns = w["median_ns"]
        met = ns <= TARGET_WALL_SOLVE_US * 1e3
        rows.append(dict(key=f"wall_{i}", operation=w["name"], ours=_us(ns), baseline="n/a", ratio="—",
                         target=f"<= {TARGET_WALL_SOLVE_US:.0f} µs", met=_met(met), ours_value=ns,
                         baseline_value=None, ratio_value=None, unit="ns/call", met_value=met))
    return rows


# ==========================================================================
# The table
# ==========================================================================

def _us(ns: float) -> str:
    return f"{ns / 1e3:,.1f} µs" if ns < 1e7 else f"{ns / 1e6:,.1f} ms"


def _s(s: float) -> str:
    return f"{s:.3f} s"


def _dur(s: float) -> str:
    if s < 0.01:
        return f"{s * 1e3:.2f} ms"
    if s < 1.0:
        return f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s"


def _rate(r: float) -> str:
    if r >= 1e6:
        return f"{r / 1e6:.2f} M/s"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k/s"
    return f"{r:.0f} /s"


def _ratio(x: Optional[float], word: str) -> str:
    # Rounded down, so that a ratio shown as 20.0x really is at least 20.
    if x is None:
        return "n/a"
    return f"{math.floor(x * 10) / 10:,.1f}x {word}"


def _met(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else ("yes" if ok else "NO")


def build_rows(ours: Dict[str, Any], base: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One dict per table row: operation, ours, baseline, ratio, target, met (+ raw values)."""
    base = base or {}
    rows: List[Dict[str, Any]] = []

    def add(key, op, ours_v, base_v, fmt, ratio, word, target, met, unit):
        rows.append(dict(
            key=key, operation=op,
            ours=fmt(ours_v) if isinstance(ours_v, (int, float)) else (ours_v or NOT_AVAILABLE),
            baseline=fmt(base_v) if isinstance(base_v, (int, float)) else (base_v or "n/a"),
            ratio=_ratio(ratio, word) if word else (ratio or "—"),
            target=target, met=_met(met) if met is not None or word else "—",
            ours_value=ours_v if isinstance(ours_v, (int, float)) else None,
            baseline_value=base_v if isinstance(base_v, (int, float)) else None,
            ratio_value=ratio if isinstance(ratio, (int, float)) else None,
            unit=unit, met_value=met))

    def pick(d, *path):
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return None
            d = d[p]
        return d

    # import: wall and RSS
    o, b = pick(ours, "import", "wall_s"), pick(base, "import", "wall_s")
    add("import_wall", "import mlsysim + registry, fresh process (wall)", o, b, _s,
        (b / o) if o and b else None, "faster",
        f"<= {TARGET_IMPORT_WALL_S} s", (o <= TARGET_IMPORT_WALL_S) if o is not None else None, "s")
    o, b = pick(ours, "import", "max_rss_mb"), pick(base, "import", "max_rss_mb")
    add("import_rss", "import mlsysim + registry (max RSS)", o, b,
        lambda v: f"{v:.1f} MB", (b / o) if o and b else None, "smaller",
        f"<= {TARGET_IMPORT_RSS_MB:.0f} MB", (o <= TARGET_IMPORT_RSS_MB) if o is not None else None, "MB")

    # solves
    for key, op in (("single_node", "SingleNodeModel.solve ResNet-50/H100 b=1"),
                    ("serving", "ServingModel.solve Llama-3-8B/H100 s=2048 b=32")):
        o, b = pick(ours, key, "median_ns"), pick(base, key, "median_ns")
        ratio = (b / o) if o and b else None
        add(key, op, o, b, _us, ratio, "faster", f">= {TARGET_SOLVE_SPEEDUP:.0f}x vs 0.3.0",
            (ratio >= TARGET_SOLVE_SPEEDUP) if ratio is not None else None, "ns/call")

    # sweep and the bare kernel
    b = pick(base, "sweep", "configs_per_s")
    n_big, n_small = pick(ours, "sweep", "configs"), pick(ours, "sweep_small", "configs")
    for key, label in (("sweep_small", f"sweep configs/s, 0.3.0's grid ({n_small or '?'} configs)"),
                       ("sweep", f"sweep configs/s, large grid ({n_big or '?':,} configs)")):
        o = pick(ours, key, "configs_per_s")
        add(key, label, o, b, _rate, (o / b) if o and b else None, "higher",
            ">= 1.00 M/s", (o >= TARGET_SWEEP_RATE) if o is not None else None, "configs/s")
    o = pick(ours, "sweep", "configs_per_s")
    k = pick(ours, "kernel", "configs_per_s")
    frac = f"sweep = {o / k:.2f}x kernel" if o and k else None
    add("kernel", "bare float roofline loop (reference)", k, "—", _rate, frac, None,
        "reference", None, "configs/s")

    # optimizer
    o = pick(ours, "optimizer", "median_ns")
    b = pick(base, "optimizer", "median_ns")
    o_s = o / 1e9 if o is not None else None
    b_s = b / 1e9 if b is not None else None
    add("optimizer", "ParallelismOptimizer Llama-3-70B, 8192 acc.",
        o_s, b_s, _dur, (b_s / o_s) if o_s and b_s else None, "faster",
        f"<= {TARGET_OPTIMIZER_S} s", (o_s <= TARGET_OPTIMIZER_S) if o_s is not None else None, "s")
    return rows


COLUMNS = [("operation", "operation"), ("ours", "ours"), ("baseline", "baseline (0.3.0)"),
           ("ratio", "ratio"), ("target", "target"), ("met", "met?")]


def format_table(rows: List[Dict[str, Any]]) -> str:
    """A Markdown pipe table (readable in a terminal and pastable into docs)."""
    cells = [[h for _, h in COLUMNS]] + [[str(r[k]) for k, _ in COLUMNS] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    right = {1, 2, 3}

    def line(c):
        return "| " + " | ".join(c[i].rjust(widths[i]) if i in right else c[i].ljust(widths[i])
                                 for i in range(len(c))) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), sep] + [line(c) for c in cells[1:]])


def footnotes(ours: Dict[str, Any], base: Optional[Dict[str, Any]]) -> List[str]:
    c = ours.get("sweep", {})
    notes = []
    if "import" in ours:
        notes.append(f"import wall = whole `python -c 'import mlsysim; mlsysim.Hardware.Cloud.H100'` "
                     f"process, median of {ours['import']['runs']} fresh runs (interpreter start-up "
                     f"alone: {ours.get('python_startup_s', 0):.3f} s; in-process import: "
                     f"{ours['import']['inprocess_import_s']:.3f} s); RSS = ru_maxrss of that process.")
    if c:
        notes.append(f"large sweep: {c['configs']:,} configurations ({len(C.SWEEP_MODELS)} models x "
                     f"{len(C.SWEEP_HARDWARE)} accelerators x {len(C.SWEEP_PRECISIONS)} precisions x "
                     f"{c['configs'] // (len(C.SWEEP_MODELS) * len(C.SWEEP_HARDWARE) * len(C.SWEEP_PRECISIONS))} "
                     f"batch sizes), median of {c['samples']} runs; rows() materialised once "
                     f"afterwards in {c.get('rows_s', 0):.3f} s.")
    if base and "sweep" in base:
        notes.append(f"baseline sweep: 0.3.0's Engine.sweep, once per model, over the same models, "
                     f"accelerators and precisions and {base['sweep']['configs']} configurations "
                     f"(it needs ~1 ms each); ours is timed on that grid and on the large one. "
                     f"Both sweep rows compare with the baseline's rate on its grid.")
    if base and "single_node" in base and "serving" in base:
        o, b = ours["single_node"], base["single_node"]
        so, sb = ours["serving"], base["serving"]
        notes.append(f"same inputs, outputs as each version models them: ResNet-50 latency "
                     f"{o['check_latency_ms']:.4g} ms (0.3.0: {b['check_latency_ms']:.4g} ms); "
                     f"Llama-3-8B TTFT {so['check_ttft_ms']:.4g} ms ({sb['check_ttft_ms']:.4g} ms), "
                     f"ITL {so['check_itl_ms']:.4g} ms ({sb['check_itl_ms']:.4g} ms).")
    opt = ours.get("optimizer", {})
    if "error" in opt:
        notes.append(f"optimizer: {NOT_AVAILABLE} ({opt['error']}).")
    elif opt:
        searched = f", {opt['searched']:,} layouts searched" if opt.get("searched") else ""
        notes.append(f"optimizer: fleet {opt.get('fleet')}, best {opt.get('best')}{searched}, "
                     f"median of {opt['samples']} runs (first, cold call: "
                     f"{opt.get('first_call_ns', 0) / 1e9:.4f} s).")
    if base and "optimizer" in base and "best" in base["optimizer"]:
        notes.append(f"0.3.0's optimizer searches power-of-two TP/PP only; its best: "
                     f"{base['optimizer']['best']}.")
    return notes


# ==========================================================================
# main
# ==========================================================================

def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark mlsysim against mlsysim==0.3.0.")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (under 30 s)")
    ap.add_argument("--tiny", action="store_true",
                    help="minimal repetitions, for the smoke test only (figures meaningless)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("--no-baseline", action="store_true", help="skip mlsysim==0.3.0")
    ap.add_argument("--baseline-venv", default=DEFAULT_VENV, metavar="DIR",
                    help="virtualenv holding mlsysim==0.3.0 (created if missing)")
    args = ap.parse_args(argv)
    mode = "tiny" if args.tiny else ("quick" if args.quick else "full")

    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"mlsysim benchmarks, {when}, {C.python_info()} on {platform.machine()}, "
          f"{os.cpu_count()} cores, mode={mode}", flush=True)

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    # Ours first, then the baseline in its own process.
    try:
        ours = measure_ours(mode)
    except Exception as e:  # the harness must say clearly why it cannot run
        print(f"our mlsysim could not be measured: {type(e).__name__}: {e}")
        return 1
    print(f"ours: mlsysim {ours.get('version')} from {os.path.dirname(import_ours().__file__)}")

    if args.no_baseline:
        base, status = None, f"baseline {BASELINE_SPEC} skipped (--no-baseline); showing our figures only."
    else:
        base, status = get_baseline(args.baseline_venv, mode)
    print(status)
    print()
    rows = build_rows(ours, base)
    print(format_table(rows))
    print()
    wall_rows = build_wall_rows(ours)
    if wall_rows:
        print("The walls' solvers (benchmarks/bench_walls_a.py and bench_walls_b.py), one representative solve each:")
        print()
        print(format_table(wall_rows))
        print()
    notes = footnotes(ours, base)
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load_start is not None:
        # This run keeps one core busy itself; more than that means other work.
        busy = load_start > 1.0 or (load_end or 0.0) > 2.0
        notes.append(f"load average (1 min) {load_start:.2f} at start, {load_end:.2f} at end"
                     + (": other work shared the cores, so absolute times may be inflated "
                        "(ratios are taken in the same run)." if busy else "."))
    notes.append("the labs' redraw times (30 ms a control change) are timed apart: "
                 "`PYTHONPATH=$PWD/core:$PWD/labs python3 benchmarks/labs_redraw.py`.")
    for n in notes:
        print(f"- {n}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": when, "mode": mode, "machine": platform.platform(),
                       "load_average_start": load_start, "load_average_end": load_end,
                       "cores": os.cpu_count(), "baseline_status": status,
                       "rows": rows, "wall_rows": wall_rows, "ours": ours, "baseline": base}, f, indent=2, default=str)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
