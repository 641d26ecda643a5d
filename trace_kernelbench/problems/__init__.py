"""Problems: KernelBench-format reference programs and the sources they come from.

Public API: :class:`Problem`, :class:`ProblemError`, :func:`resolve_problem`, :func:`list_problems`.
Importing this package needs only the standard library; torch and datasets are imported where used.
"""
from trace_kernelbench.problems.problem import Problem, ProblemError, validate_source
from trace_kernelbench.problems.resolver import list_problems, resolve_problem

__all__ = ["Problem", "ProblemError", "validate_source", "resolve_problem", "list_problems"]
