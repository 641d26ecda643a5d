"""Sum over one dimension (dim 1 of a 3-D tensor), keepdim=True. The reduced length (256) keeps fp32 round-off of any summation order far below the 1e-4 tolerance, while the sums (std 16) make zeros and a constant fail; the output shape differs from the input's. ~0.35 ms on H100 (est.), 0.26 ms measured on H200 (1 GiB read)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 128
dim1 = 256
dim2 = 8192
reduce_dim = 1
SMALL_SIZES = {"batch_size": 4, "dim1": 64, "dim2": 128}


class Model(nn.Module):
    """Sums x over `dim`, keeping the reduced dimension with size 1."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)


def get_inputs():
    x = torch.randn(batch_size, dim1, dim2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
