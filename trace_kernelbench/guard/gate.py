"""The guard's two calls from the evaluator (standard library only, like the evaluator process itself):

  static_gate(req, backend)  right after precheck: facts and findings from the AST; a rejecting verdict under the
                             request's policy ends the evaluation before any build or process starts
  finalize(result, raw, ...) after the run worker answered: authenticate its message, merge its runtime findings with
                             the static ones, apply the policy, and set status, flags, error and the `guard` record
"""
from __future__ import annotations

import contextlib
import copy
import functools
import os

from trace_kernelbench.guard import integrity
from trace_kernelbench.guard.integrity import new_key
from trace_kernelbench.guard.rules import POLICIES, Decision, Finding, decide, rejection_message

BYPASS_ENV = "TRACE_KB_GUARD_BYPASS"     # benchmarking only: measure the evaluation without any guard work


def bypassed() -> bool:
    return os.environ.get(BYPASS_ENV, "") not in ("", "0")


@contextlib.contextmanager
def bypass(on: bool):
    """Measurement tools: evaluations started inside the block run without the guard (on=True) or with it (False,
    whatever the environment said); the environment is restored afterwards."""
    old = os.environ.get(BYPASS_ENV)
    if on:
        os.environ[BYPASS_ENV] = "1"
    else:
        os.environ.pop(BYPASS_ENV, None)
    try:
        yield
    finally:
        os.environ.pop(BYPASS_ENV, None)
        if old is not None:
            os.environ[BYPASS_ENV] = old


def _result_cls():
    from trace_kernelbench.evaluation.result import EvalResult, Status
    return EvalResult, Status


@functools.lru_cache(maxsize=256)
def _analysis(source: str, precision: str, problem_source: str | None, backend: str):
    """The static analysis is a pure function of its inputs: a source evaluated again (an optimizer resubmitting a
    kernel, repeated measurements) reuses it. Callers get a copy; failures are not cached."""
    from trace_kernelbench.guard.static import analyze_source
    return analyze_source(source, precision, problem_source, backend)


def static_gate(req, backend: str):
    """(report, early_result): `early_result` is a rejected EvalResult when the static findings alone reject the
    candidate under the request's policy, else None. `report` is None when the guard is bypassed."""
    if bypassed():
        return None, None
    policy = req.guard_policy
    try:
        report = copy.deepcopy(_analysis(req.candidate_source, req.precision, req.problem_source, backend))
    except SyntaxError:
        return None, None           # precheck already reported it
    except Exception as e:  # noqa: BLE001 - fail closed: code the analysis cannot read is not trusted
        from trace_kernelbench.guard.static import StaticReport
        report = StaticReport(backend=backend, findings=[Finding(
            "dynamic_code", f"the static analysis could not read this source ({type(e).__name__})")])
    decision = decide(report.findings, policy)
    if not decision.rejected:
        return report, None
    EvalResult, Status = _result_cls()
    res = EvalResult(status=Status.REJECTED, backend=backend, error=rejection_message(decision), flags=decision.flags)
    res.guard = _record(policy, report, None, decision, stage="static")
    return report, res


def job_config(req, report) -> dict:
    """What the run worker needs: policy, precision, thresholds, and the kernel names the static analysis found."""
    if report is None:
        return {"enabled": False, "policy": req.guard_policy}
    return {"enabled": True, "policy": req.guard_policy, "speedup_factor": req.guard_speedup_factor,
            "static": report.runtime}


def _record(policy: str, report, runtime: dict | None, decision: Decision, stage: str,
            extra: list[Finding] = ()) -> dict:
    return {
        "policy": policy,
        "decided_at": stage,
        "rejected": decision.rejected,
        "flags": list(decision.flags),
        "findings": [f.to_dict() for f in decision.findings],
        "all_findings": ([f.to_dict() for f in report.findings] if report else []) +
                        [f for f in (runtime or {}).get("findings", [])] + [f.to_dict() for f in extra],
        "static": report.facts if report else None,
        "runtime": (runtime or {}).get("runtime"),
    }


def finalize(result, raw: dict | None, report, key_hex: str | None, policy: str):
    """Authenticate, merge and judge. `raw` is the worker's result message (None when the worker died)."""
    EvalResult, Status = _result_cls()
    if report is None and key_hex is None:
        return result
    findings: list[Finding] = list(report.findings) if report else []
    runtime = result.guard if isinstance(result.guard, dict) and "runtime" in result.guard else None
    if raw is not None and key_hex is not None and not integrity.verify(raw, key_hex):
        f = Finding("result_channel_forgery", "the result message was not signed with this job's key (someone "
                    "other than the evaluator wrote it)", "channel")
        decision = decide(findings + [f], policy)
        if not decision.rejected:
            decision = Decision(policy=policy, flags=decision.flags, findings=decision.findings, rejected=False)
        forged = EvalResult(status=Status.REJECTED if policy in ("strict", "kernelbench") else Status.RUNTIME_ERROR,
                            backend=result.backend, versions=result.versions, wall_s=result.wall_s,
                            cache_hit=result.cache_hit, device=result.device, compiled=result.compiled,
                            error=rejection_message(Decision(policy, ["result_channel_forgery"], [f], True)),
                            flags=decision.flags)
        forged.guard = _record(policy, report, None, decision, stage="channel", extra=[f])
        return forged
    for d in (runtime or {}).get("findings", []):
        try:
            findings.append(Finding.from_dict(d))
        except (KeyError, TypeError):
            continue
    decision = decide(findings, policy)
    result.flags = list(decision.flags)
    result.guard = _record(policy, report, runtime, decision, stage="runtime" if runtime else "static")
    if decision.rejected and result.status in (Status.CORRECT, Status.INCORRECT, Status.RUNTIME_ERROR,
                                               Status.REJECTED):
        result.guard["status_before_guard"] = result.status.value
        result.guard["measured_speedup"] = result.speedup
        result.status = Status.REJECTED
        result.correct = False
        result.speedup = None
        result.error = rejection_message(decision)
        result.feedback = ""
    return result


__all__ = ["POLICIES", "BYPASS_ENV", "bypassed", "bypass", "static_gate", "job_config", "finalize", "new_key"]
