"""Fetch an attachment's bytes for upload: http(s) only, bounded size, never a local path from a message."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from publisher.errors import PermanentError, TransientError

MAX_MEDIA_BYTES = 20 * 1024 * 1024


def fetch(session: requests.Session, url: str, limit: int = MAX_MEDIA_BYTES) -> bytes:
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentError(f"вложение должно быть ссылкой http(s): {url[:200]!r}")
    try:
        with session.get(url, stream=True) as response:
            if response.status_code >= 500:
                raise TransientError(f"вложение недоступно: HTTP {response.status_code}")
            if response.status_code != 200:
                raise PermanentError(f"вложение недоступно: HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_content(65_536):
                data.extend(chunk)
                if len(data) > limit:
                    raise PermanentError(f"вложение больше {limit // (1024 * 1024)} МБ")
            return bytes(data)
    except requests.RequestException as exc:
        raise TransientError(f"вложение не загружено: {type(exc).__name__}") from exc
