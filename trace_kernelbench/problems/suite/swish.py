"""Elementwise Swish / SiLU written out as x * sigmoid(x). Standard-normal inputs, so zeros, a constant and a copy of x all fail. ~1.7 ms on H100 (est.), 1.26 ms measured on H200 (the reference runs two elementwise kernels over 1 GiB)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Applies x * sigmoid(x) elementwise."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
