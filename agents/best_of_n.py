"""Best-of-N sampling baseline: every step asks the LLM the task prompt afresh, N times (N = proposals per step),
and keeps nothing between steps but the best result. No feedback reaches the LLM: this is the "no optimizer" line."""
from __future__ import annotations

from agents.base import Agent
from agents.llm.base import ChatLLM

SYSTEM = "You write fast, correct kernels for PyTorch programs. Answer with the complete Python file."


class BestOfNAgent(Agent):
    name = "best_of_n"

    def __init__(self, llm: ChatLLM, *, temperature: float | None = 1.0, system_prompt: str = SYSTEM):
        super().__init__(llm)
        self.temperature = temperature
        self.system_prompt = system_prompt

    def propose(self, step: int, n: int) -> list[str]:
        messages = [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": self.task.prompt}]
        kw = {} if self.temperature is None else {"temperature": self.temperature}
        return [self.llm.complete_text(messages, **kw) for _ in range(n)]
