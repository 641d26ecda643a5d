"""Running an audit: resolve each entry's problem, build requests, evaluate them through an `Evaluator` (in batches
of its concurrency, reporting progress), and judge each result against its claim."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable

from trace_kernelbench.audit.entries import AuditEntry
from trace_kernelbench.audit.verdict import DEFAULT_TOLERANCE, Judgement, judge
from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.problems import ProblemError, resolve_problem


def build_requests(entries: list[AuditEntry], request_kwargs: dict, *, source: str | None = None,
                   kernelbench_dir: str | None = None) -> list[EvalRequest | None]:
    """One request per entry (None when it has no code). Problems are resolved once each; a problem that cannot be
    resolved, or whose file is not the one the entry expects, is a UserError naming the entry."""
    problems = {}
    out: list[EvalRequest | None] = []
    for e in entries:
        if e.code is None:
            out.append(None)
            continue
        if e.problem not in problems:
            try:
                problems[e.problem] = resolve_problem(e.problem, source=source, kernelbench_dir=kernelbench_dir)
            except ProblemError as err:
                raise UserError(f"{e.label}: {err}") from None
        prob = problems[e.problem]
        if e.expected_name and prob.name != e.expected_name:
            raise UserError(f"{e.label}: expected {e.problem} to be {e.expected_name} but the checkout has "
                            f"{prob.name} ({prob.path}); is this the KernelBench version the results used?")
        if request_kwargs.get("size") == "small" and not prob.has_small_size:
            raise UserError(f"{e.label}: {prob.id} declares no small size (SMALL_SIZES); use --size full")
        req = EvalRequest.for_problem(prob, e.code, **request_kwargs)
        req.validate()
        out.append(req)
    return out


def run_audit(entries: list[AuditEntry], requests: list[EvalRequest | None], evaluator, *,
              tolerance: float = DEFAULT_TOLERANCE,
              progress: Callable[[int, AuditEntry], None] = lambda _n, _e: None) -> list[Judgement]:
    """Evaluate every request through `evaluator.evaluate_many` and judge it against its entry.

    Up to `evaluator.max_concurrency` requests are in flight at once (one single-request call per thread, so the
    evaluator's own pipeline overlaps them); `progress(done_count, entry)` is called as each one finishes."""
    results: list = [None] * len(entries)
    todo = [i for i, r in enumerate(requests) if r is not None]
    done = 0
    for i, r in enumerate(requests):
        if r is None:
            done += 1
            progress(done, entries[i])
    workers = max(1, min(int(getattr(evaluator, "max_concurrency", 1) or 1), len(todo) or 1, 64))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit")
    try:
        futures = {pool.submit(evaluator.evaluate_many, [requests[i]]): i for i in todo}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()[0]
            done += 1
            progress(done, entries[i])
    finally:   # on Ctrl-C, do not wait here: closing the evaluator ends what is still in flight
        pool.shutdown(wait=False, cancel_futures=True)
    return [judge(e, r, tolerance) for e, r in zip(entries, results)]
