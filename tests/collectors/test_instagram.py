"""Instagram collector: httpx against a local Graph API answering in the documented shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from collectors.base import RateLimited, SourceDown, TransientError
from collectors.instagram import GraphClient, InstagramSource
from schemas import Post, PostRejection
from tests.collectors.servers import ApiServer, Reply

TOKEN = "IGQV-test-secret"


def media(mid: str, caption: str, ts: str = "2026-11-27T04:10:00+0000", comments: int = 0) -> dict[str, object]:
    return {"id": mid, "caption": caption, "media_type": "IMAGE", "media_url": f"https://cdn.example/{mid}.jpg",
            "permalink": f"https://www.instagram.com/p/{mid}/", "timestamp": ts, "like_count": 12,
            "comments_count": comments, "username": "kem_lena7"}


def paged(data: list[object], after: str | None = None) -> Reply:
    paging: dict[str, object] = {"cursors": {"before": "b", "after": after or "end"}}
    if after:
        paging["next"] = f"https://graph.facebook.com/v19.0/x?after={after}"
    return Reply(body={"data": data, "paging": paging})


@pytest.fixture
def graph() -> Iterator[tuple[ApiServer, GraphClient]]:
    srv = ApiServer()
    with srv.running() as base, httpx.Client(timeout=5.0) as http:
        yield srv, GraphClient(TOKEN, http=http, base_url=f"{base}/v19.0")


def test_hashtag_recent_media_pages_by_cursor(graph) -> None:
    srv, client = graph
    srv.route("/v19.0/ig_hashtag_search", [Reply(body={"data": [{"id": "17843853986012965"}]})])
    srv.route("/v19.0/17843853986012965/recent_media", [
        paged([media("101", "#кемерово двор не чистят ❄️ #жкх", "2026-11-27T06:00:00+0000")], after="QVFI1"),
        paged([media("100", "Kemerovo 🚧 ремонт", "2026-11-27T05:00:00+0000")]),
    ])
    source = InstagramSource(client, "ig:tag:кемерово", user_id="17841400000", hashtag="#кемерово")
    first = source.fetch(None)
    assert first.more and first.posts[0].uid == "instagram:ig:101"
    assert srv.requests[0].param("q") == "кемерово" and srv.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert all(r.param("access_token") is None for r in srv.requests), "the token never goes into a URL"
    second = source.fetch(first.cursor)
    assert srv.requests[-1].param("after") == "QVFI1" and not second.more
    assert second.posts[0].created_at.isoformat() == "2026-11-27T05:00:00+00:00"


def test_r5_government_account_comments_with_replies(graph) -> None:
    srv, client = graph
    srv.route("/v19.0/1784_gov/media", [paged([media("900", "Итоги недели", comments=2)])])
    srv.route("/v19.0/900/comments", [paged([
        {"id": "c1", "text": "А в Мысках когда дорогу сделают?", "timestamp": "2026-11-27T07:00:00+0000",
         "username": "myski_ira", "like_count": 1,
         "replies": {"data": [{"id": "c2", "text": "Ответили в директ", "timestamp": "2026-11-27T07:30:00+0000",
                               "username": "kuzbass_gov"}]}},
    ])])
    source = InstagramSource(client, "ig:gov", user_id="1784_gov", account_id="1784_gov", comments=True)
    first = source.fetch(None)
    assert first.more
    page = source.fetch(first.cursor)
    assert [p.uid for p in page.posts] == ["instagram:ig:900:c1", "instagram:ig:900:c2"]
    assert page.posts[1].reply_to == "instagram:ig:900:c1" and not page.more


@pytest.mark.parametrize(("reply", "exc"), [
    (Reply(400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}),
     SourceDown),
    (Reply(400, {"error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4}}),
     RateLimited),
    (Reply(429, "", headers={"Retry-After": "30"}), RateLimited),
    (Reply(body='{"data": [{"id": "1", "capt'), TransientError),
    (Reply(body={"data": "nope"}), TransientError),
])
def test_errors_are_classified(graph, reply: Reply, exc: type[Exception]) -> None:
    srv, client = graph
    srv.route("/v19.0/", [reply])
    with pytest.raises(exc):
        InstagramSource(client, "ig:acc", user_id="1", account_id="1").fetch(None)


def test_hostile_items_and_long_captions(graph) -> None:
    srv, client = graph
    srv.route("/v19.0/1/media", [paged([media("5", "Белово " + "🐕" * 30_000), {"id": "6"}, {"id": 7.5},
                                        media("8", "ok", ts="27.11.2026")])])
    items = InstagramSource(client, "ig:acc", user_id="1", account_id="1").fetch(None).items
    assert isinstance(items[0], Post) and items[0].truncated
    assert all(isinstance(i, PostRejection) for i in items[1:])
