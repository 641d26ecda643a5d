"""Prompt contents per backend, hardware notes, the one-shot examples themselves, and code extraction from replies."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import time

import pytest

from trace_kernelbench.errors import UserError
from trace_kernelbench.problems import resolve_problem
from trace_kernelbench.prompts import (BACKENDS, ExtractionError, NoCodeError, NoModelNewError, build_prompt,
                                       extract_code)
from trace_kernelbench.prompts import hardware
from trace_kernelbench.prompts.builder import PRECISIONS, example_pair, fenced
from trace_kernelbench.prompts.extract import defines_model_new, fenced_blocks

# What only the example of each backend contains.
BACKEND_MARKERS = {
    "cuda": ["cuda_sources=add_cuda_source", "__global__ void add_kernel", "## Backend: CUDA"],
    "triton": ["@triton.jit", "tl.program_id", "## Backend: Triton"],
    "cpp": ["cpp_sources=add_cpp_source", "for (int64_t i = 0; i < n; ++i)", "## Backend: C++ (CPU)"],
}


@pytest.fixture(scope="module")
def relu():
    return resolve_problem("embedded/relu")


# ---------------------------------------------------------------- prompt contents
@pytest.mark.parametrize("backend", BACKENDS)
def test_prompt_contents(backend, relu):
    text = build_prompt(relu, backend=backend)
    assert f"```python\n{relu.source.strip()}\n```" in text  # the reference, verbatim, fenced
    assert "class ModelNew(nn.Module)" in text
    assert "exactly one fenced ```python code block" in text
    assert "no testing code" in text
    assert "same arguments as `Model.__init__`" in text and "same arguments as `Model.forward`" in text
    for marker in BACKEND_MARKERS[backend]:
        assert marker in text
    for other, markers in BACKEND_MARKERS.items():
        if other != backend:
            assert not any(m in text for m in markers), other
    assert "{{" not in text and "}}" not in text.replace("}}}", "")  # every placeholder filled
    assert "Target hardware" not in text
    assert "atol = rtol = 1e-4" in text
    # the guard's rules are stated up front, so an optimizer is not rejected blind
    assert "launch your own kernel on every call" in text and "cache results across calls" in text


def test_prompt_order(relu):
    text = build_prompt(relu)
    i_task, i_example, i_ref, i_out = (text.index(h) for h in
                                       ("## Task", "## Example", "## The program to optimize", "## What to output"))
    assert i_task < i_example < i_ref < i_out
    assert text.index(relu.source.strip()) > i_ref


def test_prompt_accepts_source_text():
    src = resolve_problem("embedded/softmax").source
    assert build_prompt(src, backend="triton") == build_prompt(resolve_problem("embedded/softmax"), backend="triton")


def test_cpp_example_has_no_cuda():
    _, new = example_pair("cpp")
    assert "cuda_sources" not in new and "__global__" not in new and ".cuda()" not in new


def test_prompt_with_backticks_in_reference():
    src = resolve_problem("embedded/relu").source.replace('"""Applies', '"""Applies ``` fenced', 1)
    text = build_prompt(src)
    assert "````python\n" in text  # a longer fence, so the reference's ``` cannot close it
    blocks = fenced_blocks(text)
    assert any(b.code.strip() == src.strip() for b in blocks)


def test_precision_rules():
    from trace_kernelbench.evaluation.compare import DEFAULT_TOLERANCES
    import torch
    for precision, dtype in (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
        assert float(PRECISIONS[precision][1]) == DEFAULT_TOLERANCES[dtype][0]  # the prompt states the real tolerance
    assert "atol = rtol = 1e-2" in build_prompt("x = 1", precision="bf16")


@pytest.mark.parametrize("kwargs, message", [
    ({"backend": "rust"}, "unknown backend 'rust'"),
    ({"style": "fancy"}, "unknown prompt style 'fancy'"),
    ({"precision": "fp8"}, "unknown precision 'fp8'"),
    ({"gpu": "X100"}, "unknown GPU 'X100': known GPUs are A100, B200, H100, H200, L40S"),
    ({"backend": "cpp", "gpu": "H100"}, "--gpu does not apply to the cpp backend"),
])
def test_prompt_errors(kwargs, message, relu):
    with pytest.raises(UserError) as e:
        build_prompt(relu, **kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)


# ---------------------------------------------------------------- hardware notes
@pytest.mark.parametrize("name", ["H100", "H200", "A100", "L40S", "B200"])
def test_hardware_notes_in_prompt(name, relu):
    spec = hardware.get_gpu(name)
    text = build_prompt(relu, backend="cuda", gpu=name)
    notes = text[text.index("## Target hardware"):text.index("## What to output")]
    assert f"NVIDIA {name} " in notes
    assert f"{spec.sm_count} SMs" in notes
    assert f"compute capability {spec.compute_capability}" in notes
    assert f"{spec.memory_gb} GB" in notes and spec.memory_type in notes
    assert f"{spec.smem_per_sm_kb} KB of shared memory per SM" in notes
    assert text.index("## Target hardware") > text.index("## The program to optimize")
    assert "## Target hardware" in build_prompt(relu, backend="triton", gpu=name)


def test_hardware_table_values():
    g = hardware.get_gpu
    assert set(hardware.known_gpus()) == {"H100", "H200", "A100", "L40S", "B200"}
    assert (g("H100").architecture, g("H100").compute_capability, g("H100").sm_count) == ("Hopper", "9.0", 132)
    assert (g("H200").memory_gb, g("H200").bandwidth_tb_s) == (141, 4.8)
    assert (g("A100").compute_capability, g("A100").sm_count, g("A100").l2_mb) == ("8.0", 108, 40)
    l40s = g("L40S")
    assert (l40s.architecture, l40s.compute_capability, l40s.smem_per_sm_kb) == ("Ada Lovelace", "8.9", 100)
    assert (g("B200").architecture, g("B200").compute_capability) == ("Blackwell", "10.0")
    for s in hardware.GPUS.values():  # dense tensor-core rates: TF32 below BF16, both above the FP32 CUDA-core rate
        assert s.fp32_tflops < s.tf32_tflops < s.bf16_tflops
        assert s.smem_per_block_kb < s.smem_per_sm_kb


def test_hardware_lookup_by_device_name():
    assert hardware.get_gpu("h200").name == "H200"
    assert hardware.get_gpu("NVIDIA H100 80GB HBM3").name == "H100"
    assert hardware.get_gpu("NVIDIA A100-SXM4-80GB").name == "A100"
    with pytest.raises(UserError, match="known GPUs are A100, B200, H100, H200, L40S"):
        hardware.get_gpu("GH100X")


def test_hardware_notes_ridge_point():
    notes = hardware.render_notes("H100")
    assert "about 20 FP32 operations" in notes  # 67 TFLOPS / 3.35 TB/s
    assert "3.35 TB/s" in notes and "864 GB/s" in hardware.render_notes("L40S")


# ---------------------------------------------------------------- the one-shot examples
@pytest.mark.parametrize("backend", BACKENDS)
def test_example_sources_are_well_formed(backend):
    model, new = example_pair(backend)
    assert defines_model_new(new) == (True, True)
    calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
             for n in ast.walk(ast.parse(new)) if isinstance(n, ast.Call)}
    kwargs = {k.arg for n in ast.walk(ast.parse(new)) if isinstance(n, ast.Call) for k in n.keywords}
    if backend in ("cuda", "cpp"):
        assert "load_inline" in calls and "cpp_sources" in kwargs
        assert ("cuda_sources" in kwargs) == (backend == "cuda")
    else:
        assert "load_inline" not in calls and "@triton.jit" in new
    init_model = [n for n in ast.walk(ast.parse(model)) if isinstance(n, ast.ClassDef) and n.name == "Model"][0]
    init_new = [n for n in ast.walk(ast.parse(new)) if isinstance(n, ast.ClassDef) and n.name == "ModelNew"][0]
    sig = {c.name: ast.dump(c.args) for c in init_model.body if isinstance(c, ast.FunctionDef)}
    assert sig == {c.name: ast.dump(c.args) for c in init_new.body if isinstance(c, ast.FunctionDef)}


_RUN_EXAMPLE = textwrap.dedent('''
    import os, sys
    import torch
    from trace_kernelbench.evaluation.loading import load_module
    from trace_kernelbench.prompts.builder import example_pair
    model_src, new_src = example_pair(sys.argv[1])
    # from real files, as the evaluator loads candidates: Triton's JIT on a GPU reads kernel source from the file
    ref = load_module(model_src, "ex_ref", filename=os.path.join(sys.argv[2], "example_model.py"))
    cand = load_module(new_src, "ex_new", filename=os.path.join(sys.argv[2], "example_new.py"))
    device = "cuda" if sys.argv[1] == "cuda" or (sys.argv[1] == "triton" and torch.cuda.is_available()) else "cpu"
    m, n = ref.Model(*ref.get_init_inputs()), cand.ModelNew(*ref.get_init_inputs())
    for seed in range(3):
        torch.manual_seed(seed)
        xs = [x.to(device) for x in ref.get_inputs()]
        assert torch.equal(m(*xs), n(*xs))
    a, b = torch.randn(37, 3, device=device).t(), torch.randn(3, 37, device=device)  # odd size, non-contiguous
    assert torch.equal(n(a, b), a + b)
    print("EXAMPLE OK")
''')


def _run_example(backend, tmp_path):
    import torch
    env = dict(os.environ, TORCH_EXTENSIONS_DIR=str(tmp_path / "ext"))
    if backend == "triton" and not torch.cuda.is_available():
        env["TRITON_INTERPRET"] = "1"  # Triton's interpreter runs the kernel on CPU tensors
    r = subprocess.run([sys.executable, "-c", _RUN_EXAMPLE, backend, str(tmp_path)], capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0 and "EXAMPLE OK" in r.stdout, r.stderr[-3000:]


def test_triton_example_runs(tmp_path):
    _run_example("triton", tmp_path)


@pytest.mark.slow
def test_cpp_example_builds_and_runs(tmp_path):
    _run_example("cpp", tmp_path)


@pytest.mark.gpu
@pytest.mark.nvcc
def test_cuda_example_builds_and_runs(tmp_path):
    _run_example("cuda", tmp_path)


# ---------------------------------------------------------------- extraction
MODEL_NEW = textwrap.dedent('''\
    import torch
    import torch.nn as nn


    class ModelNew(nn.Module):
        def forward(self, x):
            return torch.relu(x)
    ''')

MODEL_NEW_V2 = MODEL_NEW.replace("torch.relu(x)", "x.clamp_min(0)")


def test_extract_single_block_with_prose():
    reply = f"Sure! Here is a faster version.\n\n```python\n{MODEL_NEW}```\n\nIt fuses nothing, but it is fast."
    assert extract_code(reply) == MODEL_NEW


def test_extract_picks_the_block_defining_model_new():
    reply = (f"First the kernel:\n```cpp\n__global__ void k() {{}}\n```\n"
             f"Then the module:\n```python\n{MODEL_NEW}```\n"
             f"Usage:\n```python\nm = ModelNew()\nprint(m(torch.randn(4)))\n```\n")
    assert extract_code(reply) == MODEL_NEW


def test_extract_prefers_the_last_of_several_answers():
    reply = f"Draft:\n```python\n{MODEL_NEW}```\nBetter:\n```python\n{MODEL_NEW_V2}```\n"
    assert extract_code(reply) == MODEL_NEW_V2


def test_extract_prefers_python_tag_over_untagged():
    reply = f"```python\n{MODEL_NEW}```\nOr, untagged:\n```\n{MODEL_NEW_V2}```\n"
    assert extract_code(reply) == MODEL_NEW


def test_extract_untagged_block():
    assert extract_code(f"Answer:\n```\n{MODEL_NEW}```") == MODEL_NEW


def test_extract_prefers_code_that_parses():
    broken = MODEL_NEW_V2.replace("def forward(self, x):", "def forward(self, x)")
    reply = f"```python\n{MODEL_NEW}```\nAlso:\n```python\n{broken}```\n"
    assert extract_code(reply) == MODEL_NEW
    assert extract_code(f"```python\n{broken}```") == broken  # still returned: the evaluator reports the error


@pytest.mark.parametrize("tag", ["py", "python3", "Python", "python title=model_new.py", "model_new.py"])
def test_extract_tag_variants(tag):
    reply = f"```{tag}\n{MODEL_NEW}```\n```\n{MODEL_NEW_V2}```"
    assert extract_code(reply) == MODEL_NEW


def test_extract_unterminated_fence():
    assert extract_code(f"Here you go:\n```python\n{MODEL_NEW}") == MODEL_NEW
    # a closed answer beats a truncated one
    assert extract_code(f"```python\n{MODEL_NEW}```\n```python\n{MODEL_NEW_V2}") == MODEL_NEW


def test_extract_crlf():
    reply = f"Code:\r\n```python\r\n{MODEL_NEW}```\r\n".replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    assert extract_code(reply) == MODEL_NEW


def test_extract_tilde_fence_and_indented_fence():
    assert extract_code(f"~~~python\n{MODEL_NEW}~~~\n") == MODEL_NEW
    indented = textwrap.indent(f"```python\n{MODEL_NEW}```", "   ")
    assert extract_code(f"1. The code:\n{indented}\n") == MODEL_NEW


def test_extract_raw_code_without_fence():
    assert extract_code(MODEL_NEW) == MODEL_NEW
    assert extract_code("Here is the code:\n" + MODEL_NEW) == MODEL_NEW


def test_extract_after_think():
    reply = f"<think>Maybe:\n```python\n{MODEL_NEW_V2}```\nno wait</think>\nFinal:\n```python\n{MODEL_NEW}```"
    assert extract_code(reply) == MODEL_NEW
    assert extract_code(f"<think>\n```python\n{MODEL_NEW}```\n</think>\nDone.") == MODEL_NEW  # only inside think


@pytest.mark.parametrize("reply", ["", "I cannot help with that.", "Sorry", "The answer is to use shared memory.",
                                   "```python\n```"])
def test_extract_no_code(reply):
    with pytest.raises(NoCodeError, match="^the reply contains no code block$"):
        extract_code(reply)


@pytest.mark.parametrize("reply", [
    "```python\nimport torch\n\nclass Model(torch.nn.Module):\n    pass\n```",
    "```cpp\n__global__ void k() {}\n```",
    "import torch\nx = torch.zeros(3)\n",
    "Here:\nimport torch\nclass Faster:\n    pass\n",
])
def test_extract_code_without_model_new(reply):
    with pytest.raises(NoModelNewError, match="^the code defines no class ModelNew$"):
        extract_code(reply)


def test_extraction_errors_are_user_errors_and_distinct():
    assert issubclass(NoCodeError, ExtractionError) and issubclass(NoModelNewError, ExtractionError)
    assert issubclass(ExtractionError, UserError)
    assert not issubclass(NoCodeError, NoModelNewError) and not issubclass(NoModelNewError, NoCodeError)


def test_extract_model_new_by_assignment_and_the_prompt_roundtrip():
    code = "import torch.nn as nn\nclass _Impl(nn.Module):\n    pass\nModelNew = _Impl\n"
    assert extract_code(f"```python\n{code}```") == code
    assert extract_code(fenced(MODEL_NEW)) == MODEL_NEW


def test_extract_is_fast_on_large_replies():
    filler = "Some explanation of the kernel design. " * 200 + "\n"
    reply = "".join(f"{filler}```python\nx_{i} = {i}\n```\n" for i in range(300)) + f"```python\n{MODEL_NEW}```"
    t = time.perf_counter()
    assert extract_code(reply) == MODEL_NEW
    assert time.perf_counter() - t < 1.0
