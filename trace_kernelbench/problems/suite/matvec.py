"""Matrix-vector product y = A @ x with A (M, K) and x (K, 1), fp32. x is scaled by K**-0.5 so y has unit variance; memory-bound (reads a 1 GiB matrix at full size), ~0.27 ms on H200 (measured)."""
import torch
import torch.nn as nn

LEVEL = 1
M = 65536
K = 4096
SMALL_SIZES = {"M": 64, "K": 128}


class Model(nn.Module):
    """y = A @ x, x a column vector."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, x)


def get_inputs():
    A = torch.randn(M, K)
    x = torch.randn(K, 1) * (K ** -0.5)
    return [A, x]


def get_init_inputs():
    return []
