"""Quiet GPU for measurements: the processes of every evaluator on a host coordinate through one lock file per GPU.

Any GPU work of a run worker (its start-up warm-up, the reference, correctness trials, guard checks) holds the lock
shared; timed measurements hold it exclusively. So a pre-started worker creating its CUDA context, or another
evaluation's correctness trials on the same GPU, never runs during a timed run: a second process's kernels time-slice
with the measured ones and move a memory-bound kernel's time by several percent.

Waiting is bounded (`WAIT_LIMIT_S`): a GPU held by someone else's long job must not turn into a candidate's timeout.
After the limit the work goes ahead unprotected and `acquired` says so; the timing stats record it (`exclusive`).
A lock is released when its process exits, crashed or not. Standard library only (the GPU's identity comes from
the caller).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from pathlib import Path

WAIT_LIMIT_S = 60.0
POLL_S = 0.002


def lock_dir() -> Path:
    """Host-wide (not per cache directory): evaluators with different caches still share the GPU."""
    return Path(os.environ.get("TRACE_KB_GPU_LOCK_DIR") or Path(tempfile.gettempdir()) / "trace-kernelbench-gpu")


class GpuLock:
    """One process's handle on one GPU's lock: `shared()` for GPU work, `exclusive()` for measurements (nests inside
    `shared()`: the lock is converted and converted back). `acquired` is False when the last wait ran out."""

    def __init__(self, gpu_id: str, wait_limit_s: float = WAIT_LIMIT_S):
        self.wait_limit_s = wait_limit_s
        self.path = lock_dir() / (re.sub(r"[^A-Za-z0-9_.-]", "_", gpu_id) + ".lock")
        self.mode = fcntl.LOCK_UN
        self.acquired = True
        self.waited_s = 0.0
        self._fd: int | None = None

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except OSError:
                return None      # no writable lock directory: measure unprotected, never fail an evaluation
        return self._fd

    def _set(self, mode: int, wait_s: float | None = None) -> bool:
        """Hold the lock in `mode`, waiting at most `wait_s` (default: the wait limit)."""
        wait_s = self.wait_limit_s if wait_s is None else wait_s
        fd = self._open()
        if fd is None:
            return False
        if mode == self.mode:
            return True
        if mode == fcntl.LOCK_UN:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self.mode = mode
            return True
        t0 = time.monotonic()
        try:
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    self.mode = mode
                    return True
                except BlockingIOError:
                    if time.monotonic() - t0 >= wait_s:
                        # flock converts by releasing first: a failed conversion holds nothing
                        self.mode = fcntl.LOCK_UN
                        return False
                    time.sleep(POLL_S)
        finally:
            self.waited_s += time.monotonic() - t0

    @contextlib.contextmanager
    def _held(self, mode: int):
        before = self.mode
        self.acquired = self._set(mode)
        try:
            yield self
        finally:
            if self.mode != before:
                # after a wait that ran out, one try: the work already waited its limit once
                self._set(before, None if self.acquired else 0.0)

    def shared(self):
        """GPU work that may overlap other GPU work but not a measurement."""
        return self._held(fcntl.LOCK_EX if self.mode == fcntl.LOCK_EX else fcntl.LOCK_SH)

    def exclusive(self):
        """A measurement: waits until no other process does GPU work under this lock."""
        return self._held(fcntl.LOCK_EX)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd, self.mode = None, fcntl.LOCK_UN


class NoLock:
    """The CPU's stand-in: same interface, no coordination (CPU timing is reported as best effort)."""
    acquired, waited_s = True, 0.0

    def shared(self):
        return contextlib.nullcontext(self)

    def exclusive(self):
        return contextlib.nullcontext(self)

    def close(self) -> None:
        pass
