"""Pass 3 of the static analysis: process-wide hazards anywhere in the file (patching, introspection,
threads, files, environment, seeds, precision switches, tensor subclasses...) and precision downgrades."""
from __future__ import annotations

import ast

from trace_kernelbench.guard.rules import BUILD_ENV
from trace_kernelbench.guard.static.vocabulary import (CONCURRENCY_MODULES, MEMORY_MODULES,
                                                       DYNAMIC_MODULES, CHANNEL_MODULES, FILE_MODULES,
                                                       BUILD_DIR_CALLS, PROCESS_CALLS, FD_CALLS, FILE_CALLS,
                                                       ENV_READ_ATTRS, ENV_WRITE_ATTRS, RNG_CALLS,
                                                       GLOBAL_STATE_CALLS, INTROSPECTION_CALLS, FRAME_ATTRS,
                                                       SUBCLASS_NAMES, TENSOR_CLASSES, PROTOCOL_HINTS, dotted_name,
                                                       root_name, const_str)
from trace_kernelbench.guard.torchops import DTYPE_RANK, PRECISION_RANK


class HazardsMixin:
    # -- pass 3: hazards anywhere in the file
    def hazards(self) -> None:
        fp_rank = PRECISION_RANK.get(self.precision, 3)
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                for m in mods:
                    self._import_hazard(m, node)
            elif isinstance(node, ast.Call):
                self._call_hazard(node)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    self._store_hazard(t, node)
            elif isinstance(node, ast.Attribute):
                if node.attr in FRAME_ATTRS:
                    self.add("evaluator_access", f"uses the `{node.attr}` attribute (frame/closure introspection)", node)
                if node.attr in SUBCLASS_NAMES:
                    self.add("tensor_subclass", f"uses `{node.attr}`", node)
                q = self.resolve_import(dotted_name(node)) or ""
                if q in ("sys.modules", "sys.meta_path", "sys.path_hooks", "builtins.__dict__") or \
                        q.startswith("sys.modules."):
                    self.add("evaluator_access", f"reads `{q}`", node)
            elif isinstance(node, ast.Name):
                if node.id in ("__builtins__", "__loader__", "__spec__"):
                    self.add("evaluator_access", f"uses `{node.id}`", node)
            elif isinstance(node, ast.Subscript):
                self._subscript_hazard(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                self._string_hazard(node)
            elif isinstance(node, ast.ClassDef):
                for b in node.bases:
                    q = self.resolve_import(dotted_name(b)) or ""
                    if q in TENSOR_CLASSES:
                        self.add("tensor_subclass", f"class {node.name} subclasses {q}", node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name in ("__torch_function__", "__torch_dispatch__"):
                    self.add("tensor_subclass", f"defines {node.name}", node)
                if node.name in ("__del__",):
                    self.add("concurrency", "defines a finaliser (__del__) that runs at an unpredictable time", node)
        self._precision(fp_rank)

    def _import_hazard(self, m: str, node: ast.AST) -> None:
        top = m.split(".")[0]
        if top == "trace_kernelbench" or top in ("tkb_reference", "tkb_candidate", "__main__"):
            self.add("evaluator_access", f"imports `{m}`", node)
        elif any(m == c or m.startswith(c + ".") for c in CONCURRENCY_MODULES):
            self.add("concurrency", f"imports `{m}`", node)
        elif top in MEMORY_MODULES:
            self.add("memory_tampering", f"imports `{m}`", node)
        elif top in DYNAMIC_MODULES:
            self.add("dynamic_code", f"imports `{m}`", node)
        elif top in CHANNEL_MODULES:
            self.add("result_channel_forgery", f"imports `{m}`", node)
        elif top in FILE_MODULES:
            self.add("env_or_file_access", f"imports `{m}`", node)
        elif m in ("torch.utils._python_dispatch", "torch.overrides") or m.startswith("torch.utils._python_dispatch"):
            self.add("tensor_subclass", f"imports `{m}`", node)
        elif top in ("gc", "inspect") and isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if names & {"get_objects", "get_referrers", "get_referents", "currentframe", "stack", "getouterframes"}:
                self.add("evaluator_access", f"imports `{m}`", node)

    def _call_hazard(self, call: ast.Call) -> None:
        f = call.func
        q = self.resolve_import(dotted_name(f)) or ""
        name = f.id if isinstance(f, ast.Name) else None
        if name in ("exec", "eval", "compile", "__import__", "globals", "locals", "vars", "breakpoint") and \
                name not in self.module_env:
            if name in ("globals", "locals", "vars"):
                parent = self.parents.get(id(call))
                if isinstance(parent, ast.Subscript) or (isinstance(parent, ast.Attribute) and
                                                          parent.attr in ("update", "__setitem__", "setdefault")) \
                        or (name == "vars" and call.args):
                    self.add("dynamic_code", f"uses `{name}()` to reach or change namespaces", call)
            else:
                self.add("dynamic_code", f"calls `{name}`", call)
        if name == "open" and "open" not in self.module_env:
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, int):
                self.add("result_channel_forgery", "opens a file descriptor number", call)
            else:
                self.add("env_or_file_access", "opens a file", call)
        if name in ("exit", "quit") and name not in self.module_env:
            self.add("concurrency", f"calls `{name}()`", call)
        if name in ("setattr", "delattr", "getattr") and name not in self.module_env and call.args:
            target = self.resolve_import(dotted_name(call.args[0]))
            const = len(call.args) > 1 and const_str(call.args[1]) is not None
            if target and name in ("setattr", "delattr"):
                self.add("monkey_patching", f"`{name}` on `{target}`", call)
            elif target and not const:
                self.add("dynamic_code", f"`{name}` with a computed name on `{target}`", call)
            elif name != "getattr" and not const and not (isinstance(call.args[0], ast.Name) and
                                                          call.args[0].id == "self"):
                self.add("dynamic_code", f"`{name}` with a computed attribute name", call)
            if name == "getattr" and const and target:
                self._qualified_use(f"{target}.{const_str(call.args[1])}", call)
        if q:
            self._qualified_use(q, call)
        if isinstance(f, ast.Attribute):
            if f.attr in ("read_text", "read_bytes", "write_text", "write_bytes", "open", "iterdir", "glob", "rglob",
                          "unlink", "touch") and (self.resolve_import(dotted_name(f.value)) or "").startswith("pathlib") or \
                    f.attr in ("read_text", "read_bytes", "write_text", "write_bytes"):
                self.add("env_or_file_access", f"calls `.{f.attr}()`", call)
            if f.attr in ("load_library",) and (q.startswith("torch.ops") or q.startswith("torch.classes") or not q):
                self.add("dynamic_code", "loads a native library at run time", call)
            if f.attr in ("write", "writelines") and (self.resolve_import(dotted_name(f.value)) or "").startswith(
                    ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__")):
                if any(self._protocol_like(a) for a in call.args):
                    self.add("result_channel_forgery", "writes an evaluator-like result to stdout/stderr", call)
        if name == "print" and any(self._protocol_like(a) for a in call.args):
            self.add("result_channel_forgery", "prints an evaluator-like result", call)

    def _qualified_use(self, q: str, node: ast.AST) -> None:
        if q in PROCESS_CALLS or q.startswith("os.spawn") or q.startswith("os.exec"):
            self.add("concurrency", f"calls `{q}`", node)
        elif q in FD_CALLS:
            self.add("result_channel_forgery", f"calls `{q}`", node)
        elif q in BUILD_DIR_CALLS:
            pass
        elif q in FILE_CALLS or q.startswith(("shutil.", "glob.", "tempfile.")):
            if q != "torch.utils.cpp_extension.load":
                self.add("env_or_file_access", f"calls `{q}`", node)
        elif q in RNG_CALLS:
            self.add("rng_tampering", f"calls `{q}`", node)
        elif q in INTROSPECTION_CALLS:
            self.add("evaluator_access", f"calls `{q}`", node)
        elif q in GLOBAL_STATE_CALLS:
            self.add("global_state_change", f"calls `{q}`", node)
        elif q in ("os.getenv", "os.getenvb"):
            if not self._env_key_ok(node):
                self.add("env_or_file_access", f"reads the environment with `{q}`", node)
        elif q in ("os.putenv", "os.unsetenv"):
            if not self._env_key_ok(node):
                self.add("env_tampering", f"changes the environment with `{q}`", node)
        elif q.startswith("os.environ."):
            attr = q.split(".")[-1]
            if attr in ENV_WRITE_ATTRS and not self._env_key_ok(node):
                self.add("env_tampering", f"changes the environment with `{q}`", node)
            elif attr in ENV_READ_ATTRS and not self._env_key_ok(node):
                self.add("env_or_file_access", f"reads the environment with `{q}`", node)
        elif q in ("torch.set_float32_matmul_precision",):
            arg = const_str(node.args[0]) if isinstance(node, ast.Call) and node.args else None
            if arg != "highest":
                self.add("precision_downgrade", f"calls `{q}({arg!r})`", node)
        elif q in ("torch.autocast", "torch.cuda.amp.autocast", "torch.amp.autocast", "torch.cpu.amp.autocast"):
            self.add("precision_downgrade", f"uses `{q}`", node)
        elif q.startswith("torch.backends.") and q.split(".")[-1] in ("allow_tf32",):
            self.add("precision_downgrade", f"uses `{q}`", node)
        elif q.startswith("trace_kernelbench"):
            self.add("evaluator_access", f"uses `{q}`", node)
        elif q.startswith("torch.cuda.memory.") and "snapshot" in q:
            self.add("evaluator_access", f"calls `{q}`", node)

    def _env_key_ok(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and node.args:
            key = const_str(node.args[0])
            return key in BUILD_ENV
        if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "update":
            keys = [k.arg for k in node.keywords]
            return bool(keys) and all(k in BUILD_ENV for k in keys)
        return False

    def _subscript_hazard(self, node: ast.Subscript) -> None:
        q = self.resolve_import(dotted_name(node.value)) or ""
        if q == "os.environ":
            key = const_str(node.slice)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                if key not in BUILD_ENV:
                    self.add("env_tampering", f"sets os.environ[{key!r}]", node)
            elif key not in BUILD_ENV:
                self.add("env_or_file_access", f"reads os.environ[{key!r}]", node)
        elif q in ("sys.modules",):
            self.add("evaluator_access", "indexes sys.modules", node)
        if isinstance(node.ctx, ast.Store):
            v = node.value
            if isinstance(v, ast.Attribute) and v.attr == "__dict__":
                self.add("monkey_patching", f"writes into `{ast.unparse(v)}`", node)
            elif isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("vars", "globals"):
                self.add("dynamic_code", f"writes into `{ast.unparse(v)}`", node)

    def _store_hazard(self, t: ast.AST, stmt: ast.AST) -> None:
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self._store_hazard(e, stmt)
            return
        if isinstance(t, ast.Starred):
            return self._store_hazard(t.value, stmt)
        if not isinstance(t, ast.Attribute):
            return
        dotted = dotted_name(t)
        q = self.resolve_import(dotted)
        if q is None:
            # attribute of a value obtained from an imported module (e.g. a class imported by name)
            root = root_name(t)
            if root and root in self.imports:
                q = self.imports[root] + "." + (dotted.partition(".")[2] if dotted else t.attr)
            else:
                if t.attr == "__class__":
                    self.add("tensor_subclass", f"assigns `{ast.unparse(t)}`", stmt)
                if t.attr in ("forward", "__call__") and not (isinstance(t.value, ast.Name) and t.value.id == "self"):
                    self.add("monkey_patching", f"replaces `{ast.unparse(t)}`", stmt)
                if t.attr in ("__code__", "__globals__", "__defaults__", "__kwdefaults__", "__dict__", "__bases__"):
                    self.add("monkey_patching", f"assigns `{ast.unparse(t)}`", stmt)
                return
        if q.startswith("torch.backends.") or q.startswith("torch._dynamo.config") or \
                q.startswith("torch._inductor.config") or q.startswith("torch.jit."):
            leaf = q.split(".")[-1]
            value = getattr(stmt, "value", None)
            if leaf in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction",
                        "fp32_precision", "allow_fp16_accumulation"):
                if not (isinstance(value, ast.Constant) and value.value in (False, "ieee", "highest")):
                    self.add("precision_downgrade", f"sets `{q}`", stmt)
            else:
                self.add("global_state_change", f"sets `{q}`", stmt)
            return
        if q.startswith("os.environ"):
            self.add("env_tampering", f"assigns `{q}`", stmt)
            return
        if q.startswith("trace_kernelbench") or q.startswith("sys.modules"):
            self.add("evaluator_access", f"assigns `{q}`", stmt)
        if q in ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"):
            self.add("result_channel_forgery", f"replaces `{q}`", stmt)
            return
        self.add("monkey_patching", f"assigns `{q}`", stmt)

    def _string_hazard(self, node: ast.Constant) -> None:
        s = node.value
        low = s.lower()
        if "/proc/self/mem" in low or "/proc/self/maps" in low or "/dev/mem" in low or "/proc/self/task" in low:
            self.add("memory_tampering", f"mentions `{s[:40]}`", node)
        elif "/proc/self/fd" in low or "/dev/fd" in low:
            self.add("result_channel_forgery", f"mentions `{s[:40]}`", node)
        elif low.startswith(("/proc", "/sys/", "/dev/", "~/.cache")) or ".cache/trace-kernelbench" in low:
            self.add("env_or_file_access", f"mentions the path `{s[:40]}`", node)
        if "tkb_reference" in s or "tkb_candidate" in s or "trace_kernelbench" in s or s == "reference.py":
            self.add("evaluator_access", f"mentions `{s[:40]}`", node)

    def _protocol_like(self, node: ast.AST) -> bool:
        texts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        keys = [k for n in ast.walk(node) if isinstance(n, ast.Dict) for k in n.keys if const_str(k)]
        joined = " ".join(texts)
        if keys and {"status", "type", "speedup", "result", "runtime_ms"} & {const_str(k) for k in keys}:
            return True
        return any(all(h in joined for h in hint) for hint in PROTOCOL_HINTS)

    # -- precision: casts below the problem precision in code forward can reach (and in __init__), dtypes in
    # triton kernels, tl.dot without ieee input precision on fp32 problems
    def _precision(self, fp_rank: int) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr = node.func.attr
                if attr in ("half", "bfloat16") and not node.args and fp_rank > 2:
                    self.add("precision_downgrade", f"casts with `.{attr}()`", node)
                if attr in ("to", "type", "new_empty", "new_zeros", "empty", "zeros", "empty_like", "zeros_like",
                            "ones", "full", "tensor", "as_tensor", "randn", "rand", "view") or \
                        attr.endswith(("_like",)):
                    for a in list(node.args) + [k.value for k in node.keywords if k.arg in ("dtype", None)]:
                        r = self._dtype_rank(a)
                        if r is not None and r < fp_rank:
                            self.add("precision_downgrade", f"uses `{ast.unparse(a)}` on a {self.precision} problem",
                                     node)
                if attr == "dot" and id(self._enclosing_def(node)) in self.triton_nodes and fp_rank >= 3:
                    kws = {k.arg: k.value for k in node.keywords}
                    ip = kws.get("input_precision")
                    at = kws.get("allow_tf32")
                    ok = (ip is not None and const_str(ip) in ("ieee",)) or \
                        (at is not None and isinstance(at, ast.Constant) and at.value is False)
                    if not ok:
                        self.add("precision_downgrade", "tl.dot without input_precision=\"ieee\" uses TF32 on an fp32 "
                                 "problem", node)
            elif isinstance(node, ast.Attribute) and id(self._enclosing_def(node)) in self.triton_nodes:
                q = self.resolve_import(dotted_name(node)) or ""
                if q.startswith("triton.language."):
                    leaf = q.split(".")[-1]
                    r = DTYPE_RANK.get({"float16": "float16", "bfloat16": "bfloat16", "float32": "float32",
                                        "float64": "float64"}.get(leaf, leaf))
                    if leaf.startswith("float8") or leaf.startswith("fp8"):
                        r = 1
                    if r is not None and r < fp_rank and leaf not in ("float32", "float64"):
                        self.add("precision_downgrade", f"uses `tl.{leaf}` inside a Triton kernel on a "
                                 f"{self.precision} problem", node)

    def _dtype_rank(self, node: ast.AST) -> int | None:
        q = self.resolve_import(dotted_name(node)) or ""
        if q.startswith("torch."):
            return DTYPE_RANK.get(q.split(".", 1)[1])
        s = const_str(node)
        if s in ("float16", "half", "bfloat16"):
            return 2
        return None

    def _enclosing_def(self, node: ast.AST) -> ast.AST | None:
        p = self.parents.get(id(node))
        while p is not None and not isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            p = self.parents.get(id(p))
        return p
