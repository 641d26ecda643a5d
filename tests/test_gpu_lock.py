"""The per-GPU lock that keeps other evaluator processes' GPU work out of measurements: real processes, real flock."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from trace_kernelbench.evaluation.gpu_lock import GpuLock

HOLDER = textwrap.dedent("""
    import sys, time
    from trace_kernelbench.evaluation.gpu_lock import GpuLock
    lock = GpuLock("gpu-test", wait_limit_s=30)
    with getattr(lock, sys.argv[1])():
        print("held", lock.acquired, flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
""")


@pytest.fixture
def lock_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACE_KB_GPU_LOCK_DIR", str(tmp_path))
    return tmp_path


def hold(mode: str, seconds: float) -> subprocess.Popen:
    """Another process holding the lock in `mode` for `seconds` (returns once it holds it)."""
    p = subprocess.Popen([sys.executable, "-c", HOLDER, mode, str(seconds)], stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ))
    assert p.stdout.readline().strip() == "held True"
    return p


def test_measurement_waits_for_other_gpu_work_and_gpu_work_waits_for_a_measurement(lock_dir):
    p = hold("shared", 1.0)
    lock = GpuLock("gpu-test")
    t0 = time.monotonic()
    with lock.exclusive():
        waited = time.monotonic() - t0
        assert lock.acquired
        assert p.poll() is not None or p.stdout.readline().strip() == "released"
    assert 0.5 < waited < 10
    p.wait()

    q = hold("exclusive", 1.0)
    t0 = time.monotonic()
    with lock.shared():
        assert lock.acquired and time.monotonic() - t0 > 0.5
    q.wait()


def test_gpu_work_of_two_processes_overlaps(lock_dir):
    p = hold("shared", 3.0)
    lock = GpuLock("gpu-test")
    t0 = time.monotonic()
    with lock.shared():
        assert lock.acquired and time.monotonic() - t0 < 1.0
        assert p.poll() is None           # the other process still holds its share
    p.kill()
    p.wait()


def test_wait_is_bounded_and_the_work_goes_ahead_unprotected(lock_dir):
    p = hold("exclusive", 30.0)
    try:
        lock = GpuLock("gpu-test", wait_limit_s=0.3)
        t0 = time.monotonic()
        with lock.exclusive():
            assert not lock.acquired
        assert 0.3 <= time.monotonic() - t0 < 5
    finally:
        p.kill()
        p.wait()


def test_a_killed_holder_releases_the_gpu(lock_dir):
    p = hold("exclusive", 60.0)
    p.kill()
    p.wait()
    lock = GpuLock("gpu-test", wait_limit_s=5)
    t0 = time.monotonic()
    with lock.exclusive():
        assert lock.acquired and time.monotonic() - t0 < 1.0


def test_measurement_inside_gpu_work_returns_to_shared(lock_dir):
    lock = GpuLock("gpu-test", wait_limit_s=0.5)
    with lock.shared():
        with lock.exclusive():
            assert lock.acquired
            other = GpuLock("gpu-test", wait_limit_s=0.2)
            with other.shared():
                assert not other.acquired          # nobody else gets in during the measurement
        with other.shared():
            assert other.acquired                  # back to shared: other GPU work may overlap again
        other.close()
    with other.exclusive():
        assert other.acquired                      # and nothing is held once the work is done
