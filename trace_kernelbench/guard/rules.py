"""The guard's rules: one flag per rule, the one sentence an optimizer reads when it breaks it, and the policy levels
that enforce it. Standard library only.

A *finding* is a fact the static analysis or a runtime check established ("forward calls torch.matmul", "the output
contained bytes the kernel never wrote"); a *flag* is the name of a rule that a finding breaks under the policy in
force. Policies:

  strict       every rule; the custom kernel must do the problem's compute (torch only allocates, views, copies)
  kernelbench  KernelBench's rules (the default): at least one custom kernel runs in forward, torch ops are allowed for
               the rest; every integrity rule (no patching, caching, side channels, ...) still holds
  off          nothing is rejected; flags are still recorded (with the kernelbench rule set)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

POLICIES = ("strict", "kernelbench", "off")
DEFAULT_POLICY = "kernelbench"
# environment variables a candidate may set or read: build settings (the env_tampering and env_or_file_access rules)
BUILD_ENV = frozenset({"TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "CXX", "CC", "CUDA_HOME", "CUDA_PATH",
                       "TORCH_EXTENSIONS_DIR", "NVCC_APPEND_FLAGS", "NVCC_PREPEND_FLAGS", "TORCH_NVCC_FLAGS"})


@dataclass(frozen=True)
class Rule:
    flag: str
    title: str
    sentence: str            # what the optimizer is told: the rule and what to do, one sentence
    strict_only: bool = False


_RULES = [
    # -- what forward must do
    Rule("no_custom_kernel", "no custom kernel",
         "ModelNew.forward must launch at least one kernel you wrote (load_inline/load extension or @triton.jit); "
         "calling PyTorch or library ops alone is not a submission."),
    Rule("decoy_kernel", "kernel never called",
         "You compiled or defined a kernel that ModelNew.forward never calls; forward itself must launch your kernel "
         "instead of computing the result with PyTorch."),
    Rule("extension_calls_library", "extension only wraps library calls",
         "Your extension function only calls ATen/cuBLAS/cuDNN/CUB compute routines; write the computation as your own "
         "kernel (a __global__ launch or your own C++ loop)."),
    Rule("kernel_not_run", "custom kernel did not run",
         "Your kernel was not executed while forward ran on the evaluation inputs; remove the code path that computes "
         "the result without it."),
    Rule("torch_compute_op", "PyTorch compute op in forward", strict_only=True,
         sentence="Under the strict policy forward may use PyTorch only to allocate, reshape or copy tensors; move "
                  "every computation into your own kernel."),
    Rule("low_kernel_share", "custom kernel does little of the work", strict_only=True,
         sentence="Under the strict policy your own kernels must account for most of forward's run time; move the "
                  "remaining library computation into your kernel."),
    Rule("reference_model_use", "uses the reference Model",
         "Do not run the reference Model (or a copy of it) inside ModelNew; implement the computation in your kernel."),
    Rule("exception_fallback", "try/except fallback in forward",
         "Remove try/except (and contextlib.suppress) from code forward runs: a failing kernel must raise, not fall "
         "back to other code; try is allowed only in module-level or __init__ setup."),
    # -- integrity of the evaluation
    Rule("monkey_patching", "patches library or evaluator code",
         "Do not assign to attributes of torch, time, os, builtins, other imported modules or classes; leave library "
         "and evaluator functions untouched."),
    Rule("patched_function", "a trusted function was replaced",
         "A timing, synchronisation, comparison or evaluator function was replaced while your code ran; do not "
         "modify any function outside your own module."),
    Rule("evaluator_access", "inspects the evaluator",
         "Do not inspect the evaluator (sys.modules, gc, stack frames, trace hooks, trace_kernelbench); your code may "
         "only use the inputs forward receives."),
    Rule("dynamic_code", "code that cannot be analysed",
         "Do not use exec/eval/compile, importlib/__import__, dynamic getattr/setattr on modules or similar tricks; "
         "write plain code that the evaluator can read."),
    Rule("memory_tampering", "native memory or process tampering",
         "Do not use ctypes/cffi, /proc/self/mem, mprotect, dlsym or Python's C API to modify the running process; "
         "kernels may touch only their own tensors."),
    Rule("result_channel_forgery", "forges the result channel",
         "Do not write to file descriptors, stdout or the evaluator's result channel; results are measured by the "
         "evaluator, never reported by the candidate."),
    Rule("concurrency", "threads, processes or signals",
         "Do not start threads, processes, timers or signal handlers, or exit the process; do all work inside "
         "forward's call (OpenMP inside a C++ kernel is fine)."),
    Rule("thread_started", "a thread outlived the call",
         "A new thread was running after your code returned; do all work synchronously inside forward."),
    Rule("tensor_subclass", "tensor subclass or dispatch override",
         "Return plain torch.Tensor results and do not define Tensor subclasses, __torch_function__, "
         "__torch_dispatch__ or dispatch modes."),
    Rule("output_not_plain_tensor", "output is not a plain dense tensor",
         "forward must return exactly torch.Tensor objects with strided (dense) layout, not subclasses, wrappers, "
         "sparse or lazy tensors."),
    Rule("unsynchronised_stream", "work left on a side stream",
         "Work launched on your own CUDA stream must be joined back (current_stream().wait_stream(s), an event wait or "
         "a synchronize) before forward returns."),
    Rule("output_written_after_return", "output written after forward returned",
         "Your output kept changing after forward returned (a background thread or an unjoined stream); finish all "
         "writes before returning."),
    Rule("precision_downgrade", "lower precision than the problem",
         "Compute in the problem's precision: no casts to fp16/bf16/fp8, no TF32 switches and no tl.dot without "
         "input_precision=\"ieee\" on an fp32 problem."),
    Rule("precision_flags_changed", "precision flags changed",
         "Do not change torch's precision settings (allow_tf32, float32 matmul precision, default dtype); leave global "
         "numerics as the evaluator set them."),
    Rule("global_state_change", "changes global torch state",
         "Do not change global torch settings (cudnn.benchmark/deterministic, thread counts, default device); your "
         "kernel must not depend on or alter process-wide state."),
    Rule("env_or_file_access", "reads environment or files",
         "Do not read environment variables (other than build settings) or files; the kernel gets everything it "
         "needs from forward's inputs."),
    Rule("env_tampering", "changes environment variables",
         "Do not set environment variables other than build settings (TORCH_CUDA_ARCH_LIST, MAX_JOBS, CXX, CC)."),
    Rule("rng_tampering", "seeds the global random generator",
         "Do not seed or reset the global random number generators; inputs are drawn with secret seeds, so "
         "hard-coding them cannot work."),
    Rule("result_caching", "caches results across calls",
         "Do not cache or reuse outputs across calls keyed on tensor identity, pointers, versions or content; every "
         "call must compute its result from its inputs."),
    Rule("l2_persistence", "persisting L2 cache settings",
         "Do not set persisting-L2 limits or access-policy windows; they defeat the evaluator's cache flush."),
    # -- what runtime checks saw
    Rule("fresh_input_mismatch", "wrong on fresh inputs",
         "Your output was correct on the first inputs but wrong on fresh inputs run before the reference; compute "
         "every result from the current inputs instead of reusing earlier results or memory."),
    Rule("timed_output_mismatch", "wrong during timing",
         "An output produced during timing (on fresh inputs) was wrong; forward must compute the correct result on "
         "every call, not only the first ones."),
    Rule("input_mutation", "modifies its inputs",
         "forward must not modify its input tensors; write results into newly allocated outputs."),
    Rule("output_aliases_input", "output aliases an input",
         "Return a new tensor: your output shares memory with an input where the reference's does not."),
    Rule("uninitialised_output", "returns memory it never wrote",
         "Your output contained memory your kernel never wrote (the evaluator's poison pattern); write every output "
         "element and do not rely on leftover memory."),
    Rule("timer_discrepancy", "timings disagree",
         "Your speedup did not hold when re-measured with a host timer around a device synchronize on fresh inputs; "
         "make sure all work happens inside forward on the current stream."),
    Rule("roofline_violation", "faster than the hardware allows",
         "Your measured time is below what moving the inputs and outputs through memory takes on this GPU; do the "
         "full computation inside forward."),
    Rule("nondeterministic", "results vary between runs",
         "Two runs on identical inputs gave results that differ beyond the tolerance; remove races and "
         "order-dependent accumulation."),
]

RULES: dict[str, Rule] = {r.flag: r for r in _RULES}


@dataclass
class Finding:
    """One fact that breaks a rule. `source`: static | native | runtime | channel. `line`: candidate line, if known."""

    flag: str
    detail: str
    source: str = "static"
    line: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(flag=str(d["flag"]), detail=str(d.get("detail", "")), source=str(d.get("source", "static")),
                   line=d.get("line"))


def rule_active(flag: str, policy: str) -> bool:
    """True when `flag`'s rule belongs to `policy`'s rule set (`off` records the kernelbench set)."""
    rule = RULES.get(flag)
    if rule is None:
        return True
    return policy == "strict" or not rule.strict_only


def rejects(policy: str) -> bool:
    return policy in ("strict", "kernelbench")


@dataclass
class Decision:
    policy: str
    flags: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)   # the findings behind `flags`, in order
    rejected: bool = False

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


# Order in which a rejection names its rule: the most specific and most actionable first.
_PRIORITY = [
    "result_channel_forgery", "memory_tampering", "patched_function", "monkey_patching", "evaluator_access",
    "dynamic_code", "tensor_subclass", "output_not_plain_tensor", "concurrency", "thread_started",
    "reference_model_use", "decoy_kernel", "extension_calls_library", "no_custom_kernel", "exception_fallback",
    "kernel_not_run", "result_caching", "rng_tampering", "uninitialised_output", "fresh_input_mismatch",
    "timed_output_mismatch", "input_mutation", "output_aliases_input", "output_written_after_return",
    "unsynchronised_stream", "l2_persistence", "precision_downgrade", "precision_flags_changed", "env_tampering",
    "env_or_file_access", "global_state_change", "timer_discrepancy", "roofline_violation", "nondeterministic",
    "torch_compute_op", "low_kernel_share",
]
_RANK = {f: i for i, f in enumerate(_PRIORITY)}


def decide(findings: list[Finding], policy: str) -> Decision:
    """Flags under `policy` (deduplicated, most important first) and whether they reject the candidate."""
    if policy not in POLICIES:
        raise ValueError(f"unknown guard policy '{policy}' (choose from {', '.join(POLICIES)})")
    active = [f for f in findings if rule_active(f.flag, policy)]
    active.sort(key=lambda f: _RANK.get(f.flag, len(_RANK)))
    seen: dict[str, Finding] = {}
    for f in active:
        seen.setdefault(f.flag, f)
    return Decision(policy=policy, flags=list(seen), findings=list(seen.values()),
                    rejected=bool(seen) and rejects(policy))


def rejection_message(decision: Decision) -> str:
    """One sentence naming the rule (and the evidence), for `EvalResult.error` and the optimizer's feedback."""
    f = decision.first
    if f is None:
        return ""
    rule = RULES.get(f.flag)
    sentence = rule.sentence if rule else f"Rule {f.flag} was broken."
    where = f" (line {f.line})" if f.line else ""
    evidence = f" Evidence{where}: {f.detail}." if f.detail else ""
    more = [x for x in decision.flags[1:]]
    also = f" Also flagged: {', '.join(more)}." if more else ""
    return f"rule `{f.flag}`: {sentence}{evidence}{also}"
