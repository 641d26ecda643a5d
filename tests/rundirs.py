"""Builders for small run directories in the runner's format (.briefs/rundir.md), written by the report tests."""
from __future__ import annotations

import json
from pathlib import Path

import yaml


def record(run: str, agent: str, model: str, kind: str, problem: str, idx: int, status: str, speedup=None, *,
           seed: int = 0, flags=(), tokens_per_eval: int = 1000, cost_per_eval: float | None = 0.01) -> dict:
    correct = status == "correct"
    return {
        "record_id": f"{problem}|{seed}|{idx}|0", "run": run, "agent": agent, "model": model, "llm_kind": kind,
        "problem": problem, "seed": seed, "step": idx, "proposal": 0, "eval_index": idx,
        "candidate_sha256": f"{idx:064x}", "status": status, "correct": correct,
        "speedup": speedup if correct else None, "runtime_ms": 1.0 if correct else None,
        "ref_runtime_ms": speedup if correct else None, "flags": list(flags), "reward": speedup or 0.0,
        "llm": {"calls": 1, "prompt_tokens": tokens_per_eval // 2, "completion_tokens": tokens_per_eval // 2,
                "cost_usd": cost_per_eval},
        "cum": {"llm_calls": idx, "tokens": idx * tokens_per_eval,
                "cost_usd": None if cost_per_eval is None else round(idx * cost_per_eval, 6), "wall_s": 2.5 * idx},
        "wall_s": 2.5, "device": "cpu", "time": "2026-11-30T13:05:00Z",
    }


def write_run(root: Path, *, name: str, agent: str, model: str, kind: str, budgets: dict, problems: list[str],
              outcomes: dict[str, list[tuple]], truncated_tail: bool = False, summary: bool = True,
              cost_per_eval: float | None = 0.01) -> Path:
    """outcomes[problem] = [(status, speedup, flags), ...] in evaluation order (seed 0)."""
    d = root / f"{name}-20261130-130500"
    d.mkdir(parents=True)
    cfg = {"name": name, "agent": {"name": agent}, "llm": {"model": model, "kind": kind}, "budgets": budgets,
           "evaluator": {"name": "local"}, "reward": "speedup", "problems": {"ids": problems, "source": None},
           "seeds": [0]}
    (d / "config.yaml").write_text(yaml.safe_dump(cfg))
    lines = []
    for prob, outs in outcomes.items():
        for i, (status, speedup, flags) in enumerate(outs, 1):
            lines.append(json.dumps(record(name, agent, model, kind, prob, i, status, speedup, flags=flags,
                                           cost_per_eval=cost_per_eval)))
    text = "\n".join(lines) + "\n"
    if truncated_tail:   # what a run killed mid-write leaves: half a JSON object, no newline
        text += json.dumps(record(name, agent, model, kind, problems[-1], 9, "correct", 99.0))[:57]
    (d / "evaluations.jsonl").write_text(text)
    if summary:
        summ = {"run": name, "agent": agent, "model": model, "llm_kind": kind, "replay": kind == "replay",
                "problems": {}, "totals": {}, "finished": True}
        (d / "summary.json").write_text(json.dumps(summ))
    return d
