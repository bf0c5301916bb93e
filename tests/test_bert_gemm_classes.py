"""BERT-Large fp16's tensor contractions on a V100: what cuBLAS's measured layouts allow against what PyTorch reached.

Sources of the expected numbers (never the engine's output):
- Baidu DeepBench, results/train/DeepBench_NV_V100.xlsx (github.com/baidu-research/DeepBench), sheet "Results -
  FP16 ip, Mixed math" ("16 bit inputs, 16 bit multiplication, 32 bit addition"), Dense Matrix Multiplication:
  measured cuBLAS times (msec) per M, N, K and transposition on a V100 (CUDA 10.1.243). The rows below are copied
  from it; TFLOP/s are recomputed here as 2 M N K / time.
- Ivanov et al. 2021 (MLSys, Table 1) and the Substation README: one BERT-Large encoder layer, fp16, batch 8,
  sequence 512, forward + backward in PyTorch on a V100: 9.14 ms, of which tensor contractions 61.0%.

What they say: backward GEMMs run transposed operands (dgrad: dY W^T, NT; wgrad: X^T dY, TN), but in DeepBench's
V100 fp16 results a transposed layout runs within 10% of the untransposed one at every large shape (and no slower
on average), all at 0.71-0.90 of the 125 TFLOP/s peak. So the layouts of the backward pass do not explain why the
layer's contractions reached 0.48 of peak in PyTorch: at the slowest of these measured rates its 335 GFLOP of
contractions would take 3.75 ms, against the 5.58 ms measured. Nothing in DeepBench gives the rate of the attention
batched GEMMs (128 GEMMs of 512 x 512 x 64: no batched GEMM with a dimension of 64 is in its V100 sheet), so the
engine keeps one GEMM table for all of a layer's contractions (no per-class factor the sources do not give).
"""

import pytest

V100_TC = 125e12  # V100 SXM2 fp16 Tensor Core peak (datasheet)

# (M, N, K, time in ms) from DeepBench's V100 fp16 sheet, untransposed (NN) and with A transposed (TN)
NN = {(1760, 7000, 1760): 0.485, (2048, 7000, 2048): 0.599, (2560, 7000, 2560): 0.884, (4096, 7000, 4096): 2.092,
      (5124, 9124, 1760): 1.744, (5124, 9124, 2048): 1.993, (5124, 9124, 2560): 2.478, (5124, 9124, 4096): 3.702}
TN = {(1760, 7000, 1760): 0.461, (2048, 7000, 2048): 0.593, (2560, 7000, 2560): 0.951, (4096, 7000, 4096): 2.147,
      (5124, 9124, 1760): 1.733, (5124, 9124, 2048): 1.955, (5124, 9124, 2560): 2.598, (5124, 9124, 4096): 3.678}
# B transposed (NT), the DeepSpeech rows "both matrices are 2560x7133": N = 7133, compared per flop with NN at N = 7000
NT = {(1760, 7133, 1760): 0.452, (2048, 7133, 2048): 0.575, (2560, 7133, 2560): 0.889, (4096, 7133, 4096): 2.199}

# Ivanov et al. 2021: the layer's contractions
LAYER_TIME, CONTRACTION_SHARE = 9.14e-3, 0.610
H, F, TOKENS, SEQ = 1024, 4096, 8 * 512, 512


def rate(shape, ms):
    m, n, k = shape
    return 2.0 * m * n * k / (ms * 1e-3)


def test_transposed_layouts_run_at_the_untransposed_rate():
    # e.g. 4096 x 7000 x 4096: NN 2 x 4096 x 7000 x 4096 / 2.092 ms = 112.3 TFLOP/s, TN / 2.147 ms = 109.4 TFLOP/s
    assert rate((4096, 7000, 4096), 2.092) == pytest.approx(112.28e12, rel=1e-3)
    ratios = [rate(s, TN[s]) / rate(s, NN[s]) for s in NN]
    ratios += [rate(s, NT[s]) / rate((s[0], 7000, s[2]), NN[(s[0], 7000, s[2])]) for s in NT]
    assert all(0.9 <= r <= 1.1 for r in ratios), ratios
    assert sum(ratios) / len(ratios) >= 0.98  # no slower on average
    fractions = [rate(s, t) / V100_TC for d in (NN, TN, NT) for s, t in d.items()]
    assert 0.71 <= min(fractions) and max(fractions) <= 0.90


def test_the_layer_s_contractions_ran_slower_than_any_measured_layout_allows():
    # the layer's contraction flop, forward: the weight GEMMs 2 x tokens x (4 h^2 + 2 h f) = 2 x 4,096 x 12,582,912
    # = 103.08 GFLOP and QK^T + AV 4 x tokens x seq x h = 8.59 GFLOP; training 3x: 335.0 GFLOP
    flops = 3 * (2 * TOKENS * (4 * H * H + 2 * H * F) + 4 * TOKENS * SEQ * H)
    assert flops == pytest.approx(335.0e9, rel=1e-3)
    measured = CONTRACTION_SHARE * LAYER_TIME  # 5.575 ms
    slowest = min(rate(s, t) for d in (NN, TN, NT) for s, t in d.items())  # 1760 x 7000 x 1760 NN: 89.4 TFLOP/s
    assert slowest == pytest.approx(89.4e12, rel=2e-3)
    assert flops / slowest == pytest.approx(3.75e-3, rel=2e-3)
    assert measured / (flops / slowest) == pytest.approx(1.49, abs=0.01)  # PyTorch's contractions: 1.49x cuBLAS's slowest
