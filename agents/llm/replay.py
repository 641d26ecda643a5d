"""`ReplayLLM`: plays back a recorded transcript, offline and deterministically, in whatever reply shape the caller's
prompt asks for (see `shapes`). Answers are keyed by position, not by a global cursor: the k-th code answer within
(problem, step) is the transcript's proposal k of that step, so a resumed run gets exactly what an uninterrupted one
would have. Its model name is ``replay:<file>`` and its kind ``replay``: it never passes for a live model.
Token counts are estimates (4 characters a token) so token budgets still apply; cost is 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.llm import shapes
from agents.llm.base import ChatLLM
from agents.llm.response import make_completion
from agents.llm.transcript import Transcript

BUNDLED_DIR = Path(__file__).resolve().parent / "transcripts"


def bundled_transcript(backend: str) -> Path:
    """The quick-start transcript for a backend (cuda, cpp)."""
    from trace_kernelbench.errors import UserError
    path = BUNDLED_DIR / f"quickstart_{backend}.yaml"
    if not path.is_file():
        have = sorted(p.stem.removeprefix("quickstart_") for p in BUNDLED_DIR.glob("quickstart_*.yaml"))
        raise UserError(f"no bundled replay transcript for the {backend} backend (have: {', '.join(have)}); "
                        f"set llm.transcript or use a live LLM")
    return path


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ReplayLLM(ChatLLM):
    kind = "replay"

    def __init__(self, transcript: str | Path | Transcript, **kw: Any):
        self.transcript = transcript if isinstance(transcript, Transcript) else Transcript.load(transcript)
        super().__init__(f"replay:{self.transcript.name}", **kw)
        self._code_answers = 0

    def describe(self) -> dict:
        return {"kind": self.kind, "model": self.model, "transcript": self.transcript.path,
                "backend": self.transcript.backend, "note": self.transcript.note}

    def _new_position(self) -> None:
        self._code_answers = 0

    def _complete(self, messages: list[dict], params: dict):
        shape = shapes.detect(messages)
        var_name = shapes.variable_name(messages) if shape == shapes.TRACE_JSON else None
        texts = []
        for _ in range(max(1, int(params.get("n") or 1))):
            proposal = self._code_answers if shape in shapes.CODE_SHAPES else 0
            if shape in shapes.CODE_SHAPES:
                self._code_answers += 1
            entry = self.transcript.entry(self.position.problem, self.position.step, proposal)
            texts.append(shapes.render(shape, entry.code, entry.reasoning, var_name))
        prompt = sum(_tokens(str(m.get("content") or "")) for m in messages)
        return make_completion(texts, self.model, prompt, sum(_tokens(t) for t in texts))

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        return 0.0
