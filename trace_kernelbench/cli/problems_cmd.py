"""CLI commands `problems` (list), `show` (print a problem's source) and `prompt` (print the prompt for a problem).

Thin wrappers: the logic lives in trace_kernelbench.problems and trace_kernelbench.prompts.
"""
from __future__ import annotations

import argparse
import json
import sys

from trace_kernelbench.problems.resolver import SOURCES


def register(sub) -> None:
    p = sub.add_parser("problems", help="list problems (embedded suite, KernelBench checkout, or Hugging Face)",
                       description="List the problems of one source.")
    p.add_argument("--source", choices=SOURCES, default="embedded", help="where problems come from (default: embedded)")
    p.add_argument("--level", type=int, metavar="N", help="only KernelBench level N (1-4)")
    _kernelbench_dir_arg(p)
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.set_defaults(func=cmd_problems)

    p = sub.add_parser("show", help="print a problem's source", description="Print a problem's source to stdout "
                       "(a one-line header goes to stderr).")
    _problem_args(p)
    p.set_defaults(func=cmd_show)

    from trace_kernelbench.prompts.builder import BACKENDS, STYLES
    p = sub.add_parser("prompt", help="print the LLM prompt for a problem",
                       description="Print the prompt asking an LLM for a faster ModelNew of PROBLEM.")
    _problem_args(p)
    p.add_argument("--backend", choices=BACKENDS, default="cuda", help="kernel language asked for (default: cuda)")
    p.add_argument("--gpu", metavar="NAME", help="add notes about this GPU (H100, H200, A100, L40S, B200)")
    p.add_argument("--style", choices=STYLES, default="default",
                   help="default: ours; kernelbench: upstream KernelBench's own prompt constructor")
    p.set_defaults(func=cmd_prompt)


def _kernelbench_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernelbench-dir", metavar="DIR",
                   help="KernelBench checkout (default: $TRACE_KB_KERNELBENCH_DIR or external/KernelBench)")


def _problem_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", metavar="PROBLEM",
                   help="embedded/<name>, kernelbench/L<level>/<id>, hf/L<level>/<id>, or a .py file")
    p.add_argument("--source", choices=SOURCES,
                   help="where kernelbench/L<level>/<id> comes from (default: the checkout; hf: Hugging Face)")
    _kernelbench_dir_arg(p)


def _resolve(args):
    from trace_kernelbench.problems import resolve_problem
    return resolve_problem(args.problem, source=args.source, kernelbench_dir=args.kernelbench_dir)


def cmd_problems(args) -> int:
    from trace_kernelbench.problems import list_problems
    problems = list_problems(args.source, level=args.level, kernelbench_dir=args.kernelbench_dir)
    if args.json:
        print(json.dumps([p.summary() for p in problems], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"{len(problems)} {args.source} problems", title_justify="left")
    for col in ("id", "name", "level", "origin", "small sizes"):
        table.add_column(col, no_wrap=True)
    for p in problems:
        table.add_row(p.id, p.name, str(p.level), p.origin, "yes" if p.has_small_size else "")
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    return 0


def cmd_show(args) -> int:
    p = _resolve(args)
    print(f"# {p.id}  {p.name}  level {p.level}  {p.origin}" + (f"  {p.path}" if p.path else ""), file=sys.stderr)
    sys.stdout.write(p.source if p.source.endswith("\n") else p.source + "\n")
    return 0


def cmd_prompt(args) -> int:
    from trace_kernelbench.prompts import build_prompt
    p = _resolve(args)
    sys.stdout.write(build_prompt(p, backend=args.backend, gpu=args.gpu, style=args.style,
                                  kernelbench_dir=args.kernelbench_dir))
    return 0
