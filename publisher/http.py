"""Point a ``requests``-based client library (vk-api, tweepy) at another base URL.

Both libraries hard-code their API host; mounting this adapter on their session sends
the same requests to a configured base (a proxy, or a local test server) unchanged.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class RebaseAdapter(HTTPAdapter):
    def __init__(self, original: str, replacement: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.original = original
        self.replacement = replacement

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(self.original):
            request.url = self.replacement + request.url[len(self.original):]
        return super().send(request, *args, **kwargs)


def rebased_session(original: str, replacement: str | None, timeout_s: float = 20.0) -> requests.Session:
    session = requests.Session()
    if replacement and replacement.rstrip("/") != original.rstrip("/"):
        session.mount(original, RebaseAdapter(original, replacement))
    session.request = _with_timeout(session.request, timeout_s)  # type: ignore[method-assign]
    return session


def _with_timeout(request: Any, timeout_s: float) -> Any:
    def call(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout_s)
        return request(method, url, **kwargs)

    return call
