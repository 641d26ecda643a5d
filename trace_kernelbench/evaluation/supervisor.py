"""Supervising worker processes: start them ahead of need, hand each one job, enforce per-stage deadlines, and
turn crashes, signals and hangs into verdicts (the candidate's fault only once candidate code is running).

Who ended a worker matters: a deadline the supervisor enforced is a timeout; a stop the evaluator asked for
(`WorkerProcess.stop`, e.g. at shutdown) and a kill signal sent from outside (an operator, a container runtime) are
nobody's fault in the candidate and come back as `aborted` / `killed`; a kill by the out-of-memory killer (seen in
the kernel's OOM counter) and fault signals (SIGSEGV, SIGABRT, SIGBUS...) are crashes.

Workers start as fresh interpreters (`launcher="spawn"`) or are forked from the fork server (`launcher="fork"`,
see forkserver.py), which saves the torch import per worker. Standard library only (the worker imports torch, the
supervisor never needs to).
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from trace_kernelbench.evaluation import forkserver
from trace_kernelbench.evaluation.protocol import CANDIDATE_STAGES, WORKER_MODULE, LineReader

HELLO_TIMEOUT_S = 180.0
LOG_TAIL_CHARS = 1500


def wait_exit(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait for `proc` to end, at most `timeout` seconds; True once it is reaped. Woken by the exit itself (a pidfd)
    where the system has one: Popen.wait's polling sleeps up to 50 ms between looks, which every evaluation paid
    while its finished worker died."""
    if proc.poll() is not None:
        return True                    # already reaped (its pid may belong to another process by now)
    fd = -1
    try:
        fd = os.pidfd_open(proc.pid)
        ready, _, _ = select.select([fd], [], [], timeout)
        timeout = 0.5 if ready else 0.0     # it exited: reaping is immediate; else the time is up
    except (AttributeError, OSError):
        pass                           # no pidfd here (or the process is already reaped): Popen's own wait
    finally:
        if fd >= 0:
            os.close(fd)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


@dataclass
class JobOutcome:
    """What came back from one job: the worker's result, or how and where it died."""

    result: dict | None = None
    stage: str | None = None
    died: str | None = None            # "timeout" | "crash" | "exit" | "aborted" | "killed"
    detail: str = ""
    log_tail: str = ""
    stages_seen: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    exit_s: float = 0.0                # from the job's end until the worker process was gone (CUDA teardown)

    @property
    def in_candidate_code(self) -> bool:
        return self.stage in CANDIDATE_STAGES

    @property
    def ended_from_outside(self) -> bool:
        """The worker was stopped by the evaluator or killed from outside: never the candidate's fault."""
        return self.died in ("aborted", "killed")


# Signals that are sent to a process rather than raised by a fault in the code it runs.
SENT_SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def oom_kill_count() -> int:
    """How many processes the kernel's out-of-memory killer has killed since boot (-1 when unknown)."""
    try:
        with open("/proc/vmstat") as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return -1


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


class WorkerProcess:
    """One pre-started worker (`python -m trace_kernelbench.evaluation.worker`) that will run exactly one job."""

    def __init__(self, role: str, env: dict[str, str] | None = None, launcher: str = "spawn"):
        self.role = role
        self.stopped_by: str | None = None     # set by stop(): why the evaluator ended this worker
        job_r, self._job_w = os.pipe()
        self._res_r, res_w = os.pipe()
        self.log = tempfile.NamedTemporaryFile(prefix=f"tkb-{role}-", suffix=".log", delete=False)
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["PYTHONUNBUFFERED"] = "1"
        self.proc = None
        if launcher == "fork":
            try:
                self.proc = forkserver.spawn(role, full_env, self.log.name, (job_r, res_w))
            except (OSError, RuntimeError):
                self.proc = None   # no fork server here: start a fresh interpreter instead
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, "--role", role, "--result-fd", str(res_w), "--job-fd",
                 str(job_r)], pass_fds=(job_r, res_w), stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=subprocess.STDOUT, env=full_env, start_new_session=True, close_fds=True)
        os.close(job_r)
        os.close(res_w)
        os.set_blocking(self._res_r, False)
        self._reader = LineReader(self._res_r)
        self._pending: list[dict] = []
        self.hello: dict | None = None
        self.started = time.monotonic()

    # -- messages
    def _poll(self, timeout: float) -> list[dict]:
        if self._pending:
            msgs, self._pending = self._pending, []
            return msgs
        if self._reader.eof or self._res_r < 0:
            return []
        r, _, _ = select.select([self._res_r], [], [], max(0.0, timeout))
        return self._reader.read_available() if r else []

    def wait_hello(self, timeout: float = HELLO_TIMEOUT_S) -> dict:
        """Block until the worker has imported torch and reported its device; raise RuntimeError if it cannot."""
        deadline = time.monotonic() + timeout
        while self.hello is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RuntimeError(f"{self.role} worker did not start within {timeout:.0f} s")
            for msg in self._poll(min(left, 0.5)):
                if msg.get("type") == "hello":
                    self.hello = msg
                else:
                    self._pending.append(msg)
            if self.hello is None and (self._reader.eof or self.proc.poll() is not None):
                raise RuntimeError(f"{self.role} worker failed to start: {self.log_tail() or 'no output'}")
        return self.hello

    @property
    def pid(self) -> int:
        return self.proc.pid

    def run(self, job: dict, limits: dict[str, float]) -> JobOutcome:
        """Send `job` and wait for its result. `limits` maps a stage (or "candidate", for all candidate stages
        together, or "default") to seconds, and "total" (optional) to the whole job; exceeding one kills the
        process group."""
        import json

        self.wait_hello()
        t0 = time.monotonic()
        total = limits.get("total")
        self._oom_at_start = oom_kill_count()
        outcome = JobOutcome()
        try:
            os.write(self._job_w, (json.dumps(job) + "\n").encode())
            os.close(self._job_w)
            self._job_w = -1
        except OSError as e:
            outcome.died, outcome.detail = "crash", f"could not send the job: {e}"
            return self._finish(outcome, t0)
        stage, stage_t0 = "startup", time.monotonic()
        candidate_t0: float | None = None
        while True:
            now = time.monotonic()
            if stage in CANDIDATE_STAGES and stage != "build":
                candidate_t0 = candidate_t0 or now
                limit, started = limits.get("candidate", limits.get("default", 300.0)), candidate_t0
            else:
                limit, started = limits.get(stage, limits.get("default", 300.0)), stage_t0
            left = started + limit - now
            if total is not None and t0 + total - now < left:
                left = t0 + total - now
                if left <= 0:
                    outcome.died, outcome.stage = "timeout", stage
                    outcome.detail = f"exceeded the job's time limit of {total:.0f} s in stage '{stage}'"
                    self.kill()
                    return self._finish(outcome, t0)
            if left <= 0:
                outcome.died, outcome.stage = "timeout", stage
                outcome.detail = f"exceeded {limit:.0f} s in stage '{stage}'"
                self.kill()
                return self._finish(outcome, t0)
            for msg in self._poll(min(left, 1.0)):
                kind = msg.get("type")
                if kind == "stage":
                    stage, stage_t0 = msg["stage"], time.monotonic()
                    outcome.stages_seen.append(stage)
                elif kind == "result":
                    outcome.result, outcome.stage = msg["result"], stage
                    return self._finish(outcome, t0)
                elif kind == "crash":
                    outcome.died, outcome.stage = "crash", msg.get("stage", stage)
                    outcome.detail = msg.get("error", "")
                    outcome.log_tail = msg.get("traceback", "")
                    return self._finish(outcome, t0)
            if self._reader.eof or (self.proc.poll() is not None and not self._pending):
                # drain anything written just before exit
                for msg in self._reader.read_available():
                    if msg.get("type") == "result":
                        outcome.result, outcome.stage = msg["result"], stage
                        return self._finish(outcome, t0)
                outcome.stage = stage
                outcome.died, outcome.detail = self._death(self.proc.wait(timeout=10))
                return self._finish(outcome, t0)

    def _death(self, code: int) -> tuple[str, str]:
        """(died, detail) for a worker that ended without a result: who ended it decides whose fault it is."""
        if self.stopped_by:
            return "aborted", f"the evaluator stopped the worker ({self.stopped_by})"
        if code >= 0:
            return "exit", f"the process exited with code {code} before reporting a result"
        sig = -code
        if sig == signal.SIGKILL and oom_kill_count() > getattr(self, "_oom_at_start", -1) >= 0:
            return "crash", "the process was killed by the out-of-memory killer (the machine ran out of memory)"
        if sig in SENT_SIGNALS:
            return "killed", (f"the process was killed by {_signal_name(sig)} sent from outside the evaluator "
                              "(an operator, a container runtime or another process)")
        return "crash", f"the process was killed by {_signal_name(sig)}"

    def _finish(self, outcome: JobOutcome, t0: float) -> JobOutcome:
        outcome.wall_s = time.monotonic() - t0
        if outcome.died:
            outcome.log_tail = (outcome.log_tail + "\n" + self.log_tail()).strip()
        t1 = time.monotonic()
        self.close()
        outcome.exit_s = time.monotonic() - t1
        return outcome

    # -- lifecycle
    def log_tail(self) -> str:
        try:
            with open(self.log.name, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - LOG_TAIL_CHARS))
                return fh.read().decode(errors="replace").strip()
        except OSError:
            return ""

    def stop(self, reason: str) -> None:
        """End this worker on the evaluator's behalf (shutdown, abort); its job comes back as `aborted`."""
        if self.stopped_by is None:
            self.stopped_by = reason
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            wait_exit(self.proc, 10.0)

    def close(self) -> None:
        for attr in ("_job_w", "_res_r"):
            fd = getattr(self, attr)
            if fd >= 0:
                setattr(self, attr, -1)
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.kill()
        try:
            self.log.close()
            os.unlink(self.log.name)
        except OSError:
            pass

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None
