"""The evaluators: the local pipeline's scheduling (builds overlap runs, one candidate per runner at a time, queue
time recorded, job time limits that exclude queueing), the same verdicts through local, server and Modal (`.local()`),
the baseline choice reaching the worker through each, and the throughput benchmark's bookkeeping."""
from __future__ import annotations

import textwrap

import pytest

from evalkit import CPP_GOOD, PY_GOOD, PY_WRONG, SYNTAX_ERROR, TOKEN, distinct, req, running_server, sleepy
from trace_kernelbench.evaluation.request import TimingConfig
from trace_kernelbench.evaluation.result import Status, TimingStats


def run_slow(path, seconds: float) -> str:
    """Correct; every forward call sleeps and appends when it ran to `path`."""
    return PY_GOOD.replace("        return torch.clamp", textwrap.indent(textwrap.dedent(f"""\
        import time
        t0 = time.time()
        time.sleep({seconds})
        with open({str(path)!r}, "a") as fh:
            fh.write(f"{{t0}} {{time.time()}}\\n")
        """), "        ") + "        return torch.clamp")


def build_slow(path, seconds: float) -> str:
    """A C++-backend candidate (for the precheck) whose import in the build worker takes `seconds` and records when;
    it never calls the compiler."""
    return textwrap.dedent(f"""\
        import inspect, pathlib, time
        import torch
        import torch.nn as nn
        from torch.utils.cpp_extension import load_inline

        if any(f.function == "run_build" for f in inspect.stack()):
            t0 = time.time()
            time.sleep({seconds})
            pathlib.Path({str(path)!r}).write_text(f"{{t0}} {{time.time()}}")


        def _never_called():
            return load_inline(name="never", cpp_sources="", functions=[])


        class ModelNew(nn.Module):
            def forward(self, x):
                return torch.clamp(x, min=0.0)
        """)


def interval(path) -> tuple[float, float]:
    """From the first recorded start to the last recorded end."""
    spans = [tuple(map(float, line.split())) for line in path.read_text().splitlines()]
    return min(s for s, _ in spans), max(e for _, e in spans)


def overlap(x, y) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def test_pipeline_verdicts_in_order_with_queue_time(local_evaluator):
    rs = local_evaluator.evaluate_many([req(PY_GOOD), req(PY_WRONG), req(SYNTAX_ERROR)])
    assert [r.status for r in rs] == [Status.CORRECT, Status.INCORRECT, Status.COMPILE_ERROR]
    assert all("queue" in r.wall_s and r.wall_s["queue"] >= 0 for r in rs[:2])
    assert rs[0].device == "cpu" and rs[0].problem_id == "embedded/relu"
    status = local_evaluator.status()
    assert status["gpus"][0]["name"] == "cpu" and status["build_workers"] == 1
    assert status["counters"]["completed"] >= 3


def test_builds_overlap_runs_and_a_runner_times_one_candidate_at_a_time(local_evaluator, tmp_path):
    local_evaluator.evaluate(req(PY_GOOD))   # runners started
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    jobs = [local_evaluator.submit(req(run_slow(a, 1.0), correct_trials=1)),
            local_evaluator.submit(req(build_slow(b, 2.0))),
            local_evaluator.submit(req(run_slow(c, 1.0), correct_trials=1))]
    results = [j.future.result(timeout=180) for j in jobs]
    assert [r.status for r in results] == [Status.CORRECT] * 3, [r.error for r in results]
    assert results[1].backend == "cpp" and results[1].wall_s["build"] >= 2.0
    assert overlap(interval(b), interval(a)), "the build of a later candidate waited for an earlier run"
    assert not overlap(interval(a), interval(c)), "two candidates ran on one runner at the same time"
    assert results[2].wall_s["queue"] >= 1.5          # it waited for the runner, and that wait is reported


def test_job_time_limit_excludes_time_in_the_queue():
    from trace_kernelbench.evaluators.local import LocalEvaluator
    with LocalEvaluator(build_workers=1, job_timeout_s=4.0) as ev:
        first, second, endless = (ev.submit(req(sleepy(2.0), correct_trials=1)),
                                  ev.submit(req(distinct(sleepy(2.0), 1), correct_trials=1)),
                                  ev.submit(req(sleepy(60.0), correct_trials=1)))
        assert first.future.result(timeout=120).status == Status.CORRECT
        r = second.future.result(timeout=120)
        assert r.status == Status.CORRECT and r.wall_s["queue"] >= 1.5     # queued + run > 4 s, still fine
        r = endless.future.result(timeout=120)
        assert r.status == Status.TIMEOUT and "time limit of 4 s" in r.error


def test_one_runner_per_visible_gpu_each_pinned_to_its_gpu(monkeypatch):
    from trace_kernelbench.evaluators import devices
    from trace_kernelbench.evaluators.local import LocalEvaluator

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,GPU-abc,-1,3")
    assert devices.visible_gpus() == ["2", "GPU-abc"]          # CUDA stops at the first invalid entry
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert devices.visible_gpus() == []
    with LocalEvaluator(prestart=False, build_workers=1) as ev:
        assert [g["visible_device"] for g in ev.status()["gpus"]] == [None]     # one CPU runner
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    with LocalEvaluator(prestart=False, build_workers=3) as ev:
        assert [r.slot.env for r in ev._runners] == [{"CUDA_VISIBLE_DEVICES": "0"}, {"CUDA_VISIBLE_DEVICES": "1"}]
        assert [g["visible_device"] for g in ev.status()["gpus"]] == ["0", "1"]
        assert ev.status()["build_workers"] == 3
    assert devices.default_build_workers() >= 1


@pytest.mark.slow
def test_same_verdicts_through_local_server_and_modal(local_evaluator, tmp_path):
    from trace_kernelbench.evaluators.client import ServerEvaluator
    from trace_kernelbench.evaluators.modal_backend import ModalEvaluator
    from trace_kernelbench.evaluators.server import create_app

    requests = [req(PY_GOOD), req(PY_WRONG), req(SYNTAX_ERROR), req(CPP_GOOD)]
    expected = [Status.CORRECT, Status.INCORRECT, Status.COMPILE_ERROR, Status.CORRECT]
    local = local_evaluator.evaluate_many(requests)
    with running_server(create_app(local_evaluator, token=TOKEN, state_dir=tmp_path)) as url, \
            ServerEvaluator([url], token=TOKEN) as server:
        remote = server.evaluate_many(requests)
    with ModalEvaluator(gpu="H100", mode="local") as modal:
        on_modal = modal.evaluate_many(requests)
    for name, results in (("local", local), ("server", remote), ("modal", on_modal)):
        assert [r.status for r in results] == expected, (name, [r.error for r in results])
        assert results[3].backend == "cpp" and results[3].device == "cpu"
        assert [r.source_sha256 for r in results] == [q.source_sha256 for q in requests]
    assert remote[3].cache_hit and on_modal[3].cache_hit       # one content-addressed build, shared
    assert remote[1].trials_passed == local[1].trials_passed == on_modal[1].trials_passed


def test_baseline_choice_reaches_the_worker_through_every_evaluator(local_evaluator, tmp_path):
    """A planted torch.compile baseline is what comes back when (and only when) baseline="compile" is asked for."""
    from trace_kernelbench.evaluation import baselines
    from trace_kernelbench.evaluators.client import ServerEvaluator
    from trace_kernelbench.evaluators.modal_backend import ModalEvaluator
    from trace_kernelbench.evaluators.server import create_app

    timing = TimingConfig(warmup_runs=0, warmup_seconds=0, min_runs=2, max_runs=3)
    compiled = req(distinct(PY_GOOD, 99), measure_timing=True, baseline="compile", timing=timing)
    eager = req(distinct(PY_GOOD, 99), measure_timing=True, baseline="eager", timing=timing)
    hello = local_evaluator._target_for_runs().hello
    planted = TimingStats(median_ms=123.0, mean_ms=123.0, std_ms=0.0, min_ms=123.0, max_ms=123.0, count=3,
                          ci95_ms=(123.0, 123.0), timer="perf_counter")
    baselines.store(baselines.baseline_path(compiled, "cpu", hello["torch"], hello["torch_cuda"]), planted)

    with running_server(create_app(local_evaluator, token=TOKEN, state_dir=tmp_path)) as url, \
            ServerEvaluator([url], token=TOKEN) as server, ModalEvaluator(mode="local") as modal:
        for ev in (local_evaluator, server, modal):
            rc, re_ = ev.evaluate_many([compiled, eager])
            assert rc.status == re_.status == Status.CORRECT, (ev.name, rc.error, re_.error)
            assert rc.ref_runtime_ms == 123.0 and rc.timing["reference"].source == "baseline_cache", ev.name
            assert re_.ref_runtime_ms != 123.0, ev.name


def test_bench_kernels_are_distinct_copies_of_the_suite_solutions():
    from trace_kernelbench.evaluators.bench import bench_kernels
    from trace_kernelbench.solutions import solution_names

    names = solution_names("cpp")
    kernels = bench_kernels("cpp", len(names) + 2, "full", nonce="abc")
    assert len({k.source for k in kernels}) == len(kernels)
    assert kernels[0].problem_id == kernels[len(names)].problem_id
    assert 'name="tkb_' in kernels[0].source and "_v1\"" in kernels[len(names)].source
    assert all("bench run abc" in k.source for k in kernels)
    with pytest.raises(Exception, match="count"):
        bench_kernels("cpp", 0, "full")


def test_bench_reports_cold_and_warm_passes_per_stage(monkeypatch):
    from trace_kernelbench.evaluators.bench import BenchKernel, run_bench
    from trace_kernelbench.evaluators.local import LocalEvaluator

    kernels = [BenchKernel(f"py#{i}", "embedded/relu", distinct(PY_GOOD, 1000 + i)) for i in range(2)]
    report = run_bench(lambda: LocalEvaluator(build_workers=1), kernels,
                       dict(size="small", device="cpu", correct_trials=1, measure_timing=False, guard_policy="off"))
    cold, warm = report["passes"]
    assert cold["name"] == "cold" and warm["name"] == "warm"
    assert cold["statuses"] == warm["statuses"] == {"correct": 2}
    assert set(cold["mean_s"]) == {"queue", "build", "load", "correctness", "timing", "reference", "overhead",
                                   "total"}
    assert cold["kernels_per_min"] > 0 and [k["label"] for k in report["kernels"]] == ["py#0", "py#1"]
    assert report["repeat_one"]["status"] == "correct" and report["repeat_one"]["wall_s"] > 0
