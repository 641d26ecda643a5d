"""Which torch names compute and which only allocate, view, copy or query. Standard library only.

Used by the static analysis (Python `torch.*`, `F.*`, tensor methods, `nn.*` modules) and by the native analysis
(`torch::`/`at::` calls and tensor methods in C++).
"""
from __future__ import annotations

# torch.* / at:: / Tensor.* names that do no arithmetic on tensor values
TORCH_NONCOMPUTE = frozenset("""
empty empty_like empty_strided zeros zeros_like ones ones_like full full_like arange linspace logspace eye tensor
as_tensor as_strided from_numpy from_blob frombuffer asarray scalar_tensor new_empty new_empty_strided new_zeros
new_ones new_full new_tensor
contiguous view view_as reshape reshape_as permute transpose t mT mH T H adjoint unsqueeze squeeze expand expand_as
flatten unflatten narrow select split split_with_sizes chunk unbind movedim moveaxis swapaxes swapdims diagonal
unfold squeeze_ unsqueeze_ transpose_ t_ resize_ resize_as_ detach detach_ requires_grad_ retain_grad
clone copy_ to cuda cpu type type_as float double pin_memory share_memory_ coalesce
fill_ zero_ fill_diagonal_ cat concat concatenate stack hstack vstack dstack column_stack row_stack pad
size dim ndim ndimension numel nelement stride storage_offset data_ptr is_contiguous element_size itemsize
is_floating_point is_complex is_signed is_cuda is_cpu is_sparse is_leaf item tolist numpy untyped_storage
get_device shape dtype device layout options data_ptr const_data_ptr mutable_data_ptr scalar_type sizes strides
is_tensor is_storage get_default_dtype get_default_device result_type promote_types can_cast finfo iinfo
broadcast_shapes broadcast_tensors broadcast_to Size Tensor Generator device dtype layout no_grad enable_grad
inference_mode set_grad_enabled is_grad_enabled is_inference_mode_enabled
synchronize current_stream default_stream Stream Event stream record_stream wait_stream record wait query
current_device get_device_properties get_device_capability get_device_name is_available device_count set_device
empty_cache memory_allocated max_memory_allocated jit compile_fn defined
TensorOptions TORCH_CHECK AT_ASSERT
""".split())

# Tensor method names that compute (an attribute call on an unknown object counts as a torch op only if its name is
# here: `list.append` or `dict.get` must not count)
TENSOR_COMPUTE_METHODS = frozenset("""
matmul mm bmm addmm addmm_ baddbmm addbmm addmv mv dot vdot inner outer ger einsum tensordot kron cross
sum nansum mean nanmean prod max min amax amin aminmax argmax argmin all any logsumexp cumsum cumprod cummax cummin
softmax log_softmax exp exp_ exp2 expm1 log log_ log2 log10 log1p sqrt sqrt_ rsqrt rsqrt_ relu relu_ sigmoid
sigmoid_ tanh tanh_ abs abs_ neg neg_ reciprocal reciprocal_ pow pow_ square square_ sin cos tan asin acos atan
sinh cosh erf erfc erfinv sign sgn floor ceil round trunc frac clamp clamp_ clip clip_ clamp_min clamp_max
add add_ sub sub_ mul mul_ div div_ true_divide floor_divide remainder fmod lerp addcmul addcdiv hypot atan2
maximum minimum fmax fmin where masked_fill masked_fill_ masked_scatter masked_select index_select gather scatter
scatter_ scatter_add scatter_add_ index_add index_add_ index_copy index_put index_put_ take put_
norm var std var_mean std_mean median nanmedian mode quantile sort argsort topk kthvalue unique msort
eq ne lt le gt ge equal isclose allclose isnan isinf isfinite logical_and logical_or logical_not logical_xor
bitwise_and bitwise_or bitwise_xor bitwise_not tril triu tril_ triu_ diag diag_embed trace flip roll rot90
softplus hardtanh leaky_relu gelu silu mish elu selu celu logit nan_to_num renorm dist cdist histc bincount
conv1d conv2d conv3d linear bilinear __matmul__ __rmatmul__ layer_norm group_norm batch_norm instance_norm
""".split())

# nn.Module types that only hold or route (calling them computes nothing by itself)
NN_NONCOMPUTE = frozenset("Module Sequential ModuleList ModuleDict Parameter ParameterList ParameterDict Identity "
                          "Flatten Unflatten Buffer".split())

# F.* that only move data
F_NONCOMPUTE = frozenset({"pad"})


def is_compute_name(name: str, method: bool = False) -> bool:
    """A torch.* / at:: function (method=False) or a Tensor method (method=True) that computes on values."""
    base = name.rstrip("_") if name.endswith("_") and not name.endswith("__") else name
    if method:
        return name in TENSOR_COMPUTE_METHODS or base in TENSOR_COMPUTE_METHODS
    if name in TORCH_NONCOMPUTE or base in TORCH_NONCOMPUTE:
        return False
    if name.startswith("_") or any(c.isupper() for c in name):
        return False
    return True


# dtype names by precision rank (higher is more precise)
DTYPE_RANK = {
    "float64": 4, "double": 4,
    "float32": 3, "float": 3,
    "float16": 2, "half": 2, "bfloat16": 2,
    "float8_e4m3fn": 1, "float8_e5m2": 1, "float8_e4m3fnuz": 1, "float8_e5m2fnuz": 1, "float8_e8m0fnu": 1,
}
PRECISION_RANK = {"fp32": 3, "fp16": 2, "bf16": 2}
