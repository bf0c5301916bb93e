"""The solver contract: the one shape every solver has.

1. **Check once.** ``solve(...)`` validates every argument with ``core.checks``
   (the error names the argument the user passed, its value and what is
   accepted) and converts it to canonical floats.
2. **A plan of floats.** The checked inputs become a slotted dataclass
   (``@plan``): plain floats, ints, bools and strings, nothing that needs pint.
3. **One float function.** ``evaluate(plan) -> <Name>Floats`` computes the answer
   from the plan by calling ``physics.kernels`` (never re-deriving an equation);
   its result is another slotted dataclass (``@floats``) with named fields. No tuple
   of more than three floats crosses a function boundary. Sweeps, optimizers and
   the audit call the same float functions.
4. **A thin view.** The public result is a ``results.Result`` subclass whose
   physical attributes are ``quantity`` descriptors; ``ResultClass.view(out,
   **plain)`` copies the float fields across, and Quantities are built only when
   read. Every result has ``bound``: one ``mlsysim.walls.Wall`` (``Wall.CAPACITY``
   when it does not fit), ``feasible``, ``reason`` and ``assumptions``.

An impossible or unstable configuration is a result (``feasible=False`` or
``stable=False`` with the reason), never an exception from inside the arithmetic.

``plan`` and ``floats`` build ``dataclass(slots=True)`` classes with a
generated ``__init__`` of plain slot assignments. They are immutable by
convention, not ``frozen=True``: a frozen dataclass's ``__init__`` goes through
``object.__setattr__`` per field and costs 2-4x more, a solve builds three of
these objects (the optimizer one per candidate layout), and that cost alone
would make a solve slower than the positional tuples they replaced. Nothing
in the engine assigns to a plan or a float result after building it.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields

from ..walls import Wall  # noqa: F401  (re-exported: solvers import Wall from here or from mlsysim.walls)


def _fast(cls):
    cls = dataclass(slots=True)(cls)
    names = [f.name for f in fields(cls)]
    ns: dict = {}
    params = []
    for f in fields(cls):
        if f.default is not MISSING:
            ns[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
    body = "".join(f"    self.{n} = {n}\n" for n in names)
    exec(f"def __init__(self, {', '.join(params)}):\n{body}", ns)  # noqa: S102  (a generated field writer)
    ns["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = ns["__init__"]
    return cls


def plan(cls):
    """Decorator: a solver's checked inputs as a slotted dataclass of floats."""
    return _fast(cls)


def floats(cls):
    """Decorator: a float function's named output, a slotted dataclass."""
    return _fast(cls)
