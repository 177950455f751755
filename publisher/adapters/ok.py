"""Odnoklassniki REST (``fb.do``) over httpx, with the documented request signature.

sig = md5(sorted "k=v" pairs without ``access_token`` + md5(access_token + application_secret_key)).
The comment method names are configurable (publishing.yaml) because OK documents several
discussion APIs; errors arrive as ``{"error_code", "error_msg"}`` bodies with HTTP 200.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx

from publisher.adapters.base import Outgoing, Posted, Target
from publisher.errors import PermanentError, RateLimited, TransientError

OK_API = "https://api.ok.ru/fb.do"


def signature(params: dict[str, str], access_token: str, app_secret: str) -> str:
    secret = hashlib.md5((access_token + app_secret).encode()).hexdigest()
    base = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("access_token", "sig"))
    return hashlib.md5((base + secret).encode()).hexdigest()


class OkAdapter:
    network = "ok"

    def __init__(self, access_token: str, app_key: str, app_secret: str, group_id: str, *, api_base: str = OK_API,
                 comment_method: str = "discussions.comment", comments_method: str = "discussions.getComments",
                 discussion_type: str = "GROUP_TOPIC", rate_limit_codes: tuple[int, ...] = (4,),
                 transient_codes: tuple[int, ...] = (1, 2, 9999), timeout_s: float = 20.0) -> None:
        self._token, self._app_key, self._secret = access_token, app_key, app_secret
        self.group_id = group_id
        self.api_base = api_base
        self.comment_method, self.comments_method = comment_method, comments_method
        self.discussion_type = discussion_type
        self.rate_limit_codes, self.transient_codes = set(rate_limit_codes), set(transient_codes)
        self.http = httpx.Client(timeout=timeout_s)

    def _call(self, method: str, **values: str) -> Any:
        params = {"application_key": self._app_key, "method": method, "format": "json", **values}
        params["sig"] = signature(params, self._token, self._secret)
        params["access_token"] = self._token
        try:
            response = self.http.post(self.api_base, data=params)
        except httpx.TimeoutException as exc:
            raise TransientError(f"OK {method}: таймаут", sent_maybe=True) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"OK {method}: {type(exc).__name__}", sent_maybe=True) from exc
        if response.status_code == 429:
            raise RateLimited(f"OK {method}: HTTP 429", _retry_after(response))
        if response.status_code >= 500:
            raise TransientError(f"OK {method}: HTTP {response.status_code}", sent_maybe=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientError(f"OK {method}: ответ не JSON", sent_maybe=True) from exc
        if isinstance(body, dict) and "error_code" in body:
            code = int(body["error_code"])
            message = f"OK {method}: ошибка {code}: {str(body.get('error_msg', ''))[:300]}"
            if code in self.rate_limit_codes:
                raise RateLimited(message)
            if code in self.transient_codes:
                raise TransientError(message, sent_maybe=True)
            raise PermanentError(message)
        return body

    def _discussion(self, target: Target) -> dict[str, str]:
        return {"entityId": target.post, "entityType": self.discussion_type}

    def _url(self, target: Target, comment_id: str) -> str:
        return f"https://ok.ru/group/{target.owner.lstrip('-')}/topic/{target.post}?commentId={comment_id}"

    def post(self, target: Target, reply: Outgoing) -> Posted:
        if reply.attachments:
            raise PermanentError("OK: вложения к комментариям через этот метод не поддерживаются")
        values = {**self._discussion(target), "text": reply.text, "asGroup": "true", "gid": self.group_id}
        if target.comment:
            values["replyTo"] = target.comment
        body = self._call(self.comment_method, **values)
        comment_id = str(body.get("id") if isinstance(body, dict) else body)
        if not comment_id or comment_id == "None":
            raise TransientError("OK: в ответе нет id комментария", sent_maybe=True)
        return Posted(comment_id, self._url(target, comment_id), datetime.now(UTC))

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        body = self._call(self.comments_method, **self._discussion(target), count="100")
        for item in body.get("comments", []) if isinstance(body, dict) else []:
            if str(item.get("author_id")) == self.group_id and item.get("text") == reply.text:
                return Posted(str(item["id"]), self._url(target, str(item["id"])), _parse_date(item.get("date")))
        return None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
