"""Triton solution for silu_mul: one fused elementwise kernel computing a / (1 + exp(-a)) * b."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def silu_mul_kernel(a_ptr, b_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    s = a / (1.0 + tl.exp(-a))
    tl.store(y_ptr + offs, s * b, mask=mask)


def silu_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    assert a.shape == b.shape
    a = a.contiguous()
    b = b.contiguous()
    y = torch.empty_like(a)
    n = a.numel()
    if n == 0:
        return y
    BLOCK = 1024
    grid = (triton.cdiv(n, BLOCK),)
    silu_mul_kernel[grid](a, b, y, n, BLOCK=BLOCK)
    return y


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return silu_mul(a, b)
