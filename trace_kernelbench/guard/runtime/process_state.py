"""Process-state integrity: trusted functions, classes, precision flags, environment, threads, tracing hooks and
the reference model's state are snapshotted before the candidate loads, then verified (and restored) after each
phase."""
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
from itertools import repeat

import torch

from trace_kernelbench.guard.rules import BUILD_ENV
from trace_kernelbench.guard.runtime.tensors import bitwise_equal
from trace_kernelbench.guard.runtime.trusted import enumerate_threads

ALLOWED_ENV_CHANGES = BUILD_ENV | {
    # set by torch and Triton themselves (the profiler this guard runs, torch.compile's caches)
    "DISABLE_CUPTI_LAZY_REINIT", "TEARDOWN_CUPTI", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR", "TRITON_PTXAS_PATH",
    "TRITON_LIBDEVICE_PATH", "PATH"}
PRECISION_FLAGS = ("cuda.matmul.allow_tf32", "cudnn.allow_tf32", "float32_matmul_precision", "default_dtype",
                   "cuda.matmul.allow_fp16_reduced_precision_reduction",
                   "cuda.matmul.allow_bf16_reduced_precision_reduction")


class Watched:
    """Names of one namespace (a module's or a class's dict, or sys.modules) and the objects they held at the
    snapshot. `changed()` compares them all at C speed (object ids of live snapshotted objects are unique); only a
    namespace that changed is walked name by name, reported and put back."""

    __slots__ = ("owner", "kind", "label", "names", "values", "ids", "nkeys")

    def __init__(self, owner, kind: str, label: str, items: list[tuple[str, object]]):
        self.owner, self.kind, self.label = owner, kind, label      # kind: "module" | "class" | "mapping"
        self.names = tuple(k for k, _ in items)
        self.values = tuple(v for _, v in items)
        self.ids = list(map(id, self.values))
        self.nkeys = len(self._dict())

    def reusable(self) -> bool:
        """Unchanged since it was built, and no names were added: a snapshot taken while the worker idled still
        holds (`watch`)."""
        return len(self._dict()) == self.nkeys and not self.changed()

    def _dict(self):
        return self.owner if self.kind == "mapping" else vars(self.owner)

    def changed(self) -> bool:
        d = self._dict()
        return (list(map(id, map(d.get, self.names, repeat(_MISSING, len(self.names))))) != self.ids
                or (self.kind == "class" and len(d) != self.nkeys))

    def restore(self) -> list[str]:
        """Put back every replaced or deleted name (and remove names added to a class); returns what changed."""
        d = self._dict()
        changed = []
        for name, value in zip(self.names, self.values):
            if d.get(name, _MISSING) is not value:
                changed.append(f"{self.label}[{name!r}]" if self.kind == "mapping" else f"{self.label}.{name}")
                try:
                    if self.kind == "class":
                        type.__setattr__(self.owner, name, value)
                    else:
                        d[name] = value
                except (TypeError, AttributeError):
                    pass
        if self.kind == "class":
            known = set(self.names)
            for k in sorted(k for k in list(d) if k not in known):
                if k.startswith("_abc_") or k == "__slotnames__":
                    continue          # caches Python itself adds to classes
                changed.append(f"{self.label}.{k} (added)")
                try:
                    type.__delattr__(self.owner, k)
                except (TypeError, AttributeError):
                    pass
            self.nkeys = len(d)
        return changed


_PREBUILT: dict[int, Watched] = {}


def watch(owner, kind: str, label: str, items) -> Watched:
    """A Watched for `owner`, reusing the one built while the worker idled (`prebuild_snapshot`) when nothing in that
    namespace has changed since; `items` is called only when a new one is needed."""
    w = _PREBUILT.get(id(owner))
    if w is not None and w.owner is owner and w.kind == kind and w.reusable():
        return w
    w = _PREBUILT[id(owner)] = Watched(owner, kind, label, items())
    return w


def prebuild_snapshot(extra_modules=()) -> None:
    """Build the trusted namespaces' snapshots while the worker waits for its job (~5 ms of every evaluation
    otherwise). The job's snapshot re-checks each one and rebuilds those that changed meanwhile."""
    from trace_kernelbench.guard.runtime.guard import RuntimeGuard
    RuntimeGuard(None, torch.device("cpu")).snapshot(extra_modules=extra_modules)


class ProcessStateMixin:
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
            snap: list[Watched] = []
            seen_mods: set[int] = set()
            extra = [m for m in extra_modules if isinstance(m, types.ModuleType)]
            for m in self._trusted_modules() + extra + ([reference_module] if reference_module is not None else []):
                if id(m) in seen_mods:
                    continue
                seen_mods.add(id(m))
                snap.append(watch(m, "module", m.__name__, lambda m=m: [
                    (k, v) for k, v in list(vars(m).items()) if callable(v) or isinstance(v, (type, types.ModuleType))]))
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
                snap.append(watch(c, "class", str(getattr(c, "__qualname__", c)), lambda c=c: list(vars(c).items())))
            snap.append(Watched(sys.modules, "mapping", "sys.modules", [   # changes with every import: built anew
                (name, m) for name, m in list(sys.modules.items())
                if name.startswith(("trace_kernelbench.evaluation", "trace_kernelbench.guard"))
                or name in ("torch", "time", "os", "json")]))
            self._snap = snap
            self._flags0 = self.precision_flags()
            self._env0 = dict(os.environ)
            self._threads0 = {t.ident for t in enumerate_threads()}
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
            for w in self._snap:
                if w.changed():
                    changed += w.restore()
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
            keys = {k for k in set(env) | set(self._env0) if env.get(k) != self._env0.get(k) and k not in ALLOWED_ENV_CHANGES}
            if keys:
                self.add("env_tampering", f"after {phase}: environment variable {sorted(keys)[0]} changed")
            threads = [t for t in enumerate_threads() if t.ident not in self._threads0 and t.is_alive()]
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



_MISSING = object()


def json_encoder_class():
    import json
    return json.JSONEncoder
