"""Maximum over one dimension (dim 1 of a 3-D tensor), values only (keepdim=False). Maxima of 256 standard normals vary by about +-0.4 around 2.8, so zeros and a constant fail; the output shape differs from the input's. ~0.45 ms on H100 (est.), 0.36 ms measured on H200 (1 GiB read)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 128
dim1 = 256
dim2 = 8192
reduce_dim = 1
SMALL_SIZES = {"batch_size": 4, "dim1": 64, "dim2": 128}


class Model(nn.Module):
    """Returns the maximum values of x over `dim` (the dimension is removed)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x, dim=self.dim)[0]


def get_inputs():
    x = torch.randn(batch_size, dim1, dim2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
