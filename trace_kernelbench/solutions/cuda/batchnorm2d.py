"""CUDA solution for batchnorm2d (training mode): per-channel two-pass statistics in double (one block per channel), then an elementwise normalise + affine kernel. Running statistics are not updated (they do not affect the training-mode output)."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>

#define THREADS 512

__device__ double block_sum(double v, double* shm) {
    int tid = threadIdx.x;
    shm[tid] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) shm[tid] += shm[tid + s];
        __syncthreads();
    }
    double r = shm[0];
    __syncthreads();
    return r;
}

// x is (N, C, HW) contiguous. For each channel c: mean and 1/sqrt(biased var + eps).
__global__ void bn_stats_kernel(const float* __restrict__ x, float* __restrict__ mean_out,
                                float* __restrict__ rstd_out, int64_t N, int64_t C, int64_t HW, double eps) {
    __shared__ double shm[THREADS];
    double count = (double)N * (double)HW;
    for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
        double s = 0.0;
        for (int64_t n = 0; n < N; ++n) {
            const float* base = x + (n * C + c) * HW;
            for (int64_t p = threadIdx.x; p < HW; p += blockDim.x) s += (double)base[p];
        }
        double mean = block_sum(s, shm) / count;
        double v = 0.0;
        for (int64_t n = 0; n < N; ++n) {
            const float* base = x + (n * C + c) * HW;
            for (int64_t p = threadIdx.x; p < HW; p += blockDim.x) {
                double d = (double)base[p] - mean;
                v += d * d;
            }
        }
        double var = block_sum(v, shm) / count;
        if (threadIdx.x == 0) {
            mean_out[c] = (float)mean;
            rstd_out[c] = (float)(1.0 / sqrt(var + eps));
        }
    }
}

__global__ void bn_apply_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                const float* __restrict__ rstd, const float* __restrict__ w,
                                const float* __restrict__ b, float* __restrict__ y,
                                int64_t total, int64_t C, int64_t HW) {
    int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        int64_t c = (i / HW) % C;
        y[i] = (x[i] - mean[c]) * rstd[c] * w[c] + b[c];
    }
}

torch::Tensor batchnorm2d_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "all tensors must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "all tensors must be float32");
    TORCH_CHECK(x.dim() == 4, "x must be NCHW");
    x = x.contiguous();
    weight = weight.contiguous();
    bias = bias.contiguous();
    int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
    TORCH_CHECK(weight.numel() == C && bias.numel() == C, "weight/bias must have C elements");
    auto y = torch::empty_like(x);
    if (x.numel() == 0) return y;
    auto mean = torch::empty({C}, x.options());
    auto rstd = torch::empty({C}, x.options());
    int64_t sblocks = C < 65535 ? C : 65535;
    bn_stats_kernel<<<(unsigned int)sblocks, THREADS>>>(x.data_ptr<float>(), mean.data_ptr<float>(),
                                                       rstd.data_ptr<float>(), N, C, HW, eps);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "bn_stats_kernel launch failed: ", cudaGetErrorString(err));
    int64_t total = x.numel();
    const int threads = 256;
    int64_t blocks = (total + threads - 1) / threads;
    if (blocks > 65536) blocks = 65536;
    bn_apply_kernel<<<(unsigned int)blocks, threads>>>(x.data_ptr<float>(), mean.data_ptr<float>(),
                                                      rstd.data_ptr<float>(), weight.data_ptr<float>(),
                                                      bias.data_ptr<float>(), y.data_ptr<float>(), total, C, HW);
    err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "bn_apply_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = "torch::Tensor batchnorm2d_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps);"

_ext = load_inline(
    name="tkb_batchnorm2d_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["batchnorm2d_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        with torch.no_grad():
            self.bn.weight.copy_(torch.randn(channels) * 0.5 + 1.0)
            self.bn.bias.copy_(torch.randn(channels) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.batchnorm2d_forward(x, self.bn.weight, self.bn.bias, self.bn.eps)
