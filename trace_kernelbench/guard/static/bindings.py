"""Pass 1 of the static analysis: module bindings (imports, functions, classes, kernels and extensions),
string evaluation of C++/CUDA sources, and symbolic resolution of names to what they stand for."""
from __future__ import annotations

import ast

from trace_kernelbench.guard.native import analyze_native

from trace_kernelbench.guard.static.model import Extension, Sym
from trace_kernelbench.guard.static.vocabulary import dotted_name, const_str



class BindingsMixin:
    # -- pass 1: bindings
    def collect(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.imports[a.asname] = a.name
                    else:
                        self.imports[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                mod = "." * node.level + (node.module or "")
                for a in node.names:
                    if a.name == "*":
                        continue
                    self.imports[a.asname or a.name] = f"{mod}.{a.name}"
        for node in self.tree.body:
            self._collect_stmt(node)
        # triton kernels: decorated or wrapped with triton.jit / autotune / heuristics
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(self._is_triton_decorator(d) for d in node.decorator_list):
                    self.triton_kernels[node.name] = node
                    self.triton_nodes.add(id(node))
        for name, values in list(self.module_env.items()):
            for v in values:
                if isinstance(v, ast.Call) and self._is_triton_decorator(v.func) and v.args:
                    inner = v.args[0]
                    if isinstance(inner, ast.Name) and inner.id in self.functions:
                        self.triton_kernels[name] = self.functions[inner.id]
                        self.triton_nodes.add(id(self.functions[inner.id]))
        # extensions: every load_inline / load call in the file
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                q = self.resolve_import(dotted_name(node.func))
                if q in ("torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.load"):
                    self._add_extension(node, inline=q.endswith("load_inline"))

    def _collect_stmt(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions[node.name] = node
            self.module_env.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
            self.module_env.setdefault(node.name, []).append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                return
            for t in targets:
                self._bind_target(t, node.value, self.module_env)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field_name in ("body", "orelse", "finalbody"):
                for s in getattr(node, field_name, []) or []:
                    self._collect_stmt(s)
            for h in getattr(node, "handlers", []) or []:
                for s in h.body:
                    self._collect_stmt(s)

    @staticmethod
    def _bind_target(t: ast.AST, value: ast.AST, env: dict) -> None:
        if isinstance(t, ast.Name):
            env.setdefault(t.id, []).append(value)
        elif isinstance(t, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(t.elts):
                for a, b in zip(t.elts, value.elts):
                    BindingsMixin._bind_target(a, b, env)

    def _is_triton_decorator(self, d: ast.AST) -> bool:
        if isinstance(d, ast.Call):
            return self._is_triton_decorator(d.func)
        q = self.resolve_import(dotted_name(d)) or ""
        return q.startswith("triton") and q.split(".")[-1] in ("jit", "autotune", "heuristics")

    # -- string evaluation for C++/CUDA sources
    def eval_str(self, node: ast.AST | None, depth: int = 0) -> str:
        if node is None or depth > 20:
            return ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return "\n".join(self.eval_str(v, depth + 1) for v in self.module_env.get(node.id, [])[-1:])
        if isinstance(node, (ast.List, ast.Tuple)):
            return "\n".join(self.eval_str(e, depth + 1) for e in node.elts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.eval_str(node.left, depth + 1) + self.eval_str(node.right, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self.eval_str(node.left, depth + 1)
        if isinstance(node, ast.JoinedStr):
            return "".join(self.eval_str(v, depth + 1) if isinstance(v, ast.Constant) else " 0 " for v in node.values)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "replace", "strip", "lstrip"):
                return self.eval_str(node.func.value, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "join" and node.args:
                return "\n".join([self.eval_str(node.args[0], depth + 1)])
            if node.args:     # textwrap.dedent(x) and similar wrappers
                return self.eval_str(node.args[0], depth + 1)
        return ""

    def eval_names(self, node: ast.AST | None) -> list[str] | None:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            vals = self.module_env.get(node.id, [])
            return self.eval_names(vals[-1]) if vals else None
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [s for e in node.elts if (s := const_str(e))]
        if isinstance(node, ast.Dict):
            return [s for k in node.keys if k is not None and (s := const_str(k))]
        if (s := const_str(node)):
            return [s]
        return None

    def _add_extension(self, call: ast.Call, inline: bool) -> None:
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        args = list(call.args)

        def arg(i, name):
            return kw.get(name) if name in kw else (args[i] if len(args) > i else None)
        name = const_str(arg(0, "name")) or f"ext{len(self.extensions)}"
        if inline:
            cpp, cuda = self.eval_str(arg(1, "cpp_sources")), self.eval_str(arg(2, "cuda_sources"))
            functions = self.eval_names(arg(3, "functions"))
            from_files = False
        else:
            cpp = cuda = ""
            functions = None
            from_files = True
        native = analyze_native(cpp, cuda, functions)
        idx = len(self.extensions)
        self.extensions.append(Extension(idx, call.lineno, name, cpp, cuda, functions, native, from_files))
        self.ext_by_call[id(call)] = idx
        if from_files:
            self.add("env_or_file_access", "torch.utils.cpp_extension.load builds sources from files outside the "
                     "candidate", call)

    # -- symbol resolution
    def sym_of(self, node: ast.AST, env: dict, cls: ast.ClassDef | None, depth: int = 0) -> list[Sym]:
        if depth > 12 or node is None:
            return []
        if isinstance(node, ast.Name):
            if node.id == "self" and cls is not None and "self" not in env:
                return [Sym("self", cls.name, cls)]
            vals = env.get(node.id)
            if vals is not None:
                out = []
                for v in vals:
                    if isinstance(v, Sym):
                        out.append(v)
                    else:
                        out.extend(self.sym_of(v, {}, cls, depth + 1) if v is not node else [])
                return out
            if node.id in self.module_env:
                out = []
                for v in self.module_env[node.id]:
                    if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        out.append(Sym("triton", node.id, v) if id(v) in self.triton_nodes else Sym("func", v.name, v))
                    elif isinstance(v, ast.ClassDef):
                        out.append(Sym("cls", v.name, v))
                    elif v is not node:
                        out.extend(self.sym_of(v, {}, None, depth + 1))
                if node.id in self.triton_kernels and not any(s.kind == "triton" for s in out):
                    out.append(Sym("triton", node.id, self.triton_kernels[node.id]))
                return out
            if node.id in self.imports:
                return [Sym("mod", self.imports[node.id])]
            return []
        if isinstance(node, ast.Attribute):
            out = []
            for base in self.sym_of(node.value, env, cls, depth + 1):
                out.extend(self._attr(base, node.attr, depth))
            return out
        if isinstance(node, ast.Call):
            idx = self.ext_by_call.get(id(node))
            if idx is not None:
                return [Sym("ext", self.extensions[idx].name, idx)]
            out = []
            for f in self.sym_of(node.func, env, cls, depth + 1):
                if f.kind == "cls":
                    out.append(Sym("inst", f.name, f.ref))
                elif f.kind == "mod":
                    if f.name.startswith("torch.nn.") and f.name.split(".")[-1][:1].isupper():
                        out.append(Sym("torchmod", f.name))
                    elif f.name in ("functools.partial",) and node.args:
                        out.extend(Sym("partial", s.name, s.ref, s) for s in self.sym_of(node.args[0], env, cls, depth + 1))
                    elif self._is_triton_decorator(node.func) and node.args:
                        for s in self.sym_of(node.args[0], env, cls, depth + 1):
                            if s.kind == "func":
                                out.append(Sym("triton", s.name, s.ref))
                elif f.kind == "func":
                    out.extend(self._returns(f.ref, depth))
            return out
        if isinstance(node, ast.Lambda):
            return [Sym("func", "<lambda>", node)]
        if isinstance(node, ast.Subscript):
            return []
        if isinstance(node, ast.IfExp):
            return self.sym_of(node.body, env, cls, depth + 1) + self.sym_of(node.orelse, env, cls, depth + 1)
        if isinstance(node, ast.BoolOp):
            return [s for v in node.values for s in self.sym_of(v, env, cls, depth + 1)]
        return []

    def _returns(self, fn: ast.AST, depth: int) -> list[Sym]:
        if depth > 8 or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return []
        env = self.local_env(fn)
        out = []
        for n in ast.walk(fn):
            if isinstance(n, ast.Return) and n.value is not None:
                out.extend(self.sym_of(n.value, env, None, depth + 1))
        return out

    def _attr(self, base: Sym, attr: str, depth: int) -> list[Sym]:
        if base.kind == "mod":
            return [Sym("mod", f"{base.name}.{attr}")]
        if base.kind == "ext":
            return [Sym("extfn", attr, base.ref)]
        if base.kind in ("self", "inst", "cls"):
            cls = base.ref
            m = self.method(cls, attr)
            if m is not None:
                return [Sym("triton", attr, m) if id(m) in self.triton_nodes else Sym("func", f"{cls.name}.{attr}", m,
                                                                                      cls.name)]
            out = []
            for v in self.self_attr_values(cls, attr):
                if isinstance(v, Sym):
                    out.append(v)
                else:
                    out.extend(self.sym_of(v[0], v[1], cls, depth + 1))
            return out
        if base.kind == "triton" and attr in ("run", "warmup"):
            return [Sym("tritonrun" if attr == "run" else "tritonwarmup", base.name, base.ref)]
        return []

    def class_chain(self, cls: ast.ClassDef, seen=None) -> list[ast.ClassDef]:
        seen = seen or set()
        if id(cls) in seen:
            return []
        seen.add(id(cls))
        out = [cls]
        for b in cls.bases:
            if isinstance(b, ast.Name) and b.id in self.classes:
                out.extend(self.class_chain(self.classes[b.id], seen))
        return out

    def method(self, cls: ast.ClassDef, name: str) -> ast.AST | None:
        for c in self.class_chain(cls):
            for node in c.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                    return node
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    syms = self.sym_of(node.value, {}, c)
                    for s in syms:
                        if s.kind in ("func", "triton"):
                            return s.ref
        return None

    def self_attr_values(self, cls: ast.ClassDef, attr: str) -> list:
        out = []
        for c in self.class_chain(cls):
            for m in c.body:
                if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                env = None
                for n in ast.walk(m):
                    targets = []
                    if isinstance(n, ast.Assign):
                        targets = [(t, n.value) for t in n.targets]
                    elif isinstance(n, ast.AnnAssign) and n.value is not None:
                        targets = [(n.target, n.value)]
                    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                            n.func.attr in ("register_buffer", "register_parameter", "add_module", "register_module") \
                            and len(n.args) >= 2 and const_str(n.args[0]) == attr:
                        targets = [(None, n.args[1])]
                    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" and \
                            len(n.args) == 3 and const_str(n.args[1]) == attr:
                        targets = [(None, n.args[2])]
                    for t, v in targets:
                        if t is None or (isinstance(t, ast.Attribute) and t.attr == attr and
                                         isinstance(t.value, ast.Name) and t.value.id == "self"):
                            env = env if env is not None else self.local_env(m)
                            out.append((v, env))
        return out

    def local_env(self, fn: ast.AST) -> dict:
        env: dict[str, list] = {}
        args = fn.args
        for a in args.posonlyargs + args.args + args.kwonlyargs + ([args.vararg] if args.vararg else []) + \
                ([args.kwarg] if args.kwarg else []):
            if a.arg != "self":
                env.setdefault(a.arg, [])
        body = fn.body if isinstance(fn.body, list) else [fn.body]
        for stmt in body:
            for n in ast.walk(stmt):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n is not fn:
                    env.setdefault(n.name, []).append(
                        Sym("triton", n.name, n) if id(n) in self.triton_nodes else Sym("func", n.name, n, "__local__"))
                elif isinstance(n, ast.Assign):
                    for t in n.targets:
                        self._bind_target(t, n.value, env)
                elif isinstance(n, ast.AnnAssign) and n.value is not None:
                    self._bind_target(n.target, n.value, env)
                elif isinstance(n, ast.NamedExpr):
                    self._bind_target(n.target, n.value, env)
                elif isinstance(n, (ast.For, ast.comprehension)):
                    tgt = n.target
                    if isinstance(tgt, ast.Name):
                        env.setdefault(tgt.id, [])
                elif isinstance(n, ast.withitem) and n.optional_vars is not None and isinstance(n.optional_vars, ast.Name):
                    env.setdefault(n.optional_vars.id, []).append(n.context_expr)
        return env
