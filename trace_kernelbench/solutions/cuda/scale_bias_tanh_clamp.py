"""CUDA solution for scale_bias_tanh_clamp: one fused elementwise pass y = clamp(tanh(x * scale[f] + bias[f]), -0.5, 0.5), f = feature index (last dim)."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

__global__ void scale_bias_tanh_clamp_kernel(const float* __restrict__ x, const float* __restrict__ scale,
                                             const float* __restrict__ bias, float* __restrict__ y,
                                             int64_t n, int64_t d) {
    int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        int64_t f = i % d;
        float z = tanhf(x[i] * scale[f] + bias[f]);
        z = fminf(fmaxf(z, -0.5f), 0.5f);
        y[i] = z;
    }
}

torch::Tensor scale_bias_tanh_clamp_forward(torch::Tensor x, torch::Tensor scale, torch::Tensor bias) {
    TORCH_CHECK(x.is_cuda() && scale.is_cuda() && bias.is_cuda(), "all tensors must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && scale.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "all tensors must be float32");
    TORCH_CHECK(x.dim() >= 1, "x must have at least one dimension");
    int64_t d = scale.numel();
    TORCH_CHECK(x.size(-1) == d && bias.numel() == d, "last dim of x must match scale and bias");
    x = x.contiguous();
    scale = scale.contiguous();
    bias = bias.contiguous();
    auto y = torch::empty_like(x);
    int64_t n = x.numel();
    if (n == 0) return y;
    const int threads = 256;
    int64_t blocks = (n + threads - 1) / threads;
    if (blocks > 65536) blocks = 65536;
    scale_bias_tanh_clamp_kernel<<<(unsigned int)blocks, threads>>>(
        x.data_ptr<float>(), scale.data_ptr<float>(), bias.data_ptr<float>(), y.data_ptr<float>(), n, d);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "scale_bias_tanh_clamp_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = "torch::Tensor scale_bias_tanh_clamp_forward(torch::Tensor x, torch::Tensor scale, torch::Tensor bias);"

_ext = load_inline(
    name="tkb_scale_bias_tanh_clamp_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["scale_bias_tanh_clamp_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        # created exactly as in Model, so the same seed gives the same values
        self.scale = nn.Parameter(torch.randn(dim) * 0.5)
        self.bias = nn.Parameter(torch.randn(dim) * 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.scale_bias_tanh_clamp_forward(x, self.scale.detach(), self.bias.detach())
