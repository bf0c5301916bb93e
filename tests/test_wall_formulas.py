"""The walls' unit-checked formula wrappers: hand-derived values and clear errors."""

import math

import pytest

from mlsysim.core.errors import InputError
from mlsysim.physics import formulas as f


def test_values_by_hand():
    assert f.calc_quantized_weight_size(7e9, 4).m_as("GB") == pytest.approx(3.5)  # 7e9 x 4 / 8
    assert f.calc_two_four_sparse_size(1e9, 16).m_as("GB") == pytest.approx(1.125)  # 1e9 / 2 x 18 / 8
    # SD 1.5: 50 x 2 x 888.9 + 2 x 13.56 + 2544 GFLOP = 91,461.1 GFLOP
    assert f.calc_diffusion_image_flops(50, "888.9 GFLOP", "13.56 GFLOP", "2544 GFLOP").m_as("GFLOP") == pytest.approx(91461.12)
    assert f.calc_diffusion_image_flops(50, "888.9 GFLOP", "0 GFLOP", "0 GFLOP", guidance=False).m_as("GFLOP") == pytest.approx(44445)
    assert f.calc_test_time_flops(8e9, 512, 2256, 8).m_as("TFLOP") == pytest.approx(16e9 * (512 + 8 * 2256) / 1e12)
    assert f.calc_compute_matched_samples(70e9, 7e9, 2) == pytest.approx(20.0)
    assert f.calc_gemm_flops(4096, 4096, 4096).m_as("GFLOP") == pytest.approx(137.438953472)
    assert f.calc_launch_overhead(160, "10 us").m_as("ms") == pytest.approx(1.6)
    assert f.calc_required_flops("289 TFLOP", "2 s", 0.5).m_as("TFLOP/s") == pytest.approx(289)
    assert f.calc_required_bandwidth("141 GB", "2 s").m_as("GB/s") == pytest.approx(70.5)


@pytest.mark.parametrize("call,field", [
    (lambda: f.calc_quantized_weight_size(7e9, 0), "bits"), (lambda: f.calc_quantized_weight_size("7 GB", 4), "parameters"),
    (lambda: f.calc_two_four_sparse_size(-1, 16), "parameters"),
    (lambda: f.calc_diffusion_image_flops(0, "1 GFLOP", "0 flop", "0 flop"), "steps"),
    (lambda: f.calc_diffusion_image_flops(10, "1 GB", "0 flop", "0 flop"), "backbone_flops"),
    (lambda: f.calc_diffusion_image_flops(10, "1 GFLOP", "-1 flop", "0 flop"), "text_encoder_flops"),
    (lambda: f.calc_diffusion_image_flops(10, "1 GFLOP", "0 flop", "0 flop", guidance="yes"), "guidance"),
    (lambda: f.calc_test_time_flops(8e9, 0, 10), "prompt_tokens"), (lambda: f.calc_test_time_flops(math.nan, 1, 10), "active_parameters"),
    (lambda: f.calc_compute_matched_samples(70e9, 0, 1), "small_active_parameters"),
    (lambda: f.calc_gemm_flops(0, 1, 1), "m"), (lambda: f.calc_launch_overhead(-1, "1 us"), "kernels"),
    (lambda: f.calc_launch_overhead(1, "1 GB"), "launch_time"), (lambda: f.calc_required_flops("1 TFLOP", "0 s"), "target_time"),
    (lambda: f.calc_required_flops("1 TFLOP", "1 s", 1.5), "efficiency"),
    (lambda: f.calc_required_bandwidth("1 TFLOP", "1 s"), "nbytes"),
])
def test_bad_input(call, field):
    with pytest.raises(InputError) as err:
        call()
    assert err.value.field == field
