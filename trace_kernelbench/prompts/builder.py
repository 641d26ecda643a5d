"""Prompt construction: the text an LLM gets to write a `ModelNew` for a problem, per backend.

The default style is our own KernelBench-like prompt, rendered from the files in ``prompts/templates/`` (task text,
one tiny example pair per backend, the reference program, optional hardware notes, the output contract).
``style="kernelbench"`` delegates to the prompt constructor of an upstream KernelBench checkout (see `upstream`).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from trace_kernelbench.errors import UserError
from trace_kernelbench.problems.problem import Problem

BACKENDS = ("cuda", "triton", "cpp")
STYLES = ("default", "kernelbench")
BACKEND_DISPLAY = {"cuda": "CUDA", "triton": "Triton", "cpp": "C++"}
# precision -> (torch dtype name, atol = rtol used by the correctness check; mirrors evaluation.compare)
PRECISIONS = {"fp32": ("float32", "1e-4"), "fp16": ("float16", "1e-2"), "bf16": ("bfloat16", "1e-2")}

_TEMPLATES = "trace_kernelbench.prompts"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """Text of ``prompts/templates/<name>`` (package data)."""
    path = resources.files(_TEMPLATES) / "templates" / name
    if not path.is_file():
        raise FileNotFoundError(f"prompt template missing from the package: templates/{name}")
    return path.read_text(encoding="utf-8")


def render(text: str, **values: str) -> str:
    """Replace ``{{name}}`` placeholders in one pass (substituted values are never re-scanned)."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def fenced(code: str, lang: str = "python") -> str:
    """`code` in a Markdown fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code.strip(chr(10)).rstrip()}\n{fence}"


def example_pair(backend: str) -> tuple[str, str]:
    """(reference Model source, ModelNew source) of the one-shot example for `backend`."""
    _check_backend(backend)
    return template("example_model.py"), template(f"example_new_{backend}.py")


def precision_rule(precision: str) -> str:
    dtype, tol = PRECISIONS[precision]
    if precision == "fp32":
        return (f"Outputs are compared with the reference in float32 with atol = rtol = {tol}. Keep float32 "
                f"arithmetic: do not switch to lower-precision types (fp16, bf16, TF32) to gain speed.")
    return (f"The model and its inputs are cast to {dtype}; outputs are compared with the reference with "
            f"atol = rtol = {tol}. Accumulate sums in float32.")


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise UserError(f"unknown backend '{backend}' (choose from {', '.join(BACKENDS)})")


def build_prompt(problem: Problem | str, backend: str = "cuda", gpu: str | None = None, style: str = "default",
                 precision: str = "fp32", *, kernelbench_dir: str | Path | None = None) -> str:
    """The prompt asking for a `ModelNew` of `problem` (a Problem or its source text) written for `backend`.

    gpu: None, or a GPU name from `hardware` (H100, H200, A100, L40S, B200) to add hardware notes.
    style: "default" (ours) or "kernelbench" (upstream's constructor, from `kernelbench_dir` or the default checkout).
    """
    source = problem.source if isinstance(problem, Problem) else str(problem)
    _check_backend(backend)
    if style not in STYLES:
        raise UserError(f"unknown prompt style '{style}' (choose from {', '.join(STYLES)})")
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision '{precision}' (choose from {', '.join(PRECISIONS)})")
    if style == "kernelbench":
        from trace_kernelbench.prompts.upstream import build_upstream_prompt
        return build_upstream_prompt(source, backend, gpu=gpu, precision=precision, root=kernelbench_dir)

    hardware_section = ""
    if gpu is not None:
        if backend == "cpp":
            raise UserError("--gpu does not apply to the cpp backend: its kernels run on the CPU")
        from trace_kernelbench.prompts.hardware import render_notes
        hardware_section = render(template("hardware.md"), notes=render_notes(gpu))
    example_model, example_new = example_pair(backend)
    text = render(
        template("prompt.md"),
        backend_display=BACKEND_DISPLAY[backend],
        backend_notes=template(f"backend_{backend}.md").strip(),
        example_model=fenced(example_model),
        example_new=fenced(example_new),
        reference=fenced(source),
        hardware_section=hardware_section,
        precision_rule=precision_rule(precision),
    )
    return text.strip() + "\n"
