"""Readers for Trace-Bench's published KernelBench results (a `KernelBench/results` folder, or a copy laid out like
../shared/data/tracebench-fork-results): per-task result files as audit entries, and the plot data behind its
published fast_p table.

Per-task files: ``kernel_<method>[_<n>]/[<prefix>_]task_<i>_result.json`` with ``task_idx``, ``best_speedup`` or
``best_score`` (the claimed best speedup; 0 means no correct kernel) and ``best_cuda_code`` (null when none).
Plot data: ``plot-data/<method>.csv`` with ``task_id, iteration, eval_step, prop_step, num_samples, num_proposals,
score``, where ``score`` is the best-so-far speedup after ``num_samples`` evaluations.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from trace_kernelbench.audit.entries import AuditEntry
from trace_kernelbench.errors import UserError
from trace_kernelbench.jsonfiles import read_json_object

# Trace-Bench task index -> KernelBench level-1 problem file (its 16 matmul tasks; from the kernel names and the
# order of the dataset it loaded). The audit checks each stem against the checkout before evaluating.
TASK_TO_L1 = {
    0: "10_3D_tensor_matrix_multiplication", 1: "11_4D_tensor_matrix_multiplication",
    2: "12_Matmul_with_diagonal_matrices_", 3: "13_Matmul_for_symmetric_matrices",
    4: "14_Matmul_for_upper_triangular_matrices", 5: "15_Matmul_for_lower_triangular_matrices",
    6: "16_Matmul_with_transposed_A", 7: "17_Matmul_with_transposed_B", 8: "18_Matmul_with_transposed_both",
    9: "1_Square_matrix_multiplication_", 10: "2_Standard_matrix_multiplication_",
    11: "3_Batched_matrix_multiplication", 12: "6_Matmul_with_large_K_dimension_",
    13: "7_Matmul_with_small_K_dimension_", 14: "8_Matmul_with_irregular_shapes_",
    15: "9_Tall_skinny_matrix_multiplication_",
}

DISPLAY = {"ps_summarizer": "PrioritySearch+summarizer (Trace)", "openevolve": "OpenEvolve", "gepa": "GEPA",
           "dspy": "DSPy"}
PLOT_ORDER = ("ps_summarizer", "openevolve", "gepa", "dspy")   # the order of the published table
_RESULT_RE = re.compile(r"(?:^|_)task_(\d+)_result\.json$")


def problem_for_task(task: int) -> tuple[str, str]:
    """(problem id, expected file stem) of a Trace-Bench task index."""
    if task not in TASK_TO_L1:
        raise UserError(f"Trace-Bench task {task} is not in the task table (known: 0-{max(TASK_TO_L1)})")
    stem = TASK_TO_L1[task]
    return f"kernelbench/L1/{stem.split('_', 1)[0]}", stem


def method_of(folder: str) -> str:
    """kernel_openevolve_1 -> openevolve; kernel_gepa -> gepa."""
    name = folder[len("kernel_"):] if folder.startswith("kernel_") else folder
    return re.sub(r"_\d+$", "", name).lower()


def method_dirs(results_dir: str | Path) -> dict[str, Path]:
    """Method -> folder, for every kernel_* folder that holds per-task result files."""
    root = Path(results_dir)
    if not root.is_dir():
        raise UserError(f"no such results folder: {results_dir}")
    out = {}
    for d in sorted(root.iterdir()):
        if d.is_dir() and d.name.startswith("kernel_") and any(_RESULT_RE.search(f.name) for f in d.iterdir()):
            out.setdefault(method_of(d.name), d)
    return out


def read_tracebench(results_dir: str | Path, methods: list[str] | None = None) -> list[AuditEntry]:
    """One entry per (method, task), ordered by method then task index. Parsing only: no checkout needed."""
    dirs = method_dirs(results_dir)
    if not dirs:
        raise UserError(f"{results_dir} has no kernel_*/..._task_<i>_result.json files "
                        "(expected a Trace-Bench KernelBench/results folder)")
    if methods:
        unknown = [m for m in methods if m not in dirs]
        if unknown:
            raise UserError(f"no results for method(s) {', '.join(unknown)} in {results_dir} "
                            f"(found: {', '.join(dirs)})")
        dirs = {m: dirs[m] for m in methods}
    entries = []
    for method, d in dirs.items():
        files = {}
        for f in d.iterdir():
            m = _RESULT_RE.search(f.name)
            if m:
                files[int(m.group(1))] = f
        for task in sorted(files):
            entries.append(_entry(method, task, files[task]))
    return entries


def _entry(method: str, task: int, path: Path) -> AuditEntry:
    data = read_json_object(path)
    idx = data.get("task_idx", task)
    if idx != task:
        raise UserError(f"{path}: task_idx {idx} does not match the file name (task {task})")
    claimed = data.get("best_speedup", data.get("best_score"))
    if isinstance(claimed, bool) or not isinstance(claimed, (int, float)) or not math.isfinite(claimed):
        raise UserError(f"{path}: no numeric best_speedup or best_score")
    code = data.get("best_cuda_code")
    if code is not None and not isinstance(code, str):
        raise UserError(f"{path}: best_cuda_code must be a string or null")
    problem, stem = problem_for_task(task)
    return AuditEntry(label=f"{DISPLAY.get(method, method)} task {task}", problem=problem,
                      code=code if code and code.strip() else None, claimed_speedup=float(claimed),
                      claimed_correct=claimed > 0, group=DISPLAY.get(method, method), expected_name=stem)


# ---------------------------------------------------------------- plot data (the published fast_p table)
@dataclass
class FinalScores:
    method: str                   # display name
    scores: dict[int, float]      # task -> best-so-far speedup at the task's final budget
    evals: dict[int, int]         # task -> evaluations spent (num_samples of the final row)


def plot_data_dir(results_dir: str | Path) -> Path:
    root = Path(results_dir)
    for d in (root / "plot-data", root):
        if d.is_dir() and any(d.glob("*.csv")):
            return d
    raise UserError(f"no plot data in {results_dir} (expected plot-data/<method>.csv)")


def read_final_scores(results_dir: str | Path) -> list[FinalScores]:
    """Per method CSV: the best-so-far score of each task's last row (its largest iteration), in published order."""
    d = plot_data_dir(results_dir)
    files = sorted(d.glob("*.csv"), key=lambda f: (PLOT_ORDER.index(f.stem.lower()) if f.stem.lower() in PLOT_ORDER
                                                    else len(PLOT_ORDER), f.stem))
    out = []
    need = {"task_id", "iteration", "num_samples", "score"}
    for f in files:
        try:
            with f.open(newline="") as fh:
                reader = csv.DictReader(fh)
                missing = need - set(reader.fieldnames or ())
                if missing:
                    raise UserError(f"{f}: missing column(s) {', '.join(sorted(missing))}")
                last: dict[int, tuple[int, int, float]] = {}
                for i, row in enumerate(reader, 2):
                    try:
                        task, it = int(row["task_id"]), int(row["iteration"])
                        samples, score = int(float(row["num_samples"])), float(row["score"])
                    except (TypeError, ValueError):
                        raise UserError(f"{f} line {i}: bad number") from None
                    if task not in last or (it, samples) >= last[task][:2]:
                        last[task] = (it, samples, score)
        except OSError as e:
            raise UserError(f"cannot read {f}: {e}") from None
        out.append(FinalScores(method=DISPLAY.get(f.stem.lower(), f.stem),
                               scores={t: v[2] for t, v in sorted(last.items())},
                               evals={t: v[1] for t, v in sorted(last.items())}))
    return out
