"""Registry catalogues of edge energy: batteries, device idle and sustained power, radios.

Data in ``registry/edge/energy.toml`` (sections ``batteries``, ``device_power``, ``radios``), read
by the same loader as the other catalogues, every number with its source:

    Batteries.get("pixel8_battery")   -> Battery        (capacity, an energy such as '17.8 Wh')
    DevicePowers.get("iphone15pro")   -> DevicePower    (keyed by the Hardware entry's key)
    Radios.get("lte")                 -> RadioPower     (keyed by the Networks entry's key)

Used with ``physics.kernels`` (section "Labs: edge energy") for battery life, the sustained
(thermal) inference rate and the energy of offloading to the cloud.
"""

from __future__ import annotations

from pydantic import model_validator

from .core.catalog import Catalog
from .core.errors import InputError
from .core.types import Energy, Model, Power, QuantityOf, Time

EnergyPerByte = QuantityOf("energy_per_byte", positive=True)


class Battery(Model):
    """What a battery holds: its energy (capacity in Wh, not mAh: the voltage is folded in)."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    capacity: Energy

    @model_validator(mode="after")
    def _check(self):
        if self._si["capacity"] <= 0:
            raise InputError("capacity", f"{self.capacity:~P}", "a positive energy such as '17.8 Wh'")
        return self


class DevicePower(Model):
    """A device's power when awake but not computing (idle) and the power its case can shed for
    good without throttling (sustained); its burst power is the Hardware entry's TDP."""

    name: str
    key: str = ""  # the Hardware entry's key
    attr: str = ""
    aliases: tuple[str, ...] = ()
    idle_power: Power
    sustained_power: Power

    @model_validator(mode="after")
    def _check(self):
        if self._si["sustained_power"] < self._si["idle_power"]:
            raise InputError("sustained_power", f"{self.sustained_power:~P}",
                             f"a power at least the idle power ({self.idle_power:~P})")
        return self


class RadioPower(Model):
    """What a device's radio costs: its power while connected (sending, waiting for the answer and
    the tail after it), how long it stays connected after the last byte (the tail), and the
    energy of each bit sent (Huang et al., MobiSys 2012)."""

    name: str
    key: str = ""  # the Networks entry's key
    attr: str = ""
    aliases: tuple[str, ...] = ()
    connected_power: Power
    tail_time: Time
    transmit_energy: EnergyPerByte


Batteries = Catalog("Batteries", "batteries", lambda v: Battery(**v))
DevicePowers = Catalog("DevicePowers", "device_power", lambda v: DevicePower(**v))
Radios = Catalog("Radios", "radios", lambda v: RadioPower(**v))

__all__ = ["Batteries", "Battery", "DevicePower", "DevicePowers", "RadioPower", "Radios"]
