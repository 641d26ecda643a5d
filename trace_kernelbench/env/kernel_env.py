"""`KernelEnv`: a `gymnasium.Env` in which an agent writes a faster `ModelNew` for one KernelBench-format problem.

- observation: text. After `reset` the prompt (the task, built by the prompt builder); after `step` the feedback.
- action: text. An LLM reply or a code string; the program defining `ModelNew` is extracted from it. Replies with no
  such program, or code that does not parse, fail at once as `compile_error` without starting any process.
- reward: a pluggable function of the result (`trace_kernelbench.env.rewards`); info: the full result contract plus
  `step`, `reward` and the episode's `best_speedup`.
- An episode is truncated after `max_steps` steps and terminates when a correct kernel reaches `target_speedup`.
- `step_many(actions)` is one step that evaluates several candidates concurrently (through `evaluate_many`).
- An `infra_error` (the evaluator failed; never the kernel's fault) is retried `infra_retries` times, then
  `EvaluatorUnavailable` is raised: it is never scored.
"""
from __future__ import annotations

import hashlib
from dataclasses import fields
from typing import Any, Sequence

import gymnasium as gym

from trace_kernelbench.defaults import (DEFAULT_EVALUATOR, DEFAULT_INFRA_RETRIES, DEFAULT_MAX_STEPS, DEFAULT_PROBLEM,
                                        DEFAULT_REWARD, TEXT_MAX_LENGTH)
from trace_kernelbench.env import host
from trace_kernelbench.env.rewards import get_reward
from trace_kernelbench.env.text import printable, text_space
from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.feedback import render_feedback
from trace_kernelbench.evaluation.precheck import precheck
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, Status
from trace_kernelbench.problems import Problem, resolve_problem
from trace_kernelbench.prompts import ExtractionError, build_prompt, extract_code

REPLY_HINT = "Reply with the complete Python file, defining class ModelNew, in one ```python code block."
# EvalRequest fields the env decides itself; every other field may be set through `request_options`.
_ENV_OWNED = {"problem_id", "problem_source", "candidate_source", "device", "size"}
REQUEST_OPTIONS = tuple(f.name for f in fields(EvalRequest) if f.name not in _ENV_OWNED)


class EvaluatorUnavailable(RuntimeError):
    """The evaluator kept failing (infra_error after every retry). Nothing is known about the kernel."""


class KernelEnv(gym.Env):
    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, problem: str | Problem = DEFAULT_PROBLEM, evaluator: Any = DEFAULT_EVALUATOR, *,
                 backend: str = "auto", device: str = "auto", size: str = "auto", reward: Any = DEFAULT_REWARD,
                 max_steps: int = DEFAULT_MAX_STEPS, target_speedup: float | None = None,
                 infra_retries: int = DEFAULT_INFRA_RETRIES, request_options: dict | None = None,
                 evaluator_options: dict | None = None, prompt_style: str = "default", gpu: str | None = None,
                 problem_source: str | None = None, kernelbench_dir: str | None = None,
                 render_mode: str | None = None, max_text_length: int = TEXT_MAX_LENGTH):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"unsupported render_mode '{render_mode}' (choose from ansi)")
        if max_steps < 1:
            raise UserError("max_steps must be at least 1")
        if infra_retries < 0:
            raise UserError("infra_retries must be 0 or more")
        unknown = set(request_options or {}) - set(REQUEST_OPTIONS)
        if unknown:
            raise UserError(f"unknown request option '{sorted(unknown)[0]}' (known: {', '.join(REQUEST_OPTIONS)})")
        self.render_mode = render_mode
        self.max_text_length = max_text_length
        self.observation_space = text_space(max_text_length)
        self.action_space = text_space(max_text_length)
        self.reward_name, self.reward_fn = get_reward(reward)
        self.max_steps = int(max_steps)
        self.target_speedup = target_speedup
        self.infra_retries = int(infra_retries)
        self.request_options = dict(request_options or {})
        self.prompt_style, self.gpu = prompt_style, gpu
        self.problem_source, self.kernelbench_dir = problem_source, kernelbench_dir
        self._requested = {"backend": backend, "device": device, "size": size}
        self._evaluator_spec, self._evaluator_options = evaluator, dict(evaluator_options or {})
        self._evaluator = None if isinstance(evaluator, str) else evaluator
        self._owns_evaluator = isinstance(evaluator, str)
        self.step_count = 0
        self.best_speedup: float | None = None
        self.last_feedback: str | None = None
        self._set_problem(problem)

    # ------------------------------------------------------------------------------------------ configuration
    @property
    def evaluator_is_local(self) -> bool:
        spec = self._evaluator_spec if isinstance(self._evaluator_spec, str) else getattr(self._evaluator, "name", "")
        return str(spec).partition(":")[0] in ("local", "")

    @property
    def evaluator(self):
        """The evaluator, created on first use (garbage actions never need one)."""
        if self._evaluator is None:
            from trace_kernelbench.evaluators import make_evaluator
            self._evaluator = make_evaluator(self._evaluator_spec, **self._evaluator_options)
        return self._evaluator

    def _set_problem(self, problem: str | Problem) -> None:
        if not isinstance(problem, Problem):
            problem = resolve_problem(str(problem), source=self.problem_source, kernelbench_dir=self.kernelbench_dir)
        self.problem = problem
        self.device = host.resolve_device(self._requested["device"], self.evaluator_is_local)
        self.backend = host.resolve_backend(self._requested["backend"], self.device)
        self.size = host.resolve_size(self._requested["size"], self.device, problem)
        precision = self.request_options.get("precision", "fp32")
        self.prompt = printable(build_prompt(problem, backend=self.backend, gpu=self.gpu, style=self.prompt_style,
                                             precision=precision, kernelbench_dir=self.kernelbench_dir),
                                self.max_text_length)

    def describe(self) -> dict:
        """Problem metadata and the resolved settings (the info `reset` returns)."""
        return {"problem": self.problem.summary(), "problem_id": self.problem.id, "backend": self.backend,
                "device": self.device, "size": self.size, "reward_name": self.reward_name,
                "max_steps": self.max_steps, "target_speedup": self.target_speedup, "step": self.step_count}

    # ------------------------------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """options: ``problem`` (switch to another problem), ``steps_taken`` and ``best_speedup`` (continue a resumed
        episode's step budget)."""
        super().reset(seed=seed)
        options = dict(options or {})
        if options.get("problem") is not None:
            self._set_problem(options["problem"])
        self.step_count = int(options.get("steps_taken") or 0)
        self.best_speedup = options.get("best_speedup")
        self.last_feedback = None
        return self.prompt, self.describe()

    def step(self, action: str):
        return self.step_many([action])[0]

    def step_many(self, actions: Sequence[str]) -> list[tuple[str, float, bool, bool, dict]]:
        """One step with several candidates, evaluated concurrently. Returns one gymnasium step tuple per action;
        terminated/truncated are the same for all of them (they describe the episode)."""
        if not actions:
            raise ValueError("step_many needs at least one action")
        results = self.evaluate(actions)
        self.step_count += 1
        rewards = [float(self.reward_fn(r)) for r in results]
        for r in results:
            if r.correct and r.speedup is not None and (self.best_speedup is None or r.speedup > self.best_speedup):
                self.best_speedup = r.speedup
        terminated = any(r.correct and self.target_speedup is not None and r.speedup is not None
                         and r.speedup >= self.target_speedup for r in results)
        truncated = not terminated and self.step_count >= self.max_steps
        out = []
        for r, reward in zip(results, rewards):
            obs = printable(r.feedback or render_feedback(r), self.max_text_length)
            info = r.to_dict()
            info.update(step=self.step_count, reward=reward, best_speedup=self.best_speedup)
            out.append((obs, reward, terminated, truncated, info))
        self.last_feedback = out[-1][0] if len(out) == 1 else "\n\n".join(
            f"--- candidate {i + 1} of {len(out)} ---\n{o[0]}" for i, o in enumerate(out))
        return out

    def render(self):
        if self.render_mode != "ansi":
            return None
        head = f"[{self.problem.id} | {self.backend} | step {self.step_count}/{self.max_steps}"
        head += f" | best {self.best_speedup:.2f}x]" if self.best_speedup is not None else " | no correct kernel yet]"
        return f"{head}\n{self.last_feedback if self.last_feedback is not None else '(no step taken yet)'}\n"

    def close(self):
        if self._owns_evaluator and self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None
        super().close()

    # ------------------------------------------------------------------------------------------ evaluation
    def request_for(self, code: str) -> EvalRequest:
        return EvalRequest.for_problem(self.problem, code, device=self.device, size=self.size, **self.request_options)

    def evaluate(self, actions: Sequence[str]) -> list[EvalResult]:
        """Results for `actions` in order, without counting a step. Garbage fails here at once; the rest goes to the
        evaluator together; infra errors are retried, then raise EvaluatorUnavailable."""
        results: list[EvalResult | None] = []
        pending: dict[int, EvalRequest] = {}
        for i, action in enumerate(actions):
            text = action if isinstance(action, str) else str(action)
            early = self._fast_verdict(text)
            if isinstance(early, EvalResult):
                results.append(early)
            else:
                results.append(None)
                pending[i] = self.request_for(early)
        for attempt in range(self.infra_retries + 1):
            if not pending:
                break
            idx = list(pending)
            batch = self.evaluator.evaluate_many([pending[i] for i in idx])
            for i, r in zip(idx, batch):
                results[i] = r
                if r.status != Status.INFRA_ERROR:
                    del pending[i]
        if pending:
            first = results[next(iter(pending))]
            raise EvaluatorUnavailable(f"{self.problem.id}: the evaluator failed {self.infra_retries + 1} time(s): "
                                       f"{first.error}")
        return results  # type: ignore[return-value]

    def _fast_verdict(self, text: str) -> EvalResult | str:
        """The code to evaluate, or a compile_error verdict reached without any process (no program, bad syntax)."""
        sha = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        try:
            code = extract_code(text)
        except ExtractionError as e:
            return EvalResult(status=Status.COMPILE_ERROR, error=f"{type(e).__name__}: {e}", problem_id=self.problem.id,
                              source_sha256=sha, feedback=f"No program was found in your reply: {e}. {REPLY_HINT}")
        pre = precheck(code)
        if not pre.ok:
            r = EvalResult(status=Status.COMPILE_ERROR, error=pre.error, backend=pre.backend,
                           problem_id=self.problem.id, source_sha256=hashlib.sha256(code.encode()).hexdigest())
            r.feedback = render_feedback(r)
            return r
        return code
