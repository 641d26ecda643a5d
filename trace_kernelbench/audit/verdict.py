"""Judging a published claim against our evaluation, and the audit summary.

A claim is an entry with ``claimed_correct`` true. Its verdict, from our result:

- ``holds``: we find the kernel correct, and its speedup is at least ``(1 - tolerance) x`` the claimed speedup (within
  the tolerance, or better). Without a claimed speedup, or when we did not time it (``--no-timing``), correctness alone
  decides. Default tolerance 0.10.
- ``slower``: correct, but our speedup is below ``(1 - tolerance) x`` the claim (the speedup is not reproduced).
- ``fails``: fails correctness: ``incorrect``, ``runtime_error`` or ``timeout``.
- ``rejected``: the guard rejected it (``rejected``).
- ``no_build``: it does not build or load (``compile_error``).
- ``not_evaluated``: nothing was published to evaluate, or the evaluator could not (``infra_error``, ``no_device``).

Entries that claim no correct kernel (``claimed_correct`` false, e.g. a published best score of 0) get ``no_claim``
and are left out of the counts above. ``ratio = our speedup / claimed speedup`` when both are known; the summary's
geometric-mean ratio is ``exp(mean(log ratio))`` over the claims that have one.
Flags are the guard's (e.g. ``no_custom_kernel``; recorded even under ``--guard off``). Note added per entry:
``win not reproduced`` (claimed > 1x, ours correct but <= 1x).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from trace_kernelbench import metrics
from trace_kernelbench.audit.entries import AuditEntry
from trace_kernelbench.evaluation.result import EvalResult

DEFAULT_TOLERANCE = 0.10
VERDICTS = ("holds", "slower", "fails", "rejected", "no_build", "not_evaluated")
VERDICT_TEXT = {
    "holds": "claim holds", "slower": "speedup not reproduced", "fails": "fails correctness",
    "rejected": "rejected by the guard", "no_build": "does not build", "not_evaluated": "not evaluated",
    "no_claim": "no claim (published as failed)",
}
_FAILS = ("incorrect", "runtime_error", "timeout")


@dataclass
class Judgement:
    entry: AuditEntry
    result: EvalResult | None          # None: not evaluated (no code)
    verdict: str
    ratio: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "no code" if self.result is None else self.result.status.value

    @property
    def speedup(self) -> float | None:
        return None if self.result is None or self.result.status.value != "correct" else self.result.speedup

    def to_dict(self) -> dict:
        r = self.result
        return {"label": self.entry.label, "group": self.entry.group, "problem": self.entry.problem,
                "claimed_correct": self.entry.claimed_correct, "claimed_speedup": self.entry.claimed_speedup,
                "status": self.status, "speedup": self.speedup, "ratio": self.ratio, "verdict": self.verdict,
                "flags": list(r.flags) if r else [], "notes": list(self.notes), "backend": r.backend if r else None,
                "device": r.device if r else None,
                "error": (r.error or "").strip().splitlines()[0][:300] if r and r.error else None}


def judge(entry: AuditEntry, result: EvalResult | None, tolerance: float = DEFAULT_TOLERANCE) -> Judgement:
    if not 0 <= tolerance < 1:
        raise ValueError("tolerance must be in [0, 1)")
    status = None if result is None else result.status.value
    ours = result.speedup if status == "correct" else None
    claimed = entry.claimed_speedup
    ratio = ours / claimed if ours is not None and claimed is not None and claimed > 0 else None
    notes = []
    if status == "correct" and ours is not None and claimed is not None and claimed > 1 >= ours:
        notes.append("win not reproduced")
    if not entry.claimed_correct:
        verdict = "no_claim"
    elif status is None or status in ("infra_error", "no_device"):
        verdict = "not_evaluated"
    elif status == "correct":
        verdict = "slower" if ratio is not None and ratio < 1 - tolerance else "holds"
    elif status in _FAILS:
        verdict = "fails"
    elif status == "rejected":
        verdict = "rejected"
    elif status == "compile_error":
        verdict = "no_build"
    else:
        verdict = "not_evaluated"
    return Judgement(entry=entry, result=result, verdict=verdict, ratio=ratio, notes=notes)


@dataclass
class GroupSummary:
    group: str
    entries: int
    claims: int
    counts: dict[str, int]            # verdict -> count, over claims (plus no_claim)
    geomean_ratio: float | None
    ratios: int                       # how many claims had a ratio
    claimed_fast: dict[float, float]  # fast_p of the claims (share of the group's entries)
    our_fast: dict[float, float]      # fast_p of our results

    def to_dict(self) -> dict:
        return {"group": self.group, "entries": self.entries, "claims": self.claims, **self.counts,
                "geomean_ratio": self.geomean_ratio, "ratios": self.ratios,
                "claimed_fast_p": {f"{p:g}": v for p, v in self.claimed_fast.items()},
                "our_fast_p": {f"{p:g}": v for p, v in self.our_fast.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "GroupSummary":
        """Inverse of to_dict (e.g. the `summary` of an audit JSON)."""
        return cls(group=d["group"], entries=d["entries"], claims=d["claims"],
                   counts={v: d.get(v, 0) for v in (*VERDICTS, "no_claim")}, geomean_ratio=d["geomean_ratio"],
                   ratios=d["ratios"], claimed_fast={float(p): v for p, v in d["claimed_fast_p"].items()},
                   our_fast={float(p): v for p, v in d["our_fast_p"].items()})


def summarize(judgements: list[Judgement], group: str = "all", ps=(0.0, 1.0)) -> GroupSummary:
    counts = {v: sum(j.verdict == v for j in judgements) for v in (*VERDICTS, "no_claim")}
    ratios = [j.ratio for j in judgements if j.entry.claimed_correct and j.ratio is not None and j.ratio > 0]
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None
    claimed_scores = [metrics.score_of(j.entry.claimed_correct, j.entry.claimed_speedup) for j in judgements]
    our_scores = [metrics.score_of(j.status == "correct", j.speedup) for j in judgements]
    return GroupSummary(group=group, entries=len(judgements),
                        claims=sum(j.entry.claimed_correct for j in judgements), counts=counts,
                        geomean_ratio=geo, ratios=len(ratios),
                        claimed_fast={float(p): metrics.fast_p(claimed_scores, p) for p in ps},
                        our_fast={float(p): metrics.fast_p(our_scores, p) for p in ps})


def summaries(judgements: list[Judgement], ps=(0.0, 1.0)) -> list[GroupSummary]:
    """One summary per group (in first-seen order) and, when there are several groups, one over all entries."""
    groups: list[str] = []
    for j in judgements:
        if j.entry.group not in groups:
            groups.append(j.entry.group)
    out = [summarize([j for j in judgements if j.entry.group == g], g, ps) for g in groups]
    if len(groups) > 1:
        out.append(summarize(judgements, "all", ps))
    return out
