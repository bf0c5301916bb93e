"""The solver contract: the one shape every solver has.

1. **Check once.** ``solve(...)`` validates every argument with ``core.checks``
   (the error names the argument the user passed, its value and what is
   accepted) and converts it to canonical floats.
2. **A plan of floats.** The checked inputs become a slotted record
   (``@plan``): plain floats, ints, bools and strings, nothing that needs pint.
3. **One float function.** ``evaluate(plan) -> <Name>Floats`` computes the answer
   from the plan by calling ``physics.kernels`` (never re-deriving an equation);
   its result is another slotted record (``@floats``) with named fields. No tuple
   of more than three floats crosses a function boundary. Sweeps, optimizers and
   the audit call the same float functions.
4. **A thin view.** The public result is a ``results.Result`` subclass whose
   physical attributes are ``quantity`` descriptors; ``ResultClass.view(out,
   **plain)`` copies the float fields across, and Quantities are built only when
   read. Every result has ``bound``: one ``mlsysim.walls.Wall`` (``Wall.CAPACITY``
   when it does not fit), ``feasible``, ``reason`` and ``assumptions``.

An impossible or unstable configuration is a result (``feasible=False`` or
``stable=False`` with the reason), never an exception from inside the arithmetic.

``plan`` and ``floats`` turn an annotated class into a slotted record: fields
in annotation order (defaults allowed), a generated ``__init__`` of plain slot
assignments, ``__repr__`` and ``__eq__`` -- what ``dataclass(slots=True)`` gives,
built with one small generated function per class, because the engine defines
some twenty of these and ``dataclasses`` costs ~0.5 ms per class at import.
They are immutable by convention, not enforced: a frozen class's ``__init__``
goes through ``object.__setattr__`` per field and costs 2-4x more, a solve
builds three of these objects (the optimizer one per candidate layout), and
that alone would make a solve slower than the positional tuples they
replaced. Nothing in the engine assigns to a plan or a float result after
building it.
"""

from __future__ import annotations

from ..walls import Wall  # noqa: F401  (re-exported: solvers import Wall from here or from mlsysim.walls)

_NO_DEFAULT = object()


def _record(cls):
    names = tuple(cls.__dict__.get("__annotations__", {}))
    body = {k: v for k, v in cls.__dict__.items() if k not in names and k not in ("__dict__", "__weakref__")}
    defaults = {n: cls.__dict__.get(n, _NO_DEFAULT) for n in names}
    params = [n if defaults[n] is _NO_DEFAULT else f"{n}=_d_{n}" for n in names]
    ns = {f"_d_{n}": d for n, d in defaults.items() if d is not _NO_DEFAULT}
    src = (f"def __init__(self, {', '.join(params)}):\n" + "".join(f"    self.{n} = {n}\n" for n in names)
           + "def __repr__(self):\n    return f'" + cls.__qualname__ + "(" + ", ".join(f"{n}={{self.{n}!r}}" for n in names) + ")'\n"
           + "def __eq__(self, other):\n    if other.__class__ is not self.__class__:\n        return NotImplemented\n"
           + "    return (" + "".join(f"self.{n}, " for n in names) + ") == (" + "".join(f"other.{n}, " for n in names) + ")\n")
    exec(src, ns)  # noqa: S102  (the record's generated methods)
    body.update(__slots__=names, __init__=ns["__init__"], __repr__=ns["__repr__"], __eq__=ns["__eq__"], __hash__=None,
                __match_args__=names, _fields=names)
    new = type(cls)(cls.__name__, cls.__bases__, body)
    for fn in ("__init__", "__repr__", "__eq__"):
        getattr(new, fn).__qualname__ = f"{cls.__qualname__}.{fn}"
    return new


def plan(cls):
    """Decorator: a solver's checked inputs as a slotted record of floats."""
    return _record(cls)


def floats(cls):
    """Decorator: a float function's named output, a slotted record."""
    return _record(cls)
