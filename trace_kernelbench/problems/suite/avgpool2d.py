"""2D average pooling nn.AvgPool2d(kernel_size=3, stride=2, padding=1) (zero padding counted in the divisor) over an NCHW tensor. The output has a different shape from the input and window means of standard-normal inputs have spread about 0.33, far above the tolerance, so zeros or a constant cannot pass; ~0.8 ms on H100 at full size (2 GiB read, 512 MiB written)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 32
channels = 64
height = 512
width = 512
kernel_size = 3
stride = 2
padding = 1
SMALL_SIZES = {"batch_size": 2, "channels": 4, "height": 16, "width": 16}


class Model(nn.Module):
    """y = AvgPool2d(kernel_size, stride, padding)(x), count_include_pad=True (the default)."""

    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    x = torch.randn(batch_size, channels, height, width)
    return [x]


def get_init_inputs():
    return [kernel_size, stride, padding]
