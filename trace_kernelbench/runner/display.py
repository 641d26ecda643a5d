"""What a run shows while it works and when it ends: a live progress bar per (problem, seed) with the best speedup so
far (one plain line per step when the output is not a terminal), and the final results table."""
from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.base import Outcome, StepRecord


STOP_TEXT = {"steps": "done (step budget used)", "target_speedup": "done (target speedup reached)",
             "max_evaluations": "done (evaluation budget used)", "max_tokens": "done (token budget used)",
             "max_wall_s": "done (time budget used)", "interrupted": "interrupted"}


def _speedup(x) -> str:
    return "-" if x is None else f"{x:.2f}x"


class RunDisplay:
    def __init__(self, console: Console, steps: int, replay: bool):
        self.console, self.steps, self.replay = console, steps, replay
        self.live = console.is_terminal
        self._lock = threading.Lock()
        self._tasks: dict[str, int] = {}
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("best {task.fields[best]}"), TextColumn("{task.fields[status]}"),
                                  TimeElapsedColumn(), console=console, transient=False) if self.live else None

    def __enter__(self):
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()

    @staticmethod
    def _key(problem: str, seed: int) -> str:
        return f"{problem} s{seed}"

    def episode_started(self, problem: str, seed: int, done_steps: int) -> None:
        key = self._key(problem, seed)
        with self._lock:
            if self._progress is not None and key not in self._tasks:
                self._tasks[key] = self._progress.add_task(key, total=self.steps, completed=done_steps, best="-",
                                                           status="resumed" if done_steps else "")
            elif self._progress is None:
                self.console.print(f"[{key}] {'resuming after step ' + str(done_steps) if done_steps else 'start'}",
                                   markup=False, highlight=False)

    def step_done(self, problem: str, seed: int, record: StepRecord, best: Outcome | None) -> None:
        key = self._key(problem, seed)
        statuses = ", ".join(o.status for o in record.outcomes)
        shown = _speedup(best.info.get("speedup")) if best is not None else "-"
        with self._lock:
            if self._progress is not None and key in self._tasks:
                self._progress.update(self._tasks[key], completed=record.step, best=shown, status=statuses)
            elif self._progress is None:
                self.console.print(f"[{key}] step {record.step}/{self.steps}: {statuses} | best {shown}",
                                   markup=False, highlight=False)

    def episode_finished(self, problem: str, seed: int, state: dict) -> None:
        key = self._key(problem, seed)
        reason = state.get("stop_reason")
        text = STOP_TEXT.get(reason, reason) if state.get("state") == "done" else state.get("state")
        with self._lock:
            if self._progress is not None and key in self._tasks:
                self._progress.update(self._tasks[key], status=str(text))
            elif self._progress is None:
                self.console.print(f"[{key}] {text}" + (f": {state['error']}" if state.get("error") else ""),
                                   markup=False, highlight=False)

    def results_table(self, summary: dict) -> Table:
        mode = " [REPLAY: recorded transcript, not a live model]" if summary.get("replay") else ""
        title = f"{summary['run']}: {summary['agent']} with {summary['model']}{mode}"
        t = Table(title=title, title_justify="left")
        for col, kw in (("problem", {}), ("best speedup", {"justify": "right"}), ("status", {}),
                        ("evals", {"justify": "right"}), ("episodes", {})):
            t.add_column(col, **kw)
        for pid, p in summary["problems"].items():
            states = sorted({str(s.get("state")) for s in p["seeds"].values()})
            t.add_row(pid, _speedup(p["best_speedup"]), str(p["best_status"] or "-"), str(p["evaluations"]),
                      ", ".join(states))
        tot = summary["totals"]
        cost = "" if tot.get("cost_usd") is None else f", ${tot['cost_usd']:.4f}"
        t.caption = (f"{tot['problems_correct']}/{tot['problems']} problems correct; faster than PyTorch: "
                     f"{tot['fast_1.0']}; {tot['evaluations']} evaluations, {tot['llm_calls']} LLM calls, "
                     f"{tot['tokens']} tokens{cost}")
        return t
