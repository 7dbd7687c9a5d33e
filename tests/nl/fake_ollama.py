"""An ollama-compatible server on 127.0.0.1, scripted per test.

It speaks the real wire format: `POST /api/chat` streams NDJSON chunks (HTTP/1.1 chunked) ending
with a `"done": true` line, and `GET /api/tags` lists models. Each chat request takes the next
scripted `Reply`; every request body is kept for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    pieces: int = 3
    """The content is streamed in this many chunks."""
    first_token_delay: float = 0.0
    stall_after: int | None = None
    """Stop sending (but keep the connection open) after this many chunks."""
    stall_secs: float = 5.0
    status: int = 200
    error: str = "internal error"


@dataclass
class FakeOllama:
    models: list[str] = field(default_factory=lambda: ["tiny:latest"])
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    answer: Callable[[dict[str, Any]], Reply] | None = None
    """When set, answers every chat request from its body (instead of the script)."""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        if self.answer is not None:
            return self.answer(body)
        if not self.replies:
            return Reply(status=500, error="no scripted reply left")
        return self.replies.pop(0)


def _chunks(text: str, n: int) -> list[str]:
    n = max(1, min(n, len(text) or 1))
    size = -(-len(text) // n) if text else 0
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def make_handler(state: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/api/tags":
                self._json(404, {"error": "not found"})
                return
            models = [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2026-01-01T00:00:00Z",
                    "size": 1,
                    "digest": "0" * 64,
                    "details": {"format": "gguf", "family": "test"},
                }
                for m in state.models
            ]
            self._json(200, {"models": models})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/api/chat":
                self._json(404, {"error": "not found"})
                return
            state.requests.append(body)
            reply = state.next_reply(body)
            if reply.status != 200:
                self._json(reply.status, {"error": reply.error})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            time.sleep(reply.first_token_delay)
            model = body.get("model", "")
            for i, piece in enumerate(_chunks(reply.content, reply.pieces)):
                if reply.stall_after is not None and i >= reply.stall_after:
                    time.sleep(reply.stall_secs)
                    return
                self._line(
                    {
                        "model": model,
                        "message": {"role": "assistant", "content": piece},
                        "done": False,
                    }
                )
            self._line(
                {
                    "model": model,
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "eval_count": 1,
                }
            )
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _line(self, obj: object) -> None:
            data = json.dumps(obj).encode() + b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up on a stalled stream resets the connection: expected here.
        pass


class FakeOllamaServer:
    def __init__(self) -> None:
        self.state = FakeOllama()
        self._server = _Server(("127.0.0.1", 0), make_handler(self.state))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.state.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
