"""BERT-Large as SQuAD runs it: the span head instead of the masked-LM head, counted by hand.

Sources of the expected numbers (never the engine's output):
- Devlin et al. 2019, Sec. 4.2: SQuAD adds only a start vector S and an end vector E in R^H to BERT; Sec. 3:
  BERT-Large L = 24, H = 1,024, A = 16, FFN 4H.
- NVIDIA DeepLearningExamples, PyTorch/LanguageModeling/BERT at commit 3d3ff3e1 (the code of the README's
  pytorch:19.07 tables): modeling.py's BertForQuestionAnswering = BertModel (embeddings, 24 BertLayers, pooler) +
  qa_outputs = nn.Linear(hidden_size, 2), split into start and end logits; run_squad.py pads the vocabulary to a
  multiple of 8 (30,522 -> 30,528) and leaves the unused pooler out of the optimizer.
- Kaplan et al. 2020, Sec. 2.1: a forward pass costs 2 flop per multiplied parameter per token; embedding
  lookups multiply nothing.

Parameters, from the modules:
  word embeddings 30,528 x 1,024 = 31,260,672; position 512 x 1,024 = 524,288; token type 2 x 1,024 = 2,048
    -> embedding tables 31,787,008; embedding layernorm 2 x 1,024 = 2,048
  one encoder layer: Q, K, V, output 4 x (1,024^2 + 1,024) = 4,198,400; FFN 1,024 x 4,096 + 4,096 + 4,096 x 1,024
    + 1,024 = 8,393,728; two layernorms 4 x 1,024 = 4,096 -> 12,596,224; x 24 = 302,309,376
  pooler 1,024^2 + 1,024 = 1,049,600; span head 1,024 x 2 + 2 = 2,050
  total 31,787,008 + 2,048 + 302,309,376 + 1,049,600 + 2,050 = 335,150,082
Multiplied per token: 335,150,082 - 31,787,008 = 303,363,074 (the pooler, on the first token only, is counted
per token: 2 x 1,049,600 x 383 extra flop per 384-token sequence, 0.35% of its forward flops).
"""

import pytest

from pydantic import ValidationError

from mlsysim.registries import Models
from mlsysim.solvers.single_node import Engine
from mlsysim.workloads.types import TransformerWorkload

H, F, LAYERS, V, SEQ = 1024, 4096, 24, 30528, 384
TABLES = V * H + 512 * H + 2 * H
LAYER = 4 * (H * H + H) + (H * F + F) + (F * H + H) + 4 * H
TOTAL = TABLES + 2 * H + LAYERS * LAYER + (H * H + H) + (2 * H + 2)


def test_the_squad_model_s_parameters_by_hand():
    assert TABLES == 31_787_008
    assert LAYER == 12_596_224
    assert TOTAL == 335_150_082
    m = Models.get("bert_large_squad")
    assert m._si["parameters"] == TOTAL
    assert m._si["embedding_parameters"] == TABLES
    assert m.output_head == "span" and m.vocab_size == V
    # 1.3% fewer than the paper's rounded 340M for the pre-training model (which adds the masked-LM head)
    assert TOTAL / 340e6 == pytest.approx(0.9857, abs=1e-4)


def test_the_squad_model_s_flops_by_hand():
    m = Models.get("bert_large_squad")
    multiplied = TOTAL - TABLES  # 303,363,074
    assert m.matmul_parameters_si == multiplied == 303_363_074
    # forward, one 384-token sequence: 2 x 303,363,074 x 384 = 232,982,840,832 flop, plus QK^T and AV over
    # 384 keys: 4 x 24 x 384 x 1,024 = 37,748,736 a token, x 384 = 14,495,514,624
    assert m.forward_ops_per_sample_si(SEQ) == 2 * multiplied * SEQ == 232_982_840_832
    assert m.forward_flops_per_token_si(SEQ) == pytest.approx(2 * multiplied + 4 * LAYERS * SEQ * H, rel=1e-12)
    # against the masked-LM entry the engine ran before: 2 x 340e6 a token; the span model does 10.8% less
    bert = Models.get("bert_large")
    assert m.forward_ops_per_sample_si(SEQ) / bert.forward_ops_per_sample_si(SEQ) == pytest.approx(303_363_074 / 340e6)
    # training: 3 passes (Kaplan et al. 2020): 6 x 303,363,074 + 12 x 24 x 384 x 1,024 a token
    assert m.training_flops_per_token_si(SEQ) == pytest.approx(6 * multiplied + 12 * LAYERS * SEQ * H, rel=1e-12)


def test_the_span_head_s_logits_instead_of_the_vocabulary_s():
    # the span head writes 2 logits a token, read and written again by the loss's log-softmax: 3 x 2 values;
    # the masked-LM head 3 x 30,522 (bert_large). Inference, fp16, per sequence, the difference is all logits:
    # (3 x 30,522 - 3 x 2) x 2 B x 384 tokens = 70,313,472 B
    squad, bert = Models.get("bert_large_squad"), Models.get("bert_large")
    assert squad.output_logits_per_token == 2 and bert.output_logits_per_token == 30522
    diff = bert.memory_bound_bytes_per_sample_si("fp16", SEQ) - squad.memory_bound_bytes_per_sample_si("fp16", SEQ)
    assert diff == pytest.approx((3 * 30522 - 3 * 2) * 2 * SEQ, rel=1e-12)


def test_the_squad_solve_runs_fewer_flops_than_the_masked_lm_model():
    # SQuAD fine-tuning as the README's row runs it (V100, fp16, batch 10, sequence 384): the solve's forward ops
    # per sequence are 2 x 303,363,074 x 384 + the attention's 14,495,514,624 = 247,478,355,456; x 3 passes x 10
    r = Engine.solve("bert_large_squad", "v100", batch_size=10, precision="fp16", is_training=True, seq_len=SEQ)
    assert r.ops.to("flop").magnitude == pytest.approx(3 * 10 * (232_982_840_832 + 14_495_514_624), rel=1e-12)


def test_bad_heads_and_embeddings_are_named():
    # the validator's InputError reaches the caller as pydantic's ValidationError naming the field (tests/test_bad_input.py)
    base = dict(name="x", parameters=1e8, layers=2, hidden_dim=64, heads=4, vocab_size=100)
    with pytest.raises(ValidationError, match="output_head"):
        TransformerWorkload(**base, output_head="classifier")
    with pytest.raises(ValidationError, match="vocab_size"):
        TransformerWorkload(**{**base, "vocab_size": None}, output_head="masked_lm")
    with pytest.raises(ValidationError, match="embedding_parameters"):
        TransformerWorkload(**base, embedding_parameters=2e8)
    # the masked-LM head multiplies its tied word table again: N - E + h x vocab
    lm = TransformerWorkload(**base, embedding_parameters=1e7, output_head="masked_lm")
    assert lm.matmul_parameters_si == 1e8 - 1e7 + 64 * 100
