"""The solver contract: the one shape every solver has.

1. **Check once.** ``solve(...)`` validates every argument (the error names the
   argument, its value and what is accepted) and converts it to canonical floats.
2. **A plan of floats.** The checked inputs become a frozen, slotted dataclass
   (``@plan``): plain floats, ints, bools and strings, nothing that needs pint.
3. **One float function.** ``evaluate(plan) -> <Name>Floats`` computes the answer
   from the plan by calling ``physics.kernels`` (never re-deriving an equation);
   its result is another frozen dataclass (``@floats``) with named fields. No tuple
   of more than three floats crosses a function boundary. Sweeps, optimizers and
   the sensitivity solver call the same float function.
4. **A thin view.** The public result is a ``results.Result`` subclass whose
   physical attributes are ``quantity`` descriptors; ``ResultClass.view(out,
   **plain)`` copies the float fields across, and Quantities are built only when
   read. Every result has ``bound``: one ``mlsysim.walls.Wall`` (``Wall.CAPACITY``
   when it does not fit), ``feasible``, ``reason`` and ``assumptions``.

An impossible or unstable configuration is a result (``feasible=False`` or
``stable=False`` with the reason), never an exception from inside the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..walls import Wall  # noqa: F401  (re-exported: solvers import Wall from here or from mlsysim.walls)


def plan(cls):
    """Decorator: a solver's checked inputs as a frozen, slotted dataclass of floats."""
    return dataclass(frozen=True, slots=True)(cls)


def floats(cls):
    """Decorator: a float function's named output, a frozen, slotted dataclass."""
    return dataclass(frozen=True, slots=True)(cls)
