"""`OpenAILLM`: any OpenAI-compatible chat endpoint (OpenAI, vLLM, SGLang, Ollama, a LiteLLM proxy) through the
`openai` client, with a request timeout and the client's own retries (exponential back-off on connection errors,
429 and 5xx). Cost is priced from LiteLLM's bundled price table when it knows the model, else left unknown."""
from __future__ import annotations

import os
from typing import Any

from agents.llm.base import ChatLLM, LLMError
from trace_kernelbench.errors import UserError

_PASSED = ("temperature", "max_tokens", "max_completion_tokens", "n", "seed", "response_format", "top_p", "stop",
           "presence_penalty", "frequency_penalty")


class OpenAILLM(ChatLLM):
    kind = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float = 600.0, max_retries: int = 3, **kw: Any):
        super().__init__(model, **kw)
        try:
            import openai
        except ImportError:
            raise UserError("the OpenAI-compatible LLM client needs the 'openai' package (./install.sh installs it)") \
                from None
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key:
            if not base_url:
                raise UserError("no LLM endpoint configured: set OPENAI_API_KEY (or llm.api_key), or OPENAI_BASE_URL "
                                "(or llm.base_url) for a local server, or use llm.kind: replay")
            api_key = "not-needed"      # local servers (vLLM, Ollama) accept any key
        self.base_url = base_url
        self._openai = openai
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries)

    def describe(self) -> dict:
        return {"kind": self.kind, "model": self.model, "base_url": self.base_url or "https://api.openai.com/v1"}

    def _complete(self, messages: list[dict], params: dict):
        kw = {k: v for k, v in params.items() if k in _PASSED and v is not None}
        if self.max_tokens is not None and "max_completion_tokens" not in kw:
            kw["max_tokens"] = min(int(kw.get("max_tokens", self.max_tokens)), self.max_tokens)
        if self.temperature is not None and "temperature" not in kw:
            kw["temperature"] = self.temperature
        if self.seed is not None and "seed" not in kw:
            kw["seed"] = self.seed
        try:
            return self.client.chat.completions.create(model=params.get("model") or self.model, messages=messages,
                                                       **kw)
        except self._openai.OpenAIError as e:
            where = self.base_url or "api.openai.com"
            first = (str(e).strip().splitlines() or [""])[0][:300]
            raise LLMError(f"LLM request to {where} ({self.model}) failed: {type(e).__name__}: {first}") from None

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        try:
            import litellm
            p, c = litellm.cost_per_token(model=self.model, prompt_tokens=prompt_tokens,
                                          completion_tokens=completion_tokens)
            return float(p) + float(c)
        except Exception:  # noqa: BLE001 - unknown model or no litellm: the price is unknown, not an error
            return None
