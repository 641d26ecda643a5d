"""TextGrad through Trace: per step one "gradient" call (a critique of the program given the feedback) and one update
call (the new program between <IMPROVED_VARIABLE> tags). TextGrad has no objective slot, so the task travels in the
feedback."""
from __future__ import annotations

from agents import opto_compat
from agents.trace_agent import TraceAgent


class TextGradAgent(TraceAgent):
    name = "textgrad"
    optimizer_class = opto_compat.TextGrad

    def make_optimizer(self):
        return self.optimizer_class([self.param], llm=self.llm, max_tokens=self.max_tokens)

    def feedback_text(self) -> str:
        return f"{self.objective()}\n\nEVALUATION OF THE CURRENT PROGRAM:\n{self.feedback}"
