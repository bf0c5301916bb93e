"""`mlsysim audit` end to end and `mlsysim validate`, through the real command line (in-process main)."""
from __future__ import annotations

import json

import pytest

from mlsysim.cli import main


def _run(capsys, argv):
    status = main(argv)
    return status, capsys.readouterr().out


def test_audit_serving_names_memory_as_the_binding_wall(capsys):
    # Llama-3-8B (8.03e9 parameters, 32 layers, 8 KV heads of 128) on one H100 (989.4 TFLOP/s dense fp16,
    # 3.35 TB/s), batch 8 at its 8,192-token context, fp16 weights and KV cache:
    #   weights 8.03e9 x 2 B = 16.06 GB; KV 2 x 32 x 8 x 128 x 8192 x 8 x 2 B = 8.59 GB; footprint 24.65 GB of 80 GB
    #   decode memory time (16.06 + 8.59) GB / 3.35 TB/s = 7.36 ms
    #   decode compute time (2 x 8.03e9 + 4 x 32 x 8192 x 4096 attention) x 8 / (989.4e12 x 0.5) = 0.26 + 0.07 ms
    #   -> the Memory wall binds
    status, out = _run(capsys, ["audit", "llama3_8b", "h100", "--workload", "serving", "--batch-size", "8", "--json"])
    assert status == 0
    data = json.loads(out)
    assert data["feasible"] is True and data["binding"] == "memory"
    rows = {r["wall"]: r for r in data["rows"]}
    assert rows["capacity"]["figure"] == pytest.approx(24.65, rel=2e-3) and rows["capacity"]["figure_unit"] == "GB"
    assert rows["memory"]["figure"] == pytest.approx(7.36, rel=2e-3) and rows["memory"]["binds"]
    assert rows["compute"]["figure"] == pytest.approx(0.3292, rel=2e-3) and not rows["compute"]["binds"]


def test_audit_of_a_model_that_does_not_fit_exits_1(capsys):
    # Llama-3-70B's fp16 weights alone are 70.6e9 x 2 B = 141 GB > one H100's 80 GB
    status, out = _run(capsys, ["audit", "llama3_70b", "h100", "--workload", "serving", "--json"])
    assert status == 1
    data = json.loads(out)
    assert data["feasible"] is False and data["binding"] == "capacity"


def test_validate_reports_every_scored_case(capsys):
    status, out = _run(capsys, ["validate", "--json"])
    assert status == 0
    data = json.loads(out)
    # the validation set scores at least 40 public measurements (issue 17's minimum)
    assert data["overall"]["count"] >= 40
    assert {c["category"] for c in data["categories"]} >= {"single_node", "llm_serving", "distributed_training"}


def test_validate_rejects_an_unknown_flag_in_one_line(capsys):
    assert main(["validate", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--bogus" in err


def test_diffusion_command_by_hand(capsys):
    # Stable Diffusion 1.5 on an A100 (312 TFLOP/s dense fp16, 2.039 TB/s) at efficiency 0.5 -> 156e12 FLOP/s,
    # batch 16, 50 steps, classifier-free guidance (2 passes), 10 us dispatch tax per invocation:
    #   U-Net step: 2 x 16 x 888.9 GFLOP / 156e12 = 182.338 ms (weights 1.72 GB / 2.039 TB/s = 0.84 ms) -> compute
    #   text encoder: 2 x 16 x 13.56 GFLOP / 156e12 = 2.782 ms;  VAE decoder: 16 x 2544 GFLOP / 156e12 = 260.923 ms
    #   latency = 50 x (182.338 + 0.010) + (2.782 + 0.010) + (260.923 + 0.010) ms = 9.3811 s; 16 / 9.3811 = 1.7056 images/s
    status, out = _run(capsys, ["diffusion", "sd15", "a100", "--batch-size", "16", "--json"])
    assert status == 0
    data = json.loads(out)
    # JSON quantities are printed with 4 significant digits ("9.381 s")
    assert data["latency"] == "9.381 s" and data["images_per_second"] == "1.706 1/s"
    assert data["step_bound"] == "compute"
    # without guidance every U-Net and text-encoder pass halves: 50 x 91.179 + 1.401 + 260.933 ms = 4.8214 s
    status, out = _run(capsys, ["diffusion", "sd15", "a100", "--batch-size", "16", "--no-guidance", "--json"])
    assert json.loads(out)["latency"] == "4.821 s"
    status, out = _run(capsys, ["diffusion", "sd99", "a100"])
    assert status == 2
