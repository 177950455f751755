"""Blogs have no posting API: the executor posts by hand and records the link; we fetch it to check.

The page must be reachable over http(s) and contain the approved text (compared after
flattening markup and whitespace). The fetch is bounded in size and time, and the page is
only read as text, never executed.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import httpx

from publisher.text import plain

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


class LinkCheckError(ValueError):
    """The recorded link does not show the approved reply; the message says why, in Russian."""


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def page_text(body: str) -> str:
    return _normal(html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", body))))


def check_link(url: str, reply_text: str, http: httpx.Client, max_bytes: int = 2_000_000) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkCheckError("ссылка должна начинаться с http:// или https://")
    try:
        with http.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                raise LinkCheckError(f"страница по ссылке недоступна: HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise LinkCheckError("страница слишком велика для проверки")
            encoding = response.encoding or "utf-8"
    except httpx.HTTPError as exc:
        raise LinkCheckError(f"страница по ссылке недоступна: {type(exc).__name__}") from exc
    wanted = _normal(plain(reply_text))
    if wanted not in page_text(data.decode(encoding, "replace")):
        raise LinkCheckError("на странице по ссылке не найден текст утверждённого ответа")
