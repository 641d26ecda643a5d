"""CUDA solution for groupnorm: per-(sample, group) two-pass statistics in double (one block per group; a group is a contiguous span), then an elementwise normalise + per-channel affine kernel."""
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

// x is (N*G) contiguous spans of `span` = (C/G)*HW elements each.
__global__ void gn_stats_kernel(const float* __restrict__ x, float* __restrict__ mean_out,
                                float* __restrict__ rstd_out, int64_t num_spans, int64_t span, double eps) {
    __shared__ double shm[THREADS];
    for (int64_t g = blockIdx.x; g < num_spans; g += gridDim.x) {
        const float* base = x + g * span;
        double s = 0.0;
        for (int64_t i = threadIdx.x; i < span; i += blockDim.x) s += (double)base[i];
        double mean = block_sum(s, shm) / (double)span;
        double v = 0.0;
        for (int64_t i = threadIdx.x; i < span; i += blockDim.x) {
            double d = (double)base[i] - mean;
            v += d * d;
        }
        double var = block_sum(v, shm) / (double)span;
        if (threadIdx.x == 0) {
            mean_out[g] = (float)mean;
            rstd_out[g] = (float)(1.0 / sqrt(var + eps));
        }
    }
}

__global__ void gn_apply_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                const float* __restrict__ rstd, const float* __restrict__ w,
                                const float* __restrict__ b, float* __restrict__ y,
                                int64_t total, int64_t C, int64_t HW, int64_t span) {
    int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        int64_t c = (i / HW) % C;
        int64_t g = i / span;          // index over (n, group)
        y[i] = (x[i] - mean[g]) * rstd[g] * w[c] + b[c];
    }
}

torch::Tensor groupnorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                int64_t num_groups, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "all tensors must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "all tensors must be float32");
    TORCH_CHECK(x.dim() >= 2, "x must be (N, C, ...)");
    x = x.contiguous();
    weight = weight.contiguous();
    bias = bias.contiguous();
    int64_t N = x.size(0), C = x.size(1);
    TORCH_CHECK(num_groups > 0 && C % num_groups == 0, "C must be divisible by num_groups");
    TORCH_CHECK(weight.numel() == C && bias.numel() == C, "weight/bias must have C elements");
    auto y = torch::empty_like(x);
    if (x.numel() == 0) return y;
    int64_t HW = x.numel() / (N * C);
    int64_t span = (C / num_groups) * HW;
    int64_t num_spans = N * num_groups;
    auto mean = torch::empty({num_spans}, x.options());
    auto rstd = torch::empty({num_spans}, x.options());
    int64_t sblocks = num_spans < 65535 ? num_spans : 65535;
    gn_stats_kernel<<<(unsigned int)sblocks, THREADS>>>(x.data_ptr<float>(), mean.data_ptr<float>(),
                                                       rstd.data_ptr<float>(), num_spans, span, eps);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "gn_stats_kernel launch failed: ", cudaGetErrorString(err));
    int64_t total = x.numel();
    const int threads = 256;
    int64_t blocks = (total + threads - 1) / threads;
    if (blocks > 65536) blocks = 65536;
    gn_apply_kernel<<<(unsigned int)blocks, threads>>>(x.data_ptr<float>(), mean.data_ptr<float>(),
                                                      rstd.data_ptr<float>(), weight.data_ptr<float>(),
                                                      bias.data_ptr<float>(), y.data_ptr<float>(),
                                                      total, C, HW, span);
    err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "gn_apply_kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

cpp_source = ("torch::Tensor groupnorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, "
              "int64_t num_groups, double eps);")

_ext = load_inline(
    name="tkb_groupnorm_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["groupnorm_forward"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, num_groups: int, channels: int):
        super().__init__()
        self.gn = nn.GroupNorm(num_groups, channels)
        with torch.no_grad():
            self.gn.weight.copy_(torch.randn(channels) * 0.5 + 1.0)
            self.gn.bias.copy_(torch.randn(channels) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.groupnorm_forward(x, self.gn.weight, self.gn.bias, self.gn.num_groups, self.gn.eps)
