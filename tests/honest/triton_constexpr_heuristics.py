# Honest: compile-time constants and a block size chosen by @triton.heuristics (the Triton analogue of #defines and
# templates); the launch passes a grid lambda that reads the chosen meta-parameters.
import torch
import torch.nn as nn
import triton
import triton.language as tl

SCALE_LOG2E = 1.4426950408889634


@triton.heuristics({"BLOCK": lambda args: 1024 if args["n"] >= 1024 else 256})
@triton.jit
def sigmoid_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, LOG2E: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, 1.0 / (1.0 + tl.exp2(-x * LOG2E)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        n = x.numel()
        sigmoid_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n, LOG2E=SCALE_LOG2E)
        return y
