"""The Markdown report (report.md): leaderboard, per-run metric and problem tables, and links to the PNG plots."""
from __future__ import annotations

from pathlib import Path

from trace_kernelbench.report.summarize import RunStats
from trace_kernelbench.report.tables import leaderboard_rows, metric_rows, problem_rows, run_title


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_markdown(all_stats: list[RunStats], plots: dict[str, Path], out_dir: Path, n_boot: int) -> Path:
    """Write out_dir/report.md; `plots` maps a caption to a PNG path inside out_dir."""
    parts = ["# Run report", ""]
    parts.append("fast_p is the share of ALL problems (failures count as 0) whose best correct kernel is faster than "
                 "p times the reference (strictly). Intervals are 95% percentile-bootstrap intervals across problems "
                 f"(and seeds), {n_boot} resamples. Runs marked (replay) replayed recorded LLM answers.")
    parts += ["", "## Leaderboard", "", md_table(*leaderboard_rows(all_stats)), ""]
    if plots:
        parts += ["## Plots", ""]
        for caption, path in plots.items():
            rel = Path(path).relative_to(out_dir).as_posix()
            parts += [f"### {caption}", "", f"![{caption}]({rel})", ""]
    for s in all_stats:
        parts += [f"## {s.run.name}", "", run_title(s), "", f"Run directory: `{s.run.path}`", ""]
        for note in s.run.notes:
            parts.append(f"- note: {note}")
        parts += ["", md_table(["metric", "value", "95% CI"], metric_rows(s)), "", md_table(*problem_rows(s)), ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(parts))
    return path
