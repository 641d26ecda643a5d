"""Smooth L1 (Huber-like, beta=1) loss F.smooth_l1_loss(pred, target) with mean reduction, a scalar. Both inputs are scaled by a per-seed random factor in [0.5, 2.5], so the differences fall in both the quadratic and the linear branch, the loss varies between trials and no single constant passes; ~0.6 ms on H100 at full size (2 x 512 MiB inputs)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 1
batch_size = 8192
dim = 16384
SMALL_SIZES = {"batch_size": 16, "dim": 1024}


class Model(nn.Module):
    """Smooth L1 loss with beta = 1.0, mean reduction."""

    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.smooth_l1_loss(predictions, targets, beta=1.0)


def get_inputs():
    scale = torch.rand(()) * 2.0 + 0.5
    predictions = torch.randn(batch_size, dim) * scale
    targets = torch.randn(batch_size, dim) * scale
    return [predictions, targets]


def get_init_inputs():
    return []
