"""The evaluation server: HTTP (FastAPI + uvicorn) in front of the local pipeline, for a GPU box that optimizers
elsewhere send kernels to. `create_app()` builds the app; `serve()` runs it.

API, version 1 (JSON in and out; errors are {"error": "one line"}):
    POST /v1/jobs          body: an evaluation request       -> 202 {"id", "state", ...}   (Idempotency-Key honoured)
    GET  /v1/jobs/{id}     ?wait=S long-polls up to S s       -> {"id", "state", "result": null | result}
    POST /v1/evaluate      body: an evaluation request       -> 200 {"id", "state": "done", "result"}
    GET  /v1/health        no token needed                   -> {"ok", "accepting", "version"}
    GET  /v1/status                                          -> queue depth, running jobs, per-GPU state, counters
Status codes: 400 malformed JSON, 401 missing/wrong token, 404 unknown job, 413 body too large, 422 invalid
request, 503 shutting down.

Guarantees: a job's own time limit excludes its time in the queue; finished jobs are kept for the last
`max_finished`; on shutdown, running jobs get `grace_s` to finish, and what is left (running or queued) is spooled to
`state_dir` and runs again, under the same id, when the server next starts.
"""
from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluators import server_security as security
from trace_kernelbench.evaluators.jobs import JobRecord, JobStore

API_PREFIX = "/v1"
MAX_WAIT_S = 60.0
DEFAULT_JOB_TIMEOUT_S = 1800.0


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("trace-kernelbench")
    except PackageNotFoundError:
        return "0+unknown"


def default_state_dir() -> Path:
    from trace_kernelbench.evaluation.build import cache_root
    return cache_root() / "server"


class ServerState:
    """Everything the endpoints share: the evaluator, the job store, the token, and whether we still accept work."""

    def __init__(self, evaluator, owns_evaluator: bool, store: JobStore, token: str | None, grace_s: float):
        self.evaluator, self.owns_evaluator = evaluator, owns_evaluator
        self.store, self.token, self.grace_s = store, token, grace_s
        self.accepting = True
        self.started = time.time()
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, rec: JobRecord) -> None:
        """Hand a record to the evaluator; its result comes back through `_done` (from a pipeline thread)."""
        handle = self.evaluator.submit(EvalRequest.from_dict(rec.request), label=rec.id)
        rec.handle = handle
        handle.future.add_done_callback(lambda _f, rec=rec, handle=handle: self._done(rec, handle))

    def _done(self, rec: JobRecord, handle) -> None:
        if handle.aborted and not self.accepting:
            self.store.spool(rec)          # cut short by shutdown: run again at the next start
        else:
            self.store.finish(rec, handle.future.result().to_dict())
        for wake in list(rec.waiters):
            wake()

    async def wait_done(self, rec: JobRecord, timeout: float | None) -> None:
        if rec.result is not None:
            return
        event = asyncio.Event()
        loop = asyncio.get_running_loop()

        def wake():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:       # the loop is gone (shutdown)
                pass

        rec.waiters.append(wake)
        try:
            if rec.result is None:
                await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            rec.waiters.remove(wake)

    def shutdown(self) -> None:
        self.accepting = False
        if self.owns_evaluator:
            self.evaluator.shutdown(self.grace_s)


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(evaluator=None, *, token: str | None = None, max_body_bytes: int = security.DEFAULT_MAX_BODY,
               max_finished: int = 1000, job_timeout_s: float | None = DEFAULT_JOB_TIMEOUT_S,
               state_dir: str | Path | None = None, grace_s: float = 30.0, build_workers: int | None = None):
    """The FastAPI app. Without `evaluator`, it starts (and at shutdown stops) its own `LocalEvaluator`."""
    store = JobStore(max_finished=max_finished, spool_dir=Path(state_dir or default_state_dir()) / "spool")
    state = ServerState(evaluator, evaluator is None, store, token, grace_s)

    @asynccontextmanager
    async def lifespan(app):
        if state.evaluator is None:
            from trace_kernelbench.evaluators.local import LocalEvaluator
            state.evaluator = LocalEvaluator(job_timeout_s=job_timeout_s, build_workers=build_workers)
        for rec in store.unspool():
            store.adopt(rec)
            state.start(rec)
        yield
        await asyncio.to_thread(state.shutdown)

    app = FastAPI(title="trace-kernelbench evaluation server", version=package_version(), lifespan=lifespan)
    app.state.tkb = state
    app.add_middleware(security.BodyLimit, max_bytes=max_body_bytes)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc):
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request, exc):
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"invalid {where}: {first.get('msg', 'bad value')}")

    def require_token(request: Request) -> None:
        problem = security.token_problem(request.headers.get("authorization"), state.token)
        if problem:
            raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})

    async def read_request(request: Request) -> dict:
        raw = await request.body()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise HTTPException(400, f"malformed JSON: {e}") from None
        if not isinstance(data, dict):
            raise HTTPException(422, "the body must be a JSON object: an evaluation request")
        try:
            EvalRequest.from_dict(data).validate()
        except (ValueError, TypeError, UserError) as e:
            raise HTTPException(422, str(e)) from None
        return data

    def accept(data: dict, key: str | None) -> JobRecord:
        if not state.accepting:
            raise HTTPException(503, "the server is shutting down")
        if key is not None and len(key) > 200:
            raise HTTPException(422, "Idempotency-Key is longer than 200 characters")
        rec, created = store.create(data, key)
        if created:
            state.start(rec)
        return rec

    auth = [Depends(require_token)]

    @app.post(f"{API_PREFIX}/jobs", status_code=202, dependencies=auth)
    async def submit_job(request: Request):
        rec = accept(await read_request(request), request.headers.get("idempotency-key"))
        return rec.public()

    @app.get(f"{API_PREFIX}/jobs/{{job_id}}", dependencies=auth)
    async def get_job(job_id: str, wait: float = 0.0):
        rec = store.get(job_id)
        if rec is None:
            raise HTTPException(404, f"no job {job_id} (finished jobs are kept for the last {store.max_finished})")
        if wait > 0:
            await state.wait_done(rec, min(wait, MAX_WAIT_S))
        return rec.public()

    @app.post(f"{API_PREFIX}/evaluate", dependencies=auth)
    async def evaluate(request: Request):
        rec = accept(await read_request(request), request.headers.get("idempotency-key"))
        while rec.result is None and state.accepting:
            await state.wait_done(rec, MAX_WAIT_S)
        if rec.result is None:
            raise HTTPException(503, "the server is shutting down; the job will run again after restart: "
                                     f"GET {API_PREFIX}/jobs/{rec.id}")
        return rec.public()

    @app.get(f"{API_PREFIX}/health")
    async def health():
        return {"ok": True, "accepting": state.accepting, "version": package_version()}

    @app.get(f"{API_PREFIX}/status", dependencies=auth)
    async def status():
        ev = state.evaluator.status() if state.evaluator is not None else {}
        return {**ev, "server": {"accepting": state.accepting, "uptime_s": round(time.time() - state.started, 1),
                                 "jobs": store.counts(), "auth": state.token is not None}}

    return app


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host.strip("[]"), port))
        except OSError as e:
            raise UserError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def serve(host: str = "127.0.0.1", port: int = 8000, token: str | None = None, *, log_level: str = "info",
          **app_options) -> None:
    """Run the server until SIGINT/SIGTERM, then shut down gracefully (see the module docstring)."""
    token = security.resolve_token(token)
    security.check_exposure(host, token)
    check_port_free(host, port)
    import uvicorn
    config = uvicorn.Config(create_app(token=token, **app_options), host=host, port=port, log_level=log_level,
                            timeout_graceful_shutdown=5, server_header=False)
    # uvicorn re-raises the stop signal once it has shut down gracefully; with these no-op handlers in place, a
    # graceful stop ends the command normally (exit 0) instead of killing it with that signal.
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in stops}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
