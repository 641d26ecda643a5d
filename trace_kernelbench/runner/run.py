"""Running an experiment: prepare (config, resume checks, run directory), then one episode per (problem, seed) on a
pool of threads sharing one gated evaluator, live progress, a summary after every episode, and the final table.

Interrupting (Ctrl-C, SIGTERM) stops at the next step boundary, writes the summary (finished: false) and exits 130;
a SIGKILL loses at most the evaluation in flight. Running again with the same output directory (or ``--resume DIR``)
continues where it stopped.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from trace_kernelbench.errors import UserError
from trace_kernelbench.runner import config as cfgmod
from trace_kernelbench.runner.plan import REDACTED, RunPlan, resolve
from trace_kernelbench.runner.rundir import RunDir, utc_now

EXIT_OK, EXIT_USER, EXIT_INFRA, EXIT_INTERRUPTED = 0, 2, 3, 130
INTERRUPT_GRACE_S = 10.0    # how long an interrupted run waits for its episodes to record how they stopped


@dataclass
class Prepared:
    plan: RunPlan
    resumed: bool


def prepare(config_path: str | None, overrides: list[str], resume_dir: str | None) -> Prepared:
    """Config file (or the resumed run's own config) + overrides -> a RunPlan; checks a resume is consistent."""
    if config_path is None and resume_dir is None:
        raise UserError("give a CONFIG file (or --resume RUN_DIR)")
    saved = None
    if resume_dir is not None:
        if not RunDir.is_run_dir(Path(resume_dir)):
            raise UserError(f"--resume {resume_dir}: not a run directory (no config.yaml)")
        saved = RunDir.read_config(Path(resume_dir))
    if config_path is not None:
        base = cfgmod.read_yaml(config_path)
    else:
        base = dict(saved)
        if (base.get("llm") or {}).get("api_key") == REDACTED:
            base["llm"] = {**base["llm"], "api_key": None}
    if resume_dir is not None:
        overrides = [*overrides, f"output_dir={resume_dir}"]
    cfg = cfgmod.merge_and_validate(cfgmod.apply_overrides(base, overrides))
    if cfg["output_dir"] and saved is None and RunDir.is_run_dir(Path(cfg["output_dir"])):
        saved = RunDir.read_config(Path(cfg["output_dir"]))
    if saved is not None and config_path is None:
        cfg["name"] = cfg["name"] or saved.get("name")
    plan = resolve(cfg, config_path)
    if saved is not None:
        diff = cfgmod.first_difference(saved, plan.config)
        if diff:
            key, old, new = diff
            raise UserError(f"cannot resume {plan.run_dir}: config key '{key}' was {old!r} there and is {new!r} "
                            f"now (resume with the same config, or choose another output_dir)")
    elif plan.run_dir.exists() and any(plan.run_dir.iterdir()):
        raise UserError(f"output_dir {plan.run_dir} exists and is not a run directory (no config.yaml)")
    return Prepared(plan, resumed=saved is not None)


class Experiment:
    def __init__(self, plan: RunPlan, console: Console):
        self.plan, self.console = plan, console
        c = plan.config
        self.rundir = RunDir(plan.run_dir)
        self.meta = {"run": c["name"], "agent": c["agent"]["name"], "model": plan.model, "llm_kind": plan.llm_kind,
                     "replay": plan.replay, "backend": c["backend"], "run_dir": str(plan.run_dir),
                     "started": utc_now(), "sizes": {}}
        if plan.replay:
            self.meta["replay_note"] = ("LLM answers were played back from a recorded transcript "
                                        f"({Path(plan.llm['transcript']).name}); no live model was called")
        self.stop = threading.Event()
        self.states: dict[str, dict] = {}
        self.user_errors: list[str] = []
        self._summary_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------------ pieces
    def budget(self):
        from agents.budget import Budget
        b = self.plan.config["budgets"]
        return Budget(steps=b["steps"], proposals_per_step=b["proposals_per_step"],
                      max_evaluations=b["max_evaluations"], max_tokens=b["max_tokens"], max_wall_s=b["max_wall_s"])

    def make_env(self, problem, evaluator):
        from trace_kernelbench.env import KernelEnv
        c, ev = self.plan.config, self.plan.config["evaluator"]
        return KernelEnv(problem, evaluator, backend=c["backend"], device=ev["device"], size=ev["size"],
                         reward=c["reward"], max_steps=c["budgets"]["steps"],
                         target_speedup=c["budgets"]["target_speedup"], infra_retries=ev["infra_retries"],
                         request_options={"correct_trials": ev["correct_trials"], "precision": ev["precision"],
                                          "baseline": ev["baseline"], "guard_policy": ev["guard_policy"],
                                          "build_timeout_s": ev["build_timeout_s"],
                                          "run_timeout_s": ev["run_timeout_s"]},
                         prompt_style=c["prompt"]["style"], gpu=c["prompt"]["gpu"],
                         kernelbench_dir=c["problems"]["kernelbench_dir"])

    def make_agent(self, seed: int):
        from agents import make_agent
        from agents.llm import make_llm
        log = self.rundir.llm_calls.append
        llm = make_llm(self.plan.llm, self.plan.config["backend"], seed=seed,
                       call_log=lambda call: log({"run": self.meta["run"], "time": utc_now(), **call}))
        agent_cfg = self.plan.config["agent"]
        return make_agent(agent_cfg["name"], llm, **agent_cfg["settings"])

    def write_summary(self) -> dict:
        c = self.plan.config
        with self._summary_lock:
            finished = len(self.states) == len(self.plan.episodes) and all(
                s.get("state") == "done" for s in self.states.values())
            meta = {k: v for k, v in self.meta.items() if k != "sizes"}
            return self.rundir.write_summary(meta, c["problems"]["ids"], c["seeds"], self.states, finished)

    # ------------------------------------------------------------------------------------------------ episodes
    def run_episode(self, problem, seed: int, evaluator, display) -> None:
        from agents.llm.base import LLMError
        from agents.loop import run_episode
        from trace_kernelbench.env import EvaluatorUnavailable
        from trace_kernelbench.runner.episode_log import RunEpisodeLog

        key = f"{problem.id}|{seed}"
        env = None
        try:
            env = self.make_env(problem, evaluator)
            self.meta["sizes"][problem.id] = env.size
            agent = self.make_agent(seed)
            log = RunEpisodeLog(self.rundir, self.meta, problem.id, seed, stop=self.stop, progress=display.step_done)
            display.episode_started(problem.id, seed, len(log.completed()))
            result = run_episode(agent, env, self.budget(), seed=seed, log=log)
            state = {"state": "interrupted" if result.stop_reason == "interrupted" else "done",
                     "stop_reason": result.stop_reason, "steps": len(result.steps),
                     "best_speedup": result.best_speedup}
        except (EvaluatorUnavailable, LLMError) as e:
            kind = "llm" if isinstance(e, LLMError) else "evaluator"
            if self.stop.is_set():          # the run is being interrupted and its evaluator closed: not an error
                state = {"state": "interrupted"}
            else:
                self.rundir.errors.append({"run": self.meta["run"], "problem": problem.id, "seed": seed,
                                           "kind": kind, "error": str(e), "time": utc_now()})
                state = {"state": "error", "error": f"{kind}: {e}"}
        except UserError as e:
            self.user_errors.append(str(e))
            state = {"state": "error", "error": str(e)}
            self.stop.set()
        except Exception as e:  # noqa: BLE001 - a bug in one episode must not lose the others' work
            self.rundir.errors.append({"run": self.meta["run"], "problem": problem.id, "seed": seed,
                                       "kind": "internal", "error": f"{type(e).__name__}: {e}",
                                       "traceback": traceback.format_exc()[-4000:], "time": utc_now()})
            state = {"state": "error", "error": f"internal error: {type(e).__name__}: {e}"}
        finally:
            if env is not None:
                env.close()
        if self.stop.is_set() and state.get("state") == "done" and state.get("stop_reason") == "interrupted":
            state["state"] = "interrupted"
        self.states[key] = state
        display.episode_finished(problem.id, seed, state)
        self.write_summary()

    def run(self) -> int:
        from trace_kernelbench.evaluators import make_evaluator
        from trace_kernelbench.runner.display import RunDisplay
        from trace_kernelbench.runner.gate import GatedEvaluator

        c = self.plan.config
        self.rundir.write_config(c)
        self.write_summary()
        ev_cfg = c["evaluator"]
        evaluator = GatedEvaluator(make_evaluator(ev_cfg["name"], **ev_cfg["options"]))
        self._print_header()
        work: queue.Queue = queue.Queue()
        for ep in self.plan.episodes:
            work.put(ep)
        display = RunDisplay(self.console, c["budgets"]["steps"], self.plan.replay)

        def worker():
            while not self.stop.is_set():
                try:
                    problem, seed = work.get_nowait()
                except queue.Empty:
                    return
                self.run_episode(problem, seed, evaluator, display)

        threads = [threading.Thread(target=worker, daemon=True, name=f"episode-{i}")
                   for i in range(min(c["concurrency"], len(self.plan.episodes)))]
        interrupted = False
        try:
            with display:
                for t in threads:
                    t.start()
                for t in threads:
                    while t.is_alive():
                        t.join(timeout=0.2)
        except KeyboardInterrupt:
            interrupted = True
            self.stop.set()
            self.console.print("interrupted: stopping; the run directory keeps everything done so far",
                               markup=False, highlight=False)
        finally:
            evaluator.close()
        deadline = time.monotonic() + INTERRUPT_GRACE_S
        for t in threads:                   # episodes end at once once the evaluator is closed
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        summary = self.write_summary()
        if not any(t.is_alive() for t in threads):
            self.rundir.close()
        self.console.print(display.results_table(summary))
        self.console.print(f"run directory: {self.plan.run_dir}", markup=False, highlight=False)
        if self.user_errors:
            raise UserError(self.user_errors[0])
        if interrupted or not summary["finished"]:
            resume = f"trace-kernelbench run --resume {self.plan.run_dir}"
            errors = [s for s in self.states.values() if s.get("state") == "error"]
            if errors and not interrupted:
                self.console.print(f"{len(errors)} episode(s) stopped by errors (see errors.jsonl); to retry them: "
                                   f"{resume}", markup=False, highlight=False)
                return EXIT_INFRA
            self.console.print(f"not finished; to continue: {resume}", markup=False, highlight=False)
            return EXIT_INTERRUPTED
        return EXIT_OK

    def _print_header(self) -> None:
        c, p = self.plan.config, self.plan
        llm = (f"REPLAY of {Path(p.llm['transcript']).name} (recorded transcript, offline; not a live model)"
               if p.replay else f"{p.model} at {p.llm.get('base_url') or 'the OpenAI API / $OPENAI_BASE_URL'}")
        self.console.print(f"run {c['name']}: agent {c['agent']['name']}, LLM {llm}, backend {c['backend']}, "
                           f"evaluator {c['evaluator']['name']}, {len(p.problems)} problem(s) x "
                           f"{len(c['seeds'])} seed(s) x {c['budgets']['steps']} step(s) -> {p.run_dir}",
                           markup=False, highlight=False)


def preflight(plan: RunPlan) -> None:
    """Build one LLM client and agent before anything is written: a bad agent setting or a missing API key fails
    here, as one line, instead of leaving a half-made run directory."""
    from agents import make_agent
    from agents.llm import make_llm
    llm = make_llm(plan.llm, plan.config["backend"], seed=plan.config["seeds"][0])
    make_agent(plan.config["agent"]["name"], llm, **plan.config["agent"]["settings"])


def run_experiment(config_path: str | None, overrides: list[str] | None = None, resume_dir: str | None = None,
                   console: Console | None = None) -> int:
    prepared = prepare(config_path, list(overrides or []), resume_dir)
    preflight(prepared.plan)
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    if prepared.resumed:
        console.print(f"resuming {prepared.plan.run_dir}", markup=False, highlight=False)
    return Experiment(prepared.plan, console).run()
