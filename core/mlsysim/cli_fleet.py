"""Fleet-scale commands: ``train``, ``optimize``, ``carbon``, ``reliability``."""

from __future__ import annotations

import json


def _fleet_args(p):
    p.add_argument("model", help="model name, e.g. llama3_70b")
    p.add_argument("fleet", help="fleet name, e.g. frontier8k or research256")
    p.add_argument("--batch-size", type=int, required=True, help="global batch in sequences")
    p.add_argument("--precision", default="bf16")
    p.add_argument("--efficiency", type=float, default=0.5)
    p.add_argument("--seq-len", type=int, default=None)
    p.add_argument("--json", action="store_true")


def cmd_train(args) -> int:
    from .cli import _emit
    from .solvers import DistributedModel

    r = DistributedModel().solve(args.model, args.fleet, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency,
                                 tp_size=args.tp, pp_size=args.pp, ep_size=args.ep, zero_stage=args.zero, seq_len=args.seq_len,
                                 overlap_comm=args.overlap)
    return _emit(r, args, f"training {args.model} on {args.fleet}: tp={r.tp_size} pp={r.pp_size} dp={r.dp_size} ep={r.ep_size}",
                 ["step_time", "compute_time", "tp_comm_time", "pp_comm_time", "ep_comm_time", "bubble_time", "dp_exposed_time",
                  "scaling_efficiency", "mfu", "token_throughput", "memory_per_accelerator", "memory_capacity", "feasible", "bound"])


def cmd_optimize(args) -> int:
    from .cli import _fmt, _table
    from .solvers import ParallelismOptimizer

    r = ParallelismOptimizer().solve(args.model, args.fleet, batch_size=args.batch_size, precision=args.precision,
                                     efficiency=args.efficiency, seq_len=args.seq_len)
    if args.json:
        print(json.dumps({"best_config": r.best_config, "total_searched": r.total_searched, "feasible_count": r.feasible_count,
                          "ranked": r.ranked[: args.top]}, indent=2, default=str))
        return 0
    print(_table([("best", str(r.best_config)), ("step_time", _fmt(r.step_time)), ("searched", str(r.total_searched)),
                  ("feasible", str(r.feasible_count)), ("rejected", str(r.rejected))], f"parallelism search: {args.model} on {args.fleet}"))
    for i, row in enumerate(r.ranked[: args.top], 1):
        print(f"{i:>3}. " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
    return 0


def cmd_carbon(args) -> int:
    from .cli import _fmt
    from .registries import Grids
    from .solvers import SustainabilityModel

    grids = args.grid or [g.key for g in Grids.list()]
    results = SustainabilityModel().compare(args.system, f"{args.hours} hour", grids, count=args.count, utilization=args.utilization)
    if args.json:
        print(json.dumps({name: r.as_dict() for name, r in results.items()}, indent=2, default=str))
        return 0
    rows = sorted(results.items(), key=lambda kv: kv[1]._total_carbon)
    width = max(len(n) for n, _ in rows)
    print(f"{'grid'.ljust(width)}  {'gCO2e/kWh':>10}  {'energy':>12}  {'carbon':>14}  water")
    for name, r in rows:
        print(f"{name.ljust(width)}  {r.carbon_intensity.m_as('gCO2e/kWh'):>10.4g}  {_fmt(r.facility_energy):>12}  {_fmt(r.total_carbon):>14}  {_fmt(r.water)}")
    return 0


def cmd_reliability(args) -> int:
    from .cli import _emit
    from .solvers import ReliabilityModel

    r = ReliabilityModel().solve(args.system, f"{args.days} day", count=args.count, model=args.model)
    return _emit(r, args, f"reliability of {args.system} over {args.days} days",
                 ["fleet_mtbf", "failure_probability", "expected_failures", "checkpoint_size", "checkpoint_time",
                  "checkpoint_interval", "waste_fraction", "goodput", "wasted_time"])


def add_commands(sub) -> None:
    p = sub.add_parser("train", help="distributed training step on a fleet (DP/TP/PP/EP)")
    _fleet_args(p)
    p.add_argument("--tp", type=int, default=1)
    p.add_argument("--pp", type=int, default=1)
    p.add_argument("--ep", type=int, default=1)
    p.add_argument("--zero", type=int, default=0, choices=[0, 1, 2, 3])
    p.add_argument("--overlap", action="store_true", help="overlap the DP all-reduce with the backward pass")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("optimize", help="search TP/PP/DP/EP layouts that fit, fastest first")
    _fleet_args(p)
    p.add_argument("--top", type=int, default=5)
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("carbon", help="energy, carbon and water of running accelerators, by grid region")
    p.add_argument("system", help="a fleet name, or a hardware name with --count")
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--hours", type=float, default=24.0)
    p.add_argument("--utilization", type=float, default=1.0)
    p.add_argument("--grid", action="append", help="grid name (repeatable); default: every grid in the registry")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_carbon)

    p = sub.add_parser("reliability", help="fleet MTBF, Young-Daly checkpointing and goodput for a job")
    p.add_argument("system", help="a fleet name, or a hardware name with --count")
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--days", type=float, required=True)
    p.add_argument("--model", default=None, help="model whose checkpoint is written (sets checkpoint size)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reliability)
