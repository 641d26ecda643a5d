"""Output comparison for correctness checks: structure, dtype, device, NaN/inf, per-dtype tolerances.

GPU-side: torch only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

# (atol, rtol) per dtype; KernelBench's current values. Overridable per evaluation.
DEFAULT_TOLERANCES = {
    torch.float32: (1e-4, 1e-4),
    torch.float64: (1e-6, 1e-6),
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (1e-2, 1e-2),
}


@dataclass
class Comparison:
    ok: bool
    reason: str = ""
    max_abs_diff: float | None = None
    mean_abs_diff: float | None = None


def flatten_outputs(x) -> list:
    """A tensor, or nested lists/tuples of tensors and other values, as a flat list."""
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in flatten_outputs(item)]
    return [x]


def tolerance_for(dtype: torch.dtype, override: tuple[float, float] | None = None) -> tuple[float, float]:
    if override is not None:
        return override
    return DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))


def compare_outputs(ref, out, tolerance: tuple[float, float] | None = None) -> Comparison:
    """Compare a reference output (tensor or nested tuple/list of them) with a candidate's."""
    refs, outs = flatten_outputs(ref), flatten_outputs(out)
    if len(refs) != len(outs):
        return Comparison(False, f"output count mismatch: expected {len(refs)} outputs, got {len(outs)}")
    max_abs, sum_abs, n = 0.0, 0.0, 0
    for i, (r, o) in enumerate(zip(refs, outs)):
        where = f"output {i}: " if len(refs) > 1 else ""
        if not isinstance(r, torch.Tensor):
            if r != o:
                return Comparison(False, f"{where}expected {r!r}, got {o!r}")
            continue
        if not isinstance(o, torch.Tensor):
            return Comparison(False, f"{where}expected a torch.Tensor, got {type(o).__name__}")
        if o.shape != r.shape:
            return Comparison(False, f"{where}shape mismatch: expected {tuple(r.shape)}, got {tuple(o.shape)}")
        if o.dtype != r.dtype:
            return Comparison(False, f"{where}dtype mismatch: expected {r.dtype}, got {o.dtype}")
        if o.device != r.device:
            return Comparison(False, f"{where}device mismatch: expected {r.device}, got {o.device}")
        if r.numel() == 0:
            continue
        if r.dtype == torch.bool or not (r.is_floating_point() or r.is_complex()):
            diff = (o.to(torch.float64) - r.to(torch.float64)).abs()
            bad = int((diff > 0).sum())
            max_abs = max(max_abs, float(diff.max()))
            sum_abs += float(diff.sum()); n += diff.numel()
            if bad:
                return Comparison(False, f"{where}{bad} of {r.numel()} values differ", max_abs, sum_abs / n)
            continue
        atol, rtol = tolerance_for(r.dtype, tolerance)
        # one working precision per dtype: fp32 for fp32 and the half types (exact upcast; rounding of |o - r| is
        # ~1e-7 relative, far below any tolerance), fp64/complex128 for those. Few full passes over the outputs:
        # on large outputs this comparison runs many times per evaluation (trials, guard checks).
        work = torch.float64 if r.dtype == torch.float64 else torch.complex128 if r.is_complex() else torch.float32
        rw, ow = r.to(work), o.to(work)
        diff = torch.sub(ow, rw)                 # finite exactly where both values are finite (barring overflow)
        # Fast path, three passes over the data: the largest and the summed |difference| are reductions that make no
        # temporaries (one synchronize for both). When every difference is finite and within atol, every value is
        # within atol + rtol * |ref| too: no per-element tolerance needed.
        largest, total = torch.stack([torch.linalg.vector_norm(diff, float("inf")),
                                      torch.linalg.vector_norm(diff, 1)]).tolist()
        if math.isfinite(largest) and largest <= atol:
            max_abs = max(max_abs, largest)
            sum_abs += total; n += diff.numel()
            continue
        diff.abs_()
        fin = torch.isfinite(diff)
        all_fin = bool(fin.all())
        if not all_fin:
            ref_fin, out_fin = torch.isfinite(rw), torch.isfinite(ow)
            nbad = int((~out_fin & ref_fin).sum())
            if nbad:
                return Comparison(False, f"{where}{nbad} NaN/inf values where the reference is finite")
            diff = torch.where(fin, diff, torch.zeros_like(diff))
        max_abs = max(max_abs, float(diff.max()))
        sum_abs += float(diff.sum(dtype=torch.float64)); n += diff.numel()
        bad = diff > rw.abs().mul_(rtol).add_(atol)
        if not all_fin:
            # non-finite reference values must be matched exactly (same inf sign / NaN position)
            bad |= ~fin & ~((rw == ow) | (torch.isnan(rw) & torch.isnan(ow)))
        nbad = int(bad.sum())
        if nbad:
            return Comparison(False, f"{where}{nbad} of {r.numel()} values outside tolerance (atol={atol:g}, rtol={rtol:g})",
                              max_abs, sum_abs / max(n, 1))
    return Comparison(True, "", max_abs, (sum_abs / n) if n else 0.0)
