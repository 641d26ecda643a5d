"""Checks around timing: inputs refreshed before every timed call, a secret sample of timed outputs compared with
the reference, and suspicious speedups re-measured with a trusted host timer plus a determinism re-run."""
from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from trace_kernelbench.guard.runtime.tensors import clone_tree, copy_tree_into, peak_bandwidth
from trace_kernelbench.guard.runtime.trusted import mono_ns, perf

CHECK_FRACTION = 1 / 32        # share of timed calls whose output is checked (plus the first and the last)
MAX_TIMED_CHECKS = 4
REFRESH_FRACTION = 1 / 64      # share of input elements replaced before each timed call
REFRESH_ROW = 256              # in runs of this many elements at random places (whole rows move at memory speed; single
                               # elements at random places cost a large input ~0.2 ms of gathers per call)
TIMER_SLACK_MS = 0.1


@dataclass
class TimedCalls:
    fn: Callable[[], None]               # one timed call of the candidate
    before_each: Callable[[], None]      # untimed, before every call: settle the previous one, refresh the inputs
    settle: Callable[[], None]           # untimed: finish with the latest call before anything else runs
    before_reference: Callable[[], None]  # untimed, before each of the reference's timed calls
    finish: Callable[[], None]           # after the timing
    work: list                           # the inputs the calls read


class TimingChecksMixin:
    # ------------------------------------------------------------------------------------------ timing
    def generator(self) -> torch.Generator:
        if self._gen is None:
            self._gen = torch.Generator(device=self.device)
            self._gen.manual_seed(secrets.randbits(62))
        return self._gen

    def refresh(self, work: list, sources: list) -> None:
        """Replace a random REFRESH_FRACTION of every input tensor's elements (runs of REFRESH_ROW elements at random
        places when the tensor is large enough), in place, with the values at the same positions of another input set
        drawn from the same distribution (position-wise structure is kept)."""
        g = self.generator()
        for w, s in zip(work, sources):
            if not (isinstance(w, torch.Tensor) and isinstance(s, torch.Tensor)) or w.numel() == 0 or \
                    w.shape != s.shape:
                continue
            if not (w.is_contiguous() and s.is_contiguous()):
                w.copy_(s)
                continue
            n = w.numel()
            row = REFRESH_ROW if n % REFRESH_ROW == 0 and n >= REFRESH_ROW * 64 else 1
            rows = n // row
            k = max(1, int(rows * REFRESH_FRACTION))
            idx = torch.randint(0, rows, (k,), device=w.device, generator=g)
            fw, fs = w.view(rows, row), s.view(rows, row)
            fw.index_copy_(0, idx, fs.index_select(0, idx))

    def timing_hooks(self, model_new, work: list, pristine: list, other_inputs: list, call_reference, compare, sync,
                     warmup_runs: int = 0) -> "TimedCalls":
        """The candidate's side of the timing: every call gets refreshed inputs; a secret sample of the outputs (always
        the first timed call, and the last when it ends the timing) is checked against the reference run on copies of
        those inputs. `settle()` finishes with the latest call (check, release its output) before other work.

        `work` is the caller's own copy of the inputs, refreshed in place (the timed calls read it); `pristine` holds
        the same values and `other_inputs` a second draw: both only read, as the sources of refreshed elements."""
        with self.timer("timing_setup"):
            work = list(work)
            pools = [list(pristine), list(other_inputs)]
            snapshot = clone_tree(work)      # checked calls' inputs are copied here: timed calls allocate nothing new
        state = {"out": None, "sampled": False, "calls": 0, "pool": 0, "before": 0, "nokernel": 0, "checks": 0,
                 "warmup": warmup_runs, "settled": True, "reference_ran": False}

        def check(inputs, what: str):
            self.check_reference_state("timing")
            ref_out = call_reference(inputs)
            self.reference_ran()
            cmp = compare(ref_out, state["out"])
            self.facts["timed_checks"] += 1
            if not cmp.ok:
                self.add("timed_output_mismatch", f"{what}: {cmp.reason}")

        def settle():
            """Account the latest call: did it launch the candidate's kernels, is its output right (when sampled);
            then drop the output, so the next allocation (either side's) finds the same free memory."""
            if state["settled"]:
                return
            t0, s0 = perf(), self.seconds
            if self._own_counter[0] == state["before"]:
                state["nokernel"] += 1
            if state["sampled"] and state["out"] is not None:
                with self.timer("timed_checks"):
                    check(snapshot, f"timed call {state['calls']}")
            state["sampled"], state["out"], state["settled"] = False, None, True
            self.spent("timed_calls", t0, s0)

        def before_reference():
            """Settle the candidate's latest call; the reference then runs (its own state may change, e.g. batch-norm
            running statistics: re-sampled before the candidate's next call)."""
            settle()
            state["reference_ran"] = True

        def before_each():
            settle()
            t0, s0 = perf(), self.seconds
            if state["reference_ran"]:
                self.reference_ran()
                state["reference_ran"] = False
            with self.timer("refresh"):
                self.refresh(work, pools[state["pool"]])
            state["pool"] ^= 1
            first = state["calls"] == state["warmup"]
            if state["checks"] < MAX_TIMED_CHECKS and (first or self._rng.random() < CHECK_FRACTION):
                copy_tree_into(snapshot, work)
                state["sampled"] = True          # its inputs are in `snapshot`
                state["checks"] += 1
            state["before"] = self._own_counter[0]
            self.spent("timed_calls", t0, s0)

        def fn():
            state["settled"] = False
            state["out"] = model_new(*work)
            state["calls"] += 1

        def finish():
            t0, s0 = perf(), self.seconds
            if not state["settled"] and not state["sampled"] and state["out"] is not None:
                copy_tree_into(snapshot, work)                  # the last call's inputs are still `work`
                check(snapshot, "last timed call")
            settle()
            if state["nokernel"] and (self.triton_names or self.ext_own or self.ext_calls):
                self.add("kernel_not_run", f"{state['nokernel']} of {state['calls']} timed calls launched none of "
                         "the candidate's kernels")
            self.facts["timed_calls"] = state["calls"]
            self.spent("timed_calls", t0, s0)
        return TimedCalls(fn, before_each, settle, before_reference, finish, work)

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
        t_start, s_start = perf(), self.seconds
        samples, paired = [], []
        pools = [clone_tree(list(work)), list(other_inputs)]
        for i in range(12):
            self.refresh(work, pools[i % 2])
            sync()
            t0 = mono_ns()
            d0 = time.perf_counter()          # looked up now, like the timing loop does: patched if patched
            out = model_new(*work)
            sync()
            d1 = time.perf_counter()
            host = (mono_ns() - t0) / 1e6
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
