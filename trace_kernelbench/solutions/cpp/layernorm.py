"""C++ (CPU) solution for layernorm: rows in parallel (OpenMP), two-pass mean/variance per row in double, then normalise + affine."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor layernorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.device().is_cpu() && weight.device().is_cpu() && bias.device().is_cpu(), "tensors must be on CPU");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "tensors must be float32");
    x = x.contiguous();
    weight = weight.contiguous();
    bias = bias.contiguous();
    auto y = torch::empty_like(x);
    const int64_t cols = weight.numel();   // product of normalized_shape
    TORCH_CHECK(cols > 0 && bias.numel() == cols, "bad weight/bias size");
    TORCH_CHECK(x.numel() % cols == 0, "x does not end with normalized_shape");
    const int64_t rows = x.numel() / cols;
    const float* xp = x.data_ptr<float>();
    const float* wp = weight.data_ptr<float>();
    const float* bp = bias.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = xp + r * cols;
        float* yr = yp + r * cols;
        double s = 0.0;
        for (int64_t j = 0; j < cols; ++j) s += xr[j];
        const double mean = s / (double)cols;
        double v = 0.0;
        for (int64_t j = 0; j < cols; ++j) {
            const double d = (double)xr[j] - mean;
            v += d * d;
        }
        const double var = v / (double)cols;
        const float rstd = (float)(1.0 / std::sqrt(var + eps));
        const float meanf = (float)mean;
        for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - meanf) * rstd * wp[j] + bp[j];
    }
    return y;
}
"""

_ext = load_inline(
    name="tkb_layernorm_cpp",
    cpp_sources=cpp_source,
    functions=["layernorm_forward"],
    verbose=False,
    extra_cflags=["-O3", "-fopenmp"],
    extra_ldflags=["-fopenmp"],
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.ln = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.ln.weight.copy_(torch.randn(hidden) * 0.5 + 1.0)
            self.ln.bias.copy_(torch.randn(hidden) * 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.layernorm_forward(x, self.ln.weight, self.ln.bias, self.ln.eps)
