"""C++ (CPU) solution for sum_dim: torch.sum(x, dim, keepdim=True). The input is viewed as (outer, R, inner);
for each outer index the R slices of length inner are added into the output row (cache-friendly order)."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <vector>

torch::Tensor sum_dim_forward(torch::Tensor x, int64_t dim) {
    TORCH_CHECK(x.device().is_cpu(), "x must be a CPU tensor");
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "x must be float32");
    TORCH_CHECK(x.dim() >= 1, "x must have at least one dimension");
    int64_t nd = x.dim();
    if (dim < 0) dim += nd;
    TORCH_CHECK(dim >= 0 && dim < nd, "dim out of range");
    x = x.contiguous();
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < dim; ++i) outer *= x.size(i);
    for (int64_t i = dim + 1; i < nd; ++i) inner *= x.size(i);
    int64_t r_len = x.size(dim);
    std::vector<int64_t> out_sizes;
    for (int64_t i = 0; i < nd; ++i) out_sizes.push_back(i == dim ? 1 : x.size(i));   // keepdim=True
    auto y = torch::empty(out_sizes, x.options());
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    for (int64_t b = 0; b < outer; ++b) {
        float* yb = yp + b * inner;
        for (int64_t k = 0; k < inner; ++k) yb[k] = 0.0f;
        for (int64_t r = 0; r < r_len; ++r) {
            const float* xs = xp + (b * r_len + r) * inner;
            for (int64_t k = 0; k < inner; ++k) yb[k] += xs[k];
        }
    }
    return y;
}
"""

_ext = load_inline(
    name="tkb_sum_dim_cpp",
    cpp_sources=cpp_source,
    functions=["sum_dim_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ext.sum_dim_forward(x, self.dim)
