"""The Trace-style feedback adapter: ``get_feedback(task, response, info) -> (score, feedback)``.

`get_feedback` turns one evaluated response into a score (the env's reward; the Trace-Bench speedup score when the
info carries none) and the feedback text an optimizer reads. `KernelGuide` wraps an env so code can be scored the way
Trace users score with a guide: ``guide.get_feedback(task, code)`` evaluates and returns (score, feedback).
"""
from __future__ import annotations

from typing import Any

from trace_kernelbench.env.rewards import speedup as speedup_score
from trace_kernelbench.evaluation.feedback import render_feedback
from trace_kernelbench.evaluation.result import EvalResult


def get_feedback(task: Any, response: str, info: dict) -> tuple[float, str]:
    """(score, feedback) of `response` for `task`, from the env's step `info` (the result contract + reward)."""
    score = info["reward"] if info.get("reward") is not None else speedup_score(info)
    feedback = info.get("feedback") or render_feedback(EvalResult.from_dict(info))
    return float(score), feedback


class KernelGuide:
    """Scores responses through an env (one env step each): ``get_feedback(task, response, info=None)``."""

    def __init__(self, env):
        self.env = env

    def get_feedback(self, task: Any, response: str, info: dict | None = None) -> tuple[float, str]:
        if info is None:
            _, _, _, _, info = self.env.step(response)
        return get_feedback(task, response, info)

    __call__ = get_feedback
