"""A local OpenAI-compatible chat-completions server for tests: real HTTP on 127.0.0.1, a Python function decides
each reply. Written for these tests.

    with StubLLMServer(lambda body: ["reply text"]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class StubLLMServer:
    def __init__(self, respond: Callable[[dict], list[str] | str], fail_first: int = 0, status: int = 500):
        self.respond = respond
        self.requests: list[dict] = []
        self.fail_first, self.status = fail_first, status
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                with stub._lock:
                    stub.requests.append(body)
                    failing = stub.fail_first > 0
                    if failing:
                        stub.fail_first -= 1
                if failing:
                    return self._send(stub.status, {"error": {"message": "stub failure", "type": "server_error"}})
                try:
                    replies = stub.respond(body)
                except Exception as e:  # noqa: BLE001 - a responder bug shows up as an HTTP 500 the test can see
                    return self._send(500, {"error": {"message": f"responder failed: {type(e).__name__}: {e}"}})
                if isinstance(replies, str):
                    replies = [replies] * int(body.get("n") or 1)
                prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
                completion = sum(len(r) for r in replies) // 4
                self._send(200, {
                    "id": f"stub-{len(stub.requests)}", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [{"index": i, "message": {"role": "assistant", "content": r}, "finish_reason": "stop"}
                                for i, r in enumerate(replies)],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                              "total_tokens": prompt + completion},
                })

            def _send(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def system_and_user(body: dict) -> tuple[str, str]:
    msgs = body.get("messages", [])
    return ("\n".join(m["content"] for m in msgs if m["role"] == "system"),
            "\n".join(m["content"] for m in msgs if m["role"] == "user"))
