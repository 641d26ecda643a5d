"""Evaluate every embedded-suite solution for the backends this device can run and write the results as JSON
(input to scripts/update_results.py, which renders RESULTS.md). Usage: solution_results.py [--out FILE]."""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time

from trace_kernelbench.evaluators import make_evaluator
from trace_kernelbench.solutions import solution_names, solution_request


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="solutions.json")
    ap.add_argument("--backends", default=None, help="comma list (default: cuda,triton on a GPU; cpp,triton on CPU)")
    ap.add_argument("--size", default=None, help="full or small (default: full on a GPU, small on CPU)")
    args = ap.parse_args()
    import torch
    gpu = torch.cuda.is_available()
    backends = (args.backends or ("cuda,triton" if gpu else "cpp,triton")).split(",")
    size = args.size or ("full" if gpu else "small")
    pairs = [(b, n) for b in backends for n in solution_names(b)]
    reqs = [solution_request(b, n, size=size) for b, n in pairs]
    t0 = time.monotonic()
    with make_evaluator("local") as ev:
        results = ev.evaluate_many(reqs)
    rows = []
    for (b, n), r in zip(pairs, results):
        rows.append({"problem": f"embedded/{n}", "backend": b, "status": r.status.value, "ref_ms": r.ref_runtime_ms,
                     "candidate_ms": r.runtime_ms, "speedup": r.speedup, "error": (r.error or "")[:300],
                     "device": r.device, "cache_hit": r.cache_hit, "wall_s": r.wall_s, "flags": r.flags,
                     "guard_findings": (r.guard or {}).get("findings")})
        print(f"{b:7s} {n:24s} {r.status.value:14s} ref={r.ref_runtime_ms} cand={r.runtime_ms} x{r.speedup}",
              flush=True)
    versions = next((r.versions for r in results if r.versions), {})
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
           "device": next((r.device for r in results if r.device), None), "size": size, "versions": versions,
           "wall_s": round(time.monotonic() - t0, 1), "rows": rows}
    with open(args.out, "w") as fh:
        json.dump(doc, fh, indent=1)
    bad = [r for r in rows if r["status"] != "correct"]
    print(f"{len(rows) - len(bad)}/{len(rows)} correct in {doc['wall_s']} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
