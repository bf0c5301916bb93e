"""The experiment-budget kernels (whole runs within a limit, the limit that binds), by hand."""
import pytest

from mlsysim import InputError, formulas as f
from mlsysim.physics import kernels as k


def test_runs_within_a_limit_by_hand():
    # a 168 h week and runs of 6 h each: 168 / 6 = 28 runs exactly; of 6.04 h: 27.81, so 27 whole runs
    assert k.experiments_within(168.0, 6.0) == pytest.approx(28.0)
    assert k.complete_experiments(168.0, 6.0) == 28
    assert k.experiments_within(168.0, 6.04) == pytest.approx(27.815, rel=1e-4)
    assert k.complete_experiments(168.0, 6.04) == 27
    # a limit smaller than one run buys none
    assert k.complete_experiments(500.0, 966.0) == 0
    # 0.3 / 0.1 is 2.9999999999999996 in floating point: still 3 whole runs
    assert k.complete_experiments(0.3, 0.1) == 3


def test_the_smallest_allowance_binds():
    # deadline 27.8 runs, budget 15.5, carbon 21.0: the budget ends the project first
    assert k.binding_limit({"time": 27.8, "money": 15.5, "carbon": 21.0}) == "money"
    assert k.binding_limit({"time": 3.8, "money": 15.5, "carbon": 21.0}) == "time"
    # a tie goes to the first name
    assert k.binding_limit({"time": 10.0, "money": 10.0}) == "time"


def test_units_at_the_edges():
    # a week in days against runs in hours: 7 d = 168 h; 168 / 6 = 28
    assert f.calc_experiments_within("7 day", "6 hour", "time").magnitude == pytest.approx(28.0)
    # 15,000 USD at 966.2 USD per run: 15.52 runs, 15 whole
    assert f.calc_experiments_within("15000 USD", "966.2 USD", "money").magnitude == pytest.approx(15.525, rel=1e-4)
    assert f.calc_complete_experiments("15000 USD", "966.2 USD", "money").magnitude == 15
    # 2 tCO2e at 95 kgCO2e per run: 2,000 / 95 = 21.05 runs
    assert f.calc_complete_experiments("2 tCO2e", "95 kgCO2e", "mass").magnitude == 21


@pytest.mark.parametrize("limit,per,kind,field", [
    ("7 day", "0 hour", "time", "per_experiment"),
    ("-5 USD", "1 USD", "money", "limit"),
    ("7 day", "6 USD", "time", "per_experiment"),   # a cost is not a time
    ("7 day", "6 hour", "weeks", "kind"),
])
def test_bad_input_names_the_argument(limit, per, kind, field):
    with pytest.raises(InputError, match=field):
        f.calc_experiments_within(limit, per, kind)


def test_accelerators_a_budget_rents_by_hand():
    # 15,000 USD at 2.5 USD per GPU-hour for a 168 h week: 15,000 / (2.5 x 168) = 15,000 / 420 = 35.714 GPUs
    assert k.accelerators_rentable(15000.0, 2.5, 168.0) == pytest.approx(35.714, rel=1e-4)
    # with units: 7 days = 604,800 s, 2.5 USD/hour = 6.944e-4 USD/s: the same 35.714
    n = f.calc_accelerators_rentable("15000 USD", "2.5 USD/hour", "7 day")
    assert n.magnitude == pytest.approx(35.714, rel=1e-4)
    with pytest.raises(InputError, match="hourly_rate"):
        f.calc_accelerators_rentable("15000 USD", "0 USD/hour", "7 day")
