"""Odnoklassniki through its REST API (``fb.do``) with httpx and signed requests.

Signature per apiok.ru: ``sig = md5(sorted "k=v" params without access_token +
md5(access_token + application_secret_key))``, lowercase hex. Group feeds come from
``mediatopic.getTopics`` (anchor paging), comments from ``discussions.getComments``.
Errors arrive as ``{"error_code": N, "error_msg": "..."}`` with HTTP 200.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import httpx

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, as_list, count, from_iso, from_unix, ident, text_of
from schemas import Attachment, Author, Metrics, Network, Post
from schemas.posts import make_uid

API_URL = "https://api.ok.ru/fb.do"
NETWORK = Network.OK.value
_RATE_CODES = {8: 60.0, 11: 3600.0}  # FLOOD_BLOCKED, LIMIT_REACHED
_DOWN_CODES = {7: "действие заблокировано", 9: "IP заблокирован", 10: "нет прав доступа",
               102: "сессия истекла", 103: "неверный ключ сессии", 104: "неверная подпись запроса"}


def signature(params: dict[str, str], access_token: str, secret_key: str) -> str:
    secret = hashlib.md5((access_token + secret_key).encode("utf-8")).hexdigest()
    base = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("access_token", "session_key", "sig"))
    return hashlib.md5((base + secret).encode("utf-8")).hexdigest().lower()


class OkClient:
    """Signs and sends one ``fb.do`` call; maps OK's error codes to the scheduler's outcomes."""

    def __init__(self, application_key: str, secret_key: str, access_token: str, *,
                 http: httpx.Client | None = None, api_url: str = API_URL) -> None:
        self.application_key, self._secret, self._token = application_key, secret_key, access_token
        self.http = http or httpx.Client(timeout=30.0)
        self.api_url = api_url

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        values = {k: str(v) for k, v in params.items() if v is not None}
        values.update(application_key=self.application_key, method=method, format="json")
        values["sig"] = signature(values, self._token, self._secret)
        values["access_token"] = self._token
        try:
            response = self.http.post(self.api_url, data=values)
        except httpx.HTTPError as exc:
            raise TransientError(f"OK {method}: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise RateLimited(f"OK {method}: HTTP 429", _retry_after(response.headers.get("Retry-After")))
        if response.status_code in (401, 403):
            raise SourceDown(f"OK {method}: HTTP {response.status_code}, доступ запрещён")
        if response.status_code >= 400:
            raise TransientError(f"OK {method}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise TransientError(f"OK {method}: malformed response (not JSON)") from None
        if not isinstance(body, dict):
            raise TransientError(f"OK {method}: malformed response (not an object)")
        code = body.get("error_code")
        if code is not None:
            code = code if isinstance(code, int) else -1
            if code in _RATE_CODES:
                raise RateLimited(f"OK {method}: ошибка {code}", _RATE_CODES[code])
            if code in _DOWN_CODES:
                raise SourceDown(f"OK {method}: {_DOWN_CODES[code]} (код {code})")
            raise TransientError(f"OK {method}: ошибка API {code}")
        return body


def _retry_after(value: str | None, default: float = 60.0) -> float:
    try:
        return max(0.0, min(float(value), 86_400.0)) if value is not None else default
    except ValueError:
        return default


def _ref_id(ref: Any) -> str:
    """``group:54123`` / ``user:987`` -> the id part."""
    return ident(ref.rsplit(":", 1)[-1] if isinstance(ref, str) else ref, "author_ref")


def _ok_date(value: Any) -> datetime:
    """OK gives ``yyyy-MM-dd HH:mm:ss`` in GMT."""
    if not isinstance(value, str):
        raise ValueError("comment date must be a string")
    return from_iso(value.strip().replace(" ", "T") + "+00:00")


def normalise_ok_topic(raw: Any, source: str | None = None, group_id: str = "") -> Post:
    data = as_dict(raw, "OK media topic")
    tid = ident(data.get("id"), "topic id")
    gid = ident(group_id or _ref_id(data.get("owner_ref") or data.get("author_ref")), "group id")
    texts, attachments = [], []
    for media in as_list(data.get("media"), "media")[:50]:
        media = as_dict(media, "media")
        kind = media.get("type")
        if kind == "text":
            texts.append(text_of(media.get("text")))
        elif isinstance(kind, str):
            attachments.append(Attachment(kind=kind[:20]))
    created = data.get("created_ms")
    if not isinstance(created, int) or isinstance(created, bool):
        raise ValueError("created_ms must be an integer")
    return Post(
        uid=make_uid(NETWORK, gid, tid), network=Network.OK, url=f"https://ok.ru/group/{gid}/topic/{tid}",
        author=Author(id=_ref_id(data.get("author_ref") or gid)), text="\n".join(texts),
        created_at=from_unix(created / 1000), deleted=bool(data.get("deleted")),
        metrics=Metrics(likes=count(data.get("like_summary")), reposts=count(data.get("reshare_summary")),
                        comments=count(as_dict(data.get("discussion_summary") or {}, "discussion_summary")
                                       .get("comments_count"))),
        attachments=attachments, source=source, raw=data,
    )


def normalise_ok_comment(raw: Any, source: str | None = None, group_id: str = "", topic_id: str = "") -> Post:
    data = as_dict(raw, "OK comment")
    cid = ident(data.get("id"), "comment id")
    gid, tid = ident(group_id, "group id"), ident(topic_id, "topic id")
    parent = data.get("reply_to_comment_id")
    return Post(
        uid=make_uid(NETWORK, gid, tid, cid), network=Network.OK, url=f"https://ok.ru/group/{gid}/topic/{tid}",
        author=Author(id=ident(data.get("author_id"), "author_id"), name=data.get("author_name")
                      if isinstance(data.get("author_name"), str) else None),
        text=text_of(data.get("text")), created_at=_ok_date(data.get("date")),
        deleted=bool(data.get("deleted")), metrics=Metrics(likes=count(data.get("like_count"))),
        reply_to=make_uid(NETWORK, gid, tid, ident(parent, "reply_to_comment_id") if parent else None),
        source=source, raw=data,
    )


class OkGroupSource:
    """A group's topic feed, newest first, walked back to the previous sweep; with ``comments``
    the discussions of recent topics are read too (government groups, R5).

    Cursor ``{"since_ms", "top_ms", "anchor", "queue": [topic_id], "comments": {topic_id: anchor}}``.
    """

    network = NETWORK

    def __init__(self, client: OkClient, name: str, group_id: str, *, comments: bool = False, window: int = 20,
                 interval_s: float = 300.0, page_size: int = 50) -> None:
        self.client, self.name, self.group_id = client, name, ident(group_id, "group id")
        self.comments, self.window, self.interval_s, self.page_size = comments, window, interval_s, page_size

    def fetch(self, cursor: str | None) -> Page:
        fresh: dict[str, Any] = {"since_ms": 0, "top_ms": 0, "anchor": None, "queue": [], "comments": {}}
        state: dict[str, Any] = json.loads(cursor) if cursor else fresh
        if state["queue"]:
            return self._comments(state)
        body = self.client.call("mediatopic.getTopics", gid=self.group_id, count=self.page_size,
                                anchor=state["anchor"], direction="BACKWARD" if state["anchor"] else None,
                                fields="media_topic.*")
        raws = body.get("media_topics")
        if not isinstance(raws, list):
            raise TransientError("OK mediatopic.getTopics: malformed response (no media_topics list)")
        items: list[Item] = [normalise_safely(normalise_ok_topic, r, network=NETWORK, source=self.name,
                                              group_id=self.group_id) for r in raws]
        stamps = [int(r["created_ms"]) for r, i in zip(raws, items, strict=True) if isinstance(i, Post)]
        state["top_ms"] = max([state["top_ms"], *stamps])
        if self.comments:
            found = [i.uid.split(":")[2] for i in items if isinstance(i, Post) and i.metrics.comments > 0]
            state["candidates"] = (state.get("candidates", []) + found)[: self.window]
        anchor = body.get("anchor") if isinstance(body.get("anchor"), str) else None
        if body.get("has_more") is True and anchor and raws and not (stamps and min(stamps) <= state["since_ms"]):
            state["anchor"] = anchor
            return Page(items, json.dumps(state), more=True)
        state.update(since_ms=state["top_ms"], anchor=None)
        if self.comments:
            state["queue"], state["candidates"] = state.get("candidates", []), []
            state["comments"] = {k: v for k, v in state["comments"].items() if k in state["queue"]}
        return Page(items, json.dumps(state), more=bool(state["queue"]))

    def _comments(self, state: dict[str, Any]) -> Page:
        topic = state["queue"][0]
        body = self.client.call("discussions.getComments", entityId=topic, entityType="GROUP_TOPIC",
                                count=100, anchor=state["comments"].get(topic), direction="FORWARD")
        raws = body.get("comments")
        if not isinstance(raws, list):
            raise TransientError("OK discussions.getComments: malformed response (no comments list)")
        items: list[Item] = [normalise_safely(normalise_ok_comment, r, network=NETWORK, source=self.name,
                                              group_id=self.group_id, topic_id=topic) for r in raws]
        anchor = body.get("anchor") if isinstance(body.get("anchor"), str) else None
        if anchor:
            state["comments"][topic] = anchor
        if not (body.get("has_more") is True and raws):
            state["queue"] = state["queue"][1:]
        return Page(items, json.dumps(state), more=bool(state["queue"]))
