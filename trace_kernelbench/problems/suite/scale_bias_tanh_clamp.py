"""Fused chain y = clamp(tanh(x * scale + bias), -0.5, 0.5) with per-feature scale and bias of shape (dim,). scale ~ N(0, 0.5^2) and bias ~ N(0, 0.2^2) leave about 78% of the outputs strictly inside the clamp window, so the clamp cannot turn the answer into a constant, and zeros or a copy of x fail too. ~0.9 ms on H100 (est.), 0.67 ms measured on H200 (four elementwise kernels over 256 MiB)."""
import torch
import torch.nn as nn

LEVEL = 2
batch_size = 4096
dim = 16384
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Per-feature affine, then tanh, then clamp to [-0.5, 0.5]."""

    def __init__(self, dim: int):
        super().__init__()
        self.scale = nn.Parameter(torch.randn(dim) * 0.5)
        self.bias = nn.Parameter(torch.randn(dim) * 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.tanh(x * self.scale + self.bias)
        return torch.clamp(y, min=-0.5, max=0.5)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return [dim]
