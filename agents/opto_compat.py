"""trace-opt (``opto``, pinned 0.1.3.8) imported quietly, and its optimizers with the update-dropping bug fixed.

The bug: ``OptoPrime.construct_update_dict`` runs ``black`` on every suggested string containing "def" (so also
``#define``, ``#ifdef``, ``default``) and, when black cannot parse it — raw CUDA, code in a markdown fence, a line of
prose before the code — silently drops the update. `KeepRawSuggestions` keeps the suggested string exactly as the
LLM sent it (no reformatting either: the candidate is what the model wrote; the env extracts the program from it).
OPRO and OptoPrimeMulti inherit the method from OptoPrime, so the fixed classes below cover all three. TextGrad never
ran black and is used as is. OptoPrimeMulti also gets LLM errors surfaced instead of swallowed.

Importing opto prints a banner and lets LiteLLM fetch a price map over the network: both are suppressed here
(LITELLM_LOCAL_MODEL_COST_MAP=True is set before the import). Trace's global node registry is not thread-safe, so
node creation goes through `GRAPH_LOCK`.
"""
from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from opto import trace  # noqa: E402
    from opto.optimizers import OPRO as _OPRO  # noqa: E402
    from opto.optimizers import OptoPrime as _OptoPrime  # noqa: E402
    from opto.optimizers import OptoPrimeMulti as _OptoPrimeMulti  # noqa: E402
    from opto.optimizers import TextGrad  # noqa: E402
    from opto.trace.nodes import MessageNode, ParameterNode  # noqa: E402

GRAPH_LOCK = threading.Lock()


class KeepRawSuggestions:
    """Mixin for OptoPrime-family optimizers: string parameters take the suggested string verbatim."""

    parameters: list

    def construct_update_dict(self, suggestion: dict) -> dict:
        update = {}
        for node in self.parameters:
            if not (node.trainable and node.py_name in suggestion):
                continue
            value = suggestion[node.py_name]
            if isinstance(node.data, str):
                update[node] = value if isinstance(value, str) else str(value)
            else:   # non-text parameters: upstream's type conversion
                update.update(super().construct_update_dict({node.py_name: value}))  # type: ignore[misc]
        return update


class OptoPrime(KeepRawSuggestions, _OptoPrime):
    pass


class OPRO(KeepRawSuggestions, _OPRO):
    pass


class OptoPrimeMulti(KeepRawSuggestions, _OptoPrimeMulti):
    """Also: an LLM failure surfaces as the LLM's own error (upstream swallows it and then fails with IndexError)."""

    def call_llm(self, system_prompt: str, user_prompt: str, verbose=False, max_tokens: int = 4096,
                 num_responses: int = 1, temperature: float = 0.0) -> list[str]:
        messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": user_prompt}]
        kw = dict(messages=messages, max_tokens=max_tokens, n=num_responses, temperature=temperature)
        try:
            response = self.llm.create(response_format={"type": "json_object"}, **kw)
        except Exception:  # noqa: BLE001 - as upstream: retry once without the JSON mode some servers reject
            response = self.llm.create(**kw)
        return [choice.message.content for choice in response.choices]


def new_parameter(value: str, name: str, description: str, constraint: str | None = None) -> ParameterNode:
    with GRAPH_LOCK:
        return trace.node(value, name=name, trainable=True, description=description, constraint=constraint)


def new_output(value: str, inputs: dict, description: str, name: str) -> MessageNode:
    with GRAPH_LOCK:
        return MessageNode(value, inputs=inputs, description=description, name=name)


__all__ = ["trace", "OptoPrime", "OPRO", "OptoPrimeMulti", "TextGrad", "KeepRawSuggestions", "GRAPH_LOCK",
           "new_parameter", "new_output"]
