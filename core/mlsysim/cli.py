"""The command line: ``mlsysim list|show|solve|serve ...`` (also ``python -m mlsysim``).

Readable tables by default, ``--json`` for scripts. Bad input is one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys


def _table(rows: list[tuple[str, str]], title: str | None = None) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title, "-" * len(title)] if title else []
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def _fmt(value) -> str:
    import pint

    if isinstance(value, pint.Quantity):
        return f"{value:.4g~P}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _catalog(kind: str):
    import mlsysim

    return {"hardware": mlsysim.Hardware, "models": mlsysim.Models, "grids": mlsysim.Grids, "fleets": mlsysim.Fleets}[kind]


def cmd_list(args) -> int:
    catalog = _catalog(args.kind)
    entries = catalog.list(tier=args.tier) if args.tier else catalog.list()
    if args.json:
        print(json.dumps([{"key": e.key, "name": e.name, "group": getattr(e, "tier", getattr(e, "family", ""))} for e in entries], indent=2))
        return 0
    width = max((len(e.key) for e in entries), default=3)
    for e in entries:
        group = getattr(e, "tier", None) or getattr(e, "family", "") or ""
        print(f"{e.key.ljust(width)}  {group:<14} {e.name}")
    return 0


def _find(name: str, kind: str | None):
    from .core.errors import UnknownEntryError

    kinds = [kind] if kind else ["hardware", "models", "grids", "fleets"]
    first_error = None
    for k in kinds:
        try:
            return _catalog(k).get(name)
        except UnknownEntryError as exc:
            first_error = first_error or exc
    raise first_error


def cmd_show(args) -> int:
    entry = _find(args.name, args.kind)
    provenance = entry.provenance_paths()
    if args.json:
        print(json.dumps({"entry": entry.model_dump(mode="json"), "provenance": {k: str(v) for k, v in provenance.items()}}, indent=2, default=str))
        return 0
    rows = []
    for path in sorted(provenance):
        value = entry
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        src = provenance[path]
        rows.append((path, f"{_fmt(value)}    [{src.kind}] {src.title}"))
    print(_table(rows, f"{entry.name} ({type(entry).__name__})"))
    sources = {str(s) for s in provenance.values()}
    print("\nsources:\n  " + "\n  ".join(sorted(sources)))
    return 0


def _emit(result, args, title: str, keys: list[str]) -> int:
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
        return 0
    rows = [(k, _fmt(getattr(result, k))) for k in keys]
    print(_table(rows, title))
    if getattr(result, "reason", ""):
        print(f"\nnot feasible: {result.reason}")
    return 0


def cmd_solve(args) -> int:
    from .solvers import SingleNodeModel

    r = SingleNodeModel().solve(args.model, args.hardware, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency, is_training=args.training, seq_len=args.seq_len)
    return _emit(r, args, f"{r.model} on {r.hardware}, batch {r.batch_size}, {r.precision}{' training' if r.is_training else ''}",
                 ["bottleneck", "latency", "throughput", "compute_time", "memory_time", "arithmetic_intensity", "ridge_point", "mfu", "energy", "memory_footprint", "memory_capacity", "feasible"])


def cmd_serve(args) -> int:
    from .solvers import ServingModel

    r = ServingModel().solve(args.model, args.hardware, seq_len=args.seq_len, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency)
    return _emit(r, args, f"serving {r.model} on {r.hardware}, batch {r.batch_size}, context {r.seq_len}, {r.precision}",
                 ["ttft", "itl", "decode_throughput", "prefill_bottleneck", "decode_bottleneck", "weight_memory", "kv_cache_size", "memory_footprint", "memory_capacity", "feasible"])


def build_parser() -> argparse.ArgumentParser:
    from .workloads.precision import PRECISIONS

    parser = argparse.ArgumentParser(prog="mlsysim", description="Analytical models of ML systems: roofline, serving, registry with provenance.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registry entries")
    p.add_argument("kind", nargs="?", default="hardware", choices=["hardware", "models", "grids", "fleets"])
    p.add_argument("--tier", help="hardware tier: cloud, workstation, mobile, edge, tiny")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one entry with the provenance of every number")
    p.add_argument("name")
    p.add_argument("--kind", choices=["hardware", "models", "grids", "fleets"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    def common(p, batch_default=1):
        p.add_argument("model", help="model name, e.g. resnet50 or llama3_8b")
        p.add_argument("hardware", help="hardware name, e.g. h100")
        p.add_argument("--batch-size", type=int, default=batch_default)
        p.add_argument("--precision", default="fp16", choices=PRECISIONS)
        p.add_argument("--efficiency", type=float, default=0.5, help="fraction of dense peak FLOP/s, in (0, 1]")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("solve", help="roofline on one accelerator")
    common(p)
    p.add_argument("--training", action="store_true", help="forward + backward, with optimizer memory")
    p.add_argument("--seq-len", type=int, default=None)
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("serve", help="LLM serving: TTFT, ITL, KV cache")
    common(p)
    p.add_argument("--seq-len", type=int, default=2048)
    p.set_defaults(func=cmd_serve)

    from . import cli_fleet

    cli_fleet.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from .core.errors import MlsysimError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        print(f"mlsysim: error: {where + ': ' if where else ''}{err['msg']}", file=sys.stderr)
    except (MlsysimError, ValueError, KeyError) as exc:
        print(f"mlsysim: error: {exc}", file=sys.stderr)
    except BrokenPipeError:  # output piped into head, less, ...
        sys.stderr.close()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
