"""The OpenAI chat-completion response shape (``resp.choices[i].message.content``, ``resp.usage``), for LLMs that
do not talk to a server (the replay LLM). Real clients return the `openai` package's own objects."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field


@dataclass
class Message:
    content: str
    role: str = "assistant"


@dataclass
class Choice:
    index: int
    message: Message
    finish_reason: str = "stop"


@dataclass
class CompletionUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass
class ChatCompletion:
    id: str
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    object: str = "chat.completion"
    created: int = field(default_factory=lambda: int(time.time()))

    def model_dump(self) -> dict:
        return asdict(self)


def make_completion(texts: list[str], model: str, prompt_tokens: int, completion_tokens: int,
                    id: str = "replay") -> ChatCompletion:
    return ChatCompletion(id=id, model=model, choices=[Choice(i, Message(t)) for i, t in enumerate(texts)],
                          usage=CompletionUsage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens))
