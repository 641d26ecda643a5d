"""`ChatLLM`: the one LLM interface agents and Trace's optimizers use, whatever answers behind it.

It offers both call forms trace-opt 0.1.3.8 uses — ``llm(messages=..., **kw)`` (OptoPrime, OPRO) and
``llm.create(messages=..., **kw)`` (OptoPrimeMulti, TextGrad) — and returns the OpenAI chat-completion shape. Every
call is counted in `usage` (calls, tokens, cost) and, when a `call_log` is given, logged with its messages, reply,
position and latency. `at(problem, seed, step)` tells it where in a run the next calls belong (logs, replay).
"""
from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from typing import Any, Callable

from agents.budget import Usage


class LLMError(RuntimeError):
    """The LLM could not answer (after the client's retries). One line; never the kernel's fault."""


@dataclass(frozen=True)
class Position:
    problem: str | None = None
    seed: int | None = None
    step: int | None = None


class ChatLLM(abc.ABC):
    kind: str = "abstract"      # "openai" | "replay"

    def __init__(self, model: str, *, max_tokens: int | None = None, temperature: float | None = None,
                 seed: int | None = None, usage: Usage | None = None,
                 call_log: Callable[[dict], None] | None = None):
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.usage = usage if usage is not None else Usage()
        self.call_log = call_log
        self.position = Position()

    # -------------------------------------------------------------------------------------------- public API
    def at(self, problem: str | None, seed: int | None, step: int | None) -> None:
        """The calls that follow belong to this (problem, seed, step)."""
        self.position = Position(problem, seed, step)
        self._new_position()

    def create(self, messages: list[dict] | None = None, **kwargs: Any):
        if not messages:
            raise ValueError("create() needs messages")
        messages = [{"role": m["role"], "content": m["content"]} for m in messages]
        t0 = time.monotonic()
        response = self._complete(messages, kwargs)
        latency = time.monotonic() - t0
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = self._cost(prompt_tokens, completion_tokens)
        self.usage.add_llm_call(prompt_tokens, completion_tokens, cost)
        if self.call_log is not None:
            self.call_log({
                "problem": self.position.problem, "seed": self.position.seed, "step": self.position.step,
                "kind": self.kind, "model": self.model, "messages": messages,
                "params": {k: v for k, v in kwargs.items() if k != "messages"},
                "replies": [c.message.content for c in response.choices],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "cost_usd": cost},
                "latency_s": round(latency, 3),
            })
        return response

    def __call__(self, messages: list[dict] | None = None, **kwargs: Any):
        return self.create(messages=messages, **kwargs)

    def complete_text(self, messages: list[dict], **kwargs: Any) -> str:
        """The first reply's text."""
        return self.create(messages=messages, **kwargs).choices[0].message.content or ""

    def describe(self) -> dict:
        return {"kind": self.kind, "model": self.model}

    # -------------------------------------------------------------------------------------------- for subclasses
    @abc.abstractmethod
    def _complete(self, messages: list[dict], params: dict):
        """Answer `messages` (params: the caller's extra keyword arguments) in the chat-completion shape."""

    def _new_position(self) -> None:
        pass

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        return None
