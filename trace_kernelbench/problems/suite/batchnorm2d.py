"""BatchNorm2d in training mode (per-channel batch statistics over N, H, W) with a random affine weight and bias. The affine parameters are redrawn with torch.randn in __init__ so zeros, a constant or the input itself cannot pass; ~1.0 ms on H100 at full size (1 GiB input: a statistics pass plus a normalisation pass)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 64
channels = 64
height = 256
width = 256
SMALL_SIZES = {"batch_size": 4, "channels": 8, "height": 16, "width": 16}


class Model(nn.Module):
    """y = BatchNorm2d(channels)(x), training mode, randomly initialised affine parameters."""

    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        with torch.no_grad():
            self.bn.weight.copy_(torch.randn(channels) * 0.5 + 1.0)
            self.bn.bias.copy_(torch.randn(channels) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x)


def get_inputs():
    x = torch.randn(batch_size, channels, height, width) * 1.5 + 0.3
    return [x]


def get_init_inputs():
    return [channels]
