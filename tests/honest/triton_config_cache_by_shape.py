# Honest: launch configurations are cached per (shape, dtype) in a dictionary on the module; caching metadata is
# fine, only results must never be cached.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gelu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 0.5 * x * (1.0 + tl.erf(x * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._configs = {}

    def _config(self, x):
        key = (tuple(x.shape), x.dtype, x.device.type)
        if key not in self._configs:
            block = 1024 if x.numel() >= 1024 else triton.next_power_of_2(max(x.numel(), 16))
            self._configs[key] = (block, triton.cdiv(x.numel(), block))
        return self._configs[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        block, grid = self._config(x)
        y = torch.empty_like(x)
        gelu_kernel[(grid,)](x, y, x.numel(), BLOCK=block)
        return y
