"""y = (x @ W^T + b) * scale + x with a square nn.Linear and a constructor float `scale`, fp32. With scale=0.5 and default init the linear term has std ~0.29, so returning x (same shape) or zeros fails the 1e-4 tolerance. Full size (4096 x 4096 -> 4096, 137 GFLOP) ~2.8 ms on H200 (measured)."""
import torch
import torch.nn as nn

LEVEL = 2
batch_size = 4096
dim = 4096
scale = 0.5
SMALL_SIZES = {"batch_size": 32, "dim": 64}


class Model(nn.Module):
    """Square linear layer, scaled, plus a residual connection to the input."""

    def __init__(self, dim: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) * self.scale + x


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim, scale]
