"""Triton solution for cumsum: inclusive prefix sum along `dim`. The input is viewed as (outer, L, inner); one
program per line of L values (stride inner) scans it in chunks of BLOCK with tl.cumsum, carrying the running total."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def cumsum_kernel(x_ptr, y_ptr, length, inner, BLOCK: tl.constexpr):
    line = tl.program_id(0).to(tl.int64)
    b = line // inner
    k = line - b * inner
    x_line = x_ptr + b * length * inner + k
    y_line = y_ptr + b * length * inner + k
    offs = tl.arange(0, BLOCK)
    carry = tl.zeros([1], tl.float32)  # total of the earlier chunks (a 1-element block, broadcast below)
    for start in range(0, length, BLOCK):
        i = (start + offs).to(tl.int64)
        mask = i < length
        x = tl.load(x_line + i * inner, mask=mask, other=0.0)
        scan = tl.cumsum(x, axis=0)
        tl.store(y_line + i * inner, scan + carry, mask=mask)
        carry += tl.sum(x, axis=0)


def cumsum(x: torch.Tensor, dim: int) -> torch.Tensor:
    x = x.contiguous()
    dim = dim % x.dim()
    y = torch.empty_like(x)
    if x.numel() == 0:
        return y
    shape = list(x.shape)
    inner = 1
    for s in shape[dim + 1:]:
        inner *= s
    length = shape[dim]
    lines = x.numel() // length
    BLOCK = min(1024, triton.next_power_of_2(length))
    cumsum_kernel[(lines,)](x, y, length, inner, BLOCK=BLOCK)
    return y


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cumsum(x, self.dim)
