"""The text an optimizer reads about its kernel: short, actionable, milliseconds. Standard library only."""
from __future__ import annotations

from trace_kernelbench.evaluation.result import EvalResult, Status


def _ms(x: float | None) -> str:
    return "n/a" if x is None else (f"{x:.4f} ms" if x < 0.1 else f"{x:.3f} ms")


def render_feedback(r: EvalResult) -> str:
    s = r.status
    if s == Status.CORRECT:
        if r.speedup is None:
            return f"Correct: all {r.trials_total} trials match the reference (timing was not measured)."
        cand = r.timing.get("candidate") if r.timing else None
        runs = f" (median of {cand.count} runs)" if cand else ""
        verdict = ("about as fast as" if abs(r.speedup - 1) < 0.02 else
                   "faster than" if r.speedup > 1 else "slower than")
        return (f"Correct on all {r.trials_total} trials. Your kernel: {_ms(r.runtime_ms)}{runs}; reference: "
                f"{_ms(r.ref_runtime_ms)}; speedup {r.speedup:.2f}x ({verdict} PyTorch). "
                + ("Look for more fusion, better memory access or fewer launches." if r.speedup < 1.5 else
                   "Keep it correct while trying further optimisations."))
    if s == Status.INCORRECT:
        diff = ""
        if r.max_abs_diff is not None:
            diff = f" Max abs diff {r.max_abs_diff:.3g}, mean abs diff {r.mean_abs_diff:.3g}."
        return (f"Incorrect: {r.trials_passed} of {r.trials_total} trials match the reference; {r.error}.{diff} "
                "Check indexing, bounds, reductions and that every output element is written.")
    if s == Status.COMPILE_ERROR:
        if r.compile_log:
            return f"Compilation failed. Compiler errors:\n{r.compile_log}"
        return f"The code could not be loaded: {r.error}"
    if s == Status.RUNTIME_ERROR:
        return f"Runtime error while running your kernel: {r.error}"
    if s == Status.TIMEOUT:
        return f"Timed out: {r.error}. Look for infinite loops, deadlocks or far too much work."
    if s == Status.REJECTED:
        # r.error names the rule: "rule `flag`: <one sentence saying what to do>" plus the evidence
        return f"Rejected by the evaluator's guard, {r.error}"
    if s == Status.NO_DEVICE:
        return "Your code compiled, but no device on this evaluator can run it (e.g. a CUDA kernel on a CPU-only host)."
    return f"Evaluation infrastructure error (not your kernel's fault): {r.error}"
