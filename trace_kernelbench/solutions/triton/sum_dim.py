"""Triton solution for sum_dim: torch.sum(x, dim, keepdim=True). The input is viewed as (outer, R, inner); program
(b, j) owns BLOCK consecutive inner positions of outer index b and adds up their R values."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_dim_kernel(x_ptr, y_ptr, r_len, inner, BLOCK: tl.constexpr):
    b = tl.program_id(0).to(tl.int64)
    j = tl.program_id(1)
    k = j * BLOCK + tl.arange(0, BLOCK)
    mask = k < inner
    base = x_ptr + b * r_len * inner
    acc = tl.zeros([BLOCK], tl.float32)
    for r in range(0, r_len):
        acc += tl.load(base + r * inner + k, mask=mask, other=0.0)
    tl.store(y_ptr + b * inner + k, acc, mask=mask)


def sum_dim(x: torch.Tensor, dim: int) -> torch.Tensor:
    x = x.contiguous()
    dim = dim % x.dim()
    shape = list(x.shape)
    outer = 1
    for s in shape[:dim]:
        outer *= s
    inner = 1
    for s in shape[dim + 1:]:
        inner *= s
    r_len = shape[dim]
    out_shape = shape[:dim] + [1] + shape[dim + 1:]
    y = torch.empty(out_shape, dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    BLOCK = min(1024, triton.next_power_of_2(inner))
    sum_dim_kernel[(outer, triton.cdiv(inner, BLOCK))](x, y, r_len, inner, BLOCK=BLOCK)
    return y


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum_dim(x, self.dim)
