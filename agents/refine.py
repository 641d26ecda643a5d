"""Iterative refinement baseline: previous reply + its evaluation feedback -> a new reply. The conversation keeps the
task prompt and the last `history` (reply, feedback) turns, where the reply is the best proposal of its step."""
from __future__ import annotations

from agents.base import Agent, StepRecord
from agents.best_of_n import SYSTEM
from agents.llm.base import ChatLLM

FOLLOW_UP = ("Here is the evaluation of your program:\n\n{feedback}\n\nFix any problem it reports, then make the "
             "kernel faster while keeping it correct. Reply with the complete Python file in one ```python block.")


class RefineAgent(Agent):
    name = "refine"

    def __init__(self, llm: ChatLLM, *, history: int = 1, temperature: float | None = None,
                 system_prompt: str = SYSTEM):
        super().__init__(llm)
        if history < 1:
            raise ValueError("history must be at least 1")
        self.history = int(history)
        self.temperature = temperature
        self.system_prompt = system_prompt
        self.turns: list[tuple[str, str]] = []     # (reply, feedback)

    def messages(self) -> list[dict]:
        msgs = [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": self.task.prompt}]
        for reply, feedback in self.turns[-self.history:]:
            msgs += [{"role": "assistant", "content": reply},
                     {"role": "user", "content": FOLLOW_UP.format(feedback=feedback)}]
        return msgs

    def propose(self, step: int, n: int) -> list[str]:
        kw = {} if self.temperature is None else {"temperature": self.temperature}
        msgs = self.messages()
        return [self.llm.complete_text(msgs, **kw) for _ in range(n)]

    def observe(self, record: StepRecord) -> None:
        reply, outcome = record.best
        self.turns.append((reply, outcome.feedback))
