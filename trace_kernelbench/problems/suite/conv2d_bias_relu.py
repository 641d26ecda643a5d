"""Bias-free 3x3 nn.Conv2d (padding 1), then a separate per-channel bias parameter of shape (out_channels, 1, 1) is added, then ReLU. The bias is a torch.randn parameter (spread 0.5) that moves many outputs across zero, and the output has more channels than the input, so zeros, a constant or a copy cannot pass; ~1.4 ms on H100 at full size (39 GFLOP conv in fp32 plus two elementwise passes over 128 MiB)."""
import torch
import torch.nn as nn

LEVEL = 2
batch_size = 16
in_channels = 64
out_channels = 128
height = 128
width = 128
kernel_size = 3
SMALL_SIZES = {"batch_size": 2, "in_channels": 4, "out_channels": 8, "height": 16, "width": 16}


class Model(nn.Module):
    """y = relu(conv(x) + bias), conv without its own bias, bias broadcast over H and W."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=kernel_size // 2, bias=False)
        self.bias = nn.Parameter(torch.randn(out_channels, 1, 1) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = x + self.bias
        return torch.relu(x)


def get_inputs():
    x = torch.randn(batch_size, in_channels, height, width)
    return [x]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
