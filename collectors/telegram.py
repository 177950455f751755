"""Telegram through telethon: public channels and their linked discussion groups (comments).

Normalisation works on ``Message.to_dict()`` shapes, so the same function serves telethon's
own objects and stored JSON. Polling: new messages after the last id (ascending), then the
last few again so edits (``edit_date``) surface as new versions; comments are the replies
to a channel post in its discussion group (``reply_to=post_id``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from telethon import errors

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, count, from_iso, ident, text_of
from schemas import Attachment, Author, Geo, Metrics, Network, Post
from schemas.posts import make_uid

NETWORK = Network.TELEGRAM.value
_DOWN = (errors.AuthKeyError, errors.AuthKeyUnregisteredError, errors.SessionRevokedError,
         errors.UserDeactivatedBanError, errors.UserDeactivatedError, errors.PhoneNumberBannedError,
         errors.ChannelPrivateError, errors.ChannelBannedError, errors.UsernameNotOccupiedError,
         errors.UsernameInvalidError, errors.UserBannedInChannelError)


def map_errors(exc: BaseException, what: str) -> Exception:
    """telethon's exceptions -> the scheduler's outcomes (FloodWait carries its own wait)."""
    if isinstance(exc, errors.FloodWaitError):
        return RateLimited(f"Telegram {what}: FloodWait {exc.seconds} с", float(exc.seconds))
    if isinstance(exc, errors.SlowModeWaitError):
        return RateLimited(f"Telegram {what}: slow mode", float(exc.seconds))
    if isinstance(exc, _DOWN):
        return SourceDown(f"Telegram {what}: {type(exc).__name__} — сессия недействительна, аккаунт "
                          "заблокирован или канал недоступен")
    return TransientError(f"Telegram {what}: {type(exc).__name__}")


def _peer_id(peer: Any) -> str | None:
    if not isinstance(peer, dict):
        return None
    for key in ("channel_id", "user_id", "chat_id"):
        if peer.get(key) is not None:
            return ident(peer[key], key)
    return None


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, datetime) else repr(v)))


def normalise_telegram(raw: Any, source: str | None = None, channel: str = "", post_id: str | None = None) -> Post:
    """``raw``: a telethon Message or its ``to_dict()``; ``post_id`` set for discussion comments."""
    data = raw.to_dict() if hasattr(raw, "to_dict") else raw
    data = as_dict(data, "Telegram message")
    if data.get("_") not in (None, "Message"):
        raise ValueError(f"not a message: {str(data.get('_'))[:40]}")
    mid = ident(data.get("id"), "message id")
    owner = ident(channel or _peer_id(data.get("peer_id")) or "", "channel")
    if post_id:
        uid = make_uid(NETWORK, owner, ident(post_id, "post id"), mid)
        reply = as_dict(data.get("reply_to") or {}, "reply_to")
        # In the discussion group a direct comment answers the group's copy of the post (no
        # top id); a nested one names that copy as ``reply_to_top_id`` and its parent comment.
        parent, top = reply.get("reply_to_msg_id"), reply.get("reply_to_top_id")
        nested = parent is not None and top is not None and parent != top
        reply_to = make_uid(NETWORK, owner, post_id, ident(parent, "reply_to_msg_id") if nested else None)
        url = f"https://t.me/{owner}/{post_id}?comment={mid}"
    else:
        uid, reply_to, url = make_uid(NETWORK, owner, mid), None, f"https://t.me/{owner}/{mid}"
    author_id = _peer_id(data.get("from_id")) or owner
    date, edit = data.get("date"), data.get("edit_date")
    media = data.get("media") if isinstance(data.get("media"), dict) else None
    geo = None
    attachments = []
    if media is not None:
        kind = str(media.get("_", "media")).removeprefix("MessageMedia").lower()[:20] or "media"
        point = media.get("geo")
        if isinstance(point, dict) and "lat" in point and "long" in point:
            geo = Geo(lat=float(point["lat"]), lon=float(point["long"]),
                      place_name=media.get("title") if isinstance(media.get("title"), str) else None)
        else:
            attachments.append(Attachment(kind=kind))
    replies: dict[str, Any] = data["replies"] if isinstance(data.get("replies"), dict) else {}
    return Post(
        uid=uid, network=Network.TELEGRAM, url=url,
        author=Author(id=author_id, name=data.get("post_author") if isinstance(data.get("post_author"), str) else None),
        text=text_of(data.get("message")), created_at=from_iso(date),
        edited_at=from_iso(edit) if edit else None,
        metrics=Metrics(views=count(data.get("views")), reposts=count(data.get("forwards")),
                        comments=count(replies.get("replies"))),
        geo=geo, attachments=attachments, reply_to=reply_to, source=source, raw=_json_safe(data),
    )


class TelegramChannelSource:
    """One public channel (``@username``), with its discussion group's comments when asked.

    ``client`` is a ``telethon.sync.TelegramClient`` (its ``get_messages``); cursor
    ``{"last_id", "queue": [post_id], "comments": {post_id: last_comment_id}}``.
    """

    network = NETWORK

    def __init__(self, client: Any, name: str, channel: str, *, comments: bool = False, window: int = 20,
                 recheck: int = 30, interval_s: float = 300.0, page_size: int = 100) -> None:
        self.client, self.name, self.channel = client, name, ident(channel.lstrip("@"), "channel")
        self.comments, self.window, self.recheck = comments, window, recheck
        self.interval_s, self.page_size = interval_s, page_size

    def _get(self, what: str, **kwargs: Any) -> list[Any]:
        try:
            is_connected = getattr(self.client, "is_connected", None)
            if is_connected is not None and not is_connected():
                self.client.connect()
            return list(self.client.get_messages(self.channel, **kwargs))
        except errors.RPCError as exc:
            raise map_errors(exc, what) from None
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise TransientError(f"Telegram {what}: {type(exc).__name__}") from None

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"last_id": 0, "queue": [], "comments": {}}
        if state["queue"]:
            return self._comments(state)
        fresh = self._get("channel", limit=self.page_size, min_id=state["last_id"], reverse=True)
        caught_up = len(fresh) < self.page_size
        recent = self._get("recheck", limit=self.recheck) if caught_up and state["last_id"] else []
        items: list[Item] = [normalise_safely(normalise_telegram, m, network=NETWORK, source=self.name,
                                              channel=self.channel) for m in fresh + recent]
        ids = [m.id for m in fresh if isinstance(getattr(m, "id", None), int)]
        state["last_id"] = max([state["last_id"], *ids])
        if caught_up and self.comments:
            posts = [i for i in items if isinstance(i, Post) and i.metrics.comments > 0 and i.reply_to is None]
            state["queue"] = list(dict.fromkeys(p.uid.split(":")[2] for p in posts))[: self.window]
            state["comments"] = {k: v for k, v in state["comments"].items() if k in state["queue"]}
        return Page(items, json.dumps(state), more=not caught_up or bool(state["queue"]))

    def _comments(self, state: dict[str, Any]) -> Page:
        post_id = state["queue"][0]
        last = int(state["comments"].get(post_id, 0))
        found = self._get("comments", reply_to=int(post_id), limit=self.page_size, min_id=last, reverse=True)
        items: list[Item] = [normalise_safely(normalise_telegram, m, network=NETWORK, source=self.name,
                                              channel=self.channel, post_id=post_id) for m in found]
        ids = [m.id for m in found if isinstance(getattr(m, "id", None), int)]
        state["comments"][post_id] = max([last, *ids])
        if len(found) < self.page_size:
            state["queue"] = state["queue"][1:]
        return Page(items, json.dumps(state), more=bool(state["queue"]))
