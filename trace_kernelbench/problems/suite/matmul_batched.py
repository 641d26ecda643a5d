"""Batched matrix product C[b] = A[b] @ B[b] (torch.bmm, fp32). Inputs are scaled by K**-0.25 so C has unit variance (values well above the 1e-4 tolerance, accumulation error well below it); K != N so no input has the output's shape. Full size (128 x 512x1024 @ 1024x768, 103 GFLOP) ~2.1 ms on H200 (measured)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 128
m = 512
k = 1024
n = 768
SMALL_SIZES = {"batch_size": 2, "m": 16, "k": 32, "n": 24}


class Model(nn.Module):
    """Batched matmul: (b, m, k) @ (b, k, n) -> (b, m, n)."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.bmm(A, B)


def get_inputs():
    s = k ** -0.25
    A = torch.randn(batch_size, m, k) * s
    B = torch.randn(batch_size, k, n) * s
    return [A, B]


def get_init_inputs():
    return []
