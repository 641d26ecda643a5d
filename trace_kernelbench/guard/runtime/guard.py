"""The RuntimeGuard: one per job, its findings, facts and time accounting; the checks come from its mixins."""
from __future__ import annotations

import random
import secrets

import torch

from trace_kernelbench.guard.runtime.launches import LaunchCountingMixin
from trace_kernelbench.guard.runtime.output_checks import OutputChecksMixin
from trace_kernelbench.guard.runtime.process_state import ProcessStateMixin, Watched
from trace_kernelbench.guard.runtime.timing_checks import TimingChecksMixin
from trace_kernelbench.guard.runtime.trusted import perf


class RuntimeGuard(ProcessStateMixin, LaunchCountingMixin, OutputChecksMixin, TimingChecksMixin):
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
        self._own_counter = [0]                 # launches of the candidate's own kernels (ext own + triton)
        self._lib_counter = [0]
        self._snap: list[Watched] = []
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
        self.timing_share = self.enabled and self.policy == "strict" and not self.cuda   # CPU: time own functions
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
            self.t0, self.s0 = perf(), self.g.seconds

        def __exit__(self, *exc):
            self.g.spent(self.section, self.t0, self.s0)

    def timer(self, section: str):
        return RuntimeGuard._Timer(self, section)

    def spent(self, section: str, t0: float, s0: float) -> None:
        """Account the guard work done since `perf()` was t0 and `self.seconds` was s0: in total and by section
        (the overhead report shows where the time goes); work already accounted inside it counts once."""
        own = (perf() - t0) - (self.seconds - s0)
        self.seconds += own
        self.sections[section] = self.sections.get(section, 0.0) + own
