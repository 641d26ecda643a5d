"""One candidate's way through isolated evaluation (`Evaluation`), and the simplest driver of it
(`IsolatedEvaluator`: one candidate at a time).

The stages: precheck in this process (milliseconds) -> plan against a `Target` (the run workers' torch, CUDA and
architecture, which key the content-addressed build) -> build in a pre-started build worker with no GPU visible
(skipped when the build exists) -> reference, correctness and timing in a pre-started run worker. Each stage that
needs a process takes a `WorkerProcess` from its caller, so a scheduler (evaluators/local.py) can run builds of
later candidates while earlier ones run. A `WorkerSlot` keeps the next worker of a role started ahead of need.
Standard library only in this process.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass

from trace_kernelbench.evaluation import build as buildlib
from trace_kernelbench.evaluation.feedback import render_feedback
from trace_kernelbench.evaluation.precheck import precheck
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, Status, TimingStats, infra_error
from trace_kernelbench.evaluation.supervisor import JobOutcome, WorkerProcess
from trace_kernelbench.guard import gate as guard_gate

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
    """Keeps one pre-started worker of a role ready; `take()` hands it over at once and starts the next one in the
    background (so a caller never waits for its successor's start)."""

    def __init__(self, role: str, env: dict[str, str] | None = None, prestart: bool = True,
                 launcher: str = "spawn"):
        self.role, self.env, self.launcher = role, env or {}, launcher
        self._lock = threading.Lock()
        self._closed = False
        self._ready: WorkerProcess | None = self._new() if prestart else None

    def _new(self) -> WorkerProcess:
        return WorkerProcess(self.role, self.env, self.launcher)

    def prime(self) -> None:
        """Start the ready worker now if there is none (e.g. from a background thread)."""
        with self._lock:
            if not self._closed and (self._ready is None or not self._ready.alive):
                try:
                    self._ready = self._new()
                except (OSError, RuntimeError):
                    self._ready = None      # take() starts one itself, and reports what fails

    def take(self) -> WorkerProcess:
        with self._lock:
            w, self._ready = self._ready, None
            if w is None or not w.alive:
                if w is not None:
                    w.close()
                w = self._new()
        threading.Thread(target=self.prime, name=f"tkb-{self.role}-prestart", daemon=True).start()
        return w

    def peek_hello(self) -> dict:
        with self._lock:
            if self._ready is None or not self._ready.alive:
                self._ready = self._new()
            w = self._ready
        return w.wait_hello()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._ready is not None:
                self._ready.close()
                self._ready = None


@dataclass(frozen=True)
class Target:
    """What candidates are built for and run on, from the run workers' hello messages (one per GPU runner).
    Several GPUs of different architectures share one build that covers all of them."""

    hellos: tuple[dict, ...]

    @property
    def hello(self) -> dict:
        return self.hellos[0]

    @property
    def arch(self) -> str:
        return ";".join(sorted({arch_list_for(h) for h in self.hellos}))

    @property
    def versions(self) -> dict:
        h = self.hello
        return {"torch": h.get("torch"), "cuda": h.get("torch_cuda"), **h.get("compilers", {}),
                "python": h.get("python")}


class Evaluation:
    """One candidate's evaluation. Stage methods return a final `EvalResult` when the stage decides the verdict,
    else None; the driver calls them in order and gives each process-bound stage a worker."""

    def __init__(self, req: EvalRequest):
        self.req = req
        self.t0 = time.monotonic()
        self.wall: dict[str, float] = {}
        self.backend: str | None = None
        self.key: str | None = None
        self.arch: str | None = None
        self.device: str | None = None
        self.versions: dict = {}
        self.cache_hit: bool | None = None
        self._target: Target | None = None
        self.guard_report = None            # static guard facts/findings (None when the guard is bypassed)
        self._auth_key: str | None = None   # per-job key the run worker signs its result with

    # -- results carrying what is known so far
    def result(self, status: Status, **kw) -> EvalResult:
        return EvalResult(status=status, **{**self._base(), **kw})

    def infra(self, message: str) -> EvalResult:
        return infra_error(message, **self._base())

    def _base(self) -> dict:
        return dict(backend=self.backend, versions=dict(self.versions), wall_s=dict(self.wall),
                    cache_hit=self.cache_hit)

    # -- stages
    def precheck(self) -> EvalResult | None:
        """Validate the request (a UserError propagates) and check the source without starting anything."""
        self.req.validate()
        t0 = time.monotonic()
        pre = precheck(self.req.candidate_source)
        self.wall["precheck"] = round(time.monotonic() - t0, 4)
        self.backend = pre.backend
        if not pre.ok:
            return self.result(Status.COMPILE_ERROR, error=pre.error)
        self.guard_report, verdict = guard_gate.static_gate(self.req, self.backend)   # AST rules, milliseconds
        self.wall["guard_static"] = round(time.monotonic() - t0 - self.wall["precheck"], 4)
        if verdict is not None:
            verdict.wall_s = dict(self.wall)
            return verdict
        return None

    def plan(self, target: Target) -> None:
        self._target = target
        self.device = resolve_device(self.req.device, target.hello)
        self.arch = target.arch
        self.versions = target.versions
        self.key = buildlib.build_key(self.req.candidate_source, target.hello["torch"],
                                      target.hello.get("torch_cuda"), self.arch, self.backend)

    def needs_build(self) -> bool:
        """True when a build worker must compile this candidate first (checked again right before building, so a
        duplicate source built meanwhile is a cache hit)."""
        if self.backend not in COMPILED_BACKENDS:
            return False
        self.cache_hit = buildlib.is_built(self.key)
        return not self.cache_hit

    def build(self, builder: WorkerProcess, time_left: float | None = None) -> EvalResult | None:
        """Run the build job in `builder` (consumed). A verdict when the build decides it, else None."""
        limit = self.req.build_timeout_s if time_left is None else max(0.0, min(self.req.build_timeout_s, time_left))
        job = {"request": self.req.to_dict(), "key": self.key, "arch_list": self.arch}
        outcome = builder.run(job, {"startup": STARTUP_LIMIT_S, "build": limit, "default": limit,
                                    **({"total": time_left} if time_left is not None else {})})
        self.wall["build"] = round(outcome.wall_s, 4)
        if outcome.died:
            if outcome.ended_from_outside:
                return self.infra(f"the build worker was stopped: {outcome.detail}")
            if outcome.stage != "build":
                return self.infra(f"build worker failed before building: {outcome.detail}")
            if outcome.died == "timeout":
                return self.result(Status.TIMEOUT, error=f"the build {outcome.detail}")
            return self.result(Status.RUNTIME_ERROR, error=f"while importing the candidate, {outcome.detail}"
                               + _tail(outcome.log_tail))
        r = outcome.result or {}
        if not r.get("built") and not r.get("inconclusive"):
            return self.result(Status.COMPILE_ERROR, compile_log=r.get("compile_log"), error=r.get("error"))
        return None

    def device_verdict(self) -> EvalResult | None:
        """NO_DEVICE when nothing here can run this candidate (e.g. a CUDA kernel on a CPU-only host)."""
        cuda_here = bool(self._target and self._target.hello.get("cuda_available"))
        if self.backend == "cuda" and self.device != "cuda" or (self.device == "cuda" and not cuda_here):
            return self.result(Status.NO_DEVICE, compiled=self.backend in COMPILED_BACKENDS, device=self.device)
        return None

    def run(self, runner: WorkerProcess, time_left: float | None = None) -> EvalResult:
        """Reference, load, correctness and timing in `runner` (consumed)."""
        req = self.req
        job = {"request": req.to_dict(), "key": self.key, "arch_list": self.arch, "device": self.device}
        limits = {"startup": STARTUP_LIMIT_S, "reference": req.run_timeout_s, "reference_timing": req.run_timeout_s,
                  "candidate": req.run_timeout_s, "default": req.run_timeout_s}
        if time_left is not None:
            limits["total"] = max(0.0, time_left)
        if self.device == "cpu":
            job["env"] = {"TRITON_INTERPRET": "1"}
        job["guard"] = guard_gate.job_config(req, self.guard_report)
        if self.guard_report is not None:
            self._auth_key = job["auth_key"] = guard_gate.new_key()
        outcome = runner.run(job, limits)
        return guard_gate.finalize(self._from_run(outcome), None if outcome.died else outcome.result,
                                   self.guard_report, self._auth_key, req.guard_policy)

    def _from_run(self, outcome: JobOutcome) -> EvalResult:
        self.wall["worker_exit"] = round(outcome.exit_s, 4)
        if outcome.died:
            if outcome.ended_from_outside:
                return self.infra(f"the evaluation worker ended in stage '{outcome.stage}' for a reason outside "
                                  f"the candidate: {outcome.detail}")
            if not outcome.in_candidate_code:
                return self.infra(f"the evaluation worker failed in stage '{outcome.stage}' before running the "
                                  f"candidate: {outcome.detail}" + _tail(outcome.log_tail))
            status = Status.TIMEOUT if outcome.died == "timeout" else Status.RUNTIME_ERROR
            return self.result(status, compiled=outcome.stage != "build",
                               error=f"{outcome.detail}" + _tail(outcome.log_tail))
        r = dict(outcome.result or {})
        self.wall.update(r.pop("wall_s", {}) or {})
        timing = r.pop("timing", None) or {}
        fields = {k: v for k, v in r.items() if k in EvalResult.__dataclass_fields__}
        status = Status(fields.pop("status", "infra_error"))
        res = EvalResult(status=status, **{**self._base(), **fields})
        res.timing = {k: TimingStats.from_dict(v) for k, v in timing.items()} or res.timing
        return res

    def finish(self, result: EvalResult, queue_s: float | None = None) -> EvalResult:
        """Stamp what every result carries: problem, source hash, wall times, feedback."""
        result.problem_id = self.req.problem_id
        result.source_sha256 = self.req.source_sha256
        if queue_s is not None:
            result.wall_s["queue"] = round(queue_s, 4)
        result.wall_s["total"] = round(time.monotonic() - self.t0, 4)
        if not result.feedback:
            result.feedback = render_feedback(result)
        return result


class IsolatedEvaluator:
    """Evaluate candidates one by one in isolated, pre-started processes. Use as a context manager or call close()."""

    def __init__(self, prestart: bool = True, run_env: dict[str, str] | None = None, launcher: str = "spawn"):
        self.run_slot = WorkerSlot("run", run_env, prestart, launcher)
        self.build_slot = WorkerSlot("build", {"CUDA_VISIBLE_DEVICES": ""}, prestart, launcher)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.run_slot.close()
        self.build_slot.close()

    def evaluate(self, req: EvalRequest) -> EvalResult:
        ev = Evaluation(req)
        verdict = ev.precheck()
        if verdict is None:
            try:
                verdict = self._build_and_run(ev)
            except Exception as e:  # noqa: BLE001 - an evaluator bug must come back as infra_error, not a crash
                verdict = ev.infra(f"{type(e).__name__}: {e}")
        return ev.finish(verdict)

    def _build_and_run(self, ev: Evaluation) -> EvalResult:
        runner = self.run_slot.take()
        try:
            ev.plan(Target((runner.wait_hello(),)))
        except RuntimeError as e:
            runner.close()
            return ev.infra(str(e))
        verdict = (ev.build(self.build_slot.take()) if ev.needs_build() else None) or ev.device_verdict()
        if verdict is not None:
            runner.close()
            return verdict
        return ev.run(runner)


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
