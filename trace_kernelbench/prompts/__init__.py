"""Prompts for LLM kernel writers, and getting the code back out of their replies.

Public API: :func:`build_prompt` (our prompt, or upstream KernelBench's with ``style="kernelbench"``),
:func:`extract_code` with its errors, and the GPU facts in :mod:`trace_kernelbench.prompts.hardware`.
Importing this package needs only the standard library.
"""
from trace_kernelbench.prompts.builder import BACKENDS, STYLES, build_prompt
from trace_kernelbench.prompts.extract import ExtractionError, NoCodeError, NoModelNewError, extract_code

__all__ = ["BACKENDS", "STYLES", "build_prompt", "extract_code", "ExtractionError", "NoCodeError", "NoModelNewError"]
