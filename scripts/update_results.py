"""Render GPU validation outputs (the $OUT folder of scripts/gpu_validate.sh) into RESULTS.md.

Usage: python scripts/update_results.py OUT_DIR [--results RESULTS.md]
Each known output file replaces its own section (between <!-- BEGIN name --> and <!-- END name --> markers);
sections whose files are absent are left as they were, so partial runs never erase earlier results.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path


def _load(p: Path):
    """The JSON in `p`, or None when it is absent, empty or unreadable (a step cut off by its time limit leaves an
    empty file): that section keeps its earlier content."""
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except ValueError:
        print(f"skipped {p.name}: not valid JSON (empty or cut off)", file=sys.stderr)
        return None


def _fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def render_env(out: Path) -> str | None:
    p = out / "env.txt"
    if not p.exists():
        return None
    return "Environment of the last GPU validation run:\n\n```\n" + p.read_text().strip() + "\n```\n"


def render_solutions(out: Path) -> str | None:
    d = _load(out / "solutions.json")
    if d is None:
        return None
    v = d.get("versions", {})
    lines = [f"Device: {d['device']}; date: {d['date']}; size: {d['size']}; torch {v.get('torch')}, CUDA "
             f"{v.get('cuda')}, nvcc: {v.get('nvcc')}; wall time {d['wall_s']} s.", "",
             "| problem | backend | status | reference ms | candidate ms | speedup |", "|---|---|---|---|---|---|"]
    for r in d["rows"]:
        lines.append(f"| {r['problem']} | {r['backend']} | {r['status']} | {_fmt(r['ref_ms'], 4)} | "
                     f"{_fmt(r['candidate_ms'], 4)} | {_fmt(r['speedup'], 3)} |")
    ok = sum(r["status"] == "correct" for r in d["rows"])
    lines += ["", f"{ok}/{len(d['rows'])} correct."]
    return "\n".join(lines) + "\n"


def render_bench(out: Path) -> str | None:
    """Every bench*.json in OUT (output of `trace-kernelbench bench --json`), one table each."""
    files = sorted(out.glob("bench*.json"))
    if not files:
        return None
    parts = []
    for f in files:
        d = _load(f)
        if d is None:
            continue
        req = d.get("request", {})
        parts += [f"**{f.stem}** (evaluator {d.get('evaluator')}, size {req.get('size')}, guard "
                  f"{req.get('guard_policy')}{', ' + d['note'] if d.get('note') else ''}; total {d.get('elapsed_s')} s)", "",
                  "| pass | kernels | wall s | kernels/min | statuses | queue | build | load | correctness | timing |"
                  " reference | overhead |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for ps in d.get("passes", []):
            m = ps["mean_s"]
            st = ", ".join(f"{k} {v}" for k, v in ps["statuses"].items())
            parts.append(f"| {ps['name']} | {ps['kernels']} | {ps['wall_s']} | {ps['kernels_per_min']} | {st} | "
                         + " | ".join(_fmt(m.get(k), 2) for k in ("queue", "build", "load", "correctness", "timing",
                                                                   "reference", "overhead")) + " |")
        one = d.get("repeat_one")
        if one:
            parts.append(f"\nIdentical source re-evaluated alone: {one['status']} in {one['wall_s']} s.")
        parts.append("")
    if not parts:
        return None
    return "Stage columns are mean seconds per kernel.\n\n" + "\n".join(parts)


def render_audit(out: Path) -> str | None:
    """audit.json (from scripts/audit_tracebench.py --out audit.json): the summary and per-entry tables."""
    d = _load(out / "audit.json")
    if d is None:
        return None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from trace_kernelbench.audit.render import entry_rows, markdown_table, summary_rows
    from trace_kernelbench.audit.verdict import GroupSummary
    sums = [GroupSummary.from_dict(s) for s in d["summary"]]
    devices = sorted({e["device"] for e in d["entries"] if e.get("device")})
    return "\n".join([f"Device: {', '.join(devices) or '-'}. {d['holds_definition']}", "", "Summary:", "",
                      markdown_table(*summary_rows(sums, d["tolerance"])), "", "Entries:", "",
                      markdown_table(*entry_rows(d["entries"])), ""])


def render_overhead(out: Path) -> str | None:
    """overhead.json (python -m trace_kernelbench.guard.overhead): wall time per warm evaluation with and without
    the guard, and where the guard's time goes."""
    d = _load(out / "overhead.json")
    if d is None:
        return None
    lines = [f"Guard overhead per warm evaluation (build and reference timing cached): {d['overhead_pct']}% in total.",
             "", "| problem | with guard s | without s | overhead % | guard work s | largest guard sections s |",
             "|---|---|---|---|---|---|"]
    for r in d["rows"]:
        top = ", ".join(f"{k} {v:.3f}" for k, v in list(r.get("guard_sections_s", {}).items())[:4]) or "-"
        lines.append(f"| {r['problem']} | {r['with_guard_s']} | {r['without_guard_s']} | {r['overhead_pct']} | "
                     f"{r['guard_work_s']} | {top} |")
    return "\n".join(lines) + "\n"


def render_repro(out: Path) -> str | None:
    """repro.json (and repro_noguard.json, the same with --guard off) from python -m
    trace_kernelbench.evaluation.reproducibility: speedup spread over fresh evaluations."""
    docs = [d for d in (_load(out / "repro.json"), _load(out / "repro_noguard.json")) if d is not None]
    if not docs:
        return None
    lines = ["The same kernel evaluated repeatedly, each time in a fresh worker with the reference re-timed; spread = "
             "(max - min) / min; SM clock: lowest and highest seen while the candidates were timed; timed again: "
             "repeats whose interleaved reference drifted more than 5% from the one timed before the candidate "
             "loaded, so the pair was timed again (fallback: all attempts drifted, the earlier reference was used).",
             "", "| problem | guard | repeats | speedup (median) | speedup spread | reference spread | candidate spread "
             "| SM clock MHz | timed again | fallback |", "|---|---|---|---|---|---|---|---|---|---|"]
    pct = lambda x: "-" if x is None else f"{100 * x:.2f}%"  # noqa: E731
    for d in docs:
        for r in d["rows"]:
            clocks = [c for x in r["runs"] for c in (x.get("clock_mhz") or [])]
            clock = f"{min(clocks):.0f}-{max(clocks):.0f}" if clocks else "-"
            lines.append(f"| {r['problem']} | {d.get('guard', 'on')} | {len(r['runs'])} | {_fmt(r['speedup_median'])} "
                         f"| {pct(r['speedup_spread'])} | {pct(r['ref_spread'])} | {pct(r['candidate_spread'])} "
                         f"| {clock} | {sum((x.get('attempts') or 1) > 1 for x in r['runs'])} "
                         f"| {sum(not x.get('interleaved', True) for x in r['runs'])} |")
    return "\n".join(lines) + "\n"


def render_text_tail(filename: str, lines: int = 40):
    def render(out: Path) -> str | None:
        p = out / filename
        if not p.exists():
            return None
        tail = "\n".join(p.read_text().strip().splitlines()[-lines:])
        return f"Output (`{filename}`, last {lines} lines):\n\n```\n{tail}\n```\n"
    return render


SECTIONS = {
    "env": render_env,
    "solutions": render_solutions,
    "gpu_tests": render_text_tail("gpu_tests.log", 70),
    "bench": render_bench,
    "guard": render_text_tail("guard.log", 50),
    "overhead": render_overhead,
    "repro": render_repro,
    "quickstart": render_text_tail("quickstart.log", 30),
    "audit": render_audit,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--results", default=str(Path(__file__).resolve().parents[1] / "RESULTS.md"))
    args = ap.parse_args()
    out, path = Path(args.out_dir), Path(args.results)
    if not out.is_dir():
        ap.error(f"{out} is not a folder (the $OUT of scripts/gpu_validate.sh)")
    text = path.read_text() if path.exists() else "# Results\n"
    for name, render in SECTIONS.items():
        body = render(out)
        if body is None:
            continue
        block = f"<!-- BEGIN {name} -->\n{body}<!-- END {name} -->"
        pattern = re.compile(rf"<!-- BEGIN {name} -->.*?<!-- END {name} -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m: block, text)
        else:
            text = text.rstrip() + f"\n\n## {name}\n\n{block}\n"
        print(f"updated section {name}")
    path.write_text(text)


if __name__ == "__main__":
    main()
