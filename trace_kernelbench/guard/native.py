"""Facts about the C++/CUDA sources a candidate compiles (the strings it passes to load_inline). C++ has no parser in
the standard library, so this works on a token-level view: comments and string literals removed, function bodies
found by brace matching, calls found as `identifier (`. Standard library only.

What it reports per exported function (the names in `functions=` or `m.def`): whether it reaches a kernel of its
own (a `<<<...>>>` launch of a `__global__` function, or a C++ loop), which library compute routines it calls
(ATen/torch compute ops, cuBLAS, cuDNN, CUB/Thrust), and process-wide hazards anywhere in the source (threads,
signals, memory tampering, file/env access, fd writes, stream creation and synchronisation, precision types,
persisting-L2 settings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from trace_kernelbench.guard.torchops import TORCH_NONCOMPUTE, is_compute_name

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r'R"(?P<d>[^(\s]*)\(.*?\)(?P=d)"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "catch", "do", "else", "case", "new", "delete",
             "static_cast", "reinterpret_cast", "const_cast", "dynamic_cast", "decltype", "alignof", "defined",
             "__launch_bounds__", "TORCH_CHECK", "AT_DISPATCH_FLOATING_TYPES", "C10_CUDA_KERNEL_LAUNCH_CHECK",
             "AT_DISPATCH_FLOATING_TYPES_AND_HALF", "AT_DISPATCH_ALL_TYPES", "PYBIND11_MODULE", "template",
             "__syncthreads", "__shfl_down_sync", "__shfl_xor_sync", "__shfl_sync", "max", "min", "fmaxf", "fminf",
             "expf", "exp", "logf", "sqrtf", "rsqrtf", "tanhf", "erff", "fabsf", "fmaf", "powf"}

# library compute entry points that are not the candidate's own kernel
_LIBRARY = re.compile(r"\b(cublas\w*|cublasLt\w*|cudnn\w*|cusparse\w*|cufft\w*|cusolver\w*|cutlass::\w+|"
                      r"cub::Device\w+|thrust::(?:sort|reduce|transform|inclusive_scan|exclusive_scan|sort_by_key|"
                      r"transform_reduce|copy_if|unique)\w*)\b")
_ATEN_CALL = re.compile(r"\b(?:torch|at|at::native|at::cuda)::(\w+)\s*\(")
_METHOD_CALL = re.compile(r"(?:\.|->)\s*(\w+)\s*\(")
_LAUNCH = re.compile(r"\b(\w+)\s*(?:<[^<>;(){}]*>)?\s*<<<([^;]*?)>>>")
_LAUNCH_BOUNDS = re.compile(r"__launch_bounds__\s*\([^)]*\)")
_GLOBAL = re.compile(r"__global__\b(?:\s+__launch_bounds__\s*\([^)]*\))?[\s\w:<>,*&]*?\b(\w+)\s*\(")
_FUNC_DEF = re.compile(r"(?:^|[;}\n])\s*(?:template\s*<[^{};]*>\s*)?(?:(?:static|inline|__host__|__device__|__global__|"
                       r"__forceinline__|extern|constexpr|__launch_bounds__\s*\([^)]*\))\s+)*"
                       r"[\w:<>,*&\s]+?[\s*&](\w+)\s*\(([^;{}]*)\)\s*(?:const\s*)?(?:noexcept\s*)?\{", re.S)
_MDEF = re.compile(r"\.def\s*\(\s*\"(\w+)\"\s*,\s*&?\s*([\w:]+)")
_LOOP = re.compile(r"\b(for|while)\s*\(|#\s*pragma\s+omp|\bparallel_for\b")

HAZARDS: list[tuple[str, re.Pattern, str]] = [
    ("concurrency", re.compile(r"\bstd::(?:thread|jthread|async)\b|\bpthread_create\b|\.detach\s*\(|\bfork\s*\(|"
                               r"\bvfork\b|\bexecv\w*\s*\(|\bexecl\w*\s*\(|\bsystem\s*\(|\bpopen\s*\(|"
                               r"\bsignal\s*\(|\bsigaction\b|\balarm\s*\(|\bsetitimer\b|\bkill\s*\("),
     "threads, processes or signals in native code"),
    # not exit(): error-check macros call it, and an exit cannot pay (no signed result -> runtime_error)
    ("memory_tampering", re.compile(r"/proc/self|\bmprotect\s*\(|\bdlsym\s*\(|\bdlopen\s*\(|\bRTLD_\w+|"
                                    r"\bprocess_vm_\w+|\bptrace\s*\(|_GLOBAL_OFFSET_TABLE_|\b__libc_\w+|"
                                    r"\bPyObject_SetAttr\w*|\bPyDict_SetItem\w*|\bPyImport_\w+|\bPyRun_\w+|"
                                    r"\bPyEval_\w+|\bPyThreadState\w*"),
     "process memory or interpreter tampering from native code"),
    ("monkey_patching", re.compile(r"\bpy(?:bind11)?::module_?::import\s*\(|\bpy::eval\b|\bpy::exec\b|"
                                   r"\.attr\s*\([^)]*\)\s*=(?!=)"),
     "native code imports or modifies Python modules"),
    ("env_or_file_access", re.compile(r"\bgetenv\s*\(|\bfopen\s*\(|\bstd::[io]?fstream\b|\bifstream\b|\bofstream\b|"
                                      r"\bopendir\s*\(|\breadlink\s*\("),
     "native code reads the environment or files"),
    ("env_tampering", re.compile(r"\bsetenv\s*\(|\bputenv\s*\(|\bunsetenv\s*\("), "native code changes the environment"),
    ("result_channel_forgery", re.compile(r"(?<![\.\w>])(?:::)?write\s*\(\s*\w+\s*,|\bdup2?\s*\(|/dev/fd|\bfdopen\s*\("),
     "native code writes to raw file descriptors"),
    ("l2_persistence", re.compile(r"cudaLimitPersistingL2CacheSize|accessPolicyWindow|cudaAccessPropertyPersisting|"
                                  r"cudaStreamAttributeAccessPolicyWindow|cudaKernelNodeAttributeAccessPolicyWindow|"
                                  r"hitProp\b|cudaStreamSetAttribute|cudaCtxResetPersistingL2Cache"),
     "persisting-L2 cache settings"),
]
_LOW_PRECISION = re.compile(r"\b(?:__half2?|__nv_bfloat162?|nv_bfloat16|__float2half\w*|__half2float|"
                            r"__float2bfloat16\w*|__bfloat162float|kHalf|kBFloat16|at::Half|c10::Half|at::BFloat16|"
                            r"c10::BFloat16|__nv_fp8\w*|wmma::\w+|__float_to_tf32|tf32|CUBLAS_TF32\w*|"
                            r"CUBLAS_COMPUTE_32F_FAST\w*|CUBLAS_TENSOR_OP_MATH|cublasSetMathMode|CUDNN_TENSOR_OP_MATH)\b")
_ASM = re.compile(r'\basm\s*(?:volatile\s*|__volatile__\s*)?\(((?:\s*"(?:\\.|[^"\\])*")+)', re.S)
_STREAM_CREATE = re.compile(r"\bcudaStreamCreate\w*\s*\(|\bgetStreamFromPool\s*\(|\bgetStreamFromExternal\s*\(")
_STREAM_SYNC = re.compile(r"\bcudaStreamSynchronize\s*\(|\bcudaDeviceSynchronize\s*\(|\bcudaStreamWaitEvent\s*\(|"
                          r"\bcudaEventSynchronize\s*\(|\.synchronize\s*\(\s*\)|\bstreamSynchronize\b|\.block\s*\(")


def strip(code: str) -> str:
    """The code with comments and string/char literals blanked out (newlines kept so offsets stay meaningful)."""
    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))
    code = _COMMENT.sub(blank, code)
    return _STRING.sub(lambda m: '""' + blank(m)[2:], code)


def _body_end(code: str, open_brace: int) -> int:
    depth = 0
    for i in range(open_brace, len(code)):
        c = code[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(code) - 1


@dataclass
class NativeFunction:
    name: str
    body: str
    is_global: bool = False
    calls: set[str] = field(default_factory=set)
    launches: set[str] = field(default_factory=set)
    library: set[str] = field(default_factory=set)
    has_loop: bool = False


@dataclass
class NativeReport:
    kernels: list[str] = field(default_factory=list)            # __global__ names
    exported: dict[str, str] = field(default_factory=dict)      # python name -> C++ function
    own_kernel: dict[str, bool] = field(default_factory=dict)   # python name -> reaches a kernel/loop of its own
    library: dict[str, list[str]] = field(default_factory=dict) # python name -> library compute it reaches
    launched: dict[str, list[str]] = field(default_factory=dict)  # python name -> __global__ kernels it launches
    hazards: list[tuple[str, str]] = field(default_factory=list)  # (flag, detail)
    low_precision: list[str] = field(default_factory=list)
    streams_created: bool = False
    streams_synchronised: bool = False


def _functions(code: str) -> dict[str, NativeFunction]:
    funcs: dict[str, NativeFunction] = {}
    for m in _FUNC_DEF.finditer(code):
        name = m.group(1)
        if name in _KEYWORDS:
            continue
        brace = m.end() - 1
        end = _body_end(code, brace)
        body = code[brace + 1:end]
        head = code[m.start():brace]
        fn = funcs.get(name) or NativeFunction(name=name, body="")
        fn.body += "\n" + body
        fn.is_global = fn.is_global or "__global__" in head
        funcs[name] = fn
    for fn in funcs.values():
        b = fn.body
        fn.launches |= {m.group(1) for m in _LAUNCH.finditer(b)}
        if re.search(r"\bcudaLaunch(?:Kernel|CooperativeKernel)\w*\s*\(|\bcuLaunchKernel\s*\(", b):
            fn.launches.add("<cudaLaunchKernel>")
        fn.calls |= {c for c in re.findall(r"\b([A-Za-z_]\w*)\s*(?:<[^<>;(){}]*>)?\s*\(", b)
                     if c in funcs and c != fn.name}
        fn.library |= {m.group(1) for m in _LIBRARY.finditer(b)}
        for m in _ATEN_CALL.finditer(b):
            if is_compute_name(m.group(1)):
                fn.library.add(f"torch::{m.group(1)}")
        for m in _METHOD_CALL.finditer(b):
            name = m.group(1)
            if is_compute_name(name, method=True) and name not in TORCH_NONCOMPUTE:
                fn.library.add(f".{name}()")
        fn.has_loop = bool(_LOOP.search(b))
    return funcs


def analyze_native(cpp: str, cuda: str, functions: list[str] | None) -> NativeReport:
    """Analyse the concatenated C++ and CUDA sources of one extension; `functions` are its exported names (None:
    read `m.def` bindings from the source)."""
    raw = (cpp or "") + "\n" + (cuda or "")
    # __launch_bounds__(...) may stand before or after the return type; it names nothing, so drop it
    code = _LAUNCH_BOUNDS.sub(" ", strip(raw))
    rep = NativeReport()
    rep.kernels = sorted({m.group(1) for m in _GLOBAL.finditer(code)} - _KEYWORDS)
    funcs = _functions(code)
    for k in rep.kernels:
        if k in funcs:
            funcs[k].is_global = True
    if functions is None:
        for m in _MDEF.finditer(raw):       # string literal is the Python name: search the raw text
            rep.exported[m.group(1)] = m.group(2).split("::")[-1]
    else:
        for f in functions:
            rep.exported[f] = f
    for pyname, cname in rep.exported.items():
        seen: set[str] = set()
        stack = [cname]
        own, library, launched = False, set(), set()
        while stack:
            n = stack.pop()
            if n in seen or n not in funcs:
                continue
            seen.add(n)
            fn = funcs[n]
            if fn.is_global:
                own = True
                continue
            real_launches = {k for k in fn.launches if k in rep.kernels or k == "<cudaLaunchKernel>"}
            if real_launches:
                own = True
                launched |= real_launches
            if fn.has_loop and not cuda.strip():
                own = True            # a C++ (CPU) extension: its own loops are its kernel
            library |= fn.library
            stack.extend(fn.calls | {k for k in fn.launches if k in funcs})
        rep.own_kernel[pyname] = own
        rep.library[pyname] = sorted(library)
        rep.launched[pyname] = sorted(launched)
    for flag, pattern, what in HAZARDS:
        m = pattern.search(code) if flag not in ("memory_tampering", "result_channel_forgery") else \
            (pattern.search(code) or pattern.search(_COMMENT.sub(" ", raw)))
        if m:
            rep.hazards.append((flag, f"{what}: `{m.group(0).strip()}`"))
    low = {m.group(0) for m in _LOW_PRECISION.finditer(code)}
    for m in _ASM.finditer(_COMMENT.sub(" ", raw)):      # inline PTX lives in string literals
        low |= {f"asm {t}" for t in re.findall(r"\.(tf32|f16|bf16|e4m3|e5m2)\b", m.group(1))}
    rep.low_precision = sorted(low)
    rep.streams_created = bool(_STREAM_CREATE.search(code))
    rep.streams_synchronised = bool(_STREAM_SYNC.search(code))
    return rep
