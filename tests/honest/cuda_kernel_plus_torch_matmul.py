# Honest (CUDA): the GEMM stays in cuBLAS through torch.matmul and a custom kernel fuses bias and exact GELU, which
# the kernelbench policy allows (the strict policy would ask for the GEMM in the kernel too).
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor bias_gelu(torch::Tensor h, torch::Tensor bias);"
cuda_src = r"""
#include <torch/extension.h>

__global__ void bias_gelu_kernel(const float* __restrict__ h, const float* __restrict__ b, float* __restrict__ y,
                                 long n, int cols) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) {
        float v = h[i] + b[i % cols];
        y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

torch::Tensor bias_gelu(torch::Tensor h, torch::Tensor bias) {
    h = h.contiguous();
    auto y = torch::empty_like(h);
    long n = h.numel();
    bias_gelu_kernel<<<(n + 255) / 256, 256>>>(h.data_ptr<float>(), bias.data_ptr<float>(), y.data_ptr<float>(), n,
                                               (int)bias.numel());
    return y;
}
"""

_ext = load_inline(name="honest_cuda_matmul_bias_gelu", cpp_sources=cpp_src, cuda_sources=cuda_src,
                   functions=["bias_gelu"])


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.matmul(x, self.linear.weight.t())
        return _ext.bias_gelu(h, self.linear.bias)
