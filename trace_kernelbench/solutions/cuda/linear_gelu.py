"""CUDA solution for linear_gelu: tiled shared-memory GEMM y = x @ W^T + b (64x64 block tile, 4x4 outputs per thread,
fp32 accumulation) with the bias add and exact (erf) GELU fused into the epilogue."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor linear_gelu_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias);"

cuda_src = r"""
#include <torch/extension.h>
#include <math.h>

#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4
#define NTHREADS 256

// Y (M,N) = gelu(X (M,K) @ W (N,K)^T + bias (N)); all contiguous row-major.
__global__ void linear_gelu_kernel(const float* __restrict__ X, const float* __restrict__ W,
                                   const float* __restrict__ bias, float* __restrict__ Y,
                                   int M, int N, int K) {
    __shared__ float Xs[BK][BM];
    __shared__ float Ws[BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN);
    const int ty = tid / (BN / TN);
    const int row0 = blockIdx.y * BM;
    const int col0 = blockIdx.x * BN;

    float acc[TM][TN];
    #pragma unroll
    for (int i = 0; i < TM; ++i)
        #pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // both X and W are read along k (coalesced), stored k-major in shared memory
        for (int idx = tid; idx < BM * BK; idx += NTHREADS) {
            int r = idx / BK, c = idx % BK;
            int gr = row0 + r, gk = k0 + c;
            Xs[c][r] = (gr < M && gk < K) ? X[(long long)gr * K + gk] : 0.0f;
        }
        for (int idx = tid; idx < BN * BK; idx += NTHREADS) {
            int r = idx / BK, c = idx % BK;
            int gn = col0 + r, gk = k0 + c;
            Ws[c][r] = (gn < N && gk < K) ? W[(long long)gn * K + gk] : 0.0f;
        }
        __syncthreads();
        #pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[TM], b[TN];
            #pragma unroll
            for (int i = 0; i < TM; ++i) a[i] = Xs[kk][ty * TM + i];
            #pragma unroll
            for (int j = 0; j < TN; ++j) b[j] = Ws[kk][tx * TN + j];
            #pragma unroll
            for (int i = 0; i < TM; ++i)
                #pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

    #pragma unroll
    for (int i = 0; i < TM; ++i) {
        int gr = row0 + ty * TM + i;
        if (gr >= M) continue;
        #pragma unroll
        for (int j = 0; j < TN; ++j) {
            int gc = col0 + tx * TN + j;
            if (gc < N) {
                float h = acc[i][j] + bias[gc];
                Y[(long long)gr * N + gc] = 0.5f * h * (1.0f + erff(h * 0.70710678118654752440f));
            }
        }
    }
}

torch::Tensor linear_gelu_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "inputs must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "inputs must be float32");
    TORCH_CHECK(weight.dim() == 2 && bias.dim() == 1 && bias.size(0) == weight.size(0), "bad weight/bias shapes");
    TORCH_CHECK(x.size(-1) == weight.size(1), "x's last dim must equal in_features");
    const int K = (int)weight.size(1), N = (int)weight.size(0);
    auto x2 = x.contiguous().view({-1, K});
    auto w = weight.contiguous();
    auto b = bias.contiguous();
    const int M = (int)x2.size(0);
    auto out_sizes = x.sizes().vec();
    out_sizes.back() = N;
    auto y = torch::empty(out_sizes, x.options());
    if (M == 0 || N == 0) return y;
    dim3 block(NTHREADS);
    dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
    linear_gelu_kernel<<<grid, block>>>(x2.data_ptr<float>(), w.data_ptr<float>(), b.data_ptr<float>(),
                                        y.data_ptr<float>(), M, N, K);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

_ext = load_inline(
    name="tkb_linear_gelu_cuda",
    cpp_sources=cpp_src,
    cuda_sources=cuda_src,
    functions=["linear_gelu_cuda"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.linear_gelu_cuda(x, self.linear.weight, self.linear.bias)
