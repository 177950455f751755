"""Instagram: reply to a comment with the Graph API (``POST /{comment-id}/replies``) over httpx.

A post without a comment id gets a top-level comment (``POST /{media-id}/comments``). Lookup
after an uncertain send lists the same edge and matches our account's username and text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from publisher.adapters.base import Outgoing, Posted, Target
from publisher.errors import PermanentError, RateLimited, TransientError

GRAPH_API = "https://graph.facebook.com/v21.0"


class InstagramAdapter:
    network = "instagram"

    def __init__(self, access_token: str, username: str, *, api_base: str = GRAPH_API,
                 rate_limit_codes: tuple[int, ...] = (4, 17, 32, 613), transient_codes: tuple[int, ...] = (1, 2),
                 timeout_s: float = 20.0) -> None:
        self._token = access_token
        self.username = username
        self.api_base = api_base.rstrip("/")
        self.rate_limit_codes, self.transient_codes = set(rate_limit_codes), set(transient_codes)
        self.http = httpx.Client(timeout=timeout_s)

    def _call(self, method: str, path: str, **params: str) -> Any:
        what = f"Instagram {method} {path.split('/')[-1] or path}"
        try:
            if method == "POST":
                response = self.http.post(f"{self.api_base}/{path}", data={**params, "access_token": self._token})
            else:
                response = self.http.get(f"{self.api_base}/{path}", params={**params, "access_token": self._token})
        except httpx.TimeoutException as exc:
            raise TransientError(f"{what}: таймаут", sent_maybe=True) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{what}: {type(exc).__name__}", sent_maybe=True) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code < 400 and not error:
            return body
        error = error if isinstance(error, dict) else {}
        code = int(error.get("code", 0) or 0)
        message = f"{what}: HTTP {response.status_code}, код {code}: {str(error.get('message', ''))[:300]}"
        if code in self.rate_limit_codes or response.status_code == 429:
            raise RateLimited(message)
        if error.get("is_transient") or code in self.transient_codes or response.status_code >= 500:
            raise TransientError(message, sent_maybe=method == "POST")
        raise PermanentError(message)

    def _edge(self, target: Target) -> str:
        return f"{target.comment}/replies" if target.comment else f"{target.post}/comments"

    def _permalink(self, target: Target) -> str | None:
        try:
            link = self._call("GET", target.post, fields="permalink").get("permalink")
        except (TransientError, PermanentError, RateLimited):
            return None  # the reply is posted; a missing link must not turn success into failure
        return str(link) if link else None

    def post(self, target: Target, reply: Outgoing) -> Posted:
        if reply.attachments:
            raise PermanentError("Instagram: ответы на комментарии не могут содержать вложения")
        body = self._call("POST", self._edge(target), message=reply.text)
        reply_id = str(body.get("id") or "")
        if not reply_id:
            raise TransientError("Instagram: в ответе нет id", sent_maybe=True)
        return Posted(reply_id, self._permalink(target), datetime.now(UTC))

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        body = self._call("GET", self._edge(target), fields="id,text,username,timestamp", limit="100")
        for item in body.get("data", []):
            if item.get("username") == self.username and item.get("text") == reply.text:
                return Posted(str(item["id"]), self._permalink(target), _parse(item.get("timestamp")))
        return None


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None
