"""PNG plots of one or more runs (matplotlib, Agg backend): fast_p against a budget with bootstrap bands, best speedup
per problem, and the outcome breakdown by status and guard flag. Each function writes one file and returns its path."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from trace_kernelbench.report.rundir import AXES  # noqa: E402
from trace_kernelbench.report.summarize import Curve, RunStats  # noqa: E402
from trace_kernelbench.report.tables import model_label, p_label  # noqa: E402

STATUS_COLORS = {
    "correct": "#2ca02c", "incorrect": "#d62728", "runtime_error": "#ff7f0e", "timeout": "#9467bd",
    "rejected": "#8c564b", "compile_error": "#7f7f7f", "no_device": "#bcbd22", "infra_error": "#17becf",
}
DPI = 110


def run_color(i: int):
    return plt.get_cmap("tab10")(i % 10)


def run_legend_label(stats: RunStats) -> str:
    return f"{stats.run.name}\n{stats.run.agent}, {model_label(stats)}"


def plot_fast_p_curves(all_stats: list[RunStats], curves: list[Curve | None], axis: str, ps, path: Path,
                       confidence: float = 0.95) -> Path:
    """One panel per p: fast_p (% of all problems) against the budget on `axis`, a band per run; legend panel last."""
    n = len(ps) + 1
    cols = 3 if n > 4 else 2
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False, layout="constrained")
    flat = axes.ravel()
    handles = []
    for k, p in enumerate(ps):
        ax = flat[k]
        for i, (stats, curve) in enumerate(zip(all_stats, curves)):
            if curve is None:
                continue
            c = run_color(i)
            x = curve.budgets
            ax.fill_between(x, 100 * curve.lo[p], 100 * curve.hi[p], step="post", color=c, alpha=0.18, linewidth=0)
            (line,) = ax.step(x, 100 * curve.mean[p], where="post", color=c, linewidth=1.8)
            # the run's final budget: a dot with its interval (a step band has no width there)
            last, lo, hi = 100 * curve.mean[p][-1], 100 * curve.lo[p][-1], 100 * curve.hi[p][-1]
            ax.errorbar(x[-1:], [last], yerr=[[max(last - lo, 0)], [max(hi - last, 0)]], fmt="o", markersize=5,
                        color=c, capsize=4, elinewidth=1.2)
            if k == 0:
                handles.append((line, run_legend_label(stats)))
        ax.set_title(f"{p_label(p)}: correct and speedup > {p:g}x" if p > 0 else "fast_0: correct (any speedup)",
                     fontsize=10)
        ax.set_xlabel(AXES[axis])
        ax.set_ylabel("problems (% of all)")
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
        if axis in ("evaluations", "llm_calls"):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if axis == "tokens":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
    legend_ax = flat[len(ps)]
    legend_ax.axis("off")
    band = Patch(color="grey", alpha=0.25)
    legend_ax.legend([h for h, _ in handles] + [band],
                     [lbl for _, lbl in handles] + [f"{100 * confidence:g}% bootstrap CI (across problems/seeds)"],
                     loc="center", fontsize=9, frameon=False, title="runs", title_fontsize=10)
    for ax in flat[len(ps) + 1:]:
        ax.axis("off")
    fig.suptitle(f"fast_p vs budget ({AXES[axis]}), best-so-far", fontsize=12)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _speedup_ticks(lo: float, hi: float) -> list[float]:
    nice = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]
    return [v for v in nice if lo <= v <= hi]


def plot_speedups(all_stats: list[RunStats], path: Path) -> Path:
    """Horizontal bars: best correct speedup per problem (log scale, 1x line); an x marks a problem never solved."""
    problems: list[str] = []
    for s in all_stats:
        for r in s.rows:
            if r.problem not in problems:
                problems.append(r.problem)
    R, P = len(all_stats), len(problems)
    values = [{r.problem: r.best_speedup for r in s.rows} for s in all_stats]
    found = [v for vals in values for v in vals.values() if v]
    lo = min([*found, 1.0]) / 2.0
    hi = max([*found, 1.0]) * 2.5
    height = 0.8 / max(R, 1)
    fig_h = max(2.5, 0.3 * P * max(1.0, 0.6 * R) + 1.2) + 0.35 * (R + 2)
    fig, ax = plt.subplots(figsize=(10, fig_h), layout="constrained")
    label_values = P * R <= 80
    for i, (s, vals) in enumerate(zip(all_stats, values)):
        c = run_color(i)
        for j, prob in enumerate(problems):
            if prob not in vals:          # not one of this run's problems: nothing to draw
                continue
            y = j + (i - (R - 1) / 2) * height
            v = vals.get(prob)
            if v:
                ax.barh(y, v - lo, left=lo, height=height * 0.9, color=c)
                if label_values:
                    ax.text(v * 1.06, y, f"{v:.2f}x", va="center", ha="left", fontsize=7,
                            bbox=dict(facecolor="white", edgecolor="none", pad=0.6), zorder=4)
            else:
                ax.plot([lo * 1.1], [y], marker="x", color=c, markersize=7, markeredgewidth=2, linestyle="none")
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(_speedup_ticks(lo, hi)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(P))
    ax.set_yticklabels(problems, fontsize=8)
    ax.set_ylim(P - 0.5, -0.5)
    ax.set_xlabel("best correct speedup over the PyTorch reference (x, log scale)")
    ax.set_ylabel("problem")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=run_color(i), label=run_legend_label(s).replace("\n", ": "))
               for i, s in enumerate(all_stats)]
    handles += [Line2D([], [], color="black", linestyle="--", label="1x (as fast as the reference)"),
                Line2D([], [], color="grey", marker="x", markeredgewidth=2, linestyle="none",
                       label="no correct kernel")]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, ncol=1, frameon=False)
    ax.set_title("Best speedup per problem (over all evaluations and seeds)")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_outcomes(all_stats: list[RunStats], path: Path) -> Path:
    """Left: share of evaluations by status per run (counts annotated). Right: guard flags raised per run."""
    R = len(all_stats)
    names = [s.run.name for s in all_stats]
    statuses = [st for st in STATUS_COLORS if any(s.status_counts.get(st) for s in all_stats)]
    statuses += sorted({st for s in all_stats for st in s.status_counts} - set(statuses))
    flags = sorted({f for s in all_stats for f in s.flag_counts})
    fig_h = max(3.4, 0.55 * R + 2.4, 0.25 * len(flags) * max(1, R) + 2.4)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, fig_h), width_ratios=[3, 2], layout="constrained")
    for i, s in enumerate(all_stats):
        total = sum(s.status_counts.values()) or 1
        left = 0.0
        for st in statuses:
            n = s.status_counts.get(st, 0)
            if not n:
                continue
            w = 100 * n / total
            ax1.barh(i, w, left=left, color=STATUS_COLORS.get(st, "#cccccc"), height=0.6)
            if w >= 7:
                ax1.text(left + w / 2, i, str(n), ha="center", va="center", fontsize=8, color="white",
                         fontweight="bold")
            left += w
    ax1.set_yticks(range(R))
    ax1.set_yticklabels(names, fontsize=9)
    ax1.set_ylim(R - 0.5, -0.5)
    ax1.set_xlim(0, 100)
    ax1.set_xlabel("evaluations (% of the run; numbers in bars are counts)")
    ax1.set_title("Outcome of every evaluation, by status")
    ax1.legend(handles=[Patch(color=STATUS_COLORS.get(st, "#cccccc"), label=st) for st in statuses],
               loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(4, max(1, len(statuses))), fontsize=8,
               frameon=False)
    if flags:
        height = 0.8 / max(R, 1)
        for i, s in enumerate(all_stats):
            ys = [j + (i - (R - 1) / 2) * height for j in range(len(flags))]
            ax2.barh(ys, [s.flag_counts.get(f, 0) for f in flags], height=height * 0.9, color=run_color(i),
                     label=s.run.name)
        ax2.set_yticks(range(len(flags)))
        ax2.set_yticklabels(flags, fontsize=8)
        ax2.set_ylim(len(flags) - 0.5, -0.5)
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax2.set_xlabel("evaluations with the flag (count)")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, frameon=False,
                   ncol=min(3, max(1, R)))
    else:
        ax2.set_xticks([])
        ax2.set_yticks([])
        ax2.text(0.5, 0.5, "no guard flags raised\nin any evaluation", ha="center", va="center", fontsize=11,
                 transform=ax2.transAxes, color="#555555")
    ax2.set_title("Guard flags raised (any status)")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
