"""LLM access for agents (the one place it lives): `ChatLLM` (both ``llm(messages=...)`` and ``llm.create(...)``
forms, OpenAI response shape, usage per call), `OpenAILLM` (any OpenAI-compatible endpoint), `ReplayLLM` (a
recorded transcript, offline), and `make_llm` (from a run config's `llm` block)."""
from agents.llm.base import ChatLLM, LLMError, Position
from agents.llm.factory import make_llm, resolve_kind, resolve_model

__all__ = ["ChatLLM", "LLMError", "Position", "make_llm", "resolve_kind", "resolve_model"]
