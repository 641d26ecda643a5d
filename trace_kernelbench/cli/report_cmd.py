"""`trace-kernelbench report RUN_DIR [RUN_DIR ...] [--out DIR]`: tables, plots and a Markdown report of runs."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from trace_kernelbench.errors import UserError


def parse_ps(text: str) -> tuple[float, ...]:
    try:
        ps = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UserError(f"bad --p '{text}': expected comma-separated numbers, e.g. 0,0.5,1,1.5,2") from None
    if not ps or any(p < 0 for p in ps):
        raise UserError(f"bad --p '{text}': expected non-negative numbers, e.g. 0,0.5,1,1.5,2")
    return tuple(sorted(set(ps)))


def register(sub) -> None:
    p = sub.add_parser("report", help="tables, plots and a Markdown report of one or more run directories",
                       description="Summarise run directories written by `trace-kernelbench run`: a table per run, "
                                   "a leaderboard across runs, fast_p-vs-budget plots with bootstrap bands, "
                                   "per-problem speedups, outcome breakdowns, and report.md linking the plots.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (runs/<name>-<time>/)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="where to write report.md and the PNGs (default: RUN_DIR/report for one run, "
                        "reports/compare-<time> for several)")
    p.add_argument("--p", default="0,0.5,1,1.5,2", metavar="LIST", help="fast_p thresholds (default: 0,0.5,1,1.5,2)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples for confidence intervals (default: 1000)")
    p.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console

    from trace_kernelbench.report.build import build_report
    from trace_kernelbench.report.tables import rich_leaderboard, rich_run_tables, run_title

    if not 100 <= args.bootstrap <= 100_000:
        raise UserError("--bootstrap must be between 100 and 100000")
    ps = parse_ps(args.p)
    out = args.out or (str(Path(args.runs[0]) / "report") if len(args.runs) == 1
                       else f"reports/compare-{time.strftime('%Y%m%d-%H%M%S')}")
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    rep = build_report(args.runs, out, ps=ps, n_boot=args.bootstrap,
                       progress=lambda m: err.print(m, markup=False, style="dim"))
    con = Console(highlight=False, width=None if sys.stdout.isatty() else 240)  # no wrapped cells in files/pipes
    for s in rep.stats:
        con.print(run_title(s), markup=False, style="bold")
        for t in rich_run_tables(s):
            con.print(t)
        con.print()
    con.print(rich_leaderboard(rep.stats))
    con.print(f"report: {rep.markdown}", markup=False)
    for path in rep.plots.values():
        con.print(f"plot:   {path}", markup=False)
    sys.stdout.flush()
    return 0
