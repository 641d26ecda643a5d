"""Audit output: per-entry and summary rows, rendered as rich tables, Markdown, or a JSON document."""
from __future__ import annotations

import json

from rich.table import Table
from rich.text import Text

from trace_kernelbench.audit.entries import claim_text
from trace_kernelbench.audit.verdict import VERDICT_TEXT, VERDICTS, GroupSummary, Judgement


def entry_rows(entries: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Rows of the per-entry table from judgement dicts (`Judgement.to_dict()`, or the `entries` of an audit JSON)."""
    header = ["entry", "problem", "claimed", "ours", "ours/claimed", "verdict", "flags / notes"]
    rows = []
    for j in entries:
        ours = j["status"] + ("" if j["speedup"] is None else f" {j['speedup']:.3g}x")
        rows.append([j["label"], j["problem"], claim_text(j["claimed_correct"], j["claimed_speedup"]), ours,
                     "-" if j["ratio"] is None else f"{j['ratio']:.3g}", VERDICT_TEXT[j["verdict"]],
                     ", ".join([*j["flags"], *j["notes"]]) or "-"])
    return header, rows


def summary_rows(sums: list[GroupSummary], tolerance: float) -> tuple[list[str], list[list[str]]]:
    ps = list(sums[0].claimed_fast) if sums else []
    header = ["method", "entries", "claims", *[VERDICT_TEXT[v] for v in VERDICTS], "geomean ours/claimed",
              *[f"fast_{p:g} claimed -> ours" for p in ps]]
    rows = []
    for s in sums:
        rows.append([s.group, str(s.entries), str(s.claims), *[str(s.counts[v]) for v in VERDICTS],
                     "-" if s.geomean_ratio is None else f"{s.geomean_ratio:.2f} (n={s.ratios})",
                     *[f"{round(s.claimed_fast[p] * s.entries)}/{s.entries} -> {round(s.our_fast[p] * s.entries)}"
                       f"/{s.entries}" for p in ps]])
    return header, rows


def holds_definition(tolerance: float) -> str:
    return (f"A claim holds when we find the kernel correct and our speedup is at least {1 - tolerance:g}x the "
            f"claimed speedup (tolerance {tolerance:g}); entries published as failed are not claims.")


def _rich(header, rows, title) -> Table:
    t = Table(title=Text(title), title_justify="left")
    for h in header:
        t.add_column(Text(h))
    for r in rows:
        t.add_row(*[Text(c) for c in r])
    return t


def rich_tables(judgements: list[Judgement], sums: list[GroupSummary], tolerance: float) -> list[Table]:
    return [_rich(*entry_rows([j.to_dict() for j in judgements]), "Audit: published claims against our evaluation"),
            _rich(*summary_rows(sums, tolerance), "Audit summary (" + holds_definition(tolerance) + ")")]


def markdown_table(header, rows) -> str:
    cell = lambda s: s.replace("|", "\\|")  # noqa: E731
    return "\n".join(["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header),
                      *["| " + " | ".join(map(cell, r)) + " |" for r in rows]])


def to_markdown(judgements: list[Judgement], sums: list[GroupSummary], tolerance: float, context: str = "") -> str:
    parts = ["# Audit of published kernels", ""]
    if context:
        parts += [context, ""]
    parts += [holds_definition(tolerance), "", "## Summary", "", markdown_table(*summary_rows(sums, tolerance)), "",
              "## Entries", "", markdown_table(*entry_rows([j.to_dict() for j in judgements])), ""]
    return "\n".join(parts)


def to_json(judgements: list[Judgement], sums: list[GroupSummary], tolerance: float,
            context: dict | None = None) -> str:
    return json.dumps({"tolerance": tolerance, "holds_definition": holds_definition(tolerance), **(context or {}),
                       "summary": [s.to_dict() for s in sums], "entries": [j.to_dict() for j in judgements]},
                      indent=2)
