# Honest: a two-stage reduction with a scratch buffer allocated by torch.empty (every element it reads is written
# by the first kernel), in-place updates of its own scratch, and a second kernel for the final mean.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def partial_sq_diff_kernel(p_ptr, t_ptr, part_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    d = tl.load(p_ptr + offs, mask=mask, other=0.0) - tl.load(t_ptr + offs, mask=mask, other=0.0)
    tl.store(part_ptr + pid, tl.sum(d * d, axis=0))


@triton.jit
def finish_kernel(part_ptr, out_ptr, parts, n, BLOCK: tl.constexpr):
    acc = tl.zeros([BLOCK], tl.float32)
    for start in range(0, parts, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc += tl.load(part_ptr + offs, mask=offs < parts, other=0.0)
    tl.store(out_ptr, tl.sum(acc, axis=0) / n)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        p, t = predictions.contiguous(), targets.contiguous()
        n = p.numel()
        block = 1024
        parts = triton.cdiv(n, block)
        scratch = torch.empty(parts, dtype=torch.float32, device=p.device)
        partial_sq_diff_kernel[(parts,)](p, t, scratch, n, BLOCK=block)
        out = torch.empty((), dtype=torch.float32, device=p.device)
        finish_kernel[(1,)](scratch, out, parts, n, BLOCK=256)
        scratch.zero_()          # in-place on its own buffer, not on an input
        return out
