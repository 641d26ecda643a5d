"""y = GELU(x @ W^T + b) with nn.Linear and exact (erf) GELU, fp32. Default nn.Linear init gives pre-activations of std ~0.58, so outputs are O(0.5), far above the 1e-4 tolerance and unlike x. Full size (4096 x 4096 -> 4096, 137 GFLOP) ~2.75 ms on H200 (measured)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 2
batch_size = 4096
in_features = 4096
out_features = 4096
SMALL_SIZES = {"batch_size": 32, "in_features": 64, "out_features": 48}


class Model(nn.Module):
    """Linear layer followed by exact GELU."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.linear(x))


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
