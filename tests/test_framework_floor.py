"""The framework-bound floor of PyTorch eager inference, re-derived by hand from a published measurement.

Source: Fernandez, Kahn, Na, Bisk & Strubell 2023, "The Framework Tax" (EMNLP 2023, arXiv:2302.06117), the
released latencies in github.com/JaredFern/Framework-Tax, commit a36b38d,
experiments/pretrained/2022_0919_pretrained-fp32/<gpu>.csv (column ``latency`` in seconds, mean of 10 runs
timed with torch.utils.benchmark.Timer, model in fp32, eval mode, one CPU thread). A row is framework-bound when
the latency at batch 2 and 4 stays within 15% of batch 1: the device's work grows with the batch, so a flat
latency is the host's. Host time per operator = batch-1 latency / operators one forward pass runs, counted from
torchvision's forward code (the CSV's ``_calls`` columns count modules, not calls).

Operators per forward pass (torchvision):
  resnet18: 20 conv + 20 BN + 17 ReLU (stem + 2 per basic block x 8) + 8 residual adds + maxpool + avgpool + fc = 68
  resnext50_32x4d: as ResNet-50, 53 conv + 53 BN + 49 ReLU + 16 add + maxpool + avgpool + fc = 174
  googlenet (eval, no aux heads): 57 x (conv + BN + ReLU) + 13 maxpool + 9 cat + avgpool + fc = 195
Tolerance: 1e-9 relative (float arithmetic only) unless a line says otherwise.
"""

import pytest

from mlsysim import Q_, Engine, Models
from mlsysim.physics import kernels
from mlsysim.solvers.single_node import kernel_counts
from mlsysim.wall_registry import LaunchOverheads

REL = 1e-9
TAX = 10e-6  # the registry's dispatch tax per invocation on the V100

# (file, model, latency at batch 1, 2, 4 in seconds, operators per forward pass), copied from the CSVs
ROWS = [
    ("2022_0919_pretrained-fp32/v100.csv", "resnet18",
     (0.0024068962782621385, 0.002431516349315643, 0.0023502971976995467), 20 + 20 + 17 + 8 + 1 + 1 + 1),
    ("2022_0919_pretrained-fp32/RTX-8000.csv", "resnext50_32x4d",
     (0.009729685448110105, 0.0110783526673913, 0.011011625453829766), 53 + 53 + 49 + 16 + 1 + 1 + 1),
    ("2022_0919_pretrained-fp32/3090.csv", "googlenet",
     (0.007313345745205879, 0.007486036792397498, 0.007453007064759732), 57 * 3 + 13 + 9 + 1 + 1),
]
# the derivation over all 38 framework-bound fp32 rows (registry/walls/efficiency.toml, framework_tax_floor)
MEDIAN_US, LOW_US, HIGH_US = 47.8, 27.0, 61.4


def per_operator_us(latencies, operators):
    return latencies[0] / operators * 1e6


@pytest.mark.parametrize("row", ROWS, ids=[r[1] for r in ROWS])
def test_rows_are_framework_bound_and_inside_the_stated_range(row):
    _, _, lat, ops = row
    assert lat[1] <= 1.15 * lat[0] and lat[2] <= 1.15 * lat[0]  # flat from batch 1 to 4: the host binds
    assert LOW_US <= per_operator_us(lat, ops) <= HIGH_US


def test_three_rows_by_hand():
    # V100 resnet18: 2.4069 ms / 68 = 35.40 us; RTX 8000 resnext50: 9.7297 ms / 174 = 55.92 us;
    # RTX 3090 googlenet: 7.3133 ms / 195 = 37.50 us. The registry's 48 us lies between the fastest and slowest host.
    got = [per_operator_us(lat, ops) for _, _, lat, ops in ROWS]
    assert got == pytest.approx([35.40, 55.92, 37.50], abs=0.01)
    assert min(got) < 48 < max(got)


def test_registry_entry_carries_the_derived_figure():
    e = LaunchOverheads.get("pytorch_eager")
    assert e.launch_time.m_as("us") == pytest.approx(48)  # the 47.8 us median to two figures
    assert abs(48 - MEDIAN_US) < 0.5
    text = str(e.provenance("launch_time"))
    assert "The Framework Tax" in text and "[derived" in text and "median 47.8 us" in text


def test_the_dle_floors_fall_inside_the_framework_tax_range():
    # NVIDIA DeepLearningExamples ResNet-50 batch-1 latencies (validation/single_node.toml) per eager operator:
    # FP32 10.37 ms / 174 = 59.6 us; AMP (torch.autocast: + 54 weight casts) 12.78 ms / 228 = 56.1 us (V100),
    # 12.96 ms / 228 = 56.8 us (T4): all inside the 27.0-61.4 us the Framework Tax hosts show
    for ms, ops in ((10.37, 174), (12.78, 174 + 54), (12.96, 174 + 54)):
        assert LOW_US <= ms * 1e3 / ops <= HIGH_US


def test_autocast_adds_one_cast_per_weight_layer():
    assert kernels.autocast_cast_launches(54, True) == 54
    assert kernels.autocast_cast_launches(54, False) == 0
    rn50 = Models.get("resnet50")
    assert kernel_counts(rn50, "eager", False, True) == (174 + 54, 54, 174 - 54)  # casts add launches, not BN/ReLU traffic
    assert kernel_counts(rn50, "eager", False, False) == (174, 54, 120)
    assert kernel_counts(rn50, "fused", False, True) == (56, 54, 0)  # a compiled runtime folds the casts away


def test_batch1_resnet50_on_v100_is_host_bound_by_hand():
    # fp32: 174 x 48 us = 8.352 ms + 10 us = 8.362 ms; AMP (autocast): 228 x 48 us = 10.944 ms + 10 us = 10.954 ms.
    # Both exceed the device's work (fp16: 785.8 us, test_single_node_cnn; fp32 8.18e9 / (15.7e12 x 0.1) = 5.21 ms
    # + traffic), so the launches bind
    fp32 = Engine.solve("resnet50", "v100", batch_size=1, precision="fp32")
    amp = Engine.solve("resnet50", "v100", batch_size=1, precision="fp16", mixed_precision="autocast")
    master = Engine.solve("resnet50", "v100", batch_size=1, precision="fp16")
    assert fp32.latency.m_as("s") == pytest.approx(174 * 48e-6 + TAX, rel=REL)
    assert amp.latency.m_as("s") == pytest.approx(228 * 48e-6 + TAX, rel=REL)
    assert master.latency.m_as("s") == pytest.approx(174 * 48e-6 + TAX, rel=REL)
    assert fp32.bound == amp.bound == "software"
    for r in (fp32, amp):
        assert r.launch_time > r.compute_time and r.launch_time > r.memory_time


def test_launch_cost_is_a_quantity_in_time():
    assert LaunchOverheads.get("pytorch_eager").launch_time.to("s").magnitude == pytest.approx(Q_("48 us").m_as("s"))
