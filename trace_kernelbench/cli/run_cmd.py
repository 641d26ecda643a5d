"""`trace-kernelbench run CONFIG.yaml [--set key=value ...] [--resume RUN_DIR]`: run an optimizer experiment from a
config (thin wrapper over trace_kernelbench.runner)."""
from __future__ import annotations

import signal


def register(sub) -> None:
    p = sub.add_parser("run", help="run an optimizer experiment from a YAML config",
                       description="Run agents on problems as CONFIG says, writing everything to a run directory "
                                   "(default runs/<name>-<timestamp>/). Run again with the same output_dir, or with "
                                   "--resume RUN_DIR, to continue an interrupted run. Exit 0 when finished, 2 for a "
                                   "bad config, 3 when infrastructure errors stopped episodes, 130 when interrupted.")
    p.add_argument("config", nargs="?", metavar="CONFIG", help="experiment config (YAML); optional with --resume")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set budgets.steps=3 --set problems.ids=[embedded/relu]")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR (its own config unless CONFIG "
                                                       "is given, which must then match it)")
    p.set_defaults(func=run)


def _sigterm_to_interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def run(args) -> int:
    from trace_kernelbench.runner import run_experiment
    # SIGTERM (kill) and SIGINT (Ctrl-C; also when started in the background, where the shell ignores it) both stop
    # the run cleanly at the next step boundary.
    previous = {sig: signal.signal(sig, _sigterm_to_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run_experiment(args.config, args.overrides, args.resume)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
