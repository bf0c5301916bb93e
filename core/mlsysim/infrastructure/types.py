"""Infrastructure: the electricity grid and the datacenter around the hardware."""

from __future__ import annotations

from pydantic import model_validator

from ..core.errors import InputError
from ..core.types import CarbonIntensity, EnergyPrice, Model, WaterIntensity


class GridProfile(Model):
    """A grid region: carbon intensity, typical datacenter PUE and WUE there, electricity price."""

    name: str
    key: str = ""
    attr: str = ""
    region: str = ""
    aliases: tuple[str, ...] = ()
    carbon_intensity: CarbonIntensity
    pue: float = 1.1
    wue: WaterIntensity | None = None
    electricity_price: EnergyPrice | None = None

    @model_validator(mode="after")
    def _check(self):
        if not 1.0 <= self.pue <= 3.0:
            raise InputError("pue", self.pue, "a power usage effectiveness between 1.0 and 3.0")
        if self._si["carbon_intensity"] < 0:
            raise InputError("carbon_intensity", f"{self.carbon_intensity:~P}", "a value >= 0 gCO2e/kWh")
        return self

    def __repr__(self) -> str:
        return f"GridProfile({self.name!r}, {self.carbon_intensity:~P})"


class Datacenter(Model):
    """A facility on a grid; its PUE overrides the grid's typical one when given."""

    name: str
    grid: GridProfile
    pue: float | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.pue is not None and not 1.0 <= self.pue <= 3.0:
            raise InputError("pue", self.pue, "a power usage effectiveness between 1.0 and 3.0")
        return self

    @property
    def effective_pue(self) -> float:
        return self.pue if self.pue is not None else self.grid.pue
