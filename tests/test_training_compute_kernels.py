"""Training time from training compute, C / (N x peak x efficiency) (Amodei & Hernandez 2018), by hand."""
import pytest

from mlsysim import InputError, Q_
from mlsysim.physics import formulas, kernels


def test_training_duration_by_hand():
    # AlexNet, 0.0058 pfs-days = 0.0058 x 1e15 x 86,400 = 5.011e17 FLOP, on 2 GTX 580s (1.58 TFLOP/s each)
    # at 33 %: 5.011e17 / (2 x 1.58e12 x 0.33) = 4.805e5 s = 5.56 days (the paper says "five to six days")
    assert kernels.training_duration(5.011e17, 2, 1.58e12, 0.33) / 86400 == pytest.approx(5.56, rel=1e-2)
    # GPT-3, 3.14e23 FLOP on 1,024 A100s at 312 TFLOP/s and 50 %: 3.14e23 / 1.5974e17 = 1.9657e6 s = 22.75 days
    d = formulas.calc_training_duration(Q_("3.14e23 flop"), 1024, Q_("312 TFLOP/s"), 0.5)
    assert d.to("day").magnitude == pytest.approx(22.75, rel=1e-3)


def test_accelerators_for_duration_by_hand():
    # Llama 3.1 405B, 3.8e25 FLOP in 54 days on H100s (989 TFLOP/s) at 40 %:
    # 3.8e25 / (54 x 86,400 x 989e12 x 0.4) = 3.8e25 / 1.8459e21 = 20,587 GPUs
    n = formulas.calc_accelerators_for_duration(Q_("3.8e25 flop"), Q_("54 day"), Q_("989 TFLOP/s"), 0.4)
    assert n.magnitude == pytest.approx(20587, rel=1e-3)
    # the two are inverses
    assert kernels.training_duration(3.8e25, kernels.accelerators_for_duration(3.8e25, 100.0, 1e15, 0.5), 1e15, 0.5) == pytest.approx(100.0)


@pytest.mark.parametrize("kwargs,field", [
    ({"accelerators": 0}, "accelerators"), ({"efficiency": 1.5}, "efficiency"), ({"ops": Q_("-1 flop")}, "ops"),
])
def test_bad_input_names_the_argument(kwargs, field):
    args = {"ops": Q_("1e20 flop"), "accelerators": 8, "peak_flops": Q_("989 TFLOP/s"), "efficiency": 0.5} | kwargs
    with pytest.raises(InputError) as e:
        formulas.calc_training_duration(**args)
    assert e.value.field == field
