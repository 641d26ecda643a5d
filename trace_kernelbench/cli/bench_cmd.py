"""`trace-kernelbench bench`: evaluation throughput, cold and warm (the library is evaluators/bench.py)."""
from __future__ import annotations

import json

from trace_kernelbench.cli.eval_cmd import add_eval_options, add_evaluator_options, make_evaluator_from_args, \
    request_kwargs
from trace_kernelbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure evaluation throughput (kernels/min, time per stage)",
                       description="Evaluate --count distinct kernels (the embedded suite's solutions for --backend, "
                                   "plus varied copies) with a cold build cache, then again warm, and print "
                                   "kernels/min and the mean time per kernel in each stage. Exit 3 if any evaluation "
                                   "hit an infrastructure error.")
    p.add_argument("--backend", choices=("cuda", "cpp", "triton"), default="cuda", help="(default: cuda)")
    p.add_argument("--count", type=int, default=16, metavar="N", help="distinct kernels (default: 16)")
    p.add_argument("--keep-cache", action="store_true",
                   help="use the normal build cache instead of a fresh one (local evaluator)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_eval_options(p)
    add_evaluator_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from trace_kernelbench.evaluators.bench import bench_kernels, run_bench

    if args.source or args.kernelbench_dir:
        raise UserError("bench uses the embedded suite; --source and --kernelbench-dir do not apply")
    kernels = bench_kernels(args.backend, args.count, args.size)
    report = run_bench(lambda: make_evaluator_from_args(args), kernels, request_kwargs(args),
                       fresh_cache=not args.keep_cache)
    report["backend"] = args.backend
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    infra = any(k["cold"] == "infra_error" or k["warm"] == "infra_error" for k in report["kernels"])
    return 3 if infra else 0


def print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    cold, warm = report["passes"]
    con = Console(highlight=False)
    t = Table(title=f"{cold['kernels']} {report['backend']} kernels, {report['evaluator']} evaluator "
                    f"(size {report['request']['size']})")
    t.add_column("")
    t.add_column("cold", justify="right")
    t.add_column("warm", justify="right")
    t.add_row("kernels/min", f"{cold['kernels_per_min']:.1f}", f"{warm['kernels_per_min']:.1f}")
    t.add_row("wall (s)", f"{cold['wall_s']:.1f}", f"{warm['wall_s']:.1f}")
    t.add_row("cache hits", str(cold["cache_hits"]), str(warm["cache_hits"]))
    for stage in cold["mean_s"]:
        t.add_row(f"{stage} (s/kernel, mean)", f"{cold['mean_s'][stage]:.2f}", f"{warm['mean_s'][stage]:.2f}")
    t.add_row("verdicts", _statuses(cold["statuses"]), _statuses(warm["statuses"]))
    con.print(t)
    one = report["repeat_one"]
    con.print(f"re-evaluating one identical source alone ({one['label']}): {one['wall_s']:.2f} s, {one['status']}",
              markup=False)
    bad = [k for k in report["kernels"] if k["cold"] != "correct" or k["warm"] != "correct"]
    for k in bad:
        con.print(f"{k['label']}: cold {k['cold']}, warm {k['warm']}: {k['error'] or ''}", markup=False)


def _statuses(counts: dict) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
