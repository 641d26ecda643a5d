"""Metrics against hand-computed cases: fast_p (strict ties, failures, empty runs), geomean, rates, pass@k edge
cases, best-so-far curves by budget, and bootstrap intervals."""
from __future__ import annotations

import math

import numpy as np
import pytest

from trace_kernelbench import metrics as m


# ---------------------------------------------------------------- fast_p
def test_fast_p_counts_all_problems_and_failures_as_zero():
    # 5 problems: speedups 0.4, 1.2, 2.5 (correct), two failures (score 0)
    scores = [0.4, 1.2, 2.5, 0.0, 0.0]
    assert m.fast_p(scores, 0.0) == pytest.approx(3 / 5)
    assert m.fast_p(scores, 0.5) == pytest.approx(2 / 5)
    assert m.fast_p(scores, 1.0) == pytest.approx(2 / 5)
    assert m.fast_p(scores, 2.0) == pytest.approx(1 / 5)
    assert m.fast_p(scores, 3.0) == 0.0


def test_fast_p_tie_at_p_does_not_count():
    scores = [1.0, 1.5, 2.0, 2.0001]
    assert m.fast_p(scores, 1.0) == pytest.approx(3 / 4)     # 1.0 is not > 1.0
    assert m.fast_p(scores, 1.5) == pytest.approx(2 / 4)
    assert m.fast_p(scores, 2.0) == pytest.approx(1 / 4)     # only 2.0001


def test_fast_ps_for_any_list_of_p():
    got = m.fast_ps([0.9, 3.0], ps=[0.25, 0.9, 2.9, 10])
    assert got == {0.25: 1.0, 0.9: 0.5, 2.9: 0.5, 10.0: 0.0}


def test_empty_run():
    assert m.fast_p([], 1.0) == 0.0
    assert m.geomean_speedup([]) is None
    assert m.rates([]) == {"evaluations": 0, "verdicts": 0, "compile_rate": None, "correct_rate": None}
    assert m.mean_pass_at_k([], 1) is None
    lo, hi = m.fast_p_ci(np.zeros((1, 0)), 1.0)
    assert np.isnan(lo) and np.isnan(hi)


def test_score_of_and_untimed_correct_kernels():
    assert m.score_of(False, 3.0) == 0.0
    assert m.score_of(True, 1.7) == 1.7
    untimed = m.score_of(True, None)
    assert untimed == m.UNTIMED and untimed > 0
    scores = [untimed, 2.0, 0.0]
    assert m.fast_p(scores, 0.0) == pytest.approx(2 / 3)     # correct without timing counts as correct
    assert m.fast_p(scores, 0.5) == pytest.approx(1 / 3)     # ... but is faster than nothing
    assert m.geomean_speedup(scores) == pytest.approx(2.0)    # and stays out of the geomean


def test_bad_scores_are_rejected():
    with pytest.raises(ValueError):
        m.fast_p([1.0, -0.5], 1.0)
    with pytest.raises(ValueError):
        m.fast_p([float("nan")], 1.0)


# ---------------------------------------------------------------- geomean and rates
def test_geomean_over_correct_problems_only():
    assert m.geomean_speedup([2.0, 8.0, 0.0, 0.0]) == pytest.approx(4.0)      # sqrt(2*8)
    assert m.geomean_speedup([0.5, 2.0]) == pytest.approx(1.0)
    assert m.geomean_speedup([0.0, 0.0]) is None


def test_rates_leave_out_infra_errors():
    st = ["correct", "incorrect", "compile_error", "compile_error", "infra_error", "no_device", "rejected", "correct"]
    r = m.rates(st)
    # 6 verdicts: 2 compile errors, 2 correct
    assert r["evaluations"] == 8 and r["verdicts"] == 6
    assert r["compile_rate"] == pytest.approx(4 / 6)
    assert r["correct_rate"] == pytest.approx(2 / 6)


# ---------------------------------------------------------------- pass@k
def test_pass_at_k_hand_computed():
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10
    assert m.pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # k=1 is the plain success rate
    assert m.pass_at_k(10, 3, 1) == pytest.approx(0.3)
    # n=4, c=1, k=3: 1 - C(3,3)/C(4,3) = 1 - 1/4
    assert m.pass_at_k(4, 1, 3) == pytest.approx(0.75)
    assert m.pass_at_k(5, 2, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(5, 2))


def test_pass_at_k_edges():
    assert m.pass_at_k(5, 0, 3) == 0.0          # nothing correct
    assert m.pass_at_k(5, 5, 1) == 1.0          # everything correct
    assert m.pass_at_k(5, 3, 3) == 1.0          # n - c < k: any k samples include a correct one
    assert m.pass_at_k(3, 1, 3) == 1.0          # k = n with one correct
    assert m.pass_at_k(3, 0, 3) == 0.0
    with pytest.raises(ValueError):
        m.pass_at_k(3, 1, 4)                    # k > n
    with pytest.raises(ValueError):
        m.pass_at_k(3, 1, 0)
    with pytest.raises(ValueError):
        m.pass_at_k(3, 4, 1)                    # c > n
    assert m.mean_pass_at_k([(5, 2), (10, 3)], 1) == pytest.approx((0.4 + 0.3) / 2)


# ---------------------------------------------------------------- best-so-far curves
def test_best_so_far_and_best_at_budget():
    scores = [0.0, 1.2, 0.7, 3.0, 0.0]
    assert m.best_so_far(scores).tolist() == [0.0, 1.2, 1.2, 3.0, 3.0]
    # cumulative tokens 100, 250, 400, 900, 1000
    costs = [100, 250, 400, 900, 1000]
    got = m.best_at(costs, scores, [0, 99, 100, 300, 899, 900, 5000])
    assert got.tolist() == [0.0, 0.0, 0.0, 1.2, 1.2, 3.0, 3.0]
    assert m.best_at([], [], [1, 2]).tolist() == [0.0, 0.0]


def test_aggregated_curve_with_missing_cells_counts_failures():
    # two problems, one seed; problem "b" never evaluated
    cells = {("a", 0): ([1, 2, 3], [0.0, 1.5, 0.9])}
    cube = m.score_cube(cells, ["a", "b"], [0], [0, 1, 2, 3])
    assert cube.shape == (1, 2, 4)
    assert m.fast_p_curve(cube, 1.0).tolist() == [0.0, 0.0, 0.5, 0.5]
    assert m.fast_p_curve(cube, 0.0).tolist() == [0.0, 0.0, 0.5, 0.5]


def test_curve_mean_over_seeds():
    # seed 0 solves both problems at budget 2; seed 1 solves one at budget 1
    cells = {("a", 0): ([1, 2], [0.0, 2.0]), ("b", 0): ([1, 2], [0.0, 1.1]),
             ("a", 1): ([1, 2], [1.3, 1.3]), ("b", 1): ([1, 2], [0.0, 0.0])}
    cube = m.score_cube(cells, ["a", "b"], [0, 1], [1, 2])
    # budget 1: seed0 0/2, seed1 1/2 -> 0.25; budget 2: seed0 2/2, seed1 1/2 -> 0.75
    assert m.fast_p_curve(cube, 1.0).tolist() == [0.25, 0.75]


def test_budget_grid():
    assert m.budget_grid([3, 1, 2, 2]).tolist() == [0.0, 1.0, 2.0, 3.0]
    g = m.budget_grid(range(1, 1001), max_points=50, integer=True)
    assert g[0] == 0 and g[-1] == 1000 and len(g) <= 50 and np.all(g == np.round(g))


# ---------------------------------------------------------------- bootstrap
def test_bootstrap_ci_contains_point_estimate():
    rng = np.random.default_rng(1)
    scores = np.where(rng.random(40) < 0.6, rng.uniform(0.3, 3.0, 40), 0.0)
    for p in (0.0, 0.5, 1.0, 1.5):
        point = m.fast_p(scores, p)
        lo, hi = m.fast_p_ci(scores, p, n_boot=2000)
        assert lo <= point <= hi and hi - lo > 0
    g = m.geomean_speedup(scores)
    g_lo, g_hi = m.geomean_ci(scores, n_boot=2000)
    assert g_lo <= g <= g_hi


def test_bootstrap_degenerate_and_seeds():
    lo, hi = m.fast_p_ci([2.0, 2.0, 2.0], 1.0)
    assert (lo, hi) == (1.0, 1.0)                    # every resample is 3/3
    # seeds x problems: resampling seeds too widens nothing when seeds agree, and keeps the point inside otherwise
    cube = np.array([[2.0, 0.0, 1.5, 0.0], [2.0, 2.0, 0.0, 0.0], [0.0, 2.0, 1.2, 3.0]])
    point = float(np.mean(cube > 1.0))
    lo, hi = m.fast_p_ci(cube, 1.0, n_boot=3000)
    assert lo <= point <= hi
    # per-budget intervals keep the budget axis
    lo, hi = m.fast_p_ci(np.stack([cube, cube], axis=-1), 1.0, n_boot=500)
    assert lo.shape == (2,) and hi.shape == (2,)


def test_bootstrap_is_reproducible_with_a_seed():
    s = [0.0, 1.2, 2.2, 0.7, 1.9]
    assert m.fast_p_ci(s, 1.0, rng=7) == m.fast_p_ci(s, 1.0, rng=7)
