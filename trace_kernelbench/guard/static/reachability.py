"""Pass 2 of the static analysis: what `ModelNew.forward` can reach (functions, kernels, torch compute ops),
and result caching keyed on tensor identity or content."""
from __future__ import annotations

import ast

from trace_kernelbench.guard.static.model import Sym
from trace_kernelbench.guard.static.vocabulary import SYNC_METHODS, METADATA_ATTRS, BUILTIN_NAMES, dotted_name
from trace_kernelbench.guard.torchops import (F_NONCOMPUTE, NN_NONCOMPUTE, TENSOR_COMPUTE_METHODS, TORCH_NONCOMPUTE,
                                              is_compute_name)


class ReachabilityMixin:
    # -- pass 2: reachability from the entry points
    def entry_points(self) -> list[tuple[ast.AST, ast.ClassDef]]:
        syms = self.sym_of(ast.Name(id="ModelNew", ctx=ast.Load()), {}, None)
        entries = []
        for s in syms:
            if s.kind != "cls":
                continue
            cls = s.ref
            for name in ("forward", "__call__", "_call_impl"):
                m = self.method(cls, name)
                if m is not None:
                    entries.append((m, cls))
            for c in self.class_chain(cls):
                for n in ast.walk(c):
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                            n.func.attr.startswith("register_forward") and n.args:
                        for h in self.sym_of(n.args[0], {}, c):
                            if h.kind == "func":
                                entries.append((h.ref, c))
            # ModelNew inherits from a class that is not defined here and not nn.Module (e.g. a copied Model)
            for c in self.class_chain(cls):
                if c is not cls and (c.name == "Model" or self._same_as_reference(c)):
                    self.reference_hits.append((f"ModelNew derives from {c.name}, a copy of the reference Model",
                                                c.lineno))
        return entries

    def _same_as_reference(self, cls: ast.ClassDef) -> bool:
        if not self.reference_source:
            return False
        try:
            ref = ast.parse(self.reference_source)
        except SyntaxError:
            return False
        ref_fwd = None
        for n in ref.body:
            if isinstance(n, ast.ClassDef) and n.name == "Model":
                for m in n.body:
                    if isinstance(m, ast.FunctionDef) and m.name == "forward":
                        ref_fwd = m
        mine = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "forward"), None)
        if ref_fwd is None or mine is None:
            return False
        return ast.dump(ast.Module(body=ref_fwd.body, type_ignores=[])) == \
            ast.dump(ast.Module(body=mine.body, type_ignores=[]))

    def reach(self) -> None:
        work = list(self.entry_points())
        while work:
            fn, cls = work.pop()
            if id(fn) in self._visited:
                continue
            self._visited.add(id(fn))
            owner = f"{cls.name}." if cls is not None else ""
            self.reached_funcs.append(f"{owner}{getattr(fn, 'name', '<lambda>')}")
            if cls is not None and (cls.name == "Model" or self._same_as_reference(cls)):
                self.reference_hits.append((f"forward runs {cls.name}.{getattr(fn, 'name', '?')}, the reference "
                                            f"Model's code", getattr(fn, "lineno", None)))
            work.extend(self.visit_function(fn, cls))

    def visit_function(self, fn: ast.AST, cls: ast.ClassDef | None) -> list[tuple[ast.AST, ast.ClassDef | None]]:
        env = self.local_env(fn)
        nxt: list[tuple[ast.AST, ast.ClassDef | None]] = []
        body = fn.body if isinstance(fn.body, list) else [fn.body]
        tensorish = self._tensorish(fn, env)

        def follow(s: Sym, call: ast.Call | None):
            if s.kind == "func":
                if s.extra == "__local__":
                    owner = cls
                else:
                    owner = self.classes.get(s.extra) if isinstance(s.extra, str) else None
                nxt.append((s.ref, owner))
            elif s.kind == "partial" and isinstance(s.extra, Sym):
                follow(s.extra, call)
            elif s.kind == "cls":
                # constructing a class runs __new__/__init__; a tensor subclass's dispatch hooks run later on its own
                for name in ("__new__", "__init__", "__torch_function__", "__torch_dispatch__"):
                    m = self.method(s.ref, name)
                    if m is not None:
                        nxt.append((m, s.ref))
            elif s.kind in ("inst", "self"):
                for name in ("forward", "__call__"):
                    m = self.method(s.ref, name)
                    if m is not None:
                        nxt.append((m, s.ref))
                        break
            elif s.kind == "extfn":
                self.reached_ext_fns.add((s.ref, s.name))
                self.kernels_reached.add(f"ext:{self.extensions[s.ref].name}.{s.name}")
            elif s.kind in ("triton", "tritonrun"):
                if call is not None and s.kind == "triton":
                    return            # kernel(...) without [grid] is a device-function call, not a launch
                self.kernels_reached.add(f"triton:{s.name}")
            elif s.kind == "torchmod":
                leaf = s.name.split(".")[-1]
                if leaf not in NN_NONCOMPUTE:
                    self.torch_ops.setdefault(f"nn.{leaf}", getattr(call, "lineno", 0))
            elif s.kind == "mod" and call is not None:
                self._torch_call(s.name, call)

        for stmt in body:
            for node in self._walk_no_defs(stmt):
                if isinstance(node, ast.Call):
                    f = node.func
                    if isinstance(f, ast.Subscript):          # kernel[grid](...)
                        for s in self.sym_of(f.value, env, cls):
                            if s.kind == "triton":
                                self.kernels_reached.add(f"triton:{s.name}")
                        continue
                    syms = self.sym_of(f, env, cls)
                    if isinstance(f, ast.Attribute) and f.attr == "apply":
                        for s in self.sym_of(f.value, env, cls):
                            if s.kind == "cls":
                                m = self.method(s.ref, "forward")
                                if m is not None:
                                    nxt.append((m, s.ref))
                    if not syms:
                        self._unknown_call(node, env, tensorish)
                    for s in syms:
                        follow(s, node)
                    # functions passed as arguments are treated as called
                    for a in list(node.args) + [k.value for k in node.keywords]:
                        if isinstance(a, (ast.Name, ast.Attribute, ast.Lambda)):
                            for s in self.sym_of(a, env, cls):
                                if s.kind in ("func", "extfn", "partial", "inst", "triton"):
                                    follow(s, None)
                elif isinstance(node, ast.BinOp):
                    if isinstance(node.op, ast.MatMult):
                        self.torch_ops.setdefault("matmul (@)", node.lineno)
                    elif self._is_tensorish(node.left, tensorish) or self._is_tensorish(node.right, tensorish):
                        self.operators.setdefault(type(node.op).__name__.lower(), node.lineno)
                elif isinstance(node, ast.Try) and node.handlers:
                    for h in node.handlers:
                        reraises = isinstance(h.body[-1], ast.Raise) and not any(
                            isinstance(x, (ast.Return, ast.Assign, ast.AugAssign)) for st in h.body for x in ast.walk(st))
                        if not reraises:
                            self.add("exception_fallback", f"{self._fname(fn)} catches an exception and runs other "
                                     "code instead of failing", h)
                elif isinstance(node, (ast.With, ast.AsyncWith)):
                    for item in node.items:
                        q = self.resolve_import(dotted_name(item.context_expr.func)) if isinstance(
                            item.context_expr, ast.Call) else None
                        if q in ("contextlib.suppress",):
                            self.add("exception_fallback", f"{self._fname(fn)} suppresses exceptions", node)
                        if q in ("torch.cuda.stream", "torch.cuda.StreamContext", "torch.cuda.ExternalStream"):
                            self.stream_use = self.stream_use or node.lineno
                elif isinstance(node, ast.Attribute) and node.attr in SYNC_METHODS:
                    self.sync_seen = True
        self._caching(fn, env, tensorish)
        return nxt

    @staticmethod
    def _fname(fn) -> str:
        return getattr(fn, "name", "<lambda>")

    def _walk_no_defs(self, node: ast.AST):
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            for c in ast.iter_child_nodes(n):
                if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    continue
                stack.append(c)

    def _is_autograd_function(self, cls: ast.ClassDef) -> bool:
        return any((self.resolve_import(dotted_name(b)) or "").endswith("autograd.Function") for b in cls.bases)

    def _torch_call(self, q: str, call: ast.Call) -> None:
        if q in ("torch.cuda.Stream", "torch.cuda.ExternalStream", "torch.cuda.stream", "torch.Stream"):
            self.stream_use = self.stream_use or call.lineno
            return
        if q in ("torch.cuda.synchronize", "torch.cuda.current_stream", "torch.accelerator.synchronize"):
            self.sync_seen = self.sync_seen or q.endswith("synchronize")
            return
        if q.startswith("triton") or q.startswith("torch.utils.cpp_extension"):
            return
        parts = q.split(".")
        if parts[0] != "torch":
            return
        leaf = parts[-1]
        if len(parts) >= 3 and parts[1] == "nn" and parts[2] == "functional":
            if leaf not in F_NONCOMPUTE:
                self.torch_ops.setdefault(f"F.{leaf}", call.lineno)
            return
        if len(parts) >= 2 and parts[1] in ("cuda", "backends", "utils", "jit", "profiler", "autograd", "_C", "distributed",
                                            "testing", "library", "ops", "random", "overrides", "fx", "hub"):
            if parts[1] == "ops":
                self.torch_ops.setdefault(q, call.lineno)
            return
        if leaf == "compile":
            self.torch_ops.setdefault("torch.compile", call.lineno)
            return
        if is_compute_name(leaf):
            self.torch_ops.setdefault(f"torch.{leaf}" if len(parts) == 2 else q, call.lineno)

    def _unknown_call(self, call: ast.Call, env: dict, tensorish: set[str]) -> None:
        f = call.func
        if isinstance(f, ast.Attribute):
            if f.attr in TENSOR_COMPUTE_METHODS:
                self.torch_ops.setdefault(f"Tensor.{f.attr}", call.lineno)
            elif f.attr in SYNC_METHODS:
                self.sync_seen = True
            elif f.attr not in TORCH_NONCOMPUTE:
                self.unresolved.add(f.attr)
        elif isinstance(f, ast.Name) and f.id not in BUILTIN_NAMES:
            self.unresolved.add(f.id)

    def _tensorish(self, fn: ast.AST, env: dict) -> set[str]:
        names: set[str] = set()
        args = fn.args
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            ann = a.annotation
            if a.arg == "self" or (isinstance(ann, ast.Name) and ann.id in ("int", "float", "bool", "str")):
                continue
            names.add(a.arg)
        if args.vararg:
            names.add(args.vararg.arg)
        changed = True
        while changed:
            changed = False
            for k, vals in env.items():
                if k in names:
                    continue
                for v in vals:
                    if isinstance(v, ast.AST) and self._derived(v, names):
                        names.add(k)
                        changed = True
                        break
        return names

    def _derived(self, v: ast.AST, names: set[str]) -> bool:
        if isinstance(v, ast.Name):
            return v.id in names
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Attribute):
                if f.attr in METADATA_ATTRS or f.attr in ("item", "tolist", "data_ptr", "numel", "size", "dim"):
                    return False
                return self._derived(f.value, names) or any(self._derived(a, names) for a in v.args)
            return any(self._derived(a, names) for a in v.args)
        if isinstance(v, ast.Attribute):
            return v.attr not in METADATA_ATTRS and self._derived(v.value, names)
        if isinstance(v, ast.BinOp):
            return self._derived(v.left, names) or self._derived(v.right, names)
        if isinstance(v, (ast.Subscript, ast.Starred)):
            return self._derived(v.value, names)
        if isinstance(v, (ast.Tuple, ast.List)):
            return any(self._derived(e, names) for e in v.elts)
        return False

    def _is_tensorish(self, node: ast.AST, names: set[str]) -> bool:
        return self._derived(node, names)

    # -- result caching: persistent containers keyed by (or compared with) tensor identity/content
    def _content_expr(self, node: ast.AST, tensorish: set[str]) -> str | None:
        """Text of a sub-expression that reads a tensor's identity or values (not just its metadata)."""
        for n in ast.walk(node):
            if isinstance(n, ast.Attribute) and n.attr in ("_version", "_cdata", "data_ptr", "untyped_storage",
                                                           "storage", "_storage", "__array_interface__"):
                return ast.unparse(n)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("id", "hash") and n.args:
                if self._derived(n.args[0], tensorish) or isinstance(n.args[0], ast.Name) and n.args[0].id in tensorish:
                    return ast.unparse(n)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                    n.func.attr in ("item", "tolist", "tobytes", "numpy", "sum", "mean", "__hash__") and \
                    self._derived(n.func.value, tensorish | {"_"}):
                return ast.unparse(n)
        return None

    def _persistent(self, node: ast.AST) -> bool:
        root = node
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            return root.id == "self" or (root.id in self.module_env and root.id not in self.functions)
        return False

    def _caching(self, fn: ast.AST, env: dict, tensorish: set[str]) -> None:
        keyed: dict[str, ast.AST] = {}
        for k, vals in env.items():
            for v in vals:
                if isinstance(v, ast.AST) and self._content_expr(v, tensorish):
                    keyed[k] = v
        def content(node):
            c = self._content_expr(node, tensorish)
            if c:
                return c
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in keyed:
                    return ast.unparse(keyed[n.id])
            return None
        for node in self._walk_no_defs(ast.Module(body=fn.body if isinstance(fn.body, list) else [], type_ignores=[])):
            if isinstance(node, ast.Subscript) and self._persistent(node.value):
                c = content(node.slice)
                if c:
                    self.add("result_caching", f"{self._fname(fn)} indexes persistent state with `{c}`", node)
            elif isinstance(node, ast.Compare):
                sides = [node.left] + list(node.comparators)
                if any(self._persistent(s) for s in sides) or any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops):
                    for s in sides:
                        c = content(s)
                        if c and (any(self._persistent(x) for x in sides) or
                                  any(isinstance(x, (ast.Attribute, ast.Name)) and self._persistent(x) for x in sides)):
                            self.add("result_caching", f"{self._fname(fn)} compares `{c}` with persistent state", node)
                            break
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and self._persistent(t):
                        c = content(node.value)
                        if c:
                            self.add("result_caching", f"{self._fname(fn)} stores `{c}` across calls", node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("get", "setdefault", "__contains__", "__getitem__") and \
                    self._persistent(node.func.value) and node.args:
                c = content(node.args[0])
                if c:
                    self.add("result_caching", f"{self._fname(fn)} looks up persistent state by `{c}`", node)
