"""OPRO through Trace (with the update-dropping fix): the prompt lists every earlier (program, feedback) pair."""
from __future__ import annotations

from agents import opto_compat
from agents.trace_agent import TraceAgent


class OPROAgent(TraceAgent):
    name = "opro"
    optimizer_class = opto_compat.OPRO

    def restore_memory(self, pairs: list[tuple[str, str]]) -> None:
        # OPRO appends (variables, feedback) to its buffer on every prompt; rebuild the entries of the earlier steps.
        self.optimizer.buffer = [({self.param.py_name: (p, None)}, f) for p, f in pairs]
