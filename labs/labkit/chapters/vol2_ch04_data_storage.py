"""Questions, tiers and charts of the data-storage lab (Volume II, chapter 4).

Can node-local NVMe, a shared file system or an object store feed a fleet of H100s, and absorb
its checkpoints? Every number is the engine's or the registry's: ``SingleNodeModel`` for what one
H100 training ResNet-50 consumes (samples/s, the demand); the registry's fleet-scale storage tiers
(``Storage``: per-node read and write rates, shared ceilings, S3's request rate) combined by the
kernels ``tier_bandwidth``, ``request_bound_bandwidth`` and ``accelerators_fed``; ``DataModel``
(Wall 8) for the supply, the stall and the binding stage at the student's fleet size;
``ReliabilityModel`` for the checkpoint's size, its write time and the Young-Daly interval; and
``kernels.checkpoint_goodput`` for the goodput at the student's own interval. The two charts'
templates are written here (``mlsysim.viz`` has no supply-against-fleet-size chart).
"""

from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import DataModel, Fleets, Models, Preprocessing, ReliabilityModel, SingleNodeModel, Storage, viz
from mlsysim.physics import kernels
from mlsysim.viz.data import fmt
from mlsysim.viz.template import PALETTE, lab_frame

from ..questions import Prediction, Question

HARDWARE = "h100"
READER = "resnet50"  # the job whose step sets the read demand (ImageNet-class images)
BATCH = 256  # per GPU
PRECISION = "bf16"
JOB = "30 day"
PROFILE = "imagenet_jpeg_augment"  # the registry's ImageNet sample size (the default)
PER_NODE = Fleets.get("research256").node.accelerators_per_node  # DGX H100: 8 GPUs per node (one client)
TIERS = {"dgx_local_nvme": "local NVMe", "pfs_tectonic": "shared file system", "s3": "object store"}
COLOURS = [PALETTE["green"], PALETTE["blue"], PALETTE["orange"]]
MODELS = ["resnet50", "llama3_8b", "llama3_70b", "llama3_405b"]
MAX_GPUS = 65536
MINUTE = 60.0  # seconds per minute, for display only
DEFAULT_SAMPLE_KB = Preprocessing.get(PROFILE).sample_bytes.to("kB").magnitude

_DATA, _NODE, _RELY = DataModel(), SingleNodeModel(), ReliabilityModel()


@lru_cache(maxsize=4)
def reader():
    """One H100 training ResNet-50 (batch 256): the engine's result; its throughput is the demand per GPU."""
    return _NODE.solve(READER, HARDWARE, batch_size=BATCH, precision=PRECISION, is_training=True)


def per_gpu_demand() -> float:
    """Samples per second one GPU consumes."""
    return reader().throughput.to("1/s").magnitude


def _ceiling(tier: str, sample_bytes: float, per_object: int, write: bool = False) -> float:
    """The tier's shared ceiling in bytes/s (inf if it has none): its servers' total and, for an
    object store read one object per GET, its request rate x the object's bytes."""
    si = Storage.get(tier)._si
    out = si.get("aggregate_write_bandwidth" if write else "aggregate_read_bandwidth", math.inf)
    if not write and "request_rate" in si:
        out = min(out, kernels.request_bound_bandwidth(si["request_rate"], sample_bytes * per_object))
    return out


def read_bandwidth(tier: str, gpus: float, sample_bytes: float, per_object: int) -> float:
    """Bytes/s the tier delivers to ``gpus`` GPUs reading at once (one client per node)."""
    return kernels.tier_bandwidth(gpus / PER_NODE, Storage.get(tier)._si["read_bandwidth"],
                                  _ceiling(tier, sample_bytes, per_object))


def write_bandwidth(tier: str, gpus: float) -> float:
    """Bytes/s the tier absorbs when every node writes its shard of a checkpoint at once."""
    return kernels.tier_bandwidth(gpus / PER_NODE, Storage.get(tier)._si["write_bandwidth"], _ceiling(tier, 0.0, 1, True))


def supply(tier: str, gpus: float, sample_bytes: float, per_object: int) -> float:
    """Samples/s the tier supplies to ``gpus`` GPUs (the DataModel's storage stage, same kernel)."""
    return kernels.stage_sample_rate(read_bandwidth(tier, gpus, sample_bytes, per_object), sample_bytes)


def feed(tier: str, gpus: int, sample_kb: float, per_object: int):
    """The engine's ingestion result (Wall 8) for ``gpus`` GPUs reading from ``tier``."""
    size = sample_kb * 1e3
    return _DATA.solve(f"{per_gpu_demand()} 1/s", storage=f"{read_bandwidth(tier, gpus, size, per_object)} B/s",
                       sample_size=f"{size} B", accelerators=int(gpus))


def gpus_fed(tier: str, sample_kb: float, per_object: int) -> float:
    """How many GPUs the tier keeps fed (inf: it grows with the fleet; 0: not even one node's GPUs)."""
    size = sample_kb * 1e3
    si = Storage.get(tier)._si
    return kernels.accelerators_fed(si["read_bandwidth"] / PER_NODE, _ceiling(tier, size, per_object),
                                    per_gpu_demand() * size)


def checkpoint(tier: str, gpus: int, model: str):
    """The engine's reliability result: ``model``'s checkpoint written to ``tier`` by ``gpus`` GPUs' nodes."""
    return _RELY.solve(HARDWARE, JOB, count=int(gpus), model=model, precision=PRECISION,
                       storage_bandwidth=f"{write_bandwidth(tier, gpus)} B/s")


def goodput_at(result, interval_s: float) -> float:
    """Goodput (fraction) of ``result``'s job checkpointing every ``interval_s`` seconds (Daly 2006)."""
    return kernels.checkpoint_goodput(interval_s, result.checkpoint_time.to("s").magnitude,
                                      result.fleet_mtbf.to("s").magnitude, result.restart_time.to("s").magnitude)


def gpu_grid(gpus: int) -> list[int]:
    """Fleet sizes the supply chart draws: powers of two from 8 to MAX_GPUS, and the student's."""
    return sorted({2 ** i for i in range(3, 17)} | {int(gpus)})


_BASE = {
    **lab_frame(None, legend={"columns": 2}),
}
_SERIES = {"field": "series", "type": "nominal", "title": None,
           "scale": {"domain": list(TIERS.values()) + ["demand"], "range": COLOURS + [PALETTE["black"]]}}

SUPPLY_TEMPLATE = {**_BASE, "height": 300, "layer": [
    {"data": {"name": "lines"}, "mark": {"type": "line", "strokeWidth": 2, "point": {"size": 20}},
     "encoding": {"x": {"field": "gpus", "type": "quantitative", "title": "GPUs (log)",
                        "scale": {"type": "log", "nice": False},
                        "axis": {"values": [8, 64, 512, 4096, 32768], "labelExpr": "format(datum.value, ',')"}},
                  "y": {"field": "rate", "type": "quantitative", "title": "Samples per second (log)",
                        "scale": {"type": "log"}, "axis": {"labelExpr": "format(datum.value, '~s')"}},
                  "color": _SERIES,
                  "strokeDash": {"field": "dash", "type": "nominal", "legend": None,
                                 "scale": {"domain": ["solid", "dashed"], "range": [[1, 0], [6, 3]]}}}},
    {"data": {"name": "you"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": PALETTE["vermillion"]},
     "encoding": {"x": {"field": "gpus", "type": "quantitative"}}},
    {"data": {"name": "you"}, "mark": {"type": "text", "align": "left", "dx": 4, "y": 8, "fontWeight": "bold",
                                       "color": PALETTE["vermillion"]},
     "encoding": {"x": {"field": "gpus", "type": "quantitative"}, "text": {"field": "label"}}},
]}

CHECKPOINT_TEMPLATE = {**_BASE, "height": 150, "layer": [
    {"data": {"name": "tiers"}, "mark": {"type": "bar", "height": 26},
     "encoding": {"y": {"field": "tier", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 140}},
                  "x": {"field": "seconds", "type": "quantitative", "title": "Checkpoint write time (s)",
                        "axis": {"tickCount": 5}},
                  "color": {"field": "which", "type": "nominal", "title": None,
                            "scale": {"domain": ["your tier", "other tiers"],
                                      "range": [PALETTE["vermillion"], PALETTE["blue"]]}}}},
    {"data": {"name": "tiers"}, "mark": {"type": "text", "align": "left", "dx": 4, "fontWeight": "bold"},
     "encoding": {"y": {"field": "tier", "type": "nominal", "sort": None},
                  "x": {"field": "seconds", "type": "quantitative"}, "text": {"field": "label"}}},
]}


def supply_chart(gpus: int, sample_kb: float, per_object: int) -> viz.Chart:
    """Samples/s each tier supplies, and the fleet demands, as the fleet grows; the student's size marked."""
    size = sample_kb * 1e3
    d = per_gpu_demand()
    rows = []
    for n in gpu_grid(gpus):
        rows += [{"gpus": n, "series": name, "dash": "solid", "rate": supply(key, n, size, per_object)}
                 for key, name in TIERS.items()]
        rows.append({"gpus": n, "series": "demand", "dash": "dashed", "rate": n * d})
    you = [{"gpus": gpus, "label": f"{gpus:,} GPUs"}]
    datasets = {"lines": rows, "you": you}
    mine = {r["series"]: r["rate"] for r in rows if r["gpus"] == gpus}
    short = [name for name in TIERS.values() if mine[name] < mine["demand"]]
    summary = (f"Samples per second each storage tier supplies against what the fleet demands, 8 to {MAX_GPUS:,} GPUs; "
               f"at {gpus:,} GPUs the demand is {mine['demand']:,.0f} samples/s and "
               + (f"the {' and the '.join(short)} {'falls' if len(short) == 1 else 'fall'} short." if short
                  else "every tier keeps up."))
    # one labelled tick per decade (a log axis's own minor ticks carry empty labels)
    low, high = (f(r["rate"] for r in rows) for f in (min, max))
    decades = [10.0 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]
    return viz.Chart(viz.fill(SUPPLY_TEMPLATE, datasets, title="Supply per tier against demand",
                              settings={"layer.0.encoding.y.axis.values": decades}), datasets, summary)


def checkpoint_chart(results: dict, tier: str) -> viz.Chart:
    """Checkpoint write time on each tier (``results``: tier key -> reliability result)."""
    rows = [{"tier": TIERS[k], "seconds": r.checkpoint_time.to("s").magnitude,
             "which": "your tier" if k == tier else "other tiers",
             "label": f"{fmt(r.checkpoint_time.to('s').magnitude)} s"} for k, r in results.items()]
    slow = max(rows, key=lambda r: r["seconds"])
    summary = (f"Time to write one checkpoint on each tier; the slowest is the {slow['tier']} at "
               f"{fmt(slow['seconds'])} s.")
    # room right of the longest bar for its label (a phone is 390 px wide)
    room = {"layer.0.encoding.x.scale": {"domain": [0, 1.3 * slow["seconds"]], "nice": False}}
    return viz.Chart(viz.fill(CHECKPOINT_TEMPLATE, {"tiers": rows}, title="Checkpoint write time per tier",
                              settings=room), {"tiers": rows}, summary)


# --- check yourself ---------------------------------------------------------------------------
def _fed_math(sample_kb, per_object) -> str:
    d = per_gpu_demand()
    need = d * sample_kb * 1e3
    return (f"one H100 reads {d:,.0f} samples/s × {sample_kb:g} kB = {need / 1e6:,.4g} MB/s; its share of a node's "
            f"50 GB/s link is 50 ÷ {PER_NODE} = 6.25 GB/s, enough; the 2 TB/s ceiling feeds 2 TB/s ÷ {need / 1e6:,.4g} MB/s "
            f"= **{gpus_fed('pfs_tectonic', sample_kb, per_object):,.0f} GPUs**.")


def _ckpt_math(model, gpus, tier) -> str:
    r = checkpoint(tier, gpus, model)
    bw = write_bandwidth(tier, gpus)
    return (f"size = P × (2 + 12) B = **{r.checkpoint_size.to('TB').magnitude:.4g} TB** (bf16 weights + Adam state); "
            f"{gpus // PER_NODE:,} nodes write at once: min(nodes × per-node rate, shared ceiling) = {bw / 1e9:,.4g} GB/s; "
            f"time = size ÷ rate = **{r.checkpoint_time.to('s').magnitude:.4g} s**.")


def _stall_math(gpus, sample_kb) -> str:
    f = feed("pfs_tectonic", gpus, sample_kb, 1000)
    return (f"demand = {gpus:,} × {per_gpu_demand():,.0f} = {f.demand.to('1/s').magnitude:,.0f} samples/s; supply = "
            f"2 TB/s ÷ {sample_kb:g} kB = {f.supply.to('1/s').magnitude:,.0f} samples/s; stall = 1 − supply ÷ demand "
            f"= **{100 * f.stall_fraction:.3g} %** (Mohan et al. 2021).")


def _model_name(model, **_) -> dict:
    return {"model_name": Models.get(model).name}


def _tier_name(tier, **_) -> dict:
    return {"tier_name": TIERS[tier]}


QUESTIONS = [
    Question(
        id="pfs_fed",
        prompt=("Each H100 training ResNet-50 reads what the engine says it consumes; every sample is "
                "**{sample_kb:g} kB**. How many **GPUs** can the shared file system (2 TB/s shared, 50 GB/s per node) "
                "keep fed before they start to stall?"),
        variants={"sample_kb": [50, 100, 150, 250, 400, 600], "per_object": [1000]},
        answer=lambda sample_kb, per_object: gpus_fed("pfs_tectonic", sample_kb, per_object),
        tolerance=0.03, unit="GPUs",
        hint="Per GPU: samples/s × bytes per sample. The shared ceiling divided by that is the fleet it feeds.",
        math=_fed_math,
    ),
    Question(
        id="checkpoint_time",
        prompt=("A fleet of **{gpus:,} H100s** ({ppn} per node) trains **{model_name}** and writes a full checkpoint "
                "(bf16 weights + Adam state), every node its shard at once, to the **{tier_name}**. How many "
                "**seconds** does one checkpoint take?"),
        variants={"model": ["llama3_8b", "llama3_70b", "llama3_405b"], "gpus": [64, 256, 1024, 4096],
                  "tier": list(TIERS)},
        answer=lambda model, gpus, tier: checkpoint(tier, gpus, model).checkpoint_time.to("s").magnitude,
        tolerance=0.03, unit="s",
        describe=lambda model, tier, **_: {**_model_name(model), **_tier_name(tier), "ppn": PER_NODE},
        hint="Size = parameters × 14 B. Rate = min(nodes × per-node write rate, the tier's shared ceiling).",
        math=_ckpt_math,
    ),
    Question(
        id="pfs_stall",
        prompt=("**{gpus:,} H100s** train ResNet-50 from the shared file system; samples are **{sample_kb:g} kB**. "
                "What **percentage** of the time do the GPUs stall waiting for data?"),
        variants={"gpus": [8192, 16384, 32768], "sample_kb": [100, 150, 250]},
        answer=lambda gpus, sample_kb: 100.0 * feed("pfs_tectonic", gpus, sample_kb, 1000).stall_fraction,
        tolerance=0.02, unit="%",
        hint="Stall = 1 − supply ÷ demand, when the supply is short.",
        math=_stall_math,
    ),
]


def _first_short() -> str:
    """The tier that stops keeping up first at the prediction's settings (one JPEG per object)."""
    fed = {name: gpus_fed(key, DEFAULT_SAMPLE_KB, 1) for key, name in TIERS.items()}
    low = min(fed, key=fed.get)
    return low if fed[low] < MAX_GPUS else "none, up to 65,536 GPUs"


PREDICTIONS = [
    Prediction(
        id="first_short",
        prompt=("H100s train ResNet-50 on ImageNet, stored as the usual one JPEG file per image (~108 kB). As the "
                "fleet grows from 8 GPUs, which storage tier is **first** to stop keeping up?"),
        options=["local NVMe", "shared file system", "object store", "none, up to 65,536 GPUs"],
        truth=_first_short,
    ),
]
