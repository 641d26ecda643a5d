"""Report tables as plain rows (shared by the terminal and Markdown renderers) and their rich renderings: one per-run
table of problems, one per-run metrics table, and the cross-run leaderboard."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text

from trace_kernelbench.report.summarize import RunStats


def fmt_share(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def fmt_ci(ci) -> str:
    lo, hi = ci
    if lo is None or hi is None or lo != lo or hi != hi:
        return ""
    return f"[{100 * lo:.1f}-{100 * hi:.1f}]"


def fmt_speedup(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def fmt_int(x) -> str:
    return "-" if x is None else f"{int(x):,}"


def model_label(stats: RunStats) -> str:
    run = stats.run
    return f"{run.model} (replay)" if run.replay else run.model


def p_label(p: float) -> str:
    return f"fast_{p:g}"


def leaderboard_rows(all_stats: list[RunStats]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the leaderboard, best first (by fast_1, then geomean, then fast_0)."""
    ps = all_stats[0].ps if all_stats else ()
    order = sorted(all_stats, key=lambda s: (-s.fast.get(1.0, 0.0), -(s.geomean or 0.0), -s.fast.get(0.0, 0.0)))
    header = ["#", "run", "agent", "model", "budget", "problems", *[p_label(p) for p in ps], "geomean",
              "evaluations", "tokens"]
    rows = []
    for i, s in enumerate(order, 1):
        run = s.run
        cells = f"{len(run.problems)}" + (f" x {len(run.seeds)} seeds" if len(run.seeds) > 1 else "")
        rows.append([str(i), run.name, run.agent, model_label(s), run.budget_label, cells,
                     *[fmt_share(s.fast[p]) for p in ps], fmt_speedup(s.geomean), fmt_int(s.evaluations),
                     fmt_int(s.tokens)])
    return header, rows


def problem_rows(stats: RunStats) -> tuple[list[str], list[list[str]]]:
    multi = len(stats.run.seeds) > 1
    header = ["problem", "evaluations", "correct", *(["solved seeds"] if multi else []), "best speedup",
              "best status", "first correct at"]
    rows = []
    for r in stats.rows:
        rows.append([r.problem, str(r.evaluations), str(r.correct_evals),
                     *([f"{r.solved_seeds}/{r.seeds}"] if multi else []), fmt_speedup(r.best_speedup), r.best_status,
                     "-" if r.first_correct is None else f"eval {r.first_correct}"])
    return header, rows


def metric_rows(stats: RunStats) -> list[list[str]]:
    """(metric, value, 95% bootstrap interval) rows for one run."""
    rows = [[p_label(p), fmt_share(stats.fast[p]), fmt_ci(stats.fast_ci[p])] for p in stats.ps]
    g_lo, g_hi = stats.geomean_ci
    rows.append(["geomean speedup (correct problems)", fmt_speedup(stats.geomean),
                 "" if g_lo is None else f"[{g_lo:.2f}-{g_hi:.2f}]x"])
    r = stats.rates
    rows += [["compile rate (evaluations)", fmt_share(r["compile_rate"]), ""],
             ["correct rate (evaluations)", fmt_share(r["correct_rate"]), ""],
             ["pass@1 (correct)", fmt_share(stats.pass1), ""],
             ["evaluations", fmt_int(stats.evaluations), ""],
             ["tokens", fmt_int(stats.tokens), ""],
             ["cost", "-" if stats.cost_usd is None else f"${stats.cost_usd:.2f}", ""]]
    return rows


def run_title(stats: RunStats) -> str:
    run = stats.run
    state = {True: "finished", False: "unfinished", None: "no summary.json"}[run.finished]
    return (f"run {run.name}: agent {run.agent}, model {model_label(stats)}, budget {run.budget_label}, "
            f"{len(run.problems)} problems x {len(run.seeds)} seed(s), {state}")


def _rich(header, rows, title=None, right_from: int = 1) -> Table:
    t = Table(title=Text(title) if title else None, title_justify="left")
    for i, h in enumerate(header):
        t.add_column(Text(h), justify="right" if i >= right_from else "left")
    for row in rows:
        t.add_row(*[Text(c) for c in row])
    return t


def rich_run_tables(stats: RunStats) -> list[Table]:
    header, rows = problem_rows(stats)
    metrics_table = _rich(["metric", "value", "95% CI"], metric_rows(stats), right_from=1)
    return [_rich(header, rows, right_from=1), metrics_table]


def rich_leaderboard(all_stats: list[RunStats]) -> Table:
    header, rows = leaderboard_rows(all_stats)
    return _rich(header, rows, title="Leaderboard (fast_p: share of ALL problems correct with speedup > p)",
                 right_from=5)
