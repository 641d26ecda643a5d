"""Rewards: pluggable functions from an evaluation result (the result contract, as a dict or `EvalResult`) to a float.

Shipped: ``speedup`` (speedup if correct else 0 — the Trace-Bench score), ``log_speedup`` and ``shaped`` (partial
credit for building and for passing trials). An ``infra_error`` result is never scored: it says nothing about the
kernel, so every reward refuses it (`NotScorable`) and the environment retries or raises instead.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from trace_kernelbench.errors import UserError

RewardFn = Callable[[Mapping[str, Any]], float]

LOG_FLOOR = math.log(0.01)
"""log_speedup of a failed kernel: as bad as a 100x slowdown (and the floor for correct but very slow ones)."""


class NotScorable(ValueError):
    """The result is an infrastructure failure: no reward can be given for it."""


def as_result_dict(result: Any) -> Mapping[str, Any]:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return result


def _checked(result: Any) -> Mapping[str, Any]:
    r = as_result_dict(result)
    if r.get("status") == "infra_error":
        raise NotScorable(f"infra_error is never scored: {r.get('error')}")
    return r


def speedup(result: Any) -> float:
    """Speedup over the PyTorch reference when correct, else 0. Correct but untimed counts as 1."""
    r = _checked(result)
    if not r.get("correct"):
        return 0.0
    s = r.get("speedup")
    return 1.0 if s is None else float(s)


def log_speedup(result: Any) -> float:
    """ln(speedup) when correct (0 when untimed), floored at LOG_FLOOR; failures score LOG_FLOOR."""
    r = _checked(result)
    if not r.get("correct"):
        return LOG_FLOOR
    s = r.get("speedup")
    if s is None:
        return 0.0
    return max(LOG_FLOOR, math.log(max(float(s), 1e-12)))


def shaped(result: Any) -> float:
    """0 when the code does not build (or is rejected or hangs), 0.1 once it builds, up to 0.5 for the share of
    correctness trials passed, and 0.5 + 0.5 x speedup when correct: every correct kernel beats every wrong one."""
    r = _checked(result)
    if r.get("correct"):
        s = r.get("speedup")
        return 0.5 + 0.5 * (1.0 if s is None else float(s))
    if not r.get("compiled"):
        return 0.0
    total = r.get("trials_total") or 0
    frac = (r.get("trials_passed") or 0) / total if total else 0.0
    return 0.1 + 0.4 * frac


REWARDS: dict[str, RewardFn] = {"speedup": speedup, "log_speedup": log_speedup, "shaped": shaped}


def get_reward(spec: str | RewardFn) -> tuple[str, RewardFn]:
    """(name, function) for a reward name or a callable of one result argument."""
    if callable(spec):
        return getattr(spec, "__name__", "custom"), spec
    if spec not in REWARDS:
        raise UserError(f"unknown reward '{spec}' (choose from {', '.join(REWARDS)})")
    return spec, REWARDS[spec]
