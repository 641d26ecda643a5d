"""CUDA solution for layernorm: one block per row (grid-stride over rows), two-pass mean/variance with block reductions."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

#define THREADS 256

// Sum of one value per thread over the whole block (blockDim.x == THREADS, a power of two).
__device__ float block_sum(float v, float* shm) {
    int tid = threadIdx.x;
    shm[tid] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) shm[tid] += shm[tid + s];
        __syncthreads();
    }
    float r = shm[0];
    __syncthreads();   // shm may be reused right after
    return r;
}

__global__ void layernorm_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                 const float* __restrict__ b, float* __restrict__ y,
                                 int64_t rows, int64_t cols, float eps) {
    __shared__ float shm[THREADS];
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const float* xr = x + row * cols;
        float* yr = y + row * cols;
        float s = 0.0f;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        float mean = block_sum(s, shm) / (float)cols;
        float v = 0.0f;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
            float d = xr[j] - mean;
            v += d * d;
        }
        float var = block_sum(v, shm) / (float)cols;
        float rstd = 1.0f / sqrtf(var + eps);
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
            yr[j] = (xr[j] - mean) * rstd * w[j] + b[j];
        }
    }
}

torch::Tensor layernorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "all tensors must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "all tensors must be float32");
    x = x.contiguous();
    weight = weight.contiguous();
    bias = bias.contiguous();
    auto y = torch::empty_like(x);
    int64_t cols = weight.numel();   // product of normalized_shape
    TORCH_CHECK(cols > 0 && bias.numel() == cols, "bad weight/bias size");
    TORCH_CHECK(x.numel() % cols == 0, "x does not end with normalized_shape");
    int64_t rows = x.numel() / cols;
    if (rows == 0) return y;
    int64_t blocks = rows < 65535 ? rows : 65535;
    layernorm_kernel<<<(unsigned int)blocks, THREADS>>>(x.data_ptr<float>(), weight.data_ptr<float>(),
                                                       bias.data_ptr<float>(), y.data_ptr<float>(),
                                                       rows, cols, (float)eps);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "layernorm_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = "torch::Tensor layernorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps);"

_ext = load_inline(
    name="tkb_layernorm_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["layernorm_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.ln = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.ln.weight.copy_(torch.randn(hidden) * 0.5 + 1.0)
            self.ln.bias.copy_(torch.randn(hidden) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.layernorm_forward(x, self.ln.weight, self.ln.bias, self.ln.eps)
