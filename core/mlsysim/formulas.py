"""The formula library, under its one documented name: ``from mlsysim.formulas import calc_ring_allreduce_time``.

Each ``calc_*`` function checks its inputs' units, calls the float kernel in
``mlsysim.physics.kernels`` (``mlsysim.formulas.kernels``), where every equation is
written once with its source, and returns a Quantity. ``mlsysim.physics`` and
``mlsysim.physics.formulas`` are the same functions (older import names, kept).
"""

from .physics import *  # noqa: F401,F403
from .physics import __all__, kernels  # noqa: F401
