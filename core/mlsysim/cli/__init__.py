"""The command line: ``mlsysim list|show|solve|serve|diffusion|audit|train|optimize|carbon|reliability|registry|grade|validate``.

Readable tables by default, ``--json`` for scripts. Exit status: 0 ok, 1 "does not fit"
(or the registry check found problems), 2 bad input. Bad input is one line on stderr
(``mlsysim: error: ...``), or with ``--json`` a JSON object ``{"error": {...}}`` on stdout;
never a traceback or a usage dump. Warnings are one line each on stderr.

Layout: ``_base`` (parser, argument types, name look-ups, output), one module per group of
commands (``catalog``, ``single``, ``fleet``), and this module, which assembles the parser
and turns every error into the one-line form.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from pydantic import ValidationError

from ..core.errors import InputError, MlsysimError
from ..core.loader import using_registry
from .. import validation
from . import catalog, fleet, single
from ._base import BAD_INPUT, DOES_NOT_FIT, OK, Parser, UsageError, dumps

__all__ = ["main", "build_parser", "OK", "DOES_NOT_FIT", "BAD_INPUT"]


def cmd_grade(args) -> int:
    # Imported here, not at the top: the lab kit is a separate, optional package, and the
    # rest of the command line must work without it.
    try:
        from labkit import grading
    except ImportError:
        raise MlsysimError("the lab kit is not installed (mlsysim grade needs the labkit package)") from None
    argv = [*args.files, *(["--csv", args.csv] if args.csv else [])]
    status = grading.main(argv)
    return int(status or 0)


def cmd_validate(args) -> int:
    argv = [*(["--json"] if args.json else []), *(["--markdown", args.markdown] if args.markdown else []),
            *(["--readme", args.readme] if args.readme else []), *(["--path", args.path] if args.path else []),
            *(["--check"] if args.check else [])]
    return int(validation.main(argv) or 0)


def build_parser() -> argparse.ArgumentParser:
    # --registry is accepted before the command and after it (a parent parser shared by every command)
    common = Parser(add_help=False)
    common.add_argument("--registry", action="append", metavar="PATH", default=argparse.SUPPRESS,
                        help="a folder of registry .toml files merged over the built-in registry (repeatable; also $MLSYSIM_REGISTRY)")
    parser = Parser(prog="mlsysim", parents=[common],
                    description="Analytical models of ML systems: roofline, serving, fleets, registry with provenance.",
                    epilog="exit status: 0 ok, 1 does not fit (or registry problems found), 2 bad input")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    catalog.add_commands(sub, common)
    single.add_commands(sub, common)
    fleet.add_commands(sub, common)
    p = sub.add_parser("grade", help="grade submitted lab notebooks (needs the lab kit)", parents=[common])
    p.add_argument("files", nargs="+", metavar="FILES")
    p.add_argument("--csv", metavar="OUT", default=None, help="write the grades to this CSV file")
    p.set_defaults(func=cmd_grade, json=False)
    p = sub.add_parser("validate", help="predict the public measurements in the validation set and score the errors",
                       parents=[common])
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--markdown", metavar="PATH", default=None, help="also write the report as Markdown to PATH")
    p.add_argument("--readme", metavar="PATH", default=None, help="replace the summary block of the README at PATH")
    p.add_argument("--path", metavar="DIR", default=None, help="a folder of validation TOML files (default: the shipped set)")
    p.add_argument("--check", action="store_true",
                   help="exit with status 1 when a category's errors exceed the ceiling its validation file commits to")
    p.set_defaults(func=cmd_validate)
    return parser


def _error_fields(exc: Exception) -> tuple[str, dict]:
    """(one-line message, JSON error object) for an error meant for the user."""
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        msg = err["msg"].removeprefix("Value error, ")
        return (f"{where}: {msg}" if where and not msg.startswith(f"{where}=") else msg), {"message": msg, "field": where or None}
    if isinstance(exc, InputError):
        return str(exc), {"message": str(exc), "field": exc.field, "value": str(exc.value), "accepted": exc.accepted}
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return str(text), {"message": str(text)}


def _fail(exc: Exception, as_json: bool) -> int:
    message, obj = _error_fields(exc)
    if as_json:
        print(dumps({"error": obj, "exit_status": BAD_INPUT}))
    else:
        print(f"mlsysim: error: {message}", file=sys.stderr)
    return BAD_INPUT


def _run(args) -> int:
    folders = getattr(args, "registry", None)
    if folders:
        with using_registry(*folders):
            return args.func(args)
    return args.func(args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args = build_parser().parse_args(argv)
            status = _run(args)
        except SystemExit as exc:  # --help
            status = exc.code if isinstance(exc.code, int) else OK
        except BrokenPipeError:  # output piped into head, less, ...
            sys.stderr.close()
            return OK
        except (UsageError, ValidationError, MlsysimError, ValueError, KeyError) as exc:
            status = _fail(exc, as_json)
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"mlsysim: warning: {text}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
