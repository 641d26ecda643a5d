"""From a validated config to what will run: the resolved config (written to the run directory: name, backend, LLM
kind and model, problem ids — never the API key), the problems, the (problem, seed) episodes, and the run directory.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

from trace_kernelbench.defaults import RUNS_DIR
from trace_kernelbench.errors import UserError
from trace_kernelbench.problems import Problem, list_problems, resolve_problem

REDACTED = "<redacted>"


@dataclass
class RunPlan:
    config: dict                 # resolved, as written to config.yaml (api_key redacted)
    llm: dict                    # the llm block as used (api_key intact)
    problems: list[Problem]
    run_dir: Path
    llm_kind: str
    model: str

    @property
    def episodes(self) -> list[tuple[Problem, int]]:
        return [(p, s) for p in self.problems for s in self.config["seeds"]]

    @property
    def replay(self) -> bool:
        return self.llm_kind == "replay"


def load_problems(cfg: dict) -> list[Problem]:
    pc = cfg["problems"]
    source, level, kb_dir = pc["source"], pc["level"], pc["kernelbench_dir"]
    if pc["ids"]:
        problems = [resolve_problem(pid, source=source if source in ("hf",) else None, kernelbench_dir=kb_dir)
                    for pid in pc["ids"]]
        if level is not None:
            problems = [p for p in problems if p.level == level]
    else:
        problems = list_problems(source, level=level, kernelbench_dir=kb_dir)
    if not problems:
        raise UserError("the config selects no problems (check problems.ids, problems.source and problems.level)")
    ids = [p.id for p in problems]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise UserError(f"problems.ids lists {dupes[0]} twice")
    return problems


def resolve(cfg: dict, config_path: str | None) -> RunPlan:
    """Fill in everything "auto" and default: name, backend, LLM kind/model/transcript, problem ids, output dir."""
    from agents.llm.factory import resolve_kind, resolve_model, transcript_path
    from trace_kernelbench.env import host

    cfg = copy.deepcopy(cfg)
    cfg["name"] = cfg["name"] or (Path(config_path).stem if config_path else "run")
    problems = load_problems(cfg)
    cfg["problems"]["ids"] = [p.id for p in problems]
    device = host.resolve_device(cfg["evaluator"]["device"], cfg["evaluator"]["name"] == "local")
    cfg["backend"] = host.resolve_backend(cfg["backend"], device)
    if cfg["evaluator"]["size"] == "small":
        lacking = [p.id for p in problems if not p.has_small_size]
        if lacking:
            raise UserError(f"evaluator.size is small but {lacking[0]} declares no small size (SMALL_SIZES)")

    llm = dict(cfg["llm"])
    kind = resolve_kind(llm)
    llm["kind"] = kind
    if kind == "replay":
        llm["transcript"] = str(Path(transcript_path(llm, cfg["backend"])).resolve())
        from agents.llm.transcript import Transcript
        transcript = Transcript.load(llm["transcript"])
        missing = [p.id for p in problems if p.id not in transcript.problems]
        if missing:
            raise UserError(f"replay transcript {transcript.name} has no answers for {missing[0]} (it covers: "
                            f"{', '.join(sorted(transcript.problems))}); use a live LLM or another transcript")
        if transcript.backend and transcript.backend not in (cfg["backend"], "python"):
            raise UserError(f"replay transcript {transcript.name} holds {transcript.backend} kernels but the run's "
                            f"backend is {cfg['backend']}; set backend: {transcript.backend} or another transcript")
        model = f"replay:{transcript.name}"
    else:
        model = resolve_model(llm)
    llm["model"] = model
    written = copy.deepcopy(llm)
    if written.get("api_key"):
        written["api_key"] = REDACTED
    cfg["llm"] = written

    if not cfg["output_dir"]:
        cfg["output_dir"] = str(Path(RUNS_DIR) / f"{cfg['name']}-{time.strftime('%Y%m%d-%H%M%S')}")
    return RunPlan(config=cfg, llm=llm, problems=problems, run_dir=Path(cfg["output_dir"]), llm_kind=kind,
                   model=model)
