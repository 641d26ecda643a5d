"""The `server` evaluator: a client of one or more evaluation servers (evaluators/server.py).

Each evaluation is submitted as a job (with an idempotency key, so a retried submission never runs twice) to the
least-loaded server, then long-polled until done. Connection errors and 5xx answers are retried with exponential
backoff; other 4xx answers are not. Nothing here raises for a server problem: an unreachable or failing server
becomes an `infra_error` result (never the kernel's fault), within about a second when nothing listens.
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
from typing import Sequence
from urllib.parse import urlparse

from trace_kernelbench.errors import UserError
from trace_kernelbench.evaluation.request import EvalRequest
from trace_kernelbench.evaluation.result import EvalResult, infra_error
from trace_kernelbench.evaluators.base import Evaluator
from trace_kernelbench.evaluators.server_security import TOKEN_ENV, resolve_token

API = "/v1"


class _Unreachable(Exception):
    """No answer from the server after every retry."""


class _Refused(Exception):
    """The server answered with an error status."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def _check_url(url: str) -> str:
    p = urlparse(url)
    if p.scheme not in ("http", "https") or not p.netloc:
        raise UserError(f"bad server URL '{url}' (expected http://HOST:PORT or https://HOST)")
    return url.rstrip("/")


class ServerEvaluator(Evaluator):
    """`urls`: one or more servers (jobs go to the one with the fewest of ours in flight); `token`: bearer token
    (default $TRACE_KB_SERVER_TOKEN)."""

    name = "server"

    def __init__(self, urls: Sequence[str] | str | None = None, token: str | None = None, *,
                 connect_timeout_s: float = 3.0, request_timeout_s: float = 30.0, retries: int = 3,
                 backoff_s: float = 0.25, poll_wait_s: float = 20.0, reconnect_s: float = 120.0,
                 max_concurrency: int = 64, **_ignored):
        import httpx
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            raise UserError("the server evaluator needs at least one --server-url URL")
        self.urls = [_check_url(u) for u in urls]
        self.retries, self.backoff_s = max(1, retries), backoff_s
        self.poll_wait_s, self.reconnect_s = poll_wait_s, reconnect_s
        self.request_timeout_s = request_timeout_s
        self.max_concurrency = max_concurrency
        token = resolve_token(token)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(request_timeout_s, connect=connect_timeout_s),
                                  limits=httpx.Limits(max_connections=max_concurrency + 8,
                                                      max_keepalive_connections=max_concurrency))
        self._lock = threading.Lock()
        self._in_flight = {u: 0 for u in self.urls}
        self._down_until = {u: 0.0 for u in self.urls}
        self._rr = itertools.count()

    # ------------------------------------------------------------------------------------------ HTTP
    def _call(self, method: str, url: str, path: str, *, timeout: float | None = None, **kw) -> dict:
        """One API call with retries on connection errors and 5xx; raises _Unreachable or _Refused."""
        import httpx
        last, last_status = "", None
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                extra = {"timeout": httpx.Timeout(timeout, connect=self._http.timeout.connect)} if timeout else {}
                resp = self._http.request(method, url + API + path, **extra, **kw)
            except httpx.TransportError as e:
                last, last_status = (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__), None
                continue
            if resp.status_code >= 500:
                last, last_status = _message(resp), resp.status_code
                continue
            if resp.status_code >= 400:
                raise _Refused(resp.status_code, _message(resp))
            try:
                return resp.json()
            except ValueError:
                last = "the answer was not JSON"
        if last_status is not None:
            raise _Refused(last_status, last)
        raise _Unreachable(f"{url} did not answer ({last})")

    def _servers_in_order(self) -> list[str]:
        """Least-loaded first (ties round-robin); servers that just failed go last."""
        with self._lock:
            now, turn = time.monotonic(), next(self._rr)
            n = len(self.urls)
            return sorted(self.urls, key=lambda u: (self._down_until[u] > now, self._in_flight[u],
                                                    (self.urls.index(u) - turn) % n))

    # ------------------------------------------------------------------------------------------ evaluating
    def evaluate(self, request: EvalRequest) -> EvalResult:
        request.validate()
        key = uuid.uuid4().hex
        ids = dict(problem_id=request.problem_id, source_sha256=request.source_sha256)
        problems = []
        for url in self._servers_in_order():
            try:
                job = self._call("POST", url, "/jobs", json=request.to_dict(), headers={"Idempotency-Key": key})
            except _Unreachable as e:
                with self._lock:
                    self._down_until[url] = time.monotonic() + 10.0
                problems.append(str(e))
                continue
            except _Refused as e:
                return infra_error(f"the evaluation server {url} refused the job: {e}", **ids)
            with self._lock:
                self._in_flight[url] += 1
            try:
                return self._await(url, job["id"], ids)
            finally:
                with self._lock:
                    self._in_flight[url] -= 1
        return infra_error("no evaluation server could be reached: " + "; ".join(problems), **ids)

    def _await(self, url: str, job_id: str, ids: dict) -> EvalResult:
        last_contact = time.monotonic()
        while True:
            try:
                job = self._call("GET", url, f"/jobs/{job_id}", params={"wait": self.poll_wait_s},
                                 timeout=self.poll_wait_s + self.request_timeout_s)
            except _Unreachable as e:
                if time.monotonic() - last_contact > self.reconnect_s:
                    return infra_error(f"lost contact with the evaluation server while job {job_id} ran: {e}", **ids)
                time.sleep(min(2.0, self.backoff_s * 4))
                continue
            except _Refused as e:
                if e.status == 404:
                    return infra_error(f"the evaluation server {url} no longer knows job {job_id}", **ids)
                return infra_error(f"the evaluation server {url} failed job {job_id}: {e}", **ids)
            last_contact = time.monotonic()
            if job.get("state") == "done" and job.get("result"):
                return EvalResult.from_dict(job["result"])

    def status(self) -> dict:
        servers = []
        for url in self.urls:
            try:
                servers.append({"url": url, "ok": True, **self._call("GET", url, "/status")})
            except (_Unreachable, _Refused) as e:
                servers.append({"url": url, "ok": False, "error": str(e)})
        return {"evaluator": self.name, "servers": servers}

    def close(self) -> None:
        self._http.close()


def _message(resp) -> str:
    try:
        d = resp.json()
        return str(d.get("error") or d.get("detail") or d)
    except ValueError:
        return resp.text[:200] or resp.reason_phrase


__all__ = ["ServerEvaluator", "TOKEN_ENV"]
