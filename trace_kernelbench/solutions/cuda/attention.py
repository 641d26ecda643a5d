"""CUDA solution for attention: fused scaled-dot-product attention with online softmax (fp32).

One warp per query row, 8 query rows per block; the block stages 32-key tiles of K and V in shared memory.
Within a tile, lane j computes the score of key j (full dot product over head_dim), the warp updates the running
max / sum (online softmax), then each lane accumulates the output dims d = lane, lane+32, ... in registers.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor attention_cuda(torch::Tensor q, torch::Tensor k, torch::Tensor v);"

cuda_src = r"""
#include <torch/extension.h>
#include <math.h>

#define TK 32          // keys per shared-memory tile (one per lane)
#define WARPS 8        // query rows per block
#define MAXC 8         // output dims per lane: head_dim <= 32 * MAXC = 256

// q (BH, Sq, D), k (BH, Sk, D), v (BH, Sk, D), o (BH, Sq, D); all contiguous.
__global__ void attention_kernel(const float* __restrict__ q, const float* __restrict__ k,
                                 const float* __restrict__ v, float* __restrict__ o,
                                 int Sq, int Sk, int D, float scale) {
    extern __shared__ float smem[];
    float* Ks = smem;                     // TK rows of D+1 (padded against bank conflicts)
    float* Vs = Ks + TK * (D + 1);        // TK rows of D
    float* Qs = Vs + TK * D;              // WARPS rows of D

    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const long long bh = blockIdx.y;
    const int qi = blockIdx.x * WARPS + warp;
    const bool active = qi < Sq;          // uniform within a warp

    const float* kb = k + bh * Sk * (long long)D;
    const float* vb = v + bh * Sk * (long long)D;
    float* myq = Qs + warp * D;
    if (active) {
        const float* qr = q + (bh * Sq + qi) * (long long)D;
        for (int d = lane; d < D; d += 32) myq[d] = qr[d];
    }

    float acc[MAXC];
    #pragma unroll
    for (int i = 0; i < MAXC; ++i) acc[i] = 0.0f;
    float m_run = -INFINITY;   // running max of scores
    float l_run = 0.0f;        // running sum of exp(score - m_run)

    for (int kt = 0; kt < Sk; kt += TK) {
        __syncthreads();   // previous tile no longer in use (and myq visible on the first pass)
        for (int idx = threadIdx.x; idx < TK * D; idx += blockDim.x) {
            int j = idx / D, d = idx % D;
            int kj = kt + j;
            float kv = 0.0f, vv = 0.0f;
            if (kj < Sk) {
                kv = kb[(long long)kj * D + d];
                vv = vb[(long long)kj * D + d];
            }
            Ks[j * (D + 1) + d] = kv;
            Vs[j * D + d] = vv;
        }
        __syncthreads();

        if (active) {
            const int kj = kt + lane;
            float s = -INFINITY;
            if (kj < Sk) {
                const float* kr = Ks + lane * (D + 1);
                float dot = 0.0f;
                for (int d = 0; d < D; ++d) dot = fmaf(myq[d], kr[d], dot);
                s = dot * scale;
            }
            float tmax = s;
            #pragma unroll
            for (int off = 16; off > 0; off >>= 1) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, off));
            // the tile holds at least one valid key, so tmax (and m_new) is finite
            const float m_new = fmaxf(m_run, tmax);
            const float corr = expf(m_run - m_new);      // 0 on the first tile (m_run = -inf)
            const float p = expf(s - m_new);             // 0 for padded keys (s = -inf)
            float psum = p;
            #pragma unroll
            for (int off = 16; off > 0; off >>= 1) psum += __shfl_xor_sync(0xffffffffu, psum, off);
            l_run = l_run * corr + psum;
            #pragma unroll
            for (int i = 0; i < MAXC; ++i) acc[i] *= corr;
            const int jmax = min(TK, Sk - kt);
            for (int j = 0; j < jmax; ++j) {
                const float pj = __shfl_sync(0xffffffffu, p, j);
                const float* vr = Vs + j * D;
                #pragma unroll
                for (int i = 0; i < MAXC; ++i) {
                    int d = lane + 32 * i;
                    if (d < D) acc[i] = fmaf(pj, vr[d], acc[i]);
                }
            }
            m_run = m_new;
        }
    }

    if (active) {
        float* orow = o + (bh * Sq + qi) * (long long)D;
        const float inv = 1.0f / l_run;
        #pragma unroll
        for (int i = 0; i < MAXC; ++i) {
            int d = lane + 32 * i;
            if (d < D) orow[d] = acc[i] * inv;
        }
    }
}

torch::Tensor attention_cuda(torch::Tensor q, torch::Tensor k, torch::Tensor v) {
    TORCH_CHECK(q.is_cuda() && k.is_cuda() && v.is_cuda(), "inputs must be CUDA tensors");
    TORCH_CHECK(q.scalar_type() == torch::kFloat32 && k.scalar_type() == torch::kFloat32 &&
                v.scalar_type() == torch::kFloat32, "inputs must be float32");
    TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "expected (batch, heads, seq, head_dim) inputs");
    TORCH_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0) && k.size(1) == q.size(1) && v.size(1) == q.size(1),
                "batch and head dims must match");
    TORCH_CHECK(k.size(3) == q.size(3) && v.size(3) == q.size(3), "head_dim must match");
    TORCH_CHECK(v.size(2) == k.size(2), "k and v must have the same sequence length");
    q = q.contiguous();
    k = k.contiguous();
    v = v.contiguous();
    const int B = (int)q.size(0), H = (int)q.size(1), Sq = (int)q.size(2), D = (int)q.size(3);
    const int Sk = (int)k.size(2);
    TORCH_CHECK(D <= 32 * MAXC, "head_dim must be <= 256");
    TORCH_CHECK(Sk > 0, "need at least one key");
    const int BH = B * H;
    TORCH_CHECK(BH <= 65535, "batch * heads must be <= 65535");
    auto o = torch::empty({B, H, Sq, D}, q.options());
    if (BH == 0 || Sq == 0 || D == 0) return o;

    const float scale = 1.0f / sqrtf((float)D);
    const size_t smem = (size_t)(TK * (D + 1) + TK * D + WARPS * D) * sizeof(float);
    if (smem > 48 * 1024) {
        cudaFuncSetAttribute(attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    }
    dim3 block(WARPS * 32);
    dim3 grid((Sq + WARPS - 1) / WARPS, BH);
    attention_kernel<<<grid, block, smem>>>(q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                                            o.data_ptr<float>(), Sq, Sk, D, scale);
    cudaError_t err = cudaGetLastError();
    TORCH_CHECK(err == cudaSuccess, "kernel launch failed: ", cudaGetErrorString(err));
    return o;
}
"""

_ext = load_inline(
    name="tkb_attention_cuda",
    cpp_sources=cpp_src,
    cuda_sources=cuda_src,
    functions=["attention_cuda"],
    verbose=False,
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return _ext.attention_cuda(q, k, v)
