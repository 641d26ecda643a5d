"""CUDA solution for gemm_scale_residual: tiled shared-memory GEMM h = x @ W^T + b (64x64 block tile, 4x4 outputs per
thread, fp32 accumulation) with y = h * scale + x fused into the epilogue."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor gemm_scale_residual_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double scale);"

cuda_src = r"""
#include <torch/extension.h>

#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4
#define NTHREADS 256

// Y (M,N) = (X (M,K) @ W (N,K)^T + bias (N)) * scale + X; requires N == K (square layer).
__global__ void gemm_scale_residual_kernel(const float* __restrict__ X, const float* __restrict__ W,
                                           const float* __restrict__ bias, float* __restrict__ Y,
                                           int M, int N, int K, float scale) {
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
                Y[(long long)gr * N + gc] = h * scale + X[(long long)gr * K + gc];
            }
        }
    }
}

torch::Tensor gemm_scale_residual_cuda(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double scale) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "inputs must be CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "inputs must be float32");
    TORCH_CHECK(weight.dim() == 2 && weight.size(0) == weight.size(1), "weight must be square");
    TORCH_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), "bad bias shape");
    TORCH_CHECK(x.size(-1) == weight.size(1), "x's last dim must equal the layer width");
    const int K = (int)weight.size(1), N = (int)weight.size(0);
    auto x2 = x.contiguous().view({-1, K});
    auto w = weight.contiguous();
    auto b = bias.contiguous();
    const int M = (int)x2.size(0);
    auto y = torch::empty(x.sizes(), x.options());
    if (M == 0 || N == 0) return y;
    dim3 block(NTHREADS);
    dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
    gemm_scale_residual_kernel<<<grid, block>>>(x2.data_ptr<float>(), w.data_ptr<float>(), b.data_ptr<float>(),
                                                y.data_ptr<float>(), M, N, K, (float)scale);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
    return y;
}
"""

_ext = load_inline(
    name="tkb_gemm_scale_residual_cuda",
    cpp_sources=cpp_src,
    cuda_sources=cuda_src,
    functions=["gemm_scale_residual_cuda"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.gemm_scale_residual_cuda(x, self.linear.weight, self.linear.bias, float(self.scale))
