"""The Modal backend offline: nothing is built when the package is imported; GPU types map to worker classes and
back (the lookup a container does); the worker body runs through `.local()` and reports the device it ran on;
infrastructure errors are raised for Modal to retry and come back as infra_error; a CUDA fault retires the
container; missing credentials give infra_error, never an exception. Real remote runs only with MODAL_TOKEN_ID."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from evalkit import PY_GOOD, RELU, req
from trace_kernelbench.evaluation.result import Status

CUDA_FAULT = PY_GOOD.replace("        return torch.clamp(x, min=0.0)",
                             "        raise RuntimeError('CUDA error: an illegal memory access was encountered')")


def test_importing_the_package_builds_no_modal_app():
    code = ("import sys, trace_kernelbench, trace_kernelbench.evaluators, trace_kernelbench.evaluators.modal_backend\n"
            "import modal\n"
            "from modal.app import _App\n"
            "print(sum(len(v) for v in _App._all_apps.values()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "0"


def test_gpu_types_map_to_worker_classes_and_back():
    from trace_kernelbench.errors import UserError
    from trace_kernelbench.evaluators import modal_app

    for gpu in ("H100", "H200", "A100-80GB", "L40S", "B200", "H100!"):
        name = modal_app.class_name(gpu)
        assert name.isidentifier() and modal_app.gpu_from_class_name(name) == gpu
    assert modal_app.class_name("l40s") == "Worker_L40S"
    with pytest.raises(UserError, match="bad GPU type"):
        modal_app.canonical_gpu("H100; rm -rf /")


def test_the_app_has_one_class_per_gpu_and_containers_find_theirs_by_name():
    import modal
    from trace_kernelbench.evaluators import modal_app

    config = modal_app.ModalConfig(max_containers=3).with_gpus(["H100", "A100-80GB"])
    app, classes = modal_app.build_app(config)
    assert isinstance(app, modal.App) and app.name == "trace-kernelbench"
    assert set(classes) == {"H100", "A100-80GB"} and all(isinstance(c, modal.Cls) for c in classes.values())
    assert modal_app.build_app(config)[0] is app                       # built once per config
    assert isinstance(modal_app.Worker_H200, modal.Cls)                  # module __getattr__: a container's lookup
    assert config.torch.startswith("torch==") and config.cuda_image.startswith("nvidia/cuda:")
    with pytest.raises(AttributeError):
        modal_app.NotAWorker  # noqa: B018


@pytest.fixture(scope="module")
def worker():
    from trace_kernelbench.evaluators.modal_app import worker_cls
    obj = worker_cls("H100")()
    yield obj
    obj.release()


def test_worker_body_runs_offline_and_records_its_device(worker):
    out = worker.evaluate.local(req(PY_GOOD).to_dict())
    assert out["status"] == "correct" and out["device"] == "cpu"
    assert worker.retired is False


def test_a_cuda_fault_retires_the_container(worker):
    out = worker.evaluate.local(req(CUDA_FAULT).to_dict())
    assert out["status"] == "runtime_error" and "CUDA error" in out["error"]
    assert worker.retired is True


def test_infra_errors_are_raised_for_modal_to_retry_and_come_back_as_infra_error():
    from trace_kernelbench.evaluators.modal_app import InfraError, worker_cls
    from trace_kernelbench.evaluators.modal_backend import ModalEvaluator

    broken = replace(RELU, source=RELU.source.replace("def get_inputs():",
                                                      "def get_inputs():\n    raise RuntimeError('reference broke')"))
    bad = req(PY_GOOD)
    bad.problem_source = broken.source
    obj = worker_cls("H100")()
    with pytest.raises(InfraError):
        obj.evaluate.local(bad.to_dict())
    obj.release()
    with ModalEvaluator(gpu="H100", mode="local") as ev:
        good, infra = ev.evaluate_many([req(PY_GOOD), bad])
    assert good.status == Status.CORRECT
    assert infra.status == Status.INFRA_ERROR and "reference broke" in infra.error


@pytest.mark.skipif(bool(os.environ.get("MODAL_TOKEN_ID")), reason="Modal credentials are configured")
def test_without_credentials_modal_gives_infra_error_not_an_exception():
    from trace_kernelbench.evaluators import make_evaluator
    with make_evaluator("modal:H100") as ev:
        r = ev.evaluate(req(PY_GOOD))
    assert r.status == Status.INFRA_ERROR and "Modal is not available" in r.error
    out = subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", "modal", "deploy", "--gpu", "H100"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "modal token new" in out.stderr


@pytest.mark.skipif(not os.environ.get("MODAL_TOKEN_ID"), reason="needs Modal credentials (MODAL_TOKEN_ID)")
def test_remote_evaluation_on_a_real_modal_gpu():
    from trace_kernelbench.evaluators.modal_backend import ModalEvaluator
    from trace_kernelbench.solutions import solution_source

    gpu = os.environ.get("TRACE_KB_MODAL_TEST_GPU", "L4")
    with ModalEvaluator(gpu=gpu, mode=os.environ.get("TRACE_KB_MODAL_TEST_MODE", "ephemeral")) as ev:
        r = ev.evaluate(req(solution_source("cuda", "relu"), device="cuda", measure_timing=True))
    assert r.status == Status.CORRECT, r.error
    assert r.device and r.device != "cpu"
