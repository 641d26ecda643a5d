"""The `modal` evaluator: evaluation on Modal GPUs through the app in modal_app.py.

Modes: "deployed" (look the class up in the app `trace-kernelbench modal deploy` made), "ephemeral" (start the app
for this evaluator's lifetime with app.run()), "auto" (deployed if found, else ephemeral), and "local" (run the worker
body in this process through `.local()`: no Modal account needed; for tests and debugging).
evaluate_many fans out through `.map` (up to the app's max_containers per GPU type). Nothing here raises for a Modal
problem: missing credentials, an unknown app or an input that kept failing become `infra_error` results.
"""
from __future__ import annotations

import json
import threading
from dataclasses import fields
from typing import Sequence

from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, infra_error
from trace_kernelbench.evaluators.base import Evaluator
from trace_kernelbench.evaluators.modal_app import (InfraError, ModalConfig, build_app, canonical_gpu, class_name,
                                                    worker_cls)

MODES = ("auto", "deployed", "ephemeral", "local")
_CONFIG_FIELDS = {f.name for f in fields(ModalConfig)} - {"gpus"}


class ModalEvaluator(Evaluator):
    """`gpu`: Modal GPU type (H100, H200, A100-80GB, L40S, B200...); `mode`: see the module docstring; other
    keyword options override `ModalConfig` fields (max_containers, cpu, ...) for ephemeral and local runs."""

    name = "modal"

    def __init__(self, gpu: str | None = None, mode: str = "auto", **options):
        import modal  # noqa: F401 - fail early (as a UserError, via make_evaluator) when modal is missing
        if mode not in MODES:
            raise UserError(f"bad Modal mode '{mode}' (choose from {', '.join(MODES)})")
        self.gpu = canonical_gpu(gpu or "H100")
        self.mode = mode
        self.config = ModalConfig(gpus=(self.gpu,), **{k: v for k, v in options.items() if k in _CONFIG_FIELDS})
        self.max_concurrency = self.config.max_containers * self.config.concurrent_inputs
        self._lock = threading.Lock()
        self._obj = None
        self._running = None           # the app.run() context of an ephemeral app

    # ------------------------------------------------------------------------------------------ the worker
    def _worker(self):
        with self._lock:
            if self._obj is None:
                self._obj = self._connect()
            return self._obj

    def _connect(self):
        import modal
        if self.mode == "local":
            return worker_cls(self.gpu, self.config)()
        if self.mode in ("auto", "deployed"):
            cls = modal.Cls.from_name(self.config.app_name, class_name(self.gpu))
            try:
                cls.hydrate()
                return cls()
            except modal.exception.NotFoundError:
                if self.mode == "deployed":
                    raise RuntimeError(f"no deployed Modal app '{self.config.app_name}' with a {self.gpu} worker; "
                                       f"run: trace-kernelbench modal deploy --gpu {self.gpu}") from None
        app, classes = build_app(self.config)
        self._running = app.run()
        self._running.__enter__()
        return classes[self.gpu]()

    # ------------------------------------------------------------------------------------------ evaluating
    def evaluate(self, request: EvalRequest) -> EvalResult:
        return self.evaluate_many([request])[0]

    def evaluate_many(self, requests: Sequence[EvalRequest]) -> list[EvalResult]:
        for r in requests:
            r.validate()
        if not requests:
            return []
        try:
            obj = self._worker()
        except Exception as e:  # noqa: BLE001 - no credentials, no network, no app: infra, never the kernel's
            return [self._failed(r, f"Modal is not available: {_one_line(e)}") for r in requests]
        payloads = [r.to_dict() for r in requests]
        if self.mode == "local":
            outputs = [_call_local(obj.evaluate.local, p) for p in payloads]
        else:
            try:
                outputs = list(obj.evaluate.map(payloads, order_outputs=True, return_exceptions=True))
            except Exception as e:  # noqa: BLE001
                return [self._failed(r, f"the Modal call failed: {_one_line(e)}") for r in requests]
        return [self._result(r, out) for r, out in zip(requests, outputs)]

    def _result(self, req: EvalRequest, out) -> EvalResult:
        if isinstance(out, dict):
            return EvalResult.from_dict(out)
        if isinstance(out, InfraError) or type(out).__name__ == "InfraError":
            try:
                return EvalResult.from_dict(json.loads(str(out.args[0] if out.args else out)))
            except (ValueError, KeyError, TypeError):
                pass
        return self._failed(req, f"the Modal worker failed after its retries: {_one_line(out)}")

    def _failed(self, req: EvalRequest, message: str) -> EvalResult:
        return infra_error(message, problem_id=req.problem_id, source_sha256=req.source_sha256)

    def status(self) -> dict:
        return {"evaluator": self.name, "gpu": self.gpu, "mode": self.mode, "app": self.config.app_name,
                "connected": self._obj is not None}

    def close(self) -> None:
        with self._lock:
            obj, self._obj = self._obj, None
            running, self._running = self._running, None
        if obj is not None and self.mode == "local":
            obj.release()
        if running is not None:
            running.__exit__(None, None, None)


def _call_local(fn, payload):
    try:
        return fn(payload)
    except Exception as e:  # noqa: BLE001 - the same shape .map(return_exceptions=True) gives
        return e


def _one_line(e) -> str:
    text = f"{type(e).__name__}: {e}" if isinstance(e, BaseException) else str(e)
    return " ".join(text.split())[:400]
