"""Build a full report from run directories: load, summarise, print rich tables, write PNG plots and report.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from trace_kernelbench import metrics
from trace_kernelbench.errors import UserError
from trace_kernelbench.report.rundir import AXES, Run, load_run
from trace_kernelbench.report.summarize import RunStats, available_axes, fast_p_curves, summarize


@dataclass
class Report:
    stats: list[RunStats]
    out_dir: Path
    markdown: Path
    plots: dict[str, Path] = field(default_factory=dict)


def load_runs(paths: list[str], progress: Callable[[str], None] = lambda _m: None) -> list[Run]:
    runs = []
    for p in paths:
        run = load_run(p)
        progress(f"loaded {p}: {len(run.records)} evaluations, {len(run.problems)} problems, "
                 f"{len(run.seeds)} seed(s)")
        for note in run.notes:
            progress(f"note: {note}")
        runs.append(run)
    names = [r.name for r in runs]
    if len(set(map(str, (r.path.resolve() for r in runs)))) != len(runs):
        raise UserError("the same run directory was given twice")
    if len(set(names)) != len(names):   # keep rows and legends distinguishable
        for r in runs:
            if names.count(r.name) > 1:
                r.name = f"{r.name} ({r.path.name})"
    return runs


def build_report(paths: list[str], out_dir: str | Path, ps=metrics.DEFAULT_PS, n_boot: int = 1000,
                 progress: Callable[[str], None] = lambda _m: None) -> Report:
    try:
        from trace_kernelbench.report import plots
    except ImportError as e:
        raise UserError(f"report plots need matplotlib: pip install 'trace-kernelbench[report]' ({e})") from None
    from trace_kernelbench.report.markdown import write_markdown

    if not ps:
        raise UserError("give at least one p for fast_p")
    runs = load_runs(paths, progress)
    if not any(r.records for r in runs):
        raise UserError("no evaluations in " + ", ".join(paths) + " (nothing to report yet)")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create {out}: {e}") from None
    stats = [summarize(r, ps, n_boot) for r in runs]
    made: dict[str, Path] = {}
    for axis in AXES:
        have = [axis in available_axes(r) for r in runs]
        if not any(have):
            continue
        progress(f"plotting fast_p vs {AXES[axis]}")
        curves = [fast_p_curves(r, axis, ps, n_boot) if h else None for r, h in zip(runs, have)]
        made[f"fast_p vs {AXES[axis]}"] = plots.plot_fast_p_curves(stats, curves, axis, ps, out / f"fastp_{axis}.png")
    progress("plotting per-problem speedups and outcomes")
    made["best speedup per problem"] = plots.plot_speedups(stats, out / "speedups.png")
    made["outcomes by status and guard flag"] = plots.plot_outcomes(stats, out / "outcomes.png")
    md = write_markdown(stats, made, out, n_boot)
    return Report(stats=stats, out_dir=out, markdown=md, plots=made)
