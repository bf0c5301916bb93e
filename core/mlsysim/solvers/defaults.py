"""Default assumptions of the solvers, each with its source.

DEFAULT_EFFICIENCY = 0.5: the fraction of dense peak FLOP/s that well-tuned
large matrix kernels sustain end to end. Published model FLOP utilisation of
large training runs lies near it: 46.2% for PaLM 540B on TPU v4 (Chowdhery et
al. 2022, Table 3), 38-43% for Llama 3 405B on H100 (Dubey et al. 2024,
Table 4). Small batches and small kernels reach far less; lower it there.

DEFAULT_BANDWIDTH_EFFICIENCY = 1.0: memory traffic runs at the datasheet
bandwidth, the roofline's convention (Williams et al. 2009). Measured STREAM-
like rates on HBM are 80-90% of it; pass a lower value to model that.
"""

DEFAULT_EFFICIENCY = 0.5
DEFAULT_BANDWIDTH_EFFICIENCY = 1.0


# ---------------------------------------------------------------------------
# Fleet-scale defaults (distributed, economics, sustainability, reliability).
# Each value: what it stands for, where it comes from, and how sure we are.
# ---------------------------------------------------------------------------

YEAR_S = 365.25 * 86400.0  # the Julian year, as in units.txt

# Overlap of the gradient all-reduce with the backward pass when overlap_comm=True:
# the fraction of backward compute time behind which buckets can be in flight.
# PyTorch DDP launches each bucket's all-reduce as soon as its gradients are
# ready (Li et al. 2020, "PyTorch Distributed", VLDB 13(12), Sec. 3.2.3); the last
# bucket cannot be hidden, so full overlap is not reached. 0.8 is an estimate.
DEFAULT_OVERLAP_EFFICIENCY = 0.8

# Activation memory: FlashAttention-era training never stores the s x s
# attention scores, which is what Korthikanti et al. 2022 call selective
# recomputation (Sec. 5; it removes the 5 a s / h term at ~2-3% extra compute,
# Table 4), and Megatron enables sequence parallelism with tensor parallelism
# (Korthikanti et al. 2022, Sec. 4.2.2). Both are the defaults of DistributedModel.
DEFAULT_RECOMPUTE = "selective"
DEFAULT_SEQUENCE_PARALLEL = True

# Attention kernels of the FlashAttention era skip the blocks a causal mask hides, so a
# training step computes QK^T and AV against s/2 keys on average, not s (Dao 2023,
# "FlashAttention-2", Sec. 3.1.1: "we only need to compute about half of the blocks";
# Llama 3 balances its context-parallel chunks for exactly that, Dubey et al. 2024,
# Sec. 3.3.2). "full" is the dense masked softmax of Megatron-LM 2021 (all s x s scores).
DEFAULT_ATTENTION_KERNEL = "causal"

# Hardware lifetime for straight-line amortisation of CapEx and embodied carbon.
# Microsoft (FY2022 10-K) depreciated servers over 4 years before extending to 6
# in FY2023; Alphabet likewise from 4 to 6 years in 2023. Accelerators age
# faster than general-purpose servers (a new generation every ~2 years), so the
# shorter, pre-2022 figure: 4 years.
DEFAULT_LIFETIME_YEARS = 4.0

# Maintenance and repair per year, as a fraction of hardware CapEx: 5%, the
# figure of the worked TCO case studies in Barroso, Hoelzle & Ranganathan 2018,
# "The Datacenter as a Computer", 3rd ed., Ch. 6 (server repairs and maintenance).
DEFAULT_MAINTENANCE_FRACTION = 0.05

# Embodied (manufacturing) carbon of one accelerator: 150 kgCO2e, the estimate
# Luccioni, Viguier & Ligozat 2023 ("Estimating the Carbon Footprint of BLOOM",
# JMLR 24, Sec. 4.1) use for an A100 GPU (the server around it, ~2.5 tCO2e per
# node, is not included). Manufacturers publish few per-GPU figures; an estimate.
DEFAULT_EMBODIED_CARBON_KG = 150.0

# Utilisation of the accelerators for energy: 1.0 = at TDP all the time (an
# upper bound: large training jobs run the GPUs near their power limit).
DEFAULT_UTILIZATION = 1.0

# Idle power as a fraction of TDP for the linear power model (Fan, Weber &
# Barroso 2007). Data-centre GPUs idle at roughly 10-20% of TDP (e.g. ~60-70 W
# of 400 W on an A100 and ~70-100 W of 700 W on an H100 in nvidia-smi readings);
# 0.15 is an estimate from those readings.
DEFAULT_IDLE_POWER_FRACTION = 0.15

# Electricity price when the grid lists none: 0.08 USD/kWh, the U.S. average
# industrial retail price in 2023 (EIA, Electric Power Monthly, Table 5.3: 8.0
# cents/kWh).
DEFAULT_ELECTRICITY_PRICE_USD_PER_KWH = 0.08

# PUE when neither a datacenter nor a grid gives one: 1.1, Google's fleet-wide
# trailing-twelve-month PUE (Google 2023 Environmental Report: 1.10).
DEFAULT_PUE = 1.1

# Mean time between job-interrupting failures of ONE accelerator (with its share
# of host, network and software): the Llama 3 405B pre-training run saw 419
# unexpected interruptions in 54 days on 16,384 H100 GPUs (Dubey et al. 2024,
# "The Llama 3 Herd of Models", Sec. 3.3.4, Table 5): 54 x 24 h x 16,384 / 419
# = 50,676 h = 5.78 years per GPU.
DEFAULT_ACCELERATOR_MTBF_HOURS = 54.0 * 24.0 * 16384.0 / 419.0

# Checkpoint write bandwidth of the storage system: 2 TB/s, the sustained
# throughput of the Tectonic cluster that served Llama 3 training (7 TB/s peak)
# (Dubey et al. 2024, Sec. 3.3.1, "Storage").
DEFAULT_STORAGE_BANDWIDTH_BPS = 2e12

# Time to restart a job after a failure (detect, reschedule, reload the last
# checkpoint): 10 minutes, an estimate; Llama 3 reports automated recovery
# without a figure (Dubey et al. 2024, Sec. 3.3.4), and published restart
# times range from minutes to tens of minutes. Measured: automated retries
# 11 minutes apart (median, IQR 10-11) on a 504-GPU B200 cluster (Lablup 2026,
# arXiv 2605.09370); restarts a person drives take hours (GLM-130B's training
# log: 4.15 h on average over 11 hardware interruptions, validation/reliability.toml).
DEFAULT_RESTART_TIME_S = 600.0

# Per-step latency (alpha) of a collective on the scale-up link when serving on
# several accelerators of one server: 2 us, an estimate of the order of NVLink/
# NVSwitch hop latency plus a kernel's synchronisation (NCCL's small-message
# all-reduce on 8 H100s takes ~10-20 us for its 2 (N-1) = 14 steps).
DEFAULT_LINK_LATENCY_S = 2e-6

# ---------------------------------------------------------------------------
# Single node: kernels per pass and how the framework launches them (the Software wall).
# ---------------------------------------------------------------------------

# How a framework runs the kernels of one pass, and which launch cost of
# registry/walls/efficiency.toml ([[launch_overheads]]) each pays per kernel:
#   eager: PyTorch eager mode, one framework operator per kernel, batch norm, activations and
#          residual adds as separate kernels (pytorch_eager);
#   fused: a compiled runtime (TensorRT, torch.compile) with conv + BN + activation (+ add)
#          fused, launching each kernel on a stream directly (cuda_stream);
#   graph: the fused kernels replayed as a CUDA graph (cuda_graph).
DEFAULT_EXECUTION = "eager"
EXECUTION_LAUNCH = {"eager": "pytorch_eager", "fused": "cuda_stream", "graph": "cuda_graph"}

# The weight GEMMs of one Transformer layer, over which its forward flops are spread when the
# Software wall's GEMM table sizes the default efficiency: Q, K, V, output projection, FFN up,
# FFN down (Vaswani et al. 2017, Sec. 3).
GEMMS_PER_TRANSFORMER_LAYER = 6

# The other kernels of one Transformer encoder layer's forward pass, launched one by one (their traffic:
# physics/kernels.py, transformer_elementwise_values; operator list of Ivanov et al. 2021, "Data Movement
# Is All You Need", MLSys): the 2 attention batched GEMMs (QK^T, AV), and the memory-bound kernels
#   eager: 6 biases (Q, K, V, output, FFN up, FFN down), the context's transpose copy, scale, mask add,
#          softmax, 2 residual adds, 2 layernorms, GELU = 15; training adds 3 dropouts;
#   fused: bias + GELU, scale + mask + softmax (+ dropout), the transpose copy, 2 bias + dropout +
#          residual adds, 2 layernorms = 7 (graph: the same kernels in a CUDA graph).
ATTENTION_GEMMS_PER_TRANSFORMER_LAYER = 2
MEMORY_KERNELS_PER_TRANSFORMER_LAYER = {"eager": 15, "fused": 7, "graph": 7}
DROPOUT_KERNELS_PER_TRANSFORMER_LAYER = 3

# Tensor layout of an eager CNN (PyTorch's memory_format): "nchw" (torch.contiguous_format, PyTorch's default)
# or "nhwc" (torch.channels_last). NVIDIA tensor cores run convolutions in NHWC, so with NCHW tensors cuDNN
# transposes each convolution's input and output (physics/kernels.py, layout_transpose_values) in the
# precisions that run on them. The solver assumes channels-last when none is given: the layout NVIDIA's
# DeepLearningExamples configure for mixed-precision CNNs (PyTorch/Classification/ConvNets/configs.yml:
# memory_format: nhwc) and the one that needs no transposes; pass memory_format="nchw" for PyTorch's default.
DEFAULT_MEMORY_FORMAT = "nhwc"
MEMORY_FORMATS = ("nchw", "nhwc")
TENSOR_CORE_PRECISIONS = ("fp16", "bf16", "tf32", "int8", "fp8")

# The Winograd tile of a CNN's 3x3 stride-1 convolutions where they run off the tensor cores (fp32 on CUDA
# cores): with cudnn.benchmark (set by DeepLearningExamples' ConvNets main.py) cuDNN times its algorithms and
# keeps the fastest, and for these shapes in fp32 that is WINOGRAD / WINOGRAD_NONFUSED, while the fp16
# tensor-core convolutions of the same shapes run IMPLICIT_PRECOMP_GEMM (DeepBench, results/train/
# DeepBench_NV_V100.xlsx, cuDNN 7.6.2: the 'Forward Algorithm' column of both sheets). F(2x2, 3x3) does
# 2.25x fewer multiplies (Lavin & Gray 2016, Sec. 4; kernels.winograd_multiply_reduction); the larger
# F(4x4, 3x3) bound (4x) is not reached once its transforms are paid: at ResNet-50's 3x3 shapes (N = 16)
# DeepBench measures 20.7, 23.4, 25.0 and 13.6 TFLOP/s (direct-convolution flops per second) for the
# 56/28/14/7 maps against 8.8-12.2 for the 1x1 convolutions of the same maps, about 2x, so the engine
# takes the 2x2 tile (an estimate of the realised reduction; the source gives times, not a tile size).
DEFAULT_WINOGRAD_TILE = 2

# How a framework keeps the weights of 16-bit work (kernels.weight_update_bytes, kernels.autocast_cast_bytes):
# "master": a 16-bit model whose training keeps fp32 master weights (Micikevicius et al. 2018; apex amp O2, as
# NVIDIA's DeepLearningExamples BERT runs it; a model.half() inference casts nothing); "autocast": PyTorch's
# native torch.cuda.amp, an fp32 model whose weights are cast to 16 bits on every forward pass (NVIDIA's
# DeepLearningExamples ConvNets, image_classification/training.py). The solver assumes "master" when none is given.
DEFAULT_MIXED_PRECISION = "master"
MIXED_PRECISIONS = ("master", "autocast")


# The time a CNN's backward convolutions (data gradient + weight gradient) take, as a multiple of the forward
# convolution of the same layer: Baidu DeepBench, results/train/DeepBench_NV_V100.xlsx (V100, CUDA 10.1.243,
# cuDNN 7.6.2), 'Forward', 'wrt Inputs' and 'wrt Parameters' (msec) of the 14 ResNet-50 v1.5 convolution shapes the
# sheets list (44 of its 53 convolutions: all but conv1, the three stride-2 3x3s and five stage-entry 1x1s), at the
# sheets' largest batch (N = 16), each shape counted as often as the network runs it: sum(count x (dgrad + wgrad)) /
# sum(count x forward) = 2.39 on the tensor cores (sheet 'Results - FP16 ip, Mixed math', IMPLICIT_PRECOMP_GEMM
# throughout) and 2.51 on the CUDA cores (sheet 'Results FP32', Winograd for the 3x3 layers, as the forward the
# engine charges), where counting flops gives 2 (Kaplan et al. 2020). At N = 8 the same sums give 2.85 and 2.41,
# so the figure is known to about +-15%. The engine charges a CNN's listed layers 1 + ratio forward-pass times per
# training step (kernels.conv_training_time_passes): tensor-core precisions (TENSOR_CORE_PRECISIONS) take the
# first, fp32 the second, on any part (DeepBench measured no other; an assumption off the V100).
DEFAULT_CONV_BACKWARD_RATIO_TENSOR_CORE = 2.39
DEFAULT_CONV_BACKWARD_RATIO_CUDA_CORE = 2.51

# How much of the shorter of a tensor-core convolution's math and memory traffic does not hide behind the longer
# (kernels.partial_overlap_time: time = max + n x min): one measured cuBLASLt fp16 GEMM of a convolution's shape on
# an A100-SXM4-80GB, 802,816 x 192 x 768 (M = 256 x 56 x 56, the implicit GEMM of a conv2_x-like layer at batch
# 256), 157.8 TFLOP/s (Azure AI benchmarking guide, ND A100 v4 results, 'GEMM CuBLASLt'): 236.76 GFLOP in 1.500 ms,
# where its math at the GEMM table's 0.859 of 312 TFLOP/s takes 0.883 ms and its 1.542 GB at the A100 80GB's HBM
# ceiling (0.812 of 2,039 GB/s) 0.931 ms: n = (1.500 - 0.931) / 0.883 = 0.644 (the roofline's full overlap
# would give 0.931 ms). Checked against a second source it was not taken from: DeepBench's V100 fp16 forward
# convolutions of the 44 ResNet-50 layers it lists (N = 16) take 2.100 ms, 1.37x the per-layer roofline's 1.533 ms
# and 1.05x its 2.003 ms with n = 0.644. The CUDA-core (fp32) sheet shows no such loss (0.93x the roofline; 0.82x
# with n = 0.644), so fp32 keeps n = 0. Applied to a CNN's listed layers in the 16-bit and TF32 tensor-core
# precisions (NON_OVERLAP_PRECISIONS: fp16 measured, bf16 and tf32 on the same tensor-core pipes; int8 and fp8 have
# no measurement and keep the roofline) on any part (measured on NVIDIA's; an assumption elsewhere).
DEFAULT_TENSOR_CORE_NON_OVERLAP = 0.644
NON_OVERLAP_PRECISIONS = ("fp16", "bf16", "tf32")
