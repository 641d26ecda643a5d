"""Experiment configs: YAML file -> defaults merged -> ``--set key=value`` overrides -> validated, every problem
reported as one line naming the bad key. Defaults come from `trace_kernelbench.defaults` (the one place they live).
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Callable

import yaml

from trace_kernelbench.defaults import run_config_defaults
from trace_kernelbench.errors import UserError

FREE_FORM = {"agent.settings", "evaluator.options"}     # mappings passed through to the agent / evaluator
RESUMABLE_CHANGES = {"budgets", "concurrency", "output_dir", "llm.timeout_s", "llm.max_retries",
                     "evaluator.infra_retries", "evaluator.options"}
"""Keys that may differ when a run is resumed (a longer step budget, more concurrency, other endpoints)."""


class ConfigError(UserError):
    pass


# ------------------------------------------------------------------------------------------------ value checks
def _choice(*options):
    def check(key, v):
        if v not in options:
            shown = ", ".join("null" if o is None else str(o) for o in options)
            raise ConfigError(f"config key '{key}': {v!r} is not one of {shown}")
        return v
    return check


def _int(lo: int | None = None, hi: int | None = None, optional: bool = False):
    def check(key, v):
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"config key '{key}' must be an integer{' or null' if optional else ''}, got {v!r}")
        if lo is not None and v < lo or hi is not None and v > hi:
            rng = f">= {lo}" if hi is None else f"between {lo} and {hi}"
            raise ConfigError(f"config key '{key}' must be {rng}, got {v}")
        return v
    return check


def _num(positive: bool = True, optional: bool = False):
    def check(key, v):
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ConfigError(f"config key '{key}' must be a number{' or null' if optional else ''}, got {v!r}")
        if positive and v <= 0:
            raise ConfigError(f"config key '{key}' must be positive, got {v}")
        return float(v)
    return check


def _str(optional: bool = True):
    def check(key, v):
        if v is None and optional:
            return None
        if not isinstance(v, str) or not v.strip():
            raise ConfigError(f"config key '{key}' must be a non-empty string, got {v!r}")
        return v
    return check


def _str_list(key, v):
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise ConfigError(f"config key '{key}' must be a list of strings, got {v!r}")
    return v


def _seeds(key, v):
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list) or not v or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise ConfigError(f"config key '{key}' must be a non-empty list of integers, got {v!r}")
    if len(set(v)) != len(v):
        raise ConfigError(f"config key '{key}' lists a seed twice")
    return v


def _agent_name(key, v):
    from agents import AGENTS
    return _choice(*AGENTS)(key, v)


def _reward(key, v):
    from trace_kernelbench.env.rewards import REWARDS
    return _choice(*REWARDS)(key, v)


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "name": _str(),
    "problems.ids": _str_list,
    "problems.source": _choice(None, "embedded", "kernelbench", "hf"),
    "problems.level": _int(1, 4, optional=True),
    "problems.kernelbench_dir": _str(),
    "agent.name": _agent_name,
    "llm.kind": _choice("auto", "openai", "replay"),
    "llm.model": _str(),
    "llm.base_url": _str(),
    "llm.api_key": _str(),
    "llm.transcript": _str(),
    "llm.timeout_s": _num(),
    "llm.max_retries": _int(0, 20),
    "llm.max_tokens": _int(1),
    "llm.temperature": _num(positive=False, optional=True),
    "evaluator.name": _choice("local", "server", "modal"),
    "evaluator.device": _choice("auto", "cuda", "cpu"),
    "evaluator.size": _choice("auto", "full", "small"),
    "evaluator.correct_trials": _int(1, 100),
    "evaluator.precision": _choice("fp32", "fp16", "bf16"),
    "evaluator.baseline": _choice("eager", "compile"),
    "evaluator.guard_policy": _choice("strict", "kernelbench", "off"),
    "evaluator.build_timeout_s": _num(),
    "evaluator.run_timeout_s": _num(),
    "evaluator.infra_retries": _int(0, 20),
    "reward": _reward,
    "budgets.steps": _int(1),
    "budgets.proposals_per_step": _int(1, 64),
    "budgets.max_evaluations": _int(1, optional=True),
    "budgets.max_tokens": _int(1, optional=True),
    "budgets.max_wall_s": _num(optional=True),
    "budgets.target_speedup": _num(optional=True),
    "concurrency": _int(1, 256),
    "seeds": _seeds,
    "output_dir": _str(),
    "backend": _choice("auto", "cuda", "triton", "cpp"),
    "prompt.style": _choice("default", "kernelbench"),
    "prompt.gpu": _str(),
}


# ------------------------------------------------------------------------------------------------ loading
def read_yaml(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"no such config file: {p}")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{p}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {p}: {e}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}: a config must be a YAML mapping (key: value lines)")
    return doc


def apply_overrides(cfg: dict, overrides: list[str]) -> dict:
    """``key.sub=value`` items; values are parsed as YAML (numbers, null, [lists])."""
    cfg = copy.deepcopy(cfg)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"bad --set '{item}': expected key=value, e.g. budgets.steps=3")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = cfg
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                raise ConfigError(f"bad --set '{item}': '{'.'.join(parts[:i + 1])}' is not a mapping")
            node = nxt
        node[parts[-1]] = value
    return cfg


def merge_and_validate(user: dict) -> dict:
    """Defaults overlaid with `user`; unknown keys, wrong types and bad values raise ConfigError (one line)."""
    merged = run_config_defaults()
    _merge(merged, user, "")
    for key, check in CHECKS.items():
        parent, _, leaf = key.rpartition(".")
        node = _get(merged, parent) if parent else merged
        node[leaf] = check(key, node[leaf])
    if not merged["problems"]["ids"] and not merged["problems"]["source"]:
        raise ConfigError("config key 'problems': give problems.ids (a list of problem ids) or problems.source")
    return merged


def _merge(base: dict, user: dict, prefix: str) -> None:
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if not isinstance(key, str) or key not in base:
            known = ", ".join(sorted(base))
            where = f" under '{prefix[:-1]}'" if prefix else ""
            raise ConfigError(f"unknown config key '{dotted}' (known keys{where}: {known})")
        if isinstance(base[key], dict) and dotted not in FREE_FORM:
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{dotted}' must be a mapping, got {value!r}")
            _merge(base[key], value, dotted + ".")
        elif dotted in FREE_FORM:
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f"config key '{dotted}' must be a mapping, got {value!r}")
            base[key] = dict(value or {})
        else:
            base[key] = value


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d[part]
    return d


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and key not in FREE_FORM and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def first_difference(old: dict, new: dict, ignore: set[str] = RESUMABLE_CHANGES) -> tuple[str, Any, Any] | None:
    """The first key (outside `ignore` and its sub-keys) whose value differs between two resolved configs."""
    a, b = flatten(old), flatten(new)
    for key in sorted(set(a) | set(b)):
        if any(key == i or key.startswith(i + ".") for i in ignore):
            continue
        if a.get(key) != b.get(key):
            return key, a.get(key), b.get(key)
    return None
