"""CUDA solution for layernorm_gelu: one block per row; two-pass mean / variance (block reductions in fp32),
then normalize, apply the affine parameters and exact (erf) GELU in the same kernel."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor layernorm_gelu_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps);"

cuda_src = r"""
#include <torch/extension.h>
#include <math.h>

#define NTHREADS 256   // multiple of 32

// Sum of v over the block; every thread gets the result. sh holds NTHREADS/32 floats.
__device__ float block_sum(float v, float* sh) {
    #pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads();                 // sh may still be read from a previous call
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int i = 0; i < (int)(blockDim.x / 32); ++i) total += sh[i];
    return total;
}

// x, y: (rows, D) contiguous; weight, bias: (D).
__global__ void layernorm_gelu_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                      const float* __restrict__ b, float* __restrict__ y,
                                      int D, float eps) {
    __shared__ float sh[NTHREADS / 32];
    const long long row = blockIdx.x;
    const float* xr = x + row * D;
    float* yr = y + row * D;

    float s = 0.0f;
    for (int i = threadIdx.x; i < D; i += blockDim.x) s += xr[i];
    const float mean = block_sum(s, sh) / (float)D;

    float sq = 0.0f;
    for (int i = threadIdx.x; i < D; i += blockDim.x) {
        float d = xr[i] - mean;
        sq = fmaf(d, d, sq);
    }
    const float var = block_sum(sq, sh) / (float)D;   // biased variance, as LayerNorm
    const float rstd = 1.0f / sqrtf(var + eps);

    for (int i = threadIdx.x; i < D; i += blockDim.x) {
        float h = (xr[i] - mean) * rstd * w[i] + b[i];
        yr[i] = 0.5f * h * (1.0f + erff(h * 0.70710678118654752440f));
    }
}

torch::Tensor layernorm_gelu_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "inputs must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "inputs must be float32");
    const int D = (int)weight.numel();
    TORCH_CHECK(bias.numel() == D && x.size(-1) == D, "normalized dim mismatch");
    auto xc = x.contiguous();
    auto w = weight.contiguous();
    auto b = bias.contiguous();
    auto y = torch::empty_like(xc);
    const long long rows = D > 0 ? xc.numel() / D : 0;
    if (rows == 0) return y;
    TORCH_CHECK(rows <= 2147483647LL, "too many rows");
    layernorm_gelu_kernel<<<(unsigned int)rows, NTHREADS>>>(xc.data_ptr<float>(), w.data_ptr<float>(),
                                                            b.data_ptr<float>(), y.data_ptr<float>(), D, (float)eps);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

_ext = load_inline(
    name="tkb_layernorm_gelu_cuda",
    cpp_sources=cpp_src,
    cuda_sources=cuda_src,
    functions=["layernorm_gelu_cuda"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        with torch.no_grad():
            self.norm.weight.copy_(1.0 + 0.5 * torch.randn(dim))
            self.norm.bias.copy_(0.5 * torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.layernorm_gelu_cuda(x, self.norm.weight, self.norm.bias, float(self.norm.eps))
