import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

add_cpp_source = r"""
#include <torch/extension.h>

torch::Tensor add_forward(torch::Tensor a, torch::Tensor b) {
    TORCH_CHECK(a.device().is_cpu() && b.device().is_cpu(), "add_forward: inputs must be CPU tensors");
    TORCH_CHECK(a.sizes() == b.sizes(), "add_forward: inputs must have the same shape");
    TORCH_CHECK(a.scalar_type() == torch::kFloat32 && b.scalar_type() == torch::kFloat32,
                "add_forward: inputs must be float32");
    auto a_c = a.contiguous();
    auto b_c = b.contiguous();
    auto out = torch::empty_like(a_c);
    const float* pa = a_c.data_ptr<float>();
    const float* pb = b_c.data_ptr<float>();
    float* po = out.data_ptr<float>();
    const int64_t n = a_c.numel();
    for (int64_t i = 0; i < n; ++i) {
        po[i] = pa[i] + pb[i];
    }
    return out;
}
"""

add_extension = load_inline(
    name="prompt_example_add_cpp",
    cpp_sources=add_cpp_source,
    functions=["add_forward"],
    extra_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    """Adds two tensors with a custom C++ kernel on the CPU."""

    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return add_extension.add_forward(a, b)
