"""Every tunable default of the environment, the agents, the LLM client and the experiment runner, in one place.

Each constant says what it controls; `run_config_defaults()` assembles them into the default experiment config (the
shape a `trace-kernelbench run` YAML file overrides). Standard library only.
"""
from __future__ import annotations

import copy

# ---------------------------------------------------------------------------------------------------- environment
ENV_ID = "TraceKernelBench-v0"
"""The id `gymnasium.make` knows the environment by (registered by `import trace_kernelbench.env`)."""

DEFAULT_PROBLEM = "embedded/relu"
"""Problem of `gymnasium.make(ENV_ID)` with no arguments: small, cheap, and it has small sizes for CPU hosts."""

DEFAULT_EVALUATOR = "local"
"""Evaluator spec (`local`, `server:URL`, `modal:GPU`) used when none is given."""

DEFAULT_REWARD = "speedup"
"""Reward function name (see `trace_kernelbench.env.rewards`): speedup if correct else 0, the Trace-Bench score."""

DEFAULT_MAX_STEPS = 10
"""Optimizer steps per episode before it is truncated."""

DEFAULT_TARGET_SPEEDUP: float | None = None
"""Episode terminates once a correct kernel reaches this speedup; None: never (run the whole step budget)."""

DEFAULT_INFRA_RETRIES = 2
"""How often an evaluation that ended in `infra_error` (never the kernel's fault) is retried; after that the env
raises EvaluatorUnavailable: an infrastructure failure is never scored as a kernel failure."""

TEXT_MAX_LENGTH = 262_144
"""Largest observation or action the env's Text spaces hold (characters). Longer feedback is cut with a marker."""

# ---------------------------------------------------------------------------------------------------- LLM
DEFAULT_MODEL = "gpt-4o"
"""Model name when neither the config nor $TRACE_KB_MODEL names one."""

MODEL_ENV = "TRACE_KB_MODEL"
"""Environment variable naming the model (like OPENAI_BASE_URL / OPENAI_API_KEY for the endpoint)."""

LLM_TIMEOUT_S = 600.0
"""Per-request timeout of the OpenAI-compatible client (long kernels take a while to write)."""

LLM_MAX_RETRIES = 3
"""Retries of a failed request (connection errors, 429, 5xx), with the client's exponential back-off."""

LLM_MAX_TOKENS = 8192
"""Completion token limit asked for per call."""

# ---------------------------------------------------------------------------------------------------- agents
DEFAULT_AGENT = "opto_prime"
"""Agent used when the config names none: Trace's OptoPrime (with the update-dropping fix)."""

DEFAULT_STEPS = 10
"""Optimizer steps per (problem, seed) in a run."""

DEFAULT_PROPOSALS_PER_STEP = 1
"""Candidates proposed (and evaluated concurrently) per step."""

# ---------------------------------------------------------------------------------------------------- runner
RUNS_DIR = "runs"
"""Parent folder of run directories (relative to the current directory): runs/<config-name>-<YYYYmmdd-HHMMSS>/."""


def run_config_defaults() -> dict:
    """The default experiment config. Every key a run config may set appears here (None: unset / automatic)."""
    return copy.deepcopy({
        "name": None,                        # default: the config file's stem
        "problems": {
            "ids": [],                       # explicit problem ids (embedded/<name>, kernelbench/L<l>/<id>, files)
            "source": None,                  # embedded | kernelbench | hf: where to list from / load kernelbench ids
            "level": None,                   # with no ids: every problem of `source` at this level
            "kernelbench_dir": None,         # KernelBench checkout (default: external/KernelBench)
        },
        "agent": {
            "name": DEFAULT_AGENT,           # opto_prime | opro | textgrad | opto_prime_multi | best_of_n | refine
            "settings": {},                  # agent-specific keyword arguments
        },
        "llm": {
            "kind": "auto",                  # auto (replay unless an endpoint or key is configured) | openai | replay
            "model": None,                   # default: $TRACE_KB_MODEL, else DEFAULT_MODEL
            "base_url": None,                # default: $OPENAI_BASE_URL
            "api_key": None,                 # default: $OPENAI_API_KEY (never written to the run directory)
            "transcript": None,              # replay file; default: the bundled quick-start transcript for the backend
            "timeout_s": LLM_TIMEOUT_S,
            "max_retries": LLM_MAX_RETRIES,
            "max_tokens": LLM_MAX_TOKENS,
            "temperature": None,             # None: the server's default
        },
        "evaluator": {
            "name": DEFAULT_EVALUATOR,       # local | server | modal
            "options": {},                   # passed to make_evaluator (server: urls, token; modal: gpu)
            "device": "auto",                # auto | cuda | cpu
            "size": "auto",                  # auto (small on a CPU-only host when declared) | full | small
            "correct_trials": 5,
            "precision": "fp32",
            "baseline": "eager",
            "guard_policy": "kernelbench",   # strict | kernelbench | off (trace_kernelbench.guard)
            "build_timeout_s": 600.0,
            "run_timeout_s": 300.0,
            "infra_retries": DEFAULT_INFRA_RETRIES,
        },
        "reward": DEFAULT_REWARD,            # speedup | log_speedup | shaped
        "budgets": {
            "steps": DEFAULT_STEPS,
            "proposals_per_step": DEFAULT_PROPOSALS_PER_STEP,
            "max_evaluations": None,         # per (problem, seed); None: steps x proposals
            "max_tokens": None,              # LLM tokens per (problem, seed); None: no limit
            "max_wall_s": None,              # wall time per (problem, seed); None: no limit
            "target_speedup": DEFAULT_TARGET_SPEEDUP,
        },
        "concurrency": 1,                    # (problem, seed) episodes run at once (evaluations still queue)
        "seeds": [0],
        "output_dir": None,                  # default: runs/<name>-<timestamp>/
        "backend": "auto",                   # auto (cuda on GPU hosts, cpp on CPU hosts) | cuda | triton | cpp
        "prompt": {
            "style": "default",              # default | kernelbench
            "gpu": None,                     # add hardware notes for this GPU (H100, H200, ...)
        },
    })
