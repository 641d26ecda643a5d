"""The episode loop every agent runs in: reset the env, then per step propose -> evaluate (all proposals of a step
together, through `env.step_many`) -> feedback -> observe, until the step budget, another budget, or the target
speedup ends it.

An `EpisodeLog` sees every proposal before it is evaluated and every outcome as it arrives, and on resume hands back
what an interrupted run already did (completed steps, proposals made but not yet evaluated, outcomes of a partly
evaluated step), so nothing done is redone. The default log keeps nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from agents.base import Agent, Outcome, StepRecord, Task
from agents.budget import Budget
from agents.feedback import get_feedback


class EpisodeLog:
    """Hooks of one (problem, seed) episode. Subclass to persist; the base keeps nothing."""

    def completed(self) -> list[StepRecord]:
        return []

    def usage_snapshot(self) -> dict | None:
        """Usage counters to continue from (resume), or None."""
        return None

    def pending_proposals(self, step: int) -> list[str] | None:
        return None

    def pending_outcomes(self, step: int) -> dict[int, Outcome]:
        return {}

    def on_proposals(self, step: int, proposals: list[str], llm: dict) -> None:
        pass

    def on_outcome(self, step: int, index: int, proposal: str, outcome: Outcome, usage: dict) -> None:
        pass

    def on_step(self, record: StepRecord, best: Outcome | None) -> None:
        pass

    def should_stop(self) -> bool:
        """True to end the episode before its next step (e.g. the run was interrupted)."""
        return False


@dataclass
class EpisodeResult:
    problem_id: str
    steps: list[StepRecord] = field(default_factory=list)
    best_proposal: str | None = None
    best: Outcome | None = None
    stop_reason: str = "steps"
    usage: dict = field(default_factory=dict)

    @property
    def best_speedup(self) -> float | None:
        return None if self.best is None else self.best.info.get("speedup")


def _better(o: Outcome, best: Outcome | None) -> bool:
    if not o.info.get("correct"):
        return False
    if best is None:
        return True
    return (o.info.get("speedup") or 0.0) > (best.info.get("speedup") or 0.0)


def _target_reached(env, result: EpisodeResult) -> bool:
    return env.target_speedup is not None and result.best_speedup is not None \
        and result.best_speedup >= env.target_speedup


def run_episode(agent: Agent, env, budget: Budget, *, seed: int | None = None,
                log: EpisodeLog | None = None) -> EpisodeResult:
    """Run `agent` on `env` (a KernelEnv, reset here) within `budget`. Exceptions from the LLM (LLMError) or the
    evaluator (EvaluatorUnavailable) propagate; everything finished before them has reached the log."""
    log = log or EpisodeLog()
    env = getattr(env, "unwrapped", env)
    prompt, _ = env.reset(seed=seed)
    task = Task(problem_id=env.problem.id, prompt=prompt, reference=env.problem.source, backend=env.backend)
    agent.start(task)
    usage = agent.usage
    snapshot = log.usage_snapshot()
    if snapshot:
        usage.restore(snapshot)
    history = log.completed()
    result = EpisodeResult(problem_id=task.problem_id)
    for record in history:
        for proposal, outcome in zip(record.proposals, record.outcomes):
            if _better(outcome, result.best):
                result.best, result.best_proposal = outcome, proposal
    if history:
        agent.restore(history)
        env.reset(seed=seed, options={"steps_taken": len(history), "best_speedup": result.best_speedup})
    result.steps = list(history)

    wall0, t0 = usage.wall_s, time.monotonic()
    first = len(history) + 1
    if _target_reached(env, result):          # a resumed episode that had already reached its target
        first, result.stop_reason = budget.steps + 1, "target_speedup"
    for step in range(first, budget.steps + 1):
        usage.wall_s = wall0 + time.monotonic() - t0
        reason = "interrupted" if log.should_stop() else budget.exhausted(usage)
        if reason:
            result.stop_reason = reason
            break
        proposals = log.pending_proposals(step)
        if proposals is None:
            before = usage.snapshot()
            agent.llm.at(task.problem_id, seed, step)
            proposals = [p if isinstance(p, str) else str(p)
                         for p in agent.propose(step, budget.proposals_allowed(usage))]
            log.on_proposals(step, proposals, usage.llm_since(before))
        outcomes = dict(log.pending_outcomes(step))
        todo = [i for i in range(len(proposals)) if i not in outcomes]
        terminated = False
        if todo:
            steps = env.step_many([proposals[i] for i in todo])
            usage.add_evaluations(len(todo))
            usage.wall_s = wall0 + time.monotonic() - t0
            for i, (_, _, term, _, info) in zip(todo, steps):
                score, feedback = get_feedback(task, proposals[i], info)
                outcomes[i] = Outcome(score, feedback, info)
                log.on_outcome(step, i, proposals[i], outcomes[i], usage.snapshot())
                terminated = terminated or term
        record = StepRecord(step, proposals, [outcomes[i] for i in range(len(proposals))])
        for proposal, outcome in zip(record.proposals, record.outcomes):
            if _better(outcome, result.best):
                result.best, result.best_proposal = outcome, proposal
        result.steps.append(record)
        agent.observe(record)
        log.on_step(record, result.best)
        if terminated or _target_reached(env, result):
            result.stop_reason = "target_speedup"
            break
    usage.wall_s = wall0 + time.monotonic() - t0
    result.usage = usage.snapshot()
    return result
