"""Fast checks on a candidate's source before any process or compiler starts: Python syntax, a `ModelNew`
class, and which backend it uses (cuda / cpp / triton / python). Standard library only; milliseconds."""
from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass
class Precheck:
    ok: bool
    backend: str = "python"          # cuda | cpp | triton | python
    error: str | None = None


def _kwarg_names(call: ast.Call) -> set[str]:
    return {k.arg for k in call.keywords if k.arg}


def _call_name(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def detect_backend(tree: ast.AST) -> str:
    uses_triton = False
    cuda = cpp = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mod = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names]
            if (mod or "").split(".")[0] == "triton" or any(n.split(".")[0] == "triton" for n in names):
                uses_triton = True
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            kw = _kwarg_names(node)
            if name == "load" and "sources" not in kw and len(node.args) < 2:
                continue   # json.load(fh), torch.load(path): not an extension build
            if name in ("load_inline", "load"):
                if "cuda_sources" in kw or name == "load" and _mentions_cu(node):
                    cuda = True
                elif "cpp_sources" in kw or len(node.args) >= 2 or name == "load":
                    cpp = True
                if len(node.args) >= 3:  # load_inline(name, cpp_sources, cuda_sources, ...)
                    cuda = True
            elif name == "compile" and isinstance(node.func, ast.Attribute) and _dotted(node.func.value).endswith("cuda"):
                cuda = True
    if cuda:
        return "cuda"
    if uses_triton:
        return "triton"
    if cpp:
        return "cpp"
    return "python"


def _mentions_cu(call: ast.Call) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith((".cu", ".cuh"))
               for n in ast.walk(call))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def precheck(source: str) -> Precheck:
    if not isinstance(source, str) or not source.strip():
        return Precheck(False, error="the candidate source is empty")
    try:
        tree = ast.parse(source, filename="candidate.py")
        compile(tree, "candidate.py", "exec")
    except SyntaxError as e:
        line = (e.text or "").rstrip("\n")
        where = f"line {e.lineno}" + (f", column {e.offset}" if e.offset else "")
        return Precheck(False, error=f"SyntaxError: {e.msg} ({where})" + (f"\n    {line.strip()}" if line.strip() else ""))
    except (ValueError, RecursionError, MemoryError) as e:
        return Precheck(False, error=f"{type(e).__name__}: {e}")
    has_model_new = any(isinstance(n, ast.ClassDef) and n.name == "ModelNew" for n in ast.walk(tree)) or any(
        isinstance(n, (ast.Assign, ast.AnnAssign)) and any(isinstance(t, ast.Name) and t.id == "ModelNew"
                                                          for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
        for n in tree.body)
    if not has_model_new:
        return Precheck(False, backend=detect_backend(tree), error="NameError: the candidate defines no class ModelNew")
    return Precheck(True, backend=detect_backend(tree))
