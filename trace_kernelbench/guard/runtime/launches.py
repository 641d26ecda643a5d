"""Proof the candidate's own code ran: calls into its compiled extension functions and launches of its
@triton.jit kernels are counted around every checked forward."""
from __future__ import annotations

import os
import sys

from trace_kernelbench.guard.runtime.trusted import perf


def triton_launchers() -> list:
    """Triton's launcher classes, compiled and interpreted (empty without triton). A worker calls this while idle,
    so the interpreter module's import is not paid inside an evaluation."""
    try:
        import triton.runtime.jit as tjit
    except Exception:  # noqa: BLE001 - no triton: nothing to count
        return []
    classes = [tjit.JITFunction]
    try:
        import triton.runtime.interpreter as tint
        classes.append(tint.InterpretedFunction)
    except Exception:  # noqa: BLE001
        pass
    return classes


class LaunchCountingMixin:
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
                        t0 = perf()
                        out = fn(*args, **kwargs)
                        rec[1] += perf() - t0
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
        with self.timer("hooks"):
            self._install_triton_hooks()

    def _install_triton_hooks(self) -> None:
        classes = triton_launchers()
        if not classes:
            return
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
        """One correctness call: poison freed memory, count launches, time it (CPU kernel share). On a GPU only the
        first call's memory is poisoned: the caching allocator hands out the same blocks every time, and later calls
        would find there only the candidate's own earlier outputs (wrong for new inputs); the fresh-input checks
        poison again before each of their calls. On CPU, where malloc's choice of chunk varies, every call."""
        if not self.enabled:
            return model(*args)
        if not (self.cuda and self.facts["calls_observed"]):
            self.poison()
        self._before = self._own_counter[0]
        t0 = perf()
        out = model(*args)
        self.forward_seconds += perf() - t0
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
