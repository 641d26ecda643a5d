"""Outer-product-like matmul C = A @ B with A (M, k) tall-skinny, B (k, M), small k, so C is a large (M, M) matrix (write-heavy). Inputs are scaled by k**-0.25 so C has unit variance. Full size (M=16384, k=64: 34 GFLOP, 1 GiB output) ~1.0 ms on H200 (measured)."""
import torch
import torch.nn as nn

LEVEL = 1
M = 16384
k = 64
SMALL_SIZES = {"M": 64, "k": 8}


class Model(nn.Module):
    """C = A @ B with A (M, k), B (k, M), k << M."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, B)


def get_inputs():
    s = k ** -0.25
    A = torch.randn(M, k) * s
    B = torch.randn(k, M) * s
    return [A, B]


def get_init_inputs():
    return []
