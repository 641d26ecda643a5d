"""Scaled dot-product attention softmax(q k^T / sqrt(d)) v, no mask, fp32, on (batch, heads, seq, head_dim) tensors. Standard-normal q, k give unit-variance scores, so the softmax is neither one-hot nor flat: outputs are O(0.05) averages of v, far above the 1e-4 tolerance and unlike q, k, v. Full size (8x16x1024x64, 34 GFLOP) ~1.0 ms on H200 (measured; fp32 memory-efficient kernel)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVEL = 1
batch_size = 8
num_heads = 16
seq_len = 1024
head_dim = 64
SMALL_SIZES = {"batch_size": 2, "num_heads": 2, "seq_len": 32, "head_dim": 16}


class Model(nn.Module):
    """torch.nn.functional.scaled_dot_product_attention(q, k, v) without mask or dropout."""

    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v)


def get_inputs():
    shape = (batch_size, num_heads, seq_len, head_dim)
    q = torch.randn(shape)
    k = torch.randn(shape)
    v = torch.randn(shape)
    return [q, k, v]


def get_init_inputs():
    return []
