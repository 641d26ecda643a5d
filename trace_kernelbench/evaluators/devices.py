"""What this host offers the local pipeline: the visible GPUs (CUDA_VISIBLE_DEVICES respected) and the CPU cores
left for builds. Standard library only: the supervisor never imports torch."""
from __future__ import annotations

import os
import shutil
import subprocess


def visible_gpus() -> list[str]:
    """CUDA_VISIBLE_DEVICES entries a runner can be pinned to, one per GPU ([] on a CPU-only host)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        out = []
        for entry in env.split(","):
            entry = entry.strip()
            if not entry or entry.startswith("-"):
                break   # CUDA ignores everything from the first invalid entry on
            out.append(entry)
        return out
    return [str(i) for i in range(nvidia_smi_gpu_count())]


def nvidia_smi_gpu_count() -> int:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def usable_cores() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup CPU quota (containers such as Modal's or
    Docker's often show every host CPU but may only use a few)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    return max(1, min(cores, quota)) if quota else cores


def cgroup_cpu_quota() -> int | None:
    """The cgroup v2 (cpu.max) or v1 (cfs quota/period) CPU limit rounded up, or None when unlimited/unknown."""
    import math
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            return math.ceil(int(quota) / int(period))
        return None
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as fh:
            quota = int(fh.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as fh:
            period = int(fh.read())
        return math.ceil(quota / period) if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def default_build_workers() -> int:
    """One build worker per core. Runners need not be subtracted: builds run at a lower CPU priority
    (build.lower_build_priority), so a runner's CPU side always gets a core first, and a build worker left idle
    costs a whole extra build round when a batch is as large as the core count (measured on 16 cores: 15 build
    workers made the 16th kernel wait ~75 s for a worker)."""
    return max(1, usable_cores())
