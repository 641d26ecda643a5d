"""Trace's OptoPrimeMulti (with the update-dropping fix): one prompt, several replies at spread temperatures. All of
them are evaluated (concurrently) instead of keeping only the one its default selector picks; the best one by score
becomes the current program."""
from __future__ import annotations

from agents import opto_compat
from agents.llm.base import ChatLLM
from agents.trace_agent import TraceAgent


class OptoPrimeMultiAgent(TraceAgent):
    name = "opto_prime_multi"
    optimizer_class = opto_compat.OptoPrimeMulti

    def __init__(self, llm: ChatLLM, *, temperature_range: tuple[float, float] = (1.0, 0.0), **kw):
        super().__init__(llm, **kw)
        self.temperature_range = [float(t) for t in temperature_range]

    def propose(self, step: int, n: int) -> list[str]:
        self.attach_feedback()
        self.optimizer.propose(num_responses=n, temperature_range=self.temperature_range)
        return [c.get(self.param, self.param.data) for c in self.optimizer.candidates] or [self.param.data]
