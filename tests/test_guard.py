"""The guard: exploit candidates are rejected with the right flag, honest-but-unusual kernels and the embedded-suite
solutions pass with no flags, rejected candidates get one-sentence feedback naming the rule, forged results are
never trusted, and the suite self-check catches trivial answers.

CPU: Triton candidates run interpreted (TRITON_INTERPRET=1); C++ candidates build once per distinct source (the
session's build cache is shared); CUDA candidates are checked statically here and run by the `gpu` tests.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from trace_kernelbench.evaluation.request import EvalRequest, TimingConfig
from trace_kernelbench.guard import RULES, Finding, decide
from trace_kernelbench.guard.static import analyze_source
from trace_kernelbench.problems import resolve_problem
from trace_kernelbench.solutions import solution_names, solution_source

HERE = Path(__file__).parent
EXPLOITS = json.loads((HERE / "exploits" / "manifest.json").read_text())["exploits"]
HONEST = json.loads((HERE / "honest" / "manifest.json").read_text())["honest"]
# short timing: enough timed calls to exercise fresh inputs and sampled output checks, little wall time
FAST_TIMING = TimingConfig(warmup_runs=1, warmup_seconds=0, min_runs=5, max_runs=20, target_rse=0.01, max_seconds=1.0)
NOT_RUN_IN_CI = {"proc_self_mem_patch.py", "baseline_cache_tamper.py"}   # would damage the process / test cache


def _source(kind: str, name: str) -> str:
    return (HERE / kind / name).read_text()


def _request(entry: dict, source: str, policy: str = "kernelbench", device: str = "cpu", **kw) -> EvalRequest:
    problem = resolve_problem(entry["problem"])
    size = entry.get("gpu_size", "small") if device == "cuda" else "small"
    return EvalRequest.for_problem(problem, source, size=size, device=device, guard_policy=policy,
                                   timing=FAST_TIMING, **kw)


def _ids(entries):
    return [e["file"][:-3] for e in entries]


def _solutions(backends):
    return [(b, n) for b in backends for n in solution_names(b)]


# ---------------------------------------------------------------------------------------------- corpus shape
def test_corpus_covers_the_public_list():
    assert len(EXPLOITS) >= 25 and len(HONEST) >= 10
    for e in EXPLOITS + HONEST:
        path = HERE / ("exploits" if e in EXPLOITS else "honest") / e["file"]
        first = path.read_text().splitlines()[0]
        assert first.startswith(("# Exploit", "# Honest")), f"{e['file']}: the first line must name the trick"
        resolve_problem(e["problem"])
    tricks = " ".join(e["trick"].lower() for e in EXPLOITS)
    public = ["memory reuse", "uninitialised", "data_ptr", "_version", "content", "torch/cublas", "decoy",
              "fallback", "side stream", "background thread", "subclass", "timer", "synchronize", "evaluator",
              "result channel", "memory attack", "nan", "near-zero", "hard-coding", "mutating", "fp16", "tf32",
              "l2", "warmup", "environment"]
    missing = [p for p in public if p not in tricks]
    assert not missing, f"public exploits without a candidate: {missing}"
    assert any(not e["cpu"] for e in EXPLOITS) and sum(e["cpu"] for e in EXPLOITS) >= 25
    for e in EXPLOITS:
        assert e["flag"] is None or e["flag"] in RULES, e


# ---------------------------------------------------------------------------------------------- rules and policy
def test_policy_levels():
    torch_op = Finding("torch_compute_op", "forward calls torch.mul")
    patch = Finding("monkey_patching", "assigns `time.perf_counter`")
    assert decide([torch_op], "kernelbench").flags == [] and not decide([torch_op], "kernelbench").rejected
    strict = decide([torch_op], "strict")
    assert strict.flags == ["torch_compute_op"] and strict.rejected
    off = decide([patch, torch_op], "off")
    assert off.flags == ["monkey_patching"] and not off.rejected       # recorded, never rejected
    assert decide([patch], "kernelbench").rejected
    with pytest.raises(ValueError):
        decide([], "lenient")


def test_request_validates_policy():
    from trace_kernelbench.errors import UserError
    req = _request({"problem": "embedded/relu"}, "x", policy="lenient")
    with pytest.raises(UserError):
        req.validate()


# ---------------------------------------------------------------------------------------------- static analysis
@pytest.mark.parametrize("entry", EXPLOITS, ids=_ids(EXPLOITS))
def test_static_analysis_of_exploits(entry):
    """Static tricks are flagged by the AST analysis alone (CUDA ones included); runtime tricks pass it, so the
    runtime checks are what must catch them."""
    problem = resolve_problem(entry["problem"])
    report = analyze_source(_source("exploits", entry["file"]), "fp32", problem.source)
    decision = decide(report.findings, "kernelbench")
    if entry["static"]:
        assert entry["flag"] in decision.flags, (decision.flags, [f.detail for f in report.findings])
        assert decision.rejected
    else:
        assert not decision.rejected, decision.flags


@pytest.mark.parametrize("entry", HONEST, ids=_ids(HONEST))
def test_static_analysis_of_honest_kernels(entry):
    problem = resolve_problem(entry["problem"])
    report = analyze_source(_source("honest", entry["file"]), "fp32", problem.source)
    assert decide(report.findings, "kernelbench").flags == [], [(f.flag, f.detail) for f in report.findings]
    assert decide(report.findings, "strict").flags == entry["strict_flags"]
    assert report.facts["kernels_reached"]


@pytest.mark.parametrize("backend,name", _solutions(("cuda", "cpp", "triton")))
def test_static_analysis_of_solutions(backend, name):
    problem = resolve_problem(f"embedded/{name}")
    report = analyze_source(solution_source(backend, name), "fp32", problem.source)
    assert decide(report.findings, "kernelbench").flags == [], [(f.flag, f.detail) for f in report.findings]
    assert report.facts["kernels_reached"]


def test_error_check_macro_that_exits_is_not_flagged_but_a_thread_is():
    """LLM-written CUDA often checks errors with a macro that calls exit(): not a trick (an exit never yields a signed
    result), so it must not be rejected; starting a native thread still is."""
    problem = resolve_problem("embedded/relu")
    src = solution_source("cuda", "relu").replace(
        "#include <cuda_runtime.h>",
        "#include <cuda_runtime.h>\n#include <cstdio>\n#define CUDA_CHECK(x) do { cudaError_t e = (x); "
        "if (e != cudaSuccess) { fprintf(stderr, \"%s\\n\", cudaGetErrorString(e)); exit(1); } } while (0)")
    src = src.replace("cudaError_t err = cudaGetLastError();", "CUDA_CHECK(cudaGetLastError()); cudaError_t err = cudaSuccess;")
    assert "exit(1)" in src and "CUDA_CHECK(cudaGetLastError())" in src
    report = analyze_source(src, "fp32", problem.source)
    assert decide(report.findings, "kernelbench").flags == [], [(f.flag, f.detail) for f in report.findings]
    threaded = src.replace("CUDA_CHECK(cudaGetLastError());", "std::thread([]{}).detach(); CUDA_CHECK(cudaGetLastError());")
    assert "concurrency" in decide(analyze_source(threaded, "fp32", problem.source).findings, "kernelbench").flags


def test_static_analysis_follows_calls_and_spots_decoys():
    src = '''
import torch, torch.nn as nn, triton, triton.language as tl
from torch.utils.cpp_extension import load_inline
@triton.jit
def k(x_ptr, n, B: tl.constexpr):
    pass
_ext = load_inline(name="e", cpp_sources="torch::Tensor f(torch::Tensor x) { for (int i = 0; i < 3; ++i) {} return x; }",
                   functions=["f"])
def helper(x):
    return _ext.f(x)
class Block(nn.Module):
    def forward(self, x):
        return helper(x)
class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
    def forward(self, x):
        return self.block(x)
'''
    rep = analyze_source(src)
    assert rep.facts["kernels_reached"] == ["ext:e.f"]
    assert rep.facts["kernels_unreached"] == ["triton:k"]
    assert decide(rep.findings, "strict").flags == []
    decoy = src.replace("return helper(x)", "return torch.relu(x)")
    assert "decoy_kernel" in decide(analyze_source(decoy).findings, "kernelbench").flags


def test_static_gate_reuses_the_analysis_of_a_source_it_has_seen():
    """An optimizer resubmitting a kernel gets the same verdict without a second analysis, and nothing a caller does to
    one report reaches the next."""
    from trace_kernelbench.guard import gate
    from trace_kernelbench.solutions import solution_request
    req = solution_request("cpp", "relu", device="cpu", size="small")
    gate._analysis.cache_clear()
    first, verdict = gate.static_gate(req, "cpp")
    assert verdict is None and gate._analysis.cache_info().misses == 1
    first.facts["kernels_reached"].append("tampered")
    second, _ = gate.static_gate(req, "cpp")
    assert gate._analysis.cache_info().hits == 1 and "tampered" not in second.facts["kernels_reached"]
    assert second.facts == analyze_source(req.candidate_source, req.precision, req.problem_source, "cpp").facts
    other, _ = gate.static_gate(solution_request("cpp", "softmax", device="cpu", size="small"), "cpp")
    assert gate._analysis.cache_info().misses == 2 and other.facts != second.facts


def test_the_snapshot_built_while_the_worker_idled_is_rebuilt_where_the_evaluator_changed_something():
    """The worker snapshots trusted code before its job arrives; the job's own snapshot re-checks every namespace and
    rebuilds the changed ones, so the evaluator's changes in between are never a candidate's tampering, and a change
    after the job's snapshot still is (and is put back)."""
    import sys
    import types
    import torch
    from trace_kernelbench.guard.runtime import RuntimeGuard
    from trace_kernelbench.guard.runtime.process_state import prebuild_snapshot
    mod = types.ModuleType("trace_kernelbench.guard._idle_probe")
    mod.f = lambda: 1
    sys.modules[mod.__name__] = mod
    try:
        prebuild_snapshot()
        mod.f = lambda: 2                      # the evaluator's own doing, between the idle snapshot and the job's
        g = RuntimeGuard(None, torch.device("cpu"))
        g.snapshot()
        assert g.verify("load") == []
        mod.f = lambda: 3                      # after the job's snapshot: tampering
        assert g.verify("run") == ["patched_function"] and mod.f() == 2
    finally:
        del sys.modules[mod.__name__]


def test_static_precision_rules_follow_the_problem_precision():
    src = '''
import torch, torch.nn as nn, triton, triton.language as tl
@triton.jit
def k(x_ptr, y_ptr, n, B: tl.constexpr):
    o = tl.arange(0, B)
    tl.store(y_ptr + o, tl.load(x_ptr + o, mask=o < n), mask=o < n)
class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        k[(1,)](x.half(), y, x.numel(), B=1024)
        return y
'''
    assert "precision_downgrade" in decide(analyze_source(src, "fp32").findings, "kernelbench").flags
    assert "precision_downgrade" not in decide(analyze_source(src, "fp16").findings, "kernelbench").flags


# ---------------------------------------------------------------------------------------------- end to end (CPU)
RUN_EXPLOITS = [e for e in EXPLOITS if (e["cpu"] or e["static"]) and e["file"] not in NOT_RUN_IN_CI]


@pytest.mark.parametrize("entry", RUN_EXPLOITS, ids=_ids(RUN_EXPLOITS))
def test_exploit_gets_its_verdict(evaluator, entry):
    """Default policy: each exploit is rejected with its flag (statically-caught ones, CUDA included, before any
    build or process), or fails correctness where that is the honest outcome (NaN, zeros, analytic shortcut)."""
    r = evaluator.evaluate(_request(entry, _source("exploits", entry["file"])))
    assert r.status.value == entry["status"], (r.status, r.flags, r.error)
    if entry["flag"] is not None:
        assert entry["flag"] in r.flags, (r.flags, r.error)
        assert r.guard["rejected"] and r.speedup is None and not r.correct
        rule = RULES[r.flags[0]]
        assert f"rule `{r.flags[0]}`" in r.feedback and rule.sentence in r.feedback
    else:
        assert r.flags == [], r.flags


OFF_EXPLOITS = [e for e in EXPLOITS if e["cpu"] and e.get("off") and e["file"] not in NOT_RUN_IN_CI]


@pytest.mark.parametrize("entry", OFF_EXPLOITS, ids=_ids(OFF_EXPLOITS))
def test_runtime_defences_without_static_rules(evaluator, entry):
    """Policy off: static findings are recorded but nothing is rejected, so the candidate runs; the runtime checks
    must still show what it did (or make it fail)."""
    r = evaluator.evaluate(_request(entry, _source("exploits", entry["file"]), policy="off"))
    expected = entry["off"]
    assert r.status.value in expected["status"], (r.status, r.flags, r.error)
    seen_at_runtime = {f["flag"] for f in r.guard["all_findings"] if f["source"] in ("runtime", "channel")}
    if expected["flags"] and r.status.value == "correct":   # failing correctness already denies the reward
        assert set(expected["flags"]) & seen_at_runtime, (r.flags, r.error, r.guard["all_findings"])
    if entry["flag"]:
        assert entry["flag"] in r.flags           # static findings are still recorded under off


CPU_HONEST = [e for e in HONEST if e["cpu"]]


@pytest.mark.parametrize("entry", CPU_HONEST, ids=_ids(CPU_HONEST))
def test_honest_kernel_passes_unflagged(evaluator, entry):
    r = evaluator.evaluate(_request(entry, _source("honest", entry["file"])))
    assert r.status.value == "correct", (r.status, r.flags, r.error)
    assert r.flags == [], r.guard
    rt = r.guard["runtime"]
    assert rt["fresh_checks"] >= 1 and rt["timed_checks"] >= 1 and rt["calls_without_kernel"] == 0


@pytest.mark.parametrize("backend,name", _solutions(("triton", "cpp")))
def test_embedded_solutions_pass_unflagged(evaluator, backend, name):
    r = evaluator.evaluate(_request({"problem": f"embedded/{name}"}, solution_source(backend, name)))
    assert r.status.value == "correct", (r.status, r.flags, r.error)
    assert r.flags == [], r.guard["findings"]


def test_strict_policy_rejects_torch_ops_next_to_a_kernel(evaluator):
    entry = next(e for e in HONEST if e["file"] == "triton_kernel_plus_torch_mul.py")
    r = evaluator.evaluate(_request(entry, _source("honest", entry["file"]), policy="strict"))
    assert r.status.value == "rejected" and r.flags == ["torch_compute_op"]
    assert "strict" in r.feedback and "torch.mul" in r.feedback


# ---------------------------------------------------------------------------------------------- result channel
def test_results_are_authenticated():
    from trace_kernelbench.evaluation.result import EvalResult, Status
    from trace_kernelbench.guard import gate, integrity
    key = integrity.new_key()
    payload = {"status": "correct", "runtime_ms": 0.5, "timing": {"candidate": {"ci95_ms": (1.0, 2.0)}}}
    signed = integrity.Signer(key).sign(payload)
    assert integrity.verify(json.loads(json.dumps(signed)), key)          # survives the JSON round trip
    assert not integrity.verify({**signed, "runtime_ms": 0.001}, key)
    assert not integrity.verify(signed, integrity.new_key())
    report = analyze_source(solution_source("triton", "relu"))
    forged = {"status": "correct", "correct": True, "speedup": 100.0}
    res = gate.finalize(EvalResult(status=Status.CORRECT, correct=True, speedup=100.0), forged, report, key,
                        "kernelbench")
    assert res.status == Status.REJECTED and res.flags == ["result_channel_forgery"] and res.speedup is None


def test_poison_pattern_is_detected():
    import torch
    from trace_kernelbench.guard.runtime import POISON32, has_poison
    t = torch.zeros(64)
    assert not has_poison(t)
    t.view(torch.int32)[7] = POISON32
    assert has_poison(t) and torch.isnan(t[7])
    h = torch.zeros(8, dtype=torch.float16)
    h.view(torch.int16)[1] = 0x7FA5
    assert has_poison(h) and torch.isnan(h[1])


# ---------------------------------------------------------------------------------------------- suite self-check
@pytest.mark.parametrize("problem", ["embedded/softmax", "embedded/mse_loss"])
def test_selfcheck_catches_trivial_answers(evaluator, problem):
    from trace_kernelbench.guard.selfcheck import check_problem
    pc = check_problem(evaluator, resolve_problem(problem), device="cpu", size="small")
    assert pc.ok, pc.to_dict()
    assert pc.outcomes["reference[strict]"].startswith("rejected")
    assert all(pc.outcomes[k].startswith("incorrect") for k in ("zeros", "constant", "input_copy"))


def test_selfcheck_reports_a_weak_problem(evaluator, tmp_path):
    """A problem whose output is all zeros for its inputs lets the zeros candidate through: reported weak."""
    from trace_kernelbench.guard.selfcheck import check_problem
    from trace_kernelbench.problems import sources
    path = tmp_path / "weak.py"
    path.write_text('''import torch
import torch.nn as nn
n = 64
SMALL_SIZES = {"n": 64}
class Model(nn.Module):
    def forward(self, x):
        return torch.relu(-x.abs())
def get_inputs():
    return [torch.randn(n)]
def get_init_inputs():
    return []
''')
    pc = check_problem(evaluator, sources.load_file(str(path)), device="cpu", size="small")
    assert any("zeros passed" in w for w in pc.weak), pc.to_dict()


def test_selfcheck_cli_registered():
    from trace_kernelbench.cli.main import build_parser
    args = build_parser().parse_args(["selfcheck", "--problem", "embedded/relu", "--device", "cpu"])
    assert args.func is not None and args.problem == ["embedded/relu"]


# ---------------------------------------------------------------------------------------------- GPU
GPU_EXPLOITS = [e for e in EXPLOITS if e["backend"] == "cuda" and e.get("off")]
GPU_HONEST = [e for e in HONEST if not e["cpu"]]


@pytest.fixture(scope="module")
def gpu_results():
    """Every GPU exploit, honest kernel and CUDA solution through the local evaluator at once (builds in parallel),
    keyed by kind and name; evaluated on first use, so CPU-only sessions never build anything."""
    from trace_kernelbench.evaluators import make_evaluator
    reqs = {("exploit", e["file"]): _request(e, _source("exploits", e["file"]), policy="off", device="cuda")
            for e in GPU_EXPLOITS}
    reqs.update({("honest", e["file"]): _request(e, _source("honest", e["file"]), device="cuda") for e in GPU_HONEST})
    reqs.update({("solution", n): _request({"problem": f"embedded/{n}"}, solution_source(b, n), device="cuda")
                 for b, n in _solutions(("cuda",))})
    with make_evaluator("local") as ev:
        results = ev.evaluate_many(list(reqs.values()))
    return dict(zip(reqs, results))


@pytest.mark.gpu
@pytest.mark.parametrize("entry", GPU_EXPLOITS, ids=_ids(GPU_EXPLOITS))
def test_gpu_runtime_defences(gpu_results, entry):
    r = gpu_results["exploit", entry["file"]]
    assert r.status.value in entry["off"]["status"], (r.status, r.flags, r.error)
    if r.status.value == "incorrect" and r.trials_passed < r.trials_total:
        return      # the trick failed the correctness trials by itself: no runtime defence was needed
    seen_at_runtime = {f["flag"] for f in r.guard["all_findings"] if f["source"] in ("runtime", "channel")}
    assert set(entry["off"]["flags"]) & seen_at_runtime, (r.flags, r.guard and r.guard.get("runtime"))


@pytest.mark.gpu
@pytest.mark.parametrize("entry", GPU_HONEST, ids=_ids(GPU_HONEST))
def test_gpu_honest_kernel_passes_unflagged(gpu_results, entry):
    r = gpu_results["honest", entry["file"]]
    assert r.status.value == "correct", (r.status, r.flags, r.error)
    assert r.flags == [], r.guard
    assert r.guard["runtime"].get("kernel_share", 1.0) > 0


@pytest.mark.gpu
@pytest.mark.parametrize("backend,name", _solutions(("cuda",)))
def test_gpu_cuda_solutions_pass_unflagged(gpu_results, backend, name):
    r = gpu_results["solution", name]
    assert r.status.value == "correct", (r.status, r.flags, r.error)
    assert r.flags == [], r.guard["findings"]


@pytest.mark.gpu
def test_poisoning_reuses_its_blocks_instead_of_growing_the_cache():
    """A size no freed block can serve gets a poisoned block once; later poisonings find it among the freed blocks
    (each evaluation poisons several times: the cache must not grow by the outputs' size every time)."""
    import torch
    from trace_kernelbench.guard.runtime import RuntimeGuard, has_poison
    g = RuntimeGuard({}, torch.device("cuda"))
    kept = torch.ones(8 * 2**20, device="cuda")         # 32 MiB, alive: like the reference's outputs
    g.note_sizes([kept])
    torch.cuda.empty_cache()
    g.poison()
    reserved = torch.cuda.memory_reserved()
    for _ in range(3):
        g.poison()
    assert torch.cuda.memory_reserved() == reserved
    assert has_poison(torch.empty_like(kept))            # what the candidate's output would be given


def test_kernel_share_from_profiler_events():
    """The CUDA proof (profiler events) on fabricated events: own kernels are matched by name, library kernels are
    not, and the strict policy wants most of the device time in the candidate's kernels."""
    import torch
    from trace_kernelbench.guard.runtime import RuntimeGuard

    class Range:
        def __init__(self, us):
            self.us = us

        def elapsed_us(self):
            return self.us

    class Event:
        def __init__(self, name, us, cuda=True):
            self.name, self.time_range = name, Range(us)
            self.device_type = torch.autograd.DeviceType.CUDA if cuda else torch.autograd.DeviceType.CPU

    class Prof:
        def __init__(self, events):
            self._events = events

        def events(self):
            return self._events

    hints = {"static": {"cuda_kernels": ["bias_gelu_kernel"], "ext_functions": {"e": {"f": True}}}}
    for policy, library_us, flags in (("kernelbench", 900.0, set()), ("strict", 900.0, {"low_kernel_share"}),
                                      ("strict", 50.0, set())):
        g = RuntimeGuard({**hints, "policy": policy}, torch.device("cuda"))
        g._kernel_share(Prof([Event("void bias_gelu_kernel(float const*, float*)", 100.0),
                              Event("sm90_xmma_gemm_f32f32_tf32f32_f32_nn_n", library_us),
                              Event("aten::matmul", 1000.0, cuda=False)]))
        assert {f["flag"] for f in g.findings} == flags
        assert abs(g.facts["kernel_share"] - 100.0 / (100.0 + library_us)) < 1e-9
    g = RuntimeGuard(hints, torch.device("cuda"))
    g._kernel_share(Prof([Event("ampere_sgemm_128x64_nn", 500.0)]))
    assert [f["flag"] for f in g.findings] == ["kernel_not_run"]


def test_guard_time_is_counted_once_when_sections_nest():
    """The overhead report's guard seconds: a section inside another counts in its own section only, so the total
    equals the sum of sections and never exceeds the wall time of the outermost section."""
    import time
    import torch
    from trace_kernelbench.guard.runtime import RuntimeGuard
    g = RuntimeGuard({}, torch.device("cpu"))
    t0 = time.perf_counter()
    with g.timer("outer"):
        time.sleep(0.02)
        with g.timer("inner"):
            time.sleep(0.03)
    wall = time.perf_counter() - t0
    assert g.seconds == pytest.approx(sum(g.sections.values()))
    assert g.seconds <= wall + 1e-6
    assert g.sections["inner"] >= 0.03 and g.sections["outer"] >= 0.02
    assert g.report()["runtime"]["guard_sections"].keys() == {"outer", "inner"}


def test_settling_a_timed_call_checks_a_sampled_output_and_releases_it():
    """Between the candidate's timed blocks the reference runs; before it does, the candidate's latest call is
    settled: a sampled output (the first timed call's always) is compared with the reference, then dropped, so both
    sides' allocations find the same free memory."""
    import weakref
    import torch
    from trace_kernelbench.evaluation.compare import compare_outputs
    from trace_kernelbench.guard.runtime import RuntimeGuard
    g = RuntimeGuard({}, torch.device("cpu"))
    outs = []

    def model_new(t):
        o = torch.full_like(t, 7.0)                 # wrong: relu of normal inputs is never all 7
        outs.append(weakref.ref(o))
        return o

    x = torch.randn(256)
    hooks = g.timing_hooks(model_new, [x.clone()], [x], [torch.randn(256)], lambda xs: torch.relu(*xs),
                           lambda r, o: compare_outputs(r, o, None), lambda: None)
    hooks.before_each()
    hooks.fn()
    assert outs[0]() is not None and not g.findings     # nothing checked before the call is settled
    hooks.settle()
    hooks.settle()                                      # settling twice checks once
    assert outs[0]() is None                            # the output is released
    assert g.facts["timed_checks"] == 1
    assert [f["flag"] for f in g.findings] == ["timed_output_mismatch"]


def test_reference_blocks_between_timed_calls_may_update_the_reference_but_the_candidate_may_not():
    """The timing alternates reference and candidate blocks. A reference in training mode updates its batch-norm
    running statistics on every call: legitimate, re-sampled before the candidate runs again. The same change made
    during a candidate's call is the candidate touching the evaluator's model."""
    import torch
    from trace_kernelbench.evaluation.compare import compare_outputs
    from trace_kernelbench.guard.runtime import RuntimeGuard
    ref = torch.nn.BatchNorm1d(16).train()

    def run(candidate_touches_reference: bool):
        g = RuntimeGuard({}, torch.device("cpu"))
        g.snapshot(reference_model=ref)

        def model_new(x):
            if candidate_touches_reference:
                ref.running_mean.add_(1.0)
            return torch.nn.functional.batch_norm(x, None, None, training=True)

        x = torch.randn(64, 16)
        hooks = g.timing_hooks(model_new, [x.clone()], [x], [torch.randn(64, 16)], lambda xs: ref(*xs),
                               lambda r, o: compare_outputs(r, o, None), lambda: None)
        with torch.no_grad():                    # as in the worker
            for _ in range(3):                   # rounds: reference block, then candidate block
                for _ in range(2):
                    hooks.before_reference()
                    ref(*hooks.work)
                for _ in range(2):
                    hooks.before_each()
                    hooks.fn()
            hooks.finish()
        return {f["flag"] for f in g.findings}

    assert run(False) == set()
    assert "evaluator_access" in run(True)


def test_bypass_switch_sets_the_guard_either_way_and_restores_the_environment(monkeypatch):
    """The measurement tools' one switch: inside the block the guard is off (or on, whatever the environment said);
    afterwards the environment is as it was."""
    from trace_kernelbench.guard.gate import BYPASS_ENV, bypass, bypassed
    monkeypatch.setenv(BYPASS_ENV, "1")
    with bypass(False):
        assert not bypassed()
    assert bypassed()
    monkeypatch.delenv(BYPASS_ENV)
    with bypass(True):
        assert bypassed()
    assert BYPASS_ENV not in __import__("os").environ
