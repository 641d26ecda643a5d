"""Trace's OptoPrime (the default agent), with the update-dropping fix (see `opto_compat`). One LLM call per
proposal; the reply is a JSON object whose "suggestion" holds the new program."""
from __future__ import annotations

from agents import opto_compat
from agents.trace_agent import TraceAgent


class OptoPrimeAgent(TraceAgent):
    name = "opto_prime"
    optimizer_class = opto_compat.OptoPrime
