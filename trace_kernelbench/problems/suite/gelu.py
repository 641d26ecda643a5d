"""Elementwise exact GELU, y = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))) (the erf form, not the tanh approximation). Standard-normal inputs, so zeros, a constant and a copy of x all fail. ~0.7 ms on H100 (est.), 0.53 ms measured on H200 (1 GiB in, 1 GiB out)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 1
batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Applies the exact (erf-based) GELU elementwise."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
