# Honest: a CUDA kernel declared `__global__ void __launch_bounds__(256) name(...)`, the placement NVIDIA's
# programming guide shows (launch bounds after the return type), with a block-size constant.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = r"""
#include <torch/extension.h>

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) sigmoid_kernel(const float* __restrict__ x, float* __restrict__ y,
                                                           int64_t n) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

torch::Tensor sigmoid_forward(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda(), "x must be a CUDA tensor");
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    int64_t n = xc.numel();
    int64_t blocks = (n + kThreads - 1) / kThreads;
    if (n > 0) sigmoid_kernel<<<(unsigned)blocks, kThreads>>>(xc.data_ptr<float>(), y.data_ptr<float>(), n);
    return y;
}
"""

ext = load_inline(name="tkb_honest_launch_bounds", cpp_sources="torch::Tensor sigmoid_forward(torch::Tensor x);",
                  cuda_sources=cuda_src, functions=["sigmoid_forward"], extra_cuda_cflags=["-O3"])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.sigmoid_forward(x)
