"""Reply shapes: what form of answer a request asks for, read from its messages, and how to write a candidate
program (plus its reasoning) in that form. Used by the replay LLM so one recorded transcript serves every agent.

- ``trace_json``  OptoPrime / OptoPrimeMulti / OPRO: a JSON object {"reasoning", "answer", "suggestion": {var: value}}
- ``textgrad_update``  TextGrad's update call: the new value between <IMPROVED_VARIABLE> tags
- ``critique``  TextGrad's gradient (or gradient-summary) call: prose feedback, no code
- ``chat``  everything else (best-of-N, refinement): prose, then the program in one ```python block
"""
from __future__ import annotations

import json
import re

TRACE_JSON, TEXTGRAD_UPDATE, CRITIQUE, CHAT = "trace_json", "textgrad_update", "critique", "chat"
CODE_SHAPES = (TRACE_JSON, TEXTGRAD_UPDATE, CHAT)

_OPTO_VAR = re.compile(r"#Variables\s*\n\((?:[^()\n]*)\)\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]")
_OPRO_VAR = re.compile(r'"variables"\s*:\s*\{\s*"([A-Za-z_][A-Za-z0-9_]*)"')


def _text(messages: list[dict], role: str) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == role)


def detect(messages: list[dict]) -> str:
    system, everything = _text(messages, "system"), _text(messages, "system") + _text(messages, "user")
    if "<IMPROVED_VARIABLE>" in system:
        return TEXTGRAD_UPDATE
    if "gradient (feedback) engine" in system or "aggregate and summarize the feedback" in system:
        return CRITIQUE
    if '"suggestion"' in everything:
        return TRACE_JSON
    return CHAT


def variable_name(messages: list[dict]) -> str | None:
    """The trainable variable a Trace prompt asks about (its #Variables section, or OPRO's examples)."""
    user = _text(messages, "user")
    m = _OPTO_VAR.search(user) or _OPRO_VAR.search(user)
    return m.group(1) if m else None


def render(shape: str, code: str, reasoning: str, var_name: str | None = None) -> str:
    reasoning = (reasoning or "").strip()
    if shape == TRACE_JSON:
        return json.dumps({"reasoning": reasoning, "answer": "", "suggestion": {var_name or "kernel0": code}})
    if shape == TEXTGRAD_UPDATE:
        return f"<IMPROVED_VARIABLE>\n{code.rstrip()}\n</IMPROVED_VARIABLE>"
    if shape == CRITIQUE:
        return reasoning or "The kernel can be improved; see the evaluation feedback."
    longest = max((len(r) for r in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{reasoning}\n\n{fence}python\n{code.rstrip()}\n{fence}\n".lstrip()
