"""What to evaluate and how: `EvalRequest` (serialisable, so it crosses processes, HTTP and Modal unchanged).

Standard library only.
"""
from __future__ import annotations

import hashlib
from dataclasses import MISSING, asdict, dataclass, field, fields

DEVICES = ("auto", "cuda", "cpu")
PRECISIONS = ("fp32", "fp16", "bf16")
BASELINES = ("eager", "compile")
GUARD_POLICIES = ("strict", "kernelbench", "off")


@dataclass
class TimingConfig:
    warmup_runs: int = 5
    warmup_seconds: float = 0.05     # and keep warming up this long: a GPU that sat idle during a build clocks up
    min_runs: int = 40              # per side, spread over at least `rounds` alternating blocks
    rounds: int = 5                  # candidate and reference alternate in blocks: drift hits both sides alike
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
    guard_policy: str = "kernelbench"    # strict | kernelbench | off (trace_kernelbench.guard.rules)
    guard_speedup_factor: float = 10.0   # speedups above this are re-measured with a host timer
    timing: TimingConfig = field(default_factory=TimingConfig)

    def validate(self) -> None:
        from trace_kernelbench.errors import UserError
        _check_types(self, _FIELD_TYPES)
        if not isinstance(self.timing, TimingConfig):
            raise UserError("field 'timing' must be an object of timing settings")
        _check_types(self.timing, _TIMING_TYPES, prefix="timing.")
        t = self.timing
        if t.warmup_runs < 0 or t.warmup_seconds < 0 or t.min_runs < 1 or t.rounds < 1 or t.max_runs < t.min_runs or \
                t.max_seconds <= 0 or t.target_rse < 0:
            raise UserError("timing settings must satisfy warmup_runs >= 0, warmup_seconds >= 0, "
                            "1 <= min_runs <= max_runs, rounds >= 1, max_seconds > 0, target_rse >= 0")
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
        if self.guard_policy not in GUARD_POLICIES:
            raise UserError(f"bad guard policy '{self.guard_policy}' (choose from {', '.join(GUARD_POLICIES)})")
        if not self.guard_speedup_factor > 1:
            raise UserError("guard_speedup_factor must be greater than 1")

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
            known_t = {f.name for f in fields(TimingConfig)}
            unknown_t = set(d["timing"]) - known_t
            if unknown_t:
                raise ValueError(f"unknown timing fields: {', '.join(sorted(unknown_t))}")
            d["timing"] = TimingConfig(**d["timing"])
        missing = [f.name for f in fields(cls) if f.name not in d and f.default is MISSING
                   and f.default_factory is MISSING]
        if missing:
            raise ValueError(f"missing request fields: {', '.join(missing)}")
        return cls(**d)

    @classmethod
    def for_problem(cls, problem, candidate_source: str, **kw) -> "EvalRequest":
        return cls(problem_id=problem.id, problem_source=problem.source, candidate_source=candidate_source, **kw)


_NUMBER = (int, float)
_FIELD_TYPES = {
    "problem_id": (str,), "problem_source": (str,), "candidate_source": (str,), "device": (str,), "size": (str,),
    "correct_trials": (int,), "precision": (str,), "atol": _NUMBER + (type(None),), "rtol": _NUMBER + (type(None),),
    "seed": (int, type(None)), "build_timeout_s": _NUMBER, "run_timeout_s": _NUMBER, "measure_timing": (bool,),
    "baseline": (str,), "guard_policy": (str,), "guard_speedup_factor": _NUMBER,
}
_TIMING_TYPES = {"warmup_runs": (int,), "warmup_seconds": _NUMBER, "min_runs": (int,), "rounds": (int,),
                 "max_runs": (int,), "target_rse": _NUMBER, "max_seconds": _NUMBER}
_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}


def _check_types(obj, table: dict, prefix: str = "") -> None:
    """Requests arrive as JSON (HTTP, Modal): a wrong type is the sender's error, said in one line."""
    from trace_kernelbench.errors import UserError
    for name, types in table.items():
        value = getattr(obj, name)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            want = " or ".join(_TYPE_WORDS[t] for t in types if not (t is int and float in types))
            raise UserError(f"field '{prefix}{name}' must be {want}, not {type(value).__name__}")
