"""Builders for tiny synthetic KernelBench checkouts (both layouts) and Hugging Face datasets, used by the problem,
prompt and CLI tests. Everything here is written for the tests; nothing comes from upstream."""
from __future__ import annotations

import textwrap
from pathlib import Path

RELU = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    batch_size = 8
    dim = 32


    class Model(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return torch.relu(x)


    def get_inputs():
        return [torch.randn(batch_size, dim)]


    def get_init_inputs():
        return []
    ''')

SQUARE_MATMUL = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    n = 16


    class Model(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, a, b):
            return a @ b


    def get_inputs():
        return [torch.randn(n, n), torch.randn(n, n)]


    def get_init_inputs():
        return []
    ''')

SCALED_LINEAR = textwrap.dedent('''\
    import torch
    import torch.nn as nn

    batch_size, in_features, out_features = 4, 8, 6


    class Model(nn.Module):
        def __init__(self, in_features, out_features, scale):
            super().__init__()
            self.linear = nn.Linear(in_features, out_features)
            self.scale = scale

        def forward(self, x):
            return torch.relu(self.linear(x)) * self.scale


    def get_inputs():
        return [torch.randn(batch_size, in_features)]


    def get_init_inputs():
        return [in_features, out_features, 0.5]
    ''')

PROBLEMS = {1: {19: ("19_ReLU.py", RELU), 1: ("1_Square_matrix_multiplication_.py", SQUARE_MATMUL)},
            2: {12: ("12_Gemm_Relu_Scale.py", SCALED_LINEAR)}}

# 2026 layout: package `kernelbench` under src/, absolute imports inside the package, chatter on stdout at import.
CONSTRUCTOR_2026 = textwrap.dedent('''\
    from kernelbench.utils import marker

    print("fake upstream: loading prompt templates")


    def get_prompt_for_backend(ref_arch_src, backend="triton", option="one_shot", precision=None,
                               include_hardware=False, gpu_name=None, vendor="nvidia"):
        if backend not in ("cuda", "triton"):
            raise KeyError(f"Unknown backend: {backend}")
        if include_hardware and gpu_name not in ("L40S", "H100"):
            raise KeyError(f"GPU name {gpu_name} not found in GPU_SPEC_INFO")
        return (f"{marker()} backend={backend} option={option} precision={precision} "
                f"hardware={include_hardware} gpu={gpu_name}\\n=== reference ===\\n{ref_arch_src}")
    ''')

# Older layout: package `src` with relative imports, one function per prompt variant.
CONSTRUCTOR_OLD = textwrap.dedent('''\
    from .utils import marker


    def prompt_generate_custom_cuda_from_prompt_template(ref_arch_src):
        return f"{marker()} cuda\\n=== reference ===\\n{ref_arch_src}"


    def prompt_generate_prompt_with_hardware_info_from_template(ref_arch_src, gpu_name):
        return f"{marker()} cuda hardware gpu={gpu_name}\\n=== reference ===\\n{ref_arch_src}"
    ''')


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_problems(root: Path, problems: dict | None = None) -> None:
    for level, items in (problems or PROBLEMS).items():
        for _pid, (fname, src) in items.items():
            write(root / "KernelBench" / f"level{level}" / fname, src)


def make_checkout_2026(root: Path, marker: str = "FAKE-KB-2026", constructor: str = CONSTRUCTOR_2026) -> Path:
    make_problems(root)
    write(root / "src" / "kernelbench" / "__init__.py", "")
    write(root / "src" / "kernelbench" / "utils.py", f"def marker():\n    return {marker!r}\n")
    write(root / "src" / "kernelbench" / "prompt_constructor_toml.py", constructor)
    return root


def make_checkout_old(root: Path, marker: str = "FAKE-KB-OLD") -> Path:
    make_problems(root)
    write(root / "src" / "__init__.py", "")
    write(root / "src" / "utils.py", f"def marker():\n    return {marker!r}\n")
    write(root / "src" / "prompt_constructor.py", CONSTRUCTOR_OLD)
    return root


def make_hf_dataset(path: Path, rows_by_level: dict | None = None) -> Path:
    """A DatasetDict saved with save_to_disk: splits level_<N>, columns code, level, name, problem_id."""
    import datasets

    rows_by_level = rows_by_level or {
        lv: [{"code": src, "level": lv, "name": fname, "problem_id": pid} for pid, (fname, src) in items.items()]
        for lv, items in PROBLEMS.items()}
    dd = datasets.DatasetDict({
        f"level_{lv}": datasets.Dataset.from_list(rows) for lv, rows in rows_by_level.items()})
    dd.save_to_disk(str(path))
    return path
