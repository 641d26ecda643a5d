"""`trace-kernelbench audit RESULTS`: re-evaluate published kernels and say which claims hold."""
from __future__ import annotations

import sys
from pathlib import Path

from trace_kernelbench.cli.eval_cmd import (add_eval_options, add_evaluator_options, make_evaluator_from_args,
                                            request_kwargs)
from trace_kernelbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("audit", help="re-evaluate published kernels and check their claims",
                       description="Re-evaluate every kernel in RESULTS with our evaluator and guard, and print the "
                                   "claimed verdict/speedup beside ours, flags, and a summary. RESULTS is a "
                                   "Trace-Bench results folder (kernel_<method>/..._task_<i>_result.json; problems "
                                   "from a KernelBench checkout) or a JSON/JSONL file of {problem, code, "
                                   "claimed_speedup?, claimed_correct?, label?} records. Exit 0 when the audit ran, "
                                   "2 for bad input, 3 when an evaluation hit an infrastructure error.")
    p.add_argument("results", metavar="RESULTS", help="Trace-Bench results folder, or a .json/.jsonl file")
    p.add_argument("--methods", default=None, metavar="LIST",
                   help="Trace-Bench folders only: methods to audit, e.g. gepa,openevolve,dspy (default: all found)")
    p.add_argument("--tolerance", type=float, default=None, metavar="T",
                   help="a claim holds when our speedup >= (1-T) x the claimed one (default: 0.1)")
    p.add_argument("--json", action="store_true", help="print the audit as JSON instead of tables")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="also write the audit to FILE (.md: Markdown; else JSON)")
    add_eval_options(p)
    add_evaluator_options(p)
    p.set_defaults(func=run)


def read_entries(args):
    from trace_kernelbench.audit import read_generic, read_tracebench

    path = Path(args.results)
    if path.is_dir():
        methods = [m.strip().lower() for m in args.methods.split(",") if m.strip()] if args.methods else None
        return read_tracebench(path, methods), "Trace-Bench results"
    if not path.exists():
        raise UserError(f"no such results file or folder: {args.results}")
    if args.methods:
        raise UserError("--methods applies to a Trace-Bench results folder, not to a JSON/JSONL file")
    return read_generic(path), "generic"


def run(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from trace_kernelbench.audit import DEFAULT_TOLERANCE, build_requests, run_audit, summaries
    from trace_kernelbench.audit import render

    tol = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    if not 0 <= tol < 1:
        raise UserError("--tolerance must be at least 0 and below 1")
    entries, kind = read_entries(args)
    kwargs = request_kwargs(args)
    requests = build_requests(entries, kwargs, source=args.source, kernelbench_dir=args.kernelbench_dir)
    if args.out:   # fail before hours of evaluation, not after
        try:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot write {args.out}: {e}") from None
    err = Console(stderr=True, highlight=False)
    with make_evaluator_from_args(args) as ev:
        err.print(f"auditing {len(entries)} entries ({kind}) with the {args.evaluator} evaluator", markup=False)
        columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("evaluating", total=len(entries))
            judgements = run_audit(entries, requests, ev, tolerance=tol,
                                   progress=lambda n, e: bar.update(task, completed=n, description=e.label))
            bar.update(task, description="done")
    sums = summaries(judgements)
    context = {"results": str(args.results), "kind": kind, "evaluator": args.evaluator,
               "request": {k: v for k, v in kwargs.items()}}
    if args.json:
        print(render.to_json(judgements, sums, tol, context))
    else:
        con = Console(highlight=False, width=None if sys.stdout.isatty() else 240)
        for t in render.rich_tables(judgements, sums, tol):
            con.print(t)
    if args.out:
        out = Path(args.out)
        text = (render.to_markdown(judgements, sums, tol, f"Results: `{args.results}` ({kind}); evaluator "
                                   f"`{args.evaluator}`; request options {kwargs}.")
                if out.suffix == ".md" else render.to_json(judgements, sums, tol, context))
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
        except OSError as e:
            raise UserError(f"cannot write {out}: {e}") from None
        err.print(f"wrote {out}", markup=False)
    sys.stdout.flush()
    return 3 if any(j.status == "infra_error" for j in judgements) else 0
