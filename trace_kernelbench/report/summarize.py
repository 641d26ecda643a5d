"""Per-run numbers for reports: final scores per (seed, problem), fast_p and geomean with bootstrap intervals, rates,
pass@1, spend, per-problem rows, and best-so-far fast_p curves on each budget axis (via `trace_kernelbench.metrics`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from trace_kernelbench import metrics
from trace_kernelbench.report.rundir import AXES, Run, axis_value

# "Furthest stage reached" order used to name a problem's best outcome when nothing was correct.
STAGE_ORDER = ("correct", "incorrect", "runtime_error", "timeout", "rejected", "compile_error", "no_device",
               "infra_error")


@dataclass
class ProblemRow:
    problem: str
    evaluations: int
    correct_evals: int
    solved_seeds: int
    seeds: int
    best_speedup: float | None       # max over seeds of the best correct speedup; None when never correct
    best_status: str
    first_correct: int | None        # smallest eval_index of a correct evaluation (any seed)


@dataclass
class RunStats:
    run: Run
    ps: tuple[float, ...]
    final: np.ndarray                # [seed, problem] best score over the whole run
    fast: dict[float, float]
    fast_ci: dict[float, tuple[float, float]]
    geomean: float | None
    geomean_ci: tuple[float | None, float | None]
    rates: dict
    pass1: float | None
    evaluations: int
    tokens: int | None
    cost_usd: float | None
    status_counts: Counter
    flag_counts: Counter
    rows: list[ProblemRow] = field(default_factory=list)


def _cell_scores(recs: list[dict]) -> list[float]:
    return [metrics.score_of(r.get("status") == "correct", r.get("speedup")) for r in recs]


def summarize(run: Run, ps=metrics.DEFAULT_PS, n_boot: int = 1000) -> RunStats:
    cells = run.cells()
    S, P = len(run.seeds), len(run.problems)
    final = np.zeros((S, P))
    for i, seed in enumerate(run.seeds):
        for j, prob in enumerate(run.problems):
            recs = cells.get((prob, seed))
            if recs:
                final[i, j] = max(_cell_scores(recs))
    flat = final.ravel()
    fast = {float(p): float(np.mean(final > p)) if final.size else 0.0 for p in ps}
    fast_ci = {}
    for p in ps:
        lo, hi = metrics.fast_p_ci(final, p, n_boot=n_boot)
        fast_ci[float(p)] = (float(lo), float(hi))
    samples = [(len(recs), sum(r.get("status") == "correct" for r in recs)) for recs in cells.values()]
    spent_tokens = _spend(cells, "tokens")
    spent_cost = _spend(cells, "cost_usd")
    return RunStats(
        run=run, ps=tuple(float(p) for p in ps), final=final, fast=fast, fast_ci=fast_ci,
        geomean=metrics.geomean_speedup(flat), geomean_ci=metrics.geomean_ci(final, n_boot=n_boot),
        rates=metrics.rates(r["status"] for r in run.records),
        pass1=metrics.mean_pass_at_k([s for s in samples if s[0] >= 1], 1),
        evaluations=len(run.records),
        tokens=None if spent_tokens is None else int(spent_tokens), cost_usd=spent_cost,
        status_counts=Counter(r["status"] for r in run.records),
        flag_counts=Counter(f for r in run.records for f in (r.get("flags") or []) if isinstance(f, str)),
        rows=_rows(run, cells),
    )


def _spend(cells: dict, axis: str) -> float | None:
    """Total spent on one axis: the last cumulative value of each (problem, seed), summed; None if never recorded."""
    total, seen = 0.0, False
    for recs in cells.values():
        vals = [v for v in (axis_value(r, axis) for r in recs) if v is not None]
        if vals:
            total += max(vals)
            seen = True
    return total if seen else None


def _rows(run: Run, cells: dict) -> list[ProblemRow]:
    rows = []
    for prob in run.problems:
        recs = [r for seed in run.seeds for r in cells.get((prob, seed), [])]
        correct = [r for r in recs if r.get("status") == "correct"]
        solved = sum(any(r.get("status") == "correct" for r in cells.get((prob, s), [])) for s in run.seeds)
        scores = _cell_scores(recs)
        best = max(scores) if scores else 0.0
        statuses = {r["status"] for r in recs}
        best_status = next((s for s in STAGE_ORDER if s in statuses), sorted(statuses)[0] if statuses else "not run")
        rows.append(ProblemRow(
            problem=prob, evaluations=len(recs), correct_evals=len(correct), solved_seeds=solved, seeds=len(run.seeds),
            best_speedup=best if best > metrics.UNTIMED else None,
            best_status=best_status, first_correct=min((r["eval_index"] for r in correct), default=None)))
    return rows


@dataclass
class Curve:
    budgets: np.ndarray
    mean: dict[float, np.ndarray]
    lo: dict[float, np.ndarray]
    hi: dict[float, np.ndarray]


def available_axes(run: Run) -> list[str]:
    """Budget axes every record of the run reports (evaluation count always; others when logged and not all zero)."""
    out = []
    for axis in AXES:
        vals = [axis_value(r, axis) for r in run.records]
        if vals and all(v is not None for v in vals) and any(v > 0 for v in vals):
            out.append(axis)
    return out


def fast_p_curves(run: Run, axis: str, ps, n_boot: int = 1000, budgets=None) -> Curve:
    """fast_p of the best-so-far scores at each budget on one axis, with bootstrap intervals across problems/seeds."""
    cells = {}
    for key, recs in run.cells().items():
        cells[key] = ([axis_value(r, axis) for r in recs], _cell_scores(recs))
    if budgets is None:
        budgets = metrics.budget_grid((x for xs, _ in cells.values() for x in xs), integer=axis == "evaluations")
    cube = metrics.score_cube(cells, run.problems, run.seeds, budgets)
    mean, lo, hi = {}, {}, {}
    for p in ps:
        mean[p] = metrics.fast_p_curve(cube, p)
        lo[p], hi[p] = metrics.fast_p_ci(cube, p, n_boot=n_boot)
    return Curve(budgets=np.asarray(budgets, dtype=float), mean=mean, lo=lo, hi=hi)
