"""A scripted HTTP server on 127.0.0.1:0 answering in an API's documented shapes, and a
requests transport adapter that sends a client's fixed API host there (no library patching)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else None


Handler = Callable[[Request], Reply]


class ApiServer:
    """Routes by path prefix; each route is a handler or a list of replies served in order."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler | list[Reply]] = {}
        self.requests: list[Request] = []

    def route(self, prefix: str, answer: Handler | list[Reply]) -> None:
        self.routes[prefix] = answer

    def _answer(self, req: Request) -> Reply:
        self.requests.append(req)
        for prefix in sorted(self.routes, key=len, reverse=True):
            if req.path.startswith(prefix):
                answer = self.routes[prefix]
                if callable(answer):
                    return answer(req)
                return answer.pop(0) if len(answer) > 1 else answer[0]
        return Reply(404, {"error": "no route"})

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type") or ""
                form = parse_qs(body.decode("utf-8", "replace")) if "form-urlencoded" in ctype else {}
                req = Request(self.command, parts.path, parse_qs(parts.query), form, dict(self.headers), body)
                reply = server._answer(req)
                data = reply.body
                if isinstance(data, dict | list):
                    data = json.dumps(data, ensure_ascii=False)
                if isinstance(data, str):
                    data = data.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        return _H

    @contextmanager
    def running(self) -> Iterator[str]:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


class RerouteAdapter(HTTPAdapter):
    """Sends every request mounted on it to ``base`` instead, keeping path and query."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def rerouted_session(base: str, *hosts: str) -> requests.Session:
    session = requests.Session()
    for host in hosts:
        session.mount(f"https://{host}/", RerouteAdapter(base))
    return session
