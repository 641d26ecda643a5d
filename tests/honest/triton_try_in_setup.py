# Honest: try/except in host-side setup only (probing an optional feature in __init__ and turning a failure into a
# clear error), never around the computation in forward.
import torch
import torch.nn as nn
import triton
import triton.language as tl

try:
    _NUM_SMS = torch.cuda.get_device_properties(0).multi_processor_count if torch.cuda.is_available() else 1
except (RuntimeError, AssertionError):
    _NUM_SMS = 1


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        try:
            self.block = int(max(256, min(1024, 128 * _NUM_SMS)))
        except (TypeError, ValueError) as e:
            raise RuntimeError(f"bad device description: {e}") from e
        self.block = triton.next_power_of_2(self.block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), self.block),)](x, y, x.numel(), BLOCK=self.block)
        return y
