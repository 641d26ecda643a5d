"""Budget accounting shared by every agent: `Usage` counts what an episode spent (LLM calls, tokens, cost,
evaluations, wall time); `Budget` says how much it may spend and why it must stop."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Usage:
    """What one (problem, seed) episode has spent so far. Thread-safe; the LLM client and the loop both add to it."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None       # None until a call with a known price was made
    evaluations: int = 0
    wall_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_llm_call(self, prompt_tokens: int, completion_tokens: int, cost_usd: float | None) -> None:
        with self._lock:
            self.llm_calls += 1
            self.prompt_tokens += int(prompt_tokens or 0)
            self.completion_tokens += int(completion_tokens or 0)
            if cost_usd is not None:
                self.cost_usd = (self.cost_usd or 0.0) + float(cost_usd)

    def add_evaluations(self, n: int) -> None:
        with self._lock:
            self.evaluations += n

    def snapshot(self) -> dict:
        with self._lock:
            return {"llm_calls": self.llm_calls, "prompt_tokens": self.prompt_tokens,
                    "completion_tokens": self.completion_tokens, "tokens": self.tokens,
                    "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
                    "evaluations": self.evaluations, "wall_s": round(self.wall_s, 3)}

    def llm_since(self, before: dict) -> dict:
        """LLM usage since `before` (a snapshot): the per-step block of a run record."""
        now = self.snapshot()
        cost = None if now["cost_usd"] is None else round(now["cost_usd"] - (before.get("cost_usd") or 0.0), 6)
        return {"calls": now["llm_calls"] - before["llm_calls"],
                "prompt_tokens": now["prompt_tokens"] - before["prompt_tokens"],
                "completion_tokens": now["completion_tokens"] - before["completion_tokens"], "cost_usd": cost}

    def restore(self, snapshot: dict) -> None:
        """Continue counting from a snapshot written by an earlier (interrupted) run."""
        with self._lock:
            self.llm_calls = int(snapshot.get("llm_calls", 0))
            self.prompt_tokens = int(snapshot.get("prompt_tokens", 0))
            self.completion_tokens = int(snapshot.get("completion_tokens", 0))
            self.cost_usd = snapshot.get("cost_usd")
            self.evaluations = int(snapshot.get("evaluations", 0))
            self.wall_s = float(snapshot.get("wall_s", 0.0))


@dataclass(frozen=True)
class Budget:
    """Limits of one (problem, seed) episode. None: no limit of that kind."""

    steps: int
    proposals_per_step: int = 1
    max_evaluations: int | None = None
    max_tokens: int | None = None
    max_wall_s: float | None = None

    def exhausted(self, usage: Usage) -> str | None:
        """Why no further step may start, or None."""
        if self.max_evaluations is not None and usage.evaluations >= self.max_evaluations:
            return "max_evaluations"
        if self.max_tokens is not None and usage.tokens >= self.max_tokens:
            return "max_tokens"
        if self.max_wall_s is not None and usage.wall_s >= self.max_wall_s:
            return "max_wall_s"
        return None

    def proposals_allowed(self, usage: Usage) -> int:
        n = self.proposals_per_step
        if self.max_evaluations is not None:
            n = min(n, self.max_evaluations - usage.evaluations)
        return max(1, n)
