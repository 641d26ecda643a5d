"""Runtime checks the isolated worker runs around the candidate. GPU-side: torch and the standard library only.

The worker creates one `RuntimeGuard` per job, before any candidate code exists in the process, and calls it:

  snapshot()            trusted functions, flags, environment, threads, reference state (before loading the candidate)
  wrap_extension()      from BuildRecorder: counts calls into the candidate's compiled functions
  install_triton_hooks() counts launches of the candidate's @triton.jit kernels
  verify(phase)         after loading, after correctness, after timing: anything replaced is reported and restored
  poison()              before each candidate call: freed memory the candidate could pick up is filled with a
                        NaN pattern; outputs that still hold it were never written
  observe_call()        around each checked forward: proof the candidate's kernel ran
  check_outputs()       plain dense torch.Tensor, no input aliasing, no poison; inputs compared with their clones
  fresh_checks()        new inputs under a secret seed, candidate first, then the reference on clones (so nothing the
                        reference computed can be reused), output snapshot taken at return (late writes show up)
  timing_hooks()        fresh inputs for every timed call (random positions refreshed in place), a secret sample of
                        timed outputs checked against the reference
  recheck()             suspicious speedups re-measured with a host timer around a device synchronize, plus a
                        determinism re-run

Findings are plain dicts ({flag, detail, source}) the evaluator merges with the static ones and judges by policy.
"""
from __future__ import annotations

import math
import os
import random
import secrets
import statistics
import sys
import threading
import time
import types

import torch

from trace_kernelbench.evaluation.compare import flatten_outputs

# Trusted references, bound at import (the worker imports this module before any candidate code runs).
_perf = time.perf_counter
_mono_ns = time.monotonic_ns
_sleep = time.sleep
_enumerate_threads = threading.enumerate

POISON32 = 0x7FA57FA5          # as fp32: a NaN; as two fp16/bf16 halves: NaNs too
POISON16 = 0x7FA5
POISON64 = 0x7FA57FA57FA57FA5
FRESH_CHECKS = 2               # candidate-first checks on fresh inputs after the correctness trials
CHECK_FRACTION = 1 / 16        # share of timed calls whose output is checked (plus the first and the last)
MAX_TIMED_CHECKS = 12
REFRESH_FRACTION = 1 / 64      # share of input elements replaced before each timed call
LATE_WRITE_WAIT_S = 0.005      # how long a returned output must stay unchanged
MIN_KERNEL_SHARE = 0.5         # strict: custom kernels' share of forward's device (or CPU) time
TIMER_SLACK_MS = 0.1
PEAK_BANDWIDTH = {             # bytes/s by device-name substring; used only for the roofline bound
    "H200": 4.8e12, "H100 PCIe": 2.0e12, "H100": 3.35e12, "H800": 3.35e12, "B200": 8.0e12, "GB200": 8.0e12,
    "A100-SXM4-80GB": 2.04e12, "A100 80GB PCIe": 1.94e12, "A100": 1.56e12, "A10G": 6.0e11, "A10": 6.0e11,
    "L40S": 8.64e11, "L40": 8.64e11, "L4": 3.0e11, "RTX 4090": 1.01e12, "RTX 3090": 9.4e11, "V100": 9.0e11,
    "T4": 3.2e11, "MI300X": 5.3e12,
}
BUILD_ENV = frozenset({"TORCH_CUDA_ARCH_LIST", "MAX_JOBS", "CXX", "CC", "CUDA_HOME", "CUDA_PATH",
                       "TORCH_EXTENSIONS_DIR", "NVCC_APPEND_FLAGS", "NVCC_PREPEND_FLAGS", "TORCH_NVCC_FLAGS",
                       # set by torch and Triton themselves (the profiler this guard runs, torch.compile's caches)
                       "DISABLE_CUPTI_LAZY_REINIT", "TEARDOWN_CUPTI", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR",
                       "TRITON_PTXAS_PATH", "TRITON_LIBDEVICE_PATH", "PATH"})
PRECISION_FLAGS = ("cuda.matmul.allow_tf32", "cudnn.allow_tf32", "float32_matmul_precision", "default_dtype",
                   "cuda.matmul.allow_fp16_reduced_precision_reduction",
                   "cuda.matmul.allow_bf16_reduced_precision_reduction")




def tensor_bytes(x) -> int:
    return sum(t.numel() * t.element_size() for t in flatten_outputs(x) if isinstance(t, torch.Tensor))


def clone_tree(x):
    if isinstance(x, torch.Tensor):
        return x.clone()
    if isinstance(x, (list, tuple)):
        return type(x)(clone_tree(v) for v in x)
    return x


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.numel() == 0:
        return True
    as_int = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}.get(a.element_size(), torch.uint8)
    try:
        return bool(torch.equal(a.reshape(-1).contiguous().view(as_int), b.reshape(-1).contiguous().view(as_int)))
    except (RuntimeError, TypeError):
        return bool(torch.equal(a, b))


def has_poison(t: torch.Tensor) -> bool:
    """True when the tensor's bytes contain the poison pattern (memory nobody wrote since the guard poisoned it)."""
    if not isinstance(t, torch.Tensor) or t.numel() == 0 or t.layout != torch.strided:
        return False
    try:
        flat = t.detach().reshape(-1).contiguous()
        size = flat.element_size()
        if size == 4:
            return bool((flat.view(torch.int32) == POISON32).any())
        if size == 2:
            return bool((flat.view(torch.int16) == POISON16).any())
        if size == 8:
            return bool((flat.view(torch.int64) == POISON64).any())
    except (RuntimeError, TypeError):
        return False
    return False


def _storage_ptr(t: torch.Tensor) -> int:
    try:
        s = t.untyped_storage()
        return s.data_ptr() if s.nbytes() else 0
    except (RuntimeError, NotImplementedError):
        return 0


def aliases(out, args) -> list[bool]:
    """For each output tensor: does it share storage with an input tensor?"""
    ins = {p for a in flatten_outputs(list(args)) if isinstance(a, torch.Tensor) and (p := _storage_ptr(a))}
    return [isinstance(o, torch.Tensor) and _storage_ptr(o) in ins for o in flatten_outputs(out)]


def peak_bandwidth(device_name: str) -> float | None:
    for key, bw in PEAK_BANDWIDTH.items():
        if key in (device_name or ""):
            return bw
    return None


class _Restore:
    """Where a snapshotted object lives, so a replaced one can be put back."""

    __slots__ = ("owner", "name", "value", "label", "kind")

    def __init__(self, owner, name, value, label, kind):
        self.owner, self.name, self.value, self.label, self.kind = owner, name, value, label, kind


class RuntimeGuard:
    def __init__(self, config: dict | None, device: torch.device, precision: str = "fp32"):
        cfg = dict(config or {})
        self.enabled = bool(cfg.get("enabled", True))
        self.policy = cfg.get("policy", "kernelbench")
        self.device = device
        self.cuda = device.type == "cuda"
        self.precision = precision
        self.speedup_factor = float(cfg.get("speedup_factor", 10.0))
        hints = cfg.get("static", {}) or {}
        self.triton_names = set(hints.get("triton_kernels", []))
        self.cuda_kernel_names = set(hints.get("cuda_kernels", []))
        self.ext_own: dict[str, dict[str, bool]] = hints.get("ext_functions", {}) or {}
        self.findings: list[dict] = []
        self.facts: dict = {"calls_observed": 0, "calls_without_kernel": 0, "fresh_checks": 0, "timed_checks": 0}
        self.seconds = 0.0                      # time spent in guard work (for the overhead report)
        self.sections: dict[str, float] = {}    # the same, by kind of work
        self.ext_calls: dict[str, list] = {}    # "ext.fn" -> [count, seconds]
        self.triton_launches: dict[str, int] = {}
        self.timing_share = False
        self._own_counter = [0]                 # launches of the candidate's own kernels (ext own + triton)
        self._lib_counter = [0]
        self._snap: list[_Restore] = []
        self._flags0: dict = {}
        self._env0: dict = {}
        self._threads0: set[int] = set()
        self._os_threads0 = 0
        self._ref_state: list = []
        self._trace0 = None
        self._stacks0 = (0, 0)
        self._hooks0: dict[str, int] = {}
        self._poison_sizes: set[int] = set()
        self._rng = random.Random(secrets.randbits(64))
        self._gen: torch.Generator | None = None
        self._before = 0
        self.forward_seconds = 0.0
        self.timing_share = self.enabled and self.policy == "strict" and not self.cuda
        self._extra_classes: list = []

    # ------------------------------------------------------------------------------------------ bookkeeping
    def add(self, flag: str, detail: str) -> None:
        if not any(f["flag"] == flag for f in self.findings):
            self.findings.append({"flag": flag, "detail": detail, "source": "runtime"})

    def flagged(self) -> set[str]:
        return {f["flag"] for f in self.findings}

    def report(self) -> dict:
        share = self.facts.get("kernel_share")
        out = dict(self.facts)
        out["ext_calls"] = {k: v[0] for k, v in self.ext_calls.items()}
        out["triton_launches"] = dict(self.triton_launches)
        out["guard_seconds"] = round(self.seconds, 4)
        out["guard_sections"] = {k: round(v, 4) for k, v in sorted(self.sections.items(), key=lambda kv: -kv[1])}
        if share is not None:
            out["kernel_share"] = round(share, 4)
        return {"runtime": out, "findings": list(self.findings)}

    class _Timer:
        def __init__(self, g, section):
            self.g, self.section = g, section

        def __enter__(self):
            self.t0, self.s0 = _perf(), self.g.seconds

        def __exit__(self, *exc):
            self.g.spent(self.section, self.t0, self.s0)

    def timer(self, section: str):
        return RuntimeGuard._Timer(self, section)

    def spent(self, section: str, t0: float, s0: float) -> None:
        """Account the guard work done since `_perf()` was t0 and `self.seconds` was s0: in total and by section
        (the overhead report shows where the time goes); work already accounted inside it counts once."""
        own = (_perf() - t0) - (self.seconds - s0)
        self.seconds += own
        self.sections[section] = self.sections.get(section, 0.0) + own

    # ------------------------------------------------------------------------------------------ snapshot / verify
    def _trusted_modules(self) -> list:
        import json
        import json.encoder
        import hashlib
        import hmac as _hmac
        import builtins
        mods = [time, os, os.path, json, json.encoder, math, statistics, secrets, hashlib, _hmac, builtins, threading,
                sys, random, torch, torch.cuda, torch.nn.functional, torch.autograd, torch.nn.modules.module,
                torch.backends, torch.random]
        for name in list(sys.modules):
            if name.startswith("trace_kernelbench.evaluation") or name.startswith("trace_kernelbench.guard"):
                m = sys.modules.get(name)
                if isinstance(m, types.ModuleType):
                    mods.append(m)
        return mods

    def _trusted_classes(self) -> list:
        classes = [torch.Tensor, torch._C.TensorBase if hasattr(torch._C, "TensorBase") else torch.Tensor,
                   torch.nn.Module, torch.nn.Parameter, torch.cuda.Event, torch.cuda.Stream, torch.Generator,
                   threading.Thread, json_encoder_class()]
        for obj in vars(torch.nn.modules).values():
            if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
                classes.append(obj)
        for name in list(sys.modules):
            if name.startswith("trace_kernelbench.evaluation") or name.startswith("trace_kernelbench.guard"):
                m = sys.modules.get(name)
                for obj in list(vars(m).values()) if m else []:
                    if isinstance(obj, type) and getattr(obj, "__module__", "") == name:
                        classes.append(obj)
        return classes

    def snapshot(self, reference_module=None, reference_model=None, extra_modules=()) -> None:
        """Record everything the candidate must not change. Call before the candidate is imported."""
        if not self.enabled:
            return
        with self.timer("snapshot"):
            snap: list[_Restore] = []
            seen_mods: set[int] = set()
            extra = [m for m in extra_modules if isinstance(m, types.ModuleType)]
            for m in self._trusted_modules() + extra + ([reference_module] if reference_module is not None else []):
                if id(m) in seen_mods:
                    continue
                seen_mods.add(id(m))
                d = vars(m)
                for k, v in list(d.items()):
                    if callable(v) or isinstance(v, (type, types.ModuleType)):
                        snap.append(_Restore(m, k, v, f"{m.__name__}.{k}", "module"))
            seen_cls: set[int] = set()
            classes = self._trusted_classes() + list(self._extra_classes)
            for m in extra:
                classes += [o for o in vars(m).values() if isinstance(o, type) and o.__module__ == m.__name__]
            if reference_model is not None:
                classes.append(type(reference_model))
            for c in classes:
                if id(c) in seen_cls:
                    continue
                seen_cls.add(id(c))
                for k, v in list(vars(c).items()):
                    snap.append(_Restore(c, k, v, f"{getattr(c, '__qualname__', c)}.{k}", "class"))
                snap.append(_Restore(c, None, frozenset(vars(c)), f"{getattr(c, '__qualname__', c)}", "keys"))
            for name in list(sys.modules):
                if name.startswith(("trace_kernelbench.evaluation", "trace_kernelbench.guard")) or name in (
                        "torch", "time", "os", "json"):
                    snap.append(_Restore(sys.modules, name, sys.modules[name], f"sys.modules[{name!r}]", "mapping"))
            self._snap = snap
            self._flags0 = self.precision_flags()
            self._env0 = dict(os.environ)
            self._threads0 = {t.ident for t in _enumerate_threads()}
            self._os_threads0 = self.os_threads()
            self._trace0 = (sys.gettrace(), sys.getprofile(),
                            getattr(threading, "gettrace", lambda: None)(),
                            getattr(threading, "getprofile", lambda: None)())
            self._stacks0 = self._mode_stacks()
            import torch.nn.modules.module as nnm
            self._hooks0 = {k: len(v) for k, v in vars(nnm).items() if k.startswith("_global_") and hasattr(v, "__len__")}
            self._ref_state = []
            if reference_model is not None:
                for name, t in list(reference_model.state_dict(keep_vars=True).items()):
                    if isinstance(t, torch.Tensor) and t.numel():
                        idx = self._secret_positions(t)
                        self._ref_state.append((name, t, idx, self._sample(t, idx)))
                self._ref_hooks0 = self._module_hooks(reference_model)
                self._ref_model = reference_model

    @staticmethod
    def _module_hooks(model) -> int:
        n = 0
        for m in model.modules():
            for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_forward_hooks_with_kwargs",
                         "_forward_pre_hooks_with_kwargs", "_state_dict_hooks", "_load_state_dict_pre_hooks"):
                n += len(getattr(m, attr, {}) or {})
            n += len(type(m).__dict__) + int("forward" in vars(m))
        return n

    def _secret_positions(self, t: torch.Tensor) -> torch.Tensor:
        """Up to 4096 positions of a tensor, drawn with this job's secret randomness (cheap to re-read, and a
        candidate cannot know which entries are watched)."""
        n = t.numel()
        k = min(n, 4096)
        pos = sorted(self._rng.sample(range(n), k)) if n > k else list(range(n))
        return torch.tensor(pos, dtype=torch.long, device=t.device)

    @staticmethod
    def _sample(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return t.detach().reshape(-1).index_select(0, idx).clone()

    @staticmethod
    def _mode_stacks() -> tuple:
        f = getattr(torch._C, "_len_torch_function_stack", None)
        d = getattr(torch._C, "_len_torch_dispatch_stack", None)
        return (f() if f else 0, d() if d else 0)

    @staticmethod
    def os_threads() -> int:
        try:
            return len(os.listdir("/proc/self/task"))
        except OSError:
            return threading.active_count()

    @staticmethod
    def precision_flags() -> dict:
        b = torch.backends
        flags = {
            "cuda.matmul.allow_tf32": b.cuda.matmul.allow_tf32,
            "cudnn.allow_tf32": b.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "default_dtype": str(torch.get_default_dtype()),
            "cuda.matmul.allow_fp16_reduced_precision_reduction":
                getattr(b.cuda.matmul, "allow_fp16_reduced_precision_reduction", None),
            "cuda.matmul.allow_bf16_reduced_precision_reduction":
                getattr(b.cuda.matmul, "allow_bf16_reduced_precision_reduction", None),
            "cudnn.benchmark": b.cudnn.benchmark,
            "cudnn.deterministic": b.cudnn.deterministic,
            "cudnn.enabled": b.cudnn.enabled,
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "num_threads": torch.get_num_threads(),
        }
        return {k: (v if isinstance(v, (bool, int, float, str)) or v is None else str(v)) for k, v in flags.items()}

    def verify(self, phase: str) -> list[str]:
        """Compare everything snapshotted; report (and restore) what changed. Returns the flags raised."""
        if not self.enabled or not self._snap:
            return []
        before = self.flagged()
        with self.timer("verify"):
            changed: list[str] = []
            for r in self._snap:
                if r.kind == "keys":
                    now = frozenset(vars(r.owner))
                    extra = sorted(k for k in now - r.value if not k.startswith("_abc_") and k != "__slotnames__")
                    if extra:
                        changed.append(f"{r.label}.{extra[0]} (added)")
                        for k in extra:
                            try:
                                type.__delattr__(r.owner, k)
                            except (TypeError, AttributeError):
                                pass
                    continue
                if r.kind == "mapping":
                    cur = r.owner.get(r.name)
                    if cur is not r.value:
                        changed.append(r.label)
                        r.owner[r.name] = r.value
                    continue
                d = vars(r.owner)
                cur = d.get(r.name, _MISSING)
                if cur is not r.value:
                    changed.append(r.label)
                    try:
                        if r.kind == "module":
                            d[r.name] = r.value
                        else:
                            type.__setattr__(r.owner, r.name, r.value)
                    except (TypeError, AttributeError):
                        pass
            trace = (sys.gettrace(), sys.getprofile(), getattr(threading, "gettrace", lambda: None)(),
                     getattr(threading, "getprofile", lambda: None)())
            if trace != self._trace0:
                changed.append("sys.settrace/setprofile hook")
                sys.settrace(self._trace0[0])
                sys.setprofile(self._trace0[1])
                threading.settrace(self._trace0[2]) if hasattr(threading, "settrace") else None
                threading.setprofile(self._trace0[3]) if hasattr(threading, "setprofile") else None
            if self._mode_stacks() != self._stacks0:
                changed.append("a torch function/dispatch mode was left active")
            import torch.nn.modules.module as nnm
            hooks = {k: len(v) for k, v in vars(nnm).items() if k.startswith("_global_") and hasattr(v, "__len__")}
            for k, n in hooks.items():
                if n != self._hooks0.get(k, 0):
                    changed.append(f"torch.nn global hook registry {k}")
            if changed:
                self.add("patched_function", f"after {phase}: {', '.join(changed[:4])}"
                         + (f" and {len(changed) - 4} more" if len(changed) > 4 else ""))
            flags = self.precision_flags()
            diff = {k: (self._flags0.get(k), v) for k, v in flags.items() if self._flags0.get(k) != v}
            prec = {k: v for k, v in diff.items() if k in PRECISION_FLAGS}
            other = {k: v for k, v in diff.items() if k not in PRECISION_FLAGS}
            if prec:
                k, (a, b) = next(iter(prec.items()))
                self.add("precision_flags_changed", f"after {phase}: {k} {a} -> {b}")
            if other:
                k, (a, b) = next(iter(other.items()))
                self.add("global_state_change", f"after {phase}: {k} {a} -> {b}")
            self._restore_flags()
            env = dict(os.environ)
            keys = {k for k in set(env) | set(self._env0) if env.get(k) != self._env0.get(k) and k not in BUILD_ENV}
            if keys:
                self.add("env_tampering", f"after {phase}: environment variable {sorted(keys)[0]} changed")
            threads = [t for t in _enumerate_threads() if t.ident not in self._threads0 and t.is_alive()]
            if threads:
                self.add("thread_started", f"after {phase}: thread {threads[0].name!r} is running")
            self.facts[f"os_threads_after_{phase}"] = self.os_threads()
            self.check_reference_state(phase)
        return sorted(self.flagged() - before)

    def check_reference_state(self, phase: str) -> None:
        """The reference model's parameters and buffers must be as the reference itself left them."""
        model = getattr(self, "_ref_model", None)
        if model is not None and self._module_hooks(model) != self._ref_hooks0:
            self.add("evaluator_access", f"after {phase}: hooks or methods were added to the reference model")
        for name, t, idx, values in self._ref_state:
            if not bitwise_equal(self._sample(t, idx), values):
                self.add("evaluator_access", f"after {phase}: the reference model's {name} was modified")
                break

    def reference_ran(self) -> None:
        """The guard ran the reference (which may update its own buffers, e.g. batch-norm statistics)."""
        self._ref_state = [(name, t, idx, self._sample(t, idx)) for name, t, idx, _ in self._ref_state]

    def _restore_flags(self) -> None:
        f = self._flags0
        if not f:
            return
        b = torch.backends
        try:
            b.cuda.matmul.allow_tf32 = f["cuda.matmul.allow_tf32"]
            b.cudnn.allow_tf32 = f["cudnn.allow_tf32"]
            torch.set_float32_matmul_precision(f["float32_matmul_precision"])
            b.cudnn.benchmark = f["cudnn.benchmark"]
            b.cudnn.deterministic = f["cudnn.deterministic"]
            b.cudnn.enabled = f["cudnn.enabled"]
            if torch.get_num_threads() != f["num_threads"]:
                torch.set_num_threads(f["num_threads"])
        except (RuntimeError, AttributeError, KeyError, TypeError):
            pass

    # ------------------------------------------------------------------------------------------ launch counting
    def wrap_extension(self, name: str, module) -> None:
        """Replace the exported functions of a freshly loaded extension by counting wrappers."""
        if not self.enabled or module is None or getattr(module, "__tkb_guarded__", False):
            return
        own_map = self.ext_own.get(str(name), {})
        guard = self
        for fname in dir(module):
            if fname.startswith("_"):
                continue
            fn = getattr(module, fname, None)
            if not callable(fn) or isinstance(fn, type):
                continue
            key = f"{name}.{fname}"
            own = own_map.get(fname, True) if own_map else True
            rec = guard.ext_calls.setdefault(key, [0, 0.0])
            counter = guard._own_counter if own else guard._lib_counter

            def make(fn=fn, rec=rec, counter=counter):
                def call_extension(*args, **kwargs):
                    if guard.timing_share:
                        t0 = _perf()
                        out = fn(*args, **kwargs)
                        rec[1] += _perf() - t0
                    else:
                        out = fn(*args, **kwargs)
                    rec[0] += 1          # counted once the call returned
                    counter[0] += 1
                    return out
                call_extension.__name__ = getattr(fn, "__name__", fname)
                call_extension.__doc__ = getattr(fn, "__doc__", None)
                return call_extension
            try:
                setattr(module, fname, make())
            except (AttributeError, TypeError):
                pass
        try:
            module.__tkb_guarded__ = True
        except (AttributeError, TypeError):
            pass

    def install_triton_hooks(self) -> None:
        """Count launches of @triton.jit functions defined in the candidate file (compiled and interpreted)."""
        if not self.enabled or (not self.triton_names and "triton" not in sys.modules):
            return
        try:
            import triton.runtime.jit as tjit
        except Exception:  # noqa: BLE001 - no triton: nothing to count
            return
        classes = [tjit.JITFunction]
        try:
            import triton.runtime.interpreter as tint
            classes.append(tint.InterpretedFunction)
        except Exception:  # noqa: BLE001
            pass
        guard = self
        for cls in classes:
            orig = cls.__dict__.get("run")
            if orig is None or getattr(orig, "__tkb_guarded__", False):
                continue

            def make(orig=orig):
                def run(self_, *args, grid, warmup, **kwargs):
                    result = orig(self_, *args, grid=grid, warmup=warmup, **kwargs)
                    if not warmup:       # counted once the launch went through
                        fn = getattr(self_, "fn", None)
                        code = getattr(fn, "__code__", None)
                        if code is not None and os.path.basename(code.co_filename) == "candidate.py":
                            name = getattr(fn, "__name__", "?")
                            guard.triton_launches[name] = guard.triton_launches.get(name, 0) + 1
                            guard._own_counter[0] += 1
                    return result
                run.__tkb_guarded__ = True
                return run
            setattr(cls, "run", make())
            self._extra_classes.append(cls)

    def launches(self) -> int:
        return self._own_counter[0]

    def call(self, model, args):
        """One correctness call: poison freed memory, count launches, time it (CPU kernel share)."""
        if not self.enabled:
            return model(*args)
        self.poison()
        self._before = self._own_counter[0]
        t0 = _perf()
        out = model(*args)
        self.forward_seconds += _perf() - t0
        return out

    def after_call(self, out, args, originals, ref_out, ref_aliases) -> None:
        if not self.enabled:
            return
        self.observe(self._before)
        self.check_call(out, args, originals, ref_out, ref_aliases)

    def observe(self, before: int) -> bool:
        """After one forward: did the candidate's own kernel run? Records a finding if not."""
        if not self.enabled:
            return True
        self.facts["calls_observed"] += 1
        ran = self._own_counter[0] > before
        if not ran:
            self.facts["calls_without_kernel"] += 1
            has_kernels = bool(self.triton_names or self.ext_own or self.ext_calls)
            if has_kernels:
                self.add("kernel_not_run", "a forward call launched none of the candidate's kernels "
                         f"(extension calls: {sum(v[0] for v in self.ext_calls.values())}, "
                         f"triton launches: {sum(self.triton_launches.values())})")
        return ran

    # ------------------------------------------------------------------------------------------ memory poison
    def note_sizes(self, tensors) -> None:
        for t in flatten_outputs(list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]):
            if isinstance(t, torch.Tensor) and t.numel():
                self._poison_sizes.add(int(t.numel() * t.element_size()))

    def poison(self) -> None:
        """Fill memory the candidate's next allocations are likely to get (freed blocks the reference left behind)
        with the poison pattern."""
        if not self.enabled:
            return
        with self.timer("poison"):
            hold = []
            try:
                if self.cuda:
                    idx = self.device.index if self.device.index is not None else torch.cuda.current_device()
                    sizes = []
                    for seg in torch.cuda.memory_snapshot():
                        if seg.get("device") != idx:
                            continue
                        for b in seg.get("blocks", []):
                            if b.get("state") == "inactive" and b.get("size", 0) >= 512:
                                sizes.append(int(b["size"]))
                    sizes += sorted(self._poison_sizes)
                    for sz in sorted(sizes, reverse=True)[:4096]:
                        t = torch.empty((sz + 3) // 4, dtype=torch.int32, device=self.device)
                        hold.append(t)
                    for t in hold:
                        t.fill_(POISON32)
                else:
                    for sz in sorted(self._poison_sizes):
                        for _ in range(2):
                            t = torch.empty((sz + 3) // 4, dtype=torch.int32)
                            t.fill_(POISON32)
                            hold.append(t)
            except RuntimeError:
                pass
            del hold

    # ------------------------------------------------------------------------------------------ output checks
    def check_call(self, out, args, originals, ref_out, ref_aliases: list[bool] | None) -> None:
        """Output type/layout/aliasing/poison and input mutation after one candidate call."""
        with self.timer("output_checks"):
            refs = flatten_outputs(ref_out)
            outs = flatten_outputs(out)
            for i, o in enumerate(outs):
                r = refs[i] if i < len(refs) else None
                if isinstance(r, torch.Tensor) or isinstance(o, torch.Tensor):
                    if type(o) is not torch.Tensor and type(o) is not type(r):
                        self.add("output_not_plain_tensor", f"output {i} is a {type(o).__module__}.{type(o).__qualname__}")
                    elif isinstance(o, torch.Tensor) and (o.layout != torch.strided or getattr(o, "is_nested", False)):
                        self.add("output_not_plain_tensor", f"output {i} has layout {o.layout}")
            if any(type(o) is not torch.Tensor for o in outs if isinstance(o, torch.Tensor)):
                return       # do not touch a subclass any further (its methods are the candidate's code)
            al = aliases(out, args)
            for i, a in enumerate(al):
                if a and not (ref_aliases and i < len(ref_aliases) and ref_aliases[i]):
                    self.add("output_aliases_input", f"output {i} shares memory with an input")
            for i, o in enumerate(outs):
                if isinstance(o, torch.Tensor) and has_poison(o):
                    self.add("uninitialised_output", f"output {i} holds the evaluator's poison pattern (bytes the "
                             "kernel never wrote)")
            for i, (a, b) in enumerate(zip(args, originals)):
                if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and not bitwise_equal(a, b):
                    self.add("input_mutation", f"input {i} changed during forward")

    # ------------------------------------------------------------------------------------------ fresh checks
    def fresh_checks(self, make_inputs, call_candidate, call_reference, compare, sync, n: int = FRESH_CHECKS,
                     ref_aliases=None) -> None:
        """Candidate first on inputs nobody has seen, reference afterwards on clones; output snapshot at return."""
        if not self.enabled:
            return
        for i in range(n):
            t0, s0 = _perf(), self.seconds
            inputs = make_inputs(secrets.randbelow(2**31 - 1))
            originals = clone_tree(inputs)
            self.note_sizes(inputs)
            self.poison()
            before = self.launches()
            self.spent("fresh_checks", t0, s0)
            profile = self.cuda and i == 0
            if profile:
                out, snap, prof = self._run_profiled(call_candidate, inputs, sync)
            else:
                out, prof = call_candidate(inputs), None
                snap = self._snapshot_output(out)     # on the current stream, before any synchronize
            t1, s1 = _perf(), self.seconds
            sync()
            self.observe(before)
            if prof is not None:
                self._kernel_share(prof)
            self.check_reference_state(f"fresh-input check {i + 1}")
            ref_out = call_reference(clone_tree(originals))
            sync()
            self.reference_ran()
            self.check_call(out, inputs, originals, ref_out, ref_aliases)
            self.facts["fresh_checks"] += 1
            if snap is not out:
                cmp = compare(ref_out, snap)
                if not cmp.ok or i == 0:      # late writes: looked for once, and whenever the snapshot is wrong
                    late = self._late_writes(out, snap, sync)
                    if late:
                        self.add("output_written_after_return", late)
                if not cmp.ok:
                    self.add("fresh_input_mismatch", f"fresh-input check {i + 1}: {cmp.reason}")
            del out, snap, ref_out
            self.spent("fresh_checks", t1, s1)
            if self.flagged() & {"fresh_input_mismatch", "output_written_after_return", "output_not_plain_tensor"}:
                break
        if not self.cuda:
            self.cpu_share(self.forward_seconds)

    def _late_writes(self, out, snap, sync) -> str | None:
        _sleep(LATE_WRITE_WAIT_S)
        sync()
        for i, (o, s) in enumerate(zip(flatten_outputs(out), flatten_outputs(snap))):
            if isinstance(o, torch.Tensor) and isinstance(s, torch.Tensor) and not bitwise_equal(o, s):
                return f"output {i} changed after forward returned"
        return None

    @staticmethod
    def _snapshot_output(out):
        if all(type(o) is torch.Tensor for o in flatten_outputs(out) if isinstance(o, torch.Tensor)):
            return clone_tree(out)
        return out           # a subclass is reported, never touched

    def _run_profiled(self, call_candidate, inputs, sync):
        try:
            from torch.profiler import ProfilerActivity, profile
            prof = profile(activities=[ProfilerActivity.CUDA])
            prof.__enter__()
        except Exception as e:  # noqa: BLE001 - the profiler is optional evidence
            self.facts["profiler"] = f"unavailable: {type(e).__name__}: {str(e)[:80]}"
            out = call_candidate(inputs)
            return out, self._snapshot_output(out), None
        try:
            out = call_candidate(inputs)
            snap = self._snapshot_output(out)
            sync()
        finally:
            prof.__exit__(None, None, None)
        return out, snap, prof

    def _kernel_share(self, prof) -> None:
        """Share of forward's device time spent in the candidate's own kernels (CUDA profiler)."""
        try:
            events = prof.events()
        except Exception:  # noqa: BLE001
            return
        names = self.cuda_kernel_names | self.triton_names
        own = total = 0.0
        kernels: dict[str, float] = {}
        for e in events:
            if getattr(e, "device_type", None) != torch.autograd.DeviceType.CUDA:
                continue
            try:
                t = float(e.time_range.elapsed_us())
            except (AttributeError, TypeError):
                t = float(getattr(e, "device_time_total", 0.0) or 0.0)
            total += t
            kernels[e.name[:80]] = kernels.get(e.name[:80], 0.0) + t
            if any(n and n in e.name for n in names):
                own += t
        self.facts["device_kernels"] = dict(sorted(kernels.items(), key=lambda kv: -kv[1])[:8])
        if total <= 0:
            self.facts["profiler"] = "no device activity recorded"
            return
        self.facts["kernel_share"] = own / total
        if own <= 0 and names:
            self.add("kernel_not_run", "the profiler saw no kernel of the candidate's during forward (device kernels: "
                     + ", ".join(list(kernels)[:3]) + ")")
        elif self.policy == "strict" and own / total < MIN_KERNEL_SHARE:
            self.add("low_kernel_share", f"the candidate's kernels took {100 * own / total:.0f}% of forward's device "
                     "time")

    def cpu_share(self, forward_seconds: float) -> None:
        """CPU: share of forward's wall time spent inside the candidate's own extension functions/kernels."""
        own = sum(v[1] for k, v in self.ext_calls.items())
        if not self.timing_share:
            return
        if forward_seconds > 0 and self.ext_calls and not self.triton_launches:
            share = min(1.0, own / forward_seconds)
            self.facts["kernel_share"] = share
            if self.policy == "strict" and share < MIN_KERNEL_SHARE:
                self.add("low_kernel_share", f"the candidate's extension functions took {100 * share:.0f}% of "
                         "forward's time")

    # ------------------------------------------------------------------------------------------ timing
    def generator(self) -> torch.Generator:
        if self._gen is None:
            self._gen = torch.Generator(device=self.device)
            self._gen.manual_seed(secrets.randbits(62))
        return self._gen

    def refresh(self, work: list, sources: list) -> None:
        """Replace a random REFRESH_FRACTION of every input tensor's elements, in place, with the values at the same
        positions of another input set drawn from the same distribution (position-wise structure is kept)."""
        g = self.generator()
        for w, s in zip(work, sources):
            if not (isinstance(w, torch.Tensor) and isinstance(s, torch.Tensor)) or w.numel() == 0 or \
                    w.shape != s.shape:
                continue
            if not (w.is_contiguous() and s.is_contiguous()):
                w.copy_(s)
                continue
            n = w.numel()
            k = max(1, int(n * REFRESH_FRACTION))
            idx = torch.randint(0, n, (k,), device=w.device, generator=g)
            fw, fs = w.view(-1), s.view(-1)
            fw.index_copy_(0, idx, fs.index_select(0, idx))

    def timing_hooks(self, model_new, base_inputs: list, other_inputs: list, call_reference, compare, sync,
                     warmup_runs: int = 0):
        """(fn, before_each, finish) for time_callable: every call gets refreshed inputs; a secret sample of the
        outputs (and always the last) is checked against the reference run afterwards on clones of those inputs."""
        work = clone_tree(list(base_inputs))
        pools = [clone_tree(list(base_inputs)), list(other_inputs)]
        state = {"out": None, "clones": None, "calls": 0, "pool": 0, "before": 0, "nokernel": 0, "checks": 0,
                 "warmup": warmup_runs}

        def check_pending():
            if state["clones"] is None or state["out"] is None:
                return
            with self.timer("timed_checks"):
                self.check_reference_state("timing")
                ref_out = call_reference(state["clones"])
                self.reference_ran()
                cmp = compare(ref_out, state["out"])
                self.facts["timed_checks"] += 1
                if not cmp.ok:
                    self.add("timed_output_mismatch", f"timed call {state['calls']}: {cmp.reason}")
                state["clones"] = None

        def before_each():
            t0, s0 = _perf(), self.seconds
            if state["calls"]:
                if self._own_counter[0] == state["before"]:
                    state["nokernel"] += 1
                check_pending()
            state["out"] = None
            with self.timer("refresh"):
                self.refresh(work, pools[state["pool"]])
            state["pool"] ^= 1
            first = state["calls"] == state["warmup"]
            if state["checks"] < MAX_TIMED_CHECKS and (first or self._rng.random() < CHECK_FRACTION):
                state["clones"] = clone_tree(work)
                state["checks"] += 1
            state["before"] = self._own_counter[0]
            self.spent("timed_calls", t0, s0)

        def fn():
            state["out"] = model_new(*work)
            state["calls"] += 1

        def finish():
            t0, s0 = _perf(), self.seconds
            if state["calls"] and self._own_counter[0] == state["before"]:
                state["nokernel"] += 1
            if state["clones"] is None and state["out"] is not None:
                self.check_reference_state("timing")
                ref_out = call_reference(clone_tree(work))   # the last call's inputs are still `work`
                self.reference_ran()
                cmp = compare(ref_out, state["out"])
                self.facts["timed_checks"] += 1
                if not cmp.ok:
                    self.add("timed_output_mismatch", f"last timed call: {cmp.reason}")
            else:
                check_pending()
            if state["nokernel"] and (self.triton_names or self.ext_own or self.ext_calls):
                self.add("kernel_not_run", f"{state['nokernel']} of {state['calls']} timed calls launched none of "
                         "the candidate's kernels")
            self.facts["timed_calls"] = state["calls"]
            state["out"] = None
            self.spent("timed_calls", t0, s0)
        return fn, before_each, finish, work

    def recheck(self, model_new, work: list, other_inputs: list, call_reference, compare, sync, ref_ms: float,
                cand_ms: float, device_name: str, out_bytes: int) -> None:
        """Suspicious results: re-measure with a host timer around a device synchronize on refreshed inputs, and
        run twice on identical inputs (determinism)."""
        if not self.enabled or cand_ms <= 0:
            return
        speedup = ref_ms / cand_ms if ref_ms else 0.0
        in_bytes = sum(t.numel() * t.element_size() for t in work if isinstance(t, torch.Tensor))
        bw = peak_bandwidth(device_name) if self.cuda else None
        floor_ms = (in_bytes + out_bytes) / bw * 1e3 if bw else None
        suspicious = speedup > self.speedup_factor or (floor_ms is not None and cand_ms < floor_ms)
        self.facts["roofline_floor_ms"] = round(floor_ms, 6) if floor_ms else None
        if not suspicious:
            return
        t_start, s_start = _perf(), self.seconds
        samples, paired = [], []
        pools = [clone_tree(list(work)), list(other_inputs)]
        for i in range(12):
            self.refresh(work, pools[i % 2])
            sync()
            t0 = _mono_ns()
            d0 = time.perf_counter()          # looked up now, like the timing loop does: patched if patched
            out = model_new(*work)
            sync()
            d1 = time.perf_counter()
            host = (_mono_ns() - t0) / 1e6
            samples.append(host)
            paired.append(((d1 - d0) * 1e3, host))
            del out
        host_ms = min(samples)           # the least disturbed run: interference only ever adds time
        self.facts["recheck"] = {"host_ms": round(host_ms, 6), "host_median_ms": round(statistics.median(samples), 6),
                                 "timed_ms": round(cand_ms, 6), "speedup": round(speedup, 3)}
        if self.cuda:
            # a dedicated GPU is steady: the trusted host time of the same work must agree with the timed result
            if host_ms > 2.0 * cand_ms + TIMER_SLACK_MS:
                self.add("timer_discrepancy", f"timed median {cand_ms:.4f} ms but {host_ms:.4f} ms with a host timer "
                         "around a synchronize")
        elif all(d < h / 4 - 0.05 for d, h in paired):
            # a shared CPU is too noisy to compare runs; compare the two clocks on the same calls instead
            self.add("timer_discrepancy", f"time.perf_counter measured {statistics.median(p[0] for p in paired):.4f} ms "
                     f"for calls a trusted clock measured at {statistics.median(p[1] for p in paired):.4f} ms")
        if floor_ms is not None and host_ms < floor_ms / 3:
            self.add("roofline_violation", f"{host_ms:.4f} ms is below a third of the {floor_ms:.4f} ms needed to "
                     f"move {in_bytes + out_bytes} bytes at {bw / 1e12:.2f} TB/s")
        a = clone_tree(list(work))
        o1 = model_new(*clone_tree(a))
        o1 = clone_tree(o1)
        o2 = model_new(*clone_tree(a))
        sync()
        cmp = compare(o1, o2)
        if not cmp.ok:
            self.add("nondeterministic", f"two runs on identical inputs: {cmp.reason}")
        self.check_reference_state("re-measurement")
        ref_out = call_reference(clone_tree(a))
        self.reference_ran()
        cmp = compare(ref_out, o1)
        if not cmp.ok:
            self.add("timed_output_mismatch", f"re-measurement: {cmp.reason}")
        self.spent("recheck", t_start, s_start)


_MISSING = object()


def json_encoder_class():
    import json
    return json.JSONEncoder
