"""Registry catalogues of the input pipeline: storage tiers, preprocessing costs, CPU hosts.

Data in ``registry/pipeline/data_pipeline.toml`` (sections ``storage``,
``preprocessing``, ``cpu_hosts``), read by the same loader as the other
catalogues (``core.registry.Catalog``), every number with its source:

    Storage.LocalNVMe, Storage.get("s3")             -> StorageTier
    Preprocessing.ImageNetJPEG                        -> PreprocessingProfile
    CpuHosts.EPYC9654x2                               -> CpuHost
    Links.PCIeGen5x16                                 -> StreamLink
    Networks.FiveG                                    -> AccessNetwork (registry/pipeline/network.toml)

Used by ``solvers.data`` (Wall 8, ingestion), ``solvers.transformation``
(Wall 9, preprocessing cost) and ``solvers.streaming`` (Wall 6, weight streaming).
"""

from __future__ import annotations

from pydantic import model_validator

from .core.errors import InputError
from .core.catalog import Catalog
from .core.types import Bandwidth, Bytes, Model, Power, QuantityOf, Time

Rate = QuantityOf("rate")


class StorageTier(Model):
    """Where training data is read from: sequential read bandwidth of one device or client."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    tier: str = "local"  # local | network | object
    read_bandwidth: Bandwidth
    request_rate: Rate | None = None  # requests/s a client or prefix may issue (object stores)
    # Fleet scale (optional): what one client (a node) writes, and the ceilings the whole tier has,
    # shared by every client. None: not given (write) or no shared ceiling (the tier scales with nodes).
    write_bandwidth: Bandwidth | None = None
    aggregate_read_bandwidth: Bandwidth | None = None
    aggregate_write_bandwidth: Bandwidth | None = None

    @model_validator(mode="after")
    def _check(self):
        if self._si["read_bandwidth"] <= 0:
            raise InputError("read_bandwidth", f"{self.read_bandwidth:~P}", "a positive data rate")
        for name in ("request_rate", "write_bandwidth", "aggregate_read_bandwidth", "aggregate_write_bandwidth"):
            if getattr(self, name) is not None and self._si[name] <= 0:
                raise InputError(name, f"{getattr(self, name):~P}", "a positive rate, or leave it out")
        return self


class PreprocessingProfile(Model):
    """What turning one raw sample into a training input costs: CPU core-seconds, and its size as read."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    family: str = ""
    cpu_time_per_sample: Time  # core-seconds per sample
    sample_bytes: Bytes  # bytes read from storage per sample

    @model_validator(mode="after")
    def _check(self):
        for name in ("cpu_time_per_sample", "sample_bytes"):
            if self._si[name] <= 0:
                raise InputError(name, f"{getattr(self, name):~P}", "a positive value")
        return self


class CpuHost(Model):
    """A machine that runs preprocessing: its cores and power."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    cores: int
    power: Power

    @model_validator(mode="after")
    def _check(self):
        if self.cores < 1:
            raise InputError("cores", self.cores, "an integer >= 1")
        if self._si["power"] <= 0:
            raise InputError("power", f"{self.power:~P}", "a positive power")
        return self


class StreamLink(Model):
    """A link weights are streamed over from an outer memory (host DRAM, NVMe, a weight store), per direction."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    bandwidth: Bandwidth

    @model_validator(mode="after")
    def _check(self):
        if self._si["bandwidth"] <= 0:
            raise InputError("bandwidth", f"{self.bandwidth:~P}", "a positive data rate")
        return self


Storage = Catalog("Storage", "storage", lambda v: StorageTier(**v))
Preprocessing = Catalog("Preprocessing", "preprocessing", lambda v: PreprocessingProfile(**v), group_by="family")
CpuHosts = Catalog("CpuHosts", "cpu_hosts", lambda v: CpuHost(**v))
Links = Catalog("Links", "links", lambda v: StreamLink(**v))


class AccessNetwork(Model):
    """How a device reaches a datacenter: its access network's round trip and uplink, and the
    wide-area path's fibre (group index: light travels at c / n) and per-router-hop delay."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    access_round_trip: Time  # device to the network's edge and back, before the wide-area path
    uplink_bandwidth: Bandwidth
    group_index: float  # of the fibre (>= 1)
    hop_delay: Time  # per router hop, one way

    @model_validator(mode="after")
    def _check(self):
        for name in ("access_round_trip", "hop_delay"):
            if self._si[name] < 0:
                raise InputError(name, f"{getattr(self, name):~P}", "a time >= 0")
        if self._si["uplink_bandwidth"] <= 0:
            raise InputError("uplink_bandwidth", f"{self.uplink_bandwidth:~P}", "a positive data rate")
        if not 1.0 <= self.group_index < 10.0:
            raise InputError("group_index", self.group_index, "a refractive index in [1, 10), e.g. 1.4682 for fibre")
        return self


Networks = Catalog("Networks", "networks", lambda v: AccessNetwork(**v))
