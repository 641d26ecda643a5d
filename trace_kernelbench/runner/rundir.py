"""The run directory on disk (format: .briefs/rundir.md, shared with the report module). Append-only and durable:
every line of a JSONL file is written, flushed and fsynced before the run moves on, and a line cut short by a kill is
dropped when the run is resumed.

- ``config.yaml``        the resolved config (earlier versions kept as ``config.prev-<time>.yaml`` when a resume
                         changes the budgets)
- ``evaluations.jsonl``  one record per evaluation (the contract's fields, plus ``backend``, ``size``,
                         ``evaluated_sha256`` and ``result``: the full result contract, feedback included)
- ``proposals.jsonl``    one line per step, written before its evaluations: the candidates' hashes and the step's
                         LLM usage (so a resumed run neither asks the LLM again nor loses what it said)
- ``candidates/<problem>/<sha256>.txt``  every proposal exactly as the agent produced it
- ``llm_calls.jsonl``    every LLM call: messages, replies, usage, latency
- ``errors.jsonl``       infrastructure failures (evaluator or LLM) that stopped an episode; resuming retries them
- ``best/<problem>.py``  the best correct kernel per problem, with a header giving its speedup
- ``summary.json``       per-problem bests and totals; ``finished`` is true once every episode completed
- ``.lock``              held (flock) while a run writes here, so a second run on the same directory is refused
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from trace_kernelbench.errors import UserError

STATUS_RANK = ["correct", "incorrect", "runtime_error", "timeout", "no_device", "compile_error", "rejected",
               "infra_error"]


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def problem_file_stem(problem_id: str) -> str:
    return problem_id.replace("/", "__").replace("\\", "__")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class JsonlLog:
    """An append-only JSONL file: each record is one line, fsynced. A torn last line (killed mid-write) is removed
    when the file is opened again."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._repair()
        self._fh = open(path, "a", encoding="utf-8")

    def _repair(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue
        return out

    def append(self, record: dict) -> None:
        line = json.dumps(record, default=str) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fh = open(self.path / ".lock", "a+")
        try:    # one run at a time per directory: two would duplicate every record
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_fh.close()
            raise UserError(f"run directory {self.path} is in use by another trace-kernelbench run") from None
        for sub in ("candidates", "best"):
            (self.path / sub).mkdir(exist_ok=True)
        self.evaluations = JsonlLog(self.path / "evaluations.jsonl")
        self.proposals = JsonlLog(self.path / "proposals.jsonl")
        self.llm_calls = JsonlLog(self.path / "llm_calls.jsonl")
        self.errors = JsonlLog(self.path / "errors.jsonl")
        self._best_lock = threading.Lock()
        self._best: dict[str, dict] = {}
        for rec in self.evaluations.read():
            self._consider_best(rec)

    # -------------------------------------------------------------------------------------------- identity
    @staticmethod
    def is_run_dir(path: Path) -> bool:
        return (Path(path) / "config.yaml").is_file()

    @staticmethod
    def read_config(path: Path) -> dict:
        p = Path(path) / "config.yaml"
        if not p.is_file():
            raise UserError(f"{path} is not a run directory (no config.yaml)")
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise UserError(f"{p} is not a config mapping")
        return doc

    def write_config(self, config: dict) -> None:
        p = self.path / "config.yaml"
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=False)
        if p.is_file():
            old = p.read_text(encoding="utf-8")
            if old == text:
                return
            (self.path / f"config.prev-{time.strftime('%Y%m%d-%H%M%S')}.yaml").write_text(old, encoding="utf-8")
        _atomic_write(p, text)

    # -------------------------------------------------------------------------------------------- candidates
    def candidate_path(self, problem_id: str, sha256: str) -> Path:
        return self.path / "candidates" / problem_file_stem(problem_id) / f"{sha256}.txt"

    def save_candidate(self, problem_id: str, sha256: str, text: str) -> None:
        p = self.candidate_path(problem_id, sha256)
        if p.is_file():
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(p, text)

    def load_candidate(self, problem_id: str, sha256: str) -> str:
        return self.candidate_path(problem_id, sha256).read_text(encoding="utf-8")

    # -------------------------------------------------------------------------------------------- best kernels
    def _consider_best(self, rec: dict) -> bool:
        if not rec.get("correct"):
            return False
        cur = self._best.get(rec["problem"])
        if cur is not None and (rec.get("speedup") or 0.0) <= (cur.get("speedup") or 0.0):
            return False
        self._best[rec["problem"]] = rec
        return True

    def offer_best(self, rec: dict, code: str) -> None:
        """Write best/<problem>.py when `rec` beats the problem's best so far."""
        with self._best_lock:
            if not self._consider_best(rec):
                return
            s = rec.get("speedup")
            head = (f"# Best kernel for {rec['problem']} in run {rec['run']}: "
                    + (f"speedup {s:.3f}x" if s is not None else "correct (not timed)")
                    + f" over PyTorch ({rec.get('device')}; seed {rec['seed']}, step {rec['step']}, "
                      f"proposal {rec['proposal']}; agent {rec['agent']}, model {rec['model']})\n"
                    + f"# candidate {rec['candidate_sha256']}, evaluated {rec.get('time')}\n")
            _atomic_write(self.path / "best" / f"{problem_file_stem(rec['problem'])}.py", head + code)

    # -------------------------------------------------------------------------------------------- summary
    def write_summary(self, meta: dict, problems: list[str], seeds: list[int], episodes: dict[str, dict],
                      finished: bool) -> dict:
        records = self.evaluations.read()
        per: dict[str, dict[str, Any]] = {}
        for pid in problems:
            recs = [r for r in records if r.get("problem") == pid]
            correct = [r for r in recs if r.get("correct")]
            best = max(correct, key=lambda r: r.get("speedup") or 0.0) if correct else None
            statuses = sorted({r.get("status") for r in recs}, key=lambda s: STATUS_RANK.index(s)
                              if s in STATUS_RANK else len(STATUS_RANK))
            per[pid] = {"best_speedup": best.get("speedup") if best else None,
                        "best_status": "correct" if best else (statuses[0] if statuses else None),
                        "evaluations": len(recs), "correct": best is not None,
                        "best_file": f"best/{problem_file_stem(pid)}.py" if best else None,
                        "seeds": {str(s): episodes.get(f"{pid}|{s}", {"state": "pending"}) for s in seeds}}
        last_cum: dict[str, dict] = {}
        for r in records:
            last_cum[f"{r.get('problem')}|{r.get('seed')}"] = r.get("cum") or {}
        costs = [c.get("cost_usd") for c in last_cum.values() if c.get("cost_usd") is not None]
        speedups = [v["best_speedup"] or 0.0 for v in per.values()]
        totals = {"problems": len(problems), "episodes": len(problems) * len(seeds), "evaluations": len(records),
                  "problems_correct": sum(v["correct"] for v in per.values()),
                  "llm_calls": sum(c.get("llm_calls", 0) for c in last_cum.values()),
                  "tokens": sum(c.get("tokens", 0) for c in last_cum.values()),
                  "cost_usd": round(sum(costs), 6) if costs else None,
                  "wall_s": round(sum(c.get("wall_s", 0.0) for c in last_cum.values()), 2),
                  **{f"fast_{p}": sum(s > float(p) for s in speedups) for p in ("0.5", "1.0", "1.5", "2.0")}}
        summary = {**meta, "problems": per, "totals": totals, "finished": finished, "updated": utc_now()}
        _atomic_write(self.path / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
        return summary

    def close(self) -> None:
        for log in (self.evaluations, self.proposals, self.llm_calls, self.errors):
            log.close()
        self._lock_fh.close()
