"""Measure how reproducible a speedup is: the same kernel evaluated several times, each time in a fresh worker with
the reference re-timed (its baseline cache entry removed), and the spread of speedup, reference and candidate times.
The reference time is the one interleaved with the candidate's (see evaluation.timing), as in every evaluation.

    python -m trace_kernelbench.evaluation.reproducibility --device cuda --size full relu softmax --repeats 5
    python -m trace_kernelbench.evaluation.reproducibility ... --guard off    # the same without any guard work

Spread is (max - min) / min over the repeats: "two runs of the same kernel differ by under 2%" means a spread under
0.02 for two repeats. The reference and candidate columns tell which side moved. Builds are warmed first.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics


def spread(values: list[float]) -> float | None:
    """(max - min) / min; None when there is nothing to compare."""
    vals = [v for v in values if v is not None]
    if len(vals) < 2 or min(vals) <= 0:
        return None
    return (max(vals) - min(vals)) / min(vals)


def _guard_checks(result) -> int:
    """How many output checks the guard ran in this evaluation (0 with --guard off)."""
    rt = (result.guard or {}).get("runtime") or {}
    return int(rt.get("fresh_checks", 0)) + int(rt.get("timed_checks", 0))


def measure(problems: list[str], backend: str, device: str, size: str, repeats: int, guard: bool = True) -> list[dict]:
    from trace_kernelbench.guard.gate import bypass
    with bypass(not guard):
        return _measure(problems, backend, device, size, repeats)


def _measure(problems: list[str], backend: str, device: str, size: str, repeats: int) -> list[dict]:
    from trace_kernelbench.evaluation.build import cache_root
    from trace_kernelbench.evaluation.isolated import IsolatedEvaluator
    from trace_kernelbench.evaluators import make_evaluator
    from trace_kernelbench.solutions import solution_request

    reqs = {n: solution_request(backend, n, device=device, size=size) for n in problems}
    with make_evaluator("local") as pre:               # builds in parallel into the shared build cache
        pre.evaluate_many(list(reqs.values()))
    rows = []
    with IsolatedEvaluator() as ev:
        for name, req in reqs.items():
            runs = []
            for _ in range(repeats):
                shutil.rmtree(cache_root() / "baselines", ignore_errors=True)   # the reference is timed afresh
                r = ev.evaluate(req)
                if r.status.value != "correct":
                    raise RuntimeError(f"{name}: {r.status.value}: {r.error}")
                before = r.timing.get("reference_before")   # measured afresh (no cache), before the candidate
                runs.append({"speedup": r.speedup, "ref_ms": r.ref_runtime_ms, "ms": r.runtime_ms,
                             "guard_checks": _guard_checks(r),
                             "ref_source": before.source if before else None,
                             "ref_before_ms": before.median_ms if before else None,
                             "interleaved": r.timing["reference"].source == "interleaved",
                             "attempts": r.timing["candidate"].attempts,    # timed again after a drifted reference
                             "exclusive": r.timing["candidate"].exclusive,   # no other process's GPU work meanwhile
                             # SM clock [start, end] of each measurement: the GPU's state moves between processes
                             "clock_mhz": r.timing["candidate"].clock_mhz,
                             "ref_before_clock_mhz": before.clock_mhz if before else None,
                             "runs": r.timing["candidate"].count, "ref_runs": r.timing["reference"].count,
                             # within one evaluation: a narrow interval with a wide spread means the runs agree
                             # inside each process and move between processes
                             "ms_ci95": list(r.timing["candidate"].ci95_ms),
                             "ref_ci95": list(r.timing["reference"].ci95_ms)})
            rows.append({"problem": name, "runs": runs,
                         "speedup_median": statistics.median(x["speedup"] for x in runs),
                         "speedup_spread": spread([x["speedup"] for x in runs]),
                         "ref_spread": spread([x["ref_ms"] for x in runs]),
                         "candidate_spread": spread([x["ms"] for x in runs])})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("problems", nargs="*", default=["relu", "softmax", "matmul_square"])
    ap.add_argument("--backend", default="cuda", choices=("cpp", "triton", "cuda"))
    ap.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    ap.add_argument("--size", default="full", choices=("small", "full"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--guard", default="on", choices=("on", "off"),
                    help="off: evaluate without any guard work (to see whether the guard moves the timings)")
    args = ap.parse_args(argv)
    if args.repeats < 2:
        ap.error("--repeats must be at least 2")
    rows = measure(args.problems, args.backend, args.device, args.size, args.repeats, guard=args.guard == "on")
    worst = max((r["speedup_spread"] or 0.0) for r in rows)
    print(json.dumps({"guard": args.guard, "rows": rows, "worst_speedup_spread": worst}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
