"""The guard: static and runtime defences that make cheating candidates fail (status `rejected`, with flags naming
the rule and one-sentence feedback), while honest kernels pass unflagged.

- `rules`: the rules, their flags, feedback sentences and policy levels (strict | kernelbench | off).
- `static`: facts from the candidate's AST (and its C++/CUDA text, `native`), then findings.
- `runtime`: checks the isolated worker runs around the candidate (torch + standard library only).
- `integrity`: authentication of the worker's result message.
- `gate`: the calls the evaluator makes (static gate before any process starts, merging runtime findings after).
- `selfcheck`: proves a problem suite rejects zeros, constants, input copies and the reference itself.
- `overhead`: measures the guard's cost per evaluation (`python -m trace_kernelbench.guard.overhead`).
"""
from trace_kernelbench.guard.rules import DEFAULT_POLICY, POLICIES, RULES, Decision, Finding, decide

__all__ = ["DEFAULT_POLICY", "POLICIES", "RULES", "Decision", "Finding", "decide", "analyze_source"]


def analyze_source(source: str, precision: str = "fp32", reference_source: str | None = None,
                   backend: str | None = None):
    from trace_kernelbench.guard.static import analyze_source as _analyze
    return _analyze(source, precision, reference_source, backend)
