"""The Gymnasium environment: `KernelEnv` (one problem), its rewards, and `ProblemSet` (many problems).

Importing this package registers the environment with Gymnasium (``import trace_kernelbench`` alone does not, so the
core package stays light)::

    import gymnasium
    import trace_kernelbench.env                     # registers TraceKernelBench-v0
    env = gymnasium.make("TraceKernelBench-v0")       # embedded/relu, local evaluator, device auto
    env = gymnasium.make("TraceKernelBench-v0", problem="embedded/softmax", reward="shaped", max_steps=5)

``gymnasium.make("trace_kernelbench.env:TraceKernelBench-v0")`` imports and registers in one go.
"""
from __future__ import annotations

import gymnasium

from trace_kernelbench.defaults import ENV_ID
from trace_kernelbench.env.kernel_env import REQUEST_OPTIONS, EvaluatorUnavailable, KernelEnv
from trace_kernelbench.env.problem_set import ProblemSet
from trace_kernelbench.env.rewards import REWARDS, NotScorable, get_reward

ENTRY_POINT = "trace_kernelbench.env.kernel_env:KernelEnv"


def register() -> None:
    """Register ENV_ID with Gymnasium (idempotent). Timing makes rewards vary between runs: nondeterministic."""
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point=ENTRY_POINT, nondeterministic=True)


register()

__all__ = ["ENV_ID", "KernelEnv", "ProblemSet", "EvaluatorUnavailable", "REWARDS", "NotScorable", "get_reward",
           "REQUEST_OPTIONS", "register"]
