"""Questions and the cost curves of the own-or-rent lab (Volume II, chapter 2).

Every number is the engine's: ``EconomicsModel`` for the purchase price (the registry's H100 unit
cost, an estimate), the energy bill (facility energy x price, PUE included) and maintenance;
``SustainabilityModel`` for the fleet's power at the meter; the kernels appended under
``# --- Labs: own or rent ---`` for the cumulative costs and the break-even time. The chart is the
kit's ``viz.cost_over_time_spec`` (own against rent), sampled once a month.
"""

from __future__ import annotations

from mlsysim import EconomicsModel, SustainabilityModel, viz
from mlsysim.physics import kernels
from mlsysim.solvers.defaults import YEAR_S

from ..questions import Prediction, Question

HARDWARE = "h100"
MONTH_S = YEAR_S / 12.0  # a calendar month, on average (display and sampling unit)
HOUR_S = 3600.0
MAX_GPUS = 16384

_ECON, _SUST = EconomicsModel(), SustainabilityModel()


class Costs:
    """Own against rent for one configuration, per month, from the engine."""

    def __init__(self, gpus: int, utilization: float, price: float, pue: float, rate: float):
        self.month = _ECON.solve(HARDWARE, f"{MONTH_S} s", count=int(gpus), electricity_price=f"{price} USD/kWh",
                                 pue=float(pue), utilization=float(utilization))
        self.power = _SUST.solve(HARDWARE, f"{MONTH_S} s", grid="us_average", count=int(gpus), pue=float(pue),
                                 utilization=float(utilization))
        self.upfront = self.month.capex.to("USD").magnitude
        self.energy_per_month = self.month.energy_cost.to("USD").magnitude
        self.maintenance_per_month = self.month.maintenance_cost.to("USD").magnitude
        self.own_per_month = self.energy_per_month + self.maintenance_per_month
        self.rent_per_month = kernels.utilised_rental_cost(rate / HOUR_S, int(gpus), MONTH_S, float(utilization))
        self.margin_per_month = self.rent_per_month - self.own_per_month  # what owning saves each month
        self.break_even_months = kernels.break_even_time(self.upfront, self.own_per_month, self.rent_per_month)

    def own(self, months: float) -> float:
        return kernels.owned_cumulative_cost(self.upfront, self.own_per_month, months)

    def rent(self, months: float) -> float:
        return kernels.owned_cumulative_cost(0.0, self.rent_per_month, months)  # nothing up front

    def curves(self, years: int) -> tuple[list[int], list[float], list[float]]:
        months = list(range(0, 12 * int(years) + 1))
        return months, [self.own(m) for m in months], [self.rent(m) for m in months]

    def chart(self, years: int, title: str) -> viz.Chart:
        return viz.cost_over_time_spec(*self.curves(years), title=title)


def break_even(utilization: float, rate: float, price: float = 0.08, pue: float = 1.3, gpus: int = 256) -> float:
    """Months until owning is cheaper (inf: never)."""
    return Costs(gpus, utilization, price, pue, rate).break_even_months


# --- check yourself ---------------------------------------------------------------------------
def _be_math(utilization, rate) -> str:
    c = Costs(256, utilization, 0.08, 1.3, rate)
    return (f"t* = purchase ÷ (rent per month − running cost per month) = {c.upfront:,.0f} ÷ "
            f"({c.rent_per_month:,.0f} − {c.own_per_month:,.0f}) = **{c.break_even_months:.3g} months**; "
            "every term scales with the fleet size, so the break-even does not depend on it.")


def _own_math(gpus, years, utilization) -> str:
    c = Costs(gpus, utilization, 0.08, 1.3, 2.5)
    return (f"own = purchase + running × months = {c.upfront:,.0f} + {c.own_per_month:,.0f} × {12 * years} = "
            f"**{c.own(12 * years) / 1e6:,.4g} M USD**.")


QUESTIONS = [
    Question(
        id="break_even_months",
        prompt=("256 H100s, busy **{utilization:.0%}** of the time; electricity 0.08 USD/kWh, PUE 1.3; the cloud "
                "charges **{rate} USD per GPU-hour**, billed only for the hours used. After how many **months** "
                "does buying become cheaper than renting?"),
        variants={"utilization": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0], "rate": [2.0, 2.5, 3.0, 4.0]},
        answer=lambda utilization, rate: break_even(utilization, rate),
        tolerance=0.03, unit="months",
        hint="Break-even = purchase price ÷ (monthly rent − monthly energy and maintenance of owning).",
        math=_be_math,
    ),
    Question(
        id="own_total",
        prompt=("**{gpus:,} H100s**, bought and run for **{years} years** at **{utilization:.0%}** utilisation "
                "(0.08 USD/kWh, PUE 1.3): what do they cost in total, in **millions of USD**?"),
        variants={"gpus": [64, 256, 1024, 4096], "years": [1, 2, 3, 4], "utilization": [0.5, 0.8, 1.0]},
        answer=lambda gpus, years, utilization: Costs(gpus, utilization, 0.08, 1.3, 2.5).own(12 * years) / 1e6,
        tolerance=0.03, unit="M USD",
        hint="Purchase (paid on day one) + months × (energy bill + maintenance per month).",
        math=_own_math,
    ),
]

_WHEN = ["within a year", "in one to three years", "after more than three years, or never"]


def _when(months: float) -> str:
    return _WHEN[0] if months <= 12 else _WHEN[1] if months <= 36 else _WHEN[2]


PREDICTIONS = [
    Prediction(
        id="break_even_when",
        prompt=("A lab buys 256 H100s (about 30,000 USD each) instead of renting them at 2.5 USD per GPU-hour. "
                "Its GPUs are busy half the time, and the cloud would bill only those hours. When does buying "
                "pay off?"),
        options=_WHEN,
        truth=lambda: _when(break_even(0.5, 2.5)),
    ),
]
