"""The `local` evaluator: a pipeline on this machine that overlaps compiling with running.

    submit -> precheck (caller's thread, ms) -> dispatcher (plan; cached builds skip ahead)
           -> build queue -> N build workers (no GPU visible, lower CPU priority; one per core by default)
           -> run queue   -> one runner per visible GPU (CUDA_VISIBLE_DEVICES pinned), or one CPU runner

Every process is pre-started (forked from the fork server: torch already imported) and runs one job; the
content-addressed build cache is shared by all; each GPU runs one candidate at a time, so timings do not disturb
each other. The stage logic itself is `evaluation.isolated.Evaluation`; this module only schedules it.
Results carry wall_s["queue"]: the time the job waited for a free worker.
"""
from __future__ import annotations

import itertools
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Sequence

from trace_kernelbench.evaluation.isolated import Evaluation, Target, WorkerSlot
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, Status
from trace_kernelbench.evaluation.supervisor import WorkerProcess
from trace_kernelbench.evaluators import devices
from trace_kernelbench.evaluators.base import Evaluator

SHUTDOWN_REASON = "the evaluator is shutting down"
_STOP = (float("inf"), 0, None)


@dataclass(eq=False)
class PipelineJob:
    """One submitted evaluation moving through the pipeline; `future` resolves to its `EvalResult` (never raises)."""

    seq: int
    label: str
    evaluation: Evaluation
    time_limit_s: float | None = None
    future: Future = field(default_factory=Future)
    state: str = "queued"              # queued | queued_build | building | waiting_gpu | running | done
    queue_s: float = 0.0
    active_s: float = 0.0
    aborted: bool = False              # ended by shutdown before a verdict: safe to run again elsewhere
    runner: int | None = None
    worker: WorkerProcess | None = None
    since: float = field(default_factory=time.time)
    _enqueued: float = field(default_factory=time.monotonic)

    def time_left(self) -> float | None:
        return None if self.time_limit_s is None else self.time_limit_s - self.active_s


@dataclass(eq=False)
class _Runner:
    index: int
    visible: str | None                # CUDA_VISIBLE_DEVICES entry, None for the CPU runner
    slot: WorkerSlot
    hello: dict | None = None
    job: PipelineJob | None = None
    jobs_done: int = 0


class LocalEvaluator(Evaluator):
    """Evaluate on this machine. `gpus`: CUDA_VISIBLE_DEVICES entries to use (default: all visible);
    `build_workers`: parallel builds (default: one per core); `job_timeout_s`: cap on one job's own time
    (build plus run, queue time not counted); `launcher`: "fork" (fork server) or "spawn" (fresh interpreters)."""

    name = "local"

    def __init__(self, build_workers: int | None = None, gpus: Sequence[str] | None = None, prestart: bool = True,
                 job_timeout_s: float | None = None, launcher: str = "fork", **_ignored):
        visible = devices.visible_gpus() if gpus is None else [str(g) for g in gpus]
        self._runners = [_Runner(i, v, WorkerSlot("run", {"CUDA_VISIBLE_DEVICES": v}, False, launcher))
                         for i, v in enumerate(visible)] or [_Runner(0, None, WorkerSlot("run", {}, False, launcher))]
        n_build = build_workers or devices.default_build_workers()
        self._build_slots = [WorkerSlot("build", {"CUDA_VISIBLE_DEVICES": ""}, False, launcher)
                             for _ in range(max(1, n_build))]
        self.job_timeout_s = job_timeout_s
        self.max_concurrency = 1024
        self._seq = itertools.count(1)
        self._lock = threading.Condition()
        self._jobs: dict[int, PipelineJob] = {}
        self._closing = False
        self._target: Target | None = None
        self._target_lock = threading.Lock()
        self.counters = {"submitted": 0, "completed": 0, "builds": 0, "cache_hits": 0, "infra_errors": 0,
                         "aborted": 0}
        self._intake: queue.Queue = queue.Queue()
        self._build_q: queue.PriorityQueue = queue.PriorityQueue()
        self._run_q: queue.PriorityQueue = queue.PriorityQueue()
        self._threads = [threading.Thread(target=self._dispatch_loop, name="tkb-dispatch", daemon=True)]
        self._threads += [threading.Thread(target=self._build_loop, args=(s,), name=f"tkb-build-{i}", daemon=True)
                          for i, s in enumerate(self._build_slots)]
        self._threads += [threading.Thread(target=self._run_loop, args=(r,), name=f"tkb-run-{r.index}", daemon=True)
                          for r in self._runners]
        if prestart:
            self._threads.append(threading.Thread(target=self._prime, name="tkb-prime", daemon=True))
        for t in self._threads:
            t.start()

    # ------------------------------------------------------------------------------------------ public
    def submit(self, request: EvalRequest, label: str | None = None) -> PipelineJob:
        """Queue one evaluation and return at once. Raises UserError for an invalid request."""
        ev = Evaluation(request)
        verdict = ev.precheck()
        seq = next(self._seq)
        job = PipelineJob(seq=seq, label=label or str(seq), evaluation=ev, time_limit_s=self.job_timeout_s)
        with self._lock:
            self.counters["submitted"] += 1
            if verdict is None and not self._closing:
                self._jobs[seq] = job
                self._enqueue(self._intake, job, "queued")
                return job
        self._complete(job, verdict or ev.infra("the local evaluator is closed"))
        return job

    def evaluate(self, request: EvalRequest) -> EvalResult:
        return self.submit(request).future.result()

    def evaluate_many(self, requests: Sequence[EvalRequest]) -> list[EvalResult]:
        for r in requests:
            r.validate()
        return [job.future.result() for job in [self.submit(r) for r in requests]]

    def device_names(self) -> list[str]:
        """What each runner runs on (e.g. "NVIDIA H200", or "cpu"), from the runners' own report."""
        try:
            target = self._target_for_runs()
        except RuntimeError:
            return []
        return [h.get("device_name") or "cpu" for h in target.hellos]

    def status(self) -> dict:
        with self._lock:
            jobs = list(self._jobs.values())
            runners = [{"index": r.index, "visible_device": r.visible,
                        "name": (r.hello or {}).get("device_name") or ("cpu" if r.visible is None else None),
                        "busy": r.job is not None, "job": r.job.label if r.job else None,
                        "pid": r.job.worker.pid if r.job and r.job.worker else None, "jobs_done": r.jobs_done}
                       for r in self._runners]
            counters = dict(self.counters)
        states = [j.state for j in jobs]
        waiting = {"dispatch": states.count("queued"), "build": states.count("queued_build"),
                   "run": states.count("waiting_gpu")}
        return {"evaluator": self.name, "accepting": not self._closing, "queue_depth": sum(waiting.values()),
                "queued": waiting,
                "running": [{"job": j.label, "state": j.state, "runner": j.runner,
                             "pid": j.worker.pid if j.worker else None, "since": j.since}
                            for j in jobs if j.state in ("building", "running")],
                "build_workers": len(self._build_slots), "gpus": runners, "counters": counters}

    def shutdown(self, grace_s: float = 0.0) -> list[PipelineJob]:
        """Stop taking jobs; let queued and running ones finish for up to `grace_s`; then stop the rest, whose
        results are infra errors marked `aborted` (returned, so a server can run them again later)."""
        deadline = time.monotonic() + grace_s
        with self._lock:
            self._closing = True
            while self._jobs and time.monotonic() < deadline:
                self._lock.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            unfinished = list(self._jobs.values())
            for job in unfinished:
                job.aborted = True
        for q in (self._intake, self._build_q, self._run_q):
            while True:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                job = item if isinstance(item, PipelineJob) else (item[2] if isinstance(item, tuple) else None)
                if job is not None:
                    self._complete(job, job.evaluation.infra("the evaluator shut down before this job ran"))
        for job in unfinished:
            worker = job.worker
            if worker is not None:
                worker.stop(SHUTDOWN_REASON)
        self._intake.put(None)
        for _ in self._build_slots:
            self._build_q.put(_STOP)
        for _ in self._runners:
            self._run_q.put(_STOP)
        for t in self._threads:
            t.join(timeout=30)
        for slot in [r.slot for r in self._runners] + self._build_slots:
            slot.close()
        return unfinished

    def close(self) -> None:
        if not self._closing or any(t.is_alive() for t in self._threads):
            self.shutdown(0.0)

    # ------------------------------------------------------------------------------------------ stages
    def _prime(self) -> None:
        for slot in [r.slot for r in self._runners] + self._build_slots:
            if self._closing:
                return
            try:
                slot.prime()
            except Exception:  # noqa: BLE001 - a failed start shows up (as infra_error) when the slot is used
                pass

    def _target_for_runs(self) -> Target:
        with self._target_lock:
            if self._target is None:
                for r in self._runners:
                    r.hello = r.slot.peek_hello()
                self._target = Target(tuple(r.hello for r in self._runners))
            return self._target

    def _dispatch_loop(self) -> None:
        while True:
            job = self._intake.get()
            if job is None:
                return
            if not self._start(job):
                continue
            ev = job.evaluation
            try:
                t0 = time.monotonic()
                target = self._target_for_runs()
                job.queue_s += time.monotonic() - t0     # waiting for the first runners to start is queueing too
                ev.plan(target)
                if ev.needs_build():
                    self._enqueue(self._build_q, job, "queued_build")
                else:
                    self._count("cache_hits" if ev.cache_hit else None)
                    self._to_run(job)
            except Exception as e:  # noqa: BLE001 - e.g. no run worker could start
                self._complete(job, ev.infra(f"{type(e).__name__}: {e}"))

    def _build_loop(self, slot: WorkerSlot) -> None:
        while True:
            _, _, job = self._build_q.get()
            if job is None:
                return
            if not self._start(job):
                continue
            ev = job.evaluation
            if not ev.needs_build():           # a duplicate source was built while this one waited
                self._count("cache_hits")
                self._to_run(job)
                continue
            self._count("builds")
            verdict = self._with_worker(job, slot, "building", lambda w: ev.build(w, job.time_left()))
            if verdict is not None:
                self._complete(job, verdict)
            else:
                self._to_run(job)

    def _run_loop(self, runner: _Runner) -> None:
        while True:
            _, _, job = self._run_q.get()
            if job is None:
                return
            if not self._start(job):
                continue
            job.runner = runner.index
            runner.job = job
            try:
                result = self._with_worker(job, runner.slot, "running",
                                           lambda w: job.evaluation.run(w, job.time_left()))
            finally:
                runner.job = None
                runner.jobs_done += 1
            self._complete(job, result)

    def _with_worker(self, job: PipelineJob, slot: WorkerSlot, state: str, stage) -> EvalResult | None:
        """Hand `job` a fresh worker from `slot` for one stage; shutdown can stop that worker meanwhile."""
        t0 = time.monotonic()
        try:
            worker = slot.take()
            with self._lock:
                job.worker, job.state = worker, state
                aborted = job.aborted
            if aborted:
                worker.stop(SHUTDOWN_REASON)
            return stage(worker)
        except Exception as e:  # noqa: BLE001 - an evaluator bug must come back as infra_error
            return job.evaluation.infra(f"{type(e).__name__}: {e}")
        finally:
            job.worker = None
            job.active_s += time.monotonic() - t0

    # ------------------------------------------------------------------------------------------ bookkeeping
    def _to_run(self, job: PipelineJob) -> None:
        verdict = job.evaluation.device_verdict()
        if verdict is not None:
            self._complete(job, verdict)
        else:
            self._enqueue(self._run_q, job, "waiting_gpu")

    def _enqueue(self, q: queue.Queue, job: PipelineJob, state: str) -> None:
        if job.aborted:
            self._complete(job, job.evaluation.infra("the evaluator shut down before this job ran"))
            return
        job.state, job._enqueued = state, time.monotonic()
        q.put(job if q is self._intake else (job.seq, job.seq, job))

    def _start(self, job: PipelineJob) -> bool:
        """A worker thread picked `job` from a queue: count the wait; False if it was aborted meanwhile."""
        job.queue_s += time.monotonic() - job._enqueued
        if job.aborted:
            self._complete(job, job.evaluation.infra("the evaluator shut down before this job ran"))
            return False
        return True

    def _count(self, name: str | None) -> None:
        if name:
            with self._lock:
                self.counters[name] += 1

    def _complete(self, job: PipelineJob, result: EvalResult) -> None:
        result = job.evaluation.finish(result, queue_s=job.queue_s)
        with self._lock:
            if job.state == "done":
                return
            job.state = "done"
            self._jobs.pop(job.seq, None)
            self.counters["completed"] += 1
            if result.status == Status.INFRA_ERROR:
                self.counters["infra_errors"] += 1
                if job.aborted:
                    self.counters["aborted"] += 1
            self._lock.notify_all()
        job.future.set_result(result)
