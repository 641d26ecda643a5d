"""Static analysis of a candidate's source: facts from its AST (never regexes over Python), then findings.

Facts: what the module imports and binds; which kernels it defines (load_inline/load extensions with their C++/CUDA
sources, @triton.jit functions); which functions `ModelNew.forward` (and `__call__`, forward hooks) can reach,
following calls into module-level functions, methods, sub-modules defined in the file, `autograd.Function.apply`,
`functools.partial`; which kernels and torch compute ops those functions reach; and process-wide hazards anywhere in
the file (patching, introspection, threads, files, environment, seeds, precision switches, tensor subclasses...).

Standard library only; milliseconds per candidate.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from trace_kernelbench.guard.native import NativeReport, analyze_native
from trace_kernelbench.guard.rules import Finding
from trace_kernelbench.guard.torchops import (DTYPE_RANK, F_NONCOMPUTE, NN_NONCOMPUTE, PRECISION_RANK,
                                              TENSOR_COMPUTE_METHODS, TORCH_NONCOMPUTE, is_compute_name)

BUILD_ENV = frozenset({"TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "CXX", "CC", "CUDA_HOME", "CUDA_PATH",
                       "TORCH_EXTENSIONS_DIR", "NVCC_APPEND_FLAGS", "NVCC_PREPEND_FLAGS", "TORCH_NVCC_FLAGS"})
CONCURRENCY_MODULES = ("threading", "_thread", "multiprocessing", "concurrent", "subprocess", "signal", "asyncio",
                       "sched", "torch.multiprocessing", "pty")
MEMORY_MODULES = ("ctypes", "cffi", "mmap", "_ctypes")
DYNAMIC_MODULES = ("importlib", "runpy", "marshal", "pickle", "dill", "cloudpickle", "types", "code", "codeop")
CHANNEL_MODULES = ("socket", "socketserver", "http", "urllib", "requests")
FILE_MODULES = ("shutil", "glob", "pathlib", "fnmatch", "io", "fileinput")
BUILD_DIR_CALLS = {"tempfile.mkdtemp", "tempfile.gettempdir", "tempfile.TemporaryDirectory", "os.makedirs",
                   "os.mkdir", "os.getcwd"}     # choosing a build directory is not reading files
PROCESS_CALLS = {"os.fork", "os.forkpty", "os.kill", "os.killpg", "os._exit", "os.abort", "os.system", "os.popen",
                 "os.execv", "os.execve", "os.execl", "os.execle", "os.execlp", "os.execvp", "os.execvpe",
                 "os.spawnl", "os.spawnv", "os.spawnve", "os.posix_spawn", "os.posix_spawnp", "sys.exit",
                 "atexit.register", "os.register_at_fork", "os.setpgrp", "os.setsid", "os.nice"}
FD_CALLS = {"os.write", "os.writev", "os.pwrite", "os.pwritev", "os.fdopen", "os.dup", "os.dup2", "os.sendfile",
            "os.pipe", "os.openpty", "os.set_inheritable", "os.close", "os.closerange", "os.ftruncate"}
FILE_CALLS = {"os.open", "os.listdir", "os.scandir", "os.walk", "os.remove", "os.unlink", "os.rename", "os.replace",
              "os.rmdir", "os.removedirs", "os.readlink", "os.stat", "os.lstat",
              "os.chmod", "os.chdir", "os.utime", "os.truncate", "os.symlink", "os.link",
              "io.open", "io.FileIO", "numpy.load", "numpy.fromfile", "numpy.save", "numpy.loadtxt",
              "numpy.savetxt", "numpy.memmap", "torch.load", "torch.save", "torch.from_file",
              "torch.utils.cpp_extension.load"}
ENV_READ_ATTRS = {"get", "copy", "items", "keys", "values", "__getitem__", "__contains__"}
ENV_WRITE_ATTRS = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__"}
RNG_CALLS = {"torch.manual_seed", "torch.seed", "torch.random.manual_seed", "torch.random.seed",
             "torch.set_rng_state", "torch.random.set_rng_state", "torch.cuda.manual_seed",
             "torch.cuda.manual_seed_all", "torch.cuda.seed", "torch.cuda.seed_all", "torch.cuda.set_rng_state",
             "torch.cuda.set_rng_state_all", "torch.cuda.random.manual_seed", "torch.cuda.random.manual_seed_all",
             "random.seed", "random.setstate", "numpy.random.seed", "numpy.random.set_state",
             "torch.default_generator.manual_seed", "torch.default_generator.set_state", "torch.use_deterministic_algorithms"}
GLOBAL_STATE_CALLS = {"torch.set_num_threads", "torch.set_num_interop_threads", "torch.set_default_dtype",
                      "torch.set_default_device", "torch.set_default_tensor_type", "torch.set_flush_denormal",
                      "torch.cuda.set_per_process_memory_fraction", "torch.cuda.set_sync_debug_mode",
                      "torch.set_deterministic_debug_mode", "torch.set_warn_always", "torch.cuda.memory.set_per_process_memory_fraction",
                      "torch.backends.cuda.enable_flash_sdp", "torch.backends.cuda.enable_math_sdp",
                      "torch.backends.cuda.enable_mem_efficient_sdp", "torch.cuda.set_stream", "torch.cuda.set_device"}
PRECISION_CALLS = {"torch.set_float32_matmul_precision", "torch.backends.cuda.matmul.allow_tf32",
                   "torch.autocast", "torch.cuda.amp.autocast", "torch.amp.autocast", "torch.cpu.amp.autocast",
                   "torch.backends.cuda.preferred_blas_library"}
INTROSPECTION_CALLS = {"sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "sys.addaudithook",
                       "sys.call_tracing", "sys.setswitchinterval", "sys.set_asyncgen_hooks", "threading.settrace",
                       "threading.setprofile", "inspect.currentframe", "inspect.stack", "inspect.getouterframes",
                       "inspect.trace", "inspect.getmembers", "inspect.getframeinfo", "gc.get_objects",
                       "gc.get_referrers", "gc.get_referents", "gc.get_stats", "gc.callbacks", "traceback.extract_stack",
                       "traceback.walk_stack", "sys.exc_info", "torch.cuda.memory_snapshot",
                       "torch.cuda.memory._snapshot", "sys.monitoring.register_callback", "sys.monitoring.use_tool_id"}
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
               "f_trace", "__closure__", "__globals__", "__code__", "co_consts", "__self__"}
SUBCLASS_NAMES = {"_make_subclass", "_make_wrapper_subclass", "as_subclass", "TorchDispatchMode", "TorchFunctionMode",
                  "__torch_function__", "__torch_dispatch__", "_disabled_torch_function_impl", "_EnableTorchFunction",
                  "_DisableTorchDispatch", "enable_reentrant_dispatch", "_python_dispatch", "overrides"}
TENSOR_CLASSES = {"torch.Tensor", "torch._C.TensorBase", "torch._C._TensorBase", "torch.nn.Parameter",
                  "torch.nn.parameter.Parameter", "torch.nn.parameter.Buffer"}
SYNC_METHODS = {"wait_stream", "synchronize", "wait_event", "wait"}
METADATA_ATTRS = {"shape", "dtype", "device", "size", "numel", "dim", "ndim", "stride", "is_contiguous", "layout",
                  "is_cuda", "element_size", "nelement", "requires_grad", "is_floating_point", "itemsize", "T"}
BUILTIN_NAMES = set(dir(builtins))
PROTOCOL_HINTS = (('"type"', '"result"'), ('"type": "result"',), ('"status"', '"correct"'), ("'status'", "'correct'"),
                  ('"speedup"',), ("'speedup'",), ('"runtime_ms"',))


# ---------------------------------------------------------------------------------------------- symbols
@dataclass(frozen=True)
class Sym:
    """A statically known value: kind in mod (an imported name, dotted), func, cls, inst, torchmod, ext, extfn,
    triton, self, partial, str."""

    kind: str
    name: str = ""
    ref: object = None           # AST node (function/class), or ext index
    extra: object = None

    def __hash__(self):
        return hash((self.kind, self.name, id(self.ref), str(self.extra)))

    def __eq__(self, other):
        return isinstance(other, Sym) and (self.kind, self.name, id(self.ref), str(self.extra)) == \
            (other.kind, other.name, id(other.ref), str(other.extra))


@dataclass
class Extension:
    index: int
    var_line: int
    name: str
    cpp: str
    cuda: str
    functions: list[str] | None
    native: NativeReport
    from_files: bool = False


@dataclass
class StaticReport:
    backend: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    runtime: dict = field(default_factory=dict)      # hints for the worker's runtime checks

    def to_dict(self) -> dict:
        return {"backend": self.backend, "facts": self.facts, "runtime": self.runtime,
                "findings": [f.to_dict() for f in self.findings]}


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _const_str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# ---------------------------------------------------------------------------------------------- analyzer
class Analyzer:
    def __init__(self, source: str, precision: str = "fp32", reference_source: str | None = None):
        self.source = source
        self.tree = ast.parse(source, filename="candidate.py")
        self.precision = precision
        self.reference_source = reference_source
        self.findings: list[Finding] = []
        self.imports: dict[str, str] = {}          # local name -> dotted module path (or module.attr)
        self.module_env: dict[str, list[ast.AST]] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.parents: dict[int, ast.AST] = {}
        self.extensions: list[Extension] = []
        self.ext_by_call: dict[int, int] = {}
        self.triton_kernels: dict[str, ast.FunctionDef] = {}
        self.triton_nodes: set[int] = set()
        # reachability results
        self.reached_funcs: list[str] = []
        self._visited: set[int] = set()
        self.kernels_reached: set[str] = set()      # "triton:name" | "ext:<i>:<fn>"
        self.torch_ops: dict[str, int] = {}          # op -> first line
        self.operators: dict[str, int] = {}
        self.reached_ext_fns: set[tuple[int, str]] = set()
        self.stream_use: int | None = None
        self.sync_seen = False
        self.unresolved: set[str] = set()
        self.reference_hits: list[tuple[str, int]] = []

    # -- helpers
    def add(self, flag: str, detail: str, node: ast.AST | None = None, source: str = "static") -> None:
        line = getattr(node, "lineno", None)
        if not any(f.flag == flag and f.detail == detail for f in self.findings):
            self.findings.append(Finding(flag, detail, source, line))

    def resolve_import(self, dotted: str | None) -> str | None:
        """Map a dotted expression text to its fully qualified import path (torch.nn.functional.softmax), if its root
        is an imported name."""
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            base = self.imports[head]
            return f"{base}.{rest}" if rest else base
        return None

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
                q = self.resolve_import(_dotted(node.func))
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
                    Analyzer._bind_target(a, b, env)

    def _is_triton_decorator(self, d: ast.AST) -> bool:
        if isinstance(d, ast.Call):
            return self._is_triton_decorator(d.func)
        q = self.resolve_import(_dotted(d)) or ""
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
            return [s for e in node.elts if (s := _const_str(e))]
        if isinstance(node, ast.Dict):
            return [s for k in node.keys if k is not None and (s := _const_str(k))]
        if (s := _const_str(node)):
            return [s]
        return None

    def _add_extension(self, call: ast.Call, inline: bool) -> None:
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        args = list(call.args)

        def arg(i, name):
            return kw.get(name) if name in kw else (args[i] if len(args) > i else None)
        name = _const_str(arg(0, "name")) or f"ext{len(self.extensions)}"
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
                            and len(n.args) >= 2 and _const_str(n.args[0]) == attr:
                        targets = [(None, n.args[1])]
                    elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" and \
                            len(n.args) == 3 and _const_str(n.args[1]) == attr:
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
                        q = self.resolve_import(_dotted(item.context_expr.func)) if isinstance(
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
        return any((self.resolve_import(_dotted(b)) or "").endswith("autograd.Function") for b in cls.bases)

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
                q = self.resolve_import(_dotted(node)) or ""
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
                    q = self.resolve_import(_dotted(b)) or ""
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
        q = self.resolve_import(_dotted(f)) or ""
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
            target = self.resolve_import(_dotted(call.args[0]))
            const = len(call.args) > 1 and _const_str(call.args[1]) is not None
            if target and name in ("setattr", "delattr"):
                self.add("monkey_patching", f"`{name}` on `{target}`", call)
            elif target and not const:
                self.add("dynamic_code", f"`{name}` with a computed name on `{target}`", call)
            elif name != "getattr" and not const and not (isinstance(call.args[0], ast.Name) and
                                                          call.args[0].id == "self"):
                self.add("dynamic_code", f"`{name}` with a computed attribute name", call)
            if name == "getattr" and const and target:
                self._qualified_use(f"{target}.{_const_str(call.args[1])}", call)
        if q:
            self._qualified_use(q, call)
        if isinstance(f, ast.Attribute):
            if f.attr in ("read_text", "read_bytes", "write_text", "write_bytes", "open", "iterdir", "glob", "rglob",
                          "unlink", "touch") and (self.resolve_import(_dotted(f.value)) or "").startswith("pathlib") or \
                    f.attr in ("read_text", "read_bytes", "write_text", "write_bytes"):
                self.add("env_or_file_access", f"calls `.{f.attr}()`", call)
            if f.attr in ("load_library",) and (q.startswith("torch.ops") or q.startswith("torch.classes") or not q):
                self.add("dynamic_code", "loads a native library at run time", call)
            if f.attr in ("write", "writelines") and (self.resolve_import(_dotted(f.value)) or "").startswith(
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
            arg = _const_str(node.args[0]) if isinstance(node, ast.Call) and node.args else None
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
            key = _const_str(node.args[0])
            return key in BUILD_ENV
        if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "update":
            keys = [k.arg for k in node.keywords]
            return bool(keys) and all(k in BUILD_ENV for k in keys)
        return False

    def _subscript_hazard(self, node: ast.Subscript) -> None:
        q = self.resolve_import(_dotted(node.value)) or ""
        if q == "os.environ":
            key = _const_str(node.slice)
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
        dotted = _dotted(t)
        q = self.resolve_import(dotted)
        if q is None:
            # attribute of a value obtained from an imported module (e.g. a class imported by name)
            root = _root_name(t)
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
        keys = [k for n in ast.walk(node) if isinstance(n, ast.Dict) for k in n.keys if _const_str(k)]
        joined = " ".join(texts)
        if keys and {"status", "type", "speedup", "result", "runtime_ms"} & {_const_str(k) for k in keys}:
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
                    ok = (ip is not None and _const_str(ip) in ("ieee",)) or \
                        (at is not None and isinstance(at, ast.Constant) and at.value is False)
                    if not ok:
                        self.add("precision_downgrade", "tl.dot without input_precision=\"ieee\" uses TF32 on an fp32 "
                                 "problem", node)
            elif isinstance(node, ast.Attribute) and id(self._enclosing_def(node)) in self.triton_nodes:
                q = self.resolve_import(_dotted(node)) or ""
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
        q = self.resolve_import(_dotted(node)) or ""
        if q.startswith("torch."):
            return DTYPE_RANK.get(q.split(".", 1)[1])
        s = _const_str(node)
        if s in ("float16", "half", "bfloat16"):
            return 2
        return None

    def _enclosing_def(self, node: ast.AST) -> ast.AST | None:
        p = self.parents.get(id(node))
        while p is not None and not isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
            p = self.parents.get(id(p))
        return p

    # -- verdict-relevant findings from the facts
    def conclude(self) -> None:
        any_kernel_defined = bool(self.triton_kernels) or bool(self.extensions)
        triton_reached = sorted(k.split(":", 1)[1] for k in self.kernels_reached if k.startswith("triton:"))
        own_ext, lib_ext = [], []
        for (idx, fname) in sorted(self.reached_ext_fns):
            ext = self.extensions[idx]
            if ext.from_files:
                own_ext.append(f"{ext.name}.{fname}")      # sources not visible: cannot judge, runtime decides
                continue
            nat = ext.native
            if fname not in nat.own_kernel or nat.own_kernel[fname]:
                own_ext.append(f"{ext.name}.{fname}")   # an unknown export fails at run time, not here
            if nat.library.get(fname):
                lib_ext.append((f"{ext.name}.{fname}", nat.library[fname]))
        own = triton_reached + own_ext
        for detail, line in self.reference_hits[:1]:
            self.add("reference_model_use", detail, ast.Constant(value=None, lineno=line) if line else None)
        if not any_kernel_defined:
            self.add("no_custom_kernel", "the file defines no load_inline/load extension and no @triton.jit kernel; "
                     + (f"forward computes with {', '.join(list(self.torch_ops)[:4])}" if self.torch_ops else
                        "forward launches nothing of its own"))
        elif not self.kernels_reached:
            defined = [f"@triton.jit {k}" for k in self.triton_kernels] + \
                      [f"{e.name}.{f}" for e in self.extensions for f in (e.native.exported or {})] + \
                      ([f"extension {e.name}" for e in self.extensions if not e.native.exported])
            self.add("decoy_kernel", f"{', '.join(defined[:4])} defined but not reachable from ModelNew.forward"
                     + (f", which computes with {', '.join(list(self.torch_ops)[:4])}" if self.torch_ops else ""))
        elif not own:
            if lib_ext:
                name, libs = lib_ext[0]
                self.add("extension_calls_library", f"{name} only calls {', '.join(libs[:4])}", None, "native")
            else:
                self.add("no_custom_kernel", "the extension functions forward calls contain no kernel launch and no "
                         "loop of their own", None, "native")
        unknown_ext_fns = [(idx, f) for (idx, f) in self.reached_ext_fns
                           if self.extensions[idx].native.exported and f not in self.extensions[idx].native.exported
                           and self.extensions[idx].functions is not None]
        for idx, f in unknown_ext_fns[:1]:
            self.unresolved.add(f"{self.extensions[idx].name}.{f}")
        # strict: library compute in forward or in the extension functions it calls
        for op, line in self.torch_ops.items():
            self.add("torch_compute_op", f"forward calls {op}", ast.Constant(value=None, lineno=line) if line else None)
        for name, libs in lib_ext:
            self.add("torch_compute_op", f"{name} calls {', '.join(libs[:4])}", None, "native")
        # native hazards of extensions forward calls (and of any extension: they run code at load too)
        fp_rank = PRECISION_RANK.get(self.precision, 3)
        for e in self.extensions:
            for flag, detail in e.native.hazards:
                self.add(flag, f"extension {e.name}: {detail}", None, "native")
            if fp_rank >= 3 and e.native.low_precision:
                self.add("precision_downgrade", f"extension {e.name} uses {', '.join(e.native.low_precision[:3])} on an "
                         f"fp32 problem", None, "native")
            if e.native.streams_created and not e.native.streams_synchronised:
                self.add("unsynchronised_stream", f"extension {e.name} creates CUDA streams and never synchronises or "
                         "waits on them", None, "native")
        if self.stream_use and not self.sync_seen:
            self.add("unsynchronised_stream", "forward uses a CUDA stream of its own and never waits on it "
                     "(wait_stream / synchronize / event wait)", ast.Constant(value=None, lineno=self.stream_use))

    def run(self) -> StaticReport:
        self.collect()
        self.reach()
        self.hazards()
        self.conclude()
        triton_reached = sorted(k.split(":", 1)[1] for k in self.kernels_reached if k.startswith("triton:"))
        facts = {
            "entry_points": self.reached_funcs[:1],
            "reachable_functions": self.reached_funcs,
            "triton_kernels_defined": sorted(self.triton_kernels),
            "extensions": [{"name": e.name, "functions": sorted(e.native.exported), "cuda_kernels": e.native.kernels,
                            "own_kernel": e.native.own_kernel, "library_calls": e.native.library,
                            "from_files": e.from_files} for e in self.extensions],
            "kernels_reached": sorted(self.kernels_reached),
            "kernels_unreached": sorted(
                [f"triton:{k}" for k in self.triton_kernels if k not in triton_reached] +
                [f"ext:{e.name}.{f}" for e in self.extensions for f in e.native.exported
                 if (e.index, f) not in self.reached_ext_fns]),
            "torch_ops": sorted(self.torch_ops),
            "tensor_operators": sorted(self.operators),
            "streams": bool(self.stream_use) or any(e.native.streams_created for e in self.extensions),
            "unresolved_calls": sorted(self.unresolved)[:20],
        }
        runtime = {
            "triton_kernels": sorted(set(self.triton_kernels)),
            "triton_kernels_reached": triton_reached,
            "cuda_kernels": sorted({k for e in self.extensions for k in e.native.kernels}),
            "ext_functions": {e.name: {f: bool(e.native.own_kernel.get(f)) or e.from_files
                                       for f in e.native.exported} for e in self.extensions},
            "ext_from_files": [e.name for e in self.extensions if e.from_files],
        }
        return StaticReport(backend="", findings=self.findings, facts=facts, runtime=runtime)


def analyze_source(source: str, precision: str = "fp32", reference_source: str | None = None,
                   backend: str | None = None) -> StaticReport:
    """Facts and findings for one candidate. Never raises for a candidate that parses; a SyntaxError propagates."""
    an = Analyzer(source, precision, reference_source)
    try:
        rep = an.run()
    except RecursionError:
        rep = StaticReport(backend="", findings=[Finding("dynamic_code", "the source is too deeply nested to analyse")])
    if backend is None:
        from trace_kernelbench.evaluation.precheck import detect_backend
        backend = detect_backend(an.tree)
    rep.backend = backend
    return rep
