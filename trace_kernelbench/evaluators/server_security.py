"""The evaluation server's guards: where the token comes from, when serving without one is allowed (loopback
only), bearer-token checks in constant time, and a request-body size limit enforced while the body streams in.
Standard library only (the ASGI middleware needs no framework)."""
from __future__ import annotations

import hmac
import ipaddress
import json
import os

from trace_kernelbench.errors import UserError

TOKEN_ENV = "TRACE_KB_SERVER_TOKEN"
DEFAULT_MAX_BODY = 1 << 20


def resolve_token(explicit: str | None) -> str | None:
    """--token wins, then $TRACE_KB_SERVER_TOKEN; empty means none."""
    token = explicit if explicit is not None else os.environ.get(TOKEN_ENV)
    return token.strip() or None if token else None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token: anyone who can reach the port could run code here."""
    if token is None and not is_loopback(host):
        raise UserError(f"refusing to serve on {host} without a token: anyone who can reach it could run code on "
                        f"this machine; pass --token T or set {TOKEN_ENV} (or bind to 127.0.0.1)")


def token_problem(authorization: str | None, token: str | None) -> str | None:
    """None when the request may pass; else why not (one line)."""
    if token is None:
        return None
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return "missing bearer token (send 'Authorization: Bearer <token>')"
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        return "wrong token"
    return None


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by Content-Length or while it streams in."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                if int(length) > self.max_bytes:
                    return await self._reject(send, 413, self._message())
            except ValueError:
                return await self._reject(send, 400, "bad Content-Length header")
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return msg

        async def tracking_send(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, 413, self._message())

    def _message(self) -> str:
        return f"request body too large (limit {self.max_bytes} bytes)"

    @staticmethod
    async def _reject(send, status: int, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
