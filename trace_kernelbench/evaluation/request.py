"""What to evaluate and how: `EvalRequest` (serialisable, so it crosses processes, HTTP and Modal unchanged).

Standard library only.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields

DEVICES = ("auto", "cuda", "cpu")
PRECISIONS = ("fp32", "fp16", "bf16")
BASELINES = ("eager", "compile")


@dataclass
class TimingConfig:
    warmup_runs: int = 3
    min_runs: int = 10
    max_runs: int = 200
    target_rse: float = 0.005        # stop when std/mean/sqrt(n) falls below this (relative standard error)
    max_seconds: float = 5.0         # cap on timed-run wall time per side (reference or candidate)


@dataclass
class EvalRequest:
    problem_id: str
    problem_source: str
    candidate_source: str
    device: str = "auto"
    size: str = "full"
    correct_trials: int = 5
    precision: str = "fp32"
    atol: float | None = None        # None: per-dtype default (compare.DEFAULT_TOLERANCES)
    rtol: float | None = None
    seed: int | None = None          # None: a fresh secret seed per evaluation (candidates cannot hard-code inputs)
    build_timeout_s: float = 600.0
    run_timeout_s: float = 300.0
    measure_timing: bool = True
    baseline: str = "eager"
    guard_policy: str = "kernelbench"
    timing: TimingConfig = field(default_factory=TimingConfig)

    def validate(self) -> None:
        from trace_kernelbench.errors import UserError
        if self.device not in DEVICES:
            raise UserError(f"bad device '{self.device}' (choose from {', '.join(DEVICES)})")
        if self.precision not in PRECISIONS:
            raise UserError(f"bad precision '{self.precision}' (choose from {', '.join(PRECISIONS)})")
        if self.size not in ("full", "small"):
            raise UserError(f"bad size '{self.size}' (choose from full, small)")
        if self.baseline not in BASELINES:
            raise UserError(f"bad baseline '{self.baseline}' (choose from {', '.join(BASELINES)})")
        if not 1 <= self.correct_trials <= 100:
            raise UserError("correct_trials must be between 1 and 100")
        if self.build_timeout_s <= 0 or self.run_timeout_s <= 0:
            raise UserError("timeouts must be positive")

    @property
    def source_sha256(self) -> str:
        return hashlib.sha256(self.candidate_source.encode()).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "EvalRequest":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown request fields: {', '.join(sorted(unknown))}")
        d = dict(d)
        if isinstance(d.get("timing"), dict):
            d["timing"] = TimingConfig(**d["timing"])
        return cls(**d)

    @classmethod
    def for_problem(cls, problem, candidate_source: str, **kw) -> "EvalRequest":
        return cls(problem_id=problem.id, problem_source=problem.source, candidate_source=candidate_source, **kw)
