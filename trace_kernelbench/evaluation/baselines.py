"""Reference timings cached on disk, so each baseline is measured once per (problem source and size, device name,
torch and CUDA versions, precision, baseline kind: eager or torch.compile, timing settings). Standard library only;
the worker passes in its torch versions, so the key can also be computed where torch is not imported."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from trace_kernelbench.evaluation.build import cache_root
from trace_kernelbench.evaluation.result import TimingStats


def baseline_path(req, device_name: str, torch_version: str, torch_cuda: str | None) -> Path:
    t = req.timing
    key = "\0".join([req.problem_source, req.size, device_name, torch_version, str(torch_cuda), req.precision,
                     req.baseline, repr((t.warmup_runs, t.warmup_seconds, t.min_runs, t.rounds, t.max_runs, t.target_rse))])
    d = cache_root() / "baselines"
    d.mkdir(parents=True, exist_ok=True)
    return d / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")


def load(path: Path) -> TimingStats | None:
    """The cached timing (marked source="baseline_cache"), or None when absent or unreadable."""
    try:
        with open(path) as fh:
            stats = TimingStats.from_dict(json.load(fh))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if stats is not None:
        stats.source = "baseline_cache"
    return stats


def store(path: Path, stats: TimingStats) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(stats.__dict__, fh)
    os.replace(tmp, path)
