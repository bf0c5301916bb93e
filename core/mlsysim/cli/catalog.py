"""Registry commands: ``list``, ``show``, ``registry check``."""

from __future__ import annotations

from typing import get_args

from ..core.loader import check_registry_folder
from ..hardware.types import Tier
from . import _base
from ._base import CATALOGS, DOES_NOT_FIT, OK, UsageError, dumps, fmt, json_flag, resolve, table

TIERS = get_args(Tier)


def cmd_list(args) -> int:
    catalog = CATALOGS[args.kind]
    if args.tier and args.kind != "hardware":
        raise UsageError(f"--tier applies to hardware only (models are grouped by family: mlsysim list {args.kind})")
    entries = catalog.list(tier=args.tier) if args.tier else catalog.list()
    if args.json:
        print(dumps([{"key": e.key, "name": e.name, "group": getattr(e, "tier", getattr(e, "family", ""))} for e in entries]))
        return OK
    width = max((len(e.key) for e in entries), default=3)
    for e in entries:
        group = getattr(e, "tier", None) or getattr(e, "family", "") or ""
        print(f"{e.key.ljust(width)}  {group:<14} {e.name}")
    return OK


def cmd_show(args) -> int:
    entry = resolve(args.name, [args.kind] if args.kind else list(CATALOGS), "name")
    provenance = entry.provenance_paths()
    if args.json:
        print(dumps({"entry": entry.model_dump(mode="json"), "provenance": {k: str(v) for k, v in provenance.items()}}))
        return OK
    rows = []
    for path in sorted(provenance):
        value = entry
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        src = provenance[path]
        rows.append((path, f"{fmt(value)}    [{src.kind}] {src.title}"))
    print(table(rows, f"{entry.name} ({type(entry).__name__}, key {entry.key})"))
    print("\nsources:\n  " + "\n  ".join(sorted({str(s) for s in provenance.values()})))
    return OK


def cmd_registry_check(args) -> int:
    problems = check_registry_folder(args.path)
    if args.json:
        print(dumps({"folder": args.path, "ok": not problems, "problems": problems}))
    else:
        for p in problems:
            print(p)
        print(f"{args.path}: {len(problems)} problem(s)" if problems else f"{args.path}: no problems")
    return DOES_NOT_FIT if problems else OK


def add_commands(sub, common) -> None:
    p = sub.add_parser("list", help="list registry entries", parents=[common])
    p.add_argument("kind", nargs="?", default="hardware", choices=list(CATALOGS))
    p.add_argument("--tier", choices=TIERS, help="hardware tier: " + ", ".join(TIERS))
    json_flag(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one entry (any catalogue) with the provenance of every number", parents=[common])
    p.add_argument("name")
    p.add_argument("--kind", choices=list(CATALOGS), help="search only this catalogue")
    json_flag(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("registry", help="work with registry folders", parents=[common])
    inner = p.add_subparsers(dest="registry_command", metavar="check", required=True, parser_class=_base.Parser)
    c = inner.add_parser("check", help="validate a folder of registry files, listing every problem", parents=[common])
    c.add_argument("path", help="a folder of .toml files, read merged over the built-in registry")
    json_flag(c)
    c.set_defaults(func=cmd_registry_check)
