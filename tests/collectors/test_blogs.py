"""Blog collector: httpx + feedparser against local RSS/Atom feeds (LiveJournal's RSS shape)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.blogs import FeedSource, livejournal_feed
from schemas import Post, PostRejection
from tests.collectors.servers import ApiServer, Reply

LJ_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:lj="http://www.livejournal.org/rss/lj/1.0/">
<channel><title>kemerovo_ru</title><link>https://kemerovo-ru.livejournal.com/</link>
<item><guid isPermaLink="true">https://kemerovo-ru.livejournal.com/12345.html</guid>
<pubDate>Fri, 27 Nov 2026 04:10:00 GMT</pubDate><title>Двор на Весенней 😡</title>
<link>https://kemerovo-ru.livejournal.com/12345.html</link><author>ivan_k</author>
<description>&lt;p&gt;Двор не чистят &lt;b&gt;неделю&lt;/b&gt;&lt;/p&gt;
&lt;script&gt;alert(1)&lt;/script&gt;</description>
<lj:reply-count>4</lj:reply-count></item>
<item><guid>https://kemerovo-ru.livejournal.com/12340.html</guid><title>Без даты</title></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Блог о Новокузнецке</title><id>urn:nk</id>
<updated>2026-11-27T09:00:00Z</updated>
<entry><id>urn:nk:post:77</id><title>Трамвай №10</title><published>2026-11-27T06:00:00+07:00</published>
<updated>2026-11-27T09:00:00Z</updated><link href="https://nk.example/77"/>
<content type="html">&lt;p&gt;Опять не ходит, Zapsib 🚋&lt;/p&gt;</content></entry></feed>"""


@pytest.fixture
def feeds() -> Iterator[tuple[ApiServer, str, httpx.Client]]:
    srv = ApiServer()
    with srv.running() as base, httpx.Client(timeout=5.0) as http:
        yield srv, base, http


def test_livejournal_rss_with_conditional_get(feeds) -> None:
    srv, base, http = feeds

    def lj(req):
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, "")
        return Reply(body=LJ_RSS, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    srv.route("/data/rss", lj)
    source = FeedSource(http, "blog:lj:kemerovo_ru", f"{base}/data/rss", feed_id="kemerovo-ru")
    page = source.fetch(None)
    post, bad = page.items
    assert isinstance(post, Post) and isinstance(bad, PostRejection) and "date" in bad.error
    assert post.uid.startswith("blog:kemerovo-ru:") and post.author.id == "ivan_k"
    assert post.text == "Двор на Весенней 😡\nДвор не чистят неделю\nalert(1)", "markup stripped, never run"
    assert post.created_at.isoformat() == "2026-11-27T04:10:00+00:00"
    again = source.fetch(page.cursor)
    assert again.items == [] and again.cursor == page.cursor


def test_atom_entry_with_update_is_an_edit(feeds) -> None:
    srv, base, http = feeds
    srv.route("/atom", [Reply(body=ATOM, content_type="application/atom+xml")])
    post = FeedSource(http, "blog:nk", f"{base}/atom").fetch(None).posts[0]
    assert post.created_at.isoformat() == "2026-11-26T23:00:00+00:00" and post.edited_at is not None
    assert post.text == "Трамвай №10\nОпять не ходит, Zapsib 🚋" and post.url == "https://nk.example/77"


def test_rate_limit_gone_and_broken_feeds(feeds) -> None:
    srv, base, http = feeds
    srv.route("/f", [Reply(429, "", headers={"Retry-After": "42"}), Reply(410, "gone"),
                     Reply(body="<rss><channel><item><title>обрыв", content_type="application/rss+xml"),
                     Reply(500, "oops")])
    source = FeedSource(http, "blog:f", f"{base}/f")
    with pytest.raises(RateLimited) as caught:
        source.fetch(None)
    assert caught.value.retry_after == 42
    with pytest.raises(SourceDown):
        source.fetch(None)
    truncated = source.fetch(None)  # feedparser recovers what it can from a cut-off feed
    assert all(isinstance(i, Post | PostRejection) for i in truncated.items)
    with pytest.raises(TransientError):
        source.fetch(None)


def test_very_long_entry_is_bounded(feeds) -> None:
    srv, base, http = feeds
    long_rss = LJ_RSS.replace("Двор не чистят", "Прокопьевск " * 5000)
    srv.route("/long", [Reply(body=long_rss, content_type="application/rss+xml")])
    post = FeedSource(http, "blog:l", f"{base}/long").fetch(None).posts[0]
    assert post.truncated and len(post.text) == 20_000


def test_livejournal_feed_url() -> None:
    assert livejournal_feed("kemerovo_ru") == "https://kemerovo-ru.livejournal.com/data/rss"
