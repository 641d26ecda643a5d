"""scripts/update_results.py turns the measurement tools' JSON into RESULTS.md sections and leaves other sections be."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=600, **kw)


def test_overhead_and_reproducibility_outputs_render_into_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    ov = _run("-m", "trace_kernelbench.guard.overhead", "--rounds", "1", "relu")
    assert ov.returncode == 0, ov.stderr
    (out / "overhead.json").write_text(ov.stdout)
    rp = _run("-m", "trace_kernelbench.evaluation.reproducibility", "--device", "cpu", "--size", "small",
              "--backend", "cpp", "--repeats", "2", "relu")
    assert rp.returncode == 0, rp.stderr
    (out / "repro.json").write_text(rp.stdout)
    off = _run("-m", "trace_kernelbench.evaluation.reproducibility", "--device", "cpu", "--size", "small",
               "--backend", "cpp", "--repeats", "2", "--guard", "off", "relu")
    assert off.returncode == 0, off.stderr
    (out / "repro_noguard.json").write_text(off.stdout)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n## kept\n\n<!-- BEGIN bench -->\nearlier numbers\n<!-- END bench -->\n")

    up = _run("scripts/update_results.py", out, "--results", results)
    assert up.returncode == 0, up.stderr
    text = results.read_text()
    assert "earlier numbers" in text                     # a section without new files is left as it was
    ov_doc, rp_doc = json.loads(ov.stdout), json.loads(rp.stdout)
    row = ov_doc["rows"][0]
    assert f"| relu | {row['with_guard_s']} | {row['without_guard_s']} | {row['overhead_pct']} |" in text
    assert f"{ov_doc['overhead_pct']}% in total" in text
    assert row["guard_sections_s"] and next(iter(row["guard_sections_s"])) in text   # where the guard's time goes
    spread = rp_doc["rows"][0]["speedup_spread"]
    assert "| relu | on | 2 | " in text and f"{100 * spread:.2f}%" in text
    off_doc = json.loads(off.stdout)
    assert all(x["guard_checks"] > 0 for x in rp_doc["rows"][0]["runs"])
    assert [x["guard_checks"] for x in off_doc["rows"][0]["runs"]] == [0, 0]       # no guard work at all
    assert f"| relu | off | 2 | {off_doc['rows'][0]['speedup_median']:.3f} |" in text


def test_a_cut_off_output_keeps_the_earlier_section(tmp_path):
    """A step killed by its time limit leaves an empty JSON file: one line on stderr, the earlier numbers stay."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "repro.json").write_text("")
    (out / "env.txt").write_text("NVIDIA H200\n")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n<!-- BEGIN repro -->\nearlier spread\n<!-- END repro -->\n")
    up = _run("scripts/update_results.py", out, "--results", results)
    assert up.returncode == 0, up.stderr
    assert "repro.json" in up.stderr and "Traceback" not in up.stderr
    text = results.read_text()
    assert "earlier spread" in text and "NVIDIA H200" in text
