"""`GatedEvaluator`: one evaluator shared by all of a run's episodes, with at most `max_concurrency` evaluations in
flight across all of them (episodes overlap their LLM calls; measurements do not disturb each other). Batches keep
going to the backend's own `evaluate_many`, in chunks that fit the gate."""
from __future__ import annotations

import threading
from typing import Sequence

from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult
from trace_kernelbench.evaluators.base import Evaluator


class _Slots:
    def __init__(self, n: int):
        self.free = n
        self.cond = threading.Condition()

    def acquire(self, k: int) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.free >= k)
            self.free -= k

    def release(self, k: int) -> None:
        with self.cond:
            self.free += k
            self.cond.notify_all()


class GatedEvaluator(Evaluator):
    def __init__(self, inner: Evaluator):
        self.inner = inner
        self.name = inner.name
        self.max_concurrency = max(1, int(getattr(inner, "max_concurrency", 1) or 1))
        self._slots = _Slots(self.max_concurrency)

    def evaluate(self, request: EvalRequest) -> EvalResult:
        return self.evaluate_many([request])[0]

    def evaluate_many(self, requests: Sequence[EvalRequest]) -> list[EvalResult]:
        out: list[EvalResult] = []
        reqs = list(requests)
        for i in range(0, len(reqs), self.max_concurrency):
            chunk = reqs[i:i + self.max_concurrency]
            self._slots.acquire(len(chunk))
            try:
                out += self.inner.evaluate_many(chunk)
            finally:
                self._slots.release(len(chunk))
        return out

    def status(self) -> dict:
        return self.inner.status()

    def close(self) -> None:
        self.inner.close()
