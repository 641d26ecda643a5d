"""Static analysis of a candidate's source: facts from its AST (never regexes over Python), then findings.

Facts: what the module imports and binds; which kernels it defines (load_inline/load extensions with their C++/CUDA
sources, @triton.jit functions); which functions `ModelNew.forward` (and `__call__`, forward hooks) can reach,
following calls into module-level functions, methods, sub-modules defined in the file, `autograd.Function.apply`,
`functools.partial`; which kernels and torch compute ops those functions reach; and process-wide hazards anywhere in
the file (patching, introspection, threads, files, environment, seeds, precision switches, tensor subclasses...).

Standard library only; milliseconds per candidate.
"""
from trace_kernelbench.guard.static.analyzer import Analyzer, analyze_source
from trace_kernelbench.guard.static.model import StaticReport

__all__ = ["Analyzer", "StaticReport", "analyze_source"]
