"""The names the static analysis knows: modules, calls and attributes by hazard, and small AST helpers."""
from __future__ import annotations

import ast
import builtins

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




def dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def root_name(node: ast.AST) -> str | None:
    """The name at the root of an attribute/subscript/call chain, else None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def const_str(node) -> str | None:
    """The value of a string constant, else None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
