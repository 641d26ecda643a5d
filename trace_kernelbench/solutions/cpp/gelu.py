"""C++ (CPU) solution for gelu: exact erf GELU 0.5 * x * (1 + erf(x / sqrt(2))) in a plain loop."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor gelu_forward(torch::Tensor x) {
    TORCH_CHECK(x.device().is_cpu(), "x must be a CPU tensor");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "x must be float32");
    x = x.contiguous();
    auto y = torch::empty_like(x);
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) {
        float v = xp[i];
        yp[i] = 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752440f));
    }
    return y;
}
"""

_ext = load_inline(
    name="tkb_gelu_cpp",
    cpp_sources=cpp_source,
    functions=["gelu_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.gelu_forward(x)
