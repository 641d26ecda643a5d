"""scripts/reproduce_tracebench.py prints Trace-Bench's published fast_p table exactly, from its plot data
(<repo>/../shared/data/tracebench-fork-results; skipped where that copy is absent)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO.parent / "shared" / "data" / "tracebench-fork-results"

# The table Trace-Bench published (RESULTS/README.md): method -> (fast_0.5, fast_1.0, fast_1.5, fast_2.0)
PUBLISHED = {
    "PrioritySearch+summarizer (Trace)": ("15/16", "12/16", "4/16", "3/16"),
    "OpenEvolve": ("15/16", "11/16", "2/16", "2/16"),
    "GEPA": ("13/16", "7/16", "5/16", "3/16"),
    "DSPy": ("12/16", "4/16", "2/16", "2/16"),
}

pytestmark = pytest.mark.skipif(not (RESULTS / "plot-data").is_dir(), reason=f"no published data at {RESULTS}")


def rows(markdown: str) -> dict[str, list[str]]:
    out = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("method",) and not cells[0].startswith("---"):
            out[cells[0]] = cells
    return out


def test_prints_the_published_table():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "reproduce_tracebench.py"), str(RESULTS)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = rows(proc.stdout)
    assert list(got) == list(PUBLISHED)                       # same methods, published order
    for method, cells in got.items():
        assert tuple(cells[2:]) == PUBLISHED[method], method
    assert got["PrioritySearch+summarizer (Trace)"][1] == "100" and got["DSPy"][1] == "20"
    assert got["GEPA"][1] == "21-27"


def test_matches_the_readme_table():
    readme = rows((RESULTS / "README.md").read_text())
    assert {m: tuple(c[2:]) for m, c in readme.items()} == PUBLISHED


def test_bad_folder_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "reproduce_tracebench.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no plot data" in proc.stderr and "Traceback" not in proc.stderr
