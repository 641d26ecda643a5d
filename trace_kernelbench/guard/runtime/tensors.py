"""Tensor-level tools of the runtime guard: the poison pattern, cloning and bitwise comparison of output trees,
storage aliasing, and peak memory bandwidth by device (for the roofline bound)."""
from __future__ import annotations

import torch

from trace_kernelbench.evaluation.compare import flatten_outputs




POISON32 = 0x7FA57FA5          # as fp32: a NaN; as two fp16/bf16 halves: NaNs too
POISON16 = 0x7FA5
POISON64 = 0x7FA57FA57FA57FA5
PEAK_BANDWIDTH = {             # bytes/s by device-name substring; used only for the roofline bound
    "H200": 4.8e12, "H100 PCIe": 2.0e12, "H100": 3.35e12, "H800": 3.35e12, "B200": 8.0e12, "GB200": 8.0e12,
    "A100-SXM4-80GB": 2.04e12, "A100 80GB PCIe": 1.94e12, "A100": 1.56e12, "A10G": 6.0e11, "A10": 6.0e11,
    "L40S": 8.64e11, "L40": 8.64e11, "L4": 3.0e11, "RTX 4090": 1.01e12, "RTX 3090": 9.4e11, "V100": 9.0e11,
    "T4": 3.2e11, "MI300X": 5.3e12,
}
def tensor_bytes(x) -> int:
    return sum(t.numel() * t.element_size() for t in flatten_outputs(x) if isinstance(t, torch.Tensor))


def clone_tree(x):
    if isinstance(x, torch.Tensor):
        return x.clone()
    if isinstance(x, (list, tuple)):
        return type(x)(clone_tree(v) for v in x)
    return x


def copy_tree_into(dst, src) -> None:
    """Copy every tensor of `src` into the tensor at the same place in `dst` (same structure, e.g. a clone_tree of
    it): a snapshot without a new allocation."""
    if isinstance(dst, torch.Tensor):
        dst.copy_(src)
    elif isinstance(dst, (list, tuple)):
        for d, s in zip(dst, src):
            copy_tree_into(d, s)


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.numel() == 0:
        return True
    as_int = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}.get(a.element_size(), torch.uint8)
    try:
        return bool(torch.equal(a.reshape(-1).contiguous().view(as_int), b.reshape(-1).contiguous().view(as_int)))
    except (RuntimeError, TypeError):
        return bool(torch.equal(a, b))


def has_poison(t: torch.Tensor) -> bool:
    """True when the tensor's bytes contain the poison pattern (memory nobody wrote since the guard poisoned it)."""
    if not isinstance(t, torch.Tensor) or t.numel() == 0 or t.layout != torch.strided:
        return False
    try:
        flat = t.detach().reshape(-1).contiguous()
        size = flat.element_size()
        if size == 4:
            return bool((flat.view(torch.int32) == POISON32).any())
        if size == 2:
            return bool((flat.view(torch.int16) == POISON16).any())
        if size == 8:
            return bool((flat.view(torch.int64) == POISON64).any())
    except (RuntimeError, TypeError):
        return False
    return False


def _storage_ptr(t: torch.Tensor) -> int:
    try:
        s = t.untyped_storage()
        return s.data_ptr() if s.nbytes() else 0
    except (RuntimeError, NotImplementedError):
        return 0


def aliases(out, args) -> list[bool]:
    """For each output tensor: does it share storage with an input tensor?"""
    ins = {p for a in flatten_outputs(list(args)) if isinstance(a, torch.Tensor) and (p := _storage_ptr(a))}
    return [isinstance(o, torch.Tensor) and _storage_ptr(o) in ins for o in flatten_outputs(out)]


def peak_bandwidth(device_name: str) -> float | None:
    for key, bw in PEAK_BANDWIDTH.items():
        if key in (device_name or ""):
            return bw
    return None
