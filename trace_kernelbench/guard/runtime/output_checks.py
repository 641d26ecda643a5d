"""Checks on what forward returns: memory poisoned before calls, plain dense outputs that alias no input and hold no
poison, unmodified inputs, fresh-input checks (candidate first) with late-write detection, and the kernel's share
of device time from the CUDA profiler."""
from __future__ import annotations

import secrets

import torch

from trace_kernelbench.evaluation.compare import flatten_outputs

from trace_kernelbench.guard.runtime.tensors import POISON32, clone_tree, bitwise_equal, has_poison, aliases
from trace_kernelbench.guard.runtime.trusted import perf, sleep

FRESH_CHECKS = 1               # candidate-first checks on fresh inputs after the correctness trials
LATE_WRITE_WAIT_S = 0.005      # how long a returned output must stay unchanged
MIN_KERNEL_SHARE = 0.5         # strict: custom kernels' share of forward's device (or CPU) time


class OutputChecksMixin:
    # ------------------------------------------------------------------------------------------ memory poison
    def note_sizes(self, tensors) -> None:
        for t in flatten_outputs(list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]):
            if isinstance(t, torch.Tensor) and t.numel():
                self._poison_sizes.add(int(t.numel() * t.element_size()))

    def poison(self) -> None:
        """Fill memory the candidate's next allocations are likely to get (freed blocks the reference left behind)
        with the poison pattern. A size the candidate may ask for (an input's or output's) that no freed block can
        serve gets a poisoned block of its own, once: later calls find it among the freed blocks."""
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
                    largest = max(sizes, default=0)
                    sizes += [sz for sz in sorted(self._poison_sizes) if sz > largest]
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
            t0, s0 = perf(), self.seconds
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
            t1, s1 = perf(), self.seconds
            returned = t1                             # the output was snapshotted no later than this
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
                    late = self._late_writes(out, snap, sync, returned)
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

    def _late_writes(self, out, snap, sync, returned: float) -> str | None:
        """Has the output changed since its snapshot at `returned` (a perf() time)? Compared once at least
        LATE_WRITE_WAIT_S has passed: the checks since the return (the reference run, the output checks) count
        towards that wait, and only the rest is slept."""
        left = LATE_WRITE_WAIT_S - (perf() - returned)
        if left > 0:
            sleep(left)
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
        t0, s0 = perf(), self.seconds        # starting and stopping the session is guard work; the call is not
        try:
            from torch.profiler import ProfilerActivity, profile
            prof = profile(activities=[ProfilerActivity.CUDA])
            prof.__enter__()
        except Exception as e:  # noqa: BLE001 - the profiler is optional evidence
            self.facts["profiler"] = f"unavailable: {type(e).__name__}: {str(e)[:80]}"
            prof = None
        self.spent("profiler", t0, s0)
        if prof is None:
            out = call_candidate(inputs)
            return out, self._snapshot_output(out), None
        try:
            out = call_candidate(inputs)
            snap = self._snapshot_output(out)
            sync()
        finally:
            t0, s0 = perf(), self.seconds
            prof.__exit__(None, None, None)
            self.spent("profiler", t0, s0)
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
