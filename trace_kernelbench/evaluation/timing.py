"""Timing callables: CUDA events with a device-wide synchronize and an L2 flush before every run, or a monotonic
clock on CPU; two sides (reference and candidate) timed in alternating blocks, so drift in the machine's state hits
both alike; adaptive run counts (stop when the relative standard error is small or the time budget is spent); robust
statistics with a distribution-free 95% confidence interval of the median; on a GPU, the SM clock when the timed
runs began and ended.

GPU-side: torch and the standard library only.
"""
from __future__ import annotations

import math
import statistics
import time
from typing import Callable

import torch

from trace_kernelbench.evaluation.request import TimingConfig
from trace_kernelbench.evaluation.result import TimingStats


CLOCK_PROBE_CYCLES = 500_000     # ~0.25 ms at 2 GHz
LAUNCH_PAD_CYCLES = 300_000      # ~0.15 ms of GPU spin between the L2 flush and the start event (see _timed_run)


def sm_clock_mhz(device: torch.device) -> float | None:
    """The GPU's current SM clock: a kernel that spins for a known number of clock cycles (`torch.cuda._sleep`),
    timed with CUDA events. None on CPU or where torch lacks that kernel. Recorded with every GPU timing: a speedup
    whose sides differ in boundness moves with the clock, so two runs are comparable only at the same clock."""
    if device.type != "cuda" or not hasattr(torch.cuda, "_sleep"):
        return None
    try:
        torch.cuda._sleep(1000)     # loaded and launched once untimed: a first launch (lazy module loading) is slow
        ms = math.inf
        for _ in range(2):          # the shorter of two: a gap between an event and the kernel only adds time
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            torch.cuda._sleep(CLOCK_PROBE_CYCLES)
            end.record()
            end.synchronize()
            ms = min(ms, start.elapsed_time(end))
    except Exception:  # noqa: BLE001 - a missing fact, never a failed timing
        return None
    return round(CLOCK_PROBE_CYCLES / (ms * 1e3), 1) if 0 < ms < math.inf else None


def summarize(samples_ms: list[float], timer: str) -> TimingStats:
    xs = sorted(samples_ms)
    n = len(xs)
    med = statistics.median(xs)
    mean = statistics.fmean(xs)
    std = statistics.stdev(xs) if n > 1 else 0.0
    # order-statistic CI for the median: ranks n/2 -/+ 1.96*sqrt(n)/2 (binomial normal approximation)
    half = 1.96 * math.sqrt(n) / 2
    lo = xs[max(0, int(math.floor(n / 2 - half)))]
    hi = xs[min(n - 1, int(math.ceil(n / 2 + half)) - 1)] if n > 1 else xs[0]
    return TimingStats(median_ms=med, mean_ms=mean, std_ms=std, min_ms=xs[0], max_ms=xs[-1], count=n,
                       ci95_ms=(lo, max(lo, hi)), timer=timer)


class L2Flusher:
    """Evicts the L2 cache by writing a buffer twice its size (sized from the device's own L2)."""

    def __init__(self, device: torch.device):
        props = torch.cuda.get_device_properties(device)
        l2 = int(getattr(props, "L2_cache_size", 0) or 64 * 2**20)
        self.buf = torch.empty(max(2 * l2, 8 * 2**20) // 4, dtype=torch.int32, device=device)

    def __call__(self) -> None:
        self.buf.zero_()


def _rse(samples: list[float]) -> float:
    if len(samples) < 2:
        return math.inf
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / mean / math.sqrt(len(samples)) if mean > 0 else math.inf


class Side:
    """One side of a timing: the call to time and what runs, untimed, before each call (e.g. fresh inputs)."""

    def __init__(self, fn: Callable[[], object], before_each: Callable[[], None] | None = None):
        self.fn, self.before_each = fn, before_each
        self.samples: list[float] = []
        self.spent = 0.0


def _warm_up(side: Side, device: torch.device, cfg: TimingConfig) -> None:
    runs, t_warm = 0, time.perf_counter()
    while runs < cfg.warmup_runs or time.perf_counter() - t_warm < cfg.warmup_seconds:
        if side.before_each and runs < cfg.warmup_runs:    # the extra warm-up calls only heat the device
            side.before_each()
        side.fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)    # warm-up time is device time, not time spent queueing launches
        runs += 1
        if runs >= 10_000:
            break


def _timed_run(side: Side, device: torch.device, flush: L2Flusher | None) -> None:
    if side.before_each:
        side.before_each()
    if flush is not None:
        flush()
        # The GPU spins while the host launches the call: without it, a host slower than the flush to get the call's
        # first kernel queued (Python dispatch, a busy CPU) left the GPU idle after the start event, and that idle
        # time was timed. Seen on the H200 as about the same +0.06-0.19 ms on both sides of whole evaluations while
        # the other GPU's lane kept the host busy, which moved a 2.7 ms reference against a 7 ms candidate by 4%.
        if hasattr(torch.cuda, "_sleep"):
            torch.cuda._sleep(LAUNCH_PAD_CYCLES)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        side.fn()
        torch.cuda.synchronize(device)   # device-wide: work the candidate put on other streams counts
        end.record()
        end.synchronize()
        ms = start.elapsed_time(end)
    else:
        t0 = time.perf_counter()
        side.fn()
        ms = (time.perf_counter() - t0) * 1e3
    side.samples.append(ms)
    side.spent += ms / 1e3


def time_sides(sides: list[Side], device: torch.device, cfg: TimingConfig) -> list[TimingStats]:
    """Time every side in alternating blocks (side 1, side 2, side 1, ...), each side warmed up first.

    Alternation serves the ratio of two sides: the GPU's state drifts by a few percent within and between processes
    (clocks, power, memory placement), and blocks spread over the same period see the same drift. Each side
    gets at least `min_runs` runs in `cfg.rounds` blocks or more; rounds continue until every side's relative
    standard error is at most `target_rse`, a side reaches `max_runs`, or a side has spent `max_seconds`."""
    cuda = device.type == "cuda"
    flush = L2Flusher(device) if cuda else None
    for side in sides:
        _warm_up(side, device, cfg)
    clock_start = sm_clock_mhz(device)
    block = max(1, math.ceil(cfg.min_runs / max(1, cfg.rounds)))

    def out_of_time(s: Side) -> bool:
        return s.spent >= cfg.max_seconds and len(s.samples) >= 3

    while True:
        for side in sides:
            for _ in range(block):
                if len(side.samples) >= cfg.max_runs or out_of_time(side):
                    break
                _timed_run(side, device, flush)
        if any(len(s.samples) >= cfg.max_runs or out_of_time(s) for s in sides):
            break
        if all(len(s.samples) >= cfg.min_runs and _rse(s.samples) <= cfg.target_rse for s in sides):
            break
    timer = "cuda_event" if cuda else "perf_counter"
    stats = [summarize(s.samples, timer) for s in sides]
    if cuda:
        clocks = [clock_start, sm_clock_mhz(device)]
        for st in stats:
            st.clock_mhz = None if None in clocks else clocks
    return stats


REFERENCE_DRIFT_TOLERANCE = 0.05
TIMING_ATTEMPTS = 3


def reference_drifted(before: TimingStats | None, interleaved: TimingStats | None) -> bool:
    """The reference timed alongside the candidate ran more than REFERENCE_DRIFT_TOLERANCE slower than when it was
    measured before any candidate code existed."""
    return before is not None and interleaved is not None and \
        interleaved.median_ms > before.median_ms * (1 + REFERENCE_DRIFT_TOLERANCE)


def choose_reference(before: TimingStats, interleaved: TimingStats | None) -> TimingStats:
    """The reference timing a speedup divides by: the one interleaved with the candidate (same period, same drift:
    the reproducible ratio) unless it is more than REFERENCE_DRIFT_TOLERANCE slower than the measurement taken before
    any candidate code existed; then that one. Code in the process can only slow the reference down (never speed up
    a trusted model), so a candidate gains at most the tolerance by disturbing it."""
    if interleaved is None or reference_drifted(before, interleaved):
        return before
    interleaved.source = "interleaved"
    return interleaved


def time_against_reference(make_sides: Callable[[], list[Side]], device: torch.device, cfg: TimingConfig,
                           before: TimingStats | None, attempts: int = TIMING_ATTEMPTS) -> list[TimingStats]:
    """`time_sides` over fresh sides from `make_sides()` (the reference first, when there is one), measured again, up
    to `attempts` times in all, while the interleaved reference drifted from `before`: the whole period was slower
    (seen on an H200 whose power capping throttled the clock for a few seconds), and mixing the undisturbed `before`
    with a candidate timed in a disturbed period would move its speedup by the drift. Every result records
    `attempts`; when all of them drifted, `choose_reference` falls back to `before`."""
    for attempt in range(1, max(1, attempts) + 1):
        stats = time_sides(make_sides(), device, cfg)
        if len(stats) < 2 or not reference_drifted(before, stats[0]):
            break
    for st in stats:
        st.attempts = attempt
    return stats


def time_callable(fn: Callable[[], object], device: torch.device, cfg: TimingConfig,
                  before_each: Callable[[], None] | None = None) -> TimingStats:
    """Time `fn()` alone; `before_each` (untimed) runs before every call (e.g. to prepare fresh inputs)."""
    return time_sides([Side(fn, before_each)], device, cfg)[0]
