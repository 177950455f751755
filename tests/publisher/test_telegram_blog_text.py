"""Telegram request building (no local MTProto server), blog link checks, text adaptation, the bus handler."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from telethon import errors as tg_errors

from publisher.adapters.base import Outgoing, Target
from publisher.adapters.blog import LinkCheckError
from publisher.adapters.telegram import build_message, link, map_error
from publisher.consumer import handle_values
from publisher.core import Publisher
from publisher.errors import PermanentError, RateLimited, TransientError
from publisher.outbox import Outbox, State
from publisher.text import Limits, adapt, fits, plain
from schemas import PostRejection, ReplyPublished
from schemas.topics import Topic
from tests.publisher.conftest import LIMITS, TEXT, reply
from tests.publisher.fakeapi import Request, Response, serve


def test_telegram_comment_goes_to_the_post_discussion() -> None:
    kwargs = build_message(Target.from_uid("telegram:kuzbass_news:1201"), Outgoing("r-1", TEXT))
    assert kwargs == {"entity": "kuzbass_news", "message": TEXT, "comment_to": 1201, "link_preview": False,
                      "parse_mode": None}
    nested = build_message(Target.from_uid("telegram:-1001234567:1201:88"), Outgoing("r-1", TEXT))
    assert nested["entity"] == -1001234567 and nested["reply_to"] == 88
    assert link(Target.from_uid("telegram:-1001234567:1201"), 5) == "https://t.me/c/1234567/1201?comment=5"


def test_telegram_errors_are_classified() -> None:
    flood = tg_errors.FloodWaitError(request=None, capture=17)
    assert isinstance(map_error(flood), RateLimited) and map_error(flood).retry_after_s == 17  # type: ignore[attr-defined]
    assert isinstance(map_error(ConnectionError()), TransientError)
    assert isinstance(map_error(tg_errors.ChatWriteForbiddenError(request=None)), PermanentError)
    with pytest.raises(PermanentError):
        build_message(Target.from_uid("telegram:chan:abc"), Outgoing("r", TEXT))


def test_r21_markup_is_flattened_and_hostile_characters_dropped() -> None:
    text = "<b>Здравствуйте</b>!\u200b Смотрите [график](https://ako.ru/g)\x07 и **сроки**.\n\n\n\nДо свидания"
    assert plain(text) == "Здравствуйте! Смотрите график (https://ako.ru/g) и сроки.\n\nДо свидания"
    with pytest.raises(PermanentError, match="280"):
        adapt("я" * 281, "twitter", Limits(280))
    assert fits("я" * 280, "twitter", Limits(280)) == (True, 280)
    with pytest.raises(PermanentError, match="пуст"):
        adapt("<p> </p>", "vk", Limits(4096))


@pytest.fixture
def blog_site() -> Iterator[str]:
    def app(req: Request) -> Response:
        if req.path == "/post/1":
            page = f"<html><body><h1>Блог</h1><div class='c'><p>{TEXT}</p></div><script>x()</script></body></html>"
            return Response(200, raw=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
        if req.path == "/post/2":
            return Response(200, raw=b"<html><p>other text</p></html>", headers={"Content-Type": "text/html"})
        return Response(404, raw=b"nope", headers={"Content-Type": "text/html"})

    with serve(app) as (base, _):
        yield base


def test_r16_blog_reply_waits_for_the_executors_link_which_is_checked(blog_site: str, outbox: Outbox) -> None:
    pub = Publisher(outbox, {}, LIMITS)
    assert pub.handle(reply("blog", "blog:kemerovo-live:1")).published is None
    assert outbox.get("r-1").state == State.AWAITING_LINK  # type: ignore[union-attr]
    with httpx.Client(timeout=5) as http:
        with pytest.raises(LinkCheckError, match="не найден текст"):
            pub.record_manual_link("r-1", f"{blog_site}/post/2", http)
        with pytest.raises(LinkCheckError, match="HTTP 404"):
            pub.record_manual_link("r-1", f"{blog_site}/post/3", http)
        with pytest.raises(LinkCheckError, match="http"):
            pub.record_manual_link("r-1", "file:///etc/passwd", http)
        published = pub.record_manual_link("r-1", f"{blog_site}/post/1", http)
    assert published.ok and published.url == f"{blog_site}/post/1"
    assert pub.handle(reply("blog", "blog:kemerovo-live:1")).published == published


def test_unconfigured_network_fails_permanently_with_an_alert(outbox: Outbox) -> None:
    out = Publisher(outbox, {}, LIMITS).handle(reply("vk", "vk:-1:2"))
    assert out.published is not None and out.published.permanent and "не настроена" in (out.published.error or "")
    assert out.alerts[0].case_id == 42


def test_bus_handler_answers_and_rejects_garbage(outbox: Outbox) -> None:
    pub = Publisher(outbox, {}, LIMITS)
    outputs = handle_values(pub, [reply("vk", "vk:-1:2").to_bytes(), b"{not json"])
    topics = [topic for topic, _, _ in outputs]
    assert topics == [Topic.REPLIES_PUBLISHED, Topic.ALERTS, Topic.POSTS_REJECTED]
    assert ReplyPublished.from_bytes(outputs[0][2]).reply_id == "r-1"
    assert PostRejection.from_bytes(outputs[2][2]).source == "replies.approved"
