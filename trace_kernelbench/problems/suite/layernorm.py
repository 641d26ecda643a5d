"""LayerNorm over the last (hidden) dimension of a (batch, seq, hidden) tensor, with a random affine weight and bias. The affine parameters are redrawn with torch.randn in __init__ (weight around 1 with spread 0.5, bias with spread 0.5) and the input is shifted and scaled, so zeros, a constant or the input itself cannot pass; ~0.7 ms on H100 at full size (1 GiB read, 1 GiB written)."""
import torch
import torch.nn as nn

LEVEL = 1
batch_size = 16
seq_len = 4096
hidden = 4096
SMALL_SIZES = {"batch_size": 4, "seq_len": 16, "hidden": 256}


class Model(nn.Module):
    """y = LayerNorm(hidden)(x) with randomly initialised elementwise affine parameters."""

    def __init__(self, hidden: int):
        super().__init__()
        self.ln = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.ln.weight.copy_(torch.randn(hidden) * 0.5 + 1.0)
            self.ln.bias.copy_(torch.randn(hidden) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x)


def get_inputs():
    x = torch.randn(batch_size, seq_len, hidden) * 2.0 + 0.5
    return [x]


def get_init_inputs():
    return [hidden]
