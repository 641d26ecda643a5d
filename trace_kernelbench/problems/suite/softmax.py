"""Softmax over the last dimension of a (batch, 1024) tensor. A row length of 1024 keeps the probabilities near 1e-3, well above the 1e-4 tolerance, so zeros, the constant 1/1024 and a copy of x all fail. ~0.7 ms on H100 (est.), 0.53 ms measured on H200 (1 GiB in, 1 GiB out)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 262144
dim = 1024
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Applies softmax over the last dimension."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=-1)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
