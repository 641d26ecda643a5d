"""Reports over run directories: loading (`rundir`), per-run numbers (`summarize`), tables (`tables`, rich and
Markdown rows), PNG plots (`plots`), report.md (`markdown`), and the whole pipeline (`build.build_report`)."""
from trace_kernelbench.report.build import Report, build_report, load_runs
from trace_kernelbench.report.rundir import Run, load_run

__all__ = ["Report", "Run", "build_report", "load_run", "load_runs"]
