"""The formula library: unit-checked equations (``formulas``) over float kernels (``kernels``)."""

from . import kernels  # noqa: F401
from .formulas import *  # noqa: F401,F403
from .formulas import __dict__ as _f

__all__ = [name for name in _f if name.startswith(("calc_", "roofline_"))]
