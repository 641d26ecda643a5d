"""y = GELU(LayerNorm(x)) over the last dim, exact GELU, fp32. The LayerNorm affine parameters are random (weight 1 + 0.5*randn, bias 0.5*randn, drawn in __init__ so they follow the seed), so the output is neither the plain normalized input nor x. Memory-bound: 1 GiB in, 1 GiB out at full size; ~1.4 ms on H200 (measured; two kernels)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 2
batch_size = 16384
dim = 16384
SMALL_SIZES = {"batch_size": 16, "dim": 256}


class Model(nn.Module):
    """LayerNorm (random affine parameters) followed by exact GELU."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        with torch.no_grad():
            self.norm.weight.copy_(1.0 + 0.5 * torch.randn(dim))
            self.norm.bias.copy_(0.5 * torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.norm(x))


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim]
