"""Former name of ``mlsysim.core.loader`` (the registry loader), kept so old imports work.

``import mlsysim.core.registry`` gives the loader module itself, not a copy, so its
state (``_DATA``, the user folders) is one and the same under both names.
"""

import sys

from . import loader

sys.modules[__name__] = loader
