"""Registry catalogues of the Safety, Fidelity and Software walls (data in ``registry/walls/``).

The loader in ``core/registry.py`` reads every TOML file under ``registry/`` and keeps each
array of tables by its section name; a ``Catalog`` turns one section into validated entries
with provenance. The sections below are new kinds of entry, so each gets a small typed model
and a ``Catalog`` here, without changing the loader:

  [[dp_sgd_overheads]]     DPOverhead         DP-SGD slowdown per implementation (measured)
  [[compression_results]]  CompressionResult  published accuracy/perplexity after compression
  [[efficiency_tables]]    EfficiencyTable    achieved fraction of peak vs operation size
  [[launch_overheads]]     LaunchOverhead     per-kernel launch cost (measured)
  [[adversarial_results]]  AdversarialResult  published clean and robust accuracy after PGD training

Diffusion models have their own catalogue in ``mlsysim.workloads.diffusion`` (listed in
``CATALOGS`` below with these, so the registry tests check every one of their numbers).
"""

from __future__ import annotations

from pydantic import model_validator

from .core.errors import InputError
from .core.catalog import Catalog
from .core.types import Model, Time
from .workloads.diffusion import DiffusionModels


class DPOverhead(Model):
    """Measured slowdown of DP-SGD over plain SGD for one implementation (throughput ratio)."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    slowdown_min: float
    slowdown_max: float

    @model_validator(mode="after")
    def _check(self):
        if not 1.0 <= self.slowdown_min <= self.slowdown_max:
            raise InputError("slowdown_min", self.slowdown_min, f"1 <= slowdown_min <= slowdown_max={self.slowdown_max}")
        return self


class CompressionResult(Model):
    """One published before/after accuracy (or perplexity) of a compressed model."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    method: str  # "gptq", "rtn", "llm_int8", "distillation", "sparsegpt", ...
    for_model: str  # the model: its mlsysim registry key, the paper's name, or "any" for a general claim
    metric: str  # "wikitext2_perplexity", "glue_score", ...
    higher_is_better: bool
    bits: float  # weight bits after compression (16 = not quantised)
    baseline_bits: float = 16.0
    baseline_value: float
    compressed_value: float
    parameter_fraction: float = 1.0  # parameters kept (distillation, pruning), of the original
    speedup: float | None = None  # published inference speedup, when the paper gives one

    @model_validator(mode="after")
    def _check(self):
        for name in ("bits", "baseline_bits", "baseline_value", "compressed_value", "parameter_fraction"):
            if not getattr(self, name) > 0:
                raise InputError(name, getattr(self, name), "a positive number")
        return self

    @property
    def change(self) -> float:
        """compressed - baseline, in the metric's own units (perplexity points, GLUE points ...)."""
        return self.compressed_value - self.baseline_value

    @property
    def retained(self) -> float:
        """Fraction of the baseline kept (for higher-is-better metrics; baseline / compressed for perplexity)."""
        if self.higher_is_better:
            return self.compressed_value / self.baseline_value
        return self.baseline_value / self.compressed_value


class EfficiencyTable(Model):
    """Achieved fraction of peak as a function of operation size, for one kind of operation on one part.

    ``points`` maps a size (written as a key, "0", "1e9", ...) to the efficiency from that size
    up (size in ``size_unit``: flop per GEMM or vector kernel, bytes per memory-bound kernel);
    an operation gets the efficiency of the largest listed size <= its own (a step function,
    as Calculon reads its tables; ``physics.kernels.table_efficiency``). ``pairs`` is the table
    as [[size, efficiency], ...] in ascending size.
    """

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    op_kind: str  # "gemm" | "vector" | "memory"
    hardware: str  # registry key of the part measured, or "*" for any
    precision: str = "*"  # the compute precision measured ("fp16", "fp32", ...), or "*" for any
    size_unit: str  # "flop" | "byte"
    points: dict[str, float]

    @model_validator(mode="after")
    def _check(self):
        pairs = []
        for size, eff in self.points.items():
            try:
                s = float(size)
            except ValueError:
                raise InputError(f"points.{size}", size, "a size written as a number, e.g. \"1e9\"") from None
            if not s >= 0 or not 0.0 < eff <= 1.0:
                raise InputError(f"points.{size}", eff, "a size >= 0 with an efficiency in (0, 1]")
            pairs.append([s, float(eff)])
        pairs.sort()
        if len(pairs) < 2 or pairs[0][0] != 0:
            raise InputError("points", self.points, "at least two sizes, the first 0, so every size has an efficiency")
        object.__setattr__(self, "_pairs", pairs)
        return self

    @property
    def pairs(self) -> list[list[float]]:
        return self.__dict__["_pairs"]


class LaunchOverhead(Model):
    """Measured host-side cost of launching one GPU kernel (or one graph node)."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    mode: str  # "eager" | "graph"
    launch_time: Time


class AdversarialResult(Model):
    """One published clean and robust accuracy of a model trained with ``train_pgd_steps`` PGD steps
    (0 = standard training), under the attack the paper names."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    dataset: str
    architecture: str
    train_pgd_steps: int
    epsilon: str  # the L-infinity radius as the paper writes it, e.g. "8/255"
    attack: str
    clean_accuracy: float  # percent
    robust_accuracy: float  # percent, under ``attack``

    @model_validator(mode="after")
    def _check(self):
        if self.train_pgd_steps < 0:
            raise InputError("train_pgd_steps", self.train_pgd_steps, "an integer >= 0 (0 = standard training)")
        for name in ("clean_accuracy", "robust_accuracy"):
            if not 0.0 <= getattr(self, name) <= 100.0:
                raise InputError(name, getattr(self, name), "a percentage in [0, 100]")
        return self


DPOverheads = Catalog("DPOverheads", "dp_sgd_overheads", lambda v: DPOverhead(**v))
AdversarialResults = Catalog("AdversarialResults", "adversarial_results", lambda v: AdversarialResult(**v))
CompressionResults = Catalog("CompressionResults", "compression_results", lambda v: CompressionResult(**v))
EfficiencyTables = Catalog("EfficiencyTables", "efficiency_tables", lambda v: EfficiencyTable(**v))
LaunchOverheads = Catalog("LaunchOverheads", "launch_overheads", lambda v: LaunchOverhead(**v))

CATALOGS = {"DiffusionModels": DiffusionModels, "DPOverheads": DPOverheads, "CompressionResults": CompressionResults,
            "EfficiencyTables": EfficiencyTables, "LaunchOverheads": LaunchOverheads,
            "AdversarialResults": AdversarialResults}


class WeightOnlyKernel(Model):
    """A weight-only quantised matrix kernel: its achieved bandwidth relative to the 16-bit kernel, and its scales' storage."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    precision: str  # the stored weights' precision ("int8", "int4")
    bandwidth_fraction: float  # achieved bandwidth over the 16-bit kernel's on the same model and GPU, in (0, 1]
    group_size: int = 0  # weights per scale group (0: one scale per output channel, negligible storage)
    scale_bytes: float = 2.0  # bytes of each stored scale and zero point

    @model_validator(mode="after")
    def _check(self):
        if not 0.0 < self.bandwidth_fraction <= 1.0:
            raise InputError("bandwidth_fraction", self.bandwidth_fraction, "a fraction in (0, 1]")
        if self.group_size < 0 or not self.scale_bytes > 0:
            raise InputError("group_size", self.group_size, "a group size >= 0 (0 = per channel) with scale_bytes > 0")
        return self


WeightOnlyKernels = Catalog("WeightOnlyKernels", "weight_only_kernels", lambda v: WeightOnlyKernel(**v))
CATALOGS["WeightOnlyKernels"] = WeightOnlyKernels


class SDCRate(Model):
    """A published silent-data-corruption count: ``events`` among ``devices`` over ``observed_days``
    (basis "events", a rate per device-day) or ``events`` defective in ``devices`` (basis
    "prevalence", no time base). The rate and the prevalence are ``physics.kernels`` functions."""

    name: str
    key: str = ""
    attr: str = ""
    aliases: tuple[str, ...] = ()
    basis: str  # "events" | "prevalence"
    device: str  # what was counted: "GPU", "machine", ...
    events: float
    devices: float
    observed_days: float | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.basis not in ("events", "prevalence"):
            raise InputError("basis", self.basis, "'events' (counted over device-days) or 'prevalence' (a fraction of devices)")
        if not (self.events >= 0 and self.devices > 0):
            raise InputError("events, devices", (self.events, self.devices), "events >= 0 among devices > 0")
        if self.basis == "events" and not (self.observed_days or 0) > 0:
            raise InputError("observed_days", self.observed_days, "the days the events were counted over (> 0)")
        if self.basis == "prevalence" and self.events > self.devices:
            raise InputError("events", self.events, f"at most the {self.devices:g} devices tested")
        return self


SDCRates = Catalog("SDCRates", "sdc_rates", lambda v: SDCRate(**v))
CATALOGS["SDCRates"] = SDCRates
