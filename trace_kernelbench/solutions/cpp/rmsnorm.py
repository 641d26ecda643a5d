"""C++ (CPU) solution for rmsnorm: rows in parallel (OpenMP), mean of squares per row in double, then x / rms * weight."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor weight, double eps) {
    TORCH_CHECK(x.device().is_cpu() && weight.device().is_cpu(), "tensors must be on CPU");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32,
                "tensors must be float32");
    TORCH_CHECK(x.dim() >= 1, "x must have at least one dimension");
    x = x.contiguous();
    weight = weight.contiguous();
    auto y = torch::empty_like(x);
    const int64_t cols = x.size(-1);
    TORCH_CHECK(weight.numel() == cols, "weight size must equal the last dim of x");
    if (x.numel() == 0) return y;
    const int64_t rows = x.numel() / cols;
    const float* xp = x.data_ptr<float>();
    const float* wp = weight.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = xp + r * cols;
        float* yr = yp + r * cols;
        double s = 0.0;
        for (int64_t j = 0; j < cols; ++j) s += (double)xr[j] * (double)xr[j];
        const float rms = (float)std::sqrt(s / (double)cols + eps);
        for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] / rms * wp[j];
    }
    return y;
}
"""

_ext = load_inline(
    name="tkb_rmsnorm_cpp",
    cpp_sources=cpp_source,
    functions=["rmsnorm_forward"],
    verbose=False,
    extra_cflags=["-O3", "-fopenmp"],
    extra_ldflags=["-fopenmp"],
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.rmsnorm_forward(x, self.weight, self.eps)
