"""One resolver from a PROBLEM argument to a `Problem`, and problem listings per source."""
from __future__ import annotations

import re
from pathlib import Path

from trace_kernelbench.problems import sources
from trace_kernelbench.problems.problem import Problem, ProblemError

SOURCES = ("embedded", "kernelbench", "hf")
_KB_RE = re.compile(r"^(?:kernelbench|kb|hf)/L(\d+)/(\d+)$", re.IGNORECASE)


def resolve_problem(spec: str, *, source: str | None = None, kernelbench_dir: str | Path | None = None,
                    hf_dataset: str | None = None) -> Problem:
    """`embedded/<name>`, `kernelbench/L<level>/<id>` (checkout, or HF with source='hf' or `hf/L1/19`), or a .py path."""
    if source is not None and source not in SOURCES:
        raise ProblemError(f"unknown problem source '{source}' (choose from {', '.join(SOURCES)})")
    spec = spec.strip()
    if not spec:
        raise ProblemError("empty problem id")
    if spec.startswith("embedded/"):
        return sources.load_embedded(spec.split("/", 1)[1])
    m = _KB_RE.match(spec)
    if m:
        level, pid = int(m.group(1)), int(m.group(2))
        if level not in sources.LEVELS:
            raise ProblemError(f"bad level {level} in '{spec}': KernelBench levels are 1-4")
        if source == "hf" or spec.lower().startswith("hf/"):
            return sources.load_hf(level, pid, hf_dataset)
        return sources.load_kernelbench(level, pid, kernelbench_dir)
    if spec.lower().startswith(("kernelbench/", "kb/", "hf/")):
        raise ProblemError(f"bad problem id '{spec}': expected kernelbench/L<level>/<id>, e.g. kernelbench/L1/19")
    if spec.endswith(".py") or Path(spec).exists():
        return sources.load_file(spec)
    if "/" not in spec and spec in sources.embedded_names():
        return sources.load_embedded(spec)
    raise ProblemError(f"unknown problem '{spec}': use embedded/<name>, kernelbench/L<level>/<id> or a .py file")


def list_problems(source: str = "embedded", *, level: int | None = None, kernelbench_dir: str | Path | None = None,
                  hf_dataset: str | None = None) -> list[Problem]:
    if level is not None and level not in sources.LEVELS:
        raise ProblemError(f"bad level {level}: KernelBench levels are 1-4")
    if source == "embedded":
        probs = sources.list_embedded()
        return [p for p in probs if level is None or p.level == level]
    if source == "kernelbench":
        return sources.list_kernelbench(kernelbench_dir, level)
    if source == "hf":
        return sources.list_hf(level, hf_dataset)
    raise ProblemError(f"unknown problem source '{source}' (choose from {', '.join(SOURCES)})")
