"""Messages between the supervisor and a worker process: one JSON object per line on a private pipe
(never stdout, which belongs to the candidate). Standard library only."""
from __future__ import annotations

import json
import os

WORKER_MODULE = "trace_kernelbench.evaluation.worker"

# Stages in which candidate code runs. Every other stage a worker reports (startup, reference, reference_timing)
# comes before any candidate code is loaded: a failure there is the evaluator's (infra_error), never the kernel's.
CANDIDATE_STAGES = ("build", "load", "correctness", "timing")


def write_message(fd: int, msg: dict) -> None:
    data = (json.dumps(msg, default=str) + "\n").encode()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class LineReader:
    """Incremental reader of JSON lines from a non-blocking fd."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = b""
        self.eof = False

    def read_available(self) -> list[dict]:
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            self.eof = True
            return []
        self.buf += chunk
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    out.append({"type": "garbled", "raw": line[:200].decode(errors="replace")})
        return out
