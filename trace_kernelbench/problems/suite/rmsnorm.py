"""RMSNorm over the last dimension: x / sqrt(mean(x^2, -1) + eps) * weight, with a random weight. The weight is a torch.randn nn.Parameter (depends on the seed) so zeros, a constant or the input itself cannot pass; ~2 ms on H100 at full size (eager: square, mean, divide and multiply each make a pass over 1 GiB, about 7 GiB of traffic)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 16
seq_len = 4096
hidden = 4096
SMALL_SIZES = {"batch_size": 4, "seq_len": 16, "hidden": 256}


class Model(nn.Module):
    """Root-mean-square normalisation over the last dim, then an elementwise learnable scale."""

    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return x / rms * self.weight


def get_inputs():
    x = torch.randn(batch_size, seq_len, hidden)
    return [x]


def get_init_inputs():
    return [hidden]
