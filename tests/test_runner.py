"""`trace-kernelbench run`: the quick start runs offline on CPU and ends with a results table; a run killed mid-way
and resumed has exactly one record per evaluation; bad configs give one clear line and exit 2."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trace_kernelbench.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"


def offline_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRACE_KB_MODEL")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *args], cwd=cwd, env=offline_env(),
                          capture_output=True, text=True, timeout=timeout)


def records(run_dir: Path) -> list[dict]:
    path = run_dir / "evaluations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


@pytest.mark.slow
def test_quickstart_runs_offline_on_cpu(tmp_path):
    """The shipped quick start, on the CPU, replaying the C++ transcript (trimmed to one problem and two steps: a
    build error and a wrong result, so two real C++ builds)."""
    out = tmp_path / "qs"
    proc = cli("run", str(QUICKSTART), "--set", f"output_dir={out}", "--set", "evaluator.device=cpu",
               "--set", "problems.ids=[embedded/rmsnorm]", "--set", "budgets.steps=2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "REPLAY" in proc.stdout and "quickstart: opto_prime with replay:quickstart_cpp.yaml" in proc.stdout
    assert "embedded/rmsnorm" in proc.stdout and "best speedup" in proc.stdout     # the results table
    recs = records(out)
    assert [r["status"] for r in recs] == ["compile_error", "incorrect"]
    assert "was not declared" in recs[0]["result"]["compile_log"]
    assert all(r["llm_kind"] == "replay" and r["model"] == "replay:quickstart_cpp.yaml" and r["size"] == "small"
               for r in recs)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replay"] is True and summary["finished"] is True and summary["backend"] == "cpp"
    config = (out / "config.yaml").read_text()
    assert "kind: replay" in config and "backend: cpp" in config


SLOW_INIT = """import time
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        time.sleep(1.5)   # makes each evaluation take a while, so the run can be killed part-way

    def forward(self, x):
        return {expr}
"""


def write_transcript(path: Path) -> None:
    steps = [SLOW_INIT.format(expr=e) for e in ("x.abs()", "torch.clamp(x, min=0)", "torch.relu(x)", "torch.relu(x)")]
    doc = {"format": "trace-kernelbench-replay/1", "backend": "python", "note": "test transcript",
           "problems": {"embedded/relu": [{"reasoning": f"attempt {i + 1}", "code": c} for i, c in enumerate(steps)]}}
    path.write_text(json.dumps(doc))     # JSON is YAML


@pytest.mark.slow
def test_killed_run_resumes_with_one_record_per_evaluation(tmp_path):
    write_transcript(tmp_path / "t.yaml")
    (tmp_path / "resume.yaml").write_text(textwrap.dedent("""\
        problems: {ids: [embedded/relu]}
        agent: {name: opto_prime}
        llm: {kind: replay, transcript: t.yaml}
        evaluator: {device: cpu, correct_trials: 2, guard_policy: "off"}
        budgets: {steps: 4}
        backend: cpp
        """))
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "trace_kernelbench.cli.main", "run", "resume.yaml", "--set", f"output_dir={run_dir}"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=offline_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not records(run_dir) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    before = records(run_dir)
    assert 1 <= len(before) < 4, f"the kill should land mid-run ({len(before)} records)"
    assert not json.loads((run_dir / "summary.json").read_text())["finished"]

    # a different config cannot continue this run
    refused = cli("run", "resume.yaml", "--set", f"output_dir={run_dir}", "--set", "agent.name=refine", cwd=tmp_path)
    assert refused.returncode == 2 and "config key 'agent.name'" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    done = cli("run", "--resume", str(run_dir), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "resuming" in done.stdout
    after = records(run_dir)
    assert after[:len(before)] == before                                   # nothing rewritten
    assert [r["record_id"] for r in after] == [f"embedded/relu|0|{s}|0" for s in (1, 2, 3, 4)]
    assert [r["eval_index"] for r in after] == [1, 2, 3, 4]
    assert [r["status"] for r in after] == ["incorrect", "correct", "correct", "correct"]
    proposals = [json.loads(x) for x in (run_dir / "proposals.jsonl").read_text().splitlines()]
    assert [p["step"] for p in proposals] == [1, 2, 3, 4]
    assert after[-1]["cum"]["llm_calls"] == 4 and after[-1]["cum"]["evaluations"] == 4
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["finished"] and summary["problems"]["embedded/relu"]["evaluations"] == 4
    assert (run_dir / "best" / "embedded__relu.py").read_text().startswith("# Best kernel for embedded/relu")

    # running again with the same output_dir resumes automatically and redoes nothing
    again = cli("run", "resume.yaml", "--set", f"output_dir={run_dir}", cwd=tmp_path)
    assert again.returncode == 0 and "resuming" in again.stdout
    assert records(run_dir) == after


@pytest.mark.parametrize("config,overrides,expected", [
    ("problems: {ids: [embedded/relu]}\nbudgets: {stepz: 3}\n", [], "unknown config key 'budgets.stepz'"),
    ("problems: {ids: [embedded/relu]}\n", ["agent.nme=opro"], "unknown config key 'agent.nme'"),
    ("problems: {ids: [embedded/relu]}\n", ["budgets.steps=zero"], "config key 'budgets.steps' must be an integer"),
    ("problems: {ids: [embedded/relu]}\nagent: {name: optoprime}\n", [], "config key 'agent.name': 'optoprime'"),
    ("problems: {ids: [embedded/nope]}\n", [], "unknown embedded problem 'nope'"),
    ("problems: [embedded/relu]\n", [], "config key 'problems' must be a mapping"),
    ("llm: {kind: replay}\nproblems: {ids: [embedded/relu]}\n", [], "has no answers for embedded/relu"),
    ("llm: {kind: replay}\nproblems: {ids: [embedded/rmsnorm]}\nagent: {name: refine, settings: {bogus: 1}}\n", [],
     "unknown setting agent.settings.bogus for agent 'refine'"),
])
def test_bad_config_gives_one_clear_line(tmp_path, capsys, config, overrides, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(config)
    argv = ["run", str(path), "--set", f"output_dir={tmp_path / 'out'}"]
    for o in overrides:
        argv += ["--set", o]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_run_dir_is_exclusive_and_drops_a_torn_last_line(tmp_path):
    from trace_kernelbench.errors import UserError
    from trace_kernelbench.runner.rundir import RunDir
    good = json.dumps({"record_id": "p|0|1|0", "problem": "p", "status": "correct"})
    (tmp_path / "evaluations.jsonl").write_text(good + "\n" + '{"record_id": "p|0|2|0", "prob')   # killed mid-write
    rd = RunDir(tmp_path)
    assert [r["record_id"] for r in rd.evaluations.read()] == ["p|0|1|0"]
    rd.evaluations.append({"record_id": "p|0|2|0", "problem": "p", "status": "incorrect"})
    assert [r["record_id"] for r in records(tmp_path)] == ["p|0|1|0", "p|0|2|0"]
    with pytest.raises(UserError, match="in use by another"):
        RunDir(tmp_path)
    rd.close()
    RunDir(tmp_path).close()
