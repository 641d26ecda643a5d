"""Audit entries (one published kernel and what was claimed for it) and the generic JSON/JSONL reader.

Generic format: a JSON list (or {"entries": [...]}) or JSONL, one object per kernel:
``{"problem": "<problem id>", "code": "<ModelNew source>", "claimed_speedup": 1.8?, "claimed_correct": true?,
"label": "..."?}``. When ``claimed_correct`` is absent it is taken as ``claimed_speedup > 0`` if a speedup is given,
else true (a leaderboard lists kernels it considers correct).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from trace_kernelbench.errors import UserError


@dataclass
class AuditEntry:
    label: str
    problem: str                       # a problem id for resolve_problem
    code: str | None                   # None: nothing was published to evaluate
    claimed_speedup: float | None
    claimed_correct: bool
    group: str = "all"                 # method (Trace-Bench) or "all"
    expected_name: str | None = None   # problem file stem the problem must have (checks the task mapping)

    def claim_text(self) -> str:
        return claim_text(self.claimed_correct, self.claimed_speedup)


def claim_text(claimed_correct: bool, claimed_speedup: float | None) -> str:
    """A published claim in a table cell: 'correct 1.5x', 'correct', 'fail', 'fail (0)'."""
    if not claimed_correct:
        return "fail" if claimed_speedup is None else f"fail ({claimed_speedup:.3g})"
    return "correct" + ("" if claimed_speedup is None else f" {claimed_speedup:.3g}x")


def claimed_correct_default(speedup: float | None) -> bool:
    return True if speedup is None else speedup > 0


def _number(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{where}: claimed_speedup must be a number or null (got {value!r})")
    return float(value)


def entry_from_record(rec, where: str, default_label: str) -> AuditEntry:
    if not isinstance(rec, dict):
        raise UserError(f"{where}: expected a JSON object with 'problem' and 'code'")
    problem, code = rec.get("problem"), rec.get("code")
    if not isinstance(problem, str) or not problem.strip():
        raise UserError(f"{where}: missing 'problem' (a problem id such as kernelbench/L1/19 or embedded/relu)")
    if code is not None and not isinstance(code, str):
        raise UserError(f"{where}: 'code' must be a string (the ModelNew source)")
    if code is None:
        raise UserError(f"{where}: missing 'code' (the ModelNew source to evaluate)")
    speedup = _number(rec.get("claimed_speedup"), where)
    claimed = rec.get("claimed_correct")
    if claimed is not None and not isinstance(claimed, bool):
        raise UserError(f"{where}: claimed_correct must be true, false or null (got {claimed!r})")
    label = rec.get("label")
    return AuditEntry(label=str(label) if label not in (None, "") else default_label, problem=problem.strip(),
                      code=code, claimed_speedup=speedup,
                      claimed_correct=claimed_correct_default(speedup) if claimed is None else claimed)


def read_generic(path: str | Path) -> list[AuditEntry]:
    """Entries from a .json (list or {"entries": [...]}) or .jsonl file; UserError naming the line when malformed."""
    p = Path(path)
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    entries: list[AuditEntry] = []
    data = None
    if p.suffix != ".jsonl":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            if p.suffix == ".json" or e.msg != "Extra data":   # "Extra data": several objects, i.e. JSONL
                raise UserError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    if data is None:
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path} line {i}: not valid JSON ({e.msg})") from None
            entries.append(entry_from_record(rec, f"{path} line {i}", f"line {i}"))
    else:
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            data = data["entries"]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise UserError(f"{path}: expected a list of entries, {{\"entries\": [...]}}, or JSONL")
        for i, rec in enumerate(data):
            entries.append(entry_from_record(rec, f"{path} entry {i}", f"entry {i}"))
    if not entries:
        raise UserError(f"{path}: no entries to audit")
    return entries
