"""Inclusive prefix sum (torch.cumsum) along dim 1 of a 2-D tensor: a scan. Inputs are N(1, 1), so the running sums grow steadily away from zero: fp32 round-off of any scan order stays relative and far below rtol=1e-4, while zeros, a constant and a copy of x all fail. ~1.5 ms on H100 (est.), 1.2 ms measured on H200 (1 GiB in, 1 GiB out)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 16384
length = 16384
scan_dim = 1
SMALL_SIZES = {"batch_size": 16, "length": 1024}


class Model(nn.Module):
    """Cumulative sum of x along `dim`."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=self.dim)


def get_inputs():
    x = torch.randn(batch_size, length) + 1.0
    return [x]


def get_init_inputs():
    return [scan_dim]
