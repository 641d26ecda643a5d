# Honest (CUDA): the batch is split across two streams from the pool, each half launched on its own stream, and the
# current stream waits on both (events) before forward returns.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_src = "torch::Tensor relu_two_streams(torch::Tensor x);"
cuda_src = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAStream.h>

__global__ void relu_kernel(const float* __restrict__ x, float* __restrict__ y, long n) {
    long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (i < n) y[i] = fmaxf(x[i], 0.0f);
}

torch::Tensor relu_two_streams(torch::Tensor x) {
    x = x.contiguous();
    auto y = torch::empty_like(x);
    const long n = x.numel(), half = n / 2;
    auto current = at::cuda::getCurrentCUDAStream();
    at::cuda::CUDAStream streams[2] = {at::cuda::getStreamFromPool(), at::cuda::getStreamFromPool()};
    cudaEvent_t ready, done[2];
    cudaEventCreateWithFlags(&ready, cudaEventDisableTiming);
    cudaEventRecord(ready, current.stream());
    const long starts[2] = {0, half}, counts[2] = {half, n - half};
    for (int s = 0; s < 2; ++s) {
        cudaStreamWaitEvent(streams[s].stream(), ready, 0);     // inputs are ready on the caller's stream
        if (counts[s] > 0)
            relu_kernel<<<(counts[s] + 255) / 256, 256, 0, streams[s].stream()>>>(
                x.data_ptr<float>() + starts[s], y.data_ptr<float>() + starts[s], counts[s]);
        cudaEventCreateWithFlags(&done[s], cudaEventDisableTiming);
        cudaEventRecord(done[s], streams[s].stream());
        cudaStreamWaitEvent(current.stream(), done[s], 0);      // join back before returning
    }
    cudaEventDestroy(ready);
    cudaEventDestroy(done[0]);
    cudaEventDestroy(done[1]);
    return y;
}
"""

_ext = load_inline(name="honest_cuda_two_streams", cpp_sources=cpp_src, cuda_sources=cuda_src,
                   functions=["relu_two_streams"])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_two_streams(x)
