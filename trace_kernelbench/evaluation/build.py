"""Building candidates: content-addressed build directories, compiler environment, and compiler-log trimming.

GPU-side: standard library only (torch is passed in by the worker). A build directory is keyed by the hash of the
candidate source, torch and CUDA versions, compiler versions and target architecture, so identical sources reuse a
build and different ones never share a directory. A file lock serialises two evaluations of the same source.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

CACHE_ENV = "TRACE_KB_CACHE_DIR"
COMPILE_LOG_BUDGET = 2400   # characters of compiler output fed back to the optimizer


def cache_root() -> Path:
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "trace-kernelbench")
    p = Path(root)
    p.mkdir(parents=True, exist_ok=True)
    return p


def cuda_home() -> str | None:
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    if home:
        return home
    if os.path.isdir("/usr/local/cuda"):
        return "/usr/local/cuda"
    nvcc = shutil.which("nvcc")
    return str(Path(nvcc).resolve().parent.parent) if nvcc else None


def _first_line(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[-1] if cmd[-1] == "--version" and "nvcc" in cmd[0] else (out[0] if out else None)


@functools.lru_cache(maxsize=1)
def compiler_versions() -> dict[str, str | None]:
    home = cuda_home()
    nvcc = os.path.join(home, "bin", "nvcc") if home and os.path.exists(os.path.join(home, "bin", "nvcc")) else shutil.which("nvcc")
    return {
        "nvcc": _first_line([nvcc, "--version"]) if nvcc else None,
        "cxx": _first_line([os.environ.get("CXX", "c++"), "--version"]),
    }


def prepare_build_env(arch_list: str | None) -> None:
    """Environment that torch.utils.cpp_extension reads; call before the candidate is imported."""
    home = cuda_home()
    if home and "CUDA_HOME" not in os.environ:
        os.environ["CUDA_HOME"] = home   # without it torch guesses /usr/local from PATH and the link fails
    if arch_list:
        os.environ["TORCH_CUDA_ARCH_LIST"] = arch_list
    os.environ.setdefault("MAX_JOBS", str(max(1, min(4, os.cpu_count() or 1))))


BUILD_NICENESS = 10


def lower_build_priority() -> None:
    """Compilers yield the CPU to runners (whose CPU side launches and times kernels), so builds can use every core
    without disturbing measurements. Inherited by the compiler processes."""
    try:
        os.nice(BUILD_NICENESS)
    except OSError:
        pass


def build_key(source: str, torch_version: str, torch_cuda: str | None, arch_list: str | None, backend: str) -> str:
    parts = [source, torch_version, str(torch_cuda), str(arch_list), backend, repr(sorted(compiler_versions().items()))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def build_dir(key: str) -> Path:
    d = cache_root() / "builds" / key[:24]
    d.mkdir(parents=True, exist_ok=True)
    return d


def is_built(key: str) -> bool:
    return (cache_root() / "builds" / key[:24] / ".built").exists()


def mark_built(key: str) -> None:
    (build_dir(key) / ".built").touch()


@contextlib.contextmanager
def build_lock(key: str):
    """Exclusive lock on one build directory while a process builds into or loads from it."""
    lock_path = cache_root() / "builds" / f"{key[:24]}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_ERROR_LINE = re.compile(r"(\berror\b|\bError\b|undefined reference|fatal)", re.IGNORECASE)
_NOISE = re.compile(r"^(\[\d+/\d+\]|ninja: build stopped|FAILED: |Error building extension|c\+\+ -MMD|/\S*nvcc |"
                    r"\S*c\+\+ )")


def trim_compile_log(text: str, build_path: str | None = None, budget: int = COMPILE_LOG_BUDGET) -> str:
    """The compiler's first error lines (with a little context), paths made relative, within `budget` chars."""
    if build_path:
        text = text.replace(str(build_path).rstrip("/") + "/", "")
    text = re.sub(r"/\S*/(main\.cpp|cuda\.cu|[\w.-]+\.(?:cu|cpp|cuh|h))", r"\1", text)
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not _NOISE.match(ln.strip())]
    picked: list[int] = []
    for i, ln in enumerate(lines):
        if _ERROR_LINE.search(ln):
            for j in range(i, min(i + 3, len(lines))):
                if j not in picked:
                    picked.append(j)
    chosen = [lines[i] for i in picked] if picked else lines[-20:]
    chosen = list(dict.fromkeys(chosen))   # the same error often appears in the exception and in ninja's output
    out: list[str] = []
    used = 0
    for ln in chosen:
        if used + len(ln) + 1 > budget:
            out.append(f"... ({len(chosen) - len(out)} more lines)")
            break
        out.append(ln)
        used += len(ln) + 1
    return "\n".join(out)
