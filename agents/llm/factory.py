"""Building the run's LLM from the `llm` config block: which kind (`auto` decides between a live endpoint and the
replay), the model name, and the transcript. The one place that reads OPENAI_BASE_URL / OPENAI_API_KEY /
TRACE_KB_MODEL for the runner."""
from __future__ import annotations

import os
from typing import Any, Callable

from agents.budget import Usage
from agents.llm.base import ChatLLM
from trace_kernelbench.defaults import DEFAULT_MODEL, MODEL_ENV
from trace_kernelbench.errors import UserError

KINDS = ("auto", "openai", "replay")


def resolve_kind(cfg: dict) -> str:
    """`auto`: a live endpoint when a base URL or an API key is configured (config or environment), else replay."""
    kind = cfg.get("kind") or "auto"
    if kind not in KINDS:
        raise UserError(f"bad llm.kind '{kind}' (choose from {', '.join(KINDS)})")
    if kind != "auto":
        return kind
    configured = cfg.get("base_url") or cfg.get("api_key") or os.environ.get("OPENAI_BASE_URL") \
        or os.environ.get("OPENAI_API_KEY")
    return "openai" if configured else "replay"


def resolve_model(cfg: dict) -> str:
    return cfg.get("model") or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def transcript_path(cfg: dict, backend: str) -> str:
    from agents.llm.replay import bundled_transcript
    return str(cfg.get("transcript") or bundled_transcript(backend))


def make_llm(cfg: dict, backend: str, *, seed: int | None = None, usage: Usage | None = None,
             call_log: Callable[[dict], None] | None = None) -> ChatLLM:
    """A fresh LLM client for one episode (its own usage counter and position)."""
    kind = resolve_kind(cfg)
    common: dict[str, Any] = dict(max_tokens=cfg.get("max_tokens"), temperature=cfg.get("temperature"), seed=seed,
                                  usage=usage, call_log=call_log)
    if kind == "replay":
        from agents.llm.replay import ReplayLLM
        return ReplayLLM(transcript_path(cfg, backend), **common)
    from agents.llm.openai_client import OpenAILLM
    return OpenAILLM(resolve_model(cfg), base_url=cfg.get("base_url"), api_key=cfg.get("api_key"),
                     timeout_s=float(cfg.get("timeout_s") or 600.0), max_retries=int(cfg.get("max_retries") or 0),
                     **common)
