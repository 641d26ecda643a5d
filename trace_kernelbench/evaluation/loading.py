"""Turning source text into live modules: problems (with their size variant) and candidates.

GPU-side: imports only the standard library (torch is imported by the code being loaded).

Size convention (ours): a problem file may declare ``SMALL_SIZES = {"batch_size": 8, ...}``, a literal dict that
overrides module-level constants of the same names. ``get_inputs``/``get_init_inputs`` read those globals at call
time, so a problem must compute anything derived from them inside those functions, not at module level.
"""
from __future__ import annotations

import linecache
import os
import sys
import types

SIZES = ("full", "small")


class SizeError(ValueError):
    pass


def load_module(source: str, name: str, filename: str | None = None) -> types.ModuleType:
    """Exec `source` as a fresh module registered in sys.modules (so dataclasses, pickling and inspect work).

    When `filename` is an absolute path the source is also written there, so tools that read source from files
    (inspect.getsource, Triton's @jit on a GPU) find it."""
    if filename and os.path.isabs(filename):
        _write_if_changed(filename, source)
        linecache.checkcache(filename)
    module = types.ModuleType(name)
    module.__file__ = filename or f"<{name}>"
    sys.modules[name] = module
    code = compile(source, module.__file__, "exec")
    exec(code, module.__dict__)
    return module


def _write_if_changed(path: str, text: str) -> None:
    try:
        with open(path) as fh:
            if fh.read() == text:
                return
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def apply_size(module: types.ModuleType, size: str) -> None:
    if size not in SIZES:
        raise SizeError(f"unknown size '{size}' (choose from {', '.join(SIZES)})")
    if size == "small":
        small = getattr(module, "SMALL_SIZES", None)
        if not isinstance(small, dict):
            raise SizeError("this problem declares no SMALL_SIZES; use --size full")
        unknown = [k for k in small if not hasattr(module, k)]
        if unknown:
            raise SizeError(f"SMALL_SIZES names constants the problem does not define: {', '.join(unknown)}")
        module.__dict__.update(small)


def load_problem_module(source: str, size: str = "full", name: str = "tkb_reference") -> types.ModuleType:
    module = load_module(source, name, filename="reference.py")
    apply_size(module, size)
    return module
