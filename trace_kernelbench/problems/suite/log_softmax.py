"""Log-softmax over the last dimension of a (batch, 4096) tensor. Outputs are about -8.8 +- 1 (x minus a per-row constant), so zeros, a constant and a copy of x all fail. ~1.0 ms on H100 (est.), 0.78 ms measured on H200 (1 GiB in, 1 GiB out)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 65536
dim = 4096
SMALL_SIZES = {"batch_size": 16, "dim": 4096}


class Model(nn.Module):
    """Applies log_softmax over the last dimension."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(x, dim=-1)


def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]


def get_init_inputs():
    return []
