"""Square matrix product C = A @ B (N x N, fp32). Inputs are scaled by N**-0.25 so C has unit variance: values well above the 1e-4 tolerance, and fp32 accumulation error (~1e-5) well below it. Full size ~2.7 ms on H200 (measured; fp32 SGEMM, no TF32)."""
import torch
import torch.nn as nn

LEVEL = 1
N = 4096
SMALL_SIZES = {"N": 64}


class Model(nn.Module):
    """C = A @ B for square matrices."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, B)


def get_inputs():
    s = N ** -0.25
    A = torch.randn(N, N) * s
    B = torch.randn(N, N) * s
    return [A, B]


def get_init_inputs():
    return []
