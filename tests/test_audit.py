"""`trace-kernelbench audit`: verdicts judged by hand-made results, a generic JSONL of CPU candidates re-evaluated with
the local evaluator (holds / fails / no build / inflated claim), one-line errors, and the Trace-Bench reader on the
published data (parsing only)."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trace_kernelbench.audit import AuditEntry, judge, read_generic, read_tracebench, summaries
from trace_kernelbench.audit.tracebench import TASK_TO_L1
from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.result import EvalResult, Status

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO.parent / "shared" / "data" / "tracebench-fork-results"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def entry(claimed=None, correct=True, label="e"):
    return AuditEntry(label=label, problem="embedded/relu", code="x", claimed_speedup=claimed,
                      claimed_correct=correct)


def result(status, speedup=None, backend="cuda", flags=()):
    return EvalResult(status=Status(status), correct=status == "correct", speedup=speedup, backend=backend,
                      flags=list(flags))


# ---------------------------------------------------------------- verdicts (hand-made results)
def test_verdicts_by_status_and_tolerance():
    assert judge(entry(2.0), result("correct", 1.8), 0.1).verdict == "holds"      # exactly 0.9x the claim
    assert judge(entry(2.0), result("correct", 1.79), 0.1).verdict == "slower"
    assert judge(entry(2.0), result("correct", 3.0), 0.1).verdict == "holds"      # better than claimed
    assert judge(entry(None), result("correct", 0.2)).verdict == "holds"          # no speedup claimed
    assert judge(entry(2.0), result("correct", None)).verdict == "holds"          # not timed: correctness decides
    assert judge(entry(2.0), result("incorrect")).verdict == "fails"
    assert judge(entry(2.0), result("runtime_error")).verdict == "fails"
    assert judge(entry(2.0), result("timeout")).verdict == "fails"
    assert judge(entry(2.0), result("rejected", flags=["torch_op"])).verdict == "rejected"
    assert judge(entry(2.0), result("compile_error")).verdict == "no_build"
    assert judge(entry(2.0), result("infra_error")).verdict == "not_evaluated"
    assert judge(entry(2.0), None).verdict == "not_evaluated"
    assert judge(entry(0.0, correct=False), result("correct", 1.0)).verdict == "no_claim"


def test_notes_and_ratio():
    j = judge(entry(1.5), result("correct", 0.75))
    assert j.ratio == pytest.approx(0.5)
    assert j.notes == ["win not reproduced"]
    assert judge(entry(0.5), result("correct", 0.75)).notes == []
    assert judge(entry(1.5), result("incorrect")).ratio is None


def test_summary_counts_and_geomean_ratio():
    js = [judge(entry(2.0, label="a"), result("correct", 4.0)),        # ratio 2, holds
          judge(entry(4.0, label="b"), result("correct", 2.0)),        # ratio 0.5, slower
          judge(entry(3.0, label="c"), result("rejected")),
          judge(entry(1.5, label="d"), result("compile_error")),
          judge(entry(0.0, correct=False, label="e"), None)]
    (s,) = summaries(js)
    assert (s.entries, s.claims) == (5, 4)
    assert s.counts == {"holds": 1, "slower": 1, "fails": 0, "rejected": 1, "no_build": 1, "not_evaluated": 0,
                        "no_claim": 1}
    assert s.geomean_ratio == pytest.approx(1.0) and s.ratios == 2       # sqrt(2 * 0.5)
    # fast_1 over the 5 entries: claimed 2, 4, 3, 1.5 -> 4/5; ours 4.0 and 2.0 -> 2/5
    assert s.claimed_fast[1.0] == pytest.approx(4 / 5) and s.our_fast[1.0] == pytest.approx(2 / 5)


# ---------------------------------------------------------------- generic file, evaluated on CPU
MODEL = """import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return {expr}
"""
CORRECT = MODEL.format(expr="torch.clamp(x, min=0.0)")
WRONG = MODEL.format(expr="x * 1.0")
SYNTAX = MODEL.format(expr="torch.clamp(x, min=0.0").replace("def forward(self, x):", "def forward(self, x)")


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit")
    recs = [
        {"label": "modest", "problem": "embedded/relu", "code": CORRECT, "claimed_speedup": 0.05},
        {"label": "correctness-only", "problem": "embedded/relu", "code": CORRECT + "\n# v2\n"},
        {"label": "wrong", "problem": "embedded/relu", "code": WRONG, "claimed_speedup": 1.5},
        {"label": "syntax", "problem": "embedded/relu", "code": SYNTAX, "claimed_speedup": 2.0},
        {"label": "inflated", "problem": "embedded/relu", "code": CORRECT + "\n# v3\n", "claimed_speedup": 50.0},
        {"label": "published-failure", "problem": "embedded/relu", "code": WRONG, "claimed_speedup": 0.0},
    ]
    src = d / "claims.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    md = d / "audit.md"
    # pure-PyTorch candidates: the guard records no_custom_kernel but, with --guard off, rejects nothing
    proc = cli("audit", src, "--size", "small", "--device", "cpu", "--evaluator", "local", "--json", "--out", md,
               "--correct-trials", 2, "--guard", "off")
    return proc, md


def test_generic_audit_reports_holds_and_fails(audited):
    proc, md = audited
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    by = {e["label"]: e for e in doc["entries"]}
    assert {k: v["verdict"] for k, v in by.items()} == {
        "modest": "holds", "correctness-only": "holds", "wrong": "fails", "syntax": "no_build",
        "inflated": "slower", "published-failure": "no_claim"}
    assert by["wrong"]["status"] == "incorrect" and by["syntax"]["status"] == "compile_error"
    assert by["inflated"]["speedup"] < 50 * 0.9 and by["inflated"]["ratio"] == pytest.approx(
        by["inflated"]["speedup"] / 50)
    assert "no_custom_kernel" in by["modest"]["flags"]                # the guard's fact, recorded under --guard off
    (s,) = doc["summary"]
    assert (s["entries"], s["claims"], s["holds"], s["slower"], s["fails"], s["no_build"], s["rejected"],
            s["no_claim"]) == (6, 5, 2, 1, 1, 1, 0, 1)
    ratios = [by["modest"]["ratio"], by["inflated"]["ratio"]]
    assert s["ratios"] == 2 and s["geomean_ratio"] == pytest.approx(math.sqrt(ratios[0] * ratios[1]))
    assert "holds" in doc["holds_definition"] and doc["tolerance"] == pytest.approx(0.1)
    text = md.read_text()
    for phrase in ("claim holds", "fails correctness", "does not build", "speedup not reproduced", "inflated"):
        assert phrase in text
    assert "evaluating" in proc.stderr or "done" in proc.stderr     # the progress bar ran
    # the JSON alone re-renders the same tables (RESULTS.md is written from it by scripts/update_results.py)
    from trace_kernelbench.audit.render import entry_rows, markdown_table, summary_rows
    from trace_kernelbench.audit.verdict import GroupSummary
    sums = [GroupSummary.from_dict(x) for x in doc["summary"]]
    assert [x.to_dict() for x in sums] == doc["summary"]
    assert markdown_table(*summary_rows(sums, doc["tolerance"])) in text
    assert markdown_table(*entry_rows(doc["entries"])) in text


def test_guard_rejection_is_reported(tmp_path):
    src = tmp_path / "claims.json"
    src.write_text(json.dumps([{"label": "torch-only", "problem": "embedded/relu", "code": CORRECT,
                                "claimed_speedup": 1.3}]))
    proc = cli("audit", src, "--size", "small", "--device", "cpu", "--json")        # default policy: kernelbench
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (e,) = doc["entries"]
    assert (e["status"], e["verdict"]) == ("rejected", "rejected") and "no_custom_kernel" in e["flags"]
    assert doc["summary"][0]["rejected"] == 1 and doc["summary"][0]["holds"] == 0


def test_generic_reader_accepts_json_list_and_defaults(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"entries": [{"problem": "embedded/relu", "code": "c"},
                                         {"problem": "embedded/relu", "code": "c", "claimed_speedup": 0}]}))
    a, b = read_generic(p)
    assert (a.label, a.claimed_correct, a.claimed_speedup) == ("entry 0", True, None)
    assert (b.claimed_correct, b.claimed_speedup) == (False, 0.0)


@pytest.mark.parametrize("content, message", [
    ('{"problem": "embedded/relu"}\n', "missing 'code'"),
    ('{"code": "x"}\n', "missing 'problem'"),
    ('{"problem": "embedded/relu", "code": "x", "claimed_speedup": "fast"}\n', "claimed_speedup must be"),
    ('{"problem": "embedded/relu", "code": "x"}\n{not json\n', "line 2: not valid JSON"),
])
def test_generic_reader_errors_name_the_line(tmp_path, content, message):
    p = tmp_path / "bad.jsonl"
    p.write_text(content)
    with pytest.raises(UserError, match=re.escape(message)):
        read_generic(p)


def test_cli_errors_are_one_line(tmp_path):
    p = tmp_path / "unknown.jsonl"
    p.write_text(json.dumps({"label": "mine", "problem": "embedded/no_such_op", "code": CORRECT}) + "\n")
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps({"problem": "embedded/relu", "code": CORRECT}) + "\n")
    for args, message in [((p,), "mine:"), ((tmp_path / "nope.jsonl",), "no such results file"),
                          ((p, "--methods", "gepa"), "--methods applies"), ((p, "--tolerance", "1.5"), "--tolerance"),
                          ((ok, "--evaluator", "nosuch"), "unknown evaluator")]:
        proc = cli("audit", *args, "--device", "cpu")
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- Trace-Bench reader (parsing only)
needs_results = pytest.mark.skipif(not RESULTS.is_dir(), reason=f"no published data at {RESULTS}")


@needs_results
def test_tracebench_reader_parses_16_tasks_per_method():
    entries = read_tracebench(RESULTS, ["gepa", "openevolve", "dspy"])
    groups = {}
    for e in entries:
        groups.setdefault(e.group, []).append(e)
    assert sorted(groups) == ["DSPy", "GEPA", "OpenEvolve"]
    folders = {"GEPA": "kernel_gepa", "OpenEvolve": "kernel_openevolve_1", "DSPy": "kernel_dspy_1"}
    for group, es in groups.items():
        assert len(es) == 16
        for task, e in enumerate(es):
            (f,) = (RESULTS / folders[group]).glob(f"*task_{task}_result.json")
            data = json.loads(f.read_text())
            claimed = data.get("best_speedup", data.get("best_score"))
            assert e.claimed_speedup == pytest.approx(claimed)
            assert e.claimed_correct == (claimed > 0)
            assert e.code == (data["best_cuda_code"] or None)
            assert e.problem == f"kernelbench/L1/{TASK_TO_L1[task].split('_')[0]}"
            assert e.expected_name == TASK_TO_L1[task]
    assert any(e.code is None for e in groups["DSPy"])          # DSPy published no kernel for some tasks


@needs_results
def test_task_table_matches_the_readme():
    pairs = re.findall(r"(\d+):(\d+_\w+)", (RESULTS / "README.md").read_text())
    assert {int(i): name for i, name in pairs} == TASK_TO_L1


@needs_results
def test_tracebench_reader_errors(tmp_path):
    with pytest.raises(UserError, match="no kernel_"):
        read_tracebench(tmp_path)
    with pytest.raises(UserError, match="no results for method"):
        read_tracebench(RESULTS, ["nosuch"])
