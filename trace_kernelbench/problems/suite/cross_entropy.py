"""Cross-entropy loss F.cross_entropy(logits, targets) (mean over the batch) on (batch, classes) logits and int64 class targets, a scalar. The logits are scaled by a per-seed random factor in [0.5, 3.5], so the loss varies strongly between trials and no single constant passes; ~0.8 ms on H100 at full size (1 GiB of logits: log_softmax then nll_loss)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 1
batch_size = 8192
num_classes = 32768
SMALL_SIZES = {"batch_size": 16, "num_classes": 1024}


class Model(nn.Module):
    """Softmax cross-entropy between logits and integer class labels (mean reduction)."""

    def __init__(self):
        super().__init__()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, targets)


def get_inputs():
    scale = torch.rand(()) * 3.0 + 0.5
    logits = torch.randn(batch_size, num_classes) * scale
    targets = torch.randint(0, num_classes, (batch_size,), dtype=torch.int64)
    return [logits, targets]


def get_init_inputs():
    return []
