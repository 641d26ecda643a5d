"""Measure the guard's extra cost per evaluation: the same candidates evaluated with the guard (static gate, runtime
checks, signed results) and without it (TRACE_KB_GUARD_BYPASS=1), interleaved, several rounds.

    python -m trace_kernelbench.guard.overhead --device cpu --size small --rounds 3
    python -m trace_kernelbench.guard.overhead --device cuda --size full --backend cuda relu softmax matmul_square

Reports per problem the median total wall time with and without the guard (measured once the next pre-started
worker is ready, so process start-up is not counted), the ratio, and the time the worker spent in guard work
(`guard_seconds`). Builds and reference baselines are warmed first so neither side pays for them.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time


def _wait_ready(ev) -> None:
    for slot in (getattr(ev, "run_slot", None), getattr(ev, "build_slot", None)):
        if slot is not None and hasattr(slot, "peek_hello"):
            slot.peek_hello()


def measure(problems: list[str], backend: str, device: str, size: str, rounds: int, timing=None) -> list[dict]:
    from trace_kernelbench.evaluation.isolated import IsolatedEvaluator
    from trace_kernelbench.evaluators import make_evaluator
    from trace_kernelbench.guard.gate import bypass
    from trace_kernelbench.solutions import solution_request

    rows = []
    kw = {"timing": timing} if timing is not None else {}
    reqs = {name: solution_request(backend, name, device=device, size=size, **kw) for name in problems}
    with make_evaluator("local") as pre:                 # builds in parallel into the shared build cache
        pre.evaluate_many(list(reqs.values()))
    with IsolatedEvaluator() as ev:
        for name in problems:
            ev.evaluate(reqs[name])                      # warm: build cache hit, baseline cache, first imports
        samples: dict[str, dict[str, list]] = {n: {"on": [], "off": [], "guard_s": [], "stages_on": [],
                                                     "stages_off": [], "sections": [], "cached": []}
                                                 for n in problems}
        for _ in range(rounds):
            for name in problems:
                for mode in ("off", "on"):
                    with bypass(mode == "off"):
                        _wait_ready(ev)              # worker start-up is not part of an evaluation's cost
                        t0 = time.monotonic()
                        r = ev.evaluate(reqs[name])
                        wall = time.monotonic() - t0
                    if r.status.value != "correct":
                        raise RuntimeError(f"{name} ({mode}): {r.status.value}: {r.error}")
                    samples[name][mode].append(wall)
                    before = r.timing.get("reference_before")
                    samples[name]["cached"].append(bool(before) and before.source == "baseline_cache")
                    samples[name][f"stages_{mode}"].append(dict(r.wall_s))
                    if mode == "on":
                        rt = (r.guard or {}).get("runtime", {})
                        samples[name]["guard_s"].append(rt.get("guard_seconds", 0.0))
                        samples[name]["sections"].append(rt.get("guard_sections", {}))
    for name, s in samples.items():
        on, off = statistics.median(s["on"]), statistics.median(s["off"])
        rows.append({"problem": name, "with_guard_s": round(on, 3), "without_guard_s": round(off, 3),
                     "overhead_pct": round(100 * (on - off) / off, 1), "guard_work_s": round(statistics.median(s["guard_s"]), 3),
                     "guard_sections_s": _medians(s["sections"]),
                     "reference_from_cache": f"{sum(s['cached'])}/{len(s['cached'])}",
                     "stages_with_s": _medians(s["stages_on"]), "stages_without_s": _medians(s["stages_off"])})
    return rows


def _medians(dicts: list[dict]) -> dict:
    """Per key, the median over the rounds (a key missing in a round counts as 0), largest first."""
    keys = {k for d in dicts for k in d}
    med = {k: round(statistics.median(float(d.get(k, 0.0)) for d in dicts), 4) for k in keys}
    return dict(sorted(med.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("problems", nargs="*", default=["relu", "softmax", "mse_loss", "sum_dim", "matmul_square"])
    ap.add_argument("--backend", default="cpp", choices=("cpp", "triton", "cuda"))
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--size", default="small", choices=("small", "full"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    rows = measure(args.problems, args.backend, args.device, args.size, args.rounds)
    tot_on = sum(r["with_guard_s"] for r in rows)
    tot_off = sum(r["without_guard_s"] for r in rows)
    print(json.dumps({"rows": rows, "total_with_s": round(tot_on, 3), "total_without_s": round(tot_off, 3),
                      "overhead_pct": round(100 * (tot_on - tot_off) / tot_off, 1)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
