"""Bad input gets a clear error naming the field, the value and what is accepted."""

import math

import pytest
from pydantic import ValidationError

from mlsysim import Q_, Engine, Hardware, InputError, Models, UnknownEntryError, sweep
from mlsysim.hardware.types import ComputeCore, MemoryHierarchy
from mlsysim.solvers import ServingModel


@pytest.mark.parametrize("batch", [0, -4, 2.5, "8", True, None])
def test_batch_size(batch):
    with pytest.raises(InputError) as info:
        Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, batch_size=batch)
    assert "batch_size" in str(info.value) and "integer >= 1" in str(info.value)


@pytest.mark.parametrize("eff", [0, -0.1, 1.5, "high"])
def test_efficiency(eff):
    with pytest.raises(InputError, match=r"efficiency.*\(0, 1\]"):
        Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, efficiency=eff)


def test_unknown_precision_lists_accepted():
    with pytest.raises(InputError) as info:
        Engine.solve(model=Models.ResNet50, hardware=Hardware.Cloud.H100, precision="fp12")
    msg = str(info.value)
    assert "fp12" in msg and "fp32" in msg and "int4" in msg


def test_unknown_registry_name_suggests_close_names():
    with pytest.raises(UnknownEntryError) as info:
        Hardware.get("H10O")
    assert "h100" in [s.lower() for s in info.value.suggestions]
    with pytest.raises(AttributeError, match="H100"):
        Hardware.Cloud.H1OO


def test_zero_bandwidth():
    with pytest.raises(ValidationError, match="memory.bandwidth"):
        MemoryHierarchy(capacity=Q_("80 GB"), bandwidth=Q_("0 GB/s"))


def test_string_where_quantity_expected():
    with pytest.raises(ValidationError) as info:
        MemoryHierarchy(capacity="lots", bandwidth=Q_("1 TB/s"))
    assert "capacity" in str(info.value) and "'lots'" in str(info.value)


def test_wrong_dimension_gbs_for_flops():
    with pytest.raises(ValidationError) as info:
        ComputeCore(peak_flops=Q_("3.35 TB/s"))
    msg = str(info.value)
    assert "peak_flops" in msg and "TFLOP/s" in msg and "[information] / [time]" in msg


def test_sparse_below_dense_rejected():
    with pytest.raises(ValidationError, match="sparse_flops.fp16"):
        ComputeCore(peak_flops=Q_("100 TFLOP/s"), precision_flops={"fp16": Q_("100 TFLOP/s")}, sparse_flops={"fp16": Q_("50 TFLOP/s")})


def test_model_where_hardware_expected():
    with pytest.raises(InputError, match="hardware"):
        Engine.solve(model=Models.ResNet50, hardware=Models.ResNet50)


def test_serving_seq_len():
    with pytest.raises(InputError, match="seq_len"):
        ServingModel().solve(Models.Language.Llama3_8B, Hardware.Cloud.H100, seq_len=0)


def test_sweep_empty_list():
    with pytest.raises(InputError, match="batch_sizes"):
        sweep(models=[Models.ResNet50], hardware=[Hardware.Cloud.H100], batch_sizes=[])


def test_transformer_shape_checks():
    from mlsysim import TransformerWorkload

    with pytest.raises(ValidationError, match="kv_heads"):
        TransformerWorkload(name="x", parameters=1e9, layers=2, hidden_dim=64, heads=8, kv_heads=3)
    with pytest.raises(ValidationError, match="active_parameters"):
        TransformerWorkload(name="x", parameters=1e9, layers=2, hidden_dim=64, heads=8, experts=8, experts_per_token=2)


def test_model_copy_with_update_revalidates_and_recomputes_floats():
    h100 = Hardware.Cloud.H100
    faster = h100.model_copy(update={"tdp": Q_("1000 W")})
    assert faster._si["tdp"] == 1000.0 and h100._si["tdp"] == 700.0
    with pytest.raises(ValidationError, match="tdp"):
        h100.model_copy(update={"tdp": Q_("3 TB/s")})


# -- the formula library checks plain floats and strings as strictly as Quantities ---------------
from mlsysim import formulas as f  # noqa: E402


@pytest.mark.parametrize("call, field", [
    (lambda: f.calc_failure_probability("-5 day", "100 hour"), "duration"),  # was 1 - exp(120/100) = -2.32
    (lambda: f.calc_energy("-700 W", "1 hour"), "power"),  # was -0.7 kWh
    (lambda: f.calc_arithmetic_intensity(Q_("1 GFLOP"), "-5 GB"), "nbytes"),  # was inf / negative
    (lambda: f.calc_kv_cache_size(32, 8, 128, 2048, 1, bytes_per_value="fp16"), "bytes_per_value"),  # was a TypeError
    (lambda: f.calc_young_daly_interval("-5 s", "1 hour"), "checkpoint_time"),  # was a math domain error
    (lambda: f.calc_chinchilla_optimal(Q_("1e23 flop"), 0), "tokens_per_parameter"),  # was ZeroDivisionError
    (lambda: f.calc_energy("1e300 W", "1e300 s"), "power, duration"),  # each finite, the product is inf
    (lambda: f.calc_ring_allreduce_time("1 GB", 2, "0 GB/s", "1 us"), "bandwidth"),
    (lambda: f.calc_activation_memory(2048, 1, 4096, 32, 32, sequence_parallel="False"), "sequence_parallel"),
    (lambda: f.calc_zero_memory(7e9, dp=8, stage=2.5), "stage"),
    (lambda: f.calc_amdahl_speedup(math.nan, 8), "parallel_fraction"),
])
def test_formula_examples_name_the_argument(call, field):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field


def test_quantities_finite_after_conversion():
    from mlsysim.core.units import to_float

    # 1e300 GB = 1e309 B, which overflows a float: rejected, although 1e300 itself is finite
    with pytest.raises(InputError, match="finite when converted"):
        to_float(Q_(1e300, "GB"), "capacity", "bytes")
    with pytest.raises(InputError, match="finite"):
        to_float(Q_(10**400, "B"), "capacity", "bytes")
    assert to_float(Q_(1e300, "B"), "capacity", "bytes") == 1e300
