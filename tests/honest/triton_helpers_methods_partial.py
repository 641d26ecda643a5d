# Honest: the launch is several calls away from forward: a method, a module-level helper bound with
# functools.partial, and a small launcher class held by the model.
import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_softmax_kernel(x_ptr, y_ptr, cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * cols + offs, mask=mask, other=float("-inf"))
    e = tl.exp(x - tl.max(x, axis=0))
    tl.store(y_ptr + row * cols + offs, e / tl.sum(e, axis=0), mask=mask)


def _launch(kernel, x, block):
    y = torch.empty_like(x)
    kernel[(x.shape[0],)](x, y, x.shape[1], BLOCK=block)
    return y


class Launcher:
    def __init__(self, block):
        self.run = functools.partial(_launch, row_softmax_kernel, block=block)

    def __call__(self, x):
        return self.run(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.launcher = None

    def _softmax(self, x):
        if self.launcher is None:
            self.launcher = Launcher(triton.next_power_of_2(x.shape[-1]))
        return self.launcher(x.reshape(-1, x.shape[-1]).contiguous()).view_as(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._softmax(x)
