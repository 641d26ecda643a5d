"""The result contract: the JSON every layer (CLI, evaluators, server, env, runner, reports) passes along.

Standard library only. Missing values are ``None``; errors are strings, never exception objects.
"""
from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field, fields


class Status(str, enum.Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    REJECTED = "rejected"          # the candidate broke the rules (guard)
    NO_DEVICE = "no_device"        # built fine, but no device here can run it
    INFRA_ERROR = "infra_error"    # the evaluator failed; never the kernel's fault

    def __str__(self) -> str:
        return self.value

    @property
    def is_kernel_verdict(self) -> bool:
        """True when the status says something about the kernel (everything but infra_error and no_device)."""
        return self not in (Status.INFRA_ERROR, Status.NO_DEVICE)


@dataclass
class TimingStats:
    """Statistics of repeated timed runs, milliseconds."""

    median_ms: float
    mean_ms: float
    std_ms: float
    min_ms: float
    max_ms: float
    count: int
    ci95_ms: tuple[float, float]
    timer: str = "cuda_event"      # cuda_event | perf_counter
    source: str = "measured"       # measured | baseline_cache
    exclusive: bool | None = None  # GPU: no other evaluator process ran GPU work meanwhile (evaluation.gpu_lock)
    clock_mhz: list[float] | None = None   # GPU: SM clock when the timed runs began and when they ended
    attempts: int = 1              # timed again when the interleaved reference drifted (timing.time_against_reference)

    @classmethod
    def from_dict(cls, d: dict | None) -> "TimingStats | None":
        if d is None:
            return None
        d = dict(d)
        d["ci95_ms"] = tuple(d["ci95_ms"])
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})


@dataclass
class EvalResult:
    status: Status
    compiled: bool = False
    correct: bool = False
    runtime_ms: float | None = None
    ref_runtime_ms: float | None = None
    speedup: float | None = None
    timing: dict[str, TimingStats | None] = field(default_factory=lambda: {"candidate": None, "reference": None})
    max_abs_diff: float | None = None
    mean_abs_diff: float | None = None
    trials_passed: int = 0
    trials_total: int = 0
    compile_log: str | None = None
    error: str | None = None
    flags: list[str] = field(default_factory=list)
    feedback: str = ""
    device: str | None = None
    backend: str | None = None
    problem_id: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    source_sha256: str | None = None
    wall_s: dict[str, float] = field(default_factory=dict)
    cache_hit: bool | None = None
    guard: dict | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> "EvalResult":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["status"] = Status(d["status"])
        timing = d.get("timing") or {}
        d["timing"] = {k: TimingStats.from_dict(v) for k, v in timing.items()}
        return cls(**d)


def infra_error(message: str, **kw) -> EvalResult:
    """An evaluator failure. Its feedback says plainly that the kernel is not at fault."""
    return EvalResult(status=Status.INFRA_ERROR, error=message,
                      feedback=f"Evaluation infrastructure error (not your kernel's fault): {message}", **kw)
