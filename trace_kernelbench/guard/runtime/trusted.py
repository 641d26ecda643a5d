"""Trusted references to timing and thread functions, bound when the worker imports the guard (before any
candidate code runs), so a candidate that replaces time.perf_counter & co. cannot change what the guard measures."""
from __future__ import annotations

import threading
import time

# Trusted references, bound at import (the worker imports this module before any candidate code runs).
perf = time.perf_counter
mono_ns = time.monotonic_ns
sleep = time.sleep
enumerate_threads = threading.enumerate
