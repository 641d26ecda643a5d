"""Auditing published kernels: read claims (`entries` for generic JSON/JSONL, `tracebench` for Trace-Bench result
folders), re-evaluate them through an Evaluator (`run`), judge each claim and summarise (`verdict`), and render the
outcome (`render`). What "a claim holds" means is documented in `verdict`."""
from trace_kernelbench.audit.entries import AuditEntry, read_generic
from trace_kernelbench.audit.run import build_requests, run_audit
from trace_kernelbench.audit.tracebench import read_final_scores, read_tracebench
from trace_kernelbench.audit.verdict import DEFAULT_TOLERANCE, Judgement, judge, summaries

__all__ = ["AuditEntry", "DEFAULT_TOLERANCE", "Judgement", "build_requests", "judge", "read_final_scores",
           "read_generic", "read_tracebench", "run_audit", "summaries"]
