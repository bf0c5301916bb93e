"""A Transformer encoder's memory-bound kernels on one accelerator, derived by hand and checked against a measurement.

Sources of the expected numbers (never the engine's output):
- BERT-Large: Devlin et al. 2019 (L = 24, h = 1024, 16 heads, FFN 4h, vocabulary 30,522).
- The operators of one encoder layer and their classes: Ivanov et al. 2021, "Data Movement Is All You Need"
  (MLSys): tensor contractions, statistical normalizations (softmax, layernorm), element-wise operators
  (biases, dropout, activations, residual connections); each memory-bound kernel reads and writes its tensor.
- Measured: the same authors' Substation README (spcl/substation, "Current Performance"): one BERT-Large
  encoder layer, forward + backward in PyTorch on a V100 SXM2 (125 TFLOP/s Tensor Core peak): 9.14 ms at
  batch 8, sequence 512, and 18.43 ms at batch 96, sequence 128.
- V100 SXM2 datasheet: 125 TFLOP/s fp16 Tensor Core, 900 GB/s; dispatch tax 10 us (registry).
- Markidis et al. 2018: cuBLAS GEMMs on a V100 reach 83 of 125 TFLOP/s (the V100 fp16 table's 0.664 ceiling).
- Calculon's HBM table (registry/walls/efficiency.toml): 0.75 of the bandwidth for kernels of 10-100 MB.
"""

import pytest

from mlsysim import Engine, Models
from mlsysim.physics import kernels
from mlsysim.workloads.types import TransformerWorkload

H, F, HEADS = 1024, 4096, 16
LAYER_PARAMS = 12 * H * H + 13 * H  # Q, K, V, output (4 h^2 + 4h), FFN (8 h^2 + 5h), 2 layernorms (4h): 12,596,224
V100_TC, V100_BW, TAX = 125e12, 900e9, 10e-6


def bert_large_layer(seq_len: int = 512) -> TransformerWorkload:
    """One BERT-Large encoder layer as a workload (no embeddings, no output layer)."""
    return TransformerWorkload(name="BERT-Large encoder layer", parameters=LAYER_PARAMS, layers=1, hidden_dim=H, heads=HEADS,
                               ffn_dim=F, seq_len=seq_len, layer_ops="bert_encoder")


def test_eager_elementwise_values_by_hand():
    # eager, training, s = 128: biases 2 (3h + h + h) = 10h, FFN-up bias + GELU 4f, transpose copy 2h, residual adds 6h,
    # layernorms 4h, dropouts 4h = 26h + 4f; scores: scale, mask, softmax, dropout 4 x 2 a s = 8 a s (a s = 16 x 128)
    assert kernels.transformer_elementwise_values(H, F, HEADS, 128, fused=False, dropout=True) == 26 * H + 4 * F + 8 * 2048
    # inference drops the 3 dropouts: 22h + 4f + 6 a s
    assert kernels.transformer_elementwise_values(H, F, HEADS, 128, fused=False, dropout=False) == 22 * H + 4 * F + 6 * 2048
    # fused (apex / Megatron kernels): bias-GELU 2f, transpose 2h, 2 bias-dropout-adds 6h, layernorms 4h, one softmax 2 a s
    assert kernels.transformer_elementwise_values(H, F, HEADS, 128, fused=True, dropout=True) == 12 * H + 2 * F + 2 * 2048


def test_the_score_matrix_makes_long_sequences_move_more():
    # per token the scores are heads x s values: 4x the sequence, 4x the score traffic of each of the 4 score kernels
    short = kernels.transformer_elementwise_values(H, F, HEADS, 128, fused=False, dropout=True)
    long = kernels.transformer_elementwise_values(H, F, HEADS, 512, fused=False, dropout=True)
    assert long - short == 8 * HEADS * (512 - 128)


def test_encoder_layer_training_by_hand():
    # batch 96 x sequence 128 = 12,288 tokens, fp16, eager training on a V100:
    # flops 3 x 12,288 x (2 x 12,596,224 + 4 x 128 x 1024) = 948.0 GFLOP; per weight GEMM 948.0e9 / 3 / 6 = 52.7 GFLOP
    #   -> 0.664 (V100 fp16 table's ceiling): 948.0e9 / 83e12 = 11.422 ms
    # GEMM-class traffic 3 x (2 x 12,596,224 + 12,288 x 2 x (8h + 2f)) = 1.28 GB / 900e9 = 1.42 ms < compute
    # memory-bound bytes per token: 2.5 x 2 x (26h + 4f + 8 a s) + 3 x 2 x (4h + 2 a s) + 2 x (a s + 2h) masks
    #   + 2 x 12h (torch.matmul's copies of the permuted Q, K, V, forward 6h and backward 6h)
    #   = 296,960 + 49,152 + 8,192 + 24,576 = 378,880 B; x 12,288 = 4.6557 GB over 3 x 18 launches = 86.2 MB each
    #   -> 0.75 -> 4.6557e9 / (0.75 x 900e9) = 6.897 ms
    # weight update, one fused Adam step per batch with fp32 master weights (apex amp O2): 28 B Adam + 6 B master ->
    #   fp16 copy + 6 B unscale = 40 B x 12,596,224 = 503.8 MB in one pass -> 0.833 of 900e9 (V100 HBM table): 0.672 ms;
    #   step 18.991 ms + 10 us (Substation measures 18.43 ms for forward + backward without the update)
    tokens = 96 * 128
    flops = 3 * tokens * (2 * LAYER_PARAMS + 4 * 128 * H)
    per_token = 2.5 * 2 * (26 * H + 4 * F + 8 * 2048) + 3 * 2 * (4 * H + 2 * 2048) + 2 * (2048 + 2 * H) + 2 * 12 * H
    assert per_token == 378_880
    step = flops / (0.664 * V100_TC) + per_token * tokens / (0.75 * V100_BW) + 40 * LAYER_PARAMS / (0.833 * V100_BW)
    r = Engine.solve(bert_large_layer(128), "v100", batch_size=96, precision="fp16", is_training=True, seq_len=128)
    assert r.efficiency == 0.664
    assert r.latency.m_as("s") == pytest.approx(step + TAX, rel=1e-9)
    assert r.bound == "compute"


@pytest.mark.parametrize("batch, seq, measured_ms", [(8, 512, 9.14), (96, 128, 18.43)])
def test_encoder_layer_against_pytorch_on_v100(batch, seq, measured_ms):
    # Substation README: PyTorch, one BERT-Large encoder layer, forward + backward, V100 SXM2. Within 15%: the
    # engine's op list leaves out small kernels (e.g. the layernorm statistics) and autograd's bookkeeping.
    r = Engine.solve(bert_large_layer(seq), "v100", batch_size=batch, precision="fp16", is_training=True, seq_len=seq)
    assert r.latency.m_as("ms") == pytest.approx(measured_ms, rel=0.15)


def test_a_decoder_without_an_operator_list_keeps_the_weights_only_model():
    r = Engine.solve("llama3_8b", "h100", batch_size=1, precision="fp16")
    assert any("no layer operator list" in a for a in r.assumptions)
    # 2P per token over 8,192 tokens, nothing for attention: ops = 2 x P x s
    m = Models.get("llama3_8b")
    assert r.ops.m_as("flop") == pytest.approx(2 * m.parameters.m_as("count") * m.seq_len, rel=1e-12)
    assert r.launch_time.m_as("s") == 0.0


def test_fused_execution_moves_less_and_launches_fewer():
    eager = Engine.solve("bert_large", "v100", batch_size=8, precision="fp16", seq_len=512, execution="eager")
    fused = Engine.solve("bert_large", "v100", batch_size=8, precision="fp16", seq_len=512, execution="fused")
    assert fused.bytes_moved < eager.bytes_moved
    # kernels per forward: 24 layers x (6 + 2 GEMMs + 15 eager / 7 fused memory-bound kernels) = 552 / 360, and in
    # eager the 18 operators modeling.py runs outside the layers in inference (mask 3, embeddings 7, pooler 2, masked-LM
    # and NSP heads 6: kernels.bert_outer_operators) = 570
    assert eager.kernels == 24 * 23 + 18 and fused.kernels == 24 * 15


def test_an_unknown_operator_list_is_refused():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="layer_ops='gpt' is not accepted: expected one of bert_encoder"):
        TransformerWorkload(name="x", parameters=1e6, layers=1, hidden_dim=64, heads=4, layer_ops="gpt")
