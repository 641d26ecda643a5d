"""Throughput benchmark: N distinct kernels through one evaluator, cold then warm, reported as kernels/min and the
mean time per kernel in each stage (queue, build, load, correctness, timing, reference, and the evaluator's own
overhead: everything else).

The kernels are the embedded suite's solutions for a backend, cycled to reach N, each copy made distinct (its
extension names get a suffix) and every source stamped with this run's nonce, so no build is shared with an earlier
run on any evaluator. Cold: a fresh build cache (local evaluator; remote ones build the new sources from scratch
anyway). Warm: the same sources again, builds and reference timings cached. Repeat: the first source once more,
alone, on the idle evaluator (the latency of re-evaluating an identical source).
"""
from __future__ import annotations

import os
import re
import secrets
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.build import CACHE_ENV
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult

WORK_STAGES = ("build", "load", "correctness", "timing", "reference", "reference_timing")
REPORTED = ("queue", "build", "load", "correctness", "timing", "reference", "overhead", "total")
_EXT_NAME = re.compile(r"""(\bname\s*=\s*["'])([A-Za-z_][A-Za-z0-9_]*)(["'])""")


@dataclass
class BenchKernel:
    label: str
    problem_id: str
    source: str


def vary(source: str, copy: int, nonce: str) -> str:
    """A distinct source computing the same thing: renamed extensions for copies, and a comment with the nonce."""
    if copy:
        source = _EXT_NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}_v{copy}{m.group(3)}", source)
    return source.rstrip("\n") + f"\n# trace-kernelbench bench run {nonce}, copy {copy}\n"


def bench_kernels(backend: str, count: int, size: str, nonce: str | None = None) -> list[BenchKernel]:
    from trace_kernelbench.problems import resolve_problem
    from trace_kernelbench.solutions import BACKENDS, solution_names, solution_source

    if backend not in BACKENDS:
        raise UserError(f"bad backend '{backend}' (choose from {', '.join(BACKENDS)})")
    if count < 1:
        raise UserError("--count must be at least 1")
    nonce = nonce or secrets.token_hex(4)
    problems = {n: resolve_problem(f"embedded/{n}") for n in solution_names(backend)}
    names = [n for n, p in problems.items() if size != "small" or p.has_small_size]
    if not names:
        raise UserError(f"the embedded suite has no {backend} solutions" + (" with a small size" if size == "small"
                                                                             else ""))
    out = []
    for i in range(count):
        name, copy = names[i % len(names)], i // len(names)
        out.append(BenchKernel(f"{name}#{copy}", problems[name].id, vary(solution_source(backend, name), copy, nonce)))
    return out


def requests_for(kernels: Sequence[BenchKernel], **request_options) -> list[EvalRequest]:
    from trace_kernelbench.problems import resolve_problem
    return [EvalRequest.for_problem(resolve_problem(k.problem_id), k.source, **request_options) for k in kernels]


def stage_times(r: EvalResult) -> dict[str, float]:
    w = r.wall_s or {}
    t = {s: float(w.get(s, 0.0)) for s in ("queue", "build", "load", "correctness", "timing", "total")}
    t["reference"] = float(w.get("reference", 0.0)) + float(w.get("reference_timing", 0.0))
    t["overhead"] = max(0.0, t["total"] - t["queue"] - sum(float(w.get(s, 0.0)) for s in WORK_STAGES))
    return t


@dataclass
class PassReport:
    name: str
    kernels: int
    wall_s: float
    kernels_per_min: float
    statuses: dict[str, int]
    cache_hits: int
    mean_s: dict[str, float]
    max_s: dict[str, float]


def summarize(name: str, results: Sequence[EvalResult], wall_s: float) -> PassReport:
    per = [stage_times(r) for r in results]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    return PassReport(name=name, kernels=len(results), wall_s=round(wall_s, 2),
                      kernels_per_min=round(60.0 * len(results) / wall_s, 2) if wall_s > 0 else 0.0,
                      statuses=statuses, cache_hits=sum(1 for r in results if r.cache_hit),
                      mean_s={s: round(statistics.fmean(p[s] for p in per), 3) for s in REPORTED},
                      max_s={s: round(max(p[s] for p in per), 3) for s in REPORTED})


def run_bench(make_evaluator: Callable[[], object], kernels: Sequence[BenchKernel], request_options: dict,
              fresh_cache: bool = True) -> dict:
    """Cold then warm passes over `kernels`; `make_evaluator` is called once, after the fresh cache is in place."""
    requests = requests_for(kernels, **request_options)
    saved = os.environ.get(CACHE_ENV)
    tmp = tempfile.TemporaryDirectory(prefix="tkb-bench-cache-") if fresh_cache else None
    if tmp is not None:
        os.environ[CACHE_ENV] = tmp.name
    try:
        t0 = time.monotonic()
        with make_evaluator() as ev:
            started = time.monotonic()
            cold = ev.evaluate_many(requests)
            cold_wall = time.monotonic() - started
            started = time.monotonic()
            warm = ev.evaluate_many(requests)
            warm_wall = time.monotonic() - started
            started = time.monotonic()
            again = ev.evaluate(requests[0])          # one identical source on an idle evaluator: the latency
            again_wall = time.monotonic() - started
            name = getattr(ev, "name", "?")
        total = time.monotonic() - t0
    finally:
        if tmp is not None:
            if saved is None:
                os.environ.pop(CACHE_ENV, None)
            else:
                os.environ[CACHE_ENV] = saved
            tmp.cleanup()
    return {
        "evaluator": name, "fresh_cache": fresh_cache, "request": request_options, "elapsed_s": round(total, 2),
        "passes": [asdict(summarize("cold", cold, cold_wall)), asdict(summarize("warm", warm, warm_wall))],
        "repeat_one": {"label": kernels[0].label, "status": again.status.value, "wall_s": round(again_wall, 3),
                       "stages_s": stage_times(again)},
        "kernels": [{"label": k.label, "problem": k.problem_id, "cold": c.status.value, "warm": w.status.value,
                     "error": (c.error or w.error or "").splitlines()[0][:200] if (c.error or w.error) else None,
                     "cold_wall_s": stage_times(c), "warm_wall_s": stage_times(w)}
                    for k, c, w in zip(kernels, cold, warm)],
    }
