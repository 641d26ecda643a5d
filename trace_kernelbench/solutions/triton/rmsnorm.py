"""Triton solution for rmsnorm: one program per row; a BLOCK-wide pass for the mean of squares, then a pass writing x / rms * weight."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _rmsnorm_kernel(x_ptr, w_ptr, y_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    base = row.to(tl.int64) * n_cols
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + offs
        mask = cols < n_cols
        x = tl.load(x_ptr + base + cols, mask=mask, other=0.0)
        acc += x * x
    ms = tl.sum(acc, axis=0) / n_cols
    rms = tl.sqrt(ms + eps)
    for start in range(0, n_cols, BLOCK):
        cols = start + offs
        mask = cols < n_cols
        x = tl.load(x_ptr + base + cols, mask=mask, other=0.0)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0)
        tl.store(y_ptr + base + cols, x / rms * w, mask=mask)


def rmsnorm_forward(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    assert x.dtype == torch.float32 and weight.dtype == torch.float32
    x = x.contiguous()
    weight = weight.detach().contiguous()
    n_cols = x.shape[-1]
    assert weight.numel() == n_cols
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    if x.numel() == 0:
        return y
    n_rows = x.numel() // n_cols
    block = min(triton.next_power_of_2(n_cols), 1024)
    _rmsnorm_kernel[(n_rows,)](x, weight, y, n_cols, float(eps), BLOCK=block)
    return y


class ModelNew(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rmsnorm_forward(x, self.weight, self.eps)
