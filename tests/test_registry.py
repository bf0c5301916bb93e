"""The registry's data: every entry loads, every number has a source, and every
entry is what its name says.

The fact tables below are written by hand from the datasheets and papers (cited
per row), not read back from the TOML files, so a copy-paste slip in the data
(an A40 silently equal to an A100, a sparse peak filed as dense) fails here.
"""

from __future__ import annotations

import datetime
import math

import pint
import pytest

from mlsysim.core.errors import UnknownEntryError
from mlsysim.core.registry import data
from mlsysim.core.types import Model, Source
from mlsysim.physics import kernels
from mlsysim.edge_registry import Batteries, DevicePowers, Radios
from mlsysim.pipeline_registry import CpuHosts, Links, Networks, Preprocessing, Storage
from mlsysim.personas import Personas
from mlsysim.registries import Fleets, Grids, Hardware, Models
from mlsysim.wall_registry import CATALOGS as WALL_CATALOGS
from mlsysim.workloads.types import CNNWorkload, TransformerWorkload, Workload

CATALOGS = {"Hardware": Hardware, "Models": Models, "Grids": Grids, "Fleets": Fleets, **WALL_CATALOGS,
            "Storage": Storage, "Preprocessing": Preprocessing, "CpuHosts": CpuHosts, "Links": Links, "Networks": Networks,
            "Personas": Personas, "Batteries": Batteries, "DevicePowers": DevicePowers, "Radios": Radios}
# the days the registry's values were checked against their sources (the walls' data on the second)
CHECK_DATES = {datetime.date(2026, 11, 25), datetime.date(2026, 12, 1)}
ALL_ENTRIES = [(kind, e) for kind, cat in CATALOGS.items() for e in cat]
KINDS = {"datasheet", "paper", "measured", "estimate", "derived"}

T = 1e12  # FLOP/s per TFLOP/s
G = 1e9
GB = 1e9  # bytes
GiB = 2**30


def _id(entry) -> str:
    return getattr(entry, "attr", None) or entry.key


def close(a: float, b: float, rel: float = 1e-3) -> bool:
    return math.isclose(a, b, rel_tol=rel)


# ---------------------------------------------------------------------------
# Hand-written facts, one row per hardware entry:
#   attr: (tier, dense peak_flops TFLOP/s, memory bandwidth bytes/s, memory capacity bytes)
# peak_flops is the fp16 dense peak (bf16 if no fp16 is listed, int8 on int8-only parts).
# ---------------------------------------------------------------------------
HARDWARE_FACTS = {
    # NVIDIA V100 datasheet (SXM2): Tensor 125 TFLOPS, 32 GB HBM2, 900 GB/s
    "V100": ("cloud", 125, 900e9, 32 * GB),
    # NVIDIA A100 datasheet: BF16/FP16 312 (624*), 40GB SXM 1,555 GB/s, 80GB SXM 2,039 GB/s
    "A100_40GB": ("cloud", 312, 1555e9, 40 * GB),
    "A100": ("cloud", 312, 2039e9, 80 * 2**30),  # the datasheet's "80GB" is 80 GiB: nvidia-smi lists 81920 MiB = 85.9e9 B
    # Hopper whitepaper Table 1: H100 SXM5 FP16 989.4 dense (1978.9 sparse); datasheet 3.35 TB/s, 80 GB
    "H100": ("cloud", 989.4, 3.35e12, 80 * GB),
    # H200 datasheet: FP16 1,979* -> 989.5 dense; 141 GB HBM3e at 4.8 TB/s
    "H200": ("cloud", 989.5, 4.8e12, 141 * GB),
    # HGX B200: FP16 4.5 PF* -> 2.25 PF dense; 1,440 GB / 8 = 180 GB; 8 TB/s
    "B200": ("cloud", 2250, 8e12, 180 * GB),
    # T4 datasheet: mixed-precision 65 TFLOPS, 16 GB GDDR6, 320 GB/s
    "T4": ("cloud", 65, 320e9, 16 * GB),
    # L4 datasheet: FP16 242* -> 121 dense, 24 GB, 300 GB/s
    "L4": ("cloud", 121, 300e9, 24 * GB),
    # AMD MI250X: FP16 383 TFLOPS, 128 GB HBM2e, 3.2768 TB/s
    "MI250X": ("cloud", 383, 3.2768e12, 128 * GB),
    # one of its two GCDs (AMD CDNA 2 white paper): 383 / 2 = 191.5 TFLOPS, 3.2768 / 2 = 1.6384 TB/s, 128 / 2 = 64 GB
    "MI250X_GCD": ("cloud", 191.5, 1.6384e12, 64 * GB),
    # AMD MI300X: FP16 1307.4 dense (2614.9 sparse), 192 GB HBM3, 5.3 TB/s
    "MI300X": ("cloud", 1307.4, 5.3e12, 192 * GB),
    # Intel (Hot Chips 2024): Gaudi 2 BF16 432, 96 GB, 2.46 TB/s; Gaudi 3 BF16 1835, 128 GB, 3.67 TB/s
    "Gaudi2": ("cloud", 432, 2.46e12, 96 * GB),
    "Gaudi3": ("cloud", 1835, 3.67e12, 128 * GB),
    # Google Cloud TPU docs: v4 275 TFLOPS bf16, 32 GiB at 1200 GBps; v5p 459 TFLOPS, 95 GB at 2765 GBps
    "TPUv4": ("cloud", 275, 1200e9, 32 * GiB),
    "TPUv5p": ("cloud", 459, 2765e9, 95 * GB),
    # DGX Spark: 128 GB LPDDR5x at 273 GB/s; FP16 dense derived from 1 PF FP4 sparse -> 125
    "DGXSpark": ("workstation", 125, 273e9, 128 * GB),
    # Apple M3 Max (40-core GPU): 400 GB/s, up to 128 GB; GPU ~14.3 TFLOPS derived
    "MacBookM3Max": ("workstation", 14.3, 400e9, 128 * GB),
    # Apple A17 Pro: NE 35 TOPS (int8), fp16 17.5 estimated; 8 GB LPDDR5-6400 x64 = 51.2 GB/s
    "iPhone15Pro": ("mobile", 17.5, 51.2e9, 8 * GB),
    # Pixel 8: 8 GB LPDDR5X; Mali-G715 MP7 fp16 ~1.6 TFLOPS (estimate)
    "Pixel8": ("mobile", 1.6, 68.3e9, 8 * GB),
    # Snapdragon 8 Gen 3: LPDDR5X 4800 MHz x 64 bit = 76.8 GB/s; NPU ~45 TOPS int8
    "Snapdragon8Gen3": ("mobile", 22.5, 76.8e9, 12 * GB),
    # Jetson Orin NX 16GB data sheet: 16 GB LPDDR5 at 102.4 GB/s; 50 dense / 100 sparse INT8 TOPS
    "JetsonOrinNX": ("edge", 15.0, 102.4e9, 16 * GB),
    # Coral USB Accelerator: 4 TOPS int8; ~8 MB on-chip SRAM; USB 3.0 (5 Gb/s)
    "CoralEdgeTPU": ("edge", 4, 5e9 / 8, 8e6),
    # Intel NCS2 (Myriad X): 1 TOPS DNN (fp16); 4 Gbit LPDDR4
    "NUCMovidius": ("edge", 1, 12.8e9, 512 * 2**20),
    # NVIDIA A2 datasheet: FP16 36* -> 18 dense, 16 GB GDDR6, 200 GB/s
    "EdgeServer": ("edge", 18, 200e9, 16 * GB),
    # ESP32-S3 datasheet: 512 KB SRAM; 2 cores x 16 int8 MAC x 2 x 240 MHz = 15.36 GOP/s
    "ESP32_S3": ("tiny", 15.36e-3, 3.84e9, 512 * 1024),
    # Himax WE-I Plus: ARC EM9D 400 MHz, 2 MB SRAM; 2 MAC x 2 x 400 MHz = 1.6 GOP/s
    "HimaxWEI": ("tiny", 1.6e-3, 1.6e9, 2 * 2**20),
    # nRF52840: Cortex-M4F 64 MHz, 256 KB RAM; SMLAD 2 MAC x 2 x 64 MHz = 256 MOP/s
    "nRF52840": ("tiny", 0.256e-3, 256e6, 256 * 1024),
}

# Specific per-precision facts that the datasheets print (dense unless the key says sparse).
PRECISION_FACTS = [
    ("H100", "precision_flops", "fp16", 989.4 * T),  # Hopper whitepaper, not the 1,979 sparse
    ("H100", "precision_flops", "fp8", 1978.9 * T),
    ("H100", "sparse_flops", "fp16", 1978.9 * T),
    ("A100", "precision_flops", "tf32", 156 * T),  # A100 datasheet: TF32 156 (312*)
    ("A100_40GB", "precision_flops", "int8", 624 * T),
    ("H200", "precision_flops", "fp8", 1979 * T),  # 3,958* / 2
    ("B200", "precision_flops", "fp8", 4500 * T),  # 9 PF* / 2
    ("L4", "precision_flops", "int8", 242.5 * T),  # 485* / 2
    ("T4", "precision_flops", "int8", 130 * T),
    ("MI300X", "precision_flops", "fp8", 2614.9 * T),
    ("MI300X", "sparse_flops", "fp16", 2614.9 * T),
    ("TPUv5p", "precision_flops", "int8", 918 * T),
    ("JetsonOrinNX", "precision_flops", "int8", 50 * T),  # Orin NX 16GB: 50 dense INT8 TOPS
    ("JetsonOrinNX", "sparse_flops", "int8", 100 * T),
    ("CoralEdgeTPU", "precision_flops", "int8", 4 * T),
    ("iPhone15Pro", "precision_flops", "int8", 35 * T),  # Apple: 35 trillion ops/s
    ("EdgeServer", "precision_flops", "int8", 36 * T),  # A2: 72* / 2
]

# ---------------------------------------------------------------------------
# Hand-written facts per model:
#   attr: (family, parameters, {field: value, ...})
# ---------------------------------------------------------------------------
MODEL_FACTS = {
    # Radford et al. 2019, Table 2: 1542M, 48 layers, d_model 1600; gpt2-xl config: 25 heads, 1024 ctx
    "GPT2": ("language", 1.542e9, dict(layers=48, hidden_dim=1600, heads=25, seq_len=1024, vocab_size=50257)),
    # Brown et al. 2020, Table 2.1: 175B, 96 layers, 12288, 96 heads x 128, ctx 2048; 300B tokens
    "GPT3": ("language", 175e9, dict(layers=96, hidden_dim=12288, heads=96, head_dim=128, seq_len=2048)),
    # SemiAnalysis estimate: ~1.8T total, ~280B active, 120 layers, 16 experts, top-2
    "GPT4": ("language", 1.8e12, dict(layers=120, experts=16, experts_per_token=2)),
    # Devlin et al. 2019: Base L=12 H=768 A=12 110M; Large L=24 H=1024 A=16 340M
    "BERT_Base": ("language", 110e6, dict(layers=12, hidden_dim=768, heads=12, ffn_dim=3072, seq_len=512)),
    "BERT_Large": ("language", 340e6, dict(layers=24, hidden_dim=1024, heads=16, ffn_dim=4096, seq_len=512)),
    # DeepLearningExamples' BertForQuestionAnswering (2019 modeling.py): the modules' parameters, vocab padded to 30,528
    "BERT_Large_SQuAD": ("language", 335_150_082, dict(layers=24, hidden_dim=1024, heads=16, ffn_dim=4096, seq_len=384,
                                                        vocab_size=30528, output_head="span")),
    # Llama 2 configs: 7B 32x4096, 32 heads (MHA), ffn 11008; 70B 80x8192, 64 heads, GQA 8, ffn 28672
    "Llama2_7B": ("language", 6.738e9, dict(layers=32, hidden_dim=4096, heads=32, kv_heads=32, ffn_dim=11008, vocab_size=32000, seq_len=4096)),
    "Llama2_70B": ("language", 68.98e9, dict(layers=80, hidden_dim=8192, heads=64, kv_heads=8, ffn_dim=28672, vocab_size=32000, seq_len=4096)),
    # Touvron et al. 2023 (LLaMA), Table 2: 6.7B 32x4096, 32 heads; 2,048 context, 32k vocab;
    # released config: intermediate_size 11008 (the model GPTQ's README measured)
    "LLaMA_7B": ("language", 6.7e9, dict(layers=32, hidden_dim=4096, heads=32, kv_heads=32, ffn_dim=11008, vocab_size=32000, seq_len=2048)),
    # Narayanan et al. 2021 (Megatron-LM), Table 1: parameters, heads, hidden, layers; V = 51,200, s = 2,048 (Sec. 5.1)
    "MegatronGPT_1p7B": ("language", 1.7e9, dict(layers=24, hidden_dim=2304, heads=24, vocab_size=51200, seq_len=2048)),
    "MegatronGPT_18B": ("language", 18.4e9, dict(layers=40, hidden_dim=6144, heads=48, vocab_size=51200, seq_len=2048)),
    "MegatronGPT_146B": ("language", 145.6e9, dict(layers=80, hidden_dim=12288, heads=96, vocab_size=51200, seq_len=2048)),
    "MegatronGPT_530B": ("language", 529.6e9, dict(layers=105, hidden_dim=20480, heads=128, vocab_size=51200, seq_len=2048)),
    "MegatronGPT_1T": ("language", 1008.0e9, dict(layers=128, hidden_dim=25600, heads=160, vocab_size=51200, seq_len=2048)),
    # BLOOM training script tr11-176B-ml.slurm: 70 layers, 14336 hidden, 112 heads, 2048; paper: 176,247M, vocab 250,680
    "BLOOM_176B": ("language", 176.247e9, dict(layers=70, hidden_dim=14336, heads=112, vocab_size=250680, seq_len=2048)),
    # Llama 3 configs: 8B 32x4096, 32 heads, 8 KV, ffn 14336; 70B 80x8192, 64 heads, 8 KV; vocab 128256
    "Llama3_8B": ("language", 8.03e9, dict(layers=32, hidden_dim=4096, heads=32, kv_heads=8, ffn_dim=14336, vocab_size=128256, seq_len=8192)),
    "Llama3_70B": ("language", 70.55e9, dict(layers=80, hidden_dim=8192, heads=64, kv_heads=8, ffn_dim=28672, vocab_size=128256)),
    # Llama 3 herd paper, Table 3: 405B, 126 layers, 16384, 128 heads, 8 KV, ffn 53248
    "Llama3_405B": ("language", 405e9, dict(layers=126, hidden_dim=16384, heads=128, kv_heads=8, ffn_dim=53248)),
    # Mixtral paper Table 1 + Mistral blog: 46.7B total, 12.9B active, 8 experts, top-2
    "Mixtral_8x7B": ("language", 46.7e9, dict(layers=32, hidden_dim=4096, heads=32, kv_heads=8, ffn_dim=14336, experts=8, experts_per_token=2)),
    # torchvision: AlexNet 61,100,840; ResNet-50 25,557,032; MobileNetV2 3,504,872; Ultralytics YOLOv8n 3.2M
    "AlexNet": ("vision", 61100840, {}),
    "ResNet50": ("vision", 25557032, {}),
    "MobileNetV2": ("vision", 3504872, {}),
    "YOLOv8n": ("vision", 3.2e6, {}),
    # MLPerf Tiny references (derived counts), Wake Vision MobileNetV2-0.25 @ 96x96
    "DS_CNN": ("tiny", 24908, {}),
    "WakeVision": ("tiny", 251330, {}),
    "AnomalyAE": ("tiny", 269992, {}),
    # MLPerf DLRM-DCNv2: 204,184,588 embedding rows x 128 + ~16M dense
    "DLRM": ("recommendation", 26.15e9, {}),
}

# inference FLOPs per sample (2 x MACs) for the non-Transformer models
INFERENCE_FLOPS = {
    "AlexNet": 2 * 0.714e9,  # torchvision 0.71 GMACs
    "ResNet50": 2 * 4.09e9,  # torchvision 4.09 GMACs
    "MobileNetV2": 2 * 0.30e9,  # paper: 300M MAdds
    "YOLOv8n": 8.7e9,  # Ultralytics reports FLOPs already
    "DS_CNN": 2 * 2_656_768,
    "WakeVision": 2 * 6.6e6,
    "AnomalyAE": 2 * 264_192,
    "DLRM": 2 * 16.03e6,
}


# ---------------------------------------------------------------------------
# Loading and provenance
# ---------------------------------------------------------------------------
def test_every_catalog_loads_with_the_expected_entries():
    assert {_id(h) for h in Hardware} == set(HARDWARE_FACTS)
    assert {_id(m) for m in Models} == set(MODEL_FACTS)
    assert len(Grids) >= 11
    assert {f.attr for f in Fleets} >= {"Research256", "Frontier8K"}


def test_registry_entries_are_reachable_by_group_and_attribute():
    assert Hardware.Cloud.H100 is Hardware.get("h100")
    assert Hardware.Edge.JetsonOrinNX.name.startswith("NVIDIA Jetson Orin NX")
    assert Hardware.Workstation.DGXSpark.tier == "workstation"
    assert Hardware.Mobile.iPhone15Pro.tier == "mobile"
    assert Hardware.Tiny.ESP32_S3.tier == "tiny"
    assert Models.Language.Llama3_8B.name == "Llama-3-8B"
    assert Models.Vision.ResNet50.name == "ResNet-50"
    assert Models.Tiny.DS_CNN.family == "tiny"
    assert Models.Recommendation.DLRM.architecture == "Recommendation"
    assert Grids.Quebec is Grids.get("quebec")
    assert Fleets.Research256 is Fleets.get("research256")


def _registry_objects():
    return [e for e in Hardware] + [g for g in Grids]


def _numeric_paths(model: Model, prefix: str = ""):
    """Dotted paths of every number or quantity the data set on this entry (not defaults)."""
    registry_objects = _registry_objects()
    for name in sorted(model.model_fields_set):
        value = getattr(model, name)
        path = prefix + name
        if isinstance(value, Model):
            if any(value is r for r in registry_objects):
                continue  # a referenced registry entry, checked on its own
            yield from _numeric_paths(value, path + ".")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (int, float, pint.Quantity)):
                    yield f"{path}.{key}"
        elif isinstance(value, (int, float, pint.Quantity)) and not isinstance(value, bool):
            yield path


@pytest.mark.parametrize("kind,entry", ALL_ENTRIES, ids=lambda x: x if isinstance(x, str) else _id(x))
def test_every_number_has_a_source(kind, entry):
    sourced = entry.provenance_paths()
    paths = list(_numeric_paths(entry))
    assert paths, f"{kind} {_id(entry)} has no numbers at all"
    missing = [p for p in paths if p not in sourced]
    assert not missing, f"{kind} {_id(entry)}: no source for {missing}"
    for path in paths:
        src = entry.provenance(path)
        assert isinstance(src, Source)
        assert src.title.strip(), f"{kind} {_id(entry)}.{path}: source without a title"
        assert src.kind in KINDS


def test_every_source_is_well_formed_and_cited():
    sources = data().sources
    assert sources
    for sid, src in sources.items():
        assert src.title.strip(), sid
        assert src.kind in KINDS, sid
        assert src.date in CHECK_DATES, f"{sid}: checked on {src.date}"
        if src.url is not None:
            assert src.url.startswith("https://"), sid
    cited = {(s.title, s.url, s.kind) for _, e in ALL_ENTRIES for s in e.provenance_paths().values()}
    unused = [sid for sid, s in sources.items() if (s.title, s.url, s.kind) not in cited]
    assert not unused, f"sources defined but cited by no entry: {unused}"


def test_estimates_are_marked_as_estimates():
    # Numbers the vendor or author never published must not pose as datasheet values.
    assert Models.GPT4.provenance("parameters").kind == "estimate"
    assert Models.GPT4.provenance("hidden_dim").kind == "estimate"
    assert Hardware.Mobile.Snapdragon8Gen3.provenance("compute.precision_flops.int8").kind == "estimate"
    assert Hardware.Mobile.iPhone15Pro.provenance("compute.precision_flops.fp16").kind == "estimate"
    assert Hardware.Tiny.ESP32_S3.provenance("compute.peak_flops").kind == "derived"
    assert Hardware.Workstation.DGXSpark.provenance("compute.precision_flops.fp16").kind == "derived"
    for h in Hardware:
        if h.unit_cost is not None:
            assert h.provenance("unit_cost").kind in {"estimate", "datasheet"}, h.attr


# ---------------------------------------------------------------------------
# Each entry is what its name says
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("attr", sorted(HARDWARE_FACTS))
def test_hardware_matches_its_datasheet_row(attr):
    tier, peak_tflops, bandwidth, capacity = HARDWARE_FACTS[attr]
    hw = Hardware.get(attr)
    assert hw.attr == attr
    assert hw.tier == tier
    assert close(hw.compute._si["peak_flops"], peak_tflops * T), f"{attr} peak {hw.compute.peak_flops}"
    assert close(hw.memory._si["bandwidth"], bandwidth), f"{attr} bandwidth {hw.memory.bandwidth}"
    assert close(hw.memory._si["capacity"], capacity), f"{attr} capacity {hw.memory.capacity}"


@pytest.mark.parametrize("attr,table,precision,value", PRECISION_FACTS)
def test_per_precision_peaks_match_the_datasheets(attr, table, precision, value):
    hw = Hardware.get(attr)
    assert close(hw.compute._si[f"{table}.{precision}"], value)


def test_no_two_hardware_entries_are_the_same_numbers():
    seen = {}
    for hw in Hardware:
        sig = (round(hw.compute._si["peak_flops"], -6), round(hw.memory._si["bandwidth"], -3), round(hw.memory._si["capacity"], -3))
        assert sig not in seen, f"{hw.attr} has the same (peak, bandwidth, capacity) as {seen[sig]}"
        seen[sig] = hw.attr


def test_each_tier_lists_exactly_its_entries():
    for tier in ("cloud", "workstation", "mobile", "edge", "tiny"):
        expected = {a for a, row in HARDWARE_FACTS.items() if row[0] == tier}
        assert {h.attr for h in Hardware.list(tier=tier)} == expected, tier
    assert {h.attr for h in Hardware.list(tier="edge")} == {"JetsonOrinNX", "CoralEdgeTPU", "NUCMovidius", "EdgeServer"}


def test_microcontrollers_give_sram_and_flash_separately():
    for hw in Hardware.list(tier="tiny"):
        assert hw.memory.flash_capacity is not None, hw.attr
        assert hw.memory._si["capacity"] <= 4 * 2**20, f"{hw.attr}: capacity should be SRAM"
    assert close(Hardware.Tiny.nRF52840.memory.flash_capacity.m_as("byte"), 2**20)
    assert close(Hardware.Tiny.HimaxWEI.memory.flash_capacity.m_as("byte"), 2 * 2**20)


def test_int8_only_parts_list_only_int8():
    coral = Hardware.Edge.CoralEdgeTPU
    assert set(coral.compute.precision_flops) == {"int8"}
    assert coral.peak_flops_si("fp16") == (0.0, None)  # cannot run fp16 at all


# ---------------------------------------------------------------------------
# Dense versus sparse
# ---------------------------------------------------------------------------
HEADLINE_ORDER = ("fp16", "bf16", "int8")


@pytest.mark.parametrize("hw", list(Hardware), ids=_id)
def test_dense_peak_is_at_most_the_sparse_peak(hw):
    for p, sparse in hw.compute.sparse_flops.items():
        assert p in hw.compute.precision_flops, f"{hw.attr}: sparse {p} without a dense {p}"
        dense = hw.compute._si[f"precision_flops.{p}"]
        sparse = hw.compute._si[f"sparse_flops.{p}"]
        assert dense <= sparse <= 2.01 * dense, f"{hw.attr} {p}: dense {dense:.4g} sparse {sparse:.4g}"


@pytest.mark.parametrize("hw", list(Hardware), ids=_id)
def test_peak_flops_is_the_dense_headline_precision(hw):
    table = hw.compute.precision_flops
    headline = next(p for p in HEADLINE_ORDER if p in table)
    assert close(hw.compute._si["peak_flops"], hw.compute._si[f"precision_flops.{headline}"]), hw.attr
    if headline in hw.compute.sparse_flops:  # and never the sparse figure of that precision
        assert hw.compute._si["peak_flops"] < hw.compute._si[f"sparse_flops.{headline}"], hw.attr


def test_h100_headline_is_dense_not_sparse():
    h100 = Hardware.Cloud.H100
    assert close(h100.peak_flops("fp16").m_as("TFLOP/s"), 989.4)
    assert not close(h100.peak_flops("fp16").m_as("TFLOP/s"), 1979, rel=0.01)


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,attr", [
    ("H100 SXM", "H100"), ("h100", "H100"), ("H100-SXM5", "H100"), ("a100 40gb", "A100_40GB"),
    ("A100", "A100"), ("tpu v5p", "TPUv5p"), ("Gaudi 3", "Gaudi3"), ("mi300x", "MI300X"),
    ("Jetson Orin NX", "JetsonOrinNX"), ("edge tpu", "CoralEdgeTPU"), ("esp32-s3", "ESP32_S3"),
    ("DGX Spark", "DGXSpark"), ("iphone 15 pro", "iPhone15Pro"), ("nrf52840", "nRF52840"),
])
def test_hardware_aliases_resolve_case_insensitively(name, attr):
    assert Hardware.get(name) is Hardware.get(attr)
    assert Hardware.get(name).attr == attr


@pytest.mark.parametrize("name,attr", [
    ("llama 3 8b", "Llama3_8B"), ("Meta-Llama-3-70B", "Llama3_70B"), ("gpt-3", "GPT3"),
    ("mixtral 8x7b", "Mixtral_8x7B"), ("bert-base-uncased", "BERT_Base"), ("resnet-50", "ResNet50"),
    ("yolov8n", "YOLOv8n"), ("DS-CNN", "DS_CNN"), ("dlrmv2", "DLRM"),
])
def test_model_aliases_resolve_case_insensitively(name, attr):
    assert Models.get(name).attr == attr


def test_unknown_names_raise_with_close_suggestions():
    with pytest.raises(UnknownEntryError) as err:
        Hardware.get("H1000")
    assert any("h100" in s.lower() for s in err.value.suggestions)
    with pytest.raises(UnknownEntryError) as err:
        Models.get("llama3-8")
    assert any("llama" in s.lower() for s in err.value.suggestions)
    with pytest.raises(UnknownEntryError):
        Grids.get("atlantis")
    with pytest.raises(AttributeError):
        Hardware.Cloud.H1000


def test_grid_aliases_resolve():
    assert Grids.get("us-east-1").attr == "USEastVirginia"
    assert Grids.get("europe-north1").attr == "EuropeNorthFinland"
    assert Grids.get("Québec") is Grids.Quebec
    assert Grids.get("QUEBEC") is Grids.Quebec


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("attr", sorted(MODEL_FACTS))
def test_model_matches_its_paper_row(attr):
    family, params, fields = MODEL_FACTS[attr]
    m = Models.get(attr)
    assert m.family == family
    assert close(m._si["parameters"], params), f"{attr}: {m.parameters}"
    for field, value in fields.items():
        assert getattr(m, field) == value, f"{attr}.{field} = {getattr(m, field)}, expected {value}"


@pytest.mark.parametrize("attr", sorted(INFERENCE_FLOPS))
def test_non_transformers_give_per_sample_flops(attr):
    m = Models.get(attr)
    assert not isinstance(m, TransformerWorkload)
    assert close(m._si["inference_flops"], INFERENCE_FLOPS[attr], rel=0.01)


def test_architectures_map_to_the_right_types():
    for m in Models:
        if m.family == "language":
            assert isinstance(m, TransformerWorkload), m.attr
            for field in ("layers", "hidden_dim", "heads", "kv_heads", "vocab_size", "seq_len"):
                assert getattr(m, field), f"{m.attr}.{field}"
    for attr in ("AlexNet", "ResNet50", "MobileNetV2", "YOLOv8n", "DS_CNN", "WakeVision"):
        assert isinstance(Models.get(attr), CNNWorkload)
    assert type(Models.DLRM) is Workload


def test_llama3_8b_kv_cache_per_token_by_hand():
    m = Models.Language.Llama3_8B
    # 2 (K and V) x 32 layers x 8 KV heads x 128 head_dim x 2 bytes (fp16) = 131,072 B per token,
    # so a full 8,192-token context (Meta's config.json max_position_embeddings) is 131,072 x 8,192 = 2^30 B = 1 GiB
    assert kernels.kv_cache_bytes(m.layers, m.kv_heads, m.head_dim, seq_len=m.seq_len, batch=1, bytes_per_value=2) == 2**30
    assert (m.layers, m.kv_heads, m.head_dim) == (32, 8, 128)
    assert kernels.kv_cache_bytes(m.layers, m.kv_heads, m.head_dim, seq_len=1, batch=1, bytes_per_value=2) == 131_072


def test_gqa_models_have_fewer_kv_heads_than_heads():
    assert Models.Llama2_70B.kv_heads == 8 < Models.Llama2_70B.heads
    assert Models.Llama2_7B.kv_heads == Models.Llama2_7B.heads  # 7B is plain multi-head


def test_mixture_of_experts_models():
    mix = Models.Language.Mixtral_8x7B
    assert mix.is_moe and mix.experts == 8 and mix.experts_per_token == 2
    assert close(mix.active_parameters_si, 12.9e9) and close(mix._si["parameters"], 46.7e9)
    assert mix.active_parameters_si < mix._si["parameters"]
    gpt4 = Models.Language.GPT4
    assert gpt4.is_moe and gpt4.active_parameters_si < gpt4._si["parameters"]


def test_gpt3_published_training_compute_matches_6ND():
    m = Models.Language.GPT3
    six_nd = kernels.transformer_training_flops(175e9, 300e9)
    assert six_nd == pytest.approx(3.15e23)
    assert close(m._si["training_ops"], 3.14e23)
    assert abs(m._si["training_ops"] - six_nd) / six_nd < 0.01


def test_llama3_405b_published_compute_is_near_6ND():
    m = Models.Language.Llama3_405B
    six_nd = kernels.transformer_training_flops(m._si["parameters"], m._si["training_tokens"])
    assert abs(m._si["training_ops"] - six_nd) / six_nd < 0.05  # paper: 3.8e25 FLOPs


@pytest.mark.parametrize("m", [m for m in Models if isinstance(m, TransformerWorkload)], ids=_id)
def test_head_dim_times_heads_is_hidden_dim(m):
    assert m.head_dim * m.heads == m.hidden_dim, m.attr
    assert m.heads % m.kv_heads == 0


def test_transformer_parameter_counts_agree_with_their_shapes():
    # 12 * L * d^2 (attention + 4d MLP) + vocab * d, for the dense MHA models with a 4d MLP
    for attr in ("GPT2", "GPT3", "BERT_Base", "BERT_Large"):
        m = Models.get(attr)
        estimate = 12 * m.layers * m.hidden_dim**2 + m.vocab_size * m.hidden_dim
        assert abs(estimate - m._si["parameters"]) / m._si["parameters"] < 0.06, attr


# ---------------------------------------------------------------------------
# Grids and fleets
# ---------------------------------------------------------------------------
def test_clean_and_dirty_grids_differ_by_more_than_twenty_times():
    ratio = Grids.Poland._si["carbon_intensity"] / Grids.Quebec._si["carbon_intensity"]
    assert ratio > 20
    assert 1 <= Grids.Quebec.carbon_intensity.m_as("gCO2e/kWh") <= 30
    assert 600 <= Grids.Poland.carbon_intensity.m_as("gCO2e/kWh") <= 800
    assert Grids.Norway._si["carbon_intensity"] < Grids.France._si["carbon_intensity"] < Grids.USAverage._si["carbon_intensity"]


def test_grid_values_are_in_range():
    for g in Grids:
        assert 1.0 <= g.pue <= 3.0, g.attr
        assert 0 < g.carbon_intensity.m_as("gCO2e/kWh") < 1200, g.attr
        assert g.wue is not None and 0 < g.wue.m_as("L/kWh") < 5, g.attr
        assert g.electricity_price is not None and 0.01 < g.electricity_price.m_as("USD/kWh") < 0.5, g.attr
    for attr in ("Quebec", "Norway", "France", "USAverage", "Germany", "India", "Poland",
                 "USEastVirginia", "USWestOregon", "EuropeNorthFinland", "AsiaSingapore"):
        assert Grids.get(attr).attr == attr


def test_fleet_sizes():
    assert Fleets.Research256.total_accelerators == 256
    assert Fleets.Frontier8K.total_accelerators == 8192
    assert Fleets.Frontier8K.accelerator is Hardware.Cloud.H100
    assert Fleets.Research256.accelerator is Hardware.Cloud.H100


def test_fleet_fabric_is_one_400g_nic_per_gpu():
    for f in (Fleets.Research256, Fleets.Frontier8K):
        assert close(f.fabric._si["bandwidth"], 50e9)  # 400 Gb/s NDR = 50 GB/s per direction
        assert close(f.node._si["intra_node_bw"], 450e9)  # NVLink 4: 900 GB/s bidirectional
    assert Fleets.Frontier8K.fabric.topology == "rail-optimized"
    assert Fleets.Research256.effective_grid is Grids.USAverage
    assert Fleets.Frontier8K.effective_grid is Grids.USEastVirginia
    assert 1.0 <= Fleets.Frontier8K.effective_pue <= 3.0
