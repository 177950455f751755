"""Instagram: the Instagram Graph API (httpx) for hashtags, profiles and comments, and
instaloader for public hashtag feeds read from the web app's GraphQL endpoint.

The Graph API is the documented, token-based route for an organisation's account and the
one to prefer in production (instaloader scrapes the web app, which changes without notice
and gets accounts challenged). instaloader keeps its own transport: it builds a fresh
``requests.Session`` per query and hard-codes ``https://www.instagram.com``, so its tests
reach a local server only through the standard ``HTTPS_PROXY`` / ``REQUESTS_CA_BUNDLE``
settings (a TLS-terminating proxy), never by patching it. Profiles through instaloader are
not offered: its profile lookup parses the rendered HTML page.

Uids are ``instagram:ig:<media>[:<comment>]``. Graph API shapes: ``{"data": [...],
"paging": {"cursors": {"after"}, "next"}}``, errors ``{"error": {"message", "type", "code"}}``.
Location search is offered by neither route: places come from hashtags (``#кемерово``) and
from the classifier's gazetteer on the text.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import instaloader
from instaloader import exceptions as ig_errors

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, as_list, count, from_iso, from_unix, ident, text_of
from schemas import Attachment, Author, Metrics, Network, Post
from schemas.posts import make_uid

GRAPH_URL = "https://graph.facebook.com/v19.0"
NETWORK = Network.INSTAGRAM.value
OWNER = "ig"
MEDIA_FIELDS = "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,username"
COMMENT_FIELDS = "id,text,timestamp,username,like_count,parent_id"
_RATE_CODES = {4: 3600.0, 17: 3600.0, 32: 3600.0, 613: 3600.0, 80002: 3600.0}
_DOWN_CODES = {190: "токен Instagram недействителен или истёк", 10: "нет разрешения приложения",
               200: "нет разрешения", 102: "сессия истекла"}


class GraphClient:
    def __init__(self, access_token: str, *, http: httpx.Client | None = None, base_url: str = GRAPH_URL) -> None:
        self._token = access_token
        self.http = http or httpx.Client(timeout=30.0)
        self.base_url = base_url.rstrip("/")

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        query = {k: str(v) for k, v in params.items() if v is not None}
        try:  # the token travels in a header: URLs end up in access logs
            response = self.http.get(url, params=query, headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise TransientError(f"Instagram {path[:80]}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code: int = error["code"] if isinstance(error.get("code"), int) else -1
            if code in _RATE_CODES or response.status_code == 429:
                raise RateLimited(f"Instagram: лимит запросов (код {code})",
                                  _retry_after(response.headers.get("Retry-After"), _RATE_CODES.get(code, 600.0)))
            if code in _DOWN_CODES:
                raise SourceDown(f"Instagram: {_DOWN_CODES.get(code, 'доступ запрещён')} (код {code})")
            raise TransientError(f"Instagram: ошибка API {code}")
        if response.status_code == 429:
            raise RateLimited("Instagram: HTTP 429", _retry_after(response.headers.get("Retry-After"), 600.0))
        if response.status_code in (401, 403):
            raise SourceDown(f"Instagram: HTTP {response.status_code}, доступ запрещён")
        if response.status_code >= 400 or not isinstance(body, dict):
            raise TransientError(f"Instagram: HTTP {response.status_code}, malformed or failed response")
        return body


def _retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, min(float(value), 86_400.0)) if value is not None else default
    except ValueError:
        return default


def normalise_ig_media(raw: Any, source: str | None = None) -> Post:
    data = as_dict(raw, "Instagram media")
    mid = ident(data.get("id"), "media id")
    username = data.get("username") if isinstance(data.get("username"), str) else None
    kind = str(data.get("media_type") or "IMAGE").lower()
    media_url = data.get("media_url") if isinstance(data.get("media_url"), str) else None
    return Post(
        uid=make_uid(NETWORK, OWNER, mid), network=Network.INSTAGRAM,
        url=data.get("permalink") if isinstance(data.get("permalink"), str) else None,
        author=Author(id=username or "unknown", name=username,
                      url=f"https://www.instagram.com/{username}/" if username else None),
        text=text_of(data.get("caption")), created_at=from_iso(data.get("timestamp")),
        metrics=Metrics(likes=count(data.get("like_count")), comments=count(data.get("comments_count"))),
        attachments=[Attachment(kind="video" if "video" in kind else "photo", url=media_url)], source=source, raw=data,
    )


def normalise_ig_comment(raw: Any, source: str | None = None, media_id: str = "") -> Post:
    data = as_dict(raw, "Instagram comment")
    cid, mid = ident(data.get("id"), "comment id"), ident(media_id, "media id")
    parent = data.get("parent_id")
    username = data.get("username") if isinstance(data.get("username"), str) else None
    return Post(
        uid=make_uid(NETWORK, OWNER, mid, cid), network=Network.INSTAGRAM,
        author=Author(id=username or "unknown", name=username), text=text_of(data.get("text")),
        created_at=from_iso(data.get("timestamp")), metrics=Metrics(likes=count(data.get("like_count"))),
        reply_to=make_uid(NETWORK, OWNER, mid, ident(parent, "parent_id") if parent else None),
        source=source, raw=data,
    )


def _data(body: dict[str, Any], what: str) -> list[Any]:
    data = body.get("data")
    if not isinstance(data, list):
        raise TransientError(f"Instagram {what}: malformed response (no data list)")
    return data


def _next(body: dict[str, Any]) -> str | None:
    paging = body.get("paging")
    if isinstance(paging, dict) and isinstance(paging.get("next"), str):
        cursors = paging.get("cursors")
        if isinstance(cursors, dict) and isinstance(cursors.get("after"), str):
            return cursors["after"]
    return None


class InstagramSource:
    """Media of a hashtag (``ig_hashtag_search`` -> ``recent_media``) or of an account
    (``/{ig-user-id}/media``), newest first; with ``comments`` each recent media's comments
    are read too (the government's own account, R5).

    Cursor ``{"hashtag_id", "after", "since", "top", "queue": [media_id], "seen": {media_id: after}}``.
    """

    network = NETWORK

    def __init__(self, client: GraphClient, name: str, *, user_id: str, hashtag: str | None = None,
                 account_id: str | None = None, comments: bool = False, window: int = 10,
                 interval_s: float = 600.0) -> None:
        if bool(hashtag) == bool(account_id):
            raise ValueError("Instagram source needs exactly one of hashtag or account_id")
        self.client, self.name, self.user_id = client, name, user_id
        self.hashtag, self.account_id = (hashtag or "").lstrip("#"), account_id
        self.comments, self.window, self.interval_s = comments, window, interval_s

    def fetch(self, cursor: str | None) -> Page:
        fresh: dict[str, Any] = {"hashtag_id": None, "after": None, "since": "", "top": "", "queue": [],
                                 "seen": {}, "candidates": []}
        state: dict[str, Any] = json.loads(cursor) if cursor else fresh
        if state["queue"]:
            return self._comments(state)
        if self.hashtag and not state["hashtag_id"]:
            found = _data(self.client.get("ig_hashtag_search", user_id=self.user_id, q=self.hashtag), "hashtag search")
            if not found or not isinstance(found[0], dict):
                raise SourceDown(f"Instagram: хештег #{self.hashtag} не найден")
            state["hashtag_id"] = ident(found[0].get("id"), "hashtag id")
        path = f"{state['hashtag_id']}/recent_media" if self.hashtag else f"{self.account_id}/media"
        body = self.client.get(path, user_id=self.user_id if self.hashtag else None, fields=MEDIA_FIELDS,
                               limit=50, after=state["after"])
        raws = _data(body, path)
        items: list[Item] = [normalise_safely(normalise_ig_media, r, network=NETWORK, source=self.name) for r in raws]
        stamps = [i.created_at.isoformat() for i in items if isinstance(i, Post)]
        state["top"] = max([state["top"], *stamps])
        if self.comments:
            found_ids = [i.uid.split(":")[2] for i in items if isinstance(i, Post) and i.metrics.comments > 0]
            state["candidates"] = (state["candidates"] + found_ids)[: self.window]
        after = _next(body)
        if after and raws and not (stamps and min(stamps) <= state["since"]):
            state["after"] = after
            return Page(items, json.dumps(state), more=True)
        state.update(after=None, since=state["top"])
        if self.comments:
            state["queue"], state["candidates"] = state["candidates"], []
            state["seen"] = {k: v for k, v in state["seen"].items() if k in state["queue"]}
        return Page(items, json.dumps(state), more=bool(state["queue"]))

    def _comments(self, state: dict[str, Any]) -> Page:
        media = state["queue"][0]
        body = self.client.get(f"{media}/comments", fields=COMMENT_FIELDS, limit=50, after=state["seen"].get(media))
        raws = _data(body, "comments")
        flat: list[Any] = []
        for raw in raws:
            flat.append(raw)
            replies = raw.get("replies") if isinstance(raw, dict) else None
            if isinstance(replies, dict) and isinstance(replies.get("data"), list):
                flat.extend({**r, "parent_id": r.get("parent_id") or raw.get("id")} if isinstance(r, dict) else r
                            for r in replies["data"])
        items: list[Item] = [normalise_safely(normalise_ig_comment, r, network=NETWORK, source=self.name,
                                              media_id=media) for r in flat]
        after = _next(body)
        cursors = body.get("paging", {}).get("cursors", {}) if isinstance(body.get("paging"), dict) else {}
        last = cursors.get("after") if isinstance(cursors, dict) else None
        if isinstance(last, str):
            state["seen"][media] = last
        if not after:
            state["queue"] = state["queue"][1:]
        return Page(items, json.dumps(state), more=bool(state["queue"]))


# --- instaloader (web GraphQL) --------------------------------------------------------------
HASHTAG_QUERY_HASH = "9b498c08113f1e09617a1703c22b2f32"
"""instaloader's own query for a hashtag's media (``Hashtag.get_posts_resumable``)."""


def make_loader(*, pace: bool = True) -> instaloader.Instaloader:
    """An anonymous loader that downloads nothing; ``pace`` keeps instaloader's own request pacing."""
    return instaloader.Instaloader(sleep=pace, quiet=True, download_pictures=False, download_videos=False,
                                   download_video_thumbnails=False, save_metadata=False, max_connection_attempts=1)


def _map_loader_error(exc: Exception, what: str) -> Exception:
    cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    if isinstance(cause, ig_errors.TooManyRequestsException):
        return RateLimited(f"Instagram {what}: HTTP 429", 600.0)
    if isinstance(exc, ig_errors.AbortDownloadException | ig_errors.LoginRequiredException |
                  ig_errors.QueryReturnedForbiddenException | ig_errors.QueryReturnedNotFoundException):
        return SourceDown(f"Instagram {what}: {type(exc).__name__} — требуется вход, проверка аккаунта "
                          "или страница недоступна")
    if isinstance(cause, ig_errors.QueryReturnedNotFoundException):
        return SourceDown(f"Instagram {what}: не найдено")
    message = str(exc)
    if " 401 " in message or " 403 " in message:
        return SourceDown(f"Instagram {what}: доступ запрещён")
    return TransientError(f"Instagram {what}: {type(exc).__name__}")


def normalise_ig_node(raw: Any, source: str | None = None) -> Post:
    """A media node of Instagram's web GraphQL (what ``instaloader.Post`` wraps)."""
    node = as_dict(raw, "Instagram node")
    mid = ident(node.get("id"), "media id")
    owner = as_dict(node.get("owner") or {}, "owner")
    captions = as_list(as_dict(node.get("edge_media_to_caption") or {}, "caption").get("edges"), "caption edges")
    text = ""
    if captions:
        text = text_of(as_dict(as_dict(captions[0], "caption edge").get("node") or {}, "caption").get("text"))
    likes = node.get("edge_liked_by") or node.get("edge_media_preview_like")
    shortcode = node.get("shortcode") if isinstance(node.get("shortcode"), str) else None
    username = owner.get("username") if isinstance(owner.get("username"), str) else None
    return Post(
        uid=make_uid(NETWORK, OWNER, mid), network=Network.INSTAGRAM,
        url=f"https://www.instagram.com/p/{shortcode}/" if shortcode else None,
        author=Author(id=ident(owner.get("id") or "unknown", "owner id"), name=username), text=text,
        created_at=from_unix(node.get("taken_at_timestamp")),
        metrics=Metrics(likes=count(likes), comments=count(node.get("edge_media_to_comment"))),
        attachments=[Attachment(kind="video" if node.get("is_video") is True else "photo",
                                url=node.get("display_url") if isinstance(node.get("display_url"), str) else None)],
        source=source, raw=node,
    )


class InstaloaderHashtagSource:
    """A hashtag's recent media through instaloader's context, newest first, back to the last sweep.

    Cursor ``{"after": end_cursor, "since", "top"}`` (unix seconds).
    """

    network = NETWORK

    def __init__(self, loader: instaloader.Instaloader, name: str, hashtag: str, *, interval_s: float = 900.0,
                 page_size: int = 50) -> None:
        self.loader, self.name, self.hashtag = loader, name, hashtag.lstrip("#").lower()
        self.interval_s, self.page_size = interval_s, page_size

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"after": None, "since": 0, "top": 0}
        variables: dict[str, Any] = {"tag_name": self.hashtag, "first": self.page_size}
        if state["after"]:
            variables["after"] = state["after"]
        try:
            body = self.loader.context.graphql_query(HASHTAG_QUERY_HASH, variables,
                                                     f"https://www.instagram.com/explore/tags/{self.hashtag}/")
        except (ig_errors.InstaloaderException, ig_errors.AbortDownloadException) as exc:
            raise _map_loader_error(exc, f"#{self.hashtag}") from None
        try:
            edge = body["data"]["hashtag"]["edge_hashtag_to_media"]
            edges, info = list(edge["edges"]), dict(edge.get("page_info") or {})
        except (KeyError, TypeError, ValueError):
            raise TransientError(f"Instagram #{self.hashtag}: malformed response") from None
        nodes = [e.get("node") if isinstance(e, dict) else e for e in edges]
        items: list[Item] = [normalise_safely(normalise_ig_node, n, network=NETWORK, source=self.name) for n in nodes]
        stamps = [int(i.created_at.timestamp()) for i in items if isinstance(i, Post)]
        state["top"] = max([state["top"], *stamps])
        after = info.get("end_cursor") if info.get("has_next_page") is True else None
        if isinstance(after, str) and after and nodes and not (stamps and min(stamps) <= state["since"]):
            state["after"] = after
            return Page(items, json.dumps(state), more=True)
        state.update(after=None, since=state["top"])
        return Page(items, json.dumps(state))
