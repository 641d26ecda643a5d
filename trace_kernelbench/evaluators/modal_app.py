"""The Modal app: a CUDA devel image with torch and this package (from the local source), and one worker class per
GPU type, each container running the local evaluation pipeline on its GPU.

Nothing is built at import: `build_app(config)` builds the app when asked (deploy, an ephemeral run, tests), and a
container finds its class through this module's `__getattr__` (``Worker_H100`` -> the H100 class), which builds the
same definition there. The worker body (`WorkerBody`) is plain Python, so tests run it offline through `.local()`.

In a container: @modal.enter starts the pipeline (fork server, build workers, one GPU runner); each input is an
evaluation request dict and each output a result dict that names the GPU it really ran on; an infra_error is raised
as `InfraError` so Modal retries the input (kernel verdicts are never retried); after a CUDA fault the container
stops taking inputs (modal.experimental.stop_fetching_inputs) and is replaced.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

APP_NAME = "trace-kernelbench"
DEFAULT_CUDA_IMAGE = "nvidia/cuda:13.0.1-devel-ubuntu22.04"
DEFAULT_PYTHON = "3.11"
CLASS_PREFIX = "Worker_"
KNOWN_GPUS = ("T4", "L4", "A10G", "L40S", "A100", "A100-40GB", "A100-80GB", "H100", "H100!", "H200", "B200")
CUDA_FAULT = re.compile(r"CUDA error|cudaError|AcceleratorError|illegal memory access|unspecified launch failure|"
                        r"misaligned address|device-side assert", re.IGNORECASE)


def default_torch_spec() -> str:
    """The torch the local machine has (so builds and baselines match), e.g. ``torch==2.14.1``."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return "torch==" + version("torch").split("+")[0]
    except PackageNotFoundError:
        return "torch"


@dataclass(frozen=True)
class ModalConfig:
    gpus: tuple[str, ...] = ("H100",)
    app_name: str = APP_NAME
    cuda_image: str = DEFAULT_CUDA_IMAGE
    python: str = DEFAULT_PYTHON
    torch: str = field(default_factory=default_torch_spec)
    max_containers: int = 8          # fan-out cap per GPU type (the bill's cap too)
    concurrent_inputs: int = 4       # inputs one container holds: their builds overlap the GPU run
    timeout_s: int = 1800            # per input
    scaledown_window_s: int = 120    # idle seconds before a container is released
    cpu: float = 8.0                 # cores for compiling
    memory_mib: int = 32768
    retries: int = 2                 # retries of an input after an infrastructure error
    block_network: bool = True       # candidate code gets no network

    def with_gpus(self, gpus) -> "ModalConfig":
        return replace(self, gpus=tuple(canonical_gpu(g) for g in gpus))


def canonical_gpu(name: str) -> str:
    from trace_kernelbench.errors import UserError
    gpu = (name or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]*!?", gpu):
        raise UserError(f"bad GPU type '{name}' (e.g. {', '.join(KNOWN_GPUS)})")
    return gpu


def class_name(gpu: str) -> str:
    """``A100-80GB`` -> ``Worker_A100_80GB``; ``H100!`` -> ``Worker_H100__21`` (reversible)."""
    gpu = canonical_gpu(gpu)
    return CLASS_PREFIX + "".join(c if c.isalnum() else ("_" if c == "-" else f"__{ord(c):02x}") for c in gpu)


def gpu_from_class_name(name: str) -> str:
    body = name[len(CLASS_PREFIX):]
    body = re.sub(r"__([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), body)
    return body.replace("_", "-")


# ---------------------------------------------------------------------------------------------- the worker body
class InfraError(Exception):
    """An infrastructure failure inside a container; Modal retries the input. Carries the result as JSON."""


def is_cuda_fault(result) -> bool:
    return result.status.value == "runtime_error" and bool(CUDA_FAULT.search(result.error or ""))


class WorkerBody:
    """What one container does. Plain Python: Modal wraps it per GPU type; tests call it through `.local()`."""

    def start(self) -> None:
        from trace_kernelbench.evaluators.local import LocalEvaluator
        self.evaluator = LocalEvaluator()
        self.retired = False

    def evaluate(self, request: dict) -> dict:
        from trace_kernelbench.errors import UserError
        from trace_kernelbench.evaluation.request import EvalRequest
        from trace_kernelbench.evaluation.result import Status, infra_error
        try:
            req = EvalRequest.from_dict(request)
            result = self.evaluator.evaluate(req)
        except (UserError, ValueError, TypeError) as e:
            result = infra_error(f"the Modal worker could not read the request: {e}")
        if not result.device:
            names = self.evaluator.device_names()
            result.device = names[0] if names else None
        if result.status == Status.INFRA_ERROR:
            raise InfraError(result.to_json())
        if is_cuda_fault(result):
            self.retire()
        return result.to_dict()

    def retire(self) -> None:
        """Take no more inputs in this container (its GPU saw a fault); Modal starts a fresh one."""
        self.retired = True
        try:
            import modal.experimental
            modal.experimental.stop_fetching_inputs()
        except RuntimeError:
            pass   # not inside a Modal container (e.g. `.local()` in tests)

    def release(self) -> None:
        evaluator = getattr(self, "evaluator", None)
        if evaluator is not None:
            evaluator.close()
            self.evaluator = None


# ---------------------------------------------------------------------------------------------- the app
def build_image(config: ModalConfig):
    import modal
    return (modal.Image.from_registry(config.cuda_image, add_python=config.python)
            .apt_install("build-essential")
            .uv_pip_install(config.torch, "numpy", "ninja")
            .env({"CUDA_HOME": "/usr/local/cuda", "TRACE_KB_CACHE_DIR": "/tmp/trace-kernelbench-cache"})
            .add_local_python_source("trace_kernelbench"))


@functools.lru_cache(maxsize=None)
def build_app(config: ModalConfig = ModalConfig()):
    """(app, {gpu: Cls}) for `config`; built once per config."""
    import modal
    app = modal.App(config.app_name, include_source=False)
    image = build_image(config)
    classes = {}
    for gpu in config.gpus:
        name = class_name(gpu)
        user_cls = type(name, (WorkerBody,), {
            "__module__": __name__, "__qualname__": name,
            "start": modal.enter()(WorkerBody.start),
            "evaluate": modal.method()(WorkerBody.evaluate),
            "stop": modal.exit()(WorkerBody.release),
        })
        user_cls = modal.concurrent(max_inputs=config.concurrent_inputs)(user_cls)
        classes[gpu] = app.cls(
            image=image, gpu=gpu, cpu=config.cpu, memory=config.memory_mib, timeout=config.timeout_s,
            max_containers=config.max_containers, scaledown_window=config.scaledown_window_s,
            retries=modal.Retries(max_retries=config.retries, backoff_coefficient=2.0, initial_delay=2.0),
            block_network=config.block_network)(user_cls)
    return app, classes


def worker_cls(gpu: str, config: ModalConfig | None = None):
    """The Modal class for one GPU type."""
    gpu, config = canonical_gpu(gpu), config or ModalConfig()
    if gpu not in config.gpus:
        config = replace(config, gpus=(gpu,))
    return build_app(config)[1][gpu]


def __getattr__(name: str):
    """How a container (which imports this module and looks its class up by name) gets it, built on demand."""
    if name.startswith(CLASS_PREFIX):
        return worker_cls(gpu_from_class_name(name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
