"""Where problems come from: the embedded suite, a KernelBench checkout, the Hugging Face dataset, a file."""
from __future__ import annotations

import ast
import contextlib
import functools
import logging
import os
import re
from importlib import resources
from pathlib import Path

from trace_kernelbench.problems.problem import Problem, ProblemError, validate_source

EMBEDDED_PACKAGE = "trace_kernelbench.problems.suite"
HF_DATASET = "ScalingIntelligence/KernelBench"
KERNELBENCH_DIR_ENV = "TRACE_KB_KERNELBENCH_DIR"
LEVELS = (1, 2, 3, 4)


def literal_constant(source: str, name: str, default=None):
    """Value of a module-level `NAME = <literal>` in `source`, without executing it."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return default
    return default


# ---------------------------------------------------------------- embedded suite
def embedded_names() -> list[str]:
    suite = resources.files(EMBEDDED_PACKAGE)
    return sorted(p.name[:-3] for p in suite.iterdir() if p.name.endswith(".py") and not p.name.startswith("_"))


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")


def _level_constant(source: str, where: str, default: int) -> int:
    value = literal_constant(source, "LEVEL", default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where}: LEVEL must be an integer literal, got {value!r}")
    return value


def load_embedded(name: str) -> Problem:
    path = resources.files(EMBEDDED_PACKAGE) / f"{name}.py"
    if not _NAME_RE.match(name) or not path.is_file():
        raise ProblemError(f"unknown embedded problem '{name}' (see: trace-kernelbench problems)")
    source = path.read_text(encoding="utf-8")
    validate_source(source, f"embedded/{name}")
    level = _level_constant(source, f"embedded/{name}", 1)
    return Problem(id=f"embedded/{name}", name=name, level=level, origin="embedded", source=source, path=str(path))


def list_embedded() -> list[Problem]:
    return [load_embedded(n) for n in embedded_names()]


# ---------------------------------------------------------------- KernelBench checkout
def default_kernelbench_dir() -> Path:
    env = os.environ.get(KERNELBENCH_DIR_ENV)
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "external" / "KernelBench"
    return here if here.exists() else Path.cwd() / "external" / "KernelBench"


def kernelbench_level_dir(root: Path, level: int) -> Path:
    """Both layouts keep problems in KernelBench/level<N>/<id>_<Name>.py (the 2026 one adds src/kernelbench)."""
    if not root.is_dir():
        raise ProblemError(f"no KernelBench checkout at {root} (run ./install.sh, or pass --kernelbench-dir)")
    d = root / "KernelBench" / f"level{level}"
    if not d.is_dir():
        raise ProblemError(f"{root} has no KernelBench/level{level} folder: is it a KernelBench checkout?")
    return d


_FILE_RE = re.compile(r"^(\d+)_(.+)\.py$")


def kernelbench_files(root: Path, level: int) -> dict[int, Path]:
    files = {}
    for p in kernelbench_level_dir(root, level).iterdir():
        m = _FILE_RE.match(p.name)
        if m:
            files[int(m.group(1))] = p
    return dict(sorted(files.items()))


def load_kernelbench(level: int, pid: int, root: Path | None = None) -> Problem:
    root = Path(root) if root else default_kernelbench_dir()
    files = kernelbench_files(root, level)
    if pid not in files:
        raise ProblemError(f"KernelBench level {level} has no problem {pid} (ids {min(files)}..{max(files)})" if files
                           else f"KernelBench level {level} at {root} has no problems")
    path = files[pid]
    source = _read_text(path)
    validate_source(source, str(path))
    return Problem(id=f"kernelbench/L{level}/{pid}", name=path.stem, level=level, origin="kernelbench",
                   source=source, path=str(path))


def list_kernelbench(root: Path | None = None, level: int | None = None) -> list[Problem]:
    root = Path(root) if root else default_kernelbench_dir()
    levels = [level] if level else [lv for lv in LEVELS if (root / "KernelBench" / f"level{lv}").is_dir()]
    if not levels:
        kernelbench_level_dir(root, 1)  # raises the clear error
    return [load_kernelbench(lv, pid, root) for lv in levels for pid in kernelbench_files(root, lv)]


# ---------------------------------------------------------------- Hugging Face dataset
@contextlib.contextmanager
def _quiet_hf_logs():
    """Keep datasets/huggingface_hub warnings (retry chatter when offline) off stderr; errors surface as one line."""
    loggers = [logging.getLogger(n) for n in ("datasets", "huggingface_hub", "fsspec")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


@functools.lru_cache(maxsize=4)
def _hf_load(dataset: str):
    """The whole DatasetDict (all splits at once: one download, one failure instead of one per level)."""
    try:
        import datasets
    except ImportError:
        raise ProblemError("the Hugging Face source needs the 'datasets' package: ./install.sh installs it") from None
    try:
        with _quiet_hf_logs():
            if os.path.isdir(dataset):
                return datasets.load_from_disk(dataset)
            return datasets.load_dataset(dataset)
    except Exception as e:  # network, missing dataset: one line for the user
        first = (str(e).strip().splitlines() or [""])[0]
        why = f"{type(e).__name__}: {first}" if first else type(e).__name__
        raise ProblemError(f"cannot load Hugging Face dataset {dataset}: {why}") from None


def _hf_split(level: int, dataset: str):
    ds = _hf_load(dataset)
    split = f"level_{level}"
    if not isinstance(ds, dict) or split not in ds:  # a DatasetDict is a dict; a plain Dataset has no splits
        raise ProblemError(f"dataset {dataset} has no split {split}")
    return ds[split]


def _hf_problem(row: dict, level: int) -> Problem:
    pid = int(row["problem_id"])
    where = f"hf/L{level}/{pid}"
    validate_source(row["code"], where)
    return Problem(id=f"kernelbench/L{level}/{pid}", name=str(row["name"]).removesuffix(".py"), level=level,
                   origin="hf", source=row["code"])


def hf_dataset_name() -> str:
    return os.environ.get("TRACE_KB_HF_DATASET", HF_DATASET)


def list_hf(level: int | None = None, dataset: str | None = None) -> list[Problem]:
    dataset = dataset or hf_dataset_name()
    _hf_load(dataset)  # fails once, with its own message, when the dataset cannot be loaded at all
    out, loaded, first_error = [], 0, None
    for lv in ([level] if level else list(LEVELS)):
        try:
            split = _hf_split(lv, dataset)
        except ProblemError as e:
            if level:
                raise
            first_error = first_error or e
            continue
        loaded += 1
        out += sorted((_hf_problem(r, lv) for r in split), key=lambda p: int(p.id.rsplit("/", 1)[1]))
    if not loaded and first_error is not None:  # nothing at all could be loaded: say why instead of listing nothing
        raise first_error
    return out


def load_hf(level: int, pid: int, dataset: str | None = None) -> Problem:
    split = _hf_split(level, dataset or hf_dataset_name())
    for row in split:
        if int(row["problem_id"]) == pid:
            return _hf_problem(row, level)
    raise ProblemError(f"Hugging Face dataset has no level {level} problem {pid}")


# ---------------------------------------------------------------- any file
def load_file(path: str | Path) -> Problem:
    p = Path(path)
    if not p.is_file():
        raise ProblemError(f"no such problem file: {p}" if not p.exists() else f"not a file: {p}")
    source = _read_text(p)
    validate_source(source, str(p))
    m = _FILE_RE.match(p.name)
    level = _level_constant(source, str(p), 0) or _level_from_path(p) or 1
    return Problem(id=str(p), name=m.group(2) if m else p.stem, level=level, origin="file", source=source,
                   path=str(p.resolve()))


def _read_text(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ProblemError(f"cannot read {p}: {type(e).__name__}: {e}") from None


def _level_from_path(p: Path) -> int | None:
    m = re.fullmatch(r"level(\d)", p.parent.name)
    return int(m.group(1)) if m else None
