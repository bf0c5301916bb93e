"""The weight update's traffic per micro-batch of training (kernels.weight_update_bytes), derived by hand."""

from __future__ import annotations

import pytest

from mlsysim import InputError
from mlsysim.physics import kernels
from mlsysim.solvers.single_node import SingleNodeModel

BERT_LARGE_PARAMS = 335e6  # a round figure for the arithmetic (the solver test reads the registry's count)


def test_adam_with_master_weights_one_step_per_batch():
    # fp16 model, fp32 master weights and Adam state (apex amp O2 + FusedAdam), no accumulation:
    # Adam reads p, g, m, v and writes p, m, v: 7 x 4 = 28 B; the master -> model copy reads 4 and writes 2: 6 B;
    # the unscale reads the fp16 gradient (2 B) and writes the fp32 master gradient (4 B): 6 B. 28 + 6 + 6 = 40 B.
    assert kernels.weight_update_bytes(1.0, 1.0, 4.0, 2.0) == pytest.approx(40.0)
    assert kernels.weight_update_bytes(BERT_LARGE_PARAMS, 1.0, 4.0, 2.0) == pytest.approx(13.4e9)


def test_accumulation_amortises_the_step_but_not_the_unscale():
    # 128 micro-batches per step: (28 + 6) / 128 = 0.265625 B of step; every micro-batch unscales
    # (2 B read, 4 B written) and 127 of 128 also read the stored master gradient (4 x 127/128 = 3.96875 B):
    # 0.265625 + 6 + 3.96875 = 10.234375 B per parameter.
    assert kernels.weight_update_bytes(1.0, 128.0, 4.0, 2.0) == pytest.approx(10.234375)


def test_fp32_training_has_no_master_copy():
    # fp32 model: Adam's 28 B per step; with 4 micro-batches, 3 of 4 add into the stored gradient
    # (read 4 + 4, write 4 = 12 B): 28 / 4 + 12 x 3/4 = 7 + 9 = 16 B.
    assert kernels.weight_update_bytes(1.0, 1.0, 4.0, 4.0) == pytest.approx(28.0)
    assert kernels.weight_update_bytes(1.0, 4.0, 4.0, 4.0) == pytest.approx(16.0)


def test_the_solver_charges_it_per_micro_batch():
    # BERT-Large fine-tuning on a V100 (batch 10, sequence 384, fp16): the update adds 40 B per parameter to the
    # step's memory-bound traffic, so one step with accumulation 1 moves 40 x params more bytes than the same
    # micro-batch inside a long accumulation (which moves (34 / a + 6 + 4 (a - 1) / a) x params -> 10 B for large a)
    solve = SingleNodeModel().solve
    one = solve("bert_large", "v100", batch_size=10, precision="fp16", is_training=True, seq_len=384, accumulation_steps=1)
    many = solve("bert_large", "v100", batch_size=10, precision="fp16", is_training=True, seq_len=384, accumulation_steps=1000)
    params = one.weight_memory.m_as("GB") * 1e9 / 2.0  # fp16 weights: 2 B per parameter
    extra = one.bytes_moved.m_as("MB") * 1e6 - many.bytes_moved.m_as("MB") * 1e6
    assert extra == pytest.approx(params * (40.0 - (34.0 / 1000 + 6.0 + 4.0 * 999 / 1000)), rel=1e-9)
    assert one.latency > many.latency
    assert any("weight update" in a for a in one.assumptions)
    infer = solve("bert_large", "v100", batch_size=10, precision="fp16", seq_len=384)
    assert not any("weight update" in a for a in infer.assumptions)


def test_bad_accumulation_is_named():
    with pytest.raises(InputError, match="accumulation_steps"):
        SingleNodeModel().solve("bert_large", "v100", batch_size=10, is_training=True, accumulation_steps=0)


def test_autocast_casts_by_hand():
    # torch.cuda.amp: each fp32 weight read (4 B) and its fp16 copy written (2 B) per forward: 6 B inference;
    # training adds the cast's backward (2 B read, 4 B written) and GradScaler.unscale_ once per step (4 B read,
    # 4 B written): 6 + 6 + 8 = 20 B with a step per batch, 6 + 6 + 8 / 4 = 14 B with 4 micro-batches per step
    assert kernels.autocast_cast_bytes(1.0, 1.0, 4.0, 2.0, training=False) == pytest.approx(6.0)
    assert kernels.autocast_cast_bytes(1.0, 1.0, 4.0, 2.0, training=True) == pytest.approx(20.0)
    assert kernels.autocast_cast_bytes(1.0, 4.0, 4.0, 2.0, training=True) == pytest.approx(14.0)


def test_autocast_in_the_solver():
    # ResNet-50 (25,557,032 parameters) on a V100, fp16, batch 256
    solve = SingleNodeModel().solve
    p = 25_557_032
    half = solve("resnet50", "v100", batch_size=256, precision="fp16")
    cast = solve("resnet50", "v100", batch_size=256, precision="fp16", mixed_precision="autocast")
    # inference: a 16-bit model casts nothing; autocast moves 6 B x 25,557,032 = 153.3 MB more
    assert cast.bytes_moved.m_as("B") - half.bytes_moved.m_as("B") == pytest.approx(6 * p, rel=1e-9)
    # training, a step per batch: master weights 40 B per parameter; autocast 20 B of casts + fp32 Adam's 28 B = 48 B
    master = solve("resnet50", "v100", batch_size=256, precision="fp16", is_training=True)
    auto = solve("resnet50", "v100", batch_size=256, precision="fp16", is_training=True, mixed_precision="autocast")
    assert auto.bytes_moved.m_as("B") - master.bytes_moved.m_as("B") == pytest.approx((48 - 40) * p, rel=1e-9)
    # fp32 work has nothing to cast: the mode changes nothing
    fp32 = [solve("resnet50", "v100", batch_size=64, precision="fp32", is_training=True, mixed_precision=m).latency
            for m in ("master", "autocast")]
    assert fp32[0] == fp32[1]
    with pytest.raises(InputError, match="mixed_precision"):
        solve("resnet50", "v100", batch_size=1, mixed_precision="O2")
