"""The experiment runner behind ``trace-kernelbench run CONFIG.yaml``: validated configs (`config`), what they
resolve to (`plan`), the run directory format (`rundir`, `episode_log`), the shared evaluator gate (`gate`), live
progress and the results table (`display`), and the orchestration with interrupt and resume (`run`)."""
from trace_kernelbench.runner.run import run_experiment

__all__ = ["run_experiment"]
