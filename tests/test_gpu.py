"""GPU acceptance tests for the evaluation core (skipped without a CUDA device; run by scripts/gpu_validate.sh):
every embedded CUDA solution is correct with a speedup, faults and hangs are contained, timing is repeatable, and
trivial answers fail at full size."""
from __future__ import annotations

import pytest
import torch

from trace_kernelbench.evaluation.compare import compare_outputs
from trace_kernelbench.evaluation.loading import load_problem_module
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import Status
from trace_kernelbench.problems import list_problems, resolve_problem
from trace_kernelbench.solutions import solution_names, solution_request, solution_source

pytestmark = pytest.mark.gpu

CUDA_SOLUTIONS = solution_names("cuda")
RELU = resolve_problem("embedded/relu")


def cuda_req(source: str, problem=RELU, **kw) -> EvalRequest:
    kw.setdefault("device", "cuda")
    return EvalRequest.for_problem(problem, source, **kw)


@pytest.fixture(scope="module")
def solution_results():
    """All CUDA solutions through the local evaluator at once, so builds run in parallel."""
    from trace_kernelbench.evaluators import make_evaluator
    reqs = [solution_request("cuda", n, device="cuda") for n in CUDA_SOLUTIONS]
    with make_evaluator("local") as ev:
        results = ev.evaluate_many(reqs)
    return dict(zip(CUDA_SOLUTIONS, results))


@pytest.mark.parametrize("name", CUDA_SOLUTIONS)
def test_cuda_solution_is_correct_with_a_speedup(solution_results, name):
    r = solution_results[name]
    assert r.status == Status.CORRECT, r.feedback
    assert r.speedup is not None and r.speedup > 0 and r.device.startswith("NVIDIA")
    assert r.timing["candidate"].timer == "cuda_event"
    lo, hi = r.timing["candidate"].clock_mhz          # the SM clock when the timed runs began and ended
    assert 300 < lo < 4000 and 300 < hi < 4000 and r.timing["candidate"].exclusive is True


OOB_KERNEL = solution_source("cuda", "relu").replace("y[i] = v < 0.0f ? 0.0f : v;",
                                                      "y[i + ((int64_t)1 << 40)] = v;")
HANG_KERNEL = solution_source("cuda", "relu").replace(
    "float v = x[i];", "float v = x[i]; while (true) { __nanosleep(1000); }")   # a side effect: never removed


def test_out_of_bounds_write_is_runtime_error_and_the_next_evaluation_is_correct(evaluator):
    r = evaluator.evaluate(cuda_req(OOB_KERNEL.replace("tkb_relu_cuda", "tkb_relu_oob")))
    assert r.status == Status.RUNTIME_ERROR, r.feedback
    assert "illegal" in r.error.lower() or "cuda error" in r.error.lower() or "fault" in r.error.lower()
    good = evaluator.evaluate(cuda_req(solution_source("cuda", "relu")))
    assert good.status == Status.CORRECT, good.feedback


def test_infinite_loop_kernel_times_out_within_the_limit(evaluator):
    assert "__nanosleep" in HANG_KERNEL and "i + ((int64_t)1 << 40)" in OOB_KERNEL   # the edits found their target
    r = evaluator.evaluate(cuda_req(HANG_KERNEL.replace("tkb_relu_cuda", "tkb_relu_hang"), run_timeout_s=20))
    assert r.status == Status.TIMEOUT, r.feedback
    assert r.wall_s["total"] - r.wall_s.get("build", 0) < 20 + 30
    assert evaluator.evaluate(cuda_req(solution_source("cuda", "relu"))).status == Status.CORRECT


@pytest.mark.parametrize("forward,expected", [
    ("import ctypes; return ctypes.string_at(0)", "SIGSEGV"),
    ("import os; os._exit(7)", "exited with code 7"),
])
def test_segfault_and_exit_on_gpu_are_runtime_errors(evaluator, forward, expected):
    src = f"import torch\nimport torch.nn as nn\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        {forward}\n"
    r = evaluator.evaluate(cuda_req(src, guard_policy="off"))   # the guard would reject these before they run
    assert r.status == Status.RUNTIME_ERROR and expected in r.error


def test_the_same_kernel_timed_in_two_runs_differs_by_under_two_percent():
    from trace_kernelbench.evaluation.reproducibility import measure
    (row,) = measure(["relu"], "cuda", "cuda", "full", repeats=2)   # fresh workers, reference re-timed each time
    assert [x["ref_source"] for x in row["runs"]] == ["measured", "measured"]
    assert [x["exclusive"] for x in row["runs"]] == [True, True]     # the GPU was held: no other worker's kernels
    keys = ("speedup", "ref_ms", "ref_before_ms", "ms", "ms_ci95", "ref_ci95", "interleaved", "guard_checks")
    assert row["speedup_spread"] < 0.02, [{k: x[k] for k in keys} for x in row["runs"]]   # which side moved


@pytest.mark.parametrize("problem", list_problems("embedded"), ids=lambda p: p.id)
def test_trivial_answers_fail_at_full_size(problem):
    mod = load_problem_module(problem.source, "full", name=f"gpu_full_{problem.name}")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with torch.device("cuda"):
        torch.manual_seed(42)
        model = mod.Model(*mod.get_init_inputs())
        constant, passes = None, {"zeros": 0, "constant": 0, "copy": 0}
        with torch.no_grad():
            for trial in range(3):
                torch.manual_seed(1000 + trial)
                inputs = mod.get_inputs()
                ref = model(*inputs)
                if constant is None:
                    constant = float(ref.float().mean()) if ref.is_floating_point() else int(ref.flatten().mode().values)
                passes["zeros"] += compare_outputs(ref, torch.zeros_like(ref)).ok
                passes["constant"] += compare_outputs(ref, torch.full_like(ref, constant)).ok
                copies = [x for x in inputs if isinstance(x, torch.Tensor) and x.numel() == ref.numel()]
                passes["copy"] += any(compare_outputs(ref, x.reshape(ref.shape).to(ref.dtype)).ok for x in copies)
    assert all(n < 3 for n in passes.values()), passes
