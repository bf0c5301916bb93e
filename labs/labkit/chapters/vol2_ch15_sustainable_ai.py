"""Questions, comparisons and charts of the sustainable-AI lab (Volume II, chapter 15).

Every number is ``SustainabilityModel``'s: one run compared across every grid in the registry
(``compare``), operational carbon (facility energy x grid intensity), embodied carbon (the run's
straight-line share of manufacturing) and water (IT energy x WUE). The grids' carbon intensities
are measured (Ember 2023, EMA) or estimated (Quebec, the US states); their PUE and WUE are
estimates for a hyperscale hall in that climate (see registry/grids.toml).

The kit's ``viz.carbon_by_region_spec`` draws the carbon; ``mlsysim.viz`` has no water chart and
no carbon-share chart, so both are written here as Vega-Lite templates filled by ``viz.fill``.
"""

from __future__ import annotations

from mlsysim import Grids, SustainabilityModel, viz
from mlsysim.solvers.defaults import DEFAULT_EMBODIED_CARBON_KG
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE

from ..questions import Prediction, Question

HARDWARE = "h100"
MAX_GPUS = 65536

_MODEL = SustainabilityModel()


def grids() -> dict[str, str]:
    """{the grid's name: its registry key}, in registry order."""
    return {g.name: g.key for g in Grids.list()}


def solve(grid: str, gpus: int, days: float, pue: float, lifetime_years: float):
    """The engine's footprint of ``gpus`` H100s for ``days`` on ``grid``."""
    return _MODEL.solve(HARDWARE, f"{days} day", grid=grid, count=int(gpus), pue=float(pue),
                        lifetime=f"{lifetime_years} year")


def compare(gpus: int, days: float, pue: float, lifetime_years: float) -> dict:
    """{grid name: result} for the same run on every registry grid."""
    return _MODEL.compare(HARDWARE, f"{days} day", list(grids().values()), count=int(gpus), pue=float(pue),
                          lifetime=f"{lifetime_years} year")


def tonnes(q) -> float:
    return q.to("tCO2e").magnitude


def embodied_share(result) -> float:
    """Embodied carbon's share of the total, in per cent."""
    return 100.0 * tonnes(result.embodied_carbon) / tonnes(result.total_carbon)


def carbon_chart(results: dict) -> viz.Chart:
    rows = [{"region": name, "carbon_kg": r.total_carbon.to("kg").magnitude,
             "energy_kwh": r.facility_energy.to("kWh").magnitude} for name, r in results.items()]
    return viz.carbon_by_region_spec(rows, "Carbon of the same run by grid region (operational + embodied)")


def _bars(name: str, x_title: str, colour_domain: list[str], colours: list[str]) -> dict:
    """A horizontal bar chart of ``rows`` (region/part, value, label), coloured by ``kind``."""
    enc = {"x": {"field": "value", "type": "quantitative", "title": x_title},
           "y": {"field": "row", "type": "nominal", "sort": None, "title": None},
           "color": {"field": "kind", "type": "nominal", "title": None,
                     "scale": {"domain": colour_domain, "range": colours}},
           "tooltip": [{"field": "row", "type": "nominal"}, {"field": "label", "type": "nominal"}]}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
        "autosize": {"contains": "padding", "type": "fit"},
        "config": {"axis": {"gridColor": "#dddddd", "labelFontSize": 12, "titleFontSize": 12},
                   "legend": {"labelFontSize": 12, "orient": "bottom", "titleFontSize": 12}},
        "height": 300 if name == "water" else 110, "width": "container",
        "usermeta": {"embedOptions": {"actions": False, "renderer": "svg"}},
        "data": {"name": name},
        "layer": [{"mark": {"type": "bar"}, "encoding": enc},
                  {"mark": {"type": "text", "align": "left", "dx": 4},
                   "encoding": {**enc, "text": {"field": "label", "type": "nominal"}}}],
    }


WATER_TEMPLATE = _bars("water", "Water consumed (m³)", ["chosen region", "other regions"],
                       [PALETTE["vermillion"], PALETTE["sky"]])
SHARE_TEMPLATE = _bars("share", "Carbon (t CO2e)", ["operational", "embodied"], [PALETTE["blue"], PALETTE["orange"]])


def water_chart(results: dict, chosen: str) -> viz.Chart:
    rows = sorted(({"row": name, "value": r.water.to("m^3").magnitude, "label": f"{fmt(r.water.to('m^3').magnitude)} m³",
                    "kind": "chosen region" if name == chosen else "other regions"}
                   for name, r in results.items() if r.water is not None), key=lambda row: row["value"])
    summary = "Water by region: " + ", ".join(f"{r['row']} {r['label']}" for r in rows) + "."
    datasets = {"water": rows}
    return viz.Chart(viz.fill(WATER_TEMPLATE, datasets, title="Water of the same run by grid region"), datasets, summary)


def share_chart(result) -> viz.Chart:
    op, emb = tonnes(result.operational_carbon), tonnes(result.embodied_carbon)
    share = embodied_share(result)
    rows = [{"row": "operational (electricity)", "value": op, "kind": "operational",
             "label": f"{fmt(op)} t ({100 - share:.0f} %)"},
            {"row": "embodied (manufacturing)", "value": emb, "kind": "embodied", "label": f"{fmt(emb)} t ({share:.0f} %)"}]
    summary = (f"In {result.grid}: operational {fmt(op)} t CO2e, embodied {fmt(emb)} t CO2e; "
               f"embodied is {share:.0f} % of the total.")
    datasets = {"share": rows}
    return viz.Chart(viz.fill(SHARE_TEMPLATE, datasets, title=f"Operational against embodied carbon in {result.grid}"),
                     datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
_RUN = {"grid": ["quebec", "france", "germany", "india", "poland", "us_average"], "gpus": [512, 1024, 4096],
        "days": [10, 30, 90]}


def _grid_name(grid, **_) -> dict:
    return {"grid_name": Grids.get(grid).name}


def _op_math(grid, gpus, days) -> str:
    r = solve(grid, gpus, days, 1.2, 4)
    return (f"operational = N × TDP × time × PUE × intensity = {r.facility_energy.to('MWh').magnitude:,.4g} MWh × "
            f"{r.carbon_intensity.to('gCO2e/kWh').magnitude:g} gCO2e/kWh = **{tonnes(r.operational_carbon):,.4g} t CO2e**.")


def _water_math(grid, gpus, days) -> str:
    r = solve(grid, gpus, days, 1.2, 4)
    return (f"water = IT energy × WUE = {r.it_energy.to('MWh').magnitude:,.4g} MWh × WUE of {r.grid} = "
            f"**{r.water.to('m^3').magnitude:,.4g} m³** (WUE counts IT energy, not the PUE overhead).")


def _share_math(grid, lifetime_years) -> str:
    r = solve(grid, 1024, 30, 1.2, lifetime_years)
    return (f"embodied = {DEFAULT_EMBODIED_CARBON_KG:g} kg × 1,024 × 30 days ÷ {lifetime_years} years = {tonnes(r.embodied_carbon):.4g} t; "
            f"operational = {tonnes(r.operational_carbon):.4g} t; share = **{embodied_share(r):.3g} %**.")


QUESTIONS = [
    Question(
        id="operational_t",
        prompt=("**{gpus:,} H100s** train for **{days} days** at full load in **{grid_name}**, PUE **1.2**. How many "
                "**tonnes of CO2e** does the electricity emit (operational carbon)?"),
        variants=_RUN, answer=lambda grid, gpus, days: tonnes(solve(grid, gpus, days, 1.2, 4).operational_carbon),
        tolerance=0.03, unit="t CO2e", describe=_grid_name,
        hint="Energy = GPUs × 700 W × hours (at full load) × PUE; multiply by the grid's gCO2e per kWh.",
        math=_op_math,
    ),
    Question(
        id="water_m3",
        prompt=("The same kind of run: **{gpus:,} H100s** for **{days} days** in **{grid_name}** (PUE 1.2). How many "
                "**cubic metres of water** does the data centre consume?"),
        variants=_RUN, answer=lambda grid, gpus, days: solve(grid, gpus, days, 1.2, 4).water.to("m^3").magnitude,
        tolerance=0.03, unit="m³", describe=_grid_name,
        hint="Water = IT energy (without the PUE overhead) × the region's WUE in L/kWh; 1 m³ = 1,000 L.",
        math=_water_math,
    ),
    Question(
        id="embodied_share",
        prompt=("1,024 H100s for 30 days in **{grid_name}**, PUE 1.2, each GPU written off over **{lifetime_years} "
                "years**: what **percentage** of the run's total carbon is embodied (manufacturing)?"),
        variants={"grid": _RUN["grid"], "lifetime_years": [2, 3, 4, 6]},
        answer=lambda grid, lifetime_years: embodied_share(solve(grid, 1024, 30, 1.2, lifetime_years)),
        tolerance=0.03, unit="%", describe=_grid_name,
        hint=f"Embodied = {DEFAULT_EMBODIED_CARBON_KG:g} kg per GPU × (30 days ÷ lifetime); share = embodied ÷ (embodied + operational).",
        math=_share_math,
    ),
]

_WORDS = {"operational": "operational (the electricity)", "embodied": "embodied (making the GPUs)"}

PREDICTIONS = [
    Prediction(
        id="quebec_bound",
        prompt=("1,024 H100s train for 30 days in **Quebec**, on hydro power. Which is the larger part of the run's "
                "carbon footprint?"),
        options=list(_WORDS.values()),
        truth=lambda: _WORDS[str(solve("quebec", 1024, 30, 1.15, 4).dominant)],
    ),
]
