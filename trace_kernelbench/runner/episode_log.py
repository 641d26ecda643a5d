"""`RunEpisodeLog`: the run directory seen from one (problem, seed) episode — it persists each step's proposals before
they are evaluated and each evaluation as it ends, and on resume hands the episode loop back what was already done."""
from __future__ import annotations

import hashlib
import threading
from typing import Callable

from agents.base import Outcome, StepRecord
from agents.loop import EpisodeLog
from trace_kernelbench.prompts import ExtractionError, extract_code
from trace_kernelbench.runner.rundir import RunDir, utc_now

ZERO_LLM = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def outcome_from_record(rec: dict) -> Outcome:
    result = dict(rec.get("result") or {})
    info = {**result, "step": rec["step"], "reward": rec["reward"]}
    return Outcome(score=float(rec["reward"]), feedback=str(result.get("feedback") or ""), info=info)


class RunEpisodeLog(EpisodeLog):
    def __init__(self, rundir: RunDir, meta: dict, problem_id: str, seed: int, *,
                 stop: threading.Event | None = None,
                 progress: Callable[[str, int, StepRecord, Outcome | None], None] | None = None):
        self.rundir, self.meta, self.problem_id, self.seed = rundir, meta, problem_id, seed
        self.stop, self.progress = stop, progress
        mine = lambda r: r.get("problem") == problem_id and r.get("seed") == seed  # noqa: E731
        self._proposals = {r["step"]: r for r in rundir.proposals.read() if mine(r)}
        self._evals = {(r["step"], r["proposal"]): r for r in rundir.evaluations.read() if mine(r)}
        self._step_llm = {step: r.get("llm") or ZERO_LLM for step, r in self._proposals.items()}

    # -------------------------------------------------------------------------------------------- resume
    def _texts(self, step: int) -> list[str]:
        return [self.rundir.load_candidate(self.problem_id, h) for h in self._proposals[step]["candidates"]]

    def completed(self) -> list[StepRecord]:
        done, step = [], 1
        while step in self._proposals:
            n = len(self._proposals[step]["candidates"])
            if not all((step, i) in self._evals for i in range(n)):
                break
            done.append(StepRecord(step, self._texts(step),
                                   [outcome_from_record(self._evals[(step, i)]) for i in range(n)]))
            step += 1
        return done

    def usage_snapshot(self) -> dict | None:
        if not self._proposals and not self._evals:
            return None
        llm = [r.get("llm") or ZERO_LLM for r in self._proposals.values()]
        costs = [x.get("cost_usd") for x in llm if x.get("cost_usd") is not None]
        walls = [(r.get("cum") or {}).get("wall_s", 0.0) for r in self._evals.values()]
        return {"llm_calls": sum(x.get("calls", 0) for x in llm),
                "prompt_tokens": sum(x.get("prompt_tokens", 0) for x in llm),
                "completion_tokens": sum(x.get("completion_tokens", 0) for x in llm),
                "cost_usd": sum(costs) if costs else None, "evaluations": len(self._evals),
                "wall_s": max(walls, default=0.0)}

    def pending_proposals(self, step: int) -> list[str] | None:
        return self._texts(step) if step in self._proposals else None

    def pending_outcomes(self, step: int) -> dict[int, Outcome]:
        return {i: outcome_from_record(r) for (s, i), r in self._evals.items() if s == step}

    def should_stop(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    # -------------------------------------------------------------------------------------------- persisting
    def on_proposals(self, step: int, proposals: list[str], llm: dict) -> None:
        hashes = [sha256(p) for p in proposals]
        for h, p in zip(hashes, proposals):
            self.rundir.save_candidate(self.problem_id, h, p)
        rec = {"key": f"{self.problem_id}|{self.seed}|{step}", "run": self.meta["run"], "problem": self.problem_id,
               "seed": self.seed, "step": step, "candidates": hashes, "llm": llm, "time": utc_now()}
        self.rundir.proposals.append(rec)
        self._proposals[step] = rec
        self._step_llm[step] = llm

    def on_outcome(self, step: int, index: int, proposal: str, outcome: Outcome, usage: dict) -> None:
        info = outcome.info
        result = {k: v for k, v in info.items() if k not in ("step", "reward", "best_speedup")}
        rec = {
            "record_id": f"{self.problem_id}|{self.seed}|{step}|{index}",
            "run": self.meta["run"], "agent": self.meta["agent"], "model": self.meta["model"],
            "llm_kind": self.meta["llm_kind"], "problem": self.problem_id, "seed": self.seed, "step": step,
            "proposal": index, "eval_index": len(self._evals) + 1, "candidate_sha256": sha256(proposal),
            "status": info.get("status"), "correct": bool(info.get("correct")), "speedup": info.get("speedup"),
            "runtime_ms": info.get("runtime_ms"), "ref_runtime_ms": info.get("ref_runtime_ms"),
            "flags": list(info.get("flags") or []), "reward": outcome.score,
            "llm": self._step_llm.get(step, ZERO_LLM) if index == 0 else dict(ZERO_LLM),
            "cum": {"llm_calls": usage["llm_calls"], "tokens": usage["tokens"], "cost_usd": usage["cost_usd"],
                    "wall_s": usage["wall_s"], "prompt_tokens": usage["prompt_tokens"],
                    "completion_tokens": usage["completion_tokens"], "evaluations": len(self._evals) + 1},
            "wall_s": float((info.get("wall_s") or {}).get("total", 0.0)),
            "device": info.get("device"), "time": utc_now(),
            "backend": info.get("backend"), "size": self.meta.get("sizes", {}).get(self.problem_id),
            "evaluated_sha256": info.get("source_sha256"), "result": result,
        }
        self.rundir.evaluations.append(rec)
        self._evals[(step, index)] = rec
        if rec["correct"]:
            try:
                code = extract_code(proposal)
            except ExtractionError:
                code = proposal
            self.rundir.offer_best(rec, code)

    def on_step(self, record: StepRecord, best: Outcome | None) -> None:
        if self.progress is not None:
            self.progress(self.problem_id, self.seed, record, best)
