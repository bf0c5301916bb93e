"""One-system commands: ``solve`` (roofline), ``serve`` (LLM serving), ``diffusion`` (images), ``audit`` (every wall at once)."""

from __future__ import annotations

import mlsysim

from ..core.errors import MlsysimError
from ..solvers import ServingModel, SingleNodeModel
from ..solvers.diffusion import DiffusionModel
from ..workloads.precision import PRECISIONS
from ._base import DOES_NOT_FIT, OK, dumps, duration_in, emit, finite_float, json_flag, knob, positive_int, resolve

WORKLOADS = ("inference", "training", "serving")


def cmd_solve(args) -> int:
    model, hardware = resolve(args.model, ["models"], "model"), resolve(args.hardware, ["hardware"], "hardware")
    r = SingleNodeModel().solve(model, hardware, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency,
                                is_training=args.training, seq_len=args.seq_len, execution=args.execution)
    return emit(r, args, f"{r.model} on {r.hardware}, batch {r.batch_size}, {r.precision}{' training' if r.is_training else ''}",
                ["bottleneck", "latency", "throughput", "compute_time", "memory_time", "launch_time", "arithmetic_intensity",
                 "ridge_point", "mfu",
                 "energy", "memory_footprint", "memory_capacity", "feasible"])


def cmd_serve(args) -> int:
    model, hardware = resolve(args.model, ["models"], "model"), resolve(args.hardware, ["hardware"], "hardware")
    lengths = {"seq_len": args.seq_len} if args.input_tokens is None else {"input_tokens": args.input_tokens}
    r = ServingModel().solve(model, hardware, batch_size=args.batch_size, precision=args.precision, efficiency=args.efficiency,
                             kv_precision=args.kv_precision, output_tokens=args.output_tokens, tp=args.tp, **lengths)
    shape = (f"context {r.seq_len}" if r.output_tokens is None else f"{r.input_tokens} in + {r.output_tokens} out")
    fields = ["ttft", "itl", "decode_throughput", "prefill_bottleneck", "decode_bottleneck", "weight_memory", "kv_cache_size",
              "memory_footprint", "memory_capacity", "feasible"]
    if r.output_tokens is not None:
        fields[3:3] = ["request_latency", "requests_per_second", "tokens_per_second", "output_tokens_per_second"]
    if r.tp > 1:
        fields += ["memory_per_accelerator", "decode_comm_time"]
    return emit(r, args, f"serving {r.model} on {r.hardware}, batch {r.batch_size}, {shape}, {r.precision} weights, "
                f"{r.kv_precision} KV cache", fields)


def cmd_diffusion(args) -> int:
    hardware = resolve(args.hardware, ["hardware"], "hardware")
    r = DiffusionModel().solve(args.model, hardware, batch_size=args.batch_size, steps=args.steps, guidance=not args.no_guidance,
                               precision=args.precision, efficiency=args.efficiency)
    return emit(r, args, f"{r.model} on {r.hardware}, batch {r.batch_size}, {r.steps} steps"
                         f"{', classifier-free guidance' if r.guidance else ''}, {r.precision}",
                ["latency", "images_per_second", "step_time", "denoising_time", "text_encoder_time", "vae_decoder_time",
                 "flops_per_image", "step_bound", "memory_footprint", "memory_capacity", "feasible"])


def cmd_audit(args) -> int:
    audit = getattr(mlsysim, "audit", None)
    if audit is None:
        raise MlsysimError("this version of mlsysim has no audit (mlsysim.audit)")
    model = resolve(args.model, ["models"], "model")
    system = resolve(args.system, ["fleets", "hardware"], "system")
    grid = resolve(args.grid, ["grids"], "grid") if args.grid else None
    knobs = dict(args.set or [])
    a = audit(model, system, args.workload, batch_size=args.batch_size, precision=args.precision, seq_len=args.seq_len,
              count=args.count, grid=grid, duration=f"{args.days!r} day" if args.days is not None else None, **knobs)
    if args.json:
        print(dumps(a.as_dict()))
    else:
        if not a.feasible:
            reason = getattr(a, "reason", "") or f"the {a.binding} wall binds first"
            print(f"does not fit: {reason}\n")
        print(a.table())
    return OK if a.feasible else DOES_NOT_FIT


def add_commands(sub, common) -> None:
    def shared(p):
        p.add_argument("model", help="model name, e.g. resnet50 or llama3_8b (mlsysim list models)")
        p.add_argument("hardware", help="hardware name, e.g. h100 (mlsysim list hardware)")
        p.add_argument("--batch-size", type=int, default=1)
        p.add_argument("--precision", default="fp16", choices=PRECISIONS)
        p.add_argument("--efficiency", type=finite_float, default=0.5, help="fraction of dense peak FLOP/s, in (0, 1]")
        json_flag(p)

    p = sub.add_parser("solve", help="roofline on one accelerator", parents=[common])
    shared(p)
    p.add_argument("--training", action="store_true", help="forward + backward, with optimizer memory")
    p.add_argument("--seq-len", type=int, default=None)
    p.add_argument("--execution", default=None, choices=("eager", "fused", "graph"),
                   help="how the kernels run: eager (PyTorch), fused (compiled), graph (CUDA graph); default by hardware tier")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("serve", help="LLM serving: TTFT, ITL, KV cache", parents=[common])
    shared(p)
    p.add_argument("--seq-len", type=int, default=None, help="single length: prompt and KV cache of each decode step (default 2048)")
    p.add_argument("--input-tokens", type=int, default=None, help="prompt tokens per request (instead of --seq-len)")
    p.add_argument("--output-tokens", type=int, default=None, help="output tokens per request: whole-request latency and rates")
    p.add_argument("--kv-precision", default=None, choices=PRECISIONS, help="KV cache precision (default: 16-bit under narrower weights)")
    p.add_argument("--tp", type=int, default=1, help="accelerators in one tensor-parallel group")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("diffusion", help="diffusion models: latency per image, images/s (sd15, sdxl, dit_xl_2)", parents=[common])
    p.add_argument("model", help="diffusion model name: sd15, sdxl or dit_xl_2")
    p.add_argument("hardware", help="hardware name, e.g. a100 (mlsysim list hardware)")
    p.add_argument("--batch-size", type=positive_int, default=1)
    p.add_argument("--steps", type=positive_int, default=None, help="denoising steps (default: the model's, e.g. 50)")
    p.add_argument("--no-guidance", action="store_true", help="one pass per step instead of two (no classifier-free guidance)")
    p.add_argument("--precision", default="fp16", choices=PRECISIONS)
    p.add_argument("--efficiency", type=finite_float, default=0.5, help="fraction of dense peak FLOP/s, in (0, 1]")
    json_flag(p)
    p.set_defaults(func=cmd_diffusion)

    p = sub.add_parser("audit", help="every wall for one model on one system, and which binds first", parents=[common])
    p.add_argument("model", help="model name (mlsysim list models)")
    p.add_argument("system", help="a fleet or hardware name (mlsysim list fleets / hardware)")
    p.add_argument("--workload", choices=WORKLOADS, default="inference")
    p.add_argument("--batch-size", type=positive_int, default=1)
    p.add_argument("--precision", default="fp16", choices=PRECISIONS)
    p.add_argument("--seq-len", type=positive_int, default=None)
    p.add_argument("--count", type=positive_int, default=None, help="accelerators, when SYSTEM is one accelerator")
    p.add_argument("--grid", default=None, help="grid name for carbon and energy cost (mlsysim list grids)")
    p.add_argument("--days", type=duration_in("day", 24.0), default=None, help="duration of the job or deployment, in days")
    p.add_argument("--set", type=knob, action="append", metavar="KEY=VALUE", default=None,
                   help='a solver setting passed to the audit (repeatable), e.g. --set arrival_rate="20 1/s" --set sla="2 s"; '
                        "numbers and true/false are parsed, anything else is kept as text")
    json_flag(p)
    p.set_defaults(func=cmd_audit)
