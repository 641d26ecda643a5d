"""`--style kernelbench`: build a prompt with the prompt constructor of an upstream KernelBench checkout.

Two checkout layouts are understood:

- 2026: ``<root>/src/kernelbench/prompt_constructor_toml.py`` with
  ``get_prompt_for_backend(ref_arch_src, backend, option="one_shot", precision=None, include_hardware=False,
  gpu_name=None)``;
  imported as package ``kernelbench`` with ``<root>/src`` on sys.path.
- older: ``<root>/src/prompt_constructor.py`` (``prompt_generate_custom_cuda_from_prompt_template(ref_arch_src)`` and
  friends); imported as package ``src`` with ``<root>`` on sys.path, because it uses relative imports.

The checkout's modules are imported in isolation: sys.path and any already-imported modules of the same top-level name
are restored afterwards, so two checkouts can be used in one process. Anything the upstream code prints goes to stderr,
never into the prompt on stdout. Every failure is a one-line UserError.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from pathlib import Path

from trace_kernelbench.errors import UserError

UPSTREAM_BACKENDS = ("cuda", "triton")


def detect_layout(root: Path) -> str | None:
    """'2026', 'old', or None when `root` has no known prompt constructor."""
    if (root / "src" / "kernelbench" / "prompt_constructor_toml.py").is_file():
        return "2026"
    if (root / "src" / "prompt_constructor.py").is_file():
        return "old"
    return None


@contextlib.contextmanager
def _isolated_package(path_entry: Path, package: str):
    """Put `path_entry` first on sys.path and let `package` be imported fresh; undo both on exit."""
    def owned(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    saved_path = list(sys.path)
    stashed = {n: m for n, m in sys.modules.items() if owned(n)}
    for n in stashed:
        del sys.modules[n]
    sys.path.insert(0, str(path_entry))
    importlib.invalidate_caches()
    tomli_shim = _tomli_shim()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for n in [n for n in sys.modules if owned(n)]:
            del sys.modules[n]
        sys.modules.update(stashed)
        sys.path[:] = saved_path
        if tomli_shim and sys.modules.get("tomli") is tomli_shim:
            del sys.modules["tomli"]


def _tomli_shim():
    """Upstream's TOML constructor imports `tomli`; on Python 3.11+ the standard library's `tomllib` is the same
    parser with the same API, so lend it under that name while upstream code runs (only if tomli is absent)."""
    if "tomli" in sys.modules or importlib.util.find_spec("tomli") is not None:
        return None
    try:
        import tomllib
    except ImportError:  # Python 3.10 without tomli: upstream's import fails with a clear message
        return None
    sys.modules["tomli"] = tomllib
    return tomllib


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _missing_module(e: ModuleNotFoundError, where: Path, package: str) -> UserError:
    missing = e.name or str(e)
    if missing == package or missing.startswith(package + "."):
        return UserError(f"the KernelBench checkout is incomplete: {where} imports '{missing}', which it does not have")
    return UserError(f"the KernelBench prompt constructor at {where} needs the Python module '{missing}', which is "
                     f"not installed (pip install it, or use --style default)")


def _import(module: str, where: Path):
    package = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        raise _missing_module(e, where, package) from None
    except Exception as e:  # a broken or incompatible checkout
        raise UserError(f"cannot import the KernelBench prompt constructor at {where}: {_first_line(e)}") from None


def _call(where: Path, package: str, fn, *args, **kwargs) -> str:
    try:
        out = fn(*args, **kwargs)
    except ModuleNotFoundError as e:  # a lazy import inside the constructor
        raise _missing_module(e, where, package) from None
    except Exception as e:
        raise UserError(f"the KernelBench prompt constructor failed: {_first_line(e)}") from None
    if not isinstance(out, str) or not out.strip():
        raise UserError("the KernelBench prompt constructor returned an empty prompt (is the checkout complete?)")
    return out


def build_upstream_prompt(ref_arch_src: str, backend: str = "cuda", *, gpu: str | None = None,
                          precision: str | None = None, root: str | Path | None = None) -> str:
    """The one-shot prompt upstream KernelBench would give for `ref_arch_src`."""
    from trace_kernelbench.problems.sources import default_kernelbench_dir

    root = Path(root) if root else default_kernelbench_dir()
    if backend not in UPSTREAM_BACKENDS:
        raise UserError(f"upstream KernelBench prompts have no '{backend}' backend (choose from "
                        f"{', '.join(UPSTREAM_BACKENDS)}, or use --style default)")
    if not root.is_dir():
        raise UserError(f"--style kernelbench needs a KernelBench checkout, and there is none at {root} "
                        f"(run ./install.sh, or pass --kernelbench-dir)")
    layout = detect_layout(root)
    if layout == "2026":
        module_file = root / "src" / "kernelbench" / "prompt_constructor_toml.py"
        with _isolated_package(root / "src", "kernelbench"):
            mod = _import("kernelbench.prompt_constructor_toml", module_file)
            fn = getattr(mod, "get_prompt_for_backend", None)
            if fn is None:
                raise UserError(f"{module_file} defines no get_prompt_for_backend: unsupported KernelBench version")
            return _call(module_file, "kernelbench", fn, ref_arch_src, backend, option="one_shot", precision=precision,
                         include_hardware=gpu is not None, gpu_name=gpu)
    if layout == "old":
        module_file = root / "src" / "prompt_constructor.py"
        with _isolated_package(root, "src"):
            mod = _import("src.prompt_constructor", module_file)
            return _call_old(mod, module_file, ref_arch_src, backend, gpu)
    raise UserError(f"{root} has no KernelBench prompt constructor (expected "
                    f"src/kernelbench/prompt_constructor_toml.py or src/prompt_constructor.py)")


def _call_old(mod, module_file: Path, ref_arch_src: str, backend: str, gpu: str | None) -> str:
    """Older constructors: one function per variant, and names changed over time."""
    if gpu is not None:
        fn = getattr(mod, "prompt_generate_prompt_with_hardware_info_from_template", None)
        if fn is None or backend != "cuda":
            raise UserError(f"{module_file} cannot build a hardware-aware {backend} prompt (drop --gpu)")
        return _call(module_file, "src", fn, ref_arch_src, gpu)
    if backend == "cuda" and hasattr(mod, "prompt_generate_custom_cuda_from_prompt_template"):
        return _call(module_file, "src", mod.prompt_generate_custom_cuda_from_prompt_template, ref_arch_src)
    if hasattr(mod, "prompt_generate_custom_kernel_from_prompt_template"):
        return _call(module_file, "src", mod.prompt_generate_custom_kernel_from_prompt_template, ref_arch_src,
                     framework=backend)
    raise UserError(f"{module_file} has no prompt template function for the {backend} backend")
