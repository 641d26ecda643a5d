"""The `Problem` record and its validation (static: the source is parsed, never executed here)."""
from __future__ import annotations

import ast
import hashlib
from dataclasses import asdict, dataclass, field

from trace_kernelbench.errors import UserError

REQUIRED_NAMES = ("Model", "get_inputs", "get_init_inputs")


class ProblemError(UserError):
    """A problem could not be found or is not in KernelBench format. The message is one line for the user."""


@dataclass(frozen=True)
class Problem:
    """A reference program in KernelBench format.

    id:     how to ask for it again (``embedded/relu``, ``kernelbench/L1/19``, or a file path)
    name:   human name (``19_ReLU``)
    level:  KernelBench level (1 single op, 2 fused chain, 3 model, 4 HF model)
    origin: ``embedded`` | ``kernelbench`` | ``hf`` | ``file``
    source: the Python source text defining Model, get_inputs, get_init_inputs
    """

    id: str
    name: str
    level: int
    origin: str
    source: str = field(repr=False)
    path: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    @property
    def has_small_size(self) -> bool:
        """True when the file declares ``SMALL_SIZES`` (our convention for CPU-sized runs)."""
        return "SMALL_SIZES" in top_level_names(self.source)

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("source")
        d["sha256"] = self.sha256
        d["has_small_size"] = self.has_small_size
        return d

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Problem":
        return cls(**{k: d[k] for k in ("id", "name", "level", "origin", "source")}, path=d.get("path"))


def top_level_names(source: str) -> set[str]:
    """Names bound at module level (classes, functions, assignments, imports)."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def validate_source(source: str, where: str) -> None:
    """Raise ProblemError (one line) unless `source` parses and defines Model, get_inputs, get_init_inputs."""
    try:
        names = top_level_names(source)
    except SyntaxError as e:
        raise ProblemError(f"{where}: not valid Python (line {e.lineno}: {e.msg})") from None
    except ValueError as e:  # Python < 3.12 reports NUL bytes as ValueError
        raise ProblemError(f"{where}: not valid Python ({e})") from None
    missing = [n for n in REQUIRED_NAMES if n not in names]
    if missing:
        raise ProblemError(f"{where}: not a KernelBench problem: missing {', '.join(missing)}")
