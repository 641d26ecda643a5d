"""`trace-kernelbench eval PROBLEM KERNEL_FILE`: evaluate one candidate file and print the verdict."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from trace_kernelbench.errors import UserError


def add_eval_options(p) -> None:
    """Options shared by every command that evaluates kernels (eval, bench, run overrides, audit)."""
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto", help="where to run (default: auto)")
    p.add_argument("--size", choices=("full", "small"), default="full",
                   help="problem size: full, or the problem's declared small size for CPU runs (default: full)")
    p.add_argument("--correct-trials", type=int, default=5, metavar="N", help="correctness trials (default: 5)")
    p.add_argument("--precision", choices=("fp32", "fp16", "bf16"), default="fp32", help="(default: fp32)")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance (default: per dtype)")
    p.add_argument("--rtol", type=float, default=None, help="relative tolerance (default: per dtype)")
    p.add_argument("--build-timeout", type=float, default=600.0, metavar="S", help="build time limit (default: 600)")
    p.add_argument("--run-timeout", type=float, default=300.0, metavar="S",
                   help="limit for loading, checking and timing the candidate (default: 300)")
    p.add_argument("--no-timing", action="store_true", help="check correctness only")
    p.add_argument("--baseline", choices=("eager", "compile"), default="eager",
                   help="reference timing: PyTorch eager or torch.compile (default: eager)")
    p.add_argument("--guard", choices=("strict", "kernelbench", "off"), default="kernelbench",
                   help="anti-cheat policy: strict, kernelbench (at least one custom kernel in forward), or off "
                        "(facts recorded, nothing rejected) (default: kernelbench)")
    p.add_argument("--source", choices=("embedded", "kernelbench", "hf"), default=None,
                   help="where kernelbench/L<l>/<id> problems come from (default: the checkout)")
    p.add_argument("--kernelbench-dir", default=None, metavar="DIR", help="KernelBench checkout (default: external/KernelBench)")


def add_evaluator_options(p) -> None:
    """Which evaluator runs the kernels (eval, bench): local pipeline, evaluation server(s), or Modal."""
    p.add_argument("--evaluator", default="local", metavar="local|server|modal",
                   help="where to evaluate: this machine, an evaluation server, or Modal GPUs (default: local)")
    p.add_argument("--server-url", action="append", default=[], metavar="URL",
                   help="evaluation server for --evaluator server (repeat to spread jobs over several)")
    p.add_argument("--token", default=None, metavar="T",
                   help="the server's bearer token (default: $TRACE_KB_SERVER_TOKEN)")
    p.add_argument("--gpu", default=None, metavar="NAME",
                   help="Modal GPU type for --evaluator modal: H100, H200, A100-80GB, L40S, B200... (default: H100)")


def make_evaluator_from_args(args, **local_options):
    """The evaluator the options ask for; `local_options` apply to the local one only."""
    from trace_kernelbench.evaluators import make_evaluator

    kind = args.evaluator.partition(":")[0]
    if args.server_url and kind != "server":
        raise UserError("--server-url applies to --evaluator server")
    if args.gpu and kind != "modal":
        raise UserError("--gpu applies to --evaluator modal")
    if kind == "server":
        options = {"token": args.token, **({"urls": args.server_url} if args.server_url else {})}
        if not args.server_url and ":" not in args.evaluator:
            raise UserError("--evaluator server needs --server-url URL")
        return make_evaluator(args.evaluator, **options)
    if kind == "modal":
        return make_evaluator(args.evaluator, **({"gpu": args.gpu} if args.gpu else {}))
    return make_evaluator(args.evaluator, **local_options)


def request_kwargs(args) -> dict:
    if args.atol is not None and args.atol < 0 or args.rtol is not None and args.rtol < 0:
        raise UserError("tolerances must be non-negative")
    return dict(device=args.device, size=args.size, correct_trials=args.correct_trials, precision=args.precision,
                atol=args.atol, rtol=args.rtol, build_timeout_s=args.build_timeout, run_timeout_s=args.run_timeout,
                measure_timing=not args.no_timing, baseline=args.baseline, guard_policy=args.guard)


def read_kernel_file(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"no such kernel file: {path}")
    try:
        return p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None


def register(sub) -> None:
    p = sub.add_parser("eval", help="evaluate one kernel file against a problem",
                       description="Build, check and time KERNEL_FILE (a ModelNew in KernelBench format) against "
                                   "PROBLEM, in isolated processes. Exit 0 when a verdict was reached (whatever it "
                                   "is), 2 for bad input, 3 for an evaluator (infrastructure) error.")
    p.add_argument("problem", metavar="PROBLEM", help="embedded/<name>, kernelbench/L<level>/<id>, or a .py file")
    p.add_argument("kernel", metavar="KERNEL_FILE", help="the candidate source file")
    add_eval_options(p)
    add_evaluator_options(p)
    p.add_argument("--json", action="store_true", help="print the full result contract as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from trace_kernelbench.evaluation.request import EvalRequest
    from trace_kernelbench.problems import resolve_problem

    problem = resolve_problem(args.problem, source=args.source, kernelbench_dir=args.kernelbench_dir)
    source = read_kernel_file(args.kernel)
    if args.size == "small" and not problem.has_small_size:
        raise UserError(f"{problem.id} declares no small size (SMALL_SIZES); use --size full")
    req = EvalRequest.for_problem(problem, source, **request_kwargs(args))
    req.validate()
    with make_evaluator_from_args(args, build_workers=1) as ev:
        result = ev.evaluate(req)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print_result(result)
    return 3 if result.status.value == "infra_error" else 0


def print_result(result) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(show_header=False, box=None)
    t.add_row("status", f"[bold]{result.status.value}[/bold]")
    t.add_row("backend", str(result.backend))
    t.add_row("device", str(result.device))
    if result.speedup is not None:
        t.add_row("runtime", f"{result.runtime_ms:.4f} ms (reference {result.ref_runtime_ms:.4f} ms)")
        t.add_row("speedup", f"{result.speedup:.3f}x")
    if result.trials_total:
        t.add_row("trials", f"{result.trials_passed}/{result.trials_total} correct")
    t.add_row("wall", ", ".join(f"{k} {v:.2f}s" for k, v in result.wall_s.items()))
    con.print(t)
    con.print(result.feedback, markup=False, highlight=False)
    sys.stdout.flush()
