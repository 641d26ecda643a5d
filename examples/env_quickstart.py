# %% [markdown]
# # The TraceKernelBench environment, used directly
#
# A notebook-style script (cells separated by `# %%`; VS Code and Jupytext open it as a notebook, or run it with
# `python examples/env_quickstart.py`). It needs no GPU and no API key: on a CPU-only host the environment picks
# C++ kernels at the problems' small sizes, and the LLM part replays a recorded transcript.

# %%
import gymnasium

import trace_kernelbench.env  # noqa: F401  (registers TraceKernelBench-v0 with Gymnasium)
from trace_kernelbench.solutions import solution_source

env = gymnasium.make("TraceKernelBench-v0", problem="embedded/relu", max_steps=3, render_mode="ansi")
prompt, info = env.reset(seed=0)
print(f"problem {info['problem_id']}: backend {info['backend']}, device {info['device']}, size {info['size']}")
print(prompt[:800], "...")

# %% [markdown]
# An action is an LLM reply or a code string. Replies without a `ModelNew` program fail at once (no compiler runs).

# %%
obs, reward, terminated, truncated, info = env.step("Sorry, I cannot help with that.")
print(info["status"], reward)
print(obs)

# %% [markdown]
# A real candidate: the hand-written solution shipped for this backend, wrapped the way an LLM would answer.

# %%
code = solution_source(env.unwrapped.backend, "relu")
reply = f"Here is a kernel.\n\n```python\n{code}\n```"
obs, reward, terminated, truncated, info = env.step(reply)
print(f"status {info['status']}, speedup {info['speedup']}, reward {reward}, step {info['step']}")
print(env.render())

# %% [markdown]
# Several candidates in one step, evaluated concurrently: `step_many` returns one step tuple per candidate.

# %%
for obs, reward, terminated, truncated, info in env.unwrapped.step_many([reply, "no code here"]):
    print(info["status"], reward, "truncated" if truncated else "")
env.close()

# %% [markdown]
# An agent in the loop: Trace's OptoPrime with the replay LLM (offline) on a problem the bundled transcript covers.
# Set OPENAI_API_KEY (or OPENAI_BASE_URL) and `make_llm` calls a live model instead. Four steps: a build error, a
# wrong result, a correct but slow kernel and a faster one (on CPU: four C++ builds, a minute or two).

# %%
from agents import make_agent  # noqa: E402
from agents.budget import Budget  # noqa: E402
from agents.llm import make_llm  # noqa: E402
from agents.loop import run_episode  # noqa: E402

env = gymnasium.make("TraceKernelBench-v0", problem="embedded/rmsnorm", max_steps=4)
llm = make_llm({"kind": "auto"}, backend=env.unwrapped.backend)
print("LLM:", llm.describe())
agent = make_agent("opto_prime", llm)
result = run_episode(agent, env, Budget(steps=4), seed=0)
for record in result.steps:
    outcome = record.outcomes[0]
    print(f"step {record.step}: {outcome.status:14s} score {outcome.score:.3f}")
print("best speedup:", result.best_speedup, "| usage:", result.usage)
env.close()
