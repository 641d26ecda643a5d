"""A fork server for worker processes: one process imports Python, torch and the worker code once, then forks a
fresh single-use worker per request in a fraction of a second, instead of every worker paying the interpreter and
torch import (seconds each). It never initialises CUDA, so its children can.

The server reaps its children and reports their exit codes, so the supervisor sees the same exit codes and signals
as with a child it started itself (`ForkedProcess` mirrors the part of `subprocess.Popen` the supervisor uses).
Each child starts its own session, writes stdout/stderr to its own log, and gets the full environment the caller
asked for (so CUDA_VISIBLE_DEVICES or TRACE_KB_CACHE_DIR can differ per worker).

Both ends live here: `main()` runs in the server (``python -m trace_kernelbench.evaluation.forkserver``);
`spawn()` runs in the supervisor, which imports only the standard library.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

MODULE = "trace_kernelbench.evaluation.forkserver"
READY_TIMEOUT_S = 180.0
FORK_TIMEOUT_S = 30.0
_MAX_MSG = 1 << 20


# ---------------------------------------------------------------------------------------------- supervisor side
class ForkedProcess:
    """A worker forked by the server: pid, poll(), wait(), kill(), returncode, like `subprocess.Popen`."""

    def __init__(self, server: "ForkServer", pid: int):
        self._server, self.pid, self.returncode = server, pid, None

    def poll(self) -> int | None:
        if self.returncode is None and not self._server.alive:
            self._server.orphaned(self)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._server.cond:
            while self.poll() is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
                self._server.cond.wait(0.2 if left is None else min(left, 0.2))
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class ForkServer:
    """The supervisor's handle on one running fork server."""

    def __init__(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.log = tempfile.NamedTemporaryFile(prefix="tkb-forkserver-", suffix=".log", delete=False)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", MODULE, "--control-fd", str(child.fileno())],
                                     pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True, close_fds=True)
        child.close()
        self.sock = parent
        self.cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._ready = False
        self._next_id = 0
        self._forked: dict[int, int] = {}              # request id -> pid
        self._procs: dict[int, ForkedProcess] = {}     # pid -> handle, until its exit is reported
        self._early_exits: dict[int, int] = {}         # exits reported before their handle existed
        threading.Thread(target=self._read, name="tkb-forkserver-reader", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(_MAX_MSG)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    for handle in list(self._procs.values()):
                        self.orphaned(handle)
                    self.cond.notify_all()
                    return
                msg = json.loads(data)
                kind = msg.get("type")
                if kind == "ready":
                    self._ready = True
                elif kind == "forked":
                    self._forked[msg["id"]] = msg["pid"]
                elif kind == "exit":
                    handle = self._procs.pop(msg["pid"], None)
                    if handle is None:
                        self._early_exits[msg["pid"]] = msg["code"]
                    else:
                        handle.returncode = msg["code"]
                self.cond.notify_all()

    def orphaned(self, handle: ForkedProcess) -> None:
        """The server died, so nobody will report this worker's exit: find out whether it still runs."""
        try:
            os.kill(handle.pid, 0)
        except ProcessLookupError:
            handle.returncode = -signal.SIGKILL
            self._procs.pop(handle.pid, None)
        except PermissionError:
            pass

    def spawn(self, role: str, env: dict[str, str], log_path: str, fds: tuple[int, int]) -> ForkedProcess:
        with self.cond:
            if not self.cond.wait_for(lambda: self._ready or not self.alive, READY_TIMEOUT_S) or not self._ready:
                raise RuntimeError(f"the fork server did not start: {_tail(self.log.name)}")
            self._next_id += 1
            rid = self._next_id
        payload = json.dumps({"type": "fork", "id": rid, "role": role, "env": env, "log": log_path}).encode()
        with self._send_lock:
            socket.send_fds(self.sock, [payload], list(fds))
        with self.cond:
            if not self.cond.wait_for(lambda: rid in self._forked or not self.alive, FORK_TIMEOUT_S) \
                    or rid not in self._forked:
                raise RuntimeError("the fork server did not fork a worker")
            pid = self._forked.pop(rid)
            handle = ForkedProcess(self, pid)
            if pid in self._early_exits:
                handle.returncode = self._early_exits.pop(pid)
            else:
                self._procs[pid] = handle
            return handle


_server: ForkServer | None = None
_server_lock = threading.Lock()


def spawn(role: str, env: dict[str, str], log_path: str, fds: tuple[int, int]) -> ForkedProcess:
    """Fork a worker through this process's fork server, starting (or restarting) the server when needed."""
    global _server
    with _server_lock:
        if _server is None or not _server.alive:
            _server = ForkServer()
        server = _server
    return server.spawn(role, env, log_path, fds)


def _tail(path: str, chars: int = 800) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read()[-chars:].decode(errors="replace").strip() or "no output"
    except OSError:
        return "no output"


# ---------------------------------------------------------------------------------------------- server side
def _send(sock: socket.socket, msg: dict) -> None:
    sock.send(json.dumps(msg).encode())


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"type": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})


def _child(sock: socket.socket, req: dict, fds: list[int]) -> None:
    """Runs in the forked worker; never returns into the server loop."""
    code = 1
    try:
        sock.close()
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        log = os.open(req["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.environ.clear()
        os.environ.update(req["env"])
        from trace_kernelbench.evaluation import worker
        job_fd, res_fd = fds
        code = worker.main(["--role", req["role"], "--result-fd", str(res_fd), "--job-fd", str(job_fd)]) or 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001 - report and leave; the supervisor sees the exit code
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="trace-kernelbench worker fork server (internal)")
    ap.add_argument("--control-fd", type=int, required=True)
    args = ap.parse_args(argv)
    sock = socket.socket(fileno=args.control_fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch  # noqa: F401 - the point of this process: import once, fork many times
    import torch._dynamo  # noqa: F401 - rebinds torch.manual_seed; done once here, before any guard snapshot
    from trace_kernelbench.evaluation import build, worker  # noqa: F401
    build.compiler_versions()
    _send(sock, {"type": "ready", "pid": os.getpid()})
    while True:
        readable, _, _ = select.select([sock], [], [], 0.2)
        _reap(sock)
        if not readable:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, _MAX_MSG, 2)
        except OSError:
            data, fds = b"", []
        if not data:
            return 0   # the supervisor is gone; children exit when their job pipes close
        req = json.loads(data)
        pid = os.fork()
        if pid == 0:
            _child(sock, req, fds)
        for fd in fds:
            os.close(fd)
        _send(sock, {"type": "forked", "id": req["id"], "pid": pid})


if __name__ == "__main__":
    sys.exit(main())
