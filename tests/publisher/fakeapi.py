"""A local HTTP server (127.0.0.1 only) that plays a network API in its documented response shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


App = Callable[[Request], Response]


@contextmanager
def serve(app: App) -> Iterator[tuple[str, list[Request]]]:
    seen: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()} \
                if "x-www-form-urlencoded" in ctype else {}
            payload = json.loads(body) if "json" in ctype and body else None
            request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                              form, payload, dict(self.headers.items()), body)
            seen.append(request)
            response = app(request)
            data = response.raw if response.raw is not None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.headers.pop("Content-Type", "application/json"))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
