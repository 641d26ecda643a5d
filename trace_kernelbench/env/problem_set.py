"""A set of problems to run one after another (leaderboard runs): `ProblemSet(...).envs()` yields one `KernelEnv`
per problem, all sharing one evaluator (its workers start once), closed when the iteration ends."""
from __future__ import annotations

from typing import Any, Iterator, Sequence

from trace_kernelbench.defaults import DEFAULT_EVALUATOR
from trace_kernelbench.problems import Problem, list_problems, resolve_problem


class ProblemSet:
    """Problems given by id (or as `Problem`s), or every problem of a source at a level."""

    def __init__(self, problems: Sequence[str | Problem] | None = None, *, source: str | None = None,
                 level: int | None = None, kernelbench_dir: str | None = None):
        if problems:
            self.problems = [p if isinstance(p, Problem) else
                             resolve_problem(p, source=source if source != "embedded" else None,
                                             kernelbench_dir=kernelbench_dir) for p in problems]
        else:
            self.problems = list_problems(source or "embedded", level=level, kernelbench_dir=kernelbench_dir)
        if level is not None and problems:
            self.problems = [p for p in self.problems if p.level == level]

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.problems]

    def envs(self, evaluator: Any = DEFAULT_EVALUATOR, evaluator_options: dict | None = None, **env_kwargs):
        """Yield a KernelEnv per problem (closed after use), sharing one evaluator."""
        from trace_kernelbench.env.kernel_env import KernelEnv
        from trace_kernelbench.evaluators import make_evaluator
        owned = isinstance(evaluator, str)
        ev = make_evaluator(evaluator, **(evaluator_options or {})) if owned else evaluator
        try:
            for problem in self.problems:
                env = KernelEnv(problem, ev, **env_kwargs)
                try:
                    yield env
                finally:
                    env.close()
        finally:
            if owned:
                ev.close()
