"""`trace-kernelbench report` on run directories built here (format: .briefs/rundir.md): tables with hand-computed
fast_p values, a replay run marked as such, a killed run's truncated last line ignored, PNGs and report.md written,
and one-line errors for directories that are not runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rundirs import write_run

REPO = Path(__file__).resolve().parents[1]
PROBLEMS = ["embedded/relu", "embedded/gelu", "embedded/softmax"]


def cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    # opto: relu best 3.2 (correct at evals 2 and 3), gelu best 0.8, softmax never correct (rejected + crash)
    a = write_run(root, name="opto-gpt4o", agent="opto_prime", model="gpt-4o", kind="openai",
                  budgets={"steps": 2, "proposals_per_step": 2}, problems=PROBLEMS,
                  outcomes={"embedded/relu": [("compile_error", None, ()), ("correct", 1.2, ()), ("correct", 3.2, ())],
                            "embedded/gelu": [("incorrect", None, ()), ("correct", 0.8, ())],
                            "embedded/softmax": [("rejected", None, ("torch_op_in_forward",)),
                                                 ("runtime_error", None, ())]})
    # replay run, killed: relu exactly 1.0x, gelu exactly 2.0x (ties), softmax never evaluated; the truncated last
    # line would have been a 99x softmax kernel and must be ignored
    b = write_run(root, name="random-replay", agent="random_search", model="replay:answers.jsonl", kind="replay",
                  budgets={"max_evaluations": 3}, problems=PROBLEMS, truncated_tail=True, summary=False,
                  cost_per_eval=None,
                  outcomes={"embedded/relu": [("correct", 1.0, ())],
                            "embedded/gelu": [("timeout", None, ()), ("correct", 2.0, ())]})
    out = root / "report"
    proc = cli("report", a, b, "--out", out, "--bootstrap", 200)
    return a, b, out, proc


def leaderboard_row(stdout: str, run_name: str) -> list[str]:
    lines = [ln for ln in stdout.splitlines() if f" {run_name} " in ln and "│" in ln]
    assert lines, f"no leaderboard row for {run_name}"
    return [c.strip() for c in lines[-1].strip("│ ").split("│")]


def test_report_tables_have_hand_computed_values(runs):
    a, b, out, proc = runs
    assert proc.returncode == 0, proc.stderr
    header = ["#", "run", "agent", "model", "budget", "problems", "fast_0", "fast_0.5", "fast_1", "fast_1.5",
              "fast_2", "geomean", "evaluations", "tokens"]
    row_a = dict(zip(header, leaderboard_row(proc.stdout, "opto-gpt4o")))
    row_b = dict(zip(header, leaderboard_row(proc.stdout, "random-replay")))
    # opto: final best per problem 3.2, 0.8, 0 -> fast_0 = fast_0.5 = 2/3, fast_1..2 = 1/3; geomean sqrt(3.2*0.8) = 1.6
    assert [row_a[k] for k in ("fast_0", "fast_0.5", "fast_1", "fast_1.5", "fast_2")] == \
        [pct(2, 3), pct(2, 3), pct(1, 3), pct(1, 3), pct(1, 3)]
    assert row_a["geomean"] == f"{(3.2 * 0.8) ** 0.5:.2f}x"
    assert row_a["agent"] == "opto_prime" and row_a["model"] == "gpt-4o"
    assert row_a["evaluations"] == "7" and row_a["tokens"] == f"{(3 + 2 + 2) * 1000:,}"
    # replay: 1.0 and 2.0 are ties, so fast_1 = 1/3 (only the 2.0) and fast_2 = 0; softmax counts as a failure
    assert [row_b[k] for k in ("fast_0", "fast_0.5", "fast_1", "fast_1.5", "fast_2")] == \
        [pct(2, 3), pct(2, 3), pct(1, 3), pct(1, 3), pct(0, 3)]
    assert row_b["geomean"] == f"{(1.0 * 2.0) ** 0.5:.2f}x"
    assert row_b["model"].endswith("(replay)") and row_b["agent"] == "random_search"
    assert row_b["evaluations"] == "3" and row_b["budget"] == "<=3 evals"
    # ranking: equal fast_1, the higher geomean first
    assert row_a["#"] == "1" and row_b["#"] == "2"
    assert "truncated last line" in proc.stderr
    # per-run tables name the agents and problems
    assert "agent opto_prime" in proc.stdout and "agent random_search" in proc.stdout
    assert "embedded/softmax" in proc.stdout and "not run" in proc.stdout


def test_report_writes_markdown_and_images(runs):
    a, b, out, proc = runs
    assert proc.returncode == 0, proc.stderr
    import matplotlib.image as mpimg

    md = (out / "report.md").read_text()
    assert "opto_prime" in md and "random_search" in md and "(replay)" in md
    pngs = sorted(out.glob("*.png"))
    names = {p.name for p in pngs}
    assert {"fastp_evaluations.png", "fastp_tokens.png", "fastp_wall_s.png", "speedups.png",
            "outcomes.png"} <= names
    assert "fastp_cost_usd.png" in names          # the openai run logged costs
    for p in pngs:
        assert f"]({p.name})" in md               # linked from the report
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
        img = mpimg.imread(p)
        assert img.shape[0] > 200 and img.shape[1] > 400
        assert img[..., :3].std() > 0.05           # not a blank canvas


def test_single_run_defaults_to_report_inside_run_dir(tmp_path):
    d = write_run(tmp_path, name="one", agent="opto_prime", model="gpt-4o", kind="openai", budgets={},
                  problems=["embedded/relu"], outcomes={"embedded/relu": [("correct", 1.5, ())]})
    proc = cli("report", d, "--bootstrap", 100, "--p", "1,1.5")
    assert proc.returncode == 0, proc.stderr
    assert (d / "report" / "report.md").is_file()
    row = leaderboard_row(proc.stdout, "one")
    assert row[6:8] == [pct(1, 1), pct(0, 1)]      # 1.5 > 1, but 1.5 is not > 1.5


def test_not_a_run_dir_is_one_line(tmp_path):
    proc = cli("report", tmp_path)
    assert proc.returncode == 2
    assert "is not a run directory" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # a parent folder of runs gets a hint
    write_run(tmp_path, name="inner", agent="x", model="m", kind="openai", budgets={}, problems=["embedded/relu"],
              outcomes={"embedded/relu": [("correct", 1.5, ())]})
    proc = cli("report", tmp_path)
    assert proc.returncode == 2 and "holds 1 run directories" in proc.stderr
    proc = cli("report", tmp_path / "missing")
    assert proc.returncode == 2 and "no such run directory" in proc.stderr


def test_corrupt_middle_line_and_bad_options(tmp_path):
    d = write_run(tmp_path, name="bad", agent="x", model="m", kind="openai", budgets={}, problems=["embedded/relu"],
                  outcomes={"embedded/relu": [("correct", 1.5, ()), ("correct", 1.6, ())]})
    lines = (d / "evaluations.jsonl").read_text().splitlines()
    (d / "evaluations.jsonl").write_text("\n".join([lines[0][:20], lines[1]]) + "\n")
    proc = cli("report", d)
    assert proc.returncode == 2 and "line 1: not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("report", d, "--p", "one")
    assert proc.returncode == 2 and "bad --p" in proc.stderr


def test_loader_dedupes_record_ids_and_numbers_evaluations(tmp_path):
    from trace_kernelbench.report import load_run

    d = write_run(tmp_path, name="dup", agent="x", model="m", kind="openai", budgets={}, problems=["embedded/relu"],
                  outcomes={"embedded/relu": [("incorrect", None, ()), ("correct", 1.5, ())]})
    path = d / "evaluations.jsonl"
    recs = [json.loads(ln) for ln in path.read_text().splitlines()]
    for r in recs:
        del r["eval_index"]
    path.write_text("\n".join(json.dumps(r) for r in [*recs, recs[1]]) + "\n")   # a duplicated id from a resume
    run = load_run(d)
    assert [r["eval_index"] for r in run.records] == [1, 2]
    assert run.replay is False and run.finished is True
