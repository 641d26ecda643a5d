"""Authentication of the worker's result message. Standard library only.

The evaluator draws a fresh 32-byte key per job and sends it on the job pipe, which the worker reads before any
candidate code exists. The worker keeps only a keyed HMAC object (not the key text), moves its result descriptor to a
random high number, and signs the canonical JSON of its final result. The evaluator recomputes the MAC: a result
written by anyone else (the candidate writing to stdout, guessing or scanning descriptors) fails verification.

What this cannot promise: code running inside the worker process can, with enough effort (reading process memory
from native code, walking every object with gc), find the keyed HMAC object and sign a forged result. The static
guard rejects the usual ways to do that (ctypes, /proc/self/mem, gc, frames, fd writes), and the evaluator never
trusts a result that arrives unauthenticated.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

AUTH_FIELD = "auth"


def new_key() -> str:
    return secrets.token_hex(32)


def canonical(payload: dict) -> bytes:
    body = {k: v for k, v in payload.items() if k != AUTH_FIELD}
    text = json.dumps(body, sort_keys=True, default=str)
    return json.dumps(json.loads(text), sort_keys=True).encode()


class Signer:
    """Holds a keyed HMAC state; the key string itself is not kept."""

    def __init__(self, key_hex: str):
        self._mac = hmac.new(bytes.fromhex(key_hex), digestmod=hashlib.sha256)

    def sign(self, payload: dict) -> dict:
        mac = self._mac.copy()
        mac.update(canonical(payload))
        out = dict(payload)
        out[AUTH_FIELD] = mac.hexdigest()
        return out


def verify(payload: dict | None, key_hex: str) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get(AUTH_FIELD), str):
        return False
    mac = hmac.new(bytes.fromhex(key_hex), canonical(payload), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, payload[AUTH_FIELD])
