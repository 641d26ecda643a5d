# Honest (CUDA): softmax with a templated block size, #defines, dynamic and static shared memory, warp shuffles and
# Python-side streams used correctly (a side stream joined with wait_stream before returning).
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor softmax_rows(torch::Tensor x);"
cuda_src = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>

#define WARP 32
#define NEG_INF (-3.402823466e+38f)

template <int BLOCK>
__global__ void softmax_rows_kernel(const float* __restrict__ x, float* __restrict__ y, int cols) {
    __shared__ float red[BLOCK / WARP];
    extern __shared__ float row_cache[];
    const float* in = x + (long)blockIdx.x * cols;
    float* out = y + (long)blockIdx.x * cols;
    float m = NEG_INF;
    for (int c = threadIdx.x; c < cols; c += BLOCK) { row_cache[c] = in[c]; m = fmaxf(m, row_cache[c]); }
    for (int o = WARP / 2; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffff, m, o));
    if (threadIdx.x % WARP == 0) red[threadIdx.x / WARP] = m;
    __syncthreads();
    m = NEG_INF;
    for (int i = 0; i < BLOCK / WARP; ++i) m = fmaxf(m, red[i]);
    __syncthreads();
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += BLOCK) { row_cache[c] = expf(row_cache[c] - m); s += row_cache[c]; }
    for (int o = WARP / 2; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffff, s, o);
    if (threadIdx.x % WARP == 0) red[threadIdx.x / WARP] = s;
    __syncthreads();
    s = 0.0f;
    for (int i = 0; i < BLOCK / WARP; ++i) s += red[i];
    for (int c = threadIdx.x; c < cols; c += BLOCK) out[c] = row_cache[c] / s;
}

torch::Tensor softmax_rows(torch::Tensor x) {
    x = x.contiguous();
    auto y = torch::empty_like(x);
    const int rows = x.size(0), cols = x.size(1);
    softmax_rows_kernel<256><<<rows, 256, cols * sizeof(float), at::cuda::getCurrentCUDAStream()>>>(
        x.data_ptr<float>(), y.data_ptr<float>(), cols);
    return y;
}
"""

_ext = load_inline(name="honest_cuda_smem_templates", cpp_sources=cpp_src, cuda_sources=cuda_src,
                   functions=["softmax_rows"])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            y = _ext.softmax_rows(x)
        torch.cuda.current_stream().wait_stream(side)
        y.record_stream(torch.cuda.current_stream())
        return y
