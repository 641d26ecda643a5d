"""What the static analysis produces: symbolic values (Sym), the extensions a candidate builds, and the report."""
from __future__ import annotations

from dataclasses import dataclass, field

from trace_kernelbench.guard.native import NativeReport
from trace_kernelbench.guard.rules import Finding


@dataclass(frozen=True)
class Sym:
    """A statically known value: kind in mod (an imported name, dotted), func, cls, inst, torchmod, ext, extfn,
    triton, self, partial, str."""

    kind: str
    name: str = ""
    ref: object = None           # AST node (function/class), or ext index
    extra: object = None

    def __hash__(self):
        return hash((self.kind, self.name, id(self.ref), str(self.extra)))

    def __eq__(self, other):
        return isinstance(other, Sym) and (self.kind, self.name, id(self.ref), str(self.extra)) == \
            (other.kind, other.name, id(other.ref), str(other.extra))


@dataclass
class Extension:
    index: int
    var_line: int
    name: str
    cpp: str
    cuda: str
    functions: list[str] | None
    native: NativeReport
    from_files: bool = False


@dataclass
class StaticReport:
    backend: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    runtime: dict = field(default_factory=dict)      # hints for the worker's runtime checks

    def to_dict(self) -> dict:
        return {"backend": self.backend, "facts": self.facts, "runtime": self.runtime,
                "findings": [f.to_dict() for f in self.findings]}
