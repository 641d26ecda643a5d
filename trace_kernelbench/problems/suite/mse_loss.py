"""Mean squared error torch.mean((pred - target)^2) over two (batch, dim) tensors, a scalar. Both inputs are scaled by a per-seed random factor in [0.5, 2.5], so the loss (about 2 * scale^2) varies between trials and no single constant passes; ~0.9 ms on H100 at full size (2 x 512 MiB inputs, eager subtract, square and mean)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 8192
dim = 16384
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Mean squared error between predictions and targets (mean reduction)."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.mean((predictions - targets) ** 2)


def get_inputs():
    scale = torch.rand(()) * 2.0 + 0.5
    predictions = torch.randn(batch_size, dim) * scale
    targets = torch.randn(batch_size, dim) * scale
    return [predictions, targets]


def get_init_inputs():
    return []
