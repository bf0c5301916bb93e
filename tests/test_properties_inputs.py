"""Property tests: bad values thrown at every public formula, every user-built type and the CLI.

Each call must end one of two ways: a project error (``InputError``, or pydantic's
``ValidationError`` for a typed model) that names the argument, or a result whose
numbers are finite and non-negative. Never nan, inf, a negative energy, a deep
internal error (ZeroDivisionError, TypeError, "math domain error") or a hang.
"""

from __future__ import annotations

import math

import pint
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mlsysim import (
    Q_, CNNWorkload, ComputeCore, Datacenter, Fleet, GridProfile, HardwareNode, InputError, MemoryHierarchy, NetworkFabric,
    Node, TransformerWorkload, Workload,
)
from mlsysim import formulas as f
from mlsysim.cli import BAD_INPUT, main

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values a new user types by mistake: signs, zero, non-finite, huge, wrong types, wrong units, strings for flags.
BAD = st.one_of(
    st.sampled_from([
        -1, -5.0, 0, 0.0, math.nan, math.inf, -math.inf, 1e300, -1e300, 10**30, 2.5, True, False, None, "abc", "", [], {},
        "fp16", "-5 GB", "0 GB", "1e300 TB/s", "5 Gb/s", "-700 W", "nan s", "inf GB", "1 min", "-1 ms", "3 TB/s", "80 GB",
        "100 TFLOP/s", "-5 day", Q_(-1, "s"), Q_(math.nan, "GB"), Q_(1e300, "GB"), Q_(5, "Gbit/s"),
    ]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
)

# -- formulas -----------------------------------------------------------------------------------

GOOD_ARGS = {
    "calc_transformer_training_flops": dict(parameters=8e9, tokens=1e12),
    "calc_inference_flops": dict(parameters=8e9, tokens=1000),
    "calc_kv_cache_size": dict(layers=32, kv_heads=8, head_dim=128, seq_len=2048, batch_size=4, bytes_per_value=2.0),
    "calc_activation_memory": dict(seq_len=2048, batch_size=1, hidden_dim=4096, heads=32, layers=32, tensor_parallel=1,
                                   sequence_parallel=False, recompute="none"),
    "calc_effective_flops": dict(peak_flops="989 TFLOP/s", efficiency=0.5),
    "calc_roofline_time": dict(ops="1 GFLOP", nbytes="1 GB", flops="100 TFLOP/s", bandwidth="1 TB/s"),
    "calc_arithmetic_intensity": dict(ops="1 GFLOP", nbytes="1 GB"),
    "roofline_attainable_flops": dict(intensity="100 flop/byte", peak_flops="989 TFLOP/s", bandwidth="3.35 TB/s"),
    "calc_ring_allreduce_time": dict(message_bytes="1 GB", workers=8, bandwidth="50 GB/s", latency="5 us"),
    "calc_all_gather_time": dict(message_bytes="1 GB", workers=8, bandwidth="50 GB/s", latency="5 us"),
    "calc_context_parallel_comm_time": dict(layers=8, kv_bytes="64 MB", cp=16, bandwidth="50 GB/s", latency="5 us"),
    "calc_multi_tier_allreduce_time": dict(message_bytes="1 GB", local=8, nodes_per_pod=4, pods=2, intra_bandwidth="450 GB/s",
                                           intra_latency="1 us", inter_bandwidth="50 GB/s", inter_latency="5 us",
                                           pod_bandwidth="7 GB/s"),
    "calc_tree_allreduce_time": dict(message_bytes="1 GB", workers=8, bandwidth="50 GB/s", latency="5 us"),
    "calc_all_to_all_time": dict(message_bytes="1 GB", workers=8, bandwidth="50 GB/s", latency="5 us"),
    "calc_pipeline_bubble": dict(stages=4, microbatches=64, virtual_stages=1),
    "calc_amdahl_speedup": dict(parallel_fraction=0.95, workers=8),
    "calc_fleet_mtbf": dict(node_mtbf="1000 hour", nodes=16),
    "calc_failure_probability": dict(duration="10 hour", mtbf="100 hour"),
    "calc_young_daly_interval": dict(checkpoint_time="60 s", mtbf="3 hour"),
    "calc_checkpoint_size": dict(parameters=70e9, weight_bytes_per_parameter=2.0, optimizer_bytes_per_parameter=12.0),
    "calc_chinchilla_optimal": dict(compute_budget="1e23 flop", tokens_per_parameter=20.0),
    "calc_energy": dict(power="700 W", duration="1 hour"),
    "calc_carbon": dict(energy="1 MWh", carbon_intensity="400 gCO2e/kWh"),
    "calc_water": dict(energy="1 MWh", water_intensity="1.8 L/kWh"),
    "calc_hierarchical_allreduce_time": dict(message_bytes="1 GB", local=8, nodes=4, intra_bandwidth="450 GB/s",
                                             intra_latency="1 us", inter_bandwidth="50 GB/s", inter_latency="5 us"),
    "calc_tensor_parallel_comm_time": dict(layers=32, tokens=2048, hidden_dim=4096, tp=8, bandwidth="450 GB/s", latency="1 us",
                                           bytes_per_value=2.0),
    "calc_zero_memory": dict(parameters=7.5e9, dp=64, stage=2, weight_bytes_per_parameter=2.0, grad_bytes_per_parameter=2.0,
                             optimizer_bytes_per_parameter=12.0),
    "calc_utilization_power": dict(peak_power="700 W", utilization=0.5, idle_fraction=0.15),
    "calc_facility_energy": dict(it_energy="100 kWh", pue=1.2),
    "calc_energy_cost": dict(energy="100 kWh", price="0.1 USD/kWh"),
    "calc_amortized_capex": dict(capex="30000 USD", lifetime="4 year", duration="1 year"),
    "calc_checkpoint_waste_fraction": dict(interval="1000 s", checkpoint_time="60 s", mtbf="3 hour", restart_time="0 s"),
    "calc_chinchilla_loss": dict(parameters=70e9, tokens=1.4e12),
    # the walls added after the first set (Batching ... Synthesis), with the arguments of their own tests
    "calc_adversarial_training_factor": dict(pgd_steps=7),
    "calc_compute_matched_samples": dict(big_active_parameters=70e9, small_active_parameters=7e9, big_samples=2),
    "calc_cores_needed": dict(sample_rate="10000 1/s", cpu_time_per_sample="4 ms"),
    "calc_data_stall_fraction": dict(supply="3000 1/s", demand="4000 1/s"),
    "calc_diffusion_image_flops": dict(steps=50, backbone_flops="888.9 GFLOP", text_encoder_flops="13.56 GFLOP",
                                       vae_decoder_flops="2544 GFLOP", guidance=True),
    "calc_dp_epsilon": dict(noise_multiplier=1.1, sample_rate=256 / 60000, steps=1000, delta=1e-5),
    "calc_erlang_c": dict(servers=2, offered_load=1.0),
    "calc_fan_out_slow_probability": dict(slow_probability=0.01, fan_out=100),
    "calc_fat_tree_hosts": dict(radix=48),
    "calc_gang_job_slots": dict(nodes=32, gpus_per_node=8, gpus_per_job=8),
    "calc_gemm_flops": dict(m=4096, n=4096, k_dim=4096, batch=1),
    "calc_launch_overhead": dict(kernels=160, launch_time="10 us"),
    "calc_mmc_response_percentile": dict(quantile=0.99, servers=4, arrival_rate="200 1/s", service_time="10 ms"),
    "calc_paged_kv_waste": dict(tokens=200, block_size=16),
    "calc_per_example_gradient_memory": dict(batch_size=256, parameters=25_557_032, bytes_per_value=4.0),
    "calc_quantized_weight_size": dict(parameters=7e9, bits=4),
    "calc_required_bandwidth": dict(nbytes="141 GB", target_time="2 s", bandwidth_efficiency=1.0),
    "calc_required_flops": dict(ops="289 TFLOP", target_time="2 s", efficiency=0.5),
    "calc_sequences_that_fit": dict(free_memory="56 GB", bytes_per_sequence="27262976 B"),
    "calc_streamed_layers_time": dict(layers=32, compute_per_layer="1 ms", load_per_layer="2 ms", prefetch=True),
    "calc_test_time_flops": dict(active_parameters=8e9, prompt_tokens=512, generated_tokens=2256, samples=8, shared_prompt=True),
    "calc_torus_bisection_bandwidth": dict(dims=[8, 8, 8], link_bandwidth="50 GB/s"),
    "calc_two_four_sparse_size": dict(parameters=1e9, bits=16.0),
    "calc_iso_flop_loss": dict(compute="1e23 flop", parameters=30e9, data_efficiency=1.0),
    "calc_iso_flop_optimum": dict(compute="1e23 flop", data_efficiency=2.0),
    "calc_checkpoint_goodput": dict(interval="1000 s", checkpoint_time="60 s", mtbf="3 hour", restart_time="0 s"),
    "calc_break_even_time": dict(upfront="8e6 USD", own_running_rate="100 USD/hour", rent_rate="600 USD/hour"),
    "calc_owned_cumulative_cost": dict(upfront="8e6 USD", running_rate="100 USD/hour", elapsed="365 day"),
    "calc_training_duration": dict(ops="3.14e23 flop", accelerators=1024, peak_flops="312 TFLOP/s", efficiency=0.5),
    "calc_accelerators_for_duration": dict(ops="3.8e25 flop", duration="54 day", peak_flops="989 TFLOP/s", efficiency=0.4),
    "calc_arrival_rate_for_gpu_load": dict(gpu_load=0.9, total_gpus=256, gpus_per_job=8, duration="4 hour"),
    "calc_speedup": dict(reference_time="10 day", time="2 day"),
    "calc_ring_tree_crossover": dict(workers=1024, bandwidth="50 GB/s", latency="5 us"),
    "calc_retraining_cost_rate": dict(interval="30 day", retrain_cost="2000 USD", degradation="0.1 1/day",
                                      value_per_point="500 USD/day"),
    "calc_optimal_retraining_interval": dict(retrain_cost="2000 USD", degradation="0.1 1/day", value_per_point="500 USD/day"),
    # --- Labs: neural computation ---
    "calc_conv2d_flops": dict(batch=1, out_h=56, out_w=56, in_channels=64, out_channels=64, kernel_h=3, kernel_w=3),
    "calc_conv2d_bytes": dict(batch=1, in_h=56, in_w=56, in_channels=64, out_h=56, out_w=56, out_channels=64,
                              kernel_h=3, kernel_w=3, bytes_per_value=2),
    "calc_attention_core_bytes": dict(batch=1, heads=32, seq_len=2048, head_dim=128, bytes_per_value=2),
    "calc_attention_saved_values": dict(batch=1, heads=32, seq_len=2048, head_dim=128),
    "calc_linear_saved_values": dict(tokens=2048, in_features=4096),
    "calc_attention_score_bytes": dict(batch=1, heads=32, seq_len=2048, bytes_per_value=2),
    "calc_conv2d_parameters": dict(in_channels=64, out_channels=64, kernel_h=3, kernel_w=3),
    "calc_dense_parameters": dict(in_features=4096, out_features=4096),
    "calc_attention_parity_context": dict(parameters=8.03e9, layers=32, attention_width=4096),
    "calc_network_round_trip": dict(distance="1000 km", group_index=1.4682, hops=12, hop_delay="0.1 ms",
                                    access_round_trip="15 ms", payload="100 kB", uplink_bandwidth="15 Mbit/s"),
    "calc_offload_break_even_distance": dict(on_device_time="181 ms", remote_time="3.2 ms", fixed_round_trip="60 ms",
                                             group_index=1.4682),
    "calc_subgroup_sample_size": dict(accuracy=0.9, gap=0.02, confidence=0.95, power=0.8, comparisons=3),
    "calc_evaluation_duration": dict(samples=20496, throughput="60 1/s"),
    "calc_batch_throughput": dict(batch=16, batch_time="250 ms"),
    "calc_replicas_for_load": dict(arrival_rate="100 1/s", replica_rate="3000 1/s", work_per_request=256),
    # --- Labs: edge energy ---
    "calc_energy_above_idle": dict(active_energy="16 mJ", idle_power="0.3 W", busy_time="2 ms"),
    "calc_average_power": dict(base_power="0.3 W", energy_per_event="15 mJ", rate="10 1/s"),
    "calc_radio_connected_fraction": dict(rate="0.01 1/s", connected_time="11.7 s"),
    "calc_transmit_energy": dict(payload="100 kB", energy_per_byte="0.438 uJ/bit"),
    "calc_battery_life": dict(capacity="17.8 Wh", power="0.5 W"),
    "calc_thermal_sustained_rate": dict(sustained_power="4 W", idle_power="0.3 W", energy_per_event="100 mJ"),
    "calc_offload_energy_break_even_rate": dict(device_energy="0.1 J", connected_power="1.06 W", connected_time="11.7 s",
                                                transmit_energy="3.5 mJ"),
    "calc_cost_per_million_tokens": dict(cost_rate="4.4 USD/hour", token_rate="1000 1/s"),
    "calc_experiments_within": dict(limit="7 day", per_experiment="6 hour", kind="time"),
    "calc_complete_experiments": dict(limit="15000 USD", per_experiment="966 USD", kind="money"),
    "calc_accelerators_rentable": dict(budget="15000 USD", hourly_rate="2.5 USD/hour", duration="7 day"),
    "calc_event_rate": dict(events=6, devices=16384, duration="54 day"),
    "calc_expected_poisson_events": dict(rate="6.78e-6 1/day", devices=4096, duration="30 day"),
    "calc_poisson_at_least_one": dict(mean=0.83),
    "calc_binomial_at_least_one": dict(fraction=0.001, count=512),
    "calc_silent_check_loss_fraction": dict(check_time="2 minute", interval="6 hour", events=0.83, duration="30 day"),
    "calc_best_silent_check_interval": dict(check_time="2 minute", events=0.83, duration="30 day"),
    # storage tiers at fleet scale
    "calc_tier_bandwidth": dict(clients=128, per_client_bandwidth="50 GB/s", aggregate_bandwidth="2 TB/s"),
    "calc_request_bound_bandwidth": dict(request_rate="5500 1/s", bytes_per_request="107.7 MB"),
    "calc_accelerators_fed": dict(per_accelerator_supply="6.25 GB/s", aggregate_supply="2 TB/s",
                                  per_accelerator_demand="738 MB/s"),
    # robustness: fault counts, exposure, modular redundancy
    "calc_dual_redundancy_rerun_probability": dict(p=0.1),
    "calc_triple_redundancy_failure_probability": dict(p=0.1),
    "calc_replicated_accelerator_time": dict(wall_time="2 hour", accelerators=1024, replicas=3),
    # reliability: wall-clock interval between interruptions, repeat offenders
    "calc_calendar_interruption_interval": dict(running_mtbf="77.7 hour", downtime="4.15 hour"),
    "calc_expected_distinct_units": dict(units=63, events=17),
}
VARARGS = {"calc_node_mtbf": ["1000 hour", "2000 hour"], "calc_stacked_availability": [0.99, 0.999]}
PUBLIC = sorted(n for n in f.__all__ if callable(getattr(f, n)))


def test_every_public_formula_is_covered():
    assert set(PUBLIC) == set(GOOD_ARGS) | set(VARARGS)


def _numbers(result):
    if isinstance(result, tuple):
        for r in result:
            yield from _numbers(r)
    elif result is None:  # "no such value" (e.g. no rate at which offloading wins)
        return
    elif isinstance(result, pint.Quantity):
        yield float(result.magnitude)
    else:
        yield float(result)


def _check_outcome(call, names: list[str]):
    """The call raises an error naming one of ``names``, or returns finite non-negative numbers."""
    try:
        result = call()
    except InputError as exc:
        assert any(n in exc.field for n in names), f"error names {exc.field!r}, not {names}: {exc}"
        return
    for x in _numbers(result):
        assert math.isfinite(x) and x >= 0, f"{x} from {names}"


CASES = [(name, arg) for name, kw in GOOD_ARGS.items() for arg in kw]


@pytest.mark.parametrize("name, arg", CASES, ids=[f"{n}.{a}" for n, a in CASES])
@settings(max_examples=15, deadline=None)
@given(bad=BAD)
def test_formulas_reject_bad_values_by_name(name, arg, bad):
    kwargs = {**GOOD_ARGS[name], arg: bad}
    _check_outcome(lambda: getattr(f, name)(**kwargs), [arg])


@pytest.mark.parametrize("name", sorted(VARARGS))
@SETTINGS
@given(bad=BAD)
def test_varargs_formulas(name, bad):
    args = [*VARARGS[name], bad]
    _check_outcome(lambda: getattr(f, name)(*args), [f"[{len(args) - 1}]"])


def test_good_arguments_give_finite_results():
    for name, kw in GOOD_ARGS.items():
        for x in _numbers(getattr(f, name)(**kw)):
            assert math.isfinite(x) and x >= 0, name


# -- typed models --------------------------------------------------------------------------------

CORE = dict(peak_flops="100 TFLOP/s", precision_flops={"fp16": "100 TFLOP/s"})
MEM = dict(capacity="16 GB", bandwidth="1 TB/s", sram_capacity="50 MB", sram_bandwidth="10 TB/s", flash_capacity="1 MB")
HW = dict(name="Test", compute=ComputeCore(**CORE), memory=MemoryHierarchy(capacity="16 GB", bandwidth="1 TB/s"), tdp="300 W",
          dispatch_tax="10 us", unit_cost="10000 USD", interconnect_bandwidth="100 GB/s", release_year=2024)
GRID = dict(name="Test grid", carbon_intensity="300 gCO2e/kWh", pue=1.2, wue="1.8 L/kWh", electricity_price="0.1 USD/kWh")
NODE = dict(accelerator=HardwareNode(**HW), accelerators_per_node=8, intra_node_bw="450 GB/s", intra_node_latency="1 us")
FABRIC = dict(bandwidth="50 GB/s", latency="5 us", oversubscription_ratio=1.0)
FLEET = dict(name="Test fleet", node=Node(**NODE), count=4, fabric=NetworkFabric(**FABRIC))
TRANSFORMER = dict(name="T", parameters=47e9, active_parameters=13e9, layers=32, hidden_dim=4096, heads=32, kv_heads=8,
                   head_dim=128, ffn_dim=14336, vocab_size=32000, seq_len=4096, experts=8, experts_per_token=2,
                   inference_flops="10 GFLOP", activation_bytes="1 MB", training_tokens=1e12, training_ops="1e23 flop")
CNN = dict(name="C", parameters=25e6, inference_flops="8 GFLOP", activation_bytes="10 MB", release_year=2016)
TYPES = {
    ComputeCore: CORE, MemoryHierarchy: MEM, HardwareNode: HW, GridProfile: GRID,
    Datacenter: dict(name="DC", grid=GridProfile(**GRID), pue=1.3), Node: NODE, NetworkFabric: FABRIC, Fleet: FLEET,
    TransformerWorkload: TRANSFORMER, CNNWorkload: CNN, Workload: dict(name="W", parameters=1e9, inference_flops="2 GFLOP"),
}
NUMERIC_FIELDS = [(cls, field) for cls, kw in TYPES.items() for field, v in kw.items()
                  if not isinstance(v, (str, dict)) or field in ("precision_flops",) or any(c.isdigit() for c in str(v))]


def _model_numbers(model):
    for value in model._si.values():
        yield value
    for name in type(model).model_fields:
        v = getattr(model, name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            yield v


@pytest.mark.parametrize("cls, field", NUMERIC_FIELDS, ids=[f"{c.__name__}.{f_}" for c, f_ in NUMERIC_FIELDS])
@settings(max_examples=15, deadline=None)
@given(bad=BAD)
def test_types_reject_bad_values_by_name(cls, field, bad):
    kwargs = {**TYPES[cls], field: bad}
    try:
        model = cls(**kwargs)
    except ValidationError as exc:
        text = str(exc)
        # the field itself, or the consistency check that involves it (MoE: active vs total vs experts)
        assert field in text or (field in ("parameters", "experts", "experts_per_token") and "active_parameters" in text), text
        assert "Traceback" not in text
        return
    for x in _model_numbers(model):
        assert math.isfinite(x) and x >= 0, (field, bad, x)


def test_every_good_type_constructs():
    for cls, kw in TYPES.items():
        cls(**kw)


# the issue's examples, one line each
@pytest.mark.parametrize("cls, kwargs, field", [
    (HardwareNode, {"tdp": "-700 W"}, "tdp"), (HardwareNode, {"dispatch_tax": "-1 ms"}, "dispatch_tax"),
    (HardwareNode, {"unit_cost": "-30000 USD"}, "unit_cost"), (HardwareNode, {"interconnect_bandwidth": "0 GB/s"}, "interconnect_bandwidth"),
    (TransformerWorkload, {"head_dim": 0}, "head_dim"), (TransformerWorkload, {"head_dim": -1}, "head_dim"),
    (CNNWorkload, {"inference_flops": "-5 GFLOP"}, "inference_flops"), (CNNWorkload, {"activation_bytes": "-5 GB"}, "activation_bytes"),
    (GridProfile, {"wue": "-1 L/kWh"}, "wue"), (GridProfile, {"electricity_price": "-0.1 USD/kWh"}, "electricity_price"),
    (ComputeCore, {"precision_flops": {"fp16": "-1 TFLOP/s"}}, "precision_flops"),
    (ComputeCore, {"precision_flops": {"fp16": "0 TFLOP/s"}}, "precision_flops"),
    (MemoryHierarchy, {"sram_capacity": "-1 MB"}, "sram_capacity"), (MemoryHierarchy, {"flash_capacity": "0 MB"}, "flash_capacity"),
    (NetworkFabric, {"oversubscription_ratio": math.nan}, "oversubscription_ratio"),
    (NetworkFabric, {"oversubscription_ratio": math.inf}, "oversubscription_ratio"), (NetworkFabric, {"latency": "-1 us"}, "latency"),
    (Node, {"intra_node_latency": "-1 us"}, "intra_node_latency"), (Fleet, {"count": 10**30}, "count"),
])
def test_issue_examples_are_rejected_naming_the_field(cls, kwargs, field):
    with pytest.raises(ValidationError, match=field):
        cls(**{**TYPES[cls], **kwargs})


def test_moe_active_parameters_must_cover_the_routed_experts():
    # parameters = shared + 8 e, active = shared + 2 e; shared >= 0 gives active >= 2/8 x 47e9 = 11.75e9
    bad = {**TRANSFORMER, "parameters": 47e9, "active_parameters": 5e9}
    with pytest.raises(ValidationError, match=r"active_parameters.*1\.175e\+10"):
        TransformerWorkload(**bad)
    TransformerWorkload(**{**bad, "active_parameters": 11.75e9})  # the least possible: no shared layers
    with pytest.raises(ValidationError, match="experts_per_token"):
        TransformerWorkload(**{**TRANSFORMER, "experts_per_token": 8})  # top-8 of 8 divides by E - k = 0


# -- the command line ----------------------------------------------------------------------------

FLAG_TEXT = st.one_of(st.sampled_from(["0", "-1", "nan", "inf", "1e308", "1e300", "2.5", "abc", "", "True", "-0"]),
                      st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**6, 10**20).map(str))
COMMANDS = [
    ["solve", "resnet50", "h100", "--batch-size"], ["solve", "resnet50", "h100", "--efficiency"],
    ["serve", "llama3_8b", "h100", "--seq-len"], ["carbon", "research256", "--hours"], ["carbon", "h100", "--count"],
    ["reliability", "research256", "--days"], ["optimize", "llama3_70b", "research256", "--batch-size", "64", "--top"],
    ["train", "llama3_70b", "research256", "--batch-size", "64", "--tp"],
]


@pytest.mark.parametrize("prefix", COMMANDS, ids=[" ".join(c[:1] + c[-1:]) for c in COMMANDS])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=FLAG_TEXT)
def test_cli_bad_flag_values(capsys, prefix, text):
    status = main([*prefix, text, *(["--hours", "1"] if prefix[0] == "carbon" and prefix[-1] == "--count" else [])])
    out, err = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == BAD_INPUT:
        lines = err.strip().splitlines()
        assert len(lines) >= 1 and lines[-1].startswith("mlsysim: error: ") and "Traceback" not in err
        assert all(l.startswith("mlsysim: ") for l in lines)
    else:
        assert "nan" not in out.split() and "inf" not in out.split()


@pytest.mark.parametrize("arg", ["batch_size", "seq_len", "precision"])
@settings(max_examples=25, deadline=None)
@given(bad=BAD)
def test_lowering_rejects_bad_arguments_by_name(arg, bad):
    for model in (TransformerWorkload(**TRANSFORMER), CNNWorkload(**CNN)):
        kwargs = {"precision": "fp16", "batch_size": 4, "seq_len": 128, arg: bad}
        try:
            graph = model.lower(**kwargs)
        except InputError as exc:
            assert exc.field == arg
            continue
        for x in (graph._ops, graph._weight_bytes, graph._bytes_moved):
            assert math.isfinite(x) and x >= 0


@pytest.mark.parametrize("method", ["peak_flops", "ridge_point"])
@settings(max_examples=25, deadline=None)
@given(bad=BAD)
def test_hardware_methods_reject_bad_precisions(method, bad):
    hw = HardwareNode(**HW)
    try:
        value = getattr(hw, method)(bad)
    except InputError as exc:
        assert exc.field == "precision"
        return
    assert math.isfinite(value.magnitude) and value.magnitude >= 0
