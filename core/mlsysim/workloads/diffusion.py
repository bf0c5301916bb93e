"""Diffusion models: a denoising backbone run once per step, a text encoder and a VAE decoder.

A ``DiffusionWorkload`` is a ``Workload`` whose ``parameters`` and ``inference_flops`` are the
backbone's (U-Net or DiT), per latent per denoising step; the text encoder and the VAE
decoder are separate, each run once per image. Classifier-free guidance (Ho & Salimans 2022)
runs the backbone on a conditional and an unconditional latent every step: twice the passes.

The registry entries live in ``registry/models/diffusion.toml`` under ``[[diffusion_models]]``
and are served by ``DiffusionModels`` below (a ``Catalog`` of its own, because the ``Models``
catalogue builds only Transformer, CNN and dense workloads). To serve them from ``Models`` as
well, ``registries._build_workload`` would map ``architecture = "Diffusion"`` to
``DiffusionWorkload`` and the section would be renamed ``[[models]]``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ..core.errors import InputError
from ..core.catalog import Catalog
from ..core.types import QuantityOf

# A class-conditional model (DiT) has no text encoder: these parts may be zero, never negative.
PartCount = QuantityOf("count")
PartOps = QuantityOf("ops")
from ..physics import kernels
from .precision import bytes_per_value
from .types import Workload


class DiffusionWorkload(Workload):
    """A latent diffusion model: backbone per step, text encoder and VAE decoder per image."""

    architecture: str = "Diffusion"
    family: str = "diffusion"
    backbone: Literal["unet", "dit"] = "unet"
    text_encoder_parameters: PartCount
    text_encoder_flops: PartOps
    vae_decoder_parameters: PartCount
    vae_decoder_flops: PartOps
    resolution: int  # output image side in pixels
    default_steps: int = 50

    @model_validator(mode="after")
    def _check_diffusion(self):
        if self.inference_flops is None or self._si["inference_flops"] <= 0:
            raise InputError("inference_flops", self.inference_flops, "the backbone's forward compute per latent per step, e.g. '888.9 GFLOP'")
        for name in ("text_encoder_parameters", "text_encoder_flops", "vae_decoder_parameters", "vae_decoder_flops"):
            if self._si[name] < 0:
                raise InputError(name, getattr(self, name), "a quantity >= 0")
        for name in ("resolution", "default_steps"):
            if getattr(self, name) < 1:
                raise InputError(name, getattr(self, name), "an integer >= 1")
        return self

    def component_weight_bytes_si(self, precision: str) -> tuple[float, float, float]:
        """(backbone, text encoder, VAE decoder) weight bytes at ``precision``."""
        b = bytes_per_value(precision)
        si = self._si
        return (kernels.weight_bytes(si["parameters"], b), kernels.weight_bytes(si["text_encoder_parameters"], b),
                kernels.weight_bytes(si["vae_decoder_parameters"], b))


def _build(values: dict) -> DiffusionWorkload:
    return DiffusionWorkload(**values)


DiffusionModels = Catalog("DiffusionModels", "diffusion_models", _build)
