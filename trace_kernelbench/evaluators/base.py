"""The `Evaluator` interface every backend implements, and the registry that builds one from a name."""
from __future__ import annotations

import abc
import asyncio
import importlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, infra_error


class Evaluator(abc.ABC):
    """evaluate(request) -> result; evaluate_many keeps order and isolates failures; async forms run in threads."""

    name: str = "abstract"
    max_concurrency: int = 1

    @abc.abstractmethod
    def evaluate(self, request: EvalRequest) -> EvalResult:
        ...

    def evaluate_many(self, requests: Sequence[EvalRequest]) -> list[EvalResult]:
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(self.max_concurrency, len(requests)))) as pool:
            return list(pool.map(self._safe_evaluate, requests))

    def _safe_evaluate(self, request: EvalRequest) -> EvalResult:
        try:
            return self.evaluate(request)
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - one bad evaluation must not sink the batch
            return infra_error(f"{self.name} evaluator: {type(e).__name__}: {e}", problem_id=request.problem_id,
                               source_sha256=request.source_sha256)

    async def aevaluate(self, request: EvalRequest) -> EvalResult:
        return await asyncio.to_thread(self._safe_evaluate, request)

    async def aevaluate_many(self, requests: Sequence[EvalRequest]) -> list[EvalResult]:
        return await asyncio.to_thread(self.evaluate_many, list(requests))

    def status(self) -> dict:
        return {"evaluator": self.name}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# name -> "module:factory"; factories take keyword options
_REGISTRY: dict[str, str | Callable[..., Evaluator]] = {
    "local": "trace_kernelbench.evaluators.local:LocalEvaluator",
    "server": "trace_kernelbench.evaluators.client:ServerEvaluator",
    "modal": "trace_kernelbench.evaluators.modal_backend:ModalEvaluator",
}
_INSTALL_HINT = {"server": "the server evaluator needs httpx (./install.sh installs it)",
                 "modal": "the modal evaluator needs modal>=1.6,<1.7 (./install.sh installs it)"}


def register_evaluator(name: str, factory: str | Callable[..., Evaluator]) -> None:
    _REGISTRY[name] = factory


def make_evaluator(spec: str = "local", **options) -> Evaluator:
    """Build an evaluator from a name (`local`, `server`, `modal`) or a spec string (`server:http://h:8000`,
    `modal:H100`)."""
    name, _, arg = spec.partition(":")
    if name not in _REGISTRY:
        raise UserError(f"unknown evaluator '{name}' (choose from {', '.join(sorted(_REGISTRY))})")
    if arg:
        if name == "server":
            options.setdefault("urls", [arg])
        elif name == "modal":
            options.setdefault("gpu", arg)
    factory = _REGISTRY[name]
    if isinstance(factory, str):
        mod_name, _, attr = factory.partition(":")
        try:
            factory = getattr(importlib.import_module(mod_name), attr)
        except ImportError as e:
            raise UserError(f"{_INSTALL_HINT.get(name, str(e))} ({e})") from None
    return factory(**options)
