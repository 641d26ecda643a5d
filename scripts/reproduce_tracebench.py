#!/usr/bin/env python
"""Recompute Trace-Bench's published KernelBench fast_p table from its plot data.

Usage: scripts/reproduce_tracebench.py RESULTS_DIR

RESULTS_DIR is laid out like ../shared/data/tracebench-fork-results (plot data in RESULTS_DIR/plot-data/<method>.csv;
a folder holding the CSVs directly works too). Each CSV row is a (task, iteration) point whose `score` is the
best-so-far speedup; the published table takes each task's last row (its final budget) and counts the tasks whose score
is strictly greater than p: fast_p = k/16. Prints a Markdown table: method, evaluations per task at the final budget
(min-max over tasks), fast_0.5, fast_1.0, fast_1.5, fast_2.0.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_kernelbench.audit.tracebench import read_final_scores  # noqa: E402
from trace_kernelbench.errors import UserError  # noqa: E402
from trace_kernelbench.metrics import fast_p  # noqa: E402

PS = (0.5, 1.0, 1.5, 2.0)


def table(results_dir: str) -> list[str]:
    lines = ["| method | evals/task | " + " | ".join(f"fast_{p:.1f}" for p in PS) + " |", "|---" * (len(PS) + 2) + "|"]
    for m in read_final_scores(results_dir):
        scores = list(m.scores.values())
        n = len(scores)
        lo, hi = min(m.evals.values()), max(m.evals.values())
        evals = f"{lo}" if lo == hi else f"{lo}-{hi}"
        cells = [f"{round(fast_p(scores, p) * n)}/{n}" for p in PS]
        lines.append(f"| {m.method} | {evals} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        print("\n".join(table(argv[0])))
    except UserError as e:
        print(f"reproduce_tracebench: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
