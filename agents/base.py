"""The agent interface: `start(task)`, `propose(step, n)` -> candidate texts, `observe(record)` with their outcomes,
`restore(history)` after a resumed run. Agents never evaluate; the episode loop (`agents.loop`) does, through the env.

Every agent spends through one `ChatLLM`, whose `usage` (LLM calls, tokens, cost) the loop extends with evaluations
and wall time: the same budget accounting for all of them.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agents.budget import Usage
from agents.llm.base import ChatLLM

BACKEND_NAMES = {"cuda": "CUDA", "cpp": "C++ (CPU)", "triton": "Triton"}


@dataclass(frozen=True)
class Task:
    """What an agent is asked to do: the env's prompt for one problem."""

    problem_id: str
    prompt: str
    reference: str          # the problem's source (defines Model)
    backend: str

    @property
    def initial_code(self) -> str:
        """A correct starting program: the reference, with ModelNew as the reference Model itself."""
        return (self.reference.rstrip() + "\n\n\nclass ModelNew(Model):\n"
                "    \"\"\"Starting point: the reference itself. Replace its operators with custom kernels.\"\"\"\n")


@dataclass
class Outcome:
    """One evaluated candidate: the Trace-style (score, feedback) and the env's info (the result contract)."""

    score: float
    feedback: str
    info: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.info.get("status", ""))


@dataclass
class StepRecord:
    step: int
    proposals: list[str]
    outcomes: list[Outcome]

    @property
    def best_index(self) -> int:
        """The proposal with the highest score (the first among equals)."""
        return max(range(len(self.outcomes)), key=lambda i: (self.outcomes[i].score, -i))

    @property
    def best(self) -> tuple[str, Outcome]:
        i = self.best_index
        return self.proposals[i], self.outcomes[i]


class Agent(abc.ABC):
    name: ClassVar[str] = "abstract"

    def __init__(self, llm: ChatLLM):
        self.llm = llm
        self.task: Task | None = None

    @property
    def usage(self) -> Usage:
        return self.llm.usage

    def start(self, task: Task) -> None:
        self.task = task

    @abc.abstractmethod
    def propose(self, step: int, n: int) -> list[str]:
        """n candidate texts (replies or code) for this step. LLM calls happen here."""

    def observe(self, record: StepRecord) -> None:
        """The outcomes of this step's proposals."""

    def restore(self, history: list[StepRecord]) -> None:
        """Continue after `history` (steps done by an interrupted run), without any LLM call."""
        for record in history:
            self.observe(record)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "llm": self.llm.describe()}
