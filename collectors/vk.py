"""VKontakte through vk-api: newsfeed.search (keywords, places), wall.get, wall.getComments (R4, R5).

Payload shapes follow dev.vk.com (API 5.199): post objects with ``owner_id``/``id``/``date``,
comment objects with nested ``thread.items``; errors as ``{"error": {"error_code", "error_msg"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
import vk_api
from vk_api.exceptions import ApiError, ApiHttpError

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, as_list, count, from_unix, ident, text_of
from schemas import Attachment, Author, Geo, Metrics, Network, Post, PostRejection
from schemas.posts import make_uid

API_VERSION = "5.199"
NETWORK = Network.VK.value
_AUTH_CODES = {5: "токен ВКонтакте недействителен или отозван", 17: "требуется валидация аккаунта",
               18: "страница удалена или заблокирована", 15: "доступ запрещён", 30: "профиль закрыт"}
_RATE_CODES = {6: 1.0, 9: 60.0, 29: 3600.0}


class VkClient(vk_api.VkApi):
    """vk-api with our rate-limit policy: code 6 surfaces to the scheduler instead of sleeping in place."""

    def too_many_rps_handler(self, error: ApiError) -> None:
        return None


def make_client(token: str, session: requests.Session | None = None) -> VkClient:
    return VkClient(token=token, api_version=API_VERSION, session=session)


def call(vk: vk_api.VkApi, method: str, values: dict[str, Any]) -> dict[str, Any]:
    """One API call with every failure mapped to the scheduler's three outcomes."""
    try:
        response = vk.method(method, values)
    except ApiError as exc:
        code = exc.code
        if code in _RATE_CODES:
            raise RateLimited(f"VK {method}: ошибка {code} ({exc.error.get('error_msg', '')})",
                              _RATE_CODES[code]) from None
        if code in _AUTH_CODES:
            raise SourceDown(f"VK {method}: {_AUTH_CODES[code]} (код {code})") from None
        raise TransientError(f"VK {method}: ошибка API {code}") from None
    except ApiHttpError as exc:
        status = exc.response.status_code
        if status == 429:
            raise RateLimited(f"VK {method}: HTTP 429", _retry_after(exc.response.headers.get("Retry-After"))) from None
        if status in (401, 403):
            raise SourceDown(f"VK {method}: HTTP {status}, доступ запрещён") from None
        raise TransientError(f"VK {method}: HTTP {status}") from None
    except requests.RequestException as exc:  # includes JSONDecodeError of a truncated body
        raise TransientError(f"VK {method}: {type(exc).__name__}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise TransientError(f"VK {method}: malformed response ({type(exc).__name__})") from None
    if not isinstance(response, dict):
        raise TransientError(f"VK {method}: malformed response (not an object)")
    return response


def _retry_after(value: str | None, default: float = 60.0) -> float:
    try:
        return max(0.0, min(float(value), 86_400.0)) if value is not None else default
    except ValueError:
        return default


# --- normalisers --------------------------------------------------------------------------
def _attachments(raw: Any) -> list[Attachment]:
    out = []
    for att in as_list(raw, "attachments")[:50]:
        att = as_dict(att, "attachment")
        kind = str(att.get("type") or "link")[:20]
        body: dict[str, Any] = att[kind] if isinstance(att.get(kind), dict) else {}
        url = body.get("url") or body.get("player")
        if kind == "photo" and isinstance(body.get("sizes"), list) and body["sizes"]:
            last = body["sizes"][-1]
            url = last.get("url") if isinstance(last, dict) else None
        out.append(Attachment(kind=kind, url=url if isinstance(url, str) else None,
                              title=body.get("title") if isinstance(body.get("title"), str) else None))
    return out


def _geo(raw: Any) -> Geo | None:
    if not raw:
        return None
    geo = as_dict(raw, "geo")
    lat, lon = (float(x) for x in str(geo.get("coordinates", "")).split()[:2])
    place: dict[str, Any] = geo["place"] if isinstance(geo.get("place"), dict) else {}
    return Geo(lat=lat, lon=lon, place_name=place.get("title") if isinstance(place.get("title"), str) else None)


def _author(from_id: Any, official: set[str]) -> Author:
    aid = ident(from_id, "from_id")
    url = f"https://vk.com/{'club' + aid[1:] if aid.startswith('-') else 'id' + aid}"
    return Author(id=aid, url=url, is_official=aid in official)


def normalise_vk_post(raw: Any, source: str | None = None, official: frozenset[str] = frozenset()) -> Post:
    data = as_dict(raw, "VK post")
    owner, pid = ident(data.get("owner_id"), "owner_id"), ident(data.get("id"), "id")
    edited = data.get("edited")
    return Post(
        uid=make_uid(NETWORK, owner, pid), network=Network.VK, url=f"https://vk.com/wall{owner}_{pid}",
        author=_author(data.get("from_id") or owner, set(official)), text=text_of(data.get("text")),
        created_at=from_unix(data.get("date")), edited_at=from_unix(edited) if edited else None,
        deleted=bool(data.get("is_deleted") or data.get("deleted")),
        metrics=Metrics(likes=count(data.get("likes")), reposts=count(data.get("reposts")),
                        comments=count(data.get("comments")), views=count(data.get("views"))),
        geo=_geo(data.get("geo")), attachments=_attachments(data.get("attachments")), source=source, raw=data,
    )


def normalise_vk_comment(raw: Any, source: str | None = None, owner_id: str = "", post_id: str = "",
                         official: frozenset[str] = frozenset()) -> Post:
    data = as_dict(raw, "VK comment")
    owner = ident(data.get("owner_id") or owner_id, "owner_id")
    pid = ident(data.get("post_id") or post_id, "post_id")
    cid = ident(data.get("id"), "comment id")
    parent = data.get("reply_to_comment")
    reply_to = make_uid(NETWORK, owner, pid, ident(parent, "reply_to_comment") if parent else None)
    deleted = bool(data.get("deleted"))
    return Post(
        uid=make_uid(NETWORK, owner, pid, cid), network=Network.VK,
        url=f"https://vk.com/wall{owner}_{pid}?reply={cid}",
        author=_author(data.get("from_id") or "0", set(official)), text="" if deleted else text_of(data.get("text")),
        created_at=from_unix(data.get("date")), deleted=deleted,
        metrics=Metrics(likes=count(data.get("likes"))), reply_to=reply_to,
        attachments=_attachments(data.get("attachments")), source=source, raw=data,
    )


def _items(response: dict[str, Any], method: str) -> list[Any]:
    items = response.get("items")
    if not isinstance(items, list):
        raise TransientError(f"VK {method}: malformed response (no items list)")
    return items


def _dates(items: list[Item]) -> list[int]:
    return [int(i.created_at.timestamp()) for i in items if isinstance(i, Post)]


# --- sources ------------------------------------------------------------------------------
class VkSearchSource:
    """newsfeed.search by keyword query and/or place, newest first; walks back to the last poll.

    Cursor ``{"since": t, "next_from": s, "top": t}``: ``since`` is the newest date of the
    previous completed sweep, ``top`` the newest of this one, ``next_from`` VK's page token.
    """

    network = NETWORK

    def __init__(self, vk: vk_api.VkApi, name: str, query: str = "", *, latitude: float | None = None,
                 longitude: float | None = None, interval_s: float = 300.0, page_size: int = 200,
                 official: frozenset[str] = frozenset()) -> None:
        self.vk, self.name, self.query, self.interval_s = vk, name, query, interval_s
        self.lat, self.lon, self.page_size, self.official = latitude, longitude, page_size, official

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"since": 0, "next_from": None, "top": 0}
        values: dict[str, Any] = {"q": self.query, "count": self.page_size, "extended": 0}
        if state["since"]:
            values["start_time"] = state["since"] + 1
        if state["next_from"]:
            values["start_from"] = state["next_from"]
        if self.lat is not None and self.lon is not None:
            values.update(latitude=self.lat, longitude=self.lon)
        response = call(self.vk, "newsfeed.search", values)
        items = [normalise_safely(normalise_vk_post, raw, network=NETWORK, source=self.name, official=self.official)
                 for raw in _items(response, "newsfeed.search")]
        dates = _dates(items)
        top = max([state["top"], *dates])
        next_from = response.get("next_from") if isinstance(response.get("next_from"), str) else None
        reached_old = bool(dates) and min(dates) <= state["since"]
        if next_from and items and not reached_old:
            return Page(items, json.dumps({"since": state["since"], "next_from": next_from, "top": top}), more=True)
        return Page(items, json.dumps({"since": top, "next_from": None, "top": top}))


class VkWallSource:
    """wall.get of a community or page (offset paging, newest first); with ``comments`` every
    post of the last ``window`` also has its comments read (the government's own walls, R5).

    Cursor ``{"since", "offset", "top", "comments": {post_id: offset}, "queue": [[owner, post_id]...]}``.
    """

    network = NETWORK

    def __init__(self, vk: vk_api.VkApi, name: str, *, owner_id: str | None = None, domain: str | None = None,
                 comments: bool = False, window: int = 20, interval_s: float = 300.0, page_size: int = 100,
                 official: frozenset[str] = frozenset()) -> None:
        if not owner_id and not domain:
            raise ValueError("VK wall source needs owner_id or domain")
        self.vk, self.name, self.owner_id, self.domain = vk, name, owner_id, domain
        self.comments, self.window, self.interval_s, self.page_size = comments, window, interval_s, page_size
        self.official = official

    def _wall_values(self) -> dict[str, Any]:
        return {"owner_id": self.owner_id} if self.owner_id else {"domain": self.domain}

    def fetch(self, cursor: str | None) -> Page:
        fresh: dict[str, Any] = {"since": 0, "offset": 0, "top": 0, "comments": {}, "queue": []}
        state: dict[str, Any] = json.loads(cursor) if cursor else fresh
        if state["queue"]:
            return self._comments_page(state)
        response = call(self.vk, "wall.get", {**self._wall_values(), "count": self.page_size,
                                               "offset": state["offset"]})
        raw_items = _items(response, "wall.get")
        items = [normalise_safely(normalise_vk_post, raw, network=NETWORK, source=self.name, official=self.official)
                 for raw in raw_items]
        dates = _dates([i for i in items if isinstance(i, Post) and not i.raw.get("is_pinned")])
        top = max([state["top"], *dates])
        if self.comments:
            found = [i.uid for i in items if isinstance(i, Post) and i.metrics.comments > 0]
            state["candidates"] = (state.get("candidates", []) + found)[: self.window]
        more = bool(raw_items) and (not dates or min(dates) > state["since"]) \
            and state["offset"] + len(raw_items) < count(response.get("count"))
        if more:
            state.update(offset=state["offset"] + len(raw_items), top=top)
            return Page(items, json.dumps(state), more=True)
        state.update(since=top, offset=0, top=top)
        if self.comments:
            uids, state["candidates"] = state.get("candidates", []), []
            state["queue"] = [uid.split(":", 2)[1:] for uid in uids]  # [owner, post_id]
            state["comments"] = {k: v for k, v in state["comments"].items() if k in {p for _, p in state["queue"]}}
        return Page(items, json.dumps(state), more=bool(state["queue"]))

    def _comments_page(self, state: dict[str, Any]) -> Page:
        owner, post_id = state["queue"][0]
        offset = int(state["comments"].get(post_id, 0))
        response = call(self.vk, "wall.getComments", {"owner_id": owner, "post_id": post_id, "offset": offset,
                                                      "count": 100, "sort": "asc", "thread_items_count": 10})
        raw_items = _items(response, "wall.getComments")
        flat: list[Any] = []
        for raw in raw_items:
            flat.append(raw)
            thread = raw.get("thread") if isinstance(raw, dict) else None
            if isinstance(thread, dict) and isinstance(thread.get("items"), list):
                flat.extend(thread["items"])
        normalise: Callable[..., Post] = normalise_vk_comment
        items: list[Item] = [normalise_safely(normalise, raw, network=NETWORK, source=self.name, owner_id=owner,
                                              post_id=post_id, official=self.official) for raw in flat]
        level = count(response.get("current_level_count") or response.get("count"))
        offset += len(raw_items)
        if raw_items and offset < level:
            state["comments"][post_id] = offset
        else:
            state["comments"][post_id] = offset if raw_items else state["comments"].get(post_id, 0)
            state["queue"] = state["queue"][1:]
        return Page(items, json.dumps(state), more=bool(state["queue"]))


__all__ = ["PostRejection", "VkClient", "VkSearchSource", "VkWallSource", "call", "make_client",
           "normalise_vk_comment", "normalise_vk_post"]
