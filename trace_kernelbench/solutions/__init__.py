"""Hand-written known-good `ModelNew` solutions for the embedded suite, one file per (backend, problem).

Layout: ``solutions/<backend>/<problem>.py`` with backend in cuda, cpp, triton.
"""
from __future__ import annotations

from importlib import resources

BACKENDS = ("cuda", "cpp", "triton")


def solution_names(backend: str) -> list[str]:
    root = resources.files(__name__) / backend
    return sorted(p.name[:-3] for p in root.iterdir() if p.name.endswith(".py") and not p.name.startswith("_"))


def solution_source(backend: str, problem: str) -> str:
    path = resources.files(__name__) / backend / f"{problem}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no {backend} solution for embedded/{problem}")
    return path.read_text()


def solution_request(backend: str, problem: str, **request_options):
    """An EvalRequest for embedded/<problem> with its known-good <backend> solution as the candidate (benchmarks,
    measurement tools and GPU checks)."""
    from trace_kernelbench.evaluation.request import EvalRequest
    from trace_kernelbench.problems import resolve_problem
    return EvalRequest.for_problem(resolve_problem(f"embedded/{problem}"), solution_source(backend, problem),
                                   **request_options)
