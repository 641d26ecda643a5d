"""CUDA solution for rmsnorm: one block per row (grid-stride over rows), block reduction of the sum of squares."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

#define THREADS 256

__device__ float block_sum(float v, float* shm) {
    int tid = threadIdx.x;
    shm[tid] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) shm[tid] += shm[tid + s];
        __syncthreads();
    }
    float r = shm[0];
    __syncthreads();
    return r;
}

__global__ void rmsnorm_kernel(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                               int64_t rows, int64_t cols, float eps) {
    __shared__ float shm[THREADS];
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const float* xr = x + row * cols;
        float* yr = y + row * cols;
        float s = 0.0f;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
            float v = xr[j];
            s += v * v;
        }
        float ms = block_sum(s, shm) / (float)cols;
        float rms = sqrtf(ms + eps);
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
            yr[j] = xr[j] / rms * w[j];
        }
    }
}

torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor weight, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda(), "all tensors must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32,
                "all tensors must be float32");
    x = x.contiguous();
    weight = weight.contiguous();
    auto y = torch::empty_like(x);
    TORCH_CHECK(x.dim() >= 1, "x must have at least one dimension");
    int64_t cols = x.size(-1);
    TORCH_CHECK(weight.numel() == cols, "weight size must equal the last dim of x");
    if (x.numel() == 0) return y;
    int64_t rows = x.numel() / cols;
    int64_t blocks = rows < 65535 ? rows : 65535;
    rmsnorm_kernel<<<(unsigned int)blocks, THREADS>>>(x.data_ptr<float>(), weight.data_ptr<float>(),
                                                     y.data_ptr<float>(), rows, cols, (float)eps);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "rmsnorm_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = "torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor weight, double eps);"

_ext = load_inline(
    name="tkb_rmsnorm_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["rmsnorm_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.rmsnorm_forward(x, self.weight, self.eps)
