#!/usr/bin/env python
"""Audit Trace-Bench's published KernelBench kernels (GEPA, OpenEvolve, DSPy) with our evaluator and guard.

Usage: scripts/audit_tracebench.py RESULTS_DIR [--kernelbench-dir DIR] [any `trace-kernelbench audit` option ...]

A thin wrapper over `trace-kernelbench audit RESULTS_DIR --methods gepa,openevolve,dspy`: RESULTS_DIR is a Trace-Bench
`KernelBench/results` folder (or a copy like ../shared/data/tracebench-fork-results); problems come from the KernelBench
checkout (default external/KernelBench). Needs a CUDA GPU for meaningful results. Example:

    scripts/audit_tracebench.py ../shared/data/tracebench-fork-results --out audit-tracebench.md
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trace_kernelbench.cli.main import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    if not any(a == "--methods" or a.startswith("--methods=") for a in args):
        args += ["--methods", "gepa,openevolve,dspy"]
    sys.exit(main(["audit", *args]))
