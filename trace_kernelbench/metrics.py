"""Benchmark metrics over per-problem outcomes: fast_p, geometric-mean speedup, compile/correctness rates, pass@k,
best-so-far curves against a budget, and bootstrap confidence intervals. Numpy only; no I/O.

Conventions
-----------
score
    One number per problem (or per (seed, problem) cell): the speedup of its best *correct* kernel, or ``0.0`` when it
    has none (failures count as 0, as in KernelBench). A correct kernel whose speedup was not measured (timing off)
    scores :data:`UNTIMED`, the smallest positive float: it counts as correct (fast_0, correctness) but is faster than
    no ``p > 0`` and is left out of the geometric mean.
fast_p
    ``fast_p = #{i : correct_i and speedup_i > p} / N`` over ALL ``N`` problems (KernelBench's definition). The
    comparison is strict: a speedup exactly equal to ``p`` does not count. In scores: ``mean(score > p)``.
    ``fast_0`` is therefore the share of problems with a correct kernel.
geometric-mean speedup
    ``exp(mean(log speedup_i))`` over the problems with a correct, timed kernel only; ``None`` when there is none.
rates (over evaluations, not problems)
    Only kernel verdicts count (``infra_error`` and ``no_device`` say nothing about the kernel and are left out).
    ``compile_rate = 1 - #compile_error / #verdicts``; ``correct_rate = #correct / #verdicts``.
pass@k (unbiased, Chen et al. 2021)
    For a problem with ``n`` samples of which ``c`` are correct: ``pass@k = 1 - C(n-c, k) / C(n, k)``
    (``= 1`` when ``n - c < k``), computed as ``1 - prod_{i=n-c+1..n} (1 - k/i)``; averaged over problems.
best-so-far
    For one problem's evaluations in order, with a cumulative cost ``x_j`` (evaluation count, LLM calls, tokens, cost
    or wall time) and score ``s_j``: ``best(B) = max{s_j : x_j <= B}`` (``0`` when nothing fits in ``B``).
    Aggregated curves evaluate a metric (e.g. fast_p) of the per-problem ``best(B)`` at each budget ``B``.
bootstrap confidence interval
    Percentile bootstrap: problems (and seeds, when there are several) are resampled with replacement, independently;
    the statistic is recomputed on each resample and the ``(1-c)/2`` and ``(1+c)/2`` quantiles are the interval.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

UNTIMED = float(np.nextafter(0.0, 1.0))   # score of a correct kernel whose speedup was not measured
DEFAULT_PS = (0.0, 0.5, 1.0, 1.5, 2.0)
VERDICT_EXCLUDED = ("infra_error", "no_device")


# ---------------------------------------------------------------- per-problem scores
def score_of(correct: bool, speedup: float | None) -> float:
    """The score of one evaluation: its speedup when correct (UNTIMED when correct but not timed), else 0."""
    if not correct:
        return 0.0
    if speedup is None or not math.isfinite(speedup) or speedup <= 0:
        return UNTIMED
    return float(speedup)


def _scores(scores: Iterable[float]) -> np.ndarray:
    a = np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=float)
    if np.isnan(a).any() or (a < 0).any():
        raise ValueError("scores must be non-negative numbers (0 for a problem without a correct kernel)")
    return a


def fast_p(scores: Iterable[float], p: float) -> float:
    """Share of all problems whose best correct speedup is strictly greater than ``p``; 0.0 for no problems."""
    a = _scores(scores)
    if a.size == 0:
        return 0.0
    return float(np.mean(a > p))


def fast_ps(scores: Iterable[float], ps: Sequence[float] = DEFAULT_PS) -> dict[float, float]:
    """fast_p for each p in ``ps``: ``{p: share}``."""
    a = _scores(scores)
    return {float(p): fast_p(a, p) for p in ps}


def geomean_speedup(scores: Iterable[float]) -> float | None:
    """Geometric mean of the speedups of problems with a correct, timed kernel; None when there is none."""
    a = _scores(scores)
    timed = a[a > UNTIMED]
    if timed.size == 0:
        return None
    return float(np.exp(np.mean(np.log(timed))))


def rates(statuses: Iterable[str]) -> dict[str, float | int | None]:
    """Compile and correctness rates over evaluations (see the module docstring); None when there is no verdict."""
    st = [str(s) for s in statuses]
    verdicts = [s for s in st if s not in VERDICT_EXCLUDED]
    n = len(verdicts)
    return {
        "evaluations": len(st),
        "verdicts": n,
        "compile_rate": None if n == 0 else 1.0 - verdicts.count("compile_error") / n,
        "correct_rate": None if n == 0 else verdicts.count("correct") / n,
    }


# ---------------------------------------------------------------- pass@k
def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem: n samples, c of them correct (1 - C(n-c, k)/C(n, k))."""
    if n < 0 or c < 0 or c > n:
        raise ValueError(f"need 0 <= c <= n (got n={n}, c={c})")
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem (got {n})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass_at_k(samples: Iterable[tuple[int, int]], k: int) -> float | None:
    """pass@k averaged over problems, each given as (n, c); None for no problems."""
    vals = [pass_at_k(n, c, k) for n, c in samples]
    return float(np.mean(vals)) if vals else None


# ---------------------------------------------------------------- best-so-far curves
def best_so_far(scores: Sequence[float]) -> np.ndarray:
    """Running maximum of one problem's evaluation scores, in evaluation order."""
    a = _scores(scores)
    return np.maximum.accumulate(a) if a.size else a


def best_at(costs: Sequence[float], scores: Sequence[float], budgets: Sequence[float]) -> np.ndarray:
    """best(B) = max score among evaluations whose cumulative cost is <= B, for each budget B (0 when none fits).

    ``costs`` is the cumulative cost at each evaluation (any order; ties allowed)."""
    x = np.asarray(costs, dtype=float)
    s = _scores(scores)
    b = np.asarray(budgets, dtype=float)
    if x.shape != s.shape:
        raise ValueError("costs and scores must have the same length")
    if x.size == 0:
        return np.zeros(b.shape)
    order = np.argsort(x, kind="stable")
    x, run = x[order], np.maximum.accumulate(s[order])
    idx = np.searchsorted(x, b, side="right") - 1
    return np.where(idx >= 0, run[np.clip(idx, 0, None)], 0.0)


def budget_grid(costs: Iterable[float], max_points: int = 200, integer: bool = False) -> np.ndarray:
    """Budgets to draw a curve at: 0 and every distinct cost, thinned to about ``max_points`` (endpoints kept)."""
    x = np.unique(np.concatenate([[0.0], np.asarray(list(costs), dtype=float)]))
    x = x[np.isfinite(x)]
    if x.size > max_points:
        if integer:
            x = np.unique(np.round(np.linspace(x[0], x[-1], max_points)))
        else:
            x = np.unique(np.concatenate([np.linspace(x[0], x[-1], max_points), [x[-1]]]))
    return x


def score_cube(cells: Mapping[tuple, tuple[Sequence[float], Sequence[float]]], problems: Sequence, seeds: Sequence,
               budgets: Sequence[float]) -> np.ndarray:
    """Best-so-far scores as an array [seed, problem, budget].

    ``cells[(problem, seed)] = (costs, scores)``; a (problem, seed) without evaluations scores 0 at every budget
    (it counts as a failure, never as missing)."""
    out = np.zeros((len(seeds), len(problems), len(budgets)))
    for i, seed in enumerate(seeds):
        for j, prob in enumerate(problems):
            cell = cells.get((prob, seed))
            if cell is not None:
                out[i, j] = best_at(cell[0], cell[1], budgets)
    return out


def fast_p_curve(cube: np.ndarray, p: float) -> np.ndarray:
    """fast_p at each budget of a [seed, problem, budget] cube: mean over seeds of fast_p over problems."""
    cube = _as_cube(cube)
    if cube.shape[0] == 0 or cube.shape[1] == 0:
        return np.zeros(cube.shape[2:])
    return np.mean(cube > p, axis=(0, 1))


# ---------------------------------------------------------------- bootstrap
def _as_cube(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:          # [problem]
        a = a[None, :]
    return a


def bootstrap_mean_ci(values, *, mask=None, n_boot: int = 2000, confidence: float = 0.95,
                      rng: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the (masked) mean over seeds and problems.

    ``values`` is [problem] or [seed, problem] or [seed, problem, ...]; trailing axes (e.g. budgets) are kept. Problems
    are resampled with replacement, and seeds too when there are several. With ``mask`` the statistic is
    ``sum(mask*values)/sum(mask)`` (resamples where the mask sums to 0 are dropped; NaN when all are).
    Returns (low, high) arrays shaped like the trailing axes (0-d for 1-D/2-D input)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    v = _as_cube(values)
    m = np.ones_like(v) if mask is None else _as_cube(mask).astype(float)
    if m.shape != v.shape:
        raise ValueError("mask must have the shape of values")
    v = np.where(m > 0, v, 0.0)
    S, P = v.shape[:2]
    tail = v.shape[2:]
    if S == 0 or P == 0:
        nan = np.full(tail, np.nan)
        return nan, nan.copy()
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    w_seed = (np.ones((n_boot, S)) if S == 1
              else np.stack([np.bincount(r, minlength=S) for r in gen.integers(0, S, (n_boot, S))]).astype(float))
    w_prob = np.stack([np.bincount(r, minlength=P) for r in gen.integers(0, P, (n_boot, P))]).astype(float)
    flat_v = v.reshape(S, P, -1)
    flat_m = m.reshape(S, P, -1)
    num = np.einsum("bs,spk,bp->bk", w_seed, flat_v * flat_m, w_prob)
    den = np.einsum("bs,spk,bp->bk", w_seed, flat_m, w_prob)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    alpha = (1.0 - confidence) / 2.0
    lo = np.full(stat.shape[1], np.nan)
    hi = np.full(stat.shape[1], np.nan)
    ok = ~np.all(np.isnan(stat), axis=0)
    if ok.any():
        lo[ok] = np.nanquantile(stat[:, ok], alpha, axis=0)
        hi[ok] = np.nanquantile(stat[:, ok], 1.0 - alpha, axis=0)
    return lo.reshape(tail), hi.reshape(tail)


def fast_p_ci(cube, p: float, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval of fast_p (for [problem], [seed, problem] or a [seed, problem, budget] cube)."""
    return bootstrap_mean_ci((_as_cube(cube) > p).astype(float), **kw)


def geomean_ci(scores, **kw) -> tuple[float | None, float | None]:
    """Bootstrap interval of the geometric-mean speedup over correct, timed problems ([problem] or [seed, problem])."""
    a = _as_cube(scores)
    timed = a > UNTIMED
    if not timed.any():
        return None, None
    lo, hi = bootstrap_mean_ci(np.log(np.where(timed, a, 1.0)), mask=timed, **kw)
    return float(np.exp(lo)), float(np.exp(hi))
