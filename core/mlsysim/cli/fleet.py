"""Fleet-scale commands: ``train``, ``optimize``, ``carbon``, ``reliability``."""

from __future__ import annotations

from ..registries import Grids
from ..solvers import DistributedModel, ParallelismOptimizer, ReliabilityModel, SustainabilityModel
from ._base import DOES_NOT_FIT, OK, duration_in, dumps, emit, finite_float, fmt, json_flag, positive_int, resolve, table


def _fleet_args(p):
    p.add_argument("model", help="model name, e.g. llama3_70b (mlsysim list models)")
    p.add_argument("fleet", help="fleet name, e.g. frontier8k or research256 (mlsysim list fleets)")
    p.add_argument("--batch-size", type=int, required=True, help="global batch in sequences")
    p.add_argument("--precision", default="bf16")
    p.add_argument("--efficiency", type=finite_float, default=0.5)
    p.add_argument("--seq-len", type=int, default=None)
    json_flag(p)


def cmd_train(args) -> int:
    model, fleet = resolve(args.model, ["models"], "model"), resolve(args.fleet, ["fleets"], "fleet")
    r = DistributedModel().solve(model, fleet, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency,
                                 tp_size=args.tp, pp_size=args.pp, ep_size=args.ep, zero_stage=args.zero, seq_len=args.seq_len,
                                 overlap_comm=args.overlap)
    return emit(r, args, f"training {args.model} on {args.fleet}: tp={r.tp_size} pp={r.pp_size} dp={r.dp_size} ep={r.ep_size}",
                ["step_time", "compute_time", "tp_comm_time", "pp_comm_time", "ep_comm_time", "bubble_time", "dp_exposed_time",
                 "scaling_efficiency", "mfu", "token_throughput", "memory_per_accelerator", "memory_capacity", "feasible", "bound"])


def cmd_optimize(args) -> int:
    model, fleet = resolve(args.model, ["models"], "model"), resolve(args.fleet, ["fleets"], "fleet")
    r = ParallelismOptimizer().solve(model, fleet, batch_size=args.batch_size, precision=args.precision,
                                     efficiency=args.efficiency, seq_len=args.seq_len)
    status = OK if r.feasible else DOES_NOT_FIT
    if args.json:
        print(dumps({"feasible": r.feasible, "reason": r.reason, "best_config": r.best_config, "total_searched": r.total_searched,
                     "feasible_count": r.feasible_count, "rejected": r.rejected, "ranked": r.ranked[: args.top]}))
        return status
    if not r.feasible:
        print(f"does not fit: {r.reason}\n")
    print(table([("best", str(r.best_config)), ("step_time", fmt(r.step_time)), ("searched", str(r.total_searched)),
                 ("feasible", str(r.feasible_count)), ("rejected", str(r.rejected))], f"parallelism search: {args.model} on {args.fleet}"))
    for i, row in enumerate(r.ranked[: args.top], 1):
        print(f"{i:>3}. " + ", ".join(f"{k}={fmt(v)}" for k, v in row.items()))
    return status


def _system(name: str):
    return resolve(name, ["fleets", "hardware"], "system")


def cmd_carbon(args) -> int:
    system = _system(args.system)
    grids = [resolve(g, ["grids"], "grid") for g in args.grid] if args.grid else Grids.list()
    results = SustainabilityModel().compare(system, f"{args.hours!r} hour", grids, count=args.count, utilization=args.utilization)
    if args.json:
        print(dumps({name: r.as_dict() for name, r in results.items()}))
        return OK
    rows = sorted(results.items(), key=lambda kv: kv[1].total_carbon.m_as("gCO2e"))
    width = max(len(n) for n, _ in rows)
    print(f"{'grid'.ljust(width)}  {'gCO2e/kWh':>10}  {'energy':>12}  {'carbon':>14}  water")
    for name, r in rows:
        print(f"{name.ljust(width)}  {r.carbon_intensity.m_as('gCO2e/kWh'):>10.4g}  {fmt(r.facility_energy):>12}  {fmt(r.total_carbon):>14}  {fmt(r.water)}")
    return OK


def cmd_reliability(args) -> int:
    system = _system(args.system)
    model = resolve(args.model, ["models"], "model") if args.model else None
    r = ReliabilityModel().solve(system, f"{args.days!r} day", count=args.count, model=model)
    return emit(r, args, f"reliability of {args.system} over {args.days} days",
                ["fleet_mtbf", "failure_probability", "expected_failures", "checkpoint_size", "checkpoint_time",
                 "checkpoint_interval", "waste_fraction", "goodput", "wasted_time"])


def add_commands(sub, common) -> None:
    p = sub.add_parser("train", help="distributed training step on a fleet (DP/TP/PP/EP)", parents=[common])
    _fleet_args(p)
    p.add_argument("--tp", type=int, default=1)
    p.add_argument("--pp", type=int, default=1)
    p.add_argument("--ep", type=int, default=1)
    p.add_argument("--zero", type=int, default=0, choices=[0, 1, 2, 3])
    p.add_argument("--overlap", action="store_true", help="overlap the DP all-reduce with the backward pass")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("optimize", help="search TP/PP/DP/EP layouts that fit, fastest first", parents=[common])
    _fleet_args(p)
    p.add_argument("--top", type=positive_int, default=5, help="how many layouts to print (>= 1)")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("carbon", help="energy, carbon and water of running accelerators, by grid region", parents=[common])
    p.add_argument("system", help="a fleet name, or a hardware name with --count")
    p.add_argument("--count", type=positive_int, default=None)
    p.add_argument("--hours", type=duration_in("hour", 1.0), default=24.0)
    p.add_argument("--utilization", type=finite_float, default=1.0)
    p.add_argument("--grid", action="append", help="grid name (repeatable); default: every grid in the registry")
    json_flag(p)
    p.set_defaults(func=cmd_carbon)

    p = sub.add_parser("reliability", help="fleet MTBF, Young-Daly checkpointing and goodput for a job", parents=[common])
    p.add_argument("system", help="a fleet name, or a hardware name with --count")
    p.add_argument("--count", type=positive_int, default=None)
    p.add_argument("--days", type=duration_in("day", 24.0), required=True)
    p.add_argument("--model", default=None, help="model whose checkpoint is written (sets checkpoint size)")
    json_flag(p)
    p.set_defaults(func=cmd_reliability)
