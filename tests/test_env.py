"""The Gymnasium environment: registration, check_env, steps on pure-Python candidates at small size (no compiler),
garbage failing fast, infra_error handling, step_many, AsyncVectorEnv, rewards and render."""
from __future__ import annotations

import math
import time

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import trace_kernelbench.env  # noqa: F401 - registers TraceKernelBench-v0
from trace_kernelbench.env import EvaluatorUnavailable, KernelEnv, NotScorable, ProblemSet, get_reward
from trace_kernelbench.env.rewards import log_speedup, shaped, speedup
from trace_kernelbench.evaluation.result import Status, infra_error
from trace_kernelbench.evaluators import Evaluator, make_evaluator

RELU_SLOW = '''import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.stack([torch.clamp(row, min=0) for row in x])
'''
RELU_FAST = RELU_SLOW.replace("torch.stack([torch.clamp(row, min=0) for row in x])", "torch.relu(x)")
RELU_WRONG = RELU_SLOW.replace("torch.stack([torch.clamp(row, min=0) for row in x])", "x.abs()")
REPLY = f"Here is a faster version.\n\n```python\n{RELU_FAST}```\n"
CPU = dict(device="cpu", size="small", backend="cpp")


def opts(**kw) -> dict:
    """Request options for pure-Python candidates: the guard (which rejects programs without a custom kernel) off."""
    return {"guard_policy": "off", **kw}


class CountingEvaluator(Evaluator):
    """Delegates to a real evaluator; counts requests, and answers the first `fail` of them with infra_error."""

    name = "counting"

    def __init__(self, inner: Evaluator, fail: int = 0):
        self.inner, self.fail, self.requests = inner, fail, 0
        self.max_concurrency = inner.max_concurrency

    def evaluate(self, request):
        return self.evaluate_many([request])[0]

    def evaluate_many(self, requests):
        out = []
        for r in requests:
            self.requests += 1
            if self.fail > 0:
                self.fail -= 1
                out.append(infra_error("worker lost (simulated)", problem_id=r.problem_id))
            else:
                out.append(self.inner.evaluate(r))
        return out


@pytest.fixture(scope="module")
def local():
    ev = make_evaluator("local")
    yield ev
    ev.close()


def test_import_is_light_and_make_without_arguments_works():
    import subprocess
    import sys
    code = ("import sys, trace_kernelbench; assert 'gymnasium' not in sys.modules and 'torch' not in sys.modules; "
            "import gymnasium, trace_kernelbench.env; env = gymnasium.make('TraceKernelBench-v0'); "
            "obs, info = env.reset(seed=0); assert 'ModelNew' in obs and info['problem_id'] == 'embedded/relu'; "
            "print(info['backend'], info['size'], env.spec.nondeterministic)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    backend, size, nondet = out.stdout.split()
    from trace_kernelbench.env.host import host_has_cuda
    assert (backend, size) == (("cuda", "full") if host_has_cuda() else ("cpp", "small"))
    assert nondet == "True"


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
def test_check_env_passes():
    env = gymnasium.make("TraceKernelBench-v0", **CPU)
    check_env(env.unwrapped)                   # includes the step-determinism check on random text actions
    check_env(env, skip_close_check=False)     # through make: render modes and close
    env.close()


def test_garbage_fails_fast_without_any_evaluation(local):
    counting = CountingEvaluator(local)
    env = KernelEnv("embedded/relu", counting, request_options=opts(), **CPU)
    env.reset(seed=0)
    garbage_actions = ("", "hello world", "```cpp\n#define N 4\n__global__ void k() {}\n```",
                       "```python\nclass ModelNew(nn.Module:\n    pass\n```")
    for garbage in garbage_actions:
        t0 = time.monotonic()
        obs, reward, terminated, truncated, info = env.step(garbage)
        assert time.monotonic() - t0 < 0.5
        assert info["status"] == "compile_error" and reward == 0.0 and not terminated
        assert obs.strip()
    assert counting.requests == 0
    assert "SyntaxError" in info["error"]
    env.close()


def test_step_on_python_candidates_at_small_size(local):
    env = KernelEnv("embedded/relu", local, max_steps=3, render_mode="ansi", request_options=opts(), **CPU)
    prompt, info = env.reset(seed=1)
    assert "class Model" in prompt and info["size"] == "small" and info["backend"] == "cpp"
    assert env.observation_space.contains(prompt)

    obs, reward, terminated, truncated, info = env.step(RELU_WRONG)
    assert info["status"] == "incorrect" and reward == 0.0 and info["step"] == 1
    assert "Incorrect" in obs and not terminated and not truncated
    for key in ("status", "compiled", "correct", "speedup", "timing", "feedback", "device", "source_sha256"):
        assert key in info

    obs, reward, terminated, truncated, info = env.step(RELU_SLOW)
    assert info["status"] == "correct" and reward == pytest.approx(info["speedup"]) and reward > 0
    slow = reward

    obs, reward, terminated, truncated, info = env.step(REPLY)       # an LLM reply: the code is extracted
    assert info["status"] == "correct" and reward > slow
    assert truncated and not terminated and info["step"] == 3
    assert info["best_speedup"] == pytest.approx(reward)
    text = env.render()
    assert "step 3/3" in text and "Correct" in text
    env.close()


def test_step_many_evaluates_together_and_target_terminates(local):
    env = KernelEnv("embedded/relu", local, target_speedup=1e-6, request_options=opts(), **CPU)
    env.reset(seed=2)
    steps = env.step_many([RELU_WRONG, "no code", RELU_FAST])
    assert [s[4]["status"] for s in steps] == ["incorrect", "compile_error", "correct"]
    assert env.step_count == 1 and all(s[4]["step"] == 1 for s in steps)
    assert all(s[2] for s in steps)           # a correct kernel reached the (tiny) target: the episode terminates
    assert "candidate 3 of 3" in env.last_feedback


def test_infra_error_is_retried_then_raises_and_is_never_scored(local):
    flaky = CountingEvaluator(local, fail=1)
    env = KernelEnv("embedded/relu", flaky, infra_retries=1, request_options=opts(measure_timing=False), **CPU)
    env.reset(seed=3)
    _, reward, _, _, info = env.step(RELU_FAST)
    assert info["status"] == "correct" and reward == 1.0 and flaky.requests == 2

    down = CountingEvaluator(local, fail=10)
    env = KernelEnv("embedded/relu", down, infra_retries=2, request_options=opts(), **CPU)
    env.reset(seed=3)
    with pytest.raises(EvaluatorUnavailable, match="failed 3 time"):
        env.step(RELU_FAST)
    assert down.requests == 3 and env.step_count == 0
    for fn in (speedup, log_speedup, shaped):
        with pytest.raises(NotScorable):
            fn(infra_error("boom"))


def test_rewards():
    base = {"status": "correct", "correct": True, "compiled": True, "speedup": 2.0, "trials_passed": 5,
            "trials_total": 5}
    assert speedup(base) == 2.0 and log_speedup(base) == pytest.approx(math.log(2.0))
    assert shaped(base) == pytest.approx(1.5)
    wrong = {**base, "status": "incorrect", "correct": False, "speedup": None, "trials_passed": 2}
    assert speedup(wrong) == 0.0 and log_speedup(wrong) < 0 and shaped(wrong) == pytest.approx(0.1 + 0.4 * 0.4)
    broken = {"status": "compile_error", "correct": False, "compiled": False}
    assert shaped(broken) == 0.0 < shaped(wrong) < shaped({**base, "speedup": 0.01})
    assert get_reward("log_speedup")[1] is log_speedup
    with pytest.raises(Exception, match="unknown reward"):
        get_reward("nope")


def test_async_vector_env_two_envs():
    from gymnasium.vector import AsyncVectorEnv

    def make():
        return gymnasium.make("TraceKernelBench-v0", request_options=opts(measure_timing=False), **CPU)

    venv = AsyncVectorEnv([make, make], shared_memory=False)
    try:
        obs, infos = venv.reset(seed=0)
        assert len(obs) == 2 and all("ModelNew" in o for o in obs)
        obs, rewards, terminated, truncated, infos = venv.step((RELU_FAST, "not code"))
        assert list(rewards) == [1.0, 0.0]
        assert list(infos["status"]) == ["correct", "compile_error"]
        assert "Correct" in obs[0] and "No program" in obs[1]
    finally:
        venv.close()


def test_problem_set_shares_one_evaluator(local):
    ps = ProblemSet(["embedded/relu", "embedded/gelu"])
    seen = []
    for env in ps.envs(local, **CPU):
        env.reset(seed=0)
        seen.append((env.problem.id, env.step("no code")[4]["status"]))
    assert seen == [("embedded/relu", "compile_error"), ("embedded/gelu", "compile_error")]
    assert len(ProblemSet(source="embedded", level=2)) >= 1
    assert Status.INFRA_ERROR.value == "infra_error"
