"""Agents that write kernels: Trace's OptoPrime (default), OPRO, TextGrad and OptoPrimeMulti (trace-opt 0.1.3.8,
with its update-dropping bug fixed), a best-of-N sampling baseline and an iterative refinement baseline.

`make_agent(name, llm, **settings)` builds one; `agents.loop.run_episode(agent, env, budget)` runs it on a
`KernelEnv`; `agents.feedback.get_feedback(task, response, info)` is the Trace-style (score, feedback) adapter;
LLM access lives in `agents.llm`. The Trace agents import trace-opt only when built.
"""
from __future__ import annotations

import importlib
import inspect

from trace_kernelbench.errors import UserError

AGENTS = {
    "opto_prime": "agents.opto_prime:OptoPrimeAgent",
    "opro": "agents.opro:OPROAgent",
    "textgrad": "agents.textgrad:TextGradAgent",
    "opto_prime_multi": "agents.opto_prime_multi:OptoPrimeMultiAgent",
    "best_of_n": "agents.best_of_n:BestOfNAgent",
    "refine": "agents.refine:RefineAgent",
}


def agent_class(name: str):
    if name not in AGENTS:
        raise UserError(f"unknown agent '{name}' (choose from {', '.join(AGENTS)})")
    module, _, attr = AGENTS[name].partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ImportError as e:
        raise UserError(f"agent '{name}' needs trace-opt and its dependencies (./install.sh installs them): {e}") \
            from None


def agent_settings(name: str) -> dict:
    """The settings an agent accepts, with their defaults."""
    cls = agent_class(name)
    settings = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        for p in list(inspect.signature(klass.__init__).parameters.values())[2:]:
            if p.kind == p.KEYWORD_ONLY:
                settings.setdefault(p.name, p.default)
    return settings


def make_agent(name: str, llm, **settings):
    known = agent_settings(name)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise UserError(f"unknown setting agent.settings.{unknown[0]} for agent '{name}' "
                        f"(known: {', '.join(sorted(known)) or 'none'})")
    try:
        return agent_class(name)(llm, **settings)
    except (TypeError, ValueError) as e:
        raise UserError(f"bad agent.settings for '{name}': {e}") from None


__all__ = ["AGENTS", "make_agent", "agent_class", "agent_settings"]
