"""Recorded transcripts for the replay LLM: per problem, the sequence of answers an LLM gave, step by step.

YAML::

    format: trace-kernelbench-replay/1
    backend: cpp                        # the kernel language of the recorded code
    note: who wrote it and how
    problems:
      embedded/rmsnorm:
        - reasoning: "why this attempt"  # step 1
          code: |
            import torch ...
        - alternatives:                  # step 2, several proposals (proposal i takes alternatives[i % n])
            - {reasoning: ..., code: ...}

JSONL: one object per line, ``{"problem", "step", "proposal"?, "reasoning", "code"}``; an optional first line
``{"format": ..., "backend": ..., "note": ...}``. Steps past the end repeat the last step.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from trace_kernelbench.errors import UserError

FORMAT = "trace-kernelbench-replay/1"


@dataclass(frozen=True)
class Entry:
    code: str
    reasoning: str = ""


@dataclass
class Transcript:
    path: str
    backend: str | None
    note: str
    problems: dict[str, list[list[Entry]]]     # problem -> steps -> alternatives

    @property
    def name(self) -> str:
        return Path(self.path).name

    def entry(self, problem: str | None, step: int | None, proposal: int = 0) -> Entry:
        if problem not in self.problems:
            raise UserError(f"replay transcript {self.name} has no answers for problem '{problem}' (it covers: "
                            f"{', '.join(sorted(self.problems))})")
        steps = self.problems[problem]
        alternatives = steps[min(max(int(step or 1), 1), len(steps)) - 1]
        return alternatives[proposal % len(alternatives)]

    @classmethod
    def load(cls, path: str | Path) -> "Transcript":
        p = Path(path)
        if not p.is_file():
            raise UserError(f"no such replay transcript: {p}")
        try:
            text = p.read_text(encoding="utf-8")
            if p.suffix == ".jsonl":
                return cls._from_jsonl(str(p), text)
            return cls._from_yaml(str(p), yaml.safe_load(text))
        except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"cannot read replay transcript {p}: {type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}") from None

    @classmethod
    def _from_yaml(cls, path: str, doc) -> "Transcript":
        if not isinstance(doc, dict) or not isinstance(doc.get("problems"), dict):
            raise UserError(f"replay transcript {path}: expected a mapping with 'problems'")
        problems = {}
        for pid, steps in doc["problems"].items():
            if not isinstance(steps, list) or not steps:
                raise UserError(f"replay transcript {path}: problem '{pid}' needs a non-empty list of steps")
            problems[str(pid)] = [cls._alternatives(path, pid, i + 1, s) for i, s in enumerate(steps)]
        return cls(path, doc.get("backend"), str(doc.get("note") or ""), problems)

    @staticmethod
    def _alternatives(path: str, pid: str, step: int, s) -> list[Entry]:
        items = s.get("alternatives") if isinstance(s, dict) and "alternatives" in s else [s]
        out = []
        for item in items or []:
            if not isinstance(item, dict) or not isinstance(item.get("code"), str):
                raise UserError(f"replay transcript {path}: {pid} step {step}: each answer needs a 'code' string")
            out.append(Entry(code=item["code"], reasoning=str(item.get("reasoning") or "")))
        if not out:
            raise UserError(f"replay transcript {path}: {pid} step {step} has no answers")
        return out

    @classmethod
    def _from_jsonl(cls, path: str, text: str) -> "Transcript":
        header: dict = {}
        rows: dict[str, dict[int, dict[int, Entry]]] = {}
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            if "problem" not in obj:
                header = obj
                continue
            if not isinstance(obj.get("code"), str) or not isinstance(obj.get("step"), int):
                raise UserError(f"replay transcript {path} line {n}: needs 'step' (int) and 'code' (string)")
            rows.setdefault(obj["problem"], {}).setdefault(obj["step"], {})[int(obj.get("proposal", 0))] = Entry(
                obj["code"], str(obj.get("reasoning") or ""))
        problems = {pid: [[alts[k] for k in sorted(alts)] for _, alts in sorted(steps.items())]
                    for pid, steps in rows.items()}
        return cls(path, header.get("backend"), str(header.get("note") or ""), problems)
