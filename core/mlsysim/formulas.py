"""Alias of ``mlsysim.physics``: ``from mlsysim.formulas import calc_ring_allreduce_time``."""

from .physics import *  # noqa: F401,F403
from .physics import __all__, kernels  # noqa: F401
