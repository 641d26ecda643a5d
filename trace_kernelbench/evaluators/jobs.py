"""The evaluation server's job records: ids, idempotency keys, bounded memory for finished jobs (the last N kept,
oldest evicted), and a spool directory where jobs cut short by a shutdown wait to be run again at the next start.
Thread-safe (pipeline threads finish jobs while the event loop reads them). Standard library only."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(eq=False)
class JobRecord:
    id: str
    request: dict
    key: str | None = None                 # the client's Idempotency-Key
    submitted_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    result: dict | None = None
    requeued: int = 0                      # how many times a shutdown put it back
    handle: Any = None                     # the evaluator's job (state, future); never serialised
    waiters: list = field(default_factory=list)   # callables run once the job is done

    @property
    def state(self) -> str:
        if self.result is not None:
            return "done"
        return getattr(self.handle, "state", "queued")

    def public(self) -> dict:
        return {"id": self.id, "state": self.state, "submitted_at": self.submitted_at,
                "finished_at": self.finished_at, "requeued": self.requeued, "result": self.result}


class JobStore:
    def __init__(self, max_finished: int = 1000, spool_dir: str | os.PathLike | None = None):
        self.max_finished = max(1, max_finished)
        self.spool_dir = Path(spool_dir) if spool_dir else None
        self._lock = threading.Lock()
        self._active: dict[str, JobRecord] = {}
        self._finished: OrderedDict[str, JobRecord] = OrderedDict()
        self._keys: dict[str, str] = {}

    def create(self, request: dict, key: str | None = None) -> tuple[JobRecord, bool]:
        """A new record, or the existing one for the same idempotency key (created=False)."""
        with self._lock:
            if key and key in self._keys:
                existing = self._active.get(self._keys[key]) or self._finished.get(self._keys[key])
                if existing is not None:
                    return existing, False
            rec = JobRecord(id=uuid.uuid4().hex, request=request, key=key)
            self._active[rec.id] = rec
            if key:
                self._keys[key] = rec.id
            return rec, True

    def adopt(self, rec: JobRecord) -> None:
        """Take back a record read from the spool (same id and key)."""
        with self._lock:
            self._active[rec.id] = rec
            if rec.key:
                self._keys[rec.key] = rec.id

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._active.get(job_id) or self._finished.get(job_id)

    def finish(self, rec: JobRecord, result: dict) -> None:
        with self._lock:
            rec.result, rec.finished_at = result, time.time()
            rec.handle = None
            self._active.pop(rec.id, None)
            self._finished[rec.id] = rec
            while len(self._finished) > self.max_finished:
                _, old = self._finished.popitem(last=False)
                if old.key and self._keys.get(old.key) == old.id:
                    del self._keys[old.key]

    def counts(self) -> dict:
        with self._lock:
            return {"active": len(self._active), "finished_kept": len(self._finished),
                    "max_finished": self.max_finished}

    # -- the spool: jobs a shutdown cut short
    def spool(self, rec: JobRecord) -> None:
        """Persist an unfinished job so the next server start runs it again under the same id."""
        with self._lock:
            self._active.pop(rec.id, None)
        if self.spool_dir is None:
            return
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        data = {"id": rec.id, "request": rec.request, "key": rec.key, "submitted_at": rec.submitted_at,
                "requeued": rec.requeued + 1}
        tmp = self.spool_dir / f".{rec.id}.tmp"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.spool_dir / f"{rec.id}.json")

    def unspool(self) -> list[JobRecord]:
        """Read back (and remove) the spooled jobs, oldest first."""
        if self.spool_dir is None or not self.spool_dir.is_dir():
            return []
        records = []
        for path in self.spool_dir.glob("*.json"):
            try:
                d = json.loads(path.read_text())
                records.append(JobRecord(id=d["id"], request=d["request"], key=d.get("key"),
                                         submitted_at=d.get("submitted_at", time.time()),
                                         requeued=d.get("requeued", 1)))
            except (OSError, ValueError, KeyError, TypeError):
                pass
            path.unlink(missing_ok=True)
        return sorted(records, key=lambda r: r.submitted_at)
