"""Candidates, requests and a real uvicorn server for the evaluator, server and Modal tests. Everything here is
written for the tests (tiny CPU candidates for embedded/relu at its small size)."""
from __future__ import annotations

import contextlib
import socket
import textwrap
import threading
import time

from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.problems import resolve_problem

RELU = resolve_problem("embedded/relu")
TOKEN = "test-token-123"

PY_GOOD = textwrap.dedent("""\
    import torch
    import torch.nn as nn


    class ModelNew(nn.Module):
        def forward(self, x):
            return torch.clamp(x, min=0.0)
    """)

PY_WRONG = PY_GOOD.replace("torch.clamp(x, min=0.0)", "x")

SYNTAX_ERROR = "class ModelNew(:\n    pass\n"

CPP_GOOD = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    from torch.utils.cpp_extension import load_inline

    _ext = load_inline(
        name="tkb_test_relu_cpp",
        cpp_sources=r"""
    #include <torch/extension.h>
    torch::Tensor relu_fwd(torch::Tensor x) { return x.clamp_min(0); }
    """,
        functions=["relu_fwd"],
    )


    class ModelNew(nn.Module):
        def forward(self, x):
            return _ext.relu_fwd(x)
    ''')


def sleepy(seconds: float, marker: str | None = None, once: str | None = None) -> str:
    """A correct candidate whose first forward call in a process sleeps; `marker` is created when the sleep starts;
    with `once`, only the first evaluation sleeps (it creates that file)."""
    return PY_GOOD.replace("        return torch.clamp", textwrap.indent(textwrap.dedent(f"""\
        import os, pathlib, time
        if not getattr(ModelNew, "_slept", False):
            ModelNew._slept = True
            if {marker!r}:
                pathlib.Path({marker!r}).write_text(str(os.getpid()))
            if not {once!r} or not os.path.exists({once!r}):
                if {once!r}:
                    pathlib.Path({once!r}).write_text("slept")
                time.sleep({seconds})
        """), "        ") + "        return torch.clamp")


def req(source: str = PY_GOOD, **kw) -> EvalRequest:
    # guard off: these tiny candidates compute with torch ops on purpose (the guard has its own tests)
    opts = dict(size="small", device="cpu", correct_trials=2, measure_timing=False, seed=1, guard_policy="off")
    opts.update(kw)
    return EvalRequest.for_problem(RELU, source, **opts)


def distinct(source: str, i: int) -> str:
    return f"{source}\n# copy {i}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(app, port: int | None = None):
    """Serve `app` with real uvicorn on 127.0.0.1 in a thread; yields its base URL; shuts it down gracefully."""
    import uvicorn
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=120)


def wait_for(predicate, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
