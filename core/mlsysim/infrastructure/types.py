"""Infrastructure: the electricity grid and the datacenter around the hardware."""

from __future__ import annotations

from ..core.types import PUE, CarbonIntensity, EnergyPrice, Model, WaterIntensity


class GridProfile(Model):
    """A grid region: carbon intensity, typical datacenter PUE and WUE there, electricity price."""

    name: str
    key: str = ""
    attr: str = ""
    region: str = ""
    aliases: tuple[str, ...] = ()
    # every quantity finite and >= 0 (see core.types); pue in [1, 3] (checks.pue)
    carbon_intensity: CarbonIntensity
    pue: PUE = 1.1
    wue: WaterIntensity | None = None
    electricity_price: EnergyPrice | None = None

    def __repr__(self) -> str:
        return f"GridProfile({self.name!r}, {self.carbon_intensity:~P})"


class Datacenter(Model):
    """A facility on a grid; its PUE overrides the grid's typical one when given."""

    name: str
    grid: GridProfile
    pue: PUE | None = None

    @property
    def effective_pue(self) -> float:
        return self.pue if self.pue is not None else self.grid.pue
