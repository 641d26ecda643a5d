"""`IsolatedEvaluator`: evaluates one candidate at a time, every candidate in fresh processes.

Order of work: precheck in this process (milliseconds) -> build in a pre-started build worker with no GPU visible
(skipped when the content-addressed build exists) -> reference, correctness and timing in a pre-started run worker.
A replacement worker starts as soon as one is taken, so the next candidate never waits for Python and torch to
import. Standard library only in this process.
"""
from __future__ import annotations

import os
import re
import threading
import time

from trace_kernelbench.evaluation import build as buildlib
from trace_kernelbench.evaluation.feedback import render_feedback
from trace_kernelbench.evaluation.precheck import precheck
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, Status, TimingStats, infra_error
from trace_kernelbench.evaluation.supervisor import JobOutcome, WorkerProcess

COMPILED_BACKENDS = ("cuda", "cpp")
DEFAULT_ARCH = "9.0"   # what a CPU-only host builds CUDA for, unless TORCH_CUDA_ARCH_LIST says otherwise
STARTUP_LIMIT_S = 120.0


def arch_list_for(hello: dict) -> str:
    cap = hello.get("capability")
    if cap:
        return f"{cap[0]}.{cap[1]}"
    return os.environ.get("TORCH_CUDA_ARCH_LIST") or DEFAULT_ARCH


def resolve_device(requested: str, hello: dict) -> str:
    if requested == "auto":
        return "cuda" if hello.get("cuda_available") else "cpu"
    return requested


class WorkerSlot:
    """Keeps one pre-started worker of a role ready; `take()` hands it over and starts the next one."""

    def __init__(self, role: str, env: dict[str, str] | None = None, prestart: bool = True):
        self.role, self.env = role, env or {}
        self._lock = threading.Lock()
        self._ready: WorkerProcess | None = WorkerProcess(role, self.env) if prestart else None

    def take(self) -> WorkerProcess:
        with self._lock:
            w = self._ready
            if w is None or not w.alive:
                if w is not None:
                    w.close()
                w = WorkerProcess(self.role, self.env)
            self._ready = WorkerProcess(self.role, self.env)
            return w

    def peek_hello(self) -> dict:
        with self._lock:
            if self._ready is None or not self._ready.alive:
                self._ready = WorkerProcess(self.role, self.env)
            w = self._ready
        return w.wait_hello()

    def close(self) -> None:
        with self._lock:
            if self._ready is not None:
                self._ready.close()
                self._ready = None


class IsolatedEvaluator:
    """Evaluate candidates one by one in isolated, pre-started processes. Use as a context manager or call close()."""

    def __init__(self, prestart: bool = True, run_env: dict[str, str] | None = None):
        self.run_slot = WorkerSlot("run", run_env, prestart)
        self.build_slot = WorkerSlot("build", {"CUDA_VISIBLE_DEVICES": ""}, prestart)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.run_slot.close()
        self.build_slot.close()

    # ------------------------------------------------------------------------------------------------------
    def evaluate(self, req: EvalRequest) -> EvalResult:
        t0 = time.monotonic()
        try:
            result = self._evaluate(req)
        except Exception as e:  # noqa: BLE001 - an evaluator bug must come back as infra_error, not a crash
            result = infra_error(f"{type(e).__name__}: {e}")
        result.problem_id = req.problem_id
        result.source_sha256 = req.source_sha256
        result.wall_s["total"] = round(time.monotonic() - t0, 4)
        if not result.feedback:
            result.feedback = render_feedback(result)
        return result

    def _evaluate(self, req: EvalRequest) -> EvalResult:
        req.validate()
        t0 = time.monotonic()
        pre = precheck(req.candidate_source)
        wall = {"precheck": round(time.monotonic() - t0, 4)}
        if not pre.ok:
            return EvalResult(status=Status.COMPILE_ERROR, error=pre.error, backend=pre.backend, wall_s=wall)

        runner = self.run_slot.take()
        try:
            hello = runner.wait_hello()
        except RuntimeError as e:
            runner.close()
            return infra_error(str(e), backend=pre.backend, wall_s=wall)
        device = resolve_device(req.device, hello)
        arch = arch_list_for(hello)
        versions = {"torch": hello.get("torch"), "cuda": hello.get("torch_cuda"), **hello.get("compilers", {}),
                    "python": hello.get("python")}
        key = buildlib.build_key(req.candidate_source, hello["torch"], hello.get("torch_cuda"), arch, pre.backend)
        base = dict(backend=pre.backend, versions=versions, wall_s=wall)

        cache_hit = None
        if pre.backend in COMPILED_BACKENDS:
            cache_hit = buildlib.is_built(key)
            if not cache_hit:
                verdict = self._build(req, key, arch, base)
                if verdict is not None:
                    runner.close()
                    return verdict
        if pre.backend == "cuda" and device != "cuda" or (device == "cuda" and not hello.get("cuda_available")):
            runner.close()
            return EvalResult(status=Status.NO_DEVICE, compiled=True, cache_hit=cache_hit, device=device, **base)

        job = {"request": req.to_dict(), "key": key, "arch_list": arch, "device": device}
        limits = {"startup": STARTUP_LIMIT_S, "reference": req.run_timeout_s, "reference_timing": req.run_timeout_s,
                  "candidate": req.run_timeout_s, "default": req.run_timeout_s}
        if device == "cpu":
            job["env"] = {"TRITON_INTERPRET": "1"}
        outcome = runner.run(job, limits)
        result = self._from_run(outcome, base)
        result.cache_hit = cache_hit
        return result

    def _build(self, req: EvalRequest, key: str, arch: str, base: dict) -> EvalResult | None:
        """Run the build job. Returns a final verdict when the build decides it, else None (go on and run)."""
        builder = self.build_slot.take()
        job = {"request": req.to_dict(), "key": key, "arch_list": arch}
        outcome = builder.run(job, {"startup": STARTUP_LIMIT_S, "build": req.build_timeout_s,
                                    "default": req.build_timeout_s})
        base["wall_s"]["build"] = round(outcome.wall_s, 4)
        if outcome.died:
            if outcome.stage != "build":
                return infra_error(f"build worker failed before building: {outcome.detail}", **base)
            if outcome.died == "timeout":
                return EvalResult(status=Status.TIMEOUT, error=f"the build {outcome.detail}", **base)
            return EvalResult(status=Status.RUNTIME_ERROR, error=f"while importing the candidate, {outcome.detail}"
                              + _tail(outcome.log_tail), **base)
        r = outcome.result or {}
        if not r.get("built") and not r.get("inconclusive"):
            return EvalResult(status=Status.COMPILE_ERROR, compile_log=r.get("compile_log"), error=r.get("error"),
                              **base)
        return None

    @staticmethod
    def _from_run(outcome: JobOutcome, base: dict) -> EvalResult:
        wall = dict(base["wall_s"])
        if outcome.died:
            if not outcome.in_candidate_code:
                return infra_error(f"the evaluation worker failed in stage '{outcome.stage}' before running the "
                                   f"candidate: {outcome.detail}" + _tail(outcome.log_tail), **base)
            status = Status.TIMEOUT if outcome.died == "timeout" else Status.RUNTIME_ERROR
            return EvalResult(status=status, compiled=outcome.stage != "build",
                              error=f"{outcome.detail}" + _tail(outcome.log_tail), **base)
        r = dict(outcome.result or {})
        wall.update(r.pop("wall_s", {}) or {})
        timing = r.pop("timing", None) or {}
        fields = {k: v for k, v in r.items() if k in EvalResult.__dataclass_fields__}
        status = Status(fields.pop("status", "infra_error"))
        res = EvalResult(status=status, **{**{k: v for k, v in base.items() if k != "wall_s"}, **fields}, wall_s=wall)
        res.timing = {k: TimingStats.from_dict(v) for k, v in timing.items()} or res.timing
        return res


_LOG_NOISE = ("Extension modules:", "Current thread", "Thread 0x", "<frozen ", "trace_kernelbench/evaluation")


def _tail(log: str, chars: int = 600) -> str:
    """The useful end of a dead worker's output: fatal-error lines and the candidate's own frames."""
    lines = []
    for ln in (log or "").splitlines():
        s = ln.strip()
        if not s or any(n in s for n in _LOG_NOISE) or re.search(r"^[WIE]\d{4} |\.py:\d+\] ", s):
            continue
        if s.startswith("File ") and "candidate.py" not in s:
            continue
        lines.append(ln.rstrip())
    text = "\n".join(lines)[-chars:]
    return f"\nprocess output:\n{text}" if text else ""
