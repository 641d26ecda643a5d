import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    a = tl.load(a_ptr + offsets, mask=mask)
    b = tl.load(b_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, a + b, mask=mask)


def triton_add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    assert a.shape == b.shape, "triton_add: inputs must have the same shape"
    a = a.contiguous()
    b = b.contiguous()
    out = torch.empty_like(a)
    n_elements = a.numel()
    if n_elements == 0:
        return out
    block_size = 1024
    grid = (triton.cdiv(n_elements, block_size),)
    add_kernel[grid](a, b, out, n_elements, BLOCK_SIZE=block_size)
    return out


class ModelNew(nn.Module):
    """Adds two tensors with a custom Triton kernel."""

    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return triton_add(a, b)
