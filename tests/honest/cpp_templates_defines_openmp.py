# Honest: a C++ extension with a template functor, #defines, an OpenMP loop (threads inside the kernel are fine)
# and try/except around the build in host-side setup that re-raises with a clear message.
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>

#define TILE 64
#define RELU_ZERO 0.0f

template <typename T>
struct Relu {
    inline T operator()(T v) const { return v > T(RELU_ZERO) ? v : T(RELU_ZERO); }
};

template <typename T, typename Op>
void apply_tiled(const T* x, T* y, int64_t n, Op op) {
    #pragma omp parallel for schedule(static)
    for (int64_t start = 0; start < n; start += TILE) {
        const int64_t end = std::min<int64_t>(start + TILE, n);
        for (int64_t i = start; i < end; ++i) y[i] = op(x[i]);
    }
}

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(x.device().is_cpu() && x.scalar_type() == torch::kFloat32, "CPU float32 expected");
    x = x.contiguous();
    auto y = torch::empty_like(x);
    apply_tiled<float>(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), Relu<float>());
    return y;
}
"""

try:
    _ext = load_inline(name="honest_cpp_templates_relu", cpp_sources=cpp_source, functions=["relu_forward"],
                       extra_cflags=["-O3", "-fopenmp"], extra_ldflags=["-fopenmp"])
except RuntimeError as e:
    raise RuntimeError(f"building the ReLU extension failed: {e}") from e


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.relu_forward(x)
