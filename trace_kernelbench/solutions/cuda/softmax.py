"""CUDA solution for softmax: softmax over the last dimension, exp(x - max) / sum(exp(x - max)).

One thread block (256 threads) per row: pass 1 finds the row maximum, pass 2 sums exp(x - max), pass 3 writes
the result; both reductions go through shared memory. Rows are walked with a grid-stride loop."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <math.h>

#define THREADS 256   // must be a power of two

__device__ float block_max(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int off = THREADS / 2; off > 0; off >>= 1) {
        if (threadIdx.x < off) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + off]);
        __syncthreads();
    }
    float r = red[0];
    __syncthreads();   // everyone has read red[0] before red is reused
    return r;
}

__device__ float block_sum(float v, float* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int off = THREADS / 2; off > 0; off >>= 1) {
        if (threadIdx.x < off) red[threadIdx.x] = red[threadIdx.x] + red[threadIdx.x + off];
        __syncthreads();
    }
    float r = red[0];
    __syncthreads();
    return r;
}

__global__ void softmax_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t cols) {
    __shared__ float red[THREADS];
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const float* xr = x + row * cols;
        float* yr = y + row * cols;
        float m = -INFINITY;
        for (int64_t c = threadIdx.x; c < cols; c += THREADS) m = fmaxf(m, xr[c]);
        m = block_max(m, red);
        float s = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += THREADS) s += expf(xr[c] - m);
        s = block_sum(s, red);
        float inv = 1.0f / s;
        for (int64_t c = threadIdx.x; c < cols; c += THREADS) yr[c] = expf(xr[c] - m) * inv;
    }
}

torch::Tensor softmax_forward(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda(), "x must be a CUDA tensor");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "x must be float32");
    TORCH_CHECK(x.dim() >= 1, "x must have at least one dimension");
    x = x.contiguous();
    auto y = torch::empty_like(x);
    int64_t cols = x.size(-1);
    if (x.numel() == 0) return y;
    int64_t rows = x.numel() / cols;
    int64_t blocks = rows < 1048576 ? rows : 1048576;
    softmax_kernel<<<(unsigned int)blocks, THREADS>>>(x.data_ptr<float>(), y.data_ptr<float>(), rows, cols);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "softmax_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = "torch::Tensor softmax_forward(torch::Tensor x);"

_ext = load_inline(
    name="tkb_softmax_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["softmax_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.softmax_forward(x)
