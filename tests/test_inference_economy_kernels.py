"""The inference economy: dollars per million tokens, by hand."""
import math

import pytest

from mlsysim import InputError
from mlsysim.physics import formulas, kernels


def test_cost_per_million_tokens_by_hand():
    # 4 accelerators at 1.10 USD/hour = 4.40 USD/hour = 4.40 / 3600 USD/s; 1,000 tokens/s:
    # 1e6 x (4.40 / 3600) / 1000 = 1.2222 USD per million tokens
    assert kernels.cost_per_million_tokens(4.40 / 3600, 1000.0) == pytest.approx(1.22222, rel=1e-5)
    # nothing produced: no finite price
    assert math.isinf(kernels.cost_per_million_tokens(1.0, 0.0))


def test_cost_per_million_tokens_formula_units():
    # 2.5 USD/hour producing 250 tokens/s = 900,000 tokens/hour: 2.5 / 0.9 = 2.7778 USD per million
    c = formulas.calc_cost_per_million_tokens("2.5 USD/hour", "250 1/s")
    assert c.to("USD").magnitude == pytest.approx(2.77778, rel=1e-5)


@pytest.mark.parametrize("cost,rate,field", [("-1 USD/hour", "10 1/s", "cost_rate"), ("1 USD/hour", "0 1/s", "token_rate"),
                                             ("1 USD", "10 1/s", "cost_rate")])
def test_cost_per_million_tokens_bad_input_names_the_argument(cost, rate, field):
    with pytest.raises(InputError) as e:
        formulas.calc_cost_per_million_tokens(cost, rate)
    assert field in str(e.value)
