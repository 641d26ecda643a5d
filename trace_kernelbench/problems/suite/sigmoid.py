"""Elementwise logistic sigmoid, y = 1 / (1 + exp(-x)). Standard-normal inputs spread the outputs over about (0.05, 0.95), so zeros, the constant 0.5 and a copy of x all fail. ~0.7 ms on H100 (est.), 0.53 ms measured on H200 (1 GiB in, 1 GiB out)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Applies the sigmoid elementwise."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
