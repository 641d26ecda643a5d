"""Getting the candidate program out of an LLM reply: pick the fenced code block that defines `class ModelNew`.

Order of preference: a python-tagged block (```python, ```py, ```python3 ...) defining ModelNew; any block defining it;
a reply that is itself Python defining it. Among equals, a block that parses beats one that does not, a closed block
beats an unterminated one, and a later block beats an earlier one (replies often revise their first attempt).
Text after a closing ``</think>`` tag is searched first. The code is only ever ``ast.parse``d, never compiled or run.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from trace_kernelbench.errors import UserError

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3", "ipython", "python2"})

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_TAG = re.compile(r"[\w+.#-]*")
_MODELNEW = re.compile(r"^[ \t]*class[ \t]+ModelNew\b", re.MULTILINE)
_CODE_START = re.compile(r"^(?:import|from)[ \t]+\w", re.MULTILINE)


class ExtractionError(UserError):
    """No usable program in an LLM reply."""


class NoCodeError(ExtractionError):
    def __init__(self, message: str = "the reply contains no code block"):
        super().__init__(message)


class NoModelNewError(ExtractionError):
    def __init__(self, message: str = "the code defines no class ModelNew"):
        super().__init__(message)


@dataclass(frozen=True)
class CodeBlock:
    index: int      # position among the reply's fenced blocks
    lang: str       # lower-cased first word of the info string ("" when untagged)
    code: str
    closed: bool    # False for a final fence the reply never closed

    @property
    def is_python(self) -> bool:
        return self.lang in PYTHON_TAGS or self.lang.endswith(".py")


def fenced_blocks(text: str) -> list[CodeBlock]:
    """Fenced code blocks of a Markdown text (``` or ~~~ fences; an unterminated last fence runs to the end)."""
    lines = _normalize(text).split("\n")
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent"))
        lang = _TAG.match(m.group("info")).group().lower()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                closed = True
                i += 1
                break
            body.append(_dedent_line(line, indent))
            i += 1
        blocks.append(CodeBlock(len(blocks), lang, _tidy("\n".join(body)), closed))
    return blocks


def defines_model_new(code: str) -> tuple[bool, bool]:
    """(defines class ModelNew, parses as Python). Code that does not parse is judged by a line-start regex."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return bool(_MODELNEW.search(code)), False
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ModelNew":
            return True, True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ModelNew" for t in node.targets):
            return True, True
    return False, True


def extract_code(reply: str) -> str:
    """The program in `reply` that defines ModelNew. Raises NoCodeError or NoModelNewError (both ExtractionError)."""
    text = _normalize(reply or "")
    if "</think>" in text:
        try:
            return _extract(text.rsplit("</think>", 1)[1])
        except ExtractionError:
            pass
    return _extract(text)


def _extract(text: str) -> str:
    blocks = [b for b in fenced_blocks(text) if b.code.strip()]
    best, best_key = None, None
    for b in blocks:
        defines, parses = defines_model_new(b.code)
        if defines:
            key = (b.is_python, parses, b.closed, b.index)
            if best_key is None or key > best_key:
                best, best_key = b, key
    if best is not None:
        return best.code
    if blocks:
        raise NoModelNewError()
    return _extract_raw(text)


def _extract_raw(text: str) -> str:
    """No fences: the reply itself, or the reply from its first import line on, if that parses and defines ModelNew."""
    code = _tidy(text)
    defines, parses = defines_model_new(code)
    if defines and parses:
        return code
    if not parses:
        m = _CODE_START.search(code)
        if m:
            tail = _tidy(code[m.start():])
            tail_defines, tail_parses = defines_model_new(tail)
            if tail_defines and tail_parses:
                return tail
            if tail_parses:
                raise NoModelNewError()
        raise NoCodeError()
    if _looks_like_code(code):
        raise NoModelNewError()
    raise NoCodeError()


def _looks_like_code(code: str) -> bool:
    """A parseable reply counts as code if it has a definition, an import or an assignment (not just a bare word)."""
    code_nodes = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign)
    try:
        return any(isinstance(node, code_nodes) for node in ast.parse(code).body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _dedent_line(line: str, indent: int) -> str:
    """Remove up to `indent` leading spaces (the opening fence's indentation, as CommonMark does)."""
    n = 0
    while n < indent and n < len(line) and line[n] in " \t":
        n += 1
    return line[n:]


def _tidy(code: str) -> str:
    """Drop leading blank lines and trailing whitespace; end with one newline (empty stays empty)."""
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    code = "\n".join(lines).rstrip()
    return code + "\n" if code else ""
