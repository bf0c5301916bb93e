"""The single-node (and a serving) solve's ``assumptions``, word for word and in order.

The notes are written from the solve's inputs and the plan (kernel counts, table names, bytes per kernel); a
change in how or when they are built must leave every string and its place unchanged, because labs and the
validation report show them as they are. Each number in the literals comes from the registry or by hand:

- ResNet-50 (registry models/vision.toml): 174 eager kernels per forward pass (228 with autocast: 54 weight
  casts, one per GEMM-class layer, PyTorch torch.amp's ``_to_copy`` per weight), 54 GEMM-class layers,
  25 groups of layer_shapes, 8.18 GFLOP forward per sample; PyTorch eager launch 48 us (walls/efficiency.toml).
  - V100 fp32 training at batch 64: 8.18e9 x 64 / 54 = 9.69 GFLOP per GEMM-class kernel, read in
    v100_gemm_fp32 (0.6); the V100's HBM table caps at its measured 750 of 900 GB/s = 0.833.
    Winograd F(2x2, 3x3): (2 x 3)^2 / (2 + 3 - 1)^2 = 36 / 16 = 2.25x fewer multiplies (Lavin & Gray 2016).
    Fused Adam in fp32: 25.56e6 params x 28 B (read weight, grad, m, v; write weight, m, v, 4 B each) = 0.716 GB.
  Training convolutions: backward at DeepBench's measured 2.51x the forward on the CUDA cores (fp32) and 2.39x on
  the tensor cores (solvers/defaults.py, DEFAULT_CONV_BACKWARD_RATIO_*); on the tensor cores 0.644 of each layer's
  shorter side does not overlap (DEFAULT_TENSOR_CORE_NON_OVERLAP, one measured cuBLASLt GEMM, defaults.py).
- BERT-Large (340M parameters, 24 layers): the eager kernel count is tests/test_single_node_transformer.py's and
  tests/test_bert_pretraining_step.py's subject (648 per forward pass with the operators outside the encoder layers);
  here it is pinned as text.
"""

from mlsysim.solvers import SingleNodeModel

S = SingleNodeModel()
EAGER = ("execution=eager (none given: the default for a cloud-tier part): {n} kernels per forward pass, 48 us per launch "
         "(PyTorch eager operator (Python module call, framework dispatch and launch: the host's time per operator)), "
         "launched asynchronously: the host's launches and the device's work overlap")
LAYERS = ("GEMM-class layers one by one (25 groups of the registry's layer_shapes): max(compute, traffic) per layer, "
          "summed (kernels.layer_roofline_time)")
OVERLAP = ("; on the tensor cores 0.644 of each layer's shorter side (math or traffic) does not overlap the longer "
           "(kernels.partial_overlap_time)")
CNN_ACTS = ("activations: each conv output written once and read once by the next layer; eager batch norm, activation, "
            "add and pooling kernels read and write their tensors again")
NHWC = "memory_format=nhwc (none given): no layout transposes (channels-last tensors, or convolutions off the tensor cores)"
TRAINING = "training: forward + backward = 3x forward ops, traffic and kernel launches"
ADAM = "memory: weights + gradients + 12 B/param Adam state (ZeRO, Sec. 3.1) + activations"


def test_resnet50_inference_with_a_given_efficiency():
    r = S.solve("resnet50", "h100", batch_size=1, precision="fp16", efficiency=0.5)
    assert r.assumptions == [
        "efficiency=0.5 of dense peak (given)",
        "bandwidth_efficiency=1: none given, so the datasheet bandwidth (the roofline convention) for the weights and "
        "the GEMMs' activations",
        EAGER.format(n=174),
        LAYERS + OVERLAP,
        CNN_ACTS,
        NHWC,
        # ResNet-50's inference peak, 2,609,152 values an image (tests/test_inference_residency.py) x 2 B = 5.218 MB
        "inference memory: weights + the peak live activations (5.218 MB per sample: the largest layer's input + output + "
        "the block input its residual add keeps + eager batch norm's copy of the output, kernels.inference_peak_live_values), "
        "not their sum over layers: no autograd graph, so each tensor is freed after its last use; the allocator's reserve "
        "and cuDNN's workspace are not counted",
        "inference: one forward pass",
    ]


def test_resnet50_fp32_training_on_v100_reads_the_tables():
    r = S.solve("resnet50", "v100", batch_size=64, precision="fp32", is_training=True)
    assert r.assumptions == [
        "efficiency=0.6 of dense peak: none given, so the Software wall's GEMM table (v100_gemm_fp32, 0.6) at "
        "9.69 GFLOP per GEMM-class kernel",
        "bandwidth_efficiency=0.833: none given, so the Software wall's memory table (v100_memory) at 107 MB per "
        "GEMM-class kernel for the weights and the GEMMs' activations",
        "memory-bound kernels at 0.833 of the datasheet bandwidth: the Software wall's HBM table (v100_memory) at "
        "126 MB per kernel",
        EAGER.format(n=174),
        "weight update: fused Adam in fp32, one optimizer step per 1 micro-batch: 0.716 GB per micro-batch at 0.833 of "
        "the datasheet bandwidth (the Software wall's HBM table (v100_memory) at its bytes) "
        "(kernels.weight_update_bytes, kernels.autocast_cast_bytes)",
        LAYERS + "; 3x3 stride-1 convolutions with Winograd F(2x2, 3x3), 2.25x fewer multiplies (cuDNN's choice off "
                 "the tensor cores); backward convolutions at 2.51x the forward's time (DeepBench, V100)",
        CNN_ACTS,
        NHWC,
        TRAINING,
        ADAM,
    ]


def test_resnet50_autocast_training_names_the_casts():
    r = S.solve("resnet50", "a100", batch_size=256, precision="fp16", is_training=True, mixed_precision="autocast")
    assert r.assumptions[3] == EAGER.format(n=228)
    assert r.assumptions[4].startswith(
        "mixed_precision=autocast: fp32 weights cast to fp16 on every forward, the gradients cast back and unscaled; "
        "weight update: fused Adam in fp32, one optimizer step per 1 micro-batch: ")
    assert r.assumptions[5:] == [LAYERS + "; backward convolutions at 2.39x the forward's time (DeepBench, V100)" + OVERLAP,
                                  CNN_ACTS, NHWC, TRAINING, ADAM]


def test_bert_large_training():
    r = S.solve("bert_large", "a100", batch_size=32, precision="fp16", is_training=True, seq_len=128)
    assert r.assumptions[3:] == [
        EAGER.format(n=648),
        r.assumptions[4],  # the update's bytes: tests/test_weight_update.py derives them
        "activations: the projections' inputs and outputs once each way; memory-bound kernels eager: every bias, scale, "
        "mask, softmax, dropout, GELU, residual add and layernorm its own kernel, the attention scores (heads x seq per "
        "token) written and read by each; backward moves 1.5x their forward traffic",
        TRAINING,
        ADAM,
    ]
    assert r.assumptions[4].startswith("weight update: fused Adam in fp32 with fp32 master weights (mixed_precision=master "
                                       "(none given)), one optimizer step per 1 micro-batch: ")
    assert r.assumptions[0].startswith("efficiency=0.859 of dense peak: none given, so the Software wall's GEMM table "
                                       "(a100_gemm_16bit, 0.859) at ")


def test_assumptions_read_twice_are_the_same_list_and_can_be_extended():
    r = S.solve("resnet50", "h100", batch_size=1, precision="fp16", efficiency=0.5)
    first = r.assumptions
    assert r.assumptions is first
    first.append("a caller's own note")
    assert r.assumptions[-1] == "a caller's own note"
    assert r.as_dict()["assumptions"] is first


def test_serving_llama3_8b_single_length():
    from mlsysim.solvers import ServingModel
    r = ServingModel().solve("llama3_8b", "h100", seq_len=2048, batch_size=32, precision="fp16", efficiency=0.5)
    assert r.assumptions == [
        "efficiency=0.5 of dense peak; bandwidth_efficiency=1",
        "each phase = weight GEMMs (2 x active parameters per token) then attention over the KV cache "
        "(4 x layers x context x heads x head_dim per token), each on its own roofline",
        "single length: a 2048-token prompt, and each decode step reads a KV cache of 2048 tokens (the last token's step)",
        "KV cache in fp16, the weights' precision (default; pass kv_precision to change)",
    ]


def test_a_result_pickles_and_copies_with_its_assumptions_written_out():
    import copy
    import pickle
    from mlsysim.solvers import ServingModel
    single = S.solve("resnet50", "h100", batch_size=1, precision="fp16", efficiency=0.5)
    serving = ServingModel().solve("llama3_8b", "h100", seq_len=2048, batch_size=32, precision="fp16", efficiency=0.5)
    for r, time_field in ((single, "latency"), (serving, "ttft")):
        back = pickle.loads(pickle.dumps(r))
        assert "_assumptions" not in back.__dict__
        assert back.assumptions == r.assumptions
        assert getattr(back, time_field) == getattr(r, time_field)
        assert copy.deepcopy(r).assumptions == r.assumptions
