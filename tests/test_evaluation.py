"""The evaluation core on CPU: verdicts for every status, isolation from crashing candidates, the build cache,
real g++ and nvcc builds, and the import discipline of the GPU-side code."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import torch

from trace_kernelbench.evaluation.compare import compare_outputs
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, Status
from trace_kernelbench.evaluation.timing import summarize
from trace_kernelbench.problems import resolve_problem
from trace_kernelbench.solutions import solution_names, solution_source

RELU = resolve_problem("embedded/relu")

GOOD_PY = """
import torch
import torch.nn as nn
class ModelNew(nn.Module):
    def forward(self, x):
        return x.clamp_min(0.0)
"""


def req(source: str, problem=RELU, **kw) -> EvalRequest:
    """A CPU request. Pure-Python candidates (no custom kernel) would be rejected by the default guard policy, which
    is not what these tests are about: they run with the guard off unless a test asks otherwise."""
    if "load_inline" not in source and "triton" not in source:
        kw.setdefault("guard_policy", "off")
    kw.setdefault("size", "small")
    kw.setdefault("device", "cpu")
    return EvalRequest.for_problem(problem, source, **kw)


def body(forward: str, header: str = "") -> str:
    return f"import torch\nimport torch.nn as nn\n{header}\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        {forward}\n"


# ------------------------------------------------------------------------------------------ fast verdicts
def test_python_syntax_error_is_compile_error_in_well_under_two_seconds(evaluator):
    t0 = time.monotonic()
    r = evaluator.evaluate(req("import torch\nclass ModelNew(nn.Module:\n    pass\n"))
    assert time.monotonic() - t0 < 2.0
    assert r.status == Status.COMPILE_ERROR and not r.compiled
    assert "SyntaxError" in r.error and "line 2" in r.error
    assert "SyntaxError" in r.feedback


def test_missing_model_new_is_compile_error(evaluator):
    r = evaluator.evaluate(req("import torch\nclass Model:\n    pass\n"))
    assert r.status == Status.COMPILE_ERROR
    assert "ModelNew" in r.error


def test_import_error_is_compile_error_with_the_python_message(evaluator):
    r = evaluator.evaluate(req("import no_such_module_xyz\n" + GOOD_PY))
    assert r.status == Status.COMPILE_ERROR
    assert "ModuleNotFoundError" in r.error and "no_such_module_xyz" in r.error


def test_correct_python_candidate_gets_timing_and_speedup(evaluator):
    r = evaluator.evaluate(req(GOOD_PY))
    assert r.status == Status.CORRECT and r.correct and r.compiled
    assert r.trials_passed == r.trials_total == 5
    assert r.speedup == pytest.approx(r.ref_runtime_ms / r.runtime_ms)
    cand = r.timing["candidate"]
    assert cand.count >= 10 and cand.ci95_ms[0] <= cand.median_ms <= cand.ci95_ms[1]
    assert r.device == "cpu" and r.versions["torch"] == torch.__version__
    assert r.source_sha256 and r.problem_id == "embedded/relu"
    assert {"reference", "correctness", "timing"} <= set(r.wall_s)
    assert 0 <= r.wall_s["worker_exit"] < r.wall_s["total"]    # the finished worker's teardown, measured apart


def test_wrong_result_is_incorrect_with_diffs_in_feedback(evaluator):
    r = evaluator.evaluate(req(body("return x.clamp_min(0.0) * 1.01")))
    assert r.status == Status.INCORRECT and not r.correct
    assert r.trials_passed == 0 and r.max_abs_diff > 0
    assert "Max abs diff" in r.feedback and "outside tolerance" in r.feedback
    assert r.speedup is None


def test_wrong_shape_is_incorrect(evaluator):
    r = evaluator.evaluate(req(body("return x.clamp_min(0.0)[:1]")))
    assert r.status == Status.INCORRECT
    assert "shape mismatch" in r.error


def test_nan_output_is_incorrect(evaluator):
    r = evaluator.evaluate(req(body("y = x.clamp_min(0.0).clone(); y[0, 0] = float('nan'); return y")))
    assert r.status == Status.INCORRECT
    assert "NaN" in r.error


def test_exception_in_forward_is_runtime_error_with_candidate_frames(evaluator):
    r = evaluator.evaluate(req(body("raise ValueError('boom in forward')")))
    assert r.status == Status.RUNTIME_ERROR
    assert "ValueError: boom in forward" in r.error and "candidate.py" in r.error


# ------------------------------------------------------------------------------------------ isolation
@pytest.mark.parametrize("forward,expected", [
    ("import ctypes; return ctypes.string_at(0)", "SIGSEGV"),
    ("import os; os._exit(7)", "exited with code 7"),
])
def test_crashing_candidate_gets_runtime_error_and_next_evaluation_is_fine(evaluator, forward, expected):
    r = evaluator.evaluate(req(body(forward)))
    assert r.status == Status.RUNTIME_ERROR
    assert expected in r.error
    assert evaluator.evaluate(req(GOOD_PY)).status == Status.CORRECT


def test_infinite_loop_times_out_within_the_limit(evaluator):
    t0 = time.monotonic()
    r = evaluator.evaluate(req(body("while True: pass"), run_timeout_s=4))
    assert r.status == Status.TIMEOUT
    assert time.monotonic() - t0 < 4 + 8
    assert "correctness" in r.error
    assert evaluator.evaluate(req(GOOD_PY)).status == Status.CORRECT


def test_a_failing_reference_is_infra_error_not_the_kernels_fault(evaluator, tmp_path):
    broken = RELU.source.replace("def get_inputs():", "def get_inputs():\n    raise RuntimeError('reference broke')")
    from dataclasses import replace
    r = evaluator.evaluate(req(GOOD_PY, problem=replace(RELU, source=broken)))
    assert r.status == Status.INFRA_ERROR
    assert "not your kernel's fault" in r.feedback
    assert "reference broke" in r.error


# ------------------------------------------------------------------------------------------ real compilers
CPP_SOLUTIONS = solution_names("cpp")
TRITON_SOLUTIONS = solution_names("triton")


def test_enough_cpp_and_triton_solutions_exist():
    assert len(CPP_SOLUTIONS) >= 8 and len(TRITON_SOLUTIONS) >= 8


@pytest.mark.parametrize("name", CPP_SOLUTIONS)
def test_cpp_solution_is_correct_on_cpu(evaluator, name):
    problem = resolve_problem(f"embedded/{name}")
    r = evaluator.evaluate(req(solution_source("cpp", name), problem=problem))
    assert r.status == Status.CORRECT, r.feedback
    assert r.backend == "cpp" and r.speedup and r.speedup > 0


@pytest.mark.parametrize("name", TRITON_SOLUTIONS)
def test_triton_solution_is_correct_on_cpu_with_the_interpreter(evaluator, name):
    problem = resolve_problem(f"embedded/{name}")
    r = evaluator.evaluate(req(solution_source("triton", name), problem=problem, run_timeout_s=600))
    assert r.status == Status.CORRECT, r.feedback
    assert r.backend == "triton"


def test_identical_source_reuses_the_build(evaluator):
    src = solution_source("cpp", "relu")
    first = evaluator.evaluate(req(src))
    second = evaluator.evaluate(req(src))
    assert first.status == second.status == Status.CORRECT
    assert second.cache_hit is True and "build" not in second.wall_s
    assert second.wall_s["total"] < 10


def test_cpp_syntax_error_shows_the_gxx_line(evaluator):
    src = solution_source("cpp", "relu").replace("return y;", "return y")
    r = evaluator.evaluate(req(src))
    assert r.status == Status.COMPILE_ERROR and not r.compiled
    assert "main.cpp:" in r.compile_log and "error" in r.compile_log
    assert "/tmp" not in r.compile_log and r.compile_log in r.feedback


@pytest.mark.nvcc
def test_cuda_solution_really_builds_with_nvcc_then_is_no_device(evaluator):
    r = evaluator.evaluate(req(solution_source("cuda", "relu"), device="auto"))
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the GPU tests cover this")
    assert r.status == Status.NO_DEVICE and r.compiled
    assert r.backend == "cuda" and r.wall_s.get("build", 0) > 1
    assert "no device" in r.feedback


@pytest.mark.nvcc
def test_cuda_syntax_error_shows_nvcc_message(evaluator):
    src = solution_source("cuda", "relu").replace("float v = x[i];", "float v = x[i]")
    r = evaluator.evaluate(req(src, device="auto"))
    assert r.status == Status.COMPILE_ERROR
    assert "cuda.cu" in r.compile_log and "error" in r.compile_log.lower()


# ------------------------------------------------------------------------------------------ units and contract
def test_compare_outputs_checks_structure_and_tolerance():
    ref = torch.ones(4, 4)
    assert compare_outputs(ref, ref + 5e-5).ok
    assert not compare_outputs(ref, ref + 1e-3).ok
    assert "dtype mismatch" in compare_outputs(ref, ref.double()).reason
    assert "shape mismatch" in compare_outputs(ref, ref[:2]).reason
    half = torch.ones(4, dtype=torch.float16)
    assert compare_outputs(half, half + 5e-3).ok          # fp16 tolerance is 1e-2
    inf_ref = torch.tensor([float("inf"), 1.0])
    assert compare_outputs(inf_ref, inf_ref.clone()).ok
    assert not compare_outputs(inf_ref, torch.tensor([1.0, 1.0])).ok


def test_timing_summary_statistics():
    s = summarize([1.0, 2.0, 3.0, 4.0, 100.0], "perf_counter")
    assert s.median_ms == 3.0 and s.min_ms == 1.0 and s.count == 5 and s.mean_ms == 22.0
    assert s.ci95_ms[0] <= s.median_ms <= s.ci95_ms[1]


def test_result_contract_round_trips_through_json(evaluator):
    r = evaluator.evaluate(req(GOOD_PY))
    again = EvalResult.from_dict(json.loads(r.to_json()))
    assert again == r


def test_gpu_side_code_imports_only_torch_numpy_and_stdlib():
    code = r"""
import sys, importlib.abc
ALLOWED = {"torch", "numpy", "trace_kernelbench", "typing_extensions", "sympy", "mpmath", "filelock", "jinja2",
           "markupsafe", "networkx", "fsspec", "triton", "packaging", "setuptools", "pkg_resources", "_distutils_hack",
           "nvidia", "cuda", "optree", "opt_einsum", "yaml", "dill"}
import torch  # torch's own dependencies are allowed
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        top = name.split(".")[0]
        if top not in ALLOWED and top not in sys.stdlib_module_names:
            raise ImportError(f"GPU-side code imported {name}")
sys.meta_path.insert(0, Block())
import trace_kernelbench.evaluation.worker, trace_kernelbench.evaluation.isolated
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


# ------------------------------------------------------------------------------------------ CLI
def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_eval_cli_json_contract_and_exit_codes(tmp_path):
    kernel = tmp_path / "k.py"
    kernel.write_text(GOOD_PY)
    out = cli("eval", "embedded/relu", str(kernel), "--size", "small", "--device", "cpu", "--guard", "off", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    for key in ("status", "compiled", "correct", "runtime_ms", "ref_runtime_ms", "speedup", "timing", "max_abs_diff",
                "mean_abs_diff", "trials_passed", "compile_log", "error", "flags", "feedback", "device", "versions",
                "source_sha256", "wall_s"):
        assert key in d
    assert d["status"] == "correct"

    for args in (("embedded/no_such_problem", str(kernel)), ("embedded/relu", str(tmp_path / "missing.py")),
                 ("kernelbench/L9/1", str(kernel))):
        bad = cli("eval", *args)
        assert bad.returncode == 2
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_eval_cli_exit_code_3_on_infra_error(tmp_path):
    problem = tmp_path / "broken_problem.py"
    problem.write_text(RELU.source.replace("def get_inputs():", "def get_inputs():\n    raise RuntimeError('x')"))
    kernel = tmp_path / "k.py"
    kernel.write_text(GOOD_PY)
    out = cli("eval", str(problem), str(kernel), "--size", "small", "--device", "cpu", "--guard", "off")
    assert out.returncode == 3
    assert "infra" in out.stdout.lower() or "not your kernel" in out.stdout


def test_feedback_states_the_speedup_honestly():
    from trace_kernelbench.evaluation.feedback import render_feedback

    def fb(speedup):
        return render_feedback(EvalResult(status=Status.CORRECT, correct=True, compiled=True, speedup=speedup,
                                          runtime_ms=1.0, ref_runtime_ms=speedup, trials_passed=5, trials_total=5))
    assert "about as fast as PyTorch" in fb(1.005)
    assert "faster than PyTorch" in fb(1.5) and "speedup 1.50x" in fb(1.5)
    assert "slower than PyTorch" in fb(0.5) and "1.000 ms" in fb(0.5)
    assert "not your kernel's fault" in render_feedback(EvalResult(status=Status.INFRA_ERROR, error="x"))


def test_warm_up_lasts_its_minimum_time_and_prepares_inputs_only_for_counted_runs():
    """A GPU idle during a build needs time, not a run count, to clock up: warm-up runs until warmup_seconds have
    passed; before_each (fresh inputs, guard checks) runs for the counted warm-up runs and every timed run only."""
    from trace_kernelbench.evaluation.request import TimingConfig
    from trace_kernelbench.evaluation.timing import time_callable
    calls, prepared = [], []
    cfg = TimingConfig(warmup_runs=2, warmup_seconds=0.06, min_runs=3, max_runs=3, target_rse=0.0)
    t0 = time.perf_counter()
    stats = time_callable(lambda: (calls.append(1), time.sleep(0.005)), torch.device("cpu"), cfg,
                          before_each=lambda: prepared.append(1))
    assert time.perf_counter() - t0 >= 0.06
    assert stats.count == 3
    assert len(calls) - 3 >= 0.06 / 0.005 / 2          # warm-up went on past its 2 counted runs
    assert len(prepared) == 2 + 3


def test_two_sides_are_timed_in_alternating_blocks_until_both_have_their_runs():
    """Candidate and reference alternate block by block, so drift in the machine's state hits both sides alike."""
    from trace_kernelbench.evaluation.request import TimingConfig
    from trace_kernelbench.evaluation.timing import Side, time_sides
    order = []
    cfg = TimingConfig(warmup_runs=0, warmup_seconds=0, min_runs=6, rounds=3, max_runs=50, target_rse=1.0)
    a, b = time_sides([Side(lambda: order.append("a")), Side(lambda: order.append("b"))], torch.device("cpu"), cfg)
    assert "".join(order) == "aabbaabbaabb"          # blocks of min_runs / rounds = 2, three rounds
    assert a.count == b.count == 6
    assert a.clock_mhz is None and a.exclusive is None   # GPU facts: none on CPU


def test_a_side_that_spends_its_time_budget_stops_the_timing_mid_block():
    from trace_kernelbench.evaluation.request import TimingConfig
    from trace_kernelbench.evaluation.timing import Side, time_sides
    calls = {"slow": 0, "fast": 0}
    cfg = TimingConfig(warmup_runs=0, warmup_seconds=0, min_runs=40, rounds=2, max_runs=100, max_seconds=0.1)
    slow = Side(lambda: (calls.__setitem__("slow", calls["slow"] + 1), time.sleep(0.03)))
    fast = Side(lambda: calls.__setitem__("fast", calls["fast"] + 1))
    s, f = time_sides([slow, fast], torch.device("cpu"), cfg)
    assert 3 <= s.count <= 5 and calls["slow"] == s.count    # stopped inside its first block of 20
    assert f.count == calls["fast"] == 20                    # the other side still ran its block of that round


def test_the_reference_interleaved_with_the_candidate_is_used_unless_it_slowed_down():
    """A candidate can only slow the trusted reference down: beyond the tolerance, the measurement taken before any
    candidate code existed is used instead, so disturbing the reference gains at most the tolerance."""
    from trace_kernelbench.evaluation.result import TimingStats
    from trace_kernelbench.evaluation.timing import REFERENCE_DRIFT_TOLERANCE, choose_reference

    def stats(ms, source="measured"):
        return TimingStats(median_ms=ms, mean_ms=ms, std_ms=0.0, min_ms=ms, max_ms=ms, count=40, ci95_ms=(ms, ms),
                           source=source)
    before = stats(1.0, "baseline_cache")
    assert choose_reference(before, None) is before
    near = choose_reference(before, stats(1.0 + REFERENCE_DRIFT_TOLERANCE / 2))
    assert near.source == "interleaved" and near.median_ms > 1.0
    assert choose_reference(before, stats(0.9)).median_ms == 0.9
    assert choose_reference(before, stats(1.0 + 2 * REFERENCE_DRIFT_TOLERANCE)) is before


def test_wait_exit_reaps_an_ended_process_and_gives_up_on_a_live_one():
    """How the evaluator waits for a finished worker's death (woken by the exit, not by polling): an ended process is
    reaped, an already reaped one is not waited for again, a live one is given up on after the timeout."""
    from trace_kernelbench.evaluation.supervisor import wait_exit
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    assert wait_exit(quick, 10.0) and quick.returncode == 0
    assert wait_exit(quick, 10.0)
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        t0 = time.monotonic()
        assert not wait_exit(slow, 0.3) and slow.returncode is None
        assert time.monotonic() - t0 < 5
    finally:
        slow.kill()
        slow.wait()


def test_a_period_where_the_interleaved_reference_drifted_is_timed_again():
    """A disturbed period (on the H200: a few seconds of power capping) slows both sides; mixing the undisturbed
    measurement from before with a candidate timed then moved a speedup by 8%. Such a period is measured again, and a
    reference that stays slow in every attempt still falls back to the measurement from before."""
    from trace_kernelbench.evaluation.request import TimingConfig
    from trace_kernelbench.evaluation.result import TimingStats
    from trace_kernelbench.evaluation.timing import TIMING_ATTEMPTS, Side, choose_reference, time_against_reference

    cfg = TimingConfig(warmup_runs=0, warmup_seconds=0, min_runs=4, rounds=2, max_runs=4)
    before = TimingStats(median_ms=2.0, mean_ms=2.0, std_ms=0.0, min_ms=2.0, max_ms=2.0, count=4, ci95_ms=(2.0, 2.0))
    made = []

    def sides_slow_first(slow_attempts):
        def make():
            delay = 0.004 if len(made) < slow_attempts else 0.002     # the reference: disturbed, then as before
            made.append(delay)
            return [Side(lambda: time.sleep(delay)), Side(lambda: time.sleep(0.001))]
        return make

    ref, cand = time_against_reference(sides_slow_first(1), torch.device("cpu"), cfg, before)
    assert len(made) == 2 and ref.attempts == cand.attempts == 2
    assert choose_reference(before, ref).source == "interleaved" and ref.median_ms < 2.0 * 1.05
    made.clear()
    ref, cand = time_against_reference(sides_slow_first(99), torch.device("cpu"), cfg, before)
    assert len(made) == TIMING_ATTEMPTS and cand.attempts == TIMING_ATTEMPTS
    assert choose_reference(before, ref) is before
    made.clear()
    (alone,) = time_against_reference(lambda: [Side(lambda: time.sleep(0.004))], torch.device("cpu"), cfg, before)
    assert len(made) == 0 and alone.attempts == 1        # no interleaved reference (compile baseline): one attempt


def test_reproducibility_tool_re_times_the_reference_every_repeat():
    """The tool behind the "two runs differ by under 2%" check: every repeat is a fresh evaluation whose reference
    was measured (not taken from the baseline cache), and the spreads are computed from those repeats."""
    from trace_kernelbench.evaluation.reproducibility import measure, spread
    assert spread([1.0, 1.02]) == pytest.approx(0.02) and spread([1.0]) is None
    (row,) = measure(["relu"], "cpp", "cpu", "small", repeats=2)
    assert [x["ref_source"] for x in row["runs"]] == ["measured", "measured"]
    assert all(x["speedup"] == pytest.approx(x["ref_ms"] / x["ms"]) for x in row["runs"])
    assert row["speedup_spread"] == pytest.approx(spread([x["speedup"] for x in row["runs"]]))
