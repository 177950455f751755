"""Telegram collector. A local MTProto server is not feasible, so the normaliser is tested on
telethon's own ``Message`` objects built directly, error mapping on telethon's own exception
classes, and the paging logic against a stand-in with ``TelegramClient.get_messages``' signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from telethon import errors
from telethon.tl import types

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.telegram import TelegramChannelSource, map_errors, normalise_telegram
from schemas import Post

CHANNEL_ID, GROUP_ID = 1_500_100_200, 1_600_100_200
WHEN = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


def channel_post(mid: int, text: str, comments: int = 0, **extra: Any) -> types.Message:
    return types.Message(id=mid, peer_id=types.PeerChannel(CHANNEL_ID), date=WHEN, message=text, post=True,
                         views=1500, forwards=3,
                         replies=types.MessageReplies(replies=comments, replies_pts=1, comments=True), **extra)


def comment(mid: int, text: str, user: int, top: int = 900, parent: int | None = None) -> types.Message:
    header = types.MessageReplyHeader(reply_to_msg_id=parent or top, reply_to_top_id=top if parent else None)
    return types.Message(id=mid, peer_id=types.PeerChannel(GROUP_ID), date=WHEN, message=text,
                         from_id=types.PeerUser(user), reply_to=header)


def test_channel_post_from_a_telethon_message() -> None:
    msg = channel_post(41, "Новокузнецк: на Кирова нет воды 💧 Kirova st.", comments=5,
                       edit_date=datetime(2026, 11, 27, 6, 0, tzinfo=UTC), post_author="Редакция",
                       media=types.MessageMediaGeo(geo=types.GeoPoint(long=87.13, lat=53.75, access_hash=0)))
    post = normalise_telegram(msg, channel="nk_gorod")
    assert post.uid == "telegram:nk_gorod:41" and post.url == "https://t.me/nk_gorod/41"
    assert post.metrics.views == 1500 and post.metrics.comments == 5 and post.edited_at is not None
    assert post.geo is not None and post.geo.lat == 53.75 and "💧" in post.text
    assert json.loads(post.to_bytes())["raw"]["id"] == 41, "the raw payload survives serialisation"


def test_discussion_comments_and_nested_replies() -> None:
    direct = normalise_telegram(comment(77, "А на Тольятти тоже!", user=555), channel="nk_gorod", post_id="41")
    nested = normalise_telegram(comment(78, "Подтверждаю", user=556, parent=77), channel="nk_gorod", post_id="41")
    assert direct.uid == "telegram:nk_gorod:41:77" and direct.reply_to == "telegram:nk_gorod:41"
    assert nested.reply_to == "telegram:nk_gorod:41:77" and nested.author.id == "556"


def test_service_messages_and_junk_are_rejected() -> None:
    service = types.MessageService(id=5, peer_id=types.PeerChannel(CHANNEL_ID), date=WHEN,
                                   action=types.MessageActionPinMessage())
    with pytest.raises(ValueError):
        normalise_telegram(service, channel="c")
    with pytest.raises(ValueError):
        normalise_telegram({"_": "Message", "id": 1, "date": "вчера"}, channel="c")


@pytest.mark.parametrize(("exc", "expected"), [
    (errors.FloodWaitError(request=None, capture=42), RateLimited),
    (errors.AuthKeyUnregisteredError(request=None), SourceDown),
    (errors.UserDeactivatedBanError(request=None), SourceDown),
    (errors.ChannelPrivateError(request=None), SourceDown),
    (errors.RPCError(request=None, message="INTERNAL", code=500), TransientError),
])
def test_telethon_errors_map_to_scheduler_outcomes(exc: Exception, expected: type[Exception]) -> None:
    mapped = map_errors(exc, "channel")
    assert isinstance(mapped, expected)
    if isinstance(mapped, RateLimited):
        assert mapped.retry_after == 42


class StandIn:
    """``get_messages(entity, limit=, min_id=, reverse=, reply_to=)`` over a list, as telethon pages it."""

    def __init__(self, posts: list[types.Message], comments: dict[int, list[types.Message]],
                 fail: Exception | None = None) -> None:
        self.posts, self.comments, self.fail = posts, comments, fail
        self.calls: list[dict[str, Any]] = []

    def get_messages(self, entity: str, limit: int = 100, min_id: int = 0, reverse: bool = False,
                     reply_to: int | None = None) -> list[types.Message]:
        self.calls.append({"entity": entity, "limit": limit, "min_id": min_id, "reply_to": reply_to})
        if self.fail:
            raise self.fail
        pool = self.comments.get(reply_to, []) if reply_to else self.posts
        chosen = sorted((m for m in pool if m.id > min_id), key=lambda m: m.id, reverse=not reverse)
        return chosen[:limit]


def test_channel_paging_comments_and_edit_recheck() -> None:
    posts = [channel_post(i, f"Пост {i}", comments=1 if i == 3 else 0) for i in range(1, 4)]
    client = StandIn(posts, {3: [comment(100, "Комментарий", user=9, top=900)]})
    source = TelegramChannelSource(client, "tg:nk", "@nk_gorod", comments=True, page_size=2)
    first = source.fetch(None)
    assert [p.uid for p in first.posts] == ["telegram:nk_gorod:1", "telegram:nk_gorod:2"] and first.more
    second = source.fetch(first.cursor)
    assert client.calls[-1]["limit"] == 30, "caught up: the latest messages are read again for edits"
    assert second.more, "post 3 has comments"
    third = source.fetch(second.cursor)
    assert [p.uid for p in third.posts] == ["telegram:nk_gorod:3:100"] and not third.more


def test_flood_wait_from_the_client_becomes_rate_limited() -> None:
    source = TelegramChannelSource(StandIn([], {}, fail=errors.FloodWaitError(request=None, capture=7)), "tg", "c")
    with pytest.raises(RateLimited):
        source.fetch(None)


def test_long_and_hostile_texts() -> None:
    post = normalise_telegram(channel_post(9, "Кемерово " + "😡" * 30_000), channel="c")
    assert isinstance(post, Post) and post.truncated and len(post.text) == 20_000
