"""What "auto" means for device, backend and problem size, decided once per env from the host and the evaluator.

A local evaluator runs on this machine: CUDA when torch sees a GPU here, else the CPU (with a problem's declared
small sizes, and the C++ backend). A remote evaluator (server, Modal) is assumed to have a GPU.
"""
from __future__ import annotations

import functools

from trace_kernelbench.errors import UserError
from trace_kernelbench.prompts.builder import BACKENDS


@functools.lru_cache(maxsize=1)
def host_has_cuda() -> bool:
    """True when torch on this host sees a CUDA device (torch is imported on first call)."""
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - no torch, or a broken driver: no GPU as far as we are concerned
        return False


def resolve_device(device: str, evaluator_is_local: bool) -> str:
    if device not in ("auto", "cuda", "cpu"):
        raise UserError(f"bad device '{device}' (choose from auto, cuda, cpu)")
    if device != "auto":
        return device
    if not evaluator_is_local:
        return "cuda"
    return "cuda" if host_has_cuda() else "cpu"


def resolve_backend(backend: str, device: str) -> str:
    """`auto`: cuda where the kernels run on a GPU, cpp on a CPU. `device` is already resolved."""
    if backend == "auto":
        return "cuda" if device == "cuda" else "cpp"
    if backend not in BACKENDS:
        raise UserError(f"unknown backend '{backend}' (choose from auto, {', '.join(BACKENDS)})")
    return backend


def resolve_size(size: str, device: str, problem) -> str:
    """`auto`: the problem's small sizes on a CPU when it declares them, else full."""
    if size == "auto":
        return "small" if device == "cpu" and problem.has_small_size else "full"
    if size not in ("full", "small"):
        raise UserError(f"bad size '{size}' (choose from auto, full, small)")
    if size == "small" and not problem.has_small_size:
        raise UserError(f"{problem.id} declares no small size (SMALL_SIZES); use size full")
    return size
