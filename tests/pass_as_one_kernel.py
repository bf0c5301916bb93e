"""ResNet-50 with its layer-by-layer shapes left out, so a solve takes the pass as one kernel.

The registry lists ResNet-50's conv layers (``layer_shapes``), and the single-node roofline then applies
max(compute, traffic) layer by layer (tests/test_cnn_per_layer.py derives that by hand). The tests that
import this copy check other physics (the on-chip tier, precision fallbacks, launches, the sensitivity and
safety solvers) with hand arithmetic written for the whole pass as one kernel: 8.18 GFLOP per image,
weights + 2 x 11,113,984 conv outputs per image, the registry's sums, which this copy keeps.
"""

from mlsysim import Models

RESNET50_TOTALS = Models.ResNet50.model_copy(update={"layer_shapes": None})
