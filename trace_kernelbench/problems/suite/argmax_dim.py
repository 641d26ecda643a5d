"""Index of the maximum over one dimension (dim 1 of a 3-D tensor), int64 output. Ties are impossible: every value lies in [-1, 1) except one planted winner per reduced line, in [1, 2), at a uniformly random position, so the answer is unique and no constant index passes. ~0.45 ms on H100 (est.), 0.34 ms measured on H200 (1 GiB read)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 128
dim1 = 256
dim2 = 8192
reduce_dim = 1
SMALL_SIZES = {"batch_size": 4, "dim1": 64, "dim2": 128}


class Model(nn.Module):
    """Returns the argmax of x over `dim` (the dimension is removed)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.argmax(x, dim=self.dim)


def get_inputs():
    x = torch.rand(batch_size, dim1, dim2) * 2.0 - 1.0          # all values in [-1, 1)
    winner = torch.randint(0, dim1, (batch_size, 1, dim2))        # one strictly larger value per line
    x.scatter_(1, winner, 1.0 + torch.rand(batch_size, 1, dim2))  # in [1, 2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
