"""Shared constants: the unit registry's ``Q_`` and ``ureg`` (import them from here or from ``mlsysim``)."""

from .units import Q_, ureg  # noqa: F401

__all__ = ["Q_", "ureg"]
