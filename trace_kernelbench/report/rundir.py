"""Loading run directories (the runner's format: config.yaml, evaluations.jsonl, summary.json) into `Run` records.

Tolerates what a killed run leaves behind: a truncated last line in evaluations.jsonl (ignored, with a note), no
summary.json, a missing config.yaml. Anything else malformed is a `UserError` naming the file and line.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from trace_kernelbench.errors import UserError
from trace_kernelbench.jsonfiles import read_json_object

EVALUATIONS = "evaluations.jsonl"
CONFIG = "config.yaml"
SUMMARY = "summary.json"

# Budget axes: name -> (label with unit, how to read the cumulative value from a record)
AXES = {
    "evaluations": "evaluations per problem",
    "llm_calls": "LLM calls per problem",
    "tokens": "LLM tokens per problem",
    "cost_usd": "LLM cost per problem (USD)",
    "wall_s": "wall time per problem (s)",
}


@dataclass
class Run:
    path: Path
    name: str
    agent: str
    model: str
    llm_kind: str
    config: dict
    records: list[dict]
    summary: dict | None
    problems: list[str]              # every problem of the run: the fast_p denominator
    seeds: list
    truncated_tail: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def replay(self) -> bool:
        return self.llm_kind == "replay" or bool((self.summary or {}).get("replay")) or self.model.startswith("replay:")

    @property
    def finished(self) -> bool | None:
        return None if self.summary is None else bool(self.summary.get("finished"))

    @property
    def budget_label(self) -> str:
        b = self.config.get("budgets") or {}
        parts = []
        if b.get("steps"):
            pps = b.get("proposals_per_step") or 1
            parts.append(f"{b['steps']} steps x {pps}")
        if b.get("max_evaluations"):
            parts.append(f"<={b['max_evaluations']} evals")
        if b.get("max_tokens"):
            parts.append(f"<={_short(b['max_tokens'])} tok")
        if b.get("max_wall_s"):
            parts.append(f"<={_short(b['max_wall_s'])} s")
        return ", ".join(parts) or "-"

    def cells(self) -> dict[tuple, list[dict]]:
        """Records per (problem, seed), in evaluation order."""
        out: dict[tuple, list[dict]] = {}
        for r in self.records:
            out.setdefault((r["problem"], r["seed"]), []).append(r)
        for recs in out.values():
            recs.sort(key=lambda r: r["eval_index"])
        return out


def _short(n) -> str:
    try:
        n = float(n)
    except (TypeError, ValueError):
        return str(n)
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:g}{unit}"
    return f"{n:g}"


def axis_value(record: dict, axis: str) -> float | None:
    """The cumulative budget spent on the record's (problem, seed) when it ended, on one axis; None if unknown."""
    if axis == "evaluations":
        v = record.get("eval_index")
    else:
        v = (record.get("cum") or {}).get(axis)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and ((path / EVALUATIONS).is_file() or (path / CONFIG).is_file())


def load_run(path: str | Path) -> Run:
    """Read one run directory; UserError (one line) when it is not one or a file in it is malformed."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"no such run directory: {path}")
    if not is_run_dir(p):
        inner = sorted(c.name for c in p.iterdir() if is_run_dir(c)) if p.is_dir() else []
        hint = (f"; it holds {len(inner)} run directories (pass them, e.g. {p / inner[0]})" if inner
                else f" (expected {CONFIG} and {EVALUATIONS} from `trace-kernelbench run`)")
        raise UserError(f"{path} is not a run directory{hint}")
    config = _read_config(p / CONFIG)
    records, truncated = _read_records(p / EVALUATIONS)
    summary = _read_summary(p / SUMMARY)

    first = records[0] if records else {}
    agent_cfg = config.get("agent") if isinstance(config.get("agent"), dict) else {}
    llm_cfg = config.get("llm") if isinstance(config.get("llm"), dict) else {}
    summ = summary or {}
    name = str(config.get("name") or summ.get("run") or first.get("run") or p.name)
    agent = str(agent_cfg.get("name") or summ.get("agent") or first.get("agent") or "?")
    cfg_kind = llm_cfg.get("kind") if llm_cfg.get("kind") not in (None, "auto") else None
    llm_kind = str(first.get("llm_kind") or summ.get("llm_kind") or cfg_kind or "?")
    model = str(first.get("model") or summ.get("model") or llm_cfg.get("model") or "?")
    if llm_kind == "?" and (model.startswith("replay:") or summ.get("replay")):
        llm_kind = "replay"

    problems: list[str] = []
    for pid in _config_problem_ids(config.get("problems")) + list((summ.get("problems") or {}).keys()) + \
            [r["problem"] for r in records]:
        if pid not in problems:
            problems.append(pid)
    seeds = sorted({r["seed"] for r in records} | set(_config_seeds(config.get("seeds"))), key=str)
    if not seeds:
        seeds = [0]
    run = Run(path=p, name=name, agent=agent, model=model, llm_kind=llm_kind, config=config, records=records,
              summary=summary, problems=problems, seeds=seeds, truncated_tail=truncated)
    if truncated:
        run.notes.append(f"{p / EVALUATIONS}: ignored a truncated last line (the run was probably killed)")
    if summary is None and records:
        run.notes.append(f"{p}: no {SUMMARY} (run unfinished or killed); using evaluations.jsonl only")
    return run


def _read_config(path: Path) -> dict:
    from trace_kernelbench.runner.config import read_yaml
    return read_yaml(path) if path.is_file() else {}


def _read_summary(path: Path) -> dict | None:
    if not path.is_file():
        return None
    return read_json_object(path)


def _read_records(path: Path) -> tuple[list[dict], bool]:
    if not path.is_file():
        return [], False
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    records, seen, truncated = [], set(), False
    counters: dict[tuple, int] = {}
    for k, (lineno, line) in enumerate(numbered):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if k == len(numbered) - 1:
                truncated = True
                break
            raise UserError(f"{path} line {lineno}: not valid JSON") from None
        if not isinstance(rec, dict):
            raise UserError(f"{path} line {lineno}: expected a JSON object")
        for key in ("problem", "status"):
            if not isinstance(rec.get(key), str):
                raise UserError(f"{path} line {lineno}: record has no '{key}'")
        rid = rec.get("record_id")
        if rid is not None:
            if rid in seen:
                continue          # a resumed run never re-evaluates an id; keep the first copy
            seen.add(rid)
        rec.setdefault("seed", 0)
        key = (rec["problem"], rec["seed"])
        counters[key] = counters.get(key, 0) + 1
        if not isinstance(rec.get("eval_index"), int):
            rec["eval_index"] = counters[key]
        records.append(rec)
    return records, truncated


def _config_problem_ids(spec) -> list[str]:
    """Explicit problem ids from the config (`problems.ids`, or a plain list); patterns and whole sources cannot be
    expanded here and are skipped (summary.json lists every planned problem)."""
    if isinstance(spec, dict):
        spec = spec.get("ids")
    items = [spec] if isinstance(spec, str) else spec if isinstance(spec, list) else []
    return [s for s in items if isinstance(s, str) and "/" in s and not any(ch in s for ch in "*?[")]


def _config_seeds(spec) -> list:
    return [s for s in spec if isinstance(s, int)] if isinstance(spec, list) else []
