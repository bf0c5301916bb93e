"""Questions, pipeline and chart of the data-engineering lab (Volume I, chapter 4).

Is the GPU starved by its input pipeline? Every number is the engine's: ``SingleNodeModel`` for
what one accelerator consumes when training (samples/s), ``DataModel`` (Wall 8, ingestion) for what
storage and the CPU cores supply and which stage binds, ``TransformationModel`` (Wall 9) for the
cores, hosts and power the preprocessing needs to keep up. The per-sample CPU cost and size are
the registry's ImageNet JPEG profile (an estimate, which the lab lets the student change). The
chart's template is written here (``mlsysim.viz`` has no supply-against-demand chart).
"""

from __future__ import annotations

import math

from functools import lru_cache

from mlsysim import CpuHosts, DataModel, Hardware, Preprocessing, SingleNodeModel, Storage, TransformationModel, viz
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

PROFILE = "imagenet_jpeg_augment"
HOST = "epyc9654_2s"
BATCH = 256  # per accelerator
MODELS = ["resnet50", "mobilenetv2", "alexnet"]
ACCELERATORS = ["h100", "a100_80gb", "v100", "l4", "t4", "b200"]
MAX_GPUS = 1024
MAX_CORES = 4096
DEFAULT_CPU_MS = Preprocessing.get(PROFILE).cpu_time_per_sample.to("ms").magnitude
STAGE_NAMES = {"storage": "storage read", "network": "network link", "cpu": "CPU decode + augment"}

_DATA, _TRANSFORM, _NODE = DataModel(), TransformationModel(), SingleNodeModel()


@lru_cache(maxsize=256)
def trainer(model: str, hw: str, precision: str):
    """One accelerator training ``model`` (batch 256): the engine's result (its throughput is the demand)."""
    return _NODE.solve(model, hw, batch_size=BATCH, precision=precision, is_training=True)


def pipeline(model: str, hw: str, gpus: int, precision: str, storage: str, cores: int, cpu_ms: float):
    """(ingestion result, transformation result) for ``gpus`` accelerators fed by this pipeline."""
    prof = trainer(model, hw, precision)
    data = _DATA.solve(prof, storage=storage, preprocessing=PROFILE, cpu_cores=int(cores),
                       cpu_time_per_sample=f"{cpu_ms} ms", accelerators=int(gpus))
    transform = _TRANSFORM.solve(prof, preprocessing=PROFILE, cpu_time_per_sample=f"{cpu_ms} ms", host=HOST,
                                 accelerators=int(gpus))
    return data, transform


def stages(data) -> list[dict]:
    """Each stage's supply (samples/s), in the pipeline's order, marked when it is the binding one."""
    rows = []
    for key, supply in (("storage", data.storage_supply), ("network", data.network_supply), ("cpu", data.cpu_supply)):
        if supply is not None:
            rows.append({"stage": STAGE_NAMES[key], "key": key, "rate": supply.to("1/s").magnitude,
                         "binds": "binds" if key == data.binding_stage else "keeps up"})
    return rows


TEMPLATE = {
    **lab_frame(200),
    "layer": [
        {"data": {"name": "stages"}, "mark": {"type": "bar", "height": 28},
         "encoding": {"y": {"field": "stage", "type": "nominal", "title": None, "sort": None,
                            "axis": {"labelLimit": 150}},
                      "x": {"field": "rate", "type": "quantitative", "title": "Samples per second (log)",
                            "scale": {"type": "log"}, "axis": {"format": "~s"}},
                      # a log axis has no zero: each bar starts at a floor below every rate (from 0 it draws nothing)
                      "x2": {"field": "floor"},
                      "color": {"field": "binds", "type": "nominal", "title": None,
                                "scale": {"domain": ["binds", "keeps up"], "range": [PALETTE["vermillion"], PALETTE["blue"]]}}}},
        {"data": {"name": "demand"}, "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [5, 3],
                                              "color": PALETTE["black"]},
         "encoding": {"x": {"field": "rate", "type": "quantitative"}}},
        {"data": {"name": "demand"}, "transform": [{"filter": "datum.align == 'left'"}],
         "mark": {"type": "text", "align": "left", "dx": 4, "dy": -4, "baseline": "bottom", "fontWeight": "bold", "y": 0},
         "encoding": {"x": {"field": "rate", "type": "quantitative"}, "text": {"field": "label"}}},
        {"data": {"name": "demand"}, "transform": [{"filter": "datum.align == 'right'"}],
         "mark": {"type": "text", "align": "right", "dx": -4, "dy": -4, "baseline": "bottom", "fontWeight": "bold", "y": 0},
         "encoding": {"x": {"field": "rate", "type": "quantitative"}, "text": {"field": "label"}}},
    ],
}


def chart(data, gpus: int, hw_name: str) -> viz.Chart:
    """Each stage's supply against what the accelerators consume (the dashed line)."""
    need = data.demand.to("1/s").magnitude
    rows = stages(data)
    floor = 10.0 ** math.floor(math.log10(min([need] + [r["rate"] for r in rows])))
    rows = [{**r, "floor": floor} for r in rows]
    top = max([need] + [r["rate"] for r in rows])
    # the label reads away from the nearer edge of the log axis, so it is not cut off on a phone
    demand = [{"rate": need, "label": f"{gpus} GPUs need {fmt(need)}/s",
               "align": "right" if need > math.sqrt(floor * top) else "left"}]
    datasets = {"stages": rows, "demand": demand}
    slowest = min(rows, key=lambda r: r["rate"])
    summary = (f"Supply of each input-pipeline stage against the {fmt(need)} samples/s that {gpus} {hw_name} consume: "
               f"the slowest stage, {slowest['stage']}, gives {fmt(slowest['rate'])} samples/s"
               + (", so it binds." if data.binding_stage != "accelerator" else ", enough: the GPUs set the pace."))
    return viz.Chart(viz.fill(TEMPLATE, datasets, title="Supply vs demand"),
                     datasets, summary)


# --- check yourself ---------------------------------------------------------------------------
def _names(hw: str, **_) -> dict:
    return {"hw_name": Hardware.get(hw).name}


def _cores(hw: str, gpus: int, cpu_ms: float = DEFAULT_CPU_MS) -> float:
    return pipeline("resnet50", hw, gpus, "fp16", "local_nvme", 1, cpu_ms)[0].cores_needed


def _stall(gpus: int, cores: int) -> float:
    return 100.0 * pipeline("resnet50", "h100", gpus, "fp16", "local_nvme", cores, DEFAULT_CPU_MS)[0].stall_fraction


def _hosts(gpus: int, cpu_ms: float) -> float:
    return float(pipeline("resnet50", "h100", gpus, "fp16", "local_nvme", 1, cpu_ms)[1].hosts_needed)


def _cores_math(hw: str, gpus: int) -> str:
    d = pipeline("resnet50", hw, gpus, "fp16", "local_nvme", 1, DEFAULT_CPU_MS)[0]
    per = trainer("resnet50", hw, "fp16").throughput.to("1/s").magnitude
    return (f"demand = {gpus} × {per:,.0f} samples/s = {d.demand.to('1/s').magnitude:,.0f} samples/s; cores = demand × "
            f"core-seconds per sample = {d.demand.to('1/s').magnitude:,.0f} × {DEFAULT_CPU_MS:g} ms = "
            f"**{d.cores_needed:,.4g} cores** (Little's law).")


def _stall_math(gpus: int, cores: int) -> str:
    d = pipeline("resnet50", "h100", gpus, "fp16", "local_nvme", cores, DEFAULT_CPU_MS)[0]
    return (f"CPU supply = {cores} cores ÷ {DEFAULT_CPU_MS:g} ms = {d.cpu_supply.to('1/s').magnitude:,.0f} samples/s "
            f"(storage supplies {d.storage_supply.to('1/s').magnitude:,.0f}); stall = 1 − supply ÷ demand = 1 − "
            f"{d.supply.to('1/s').magnitude:,.0f} ÷ {d.demand.to('1/s').magnitude:,.0f} = **{100 * d.stall_fraction:.3g} %**.")


def _hosts_math(gpus: int, cpu_ms: float) -> str:
    t = pipeline("resnet50", "h100", gpus, "fp16", "local_nvme", 1, cpu_ms)[1]
    host = CpuHosts.get(HOST)
    return (f"cores = demand × {cpu_ms:g} ms = {t.cores_needed:,.4g}; hosts = ⌈{t.cores_needed:,.4g} ÷ {host.cores}⌉ = "
            f"**{t.hosts_needed}**, drawing {t.preprocessing_power.to('kW').magnitude:.4g} kW beside the GPUs' "
            f"{t.trainers_power.to('kW').magnitude:.4g} kW.")


QUESTIONS = [
    Question(
        id="cores_needed",
        prompt=("**{gpus} × {hw_name}** train ResNet-50 (fp16, batch 256 each) on ImageNet JPEGs that cost "
                f"**{DEFAULT_CPU_MS:g} ms** of one CPU core each to decode and augment. How many **CPU cores** keep "
                "them fed?"),
        variants={"hw": ["h100", "a100_80gb", "v100", "l4"], "gpus": [1, 2, 4, 8, 16]},
        answer=_cores, tolerance=0.05, unit="cores", describe=_names,
        hint="Little's law: cores busy = samples per second × core-seconds per sample.",
        math=_cores_math,
    ),
    Question(
        id="stall",
        prompt=("**{gpus} × NVIDIA H100** train ResNet-50 (fp16, batch 256 each) from a local NVMe SSD; **{cores} CPU "
                f"cores** decode and augment ({DEFAULT_CPU_MS:g} ms of a core per image). What **percentage** of the "
                "time do the GPUs wait for data?"),
        variants={"gpus": [2, 4, 8], "cores": [16, 24, 32, 48]},
        answer=_stall, tolerance=0.03, unit="%",
        hint="The pipeline runs at its slowest stage; the GPUs idle for 1 − supply ÷ demand of the time.",
        math=_stall_math,
    ),
    Question(
        id="hosts",
        prompt=("A cluster of **{gpus} NVIDIA H100s** trains ResNet-50 (fp16, batch 256 each); heavier augmentation costs "
                "**{cpu_ms} ms** of a core per image. How many **dual-socket EPYC 9654 hosts** (192 cores each) must run "
                "the preprocessing beside them?"),
        variants={"gpus": [64, 128, 256, 512], "cpu_ms": [5, 10, 20]},
        answer=_hosts, tolerance=0.0, unit="hosts",
        hint="Cores = demand × core-seconds per sample; hosts = cores ÷ cores per host, rounded up.",
        math=_hosts_math,
    ),
]

_TRUTH = {"accelerator": "the GPUs' own arithmetic", "storage": "the storage read", "cpu": "the CPU decode and augment",
          "network": "the storage read"}


def _prediction_truth() -> str:
    return _TRUTH[pipeline("resnet50", "h100", 8, "fp16", "local_nvme", 32, DEFAULT_CPU_MS)[0].binding_stage]


PREDICTIONS = [
    Prediction(
        id="what_binds",
        prompt=("An 8 × H100 server trains ResNet-50 (fp16) on ImageNet. The JPEGs come from a local NVMe SSD and "
                "32 CPU cores decode and augment them. What sets the training speed?"),
        options=["the GPUs' own arithmetic", "the storage read", "the CPU decode and augment"],
        truth=_prediction_truth,
    ),
]
